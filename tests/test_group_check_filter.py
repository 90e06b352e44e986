"""A group check whose aggregates share one FILTER scans only the rows the filter keeps, so a
partial index on them can count the group (integrity/invariants.py, _shared_filter)."""

from __future__ import annotations

from schemawright.database import Database
from schemawright.integrity.invariants import _shared_filter


def test_a_shared_filter_becomes_a_condition_of_the_scan() -> None:
    check, only = _shared_filter("count(*) FILTER (WHERE status <> 'voided') <= parent.capacity")
    assert "FILTER" not in check.upper() and "parent.capacity" in check
    assert only == " AND (status <> 'voided')"


def test_different_or_missing_filters_are_kept() -> None:
    for check in ("sum(amount) = 0", "count(*) FILTER (WHERE a) <= count(*)",
                  "count(*) FILTER (WHERE a) <= sum(x) FILTER (WHERE b)"):
        assert _shared_filter(check) == (check, "")


def test_same_value_with_the_filter_moved_empty_groups_included(pg_url: str) -> None:
    """Computed both ways on real rows: groups with live rows, with only voided rows, and with none."""
    rows = "(VALUES (1, 'live'), (1, 'voided'), (2, 'voided'), (3, 'live'), (3, 'live')) AS t(g, status)"
    check = "count(*) FILTER (WHERE status <> 'voided') <= 1"
    moved, only = _shared_filter(check)
    with Database(pg_url) as db:
        for group in (1, 2, 3, 4):
            before = db.query_value(f"SELECT ({check}) FROM {rows} WHERE g = {group}")
            after = db.query_value(f"SELECT ({moved}) FROM {rows} WHERE g = {group}{only}")
            assert before == after, group
