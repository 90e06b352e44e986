"""Statements the product emits come from the one generator (sql/generator.py), not from
f-strings spread over the step packages: a dialect is then one subclass, not a hunt."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "schemawright"
DDL = ("CREATE INDEX", "ALTER TABLE", "CREATE TABLE", "DROP TABLE", "ADD CONSTRAINT", "DROP INDEX")

# Modules allowed to hold such f-strings, and why.  Text that is only parsed (a type or a
# clause wrapped in a statement so pglast can read it) or only shown in a message is not a
# statement the product emits, and neither is the body of a function that the server runs.
ALLOWED = {
    "requirements/table_checks.py": "parsed only: a sql_type wrapped in CREATE TABLE for pglast to read",
    "requirements/sql_fragments.py": "parsed only: a spec's clause wrapped in the statement that holds it",
    "requirements/constraint_checks.py": "parsed only: an exclusion definition wrapped in CREATE TABLE for pglast",
    "logical/sql_names.py": "parsed only: an exclusion definition wrapped in CREATE TABLE for pglast (normalize)",
    "importers/table_reader.py": "parsed only (a table item probed alone) and import notes",
    "importers/sqlglot_sql.py": "parsed only (an index probe) and import notes naming the statement skipped",
    "importers/postgresql_sql.py": "an import note naming the ALTER TABLE form not imported",
    "importers/postgresql_live.py": "catalog rows rebuilt as DDL text for the importer to read, never run",
    "validation/attack_roles.py": "attack text: DDL a role tries and must be refused (42501), in a rolled-back "
                                  "transaction; a statement the product emits to succeed it is not",
    "validation/transport_proof.py": "a probe on a throw-away server whose only purpose is to be written to "
                                     "pgaudit's log",
    "partitioning/maintenance.py": "dynamic SQL inside a plpgsql maintenance body: the server builds each "
                                   "statement with format() when the function runs, so it is body text",
}


def _ddl_fstrings(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
            found += [f"{path.relative_to(SRC)}:{node.lineno}: {word}" for word in DDL if word in text.upper()]
    return found


def test_no_ddl_fstrings_outside_sql() -> None:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        module = path.relative_to(SRC).as_posix()
        if module.startswith("sql/") or module in ALLOWED:
            continue
        found += _ddl_fstrings(path)
    assert not found, "build these statements with schemawright.sql.generator:\n" + "\n".join(found)


def test_allow_list_is_current() -> None:
    """An allowed module that no longer builds such text leaves the list."""
    stale = [m for m in ALLOWED if not (SRC / m).exists() or not _ddl_fstrings(SRC / m)]
    assert not stale, stale
