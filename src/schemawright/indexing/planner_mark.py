"""How a design says its indexes were chosen by the planner at the declared volumes (a Decision),
read by the report and by bench; kept apart from planned.py so readers need not import the advisor."""

from __future__ import annotations

from schemawright import model as m

PLANNER = "index planner"  # the Decision subject that says how the DDL's indexes were chosen
CHOSEN = "indexes chosen"  # the start of its choice when the planner chose them (not the first cut)


def chosen_by_planner(design: m.Design) -> bool:
    """Were the design's indexes chosen by the planner at the declared volumes (not the first cut)?"""
    return any(d.subject == PLANNER and d.choice.startswith(CHOSEN) for d in design.decisions)
