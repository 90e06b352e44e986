"""A free-seat draw compares the drawn performance with the column's own type, so the probe uses
the unique index (a column cast to text lost it: 60 s per 200 runs on 9 million tickets)."""

from __future__ import annotations

from pathlib import Path

from schemawright.performance import draws
from schemawright.pipeline import design_file
from schemawright.validation.params import uses

TICKETING = Path(__file__).resolve().parents[1] / "examples" / "ticketing.yaml"


def test_the_known_value_is_cast_not_the_column() -> None:
    design = design_file(TICKETING)
    pattern = next(p for p in design.access_patterns if p.name == "hold_seat")
    usage = uses(pattern.sql, design)
    inserted = {(u.table, u.column): n for n, u in usage.items() if u.role == "insert" and u.table and u.column}
    tickets = design.table("tickets")
    fk = next(f for f in tickets.foreign_keys if f.ref_table == "seats")
    params = [inserted[("tickets", c)] for c in fk.columns]
    conditions, others = draws._free_keys(design, tickets, fk, params, inserted, {inserted[("tickets", "performance_id")]})
    assert others == [inserted[("tickets", "performance_id")]]
    (condition,) = conditions
    assert "t.performance_id = ({performance_id})::bigint" in condition
    assert "::text =" not in condition
