"""capacity.svg: the capacity plan drawn, byte-identical between runs, written by design."""

from __future__ import annotations

from pathlib import Path

from schemawright.documentation.capacity_chart import capacity_svg
from schemawright.pipeline import design_file, write_deliverables
from schemawright.scaling.capacity import CapacityPlan
from schemawright.scaling.plan import plan_operations

SHOP = Path(__file__).resolve().parents[1] / "examples" / "shop.yaml"


def test_the_chart_shows_the_largest_tables_and_the_disk(tmp_path: Path) -> None:
    design = design_file(SHOP)
    plan = plan_operations(design).section("capacity", CapacityPlan)
    svg = capacity_svg(plan)
    assert svg == capacity_svg(plan)  # deterministic
    largest = max(plan.tables, key=lambda t: t.at(36).total).table
    assert largest in svg and "disk planned" in svg and "36 months" in svg
    write_deliverables(design, tmp_path)
    assert (tmp_path / "capacity.svg").read_text() == svg
    assert "(capacity.svg)" in (tmp_path / "operations.md").read_text()
