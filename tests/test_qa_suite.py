"""The QA hand-off `design` writes under tests/ (issue 11 §3), run for real on the machine's
PostgreSQL 15 with pgTAP: the pgTAP suite passes under pg_prove and the plain-SQL suite under
psql on a database loaded the way `validate` loads it, both fail on an empty one, the
data-quality queries run, and a mutation test drops every constraint, unique index and rule
trigger in turn and checks that both suites catch each one.

Skipped when the server, psql, pg_prove or the pgtap extension is missing (.ci/run installs
Debian's postgresql-15-pgtap).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers import LOCAL_PG15_URL
from schemawright import model as m
from schemawright.database import Database, DatabaseError
from schemawright.database.scratch import scratch_database
from schemawright.pipeline import deliverables, design_file
from schemawright.qa.checks import suite
from schemawright.sql.quoting import quote_ident as q
from schemawright.validation.report import TableFill
from schemawright.validation.rule_load import balance_groups, rules_paused
from schemawright.validation.script import run_script
from schemawright.validation.synthetic import design_enums, fill_tables

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "tests" / "fixtures" / "qa_booking_ledger.yaml"
QA_FILES = ("tests/pgtap/constraints.sql", "tests/sql/constraints.sql", "tests/sql/data_quality.sql", "tests/README.md")


def _server_or_skip() -> None:
    for tool in ("psql", "pg_prove"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (apt-get install postgresql-15-pgtap)")
    try:
        with Database(LOCAL_PG15_URL) as db:
            if not db.query_value("SELECT 1 FROM pg_available_extensions WHERE name = 'pgtap'"):
                pytest.skip("pgTAP is not installed on PostgreSQL 15 (apt-get install postgresql-15-pgtap)")
    except DatabaseError as error:
        pytest.skip(f"no PostgreSQL at {LOCAL_PG15_URL}: {error}")


@dataclass
class Loaded:
    url: str
    design: m.Design
    files: dict[str, str]
    folder: Path
    fills: list[TableFill]

    def path(self, name: str) -> str:
        return str(self.folder / name)


def _write(files: dict[str, str], folder: Path) -> None:
    for name in QA_FILES:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(files[name], encoding="utf-8")


@contextmanager
def _loaded(spec: Path, folder: Path) -> Iterator[Loaded]:
    """`spec` applied and loaded as `validate` loads it (rule triggers paused while synthetic
    rows go in, sum groups balanced), its QA files written to `folder`."""
    design = design_file(spec)
    files = deliverables(design)
    _write(files, folder)
    with scratch_database(LOCAL_PG15_URL) as url:
        with Database(url) as db:
            assert run_script(db, files["schema.sql"]) is None
            with rules_paused(db, design):
                fills = fill_tables(db, design, rows=20, seed=0, enums=design_enums(design))
                balance_groups(db, design)
        yield Loaded(url, design, files, folder, fills)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    _server_or_skip()
    with _loaded(SPEC, tmp_path_factory.mktemp("qa")) as found:
        yield found


# The fixture spec, and the bundled example whose correctness lives in its rules.
@pytest.fixture(scope="module", params=[SPEC, ROOT / "examples" / "ticketing.yaml"], ids=lambda p: p.stem)
def any_loaded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    _server_or_skip()
    with _loaded(request.param, tmp_path_factory.mktemp("qa")) as found:
        yield found


def test_every_table_of_the_fixture_is_filled(loaded: Loaded) -> None:
    """A `matches` composite key must not starve its table (synthetic.py draws it first)."""
    assert [(f.table, f.rows) for f in loaded.fills] == [(f.table, 20) for f in loaded.fills], loaded.fills


def _psql(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["psql", "-X", "-v", "ON_ERROR_STOP=1", "-d", url, *args], capture_output=True,
                          text=True, timeout=120)


def test_design_writes_the_qa_files_deterministically() -> None:
    design = design_file(SPEC)
    files = deliverables(design)
    assert set(QA_FILES) <= set(files)
    assert deliverables(design_file(SPEC)) == files
    found = suite(design)
    pgtap = files["tests/pgtap/constraints.sql"]
    assert f"SELECT plan({found.count});" in pgtap and pgtap.rstrip().endswith("ROLLBACK;")
    # Concurrent cases need two sessions: left out, and said so in the header.
    assert found.concurrent and all(a.description in pgtap for a in found.concurrent)
    assert pgtap.count("pg_temp.sw_attempt($sw$") == len(found.proofs) == files["tests/sql/constraints.sql"].count(
        "pg_temp.sw_attempt($sw$")


def test_both_suites_pass_on_the_loaded_design(any_loaded: Loaded) -> None:
    loaded = any_loaded
    started = time.monotonic()
    proved = subprocess.run(["pg_prove", "-d", loaded.url, loaded.path("tests/pgtap/constraints.sql")],
                            capture_output=True, text=True, timeout=120)
    assert proved.returncode == 0, proved.stdout + proved.stderr
    assert "All tests successful" in proved.stdout
    plain = _psql(loaded.url, "-f", loaded.path("tests/sql/constraints.sql"))
    assert plain.returncode == 0, plain.stdout + plain.stderr
    count = suite(loaded.design).count
    assert f"{count} checks: " in plain.stdout.splitlines()[-1], plain.stdout[-500:]
    print(f"\n{len(suite(loaded.design).proofs)} attempts, {count} checks; both suites in "
          f"{time.monotonic() - started:.2f} s")


def test_data_quality_queries_find_rows_loaded_with_the_triggers_off(loaded: Loaded) -> None:
    run = _psql(loaded.url, "-A", "-t", "-f", loaded.path("tests/sql/data_quality.sql"))
    assert run.returncode == 0, run.stderr
    text = loaded.files["tests/sql/data_quality.sql"]
    for rule in ("booking_flow", "entry_balances", "entry_in_open_period"):
        assert f"-- rule {rule} (" in text
    # Random periods and posting dates: the parent_check rule's rows were never checked.
    with Database(loaded.url) as db:
        broken = db.query_value("SELECT count(*) FROM entries AS e JOIN periods AS p ON p.id = e.period_id "
                                "WHERE NOT (e.posted_on BETWEEN p.starts_on AND p.ends_on AND p.status = 'open')")
    assert broken and len(re.findall(r"^entry_in_open_period\|", run.stdout, re.M)) == broken
    assert not re.search(r"^(booking_flow|entry_balances)\|", run.stdout, re.M), run.stdout  # balanced, reachable


def test_an_empty_table_fails_the_suites(tmp_path: Path) -> None:
    """SQLSTATE SWNOD (nothing to try) is a failure, never a pass."""
    _server_or_skip()
    design = design_file(SPEC)
    files = deliverables(design)
    _write(files, tmp_path)
    with scratch_database(LOCAL_PG15_URL) as url:
        with Database(url) as db:
            db.execute(files["schema.sql"])
        plain = _psql(url, "-f", str(tmp_path / "tests/sql/constraints.sql"))
        assert plain.returncode == 3 and "got: SWNOD: nothing to try" in plain.stderr, plain.stderr
        proved = subprocess.run(["pg_prove", "-d", url, str(tmp_path / "tests/pgtap/constraints.sql")],
                                capture_output=True, text=True, timeout=120)
        assert proved.returncode != 0 and "have: SWNOD" in proved.stderr + proved.stdout


# ---------------------------------------------------------------- mutation test

_CONSTRAINTS = """
SELECT conrelid::regclass::text, conname::text, contype::text FROM pg_constraint
WHERE conrelid = ANY(%s::regclass[]) AND contype IN ('p', 'u', 'f', 'c', 'x') AND conparentid = 0 ORDER BY 1, 2
"""
# Unique indexes that back no constraint: the partial ones of at_most_one / exactly_one rules.
_UNIQUE_INDEXES = """
SELECT indrelid::regclass::text, indexrelid::regclass::text FROM pg_index
WHERE indisunique AND indrelid = ANY(%s::regclass[])
  AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = indexrelid) ORDER BY 1, 2
"""


def _mutants(loaded: Loaded) -> list[tuple[str, str]]:
    """(what, the statement that removes it) for every constraint, unique index and rule trigger."""
    tables = [q(t.name) for t in loaded.design.tables]
    out = []
    with Database(loaded.url) as db:
        for table, name, kind in db.query(_CONSTRAINTS, [tables]):
            out.append((f"{kind} {name}", f"ALTER TABLE {table} DROP CONSTRAINT {q(name)} CASCADE"))
        for table, index in db.query(_UNIQUE_INDEXES, [tables]):
            out.append((f"unique index {index}", f"DROP INDEX {index} CASCADE"))
    enforcing = {n for r in loaded.design.rules for n in r.enforced_by}
    out += [(f"trigger {t.name}", f"DROP TRIGGER {q(t.name)} ON {q(t.table)}") for t in loaded.design.triggers
            if t.name in enforcing]
    return out


def test_every_dropped_constraint_and_rule_trigger_is_caught(any_loaded: Loaded) -> None:
    """Each mutant is made inside a transaction the suite's own ROLLBACK ends (psql runs `BEGIN`,
    the DROP, then the file, in one session), so the loaded database is never changed."""
    loaded = any_loaded
    started = time.monotonic()
    found = suite(loaded.design)
    attempts = len(found.proofs)
    mutants = _mutants(loaded)
    rule_of = {n: r.name for r in loaded.design.rules for n in r.enforced_by}
    missed_plain, missed_pgtap, by_attempt, elsewhere = [], [], [], []
    for what, drop in mutants:
        plain = _psql(loaded.url, "-q", "-c", "BEGIN", "-c", drop, "-f", loaded.path("tests/sql/constraints.sql"))
        failed = re.search(r"check (\d+) failed: (.*)", plain.stderr)
        if plain.returncode == 0 or not failed:
            missed_plain.append(f"{what}: exit {plain.returncode} {plain.stderr[-300:]}")
        elif what.startswith("trigger ") and not failed.group(2).startswith(
                (f"rule {rule_of[what.split()[1]]}:", f"{what} on ")):
            # A dropped trigger fails its own rule's proof or structure check, not some other
            # attempt on the table (one that switches the rule's triggers off, say).
            elsewhere.append(f"{what}: {failed.group(0)}")
        tap = _psql(loaded.url, "-q", "-A", "-t", "-c", "BEGIN", "-c", drop, "-f",
                    loaded.path("tests/pgtap/constraints.sql"))
        failing = [int(n) for n in re.findall(r"^not ok (\d+)", tap.stdout, re.M)]
        if not failing:
            missed_pgtap.append(f"{what}: {tap.stdout[-300:]} {tap.stderr[-300:]}")
        if failing and min(failing) <= attempts:
            by_attempt.append(what)
    seconds = time.monotonic() - started
    print(f"\nmutants: {len(mutants)}; caught by the plain suite {len(mutants) - len(missed_plain)}, by pgTAP "
          f"{len(mutants) - len(missed_pgtap)}, by an attempt (not only a structure check) {len(by_attempt)}; "
          f"{seconds:.1f} s")
    print("caught only by a structure check: " + ", ".join(w for w, _ in mutants if w not in by_attempt))
    assert len(mutants) >= 30, mutants
    assert not missed_plain, missed_plain
    assert not missed_pgtap, missed_pgtap
    assert not elsewhere, elsewhere
    # Every constraint and unique index is caught by trying to break it, not only by its absence.
    keys = [w for w, _ in mutants if not w.startswith("trigger ")]
    assert [w for w in keys if w not in by_attempt] == []
