"""Parameters that hit, typed parameters and honest verdicts (issue 14), on a real server.

- a parameter inside an expression takes its column's type, so `round(:amount * :fx_rate, 8)`
  prepares (untyped it fails: "operator is not unique: unknown * unknown");
- `returns: N` draws parameters that select about N rows, ranges included;
- a pattern whose parameters cannot hit is NOT MEASURED, never PASS; one that errors is ERROR,
  never FAIL; one far from its declared `returns` is NOT MEASURED; in `bench` and in `validate`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import design_of
from schemawright import model as m
from schemawright.database import Database, DatabaseError, sandboxed_database
from schemawright.database.urls import with_database
from schemawright.generation.run import generate
from schemawright.performance import bench, draws
from schemawright.pipeline import design_file
from schemawright.security.names import run_roles, scoped
from schemawright.performance.report import summary, to_bench_markdown
from schemawright.performance.results import BenchResult
from schemawright.performance.timing import time_pattern
from schemawright.sql.postgresql import render_down, render_up
from schemawright.validation.params import positional
from schemawright.validation.patterns import run_pattern
from schemawright.validation.prepare import column_types, prepare
from schemawright.validation.run import validate
from schemawright.validation.synthetic import design_enums

SPEC = """\
project: hits
entities:
  Customer:
    attributes:
      email: {type: email, required: true, unique: true}
  Order:
    attributes:
      placed_at: {type: timestamp, required: true}
      amount: {type: decimal, precision: 18, scale: 8, required: true}
      amount_usd: {type: decimal, precision: 18, scale: 8}
relationships:
  - {from: Customer, to: Order, type: one-to-many, required: true}
access_patterns:
  - name: convert
    query: |
      INSERT INTO orders (customer_id, placed_at, amount, amount_usd)
      VALUES (:customer_id, now(), :amount, round(:amount * :fx_rate, 8))
  - name: orders_since
    query: SELECT id FROM orders WHERE customer_id = :customer_id AND placed_at >= :since
    returns: 3
  - name: orders_between
    query: SELECT id FROM orders WHERE placed_at BETWEEN :from_at AND :to_at
    returns: 40
  - name: orders_before
    query: SELECT id FROM orders WHERE :before > placed_at
    returns: 12
  - name: cannot_hit
    query: SELECT id FROM customers WHERE email = :email AND email LIKE 'nobody%'
  - name: breaks
    query: SELECT id / (id - id) FROM customers WHERE email = :email
  - name: too_few
    query: SELECT id FROM customers WHERE email = :email
    returns: 500
volumes:
  Customer: {rows: 300}
  Order: {rows: 3000}
"""
RUNS = 10


@pytest.fixture(scope="module")
def measured(pg_url: str) -> BenchResult:
    return bench(design_of(SPEC), 1.0, database_url=pg_url, runs=RUNS, warmup=1, seed=2)


def _by_name(result: BenchResult) -> dict:
    return {p.name: p for p in result.patterns}


def test_a_parameter_inside_arithmetic_takes_its_column_type(pg_url: str) -> None:
    design = design_of(SPEC)
    convert = next(p for p in design.access_patterns if p.name == "convert")
    names = positional(convert.sql).names
    assert column_types(convert.sql, design, names) == ("unknown", "numeric(18,8)", "numeric(18,8)")
    with Database(pg_url) as db:
        db.execute("CREATE SCHEMA sw_typed; SET search_path = sw_typed")
        try:
            db.execute(render_up(design))
            bare = positional(convert.sql).sql
            with pytest.raises(DatabaseError, match="unknown \\* unknown"):  # what it did before
                db.execute(f"PREPARE untyped AS {bare}")
            prepared = prepare(db, "typed", convert.sql, design)
            assert prepared.types == ("bigint", "numeric", "numeric")
            assert prepared.declared == ("unknown", "numeric(18,8)", "numeric(18,8)")
            db.execute("DEALLOCATE typed")
            # A statement that fails for another reason keeps its own error.
            with pytest.raises(DatabaseError, match="no_such_column"):
                prepare(db, "broken", "SELECT no_such_column FROM orders WHERE amount = :a * :b", design)
        finally:
            db.execute("RESET search_path; DROP SCHEMA sw_typed CASCADE")


def test_typed_parameters_are_measured(measured: BenchResult) -> None:
    convert = _by_name(measured)["convert"]
    assert convert.error is None and convert.verdict == "PASS" and convert.rows == 1.0


def test_returns_draws_parameters_that_select_about_that_many_rows(measured: BenchResult) -> None:
    since, between = _by_name(measured)["orders_since"], _by_name(measured)["orders_between"]
    assert since.verdict == "PASS" and since.rows is not None and 1.5 <= since.rows <= 4, since.rows
    assert between.verdict == "PASS" and between.rows is not None and 30 <= between.rows <= 45, between.rows
    assert between.bindings > 1  # a different window each run
    before = _by_name(measured)["orders_before"]  # an upper bound, written parameter first
    assert before.verdict == "PASS" and before.rows is not None and 8 <= before.rows <= 12, before.rows


def test_parameters_that_cannot_hit_are_not_measured(measured: BenchResult) -> None:
    missed = _by_name(measured)["cannot_hit"]
    assert missed.latency is not None and missed.rows == 0 and missed.empty_runs == RUNS
    assert missed.verdict == "NOT MEASURED"
    assert "no row in any of its 10 timed runs although customers holds rows" in (missed.not_measured or "")
    assert missed in measured.missed and not measured.passed


def test_far_from_the_declared_rows_is_not_measured(measured: BenchResult) -> None:
    few = _by_name(measured)["too_few"]
    assert few.rows == 1.0 and few.verdict == "NOT MEASURED"
    assert "1.0 rows per run where the spec says about 500" in (few.not_measured or "")


def test_an_error_is_an_error_not_a_missed_target(measured: BenchResult) -> None:
    broken = _by_name(measured)["breaks"]
    assert broken.verdict == "ERROR" and "division by zero" in (broken.error or "")


def test_the_report_counts_each_verdict_apart(measured: BenchResult) -> None:
    text = summary(measured)
    assert "2 not measured" in text and "1 error" in text and "miss it" not in text, text
    markdown = to_bench_markdown(measured)
    assert "**NOT MEASURED**" in markdown and "**ERROR**" in markdown
    assert "Patterns measured on nothing" in markdown
    assert "| 40 (about 40 declared) |" in markdown  # the rows measured beside the rows declared
    assert f"- **Server:** PostgreSQL {measured.server_version.split()[0]}" in markdown  # which server


def test_validate_says_error_and_not_measured(pg_url: str) -> None:
    design = design_of(SPEC)
    report = validate(design, render_up(design), render_down(design), database_url=pg_url, rows=30, runs=3)
    status = {p.name: p.status for p in report.patterns}
    assert status["breaks"] == "ERROR" and status["cannot_hit"] == "NOT MEASURED", status
    assert status["convert"] == "PASS" and status["orders_since"] == "PASS", status
    assert any(c.name == "pattern: breaks" for c in report.failures)  # an error fails validate
    assert not any(c.name == "pattern: cannot_hit" for c in report.failures)  # shown, counted apart
    assert report.server_version and report.server_version[0].isdigit()



TICKETING = Path(__file__).resolve().parent.parent / "examples" / "ticketing.yaml"


@pytest.fixture(scope="module")
def ticketing(pg_url: str) -> Iterator[tuple[Database, m.Design]]:
    """The ticketing example at 1 %: some seats of each performance still free."""
    design = design_file(TICKETING)
    with sandboxed_database(pg_url, design.extensions, run_roles(design)) as box:
        design = scoped(design, box.database) if design.roles else design
        generate(design, box.url, 0.01, 1, None)
        with Database(box.url) as db:
            db.execute("ANALYZE")
            yield db, design


@pytest.mark.parametrize("aware", [True, False])
def test_inserted_parents_pass_the_rules_and_leave_unique_keys_free(ticketing, aware: bool,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """hold_seat inserts a ticket: its performance must be on sale (parent_check) and the seat not yet
    sold for it (at_most_one per performance and seat); drawn blindly, most runs are refused."""
    if not aware:  # the check can fail: without the rule-aware draws the pattern cannot be measured
        monkeypatch.setattr(draws, "_accepted", lambda *_args: [])
        monkeypatch.setattr(draws, "_free_keys", lambda *_args: ([], []))
    db, design = ticketing
    pattern = next(p for p in design.access_patterns if p.name == "hold_seat")
    hold = time_pattern(db, design, pattern, runs=RUNS, warmup=1, enums=design_enums(design), seed=1)
    if aware:
        assert hold.verdict in ("PASS", "FAIL") and hold.rows == 1.0, hold.error
        assert hold.refused < RUNS
    else:
        assert hold.verdict == "ERROR" and "fails with the values drawn from the data" in (hold.error or "")


def test_a_draw_postgresql_refuses_is_reported_not_skipped(ticketing, monkeypatch: pytest.MonkeyPatch) -> None:
    """A draw query that fails leaves its parameters at one value for every run; bench says so."""
    db, design = ticketing
    pattern = next(p for p in design.access_patterns if p.name == "hold_seat")
    clean = time_pattern(db, design, pattern, runs=RUNS, warmup=1, enums=design_enums(design), seed=1)
    assert clean.draw_failures == ()
    monkeypatch.setattr(draws, "_accepted", lambda *_args: ["p.no_such_column IS NULL"])  # PostgreSQL refuses it
    broken = time_pattern(db, design, pattern, runs=RUNS, warmup=1, enums=design_enums(design), seed=1)
    assert broken.draw_failures and "no_such_column" in broken.draw_failures[0]
    report = to_bench_markdown(BenchResult(design.project, 0.01, 1, RUNS, 1, "embedded", patterns=[broken]))
    assert "a parameter draw failed" in report and "no_such_column" in report


def test_fresh_inserted_values_start_beyond_a_large_tables_rows(pg_url: str) -> None:
    """A fresh unique value starts past the rows the table holds: 10,000,000 + k was taken
    among shop's 14 M orders at full volume ('ordernumber-10003002')."""
    from schemawright.validation.patterns import FRESH_SERIAL, Binder

    design = design_of(SPEC)
    with sandboxed_database(pg_url, design.extensions) as box, Database(box.url) as db:
        db.execute(render_up(design))
        binder = Binder(db, design, {}, "fresh", design.access_patterns[0].sql)
        assert binder._fresh_from("orders") == FRESH_SERIAL  # an empty table
        with Database(with_database(pg_url, box.database)) as admin:  # statistics of 14 M rows, as ANALYZE leaves them
            admin.execute("UPDATE pg_class SET reltuples = 14000000 WHERE oid = 'orders'::regclass")
        assert binder._fresh_from("orders") == 100_000_000
