"""A large table the design leaves as one table is measured too: bench times its patterns
against the same design with the table partitioned by its best candidate scheme, and both
numbers back the "stays one table" line; when no scheme is possible the reason is the backing.
Runs against the session's PostgreSQL (embedded by default)."""

from __future__ import annotations

import pytest

from helpers import design_of
from schemawright.partitioning.candidate import best_candidate, large_unpartitioned
from schemawright.partitioning.steady import with_schemes
from schemawright.performance import bench, partition_compare
from schemawright.performance.partition_compare import PartitionComparison, PatternPair
from schemawright.performance.partition_report import verdict
from schemawright.performance.report import performance_section, to_bench_markdown
from schemawright.performance.results import Latency

# 60 M visits, read only by member: no pattern filters a time and no retention, so the design
# keeps one table; the best candidate is hash by the column every pattern pins.
CLINIC = """\
project: clinic
go_live: 2027-03-01
entities:
  Member:
    attributes:
      name: {type: string, max_length: 80, required: true}
  Visit:
    attributes:
      visited_at: {type: timestamp, required: true}
      note: {type: string, max_length: 40}
relationships:
  - {from: Member, to: Visit, type: one-to-many}
access_patterns:
  - {name: member_visits, query: "SELECT id, visited_at FROM visits WHERE member_id = :member_id",
     frequency: 100, latency_p95_ms: 50}
volumes:
  Member: {rows: 4000000}
  Visit: {rows: 60000000}
security:
  roles:
    - {name: front_desk, read: ["*"], write: [Visit]}
"""


def test_a_large_table_left_as_one_is_measured_against_its_best_scheme(pg_url: str) -> None:
    design = design_of(CLINIC)
    assert design.table("visits").partitioning is None
    assert [t.name for t in large_unpartitioned(design)] == ["visits"]
    result = bench(design, 0.0002, database_url=pg_url, runs=20, warmup=2, seed=1)
    [found] = result.partitioning
    assert found.table == "visits" and not found.design_partitioned and found.impossible is None
    assert found.scheme == "hash by member_id" and found.partitions == 4 and found.rows == 12000, found
    [pair] = found.patterns
    assert pair.name == "member_visits" and pair.error is None and pair.partitioned and pair.plain, pair
    # Four hash partitions cost every lookup more: one table is right.
    assert found.pays is False and pair.partitioned.p50 > pair.plain.p50, pair
    if not found.confirmed:  # a noisy first timing said otherwise: both sides were timed again (test_partition_compare)
        assert pair.plain == next(p.latency for p in result.patterns if p.name == "member_visits")
    bench_md = to_bench_markdown(result)
    assert "## Large tables kept as one table: measured against partitioning" in bench_md
    assert "- `visits` (one table, 12,000 rows; tried hash by member_id, 4 partitions): " in bench_md
    assert "ms of work per second at their declared frequencies partitioned" in bench_md
    assert "| `visits` | `member_visits` | 100 |" in bench_md
    assert "Partitioning: measured against one table" not in bench_md  # nothing the design partitioned
    report_md = "\n".join(performance_section(result))
    assert "### Large tables kept as one table" in report_md and "`visits` (one table" in report_md


def test_the_partitioned_side_is_loadable_beside_the_design() -> None:
    """The second scratch database gets no roles: their names belong to the first (bench's
    sandbox grants them there), and the patterns are timed as the loading role anyway."""
    design = design_of(CLINIC)
    assert design.roles
    candidate, _said = best_candidate(design, design.table("visits"))
    assert candidate is not None and candidate.primary_key.columns == ("id", "member_id")
    other = with_schemes(design, [candidate])
    assert other.table("visits").partitioning is not None and not other.roles and not other.grants
    assert other.table("members") == design.table("members")


def test_no_possible_scheme_is_said_as_the_backing() -> None:
    # A unique code (not the time) and no pinned column: range by visited_at would break the unique key.
    text = CLINIC.replace("note: {type: string, max_length: 40}",
                          "code: {type: string, max_length: 12, required: true, unique: true}").replace(
        "WHERE member_id = :member_id", "ORDER BY visited_at DESC LIMIT 20")
    design = design_of(text)
    [table] = large_unpartitioned(design)
    candidate, why = best_candidate(design, table)
    assert candidate is None and why.startswith("range by visited_at: unique constraint"), why
    found = PartitionComparison("visits", "", 0, 100, design_partitioned=False, impossible=why)
    assert verdict(found).startswith("stays one table: no partitioning scheme is possible: range by visited_at")


def test_a_small_or_user_decided_table_is_not_tried() -> None:
    assert large_unpartitioned(design_of(CLINIC.replace("rows: 60000000", "rows: 6000000"))) == []
    asked = CLINIC.replace("  Visit:\n", "  Visit:\n    partition: none\n")
    assert large_unpartitioned(design_of(asked)) == []


def _kept(with_p50: float, without_p50: float) -> PartitionComparison:
    found = PartitionComparison("visits", "hash by member_id", 4, 1000, design_partitioned=False)
    found.patterns.append(PatternPair("p", 10.0, Latency(with_p50, with_p50, with_p50, 10),
                                      Latency(without_p50, without_p50, without_p50, 10)))
    return found


def test_the_one_table_verdict_says_both_numbers_and_what_to_ask_for() -> None:
    kept = verdict(_kept(0.50, 0.40))
    assert kept.startswith("stays one table: partitioned (hash by member_id) would not pay"), kept
    assert "5.00 ms of work per second at their declared frequencies partitioned, 4.00 ms as one table" in kept
    better = verdict(_kept(0.20, 0.40))
    assert better.startswith("**partitioned (hash by member_id) would pay**") and \
        "`partition: hash(member_id, 4)`" in better, better


def test_guarded_writes_are_timed_with_their_commit_checks_on_both_sides(pg_url: str,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The other side times a write as bench timed the design's: with the business rules' checks
    deferred to commit fired in each run (warehouse's post_movement looked 55 % faster
    partitioned when only the design's side ran them)."""
    from test_bench_rules import SPEC as RULES

    large = RULES.replace("Entry: {rows: 300}", "Entry: {rows: 10000000}").replace(
        "Line: {rows: 1500}", "Line: {rows: 60000000}").replace("Tag: {rows: 50}", "Tag: {rows: 1600000}")
    seen: dict[str, bool] = {}
    real = partition_compare.time_pattern

    def spy(db, design, pattern, **timing):  # type: ignore[no-untyped-def]
        seen[pattern.name] = timing.get("commit_checks", False)
        return real(db, design, pattern, **timing)

    monkeypatch.setattr(partition_compare, "time_pattern", spy)
    result = bench(design_of(large), 0.00003, database_url=pg_url, runs=5, warmup=1, seed=1, whatif="build")
    [found] = [f for f in result.partitioning if f.table == "lines"]
    assert found.scheme == "hash by entry_id" and {p.name for p in found.patterns} >= {"add_line", "lines_of_entry"}
    assert seen["add_line"] is True and seen["lines_of_entry"] is False, seen


def test_the_other_side_loads_only_what_its_patterns_read_and_reference() -> None:
    """At the declared volume the other side would be a second copy of everything (shop: 114 M
    rows); it gets the compared tables, the tables their patterns read and their parents."""
    from pathlib import Path

    from schemawright.performance.partition_compare import _needed_rows
    from schemawright.pipeline import design_file

    shop = design_file(Path(__file__).resolve().parents[1] / "examples" / "shop.yaml")
    rows = _needed_rows(shop, [shop.table("order_lines"), shop.table("payments")], 1.0)
    assert rows["order_lines"] == 38_000_000 and rows["payments"] == 15_000_000
    assert rows["orders"] > 0 and rows["customers"] > 0 and rows["products"] > 0  # referenced: the keys hold
    assert rows["order_coupons"] == 0 and rows["shipments"] == 0 and rows["reviews"] == 0  # never read there
    assert sum(rows.values()) < 0.7 * sum(_needed_rows(shop, list(shop.tables), 1.0).values())
