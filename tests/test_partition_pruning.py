"""validate's pruning check on one-sided ranges: `due_on < :due_on` must prune the partitions
above the bound (not all but one), and a pattern that cannot prune fails with a hint that
names its real cause.  Runs against the session's PostgreSQL (embedded by default)."""

from __future__ import annotations

import pytest

from helpers import design_of
from schemawright.database import Database
from schemawright.database.scratch import scratch_database
from schemawright.partitioning.pruning import partition_checks
from schemawright.sql.postgresql import render_up

LOANS = """\
project: library
go_live: 2027-03-01
entities:
  Member:
    attributes:
      name: {type: string, max_length: 80, required: true}
  Loan:
    partition: {by: range, key: due_on, interval: 1 week, ahead: 8}
    attributes:
      loaned_at: {type: timestamp, required: true}
      due_on: {type: date, required: true}
      returned_at: timestamp
relationships:
  - {from: Member, to: Loan, type: one-to-many}
access_patterns:
{patterns}
volumes:
  Member: {rows: 2000}
  Loan: {rows: 0, growth_per_month: 150000, retention_months: 84}
"""


def checks_of(patterns: str, pg_url: str) -> dict[str, object]:
    design = design_of(LOANS.replace("{patterns}", patterns))
    with scratch_database(pg_url) as scratch, Database(scratch) as db:
        db.execute(render_up(design))
        db.execute("INSERT INTO members (name) SELECT 'm' || g FROM generate_series(1, 20) g")
        db.execute("INSERT INTO loans (member_id, loaned_at, due_on) SELECT 1 + g % 20, "
                   "'2027-03-01'::timestamp + g * interval '1 hour', '2027-03-01'::date + g % 60 "
                   "FROM generate_series(1, 1000) g")
        db.execute("ANALYZE")
        return {c.name: c for c in partition_checks(db, design)}


def test_a_one_sided_range_prunes_the_partitions_beyond_its_bound(pg_url: str) -> None:
    checks = checks_of("""\
  - {name: overdue, query: "SELECT id FROM loans WHERE due_on < :due_on AND returned_at IS NULL"}
  - {name: due_from, query: "SELECT id FROM loans WHERE due_on >= :from_day"}
  - {name: due_between, query: "SELECT id FROM loans WHERE due_on >= :from_day AND due_on < :to_day"}
""", pg_url)
    # 9 weekly partitions and DEFAULT; the middle one starts 2027-03-29.
    overdue = checks["partition pruning: overdue on loans"]
    assert overdue.status == "PASS", overdue.detail
    assert overdue.detail.startswith("with :due_on = '2027-03-29' the condition admits 5 of 10 partitions (and "
                                     "DEFAULT)"), overdue.detail
    # The four weeks before the bound and DEFAULT (it takes any earlier day); the five after it pruned.
    assert "plan-time: 5 of 10 partitions (loans_default, loans_p20270301, loans_p20270308, loans_p20270315 and " \
        "1 more); generic plan: 5 of 10, 5 subplans removed at run time" in overdue.detail, overdue.detail
    due_from = checks["partition pruning: due_from on loans"]
    assert due_from.status == "PASS" and "admits 5 of 10" in due_from.detail, due_from.detail
    between = checks["partition pruning: due_between on loans"]
    assert between.status == "PASS" and "plan-time: 1 of 10 partitions" in between.detail, between.detail


@pytest.mark.parametrize(("query", "cause"), [
    ("SELECT id FROM loans WHERE due_on < :due_on OR returned_at IS NULL",
     "due_on is compared inside an OR (`due_on < :due_on OR returned_at IS NULL`)"),
    ("SELECT id FROM loans WHERE due_on + 7 < :due_on", "due_on is inside `due_on + 7`"),
    ("SELECT id FROM loans WHERE CAST(due_on AS timestamp) >= :from_time", "due_on is inside `CAST(due_on AS TIMESTAMP)`"),
])
def test_a_pattern_that_cannot_prune_fails_with_its_cause(pg_url: str, query: str, cause: str) -> None:
    checks = checks_of(f'  - {{name: unprunable, query: "{query}"}}\n', pg_url)
    check = checks["partition pruning: unprunable on loans"]
    assert check.status == "FAIL", check.detail
    assert "of 10 partitions" in check.detail and "does not prune" in check.detail
    assert cause in check.detail, check.detail
