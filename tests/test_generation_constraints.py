"""Generation loads every declared row of tables whose constraints tie rows and columns together
(tests/specs/generation_constraints.yaml): a unique key led by a two-letter code, a partial
unique index, an exclusion (no overlapping appointments per doctor), life-cycle CHECKs with
their timestamps, a balanced ledger with at least two lines per entry, a one-to-one self key,
and junction and list tables with their own volumes.  PostgreSQL checks every constraint as the
rows arrive; these tests add the counts, the rules a trigger keeps (loaded with triggers off),
and the declared-against-loaded check that bench and validate fail on.
"""

from __future__ import annotations

from pathlib import Path

from helpers import design_of

from rich.console import Console

from schemawright.commands.bench import verdict
from schemawright.database import Database, scratch_database
from schemawright.generation import generate, plan
from schemawright.performance.loaded_rows import loaded_rows_section, short_message
from schemawright.performance.report import to_bench_markdown
from schemawright.performance.results import BenchResult
from schemawright.pipeline import design_file

SPEC = Path(__file__).resolve().parent / "specs" / "generation_constraints.yaml"
SCALE = 0.1

# A volume no generator can meet: a unique rating of 1 to 5 in 40 rows.
TOO_FEW_VALUES = """
project: too_few
entities:
  Review:
    attributes:
      rating: {type: integer, required: true, min: 1, max: 5, unique: true}
volumes:
  Review: {rows: 40}
"""


def test_every_constraint_is_met_at_the_declared_volumes(pg_url):
    design = design_file(SPEC)
    planned = plan(design, SCALE)
    assert planned["patient_allergies"] == 3000 and planned["care_team"] == 15000  # their own volumes
    with scratch_database(pg_url) as url:
        result = generate(design, url, scale=SCALE, seed=3)
        with Database(url) as db:
            loaded = {t: db.query_value(f"SELECT count(*) FROM {t}") for t in planned}
            unbalanced = db.query_value("SELECT count(*) FROM (SELECT entry_id FROM lines GROUP BY entry_id "
                                        "HAVING sum(amount) <> 0 OR count(*) < 2) AS g")
            booked_twice = db.query_value("SELECT count(*) FROM (SELECT patient_id FROM appointments "
                                          "WHERE status = 'booked' GROUP BY patient_id HAVING count(*) > 1) AS g")
            statuses = db.query_value("SELECT count(DISTINCT status) FROM appointments")
            successors = db.query_value("SELECT count(successor_id) - count(DISTINCT successor_id) FROM employees")
    assert not result.notes, result.notes  # no rule broken by the rows loaded with its trigger off
    assert result.short == [], [t.shortfall() for t in result.short]
    assert all(t.rows == t.planned == loaded[t.table] for t in result.tables), result.tables
    assert all(t.declared == t.planned for t in result.tables if t.declared is not None)
    assert loaded["appointments"] == 25_000 and loaded["patients"] == 10_000
    assert unbalanced == 0 and booked_twice == 0 and successors == 0
    assert statuses == 4  # the life-cycle CHECKs were met without giving up any state


def test_a_table_short_of_its_volume_fails_with_its_cause(pg_url):
    with scratch_database(pg_url) as url:
        short = generate(design_of(TOO_FEW_VALUES), url, scale=1, seed=1)
    with scratch_database(pg_url) as url:
        full = generate(design_file(SPEC), url, scale=0.01, seed=1)
    (review,) = short.tables
    assert (review.rows, review.declared, review.short) == (5, 40, True)
    failing = BenchResult("too_few", 1, 1, 1, 0, "test", tables=short.tables)
    passing = BenchResult("genproof", 0.01, 1, 1, 0, "test", tables=full.tables)
    assert not failing.passed and passing.passed
    message = short_message(failing)
    assert message is not None and "table reviews: 5 of 40 rows loaded (87.5 % short)" in message
    assert "unique keys allow no more" in message
    assert short_message(passing) is None
    section = "\n".join(loaded_rows_section(failing))
    assert "| `reviews` | 40 | 5 | **SHORT** |" in section and "the bench fails" in section
    assert "**SHORT**" not in "\n".join(loaded_rows_section(passing))
    bench_md = to_bench_markdown(failing)
    assert "**1 table(s) hold more than 1 % fewer rows than declared** (`reviews`" in bench_md
    assert "## Rows loaded" in bench_md and "Every table holds its declared rows" in to_bench_markdown(passing)
    said, errors = Console(record=True, width=300), Console(record=True, width=300)
    assert verdict(failing, False, said, errors) == 1  # the terminal's exit code and reason
    assert "1 table(s) loaded more than 1 % below their declared rows: table reviews: 5 of 40" in errors.export_text()
    assert verdict(passing, False, said, errors) == 0


_CATALOG = """
SELECT 'index', indexrelid::regclass::text, pg_get_indexdef(indexrelid), obj_description(indexrelid, 'pg_class')
FROM pg_index WHERE indrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'public'::regnamespace)
UNION ALL
SELECT 'constraint', conname::text, pg_get_constraintdef(oid) || ' ' || convalidated::text,
       obj_description(oid, 'pg_constraint')
FROM pg_constraint WHERE connamespace = 'public'::regnamespace
UNION ALL
SELECT 'trigger', tgname::text, tgenabled::text, NULL FROM pg_trigger WHERE NOT tgisinternal
ORDER BY 1, 2
"""


def test_keys_made_after_the_load_are_the_schemas_own(pg_url):
    """Foreign keys and plain indexes are dropped for the load and made again after it (as
    restore tools do), the audit trigger paused: the catalog ends as the up migration made it."""
    from schemawright.sql.postgresql import render_up
    from schemawright.validation.script import run_script

    # partitioned tables (an index on each partition), foreign keys left unindexed on purpose (a comment)
    design = design_file(Path(__file__).resolve().parent.parent / "examples" / "iot_telemetry.yaml")
    with scratch_database(pg_url) as url, Database(url) as db:
        assert run_script(db, render_up(design)) is None
        made = db.query(_CATALOG)
    with scratch_database(pg_url) as url:
        result = generate(design, url, scale=0.00001, seed=2)
        with Database(url) as db:
            after = db.query(_CATALOG)
            who = db.query("SELECT DISTINCT created_by FROM alert_rules UNION SELECT DISTINCT updated_by FROM devices")
            partitioned = db.query_value("SELECT count(*) FROM pg_inherits WHERE inhparent = 'readings'::regclass")
            me = db.query_value("SELECT current_user")
    assert result.schema_applied and not result.short
    assert any(kind == "constraint" and comment for kind, _, _, comment in made)  # "No index on purpose: ..."
    assert partitioned > 1 and after == made
    assert who == [(me,)]  # the audit columns' defaults: who the trigger would have named
