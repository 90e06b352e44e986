"""Partitions only where they pay, starting where the system starts: thresholds that leave
small tables alone, a handful of partitions for a new system, and bounds from `go_live`
(or the design date, recorded) instead of a fixed date."""

from __future__ import annotations

from datetime import date

import pytest

from helpers import design_of
from schemawright import model as m
from schemawright.errors import SpecErrors
from schemawright.pipeline import deliverables, parse_spec
from schemawright.requirements.spec import spec_json_schema

# A library: loans kept 7 years, 150,000 a month; the hot lookup never names a date.
LIBRARY = """\
project: library
{go_live}entities:
  Member:
    attributes:
      name: {type: string, max_length: 80, required: true}
  Loan:
    attributes:
      loaned_at: {type: timestamp, required: true, default: "sql: now()"}
      due_on: {type: date, required: true}
      returned_at: timestamp
relationships:
  - {from: Member, to: Loan, type: one-to-many}
access_patterns:
  - {name: member_open_loans, query: "SELECT * FROM loans WHERE member_id = :member_id AND returned_at IS NULL",
     frequency: 200, latency_p95_ms: 5}
  - {name: overdue, query: "SELECT id FROM loans WHERE due_on < :due_on AND returned_at IS NULL", frequency: 0.1}
volumes:
  Member: {rows: 40000}
  Loan: {rows: {rows}, growth_per_month: {growth}, retention_months: 84}
"""


def library(rows: int = 2_000_000, growth: int = 150_000, go_live: str | None = "2027-03-01") -> str:
    return (LIBRARY.replace("{go_live}", f"go_live: {go_live}\n" if go_live else "")
            .replace("{rows}", str(rows)).replace("{growth}", str(growth)))


def partitioning_decision(design: m.Design, subject: str) -> m.Decision:
    return next(d for d in design.decisions if d.step == "partitioning" and d.subject == subject)


def test_a_small_library_is_not_partitioned() -> None:
    """12.6 M loans at the retention: 89 monthly partitions made the hot lookup 45 times slower."""
    design = design_of(library())
    assert design.table("loans").partitioning is None
    why = partitioning_decision(design, "loans")
    assert "~12,600,000 rows" in why.reason and "below the 50,000,000-row threshold" in why.reason


def test_a_new_system_starts_with_a_handful_of_partitions_at_go_live() -> None:
    """A new system (no rows yet) with a long retention: the partition holding go-live and the
    few ahead of it, not years of empty ones before it; maintenance makes the rest."""
    design = design_of(library(rows=0, growth=60_000_000))  # 60 M a month: weekly partitions
    scheme = design.table("loans").partitioning
    assert scheme is not None and scheme.interval == "1 week" and scheme.anchor == "2027-03-01"
    names = [p.name for p in scheme.partitions]
    # go-live's week starts Monday 2027-03-01, then 4 ahead, then DEFAULT.
    assert names == ["loans_p20270301", "loans_p20270308", "loans_p20270315", "loans_p20270322",
                     "loans_p20270329", "loans_default"]
    why = partitioning_decision(design, "loans")
    assert "about 371 partitions once the 84-month retention is reached" in why.reason
    assert "the maintenance function makes the next ones" in why.reason
    # Rows that exist at go-live get partitions back over the months they cover, no further.
    design = design_of(library(rows=120_000_000, growth=60_000_000))
    scheme = design.table("loans").partitioning
    first = scheme.partitions[0].name
    assert first == "loans_p20261228", first  # two months back (120 M at 60 M a month), aligned to a Monday
    assert "partitions before 2027-03-01 for the 120,000,000 rows declared now" in \
        partitioning_decision(design, "loans").reason


def test_slow_growth_gets_partitions_coarser_than_a_month() -> None:
    """400,000 a month kept 20 years: monthly partitions would hold under a million rows each."""
    design = design_of(library(rows=0, growth=400_000).replace("retention_months: 84", "retention_months: 240"))
    scheme = design.table("loans").partitioning
    assert scheme is not None and scheme.interval == "3 months", scheme.interval
    assert "holds ~1,200,000 rows (target: 1,000,000 to 50,000,000)" in partitioning_decision(design, "loans").reason


def test_bounds_start_at_the_design_date_without_go_live(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1798761600")  # 2027-01-01 00:00 UTC
    design = design_of(library(rows=0, growth=60_000_000, go_live=None))
    scheme = design.table("loans").partitioning
    assert scheme.anchor == "2027-01-01" and scheme.partitions[0].name == "loans_p20261228"
    start = partitioning_decision(design, "start of range partitions")
    assert start.choice == "the design date, 2027-01-01" and "add `go_live: YYYY-MM-DD`" in start.reason
    assert deliverables(design) == deliverables(design_of(library(rows=0, growth=60_000_000, go_live=None)))
    # With go_live, the day design runs does not matter and no such decision is recorded.
    dated = design_of(library(rows=0, growth=60_000_000, go_live="2027-01-01"))
    assert dated.table("loans").partitioning.partitions == scheme.partitions
    assert not [d for d in dated.decisions if d.subject == "start of range partitions"]
    # An entity's anchor still wins over go_live.
    anchored = design_of(library(rows=0, growth=60_000_000).replace(
        "  Loan:\n", "  Loan:\n    partition: {anchor: 2027-06-07}\n"))
    assert anchored.table("loans").partitioning.partitions[0].name == "loans_p20270607"


def test_design_date_is_today_without_source_date_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import datetime, timezone

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    design = design_of(library(rows=0, growth=60_000_000, go_live=None))
    assert design.table("loans").partitioning.anchor == datetime.now(timezone.utc).date().isoformat()


def test_go_live_is_a_date_in_the_spec_and_its_schema() -> None:
    with pytest.raises(SpecErrors) as raised:
        parse_spec(library(go_live="next spring"), "lib.yaml")
    issue = raised.value.issues[0]
    assert issue.line == 2 and "go_live" in issue.format(), issue.format()
    assert parse_spec(library(), "lib.yaml").go_live == date(2027, 3, 1)
    assert spec_json_schema()["properties"]["go_live"]["anyOf"][0] == {"format": "date", "type": "string"}
