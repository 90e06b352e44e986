"""Declared rows at a scale: a key over two scaled parents caps a table by the square of the scale."""

from __future__ import annotations

from pathlib import Path

from schemawright.generation.counts import declared_counts, row_counts
from schemawright.pipeline import design_file

TPCC = Path(__file__).resolve().parents[1] / "examples" / "tpcc.yaml"


def test_a_key_capped_by_the_scale_is_what_the_table_should_hold() -> None:
    design = design_file(TPCC)
    declared, planned = declared_counts(design, 0.01), row_counts(design, 0.01)
    # stock: one row per (warehouse, item); 5 warehouses x 1,000 items at 1 %, not 1 % of 1,000,000.
    assert planned["stock"] == 5 * 1000 < round(1_000_000 * 0.01)
    assert declared["stock"] == planned["stock"]
    assert declared_counts(design, 1.0)["stock"] == 1_000_000


def test_volumes_that_disagree_even_at_full_scale_stay_short() -> None:
    """Two million stock rows cannot fit 10 warehouses x 100,000 items: the table is short, as it should be."""
    design = design_file(TPCC)
    volumes = tuple(v.model_copy(update={"rows": 2_000_000}) if v.entity == "Stock" else v for v in design.volumes)
    wrong = design.model_copy(update={"volumes": volumes})
    assert declared_counts(wrong, 0.01)["stock"] == 20_000 > row_counts(wrong, 0.01)["stock"]


def test_a_relative_time_range_lies_around_the_day_the_data_is_made() -> None:
    from datetime import date, datetime, timedelta

    from schemawright.generation.columns import GenerationError, _time_value

    today = date(2026, 12, 5)
    ahead = _time_value("+730 days", "timestamp", "expires_at", today)
    assert datetime(1970, 1, 1) + timedelta(seconds=ahead) == datetime(2028, 12, 4)  # 2028 is a leap year
    assert _time_value("-1 year", "date", "d", today) == (date(2025, 12, 5) - date(1970, 1, 1)).days
    try:
        _time_value("in two years", "date", "d", today)
    except GenerationError as error:
        assert "+730 days" in str(error)
    else:
        raise AssertionError("a bad relative bound must be refused")
