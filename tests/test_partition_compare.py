"""bench measures a partitioning scheme against the same design without it: the patterns of
the table and its retention job, both numbers in bench.md and report.md, and a verdict that
says when the scheme does not pay.  Runs against the session's PostgreSQL (embedded by default)."""

from __future__ import annotations

from datetime import date

import pytest

from helpers import design_of
from schemawright.database import Database
from schemawright.database.scratch import scratch_database
from schemawright.generation import generate
from schemawright.performance import bench
from schemawright.performance.partition_compare import (PartitionComparison, PatternPair, RetentionPair,
                                                         for_generated_rows)
from schemawright.performance.partition_report import partitioning_section, verdict
from schemawright.performance.report import performance_section, to_bench_markdown
from schemawright.performance.results import Latency
from schemawright.partitioning.steady import over_span, unpartitioned

# A library that asked for weekly partitions of its loans: ~100 partitions over the generated
# two years, and its hot pattern never names the date, so it probes every partition.
LIBRARY = """\
project: library
go_live: 2027-03-01
entities:
  Member:
    attributes:
      name: {type: string, max_length: 80, required: true}
  Loan:
    partition: range(loaned_at, 1 week)
    attributes:
      loaned_at: {type: timestamp, required: true}
      due_on: {type: date, required: true}
      returned_at: timestamp
relationships:
  - {from: Member, to: Loan, type: one-to-many}
access_patterns:
  - {name: member_loans, query: "SELECT id, due_on FROM loans WHERE member_id = :member_id",
     frequency: 200, latency_p95_ms: 50}
volumes:
  Member: {rows: 2000}
  Loan: {rows: 30000, growth_per_month: 150000, retention_months: 84}
"""


def test_bench_finds_weekly_partitions_of_a_small_table_do_not_pay(pg_url: str) -> None:
    result = bench(design_of(LIBRARY), 1.0, database_url=pg_url, runs=30, warmup=3, seed=1)
    [found] = result.partitioning
    assert found.table == "loans" and found.scheme == "range by loaned_at, 1 week"
    assert found.partitions > 100 and found.rows == 30000, (found.partitions, found.rows)
    [pair] = found.patterns
    assert pair.name == "member_loans" and pair.partitioned and pair.plain and pair.error is None
    # One index probe per partition against one: the partitioned side is the slower one.
    assert pair.partitioned.p50 > pair.plain.p50, pair
    retention = found.retention
    assert retention is not None and retention.partition.startswith("loans_p") and retention.rows > 0
    assert found.pays is False
    # Overturning the design's choice: both sides timed again back to back, not against bench's earlier timing.
    assert found.confirmed and pair.plain != next(p.latency for p in result.patterns if p.name == "member_loans")
    bench_md = to_bench_markdown(result)
    assert "both sides timed again back to back" in bench_md
    assert "## Partitioning: measured against one table" in bench_md
    assert "**does not pay** at this scale" in bench_md and "`partition: none`" in bench_md
    assert "| `loans` | `member_loans` | 200 |" in bench_md
    report_md = "\n".join(performance_section(result))
    assert "### Partitioning: measured against one table" in report_md and "does not pay" in report_md
    # Every row sits in a partition, none in DEFAULT: the partitions cover the generated span.
    assert found.rows == 30000


def test_generated_rows_land_in_partitions_not_default(pg_url: str) -> None:
    design = design_of(LIBRARY)
    # A month back for the 30,000 rows declared now (4 weeks), go-live's week, 4 ahead, DEFAULT.
    assert len(design.table("loans").partitioning.partitions) == 10
    covered = for_generated_rows(design)
    assert len(covered.table("loans").partitioning.partitions) > 100
    with scratch_database(pg_url) as scratch:
        generate(covered, scratch, scale=0.1, seed=2)
        with Database(scratch) as db:
            in_default = db.query_value("SELECT count(*) FROM loans_default")
            total = db.query_value("SELECT count(*) FROM loans")
    assert total == 3000 and in_default == 0
    # Without the extra partitions every generated row (all before go-live) lands in DEFAULT.
    with scratch_database(pg_url) as scratch:
        generate(design, scratch, scale=0.1, seed=2)
        with Database(scratch) as db:
            assert db.query_value("SELECT count(*) FROM loans_default") == 3000


def test_the_one_table_side_has_no_partitioning_and_its_own_key() -> None:
    design = design_of(LIBRARY)
    assert design.table("loans").primary_key.columns == ("id", "loaned_at")
    plain = unpartitioned(design)
    assert plain.table("loans").partitioning is None and plain.table("loans").primary_key.columns == ("id",)
    assert not [f for f in plain.functions if f.name == "loans_partition_maintenance"]
    # Extending over a span keeps the initial partitions and never doubles one.
    wide = over_span(design, {"loans": (date(2027, 2, 1), date(2027, 3, 20))})
    names = [p.name for p in wide.table("loans").partitioning.partitions]
    assert names[:5] == ["loans_p20270201", "loans_p20270208", "loans_p20270215", "loans_p20270222",
                         "loans_p20270301"] and names[-1] == "loans_default" and len(names) == len(set(names))


def _found(with_p50: float, without_p50: float, retention: tuple[float, float] | None) -> PartitionComparison:
    found = PartitionComparison("t", "range by at, 1 month", 10, 1000)
    found.patterns.append(PatternPair("p", 10.0, Latency(with_p50, with_p50, with_p50, 10),
                                      Latency(without_p50, without_p50, without_p50, 10)))
    if retention:
        found.retention = RetentionPair("t_p20270101", 100, *retention)
    return found


@pytest.mark.parametrize(("with_p50", "without_p50", "retention", "pays"), [
    (0.50, 0.50, (1.0, 20.0), True),  # same patterns, much cheaper retention
    (0.54, 0.50, (1.0, 20.0), True),  # within the tolerance between two databases
    (2.00, 0.50, (1.0, 20.0), False),  # retention cheaper, but every query four times slower
    (0.50, 0.50, (30.0, 20.0), False),  # retention slower partitioned
    (0.30, 0.50, None, True),  # no retention: the patterns must be faster
    (0.50, 0.50, None, False),
])
def test_the_verdict_weighs_patterns_and_retention(with_p50: float, without_p50: float,
                                                   retention: tuple[float, float] | None, pays: bool) -> None:
    found = _found(with_p50, without_p50, retention)
    assert found.pays is pays
    said = verdict(found)
    assert said.startswith("pays at this scale") if pays else said.startswith("**does not pay**"), said
    assert "ms of work per second" in said


def test_nothing_measured_means_no_section() -> None:
    class Result:
        partitioning: list = []

    assert partitioning_section(Result()) == []  # type: ignore[arg-type]


def test_a_declared_data_range_sets_the_span_covered() -> None:
    ranged = LIBRARY.replace("loaned_at: {type: timestamp, required: true}",
                             "loaned_at: {type: timestamp, required: true, data: {range: [2026-06-01, 2026-07-31]}}")
    names = [p.name for p in for_generated_rows(design_of(ranged)).table("loans").partitioning.partitions]
    assert names[0] == "loans_p20260601" and "loans_p20260727" in names  # the Mondays from June 1 to July 27
    assert "loans_p20260803" not in names and "loans_p20270301" in names  # nothing past the range but go-live's


def test_the_retention_job_is_scaled_to_the_declared_volume() -> None:
    found = _found(0.5, 0.5, (2.0, 120.0))
    found.scale = 0.0005
    assert "at the declared volume (× 2,000) the DELETE would take at least 4 min" in verdict(found)
    found.scale = 1.0
    assert "the DELETE would take" not in verdict(found)
    # What DROP saves a day (118 ms once a month) cannot pay for patterns 10 % slower all day long.
    assert found.pays is True
    found.patterns[0] = PatternPair("p", 10.0, Latency(0.6, 0.6, 0.6, 10), Latency(0.5, 0.5, 0.5, 10))
    assert found.pays is False and "the patterns lose 43.2 s" in verdict(found), verdict(found)


def test_rows_span_the_retention_as_in_steady_state(pg_url: str) -> None:
    """A 3-month retention: the key's generated values span the last 3 months (older rows are
    gone in steady state), so bench's table has the ~14 weekly partitions it would have then."""
    design = design_of(LIBRARY.replace("retention_months: 84", "retention_months: 3"))
    covered = for_generated_rows(design)
    loan = next(a for e in covered.entities if e.name == "Loan" for a in e.attributes if a.name == "loaned_at")
    assert loan.data is not None and loan.data.low and loan.data.high
    weekly = [p for p in covered.table("loans").partitioning.partitions if p.bound.kind == "range"]
    # 3 months and a month ahead (~18 weeks), plus the 9 weeks of the design's own (history, go-live's, 4 after).
    assert 18 <= len(weekly) <= 30, len(weekly)
    with scratch_database(pg_url) as scratch:
        generate(covered, scratch, scale=0.1, seed=2)
        with Database(scratch) as db:
            oldest, in_default = db.query("SELECT min(loaned_at)::date::text, (SELECT count(*) FROM loans_default) "
                                          "FROM loans")[0]
    assert oldest >= loan.data.low and in_default == 0
