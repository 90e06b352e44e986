"""Run one fuzz input through the real CLI in-process and say what kind of outcome it was.

Shared by tests/test_fuzz.py and benchmarks/fuzz.py. An outcome is a defect when the command
crashed (an exception other than a clean exit, exit code 3, "internal error" or a traceback
in the output) or when `check` accepted a spec whose DDL PostgreSQL then refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from typer.testing import CliRunner

from schemawright.cli import app
from schemawright.database import Database, DatabaseError

SENTINEL_ROLE = "schemawright_fuzz_sentinel"  # the injected statements in mutations.py try to drop it

_RUNNER = CliRunner()
_CRASH = re.compile(r"Traceback \(most recent call last\)|internal error:")


@dataclass
class Outcome:
    command: str
    exit_code: int
    output: str
    crash: str | None = None  # what went wrong, when it is a defect
    accepted: bool = False  # the command succeeded (exit 0)
    notes: list[str] = field(default_factory=list)

    @property
    def defect(self) -> bool:
        return self.crash is not None


def run_cli(args: list[str]) -> Outcome:
    """`schemawright <args>` in this process; a crash is any escaped exception or exit 3."""
    result = _RUNNER.invoke(app, args, catch_exceptions=True)
    output = result.output or ""
    crash = None
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        crash = f"{type(result.exception).__name__}: {result.exception}"[:500]
    elif result.exit_code == 3 or _CRASH.search(output):
        crash = f"exit {result.exit_code}: " + (_CRASH.search(output) and output[-500:] or output[-500:])
    return Outcome(args[0], result.exit_code, output, crash, accepted=result.exit_code == 0)


def check_and_design(spec: Path, out: Path) -> list[Outcome]:
    """`check`, then `design` when check accepted the spec."""
    checked = run_cli(["check", str(spec)])
    if not checked.accepted or checked.defect:
        return [checked]
    return [checked, run_cli(["design", str(spec), "-o", str(out), "--offline"])]


def ddl_refused(db: Database, schema_sql: str) -> str | None:
    """Apply `schema_sql` inside a transaction that is rolled back; PostgreSQL's refusal, an
    injected statement that reached the sentinel role, or None."""
    try:
        with db.transaction(rollback=True):
            db.execute(schema_sql)
            if not sentinel_alive(db):
                return f"injection: the DDL dropped the sentinel role {SENTINEL_ROLE}"
    except DatabaseError as error:
        return str(error)[:500]
    return None


def missing_extensions(db: Database, schema_sql: str) -> set[str]:
    """Extensions `schema_sql` creates that the server cannot (the embedded one has no pgcrypto):
    its refusal would say nothing about the spec."""
    wanted = set(re.findall(r"CREATE EXTENSION IF NOT EXISTS (\w+)", schema_sql))
    if not wanted:
        return set()
    return wanted - {name for (name,) in db.query("SELECT name FROM pg_available_extensions")}


def ensure_sentinel(db: Database) -> None:
    """A role the hostile inputs try to drop: if it disappears, a spec ran SQL on the server."""
    if not sentinel_alive(db):
        try:
            db.execute(f"CREATE ROLE {SENTINEL_ROLE} NOLOGIN")
        except DatabaseError:  # another worker made it first: roles are per server
            if not sentinel_alive(db):
                raise


def sentinel_alive(db: Database) -> bool:
    return bool(db.query_value("SELECT 1 FROM pg_roles WHERE rolname = %s", [SENTINEL_ROLE]))
