"""Runs the concerns of the operations plan in order; each sees the ones planned before it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from schemawright import model as m
from schemawright.scaling import backup, caching, capacity, configuration, distribution, monitoring, pooling, replication
from schemawright.scaling.section import Section

S = TypeVar("S")


@dataclass(frozen=True)
class OperationsPlan:
    design: m.Design
    sections: dict[str, Section]  # in PLANNERS order

    def section(self, key: str, kind: type[S]) -> S:
        """An earlier concern's plan, typed (a planner reads only those before it in PLANNERS)."""
        found = self.sections[key]
        if not isinstance(found, kind):
            raise TypeError(f"operations plan {key!r} is {type(found).__name__}, not {kind.__name__}")
        return found


# Order matters: pooling sizes connections from the rates, configuration reads the pool plan
# and the capacity plan, monitoring reads capacity, replication and partitions.
PLANNERS: tuple[tuple[str, Callable[[m.Design, OperationsPlan], Section]], ...] = (
    ("capacity", capacity.plan),
    ("pooling", pooling.plan),
    ("configuration", configuration.plan),
    ("replication", replication.plan),
    ("backup", backup.plan),
    ("caching", caching.plan),
    ("distribution", distribution.plan),
    ("monitoring", monitoring.plan),
)


def plan_operations(design: m.Design, upto: str | None = None) -> OperationsPlan:
    """Every concern's section; with `upto`, the planners up to that concern only (each reads
    only earlier ones), for a caller that needs one section."""
    plan = OperationsPlan(design, {})
    for key, planner in PLANNERS:
        plan.sections[key] = planner(design, plan)
        if key == upto:
            break
    return plan


def operations_files(design: m.Design) -> dict[str, str]:
    """operations.md and every concern's files (pure: tests compare bytes)."""
    from schemawright.scaling.operations_md import to_operations_md

    plan = plan_operations(design)
    files = {path: text for section in plan.sections.values() for path, text in section.files().items()}
    files["operations.md"] = to_operations_md(plan, sorted(files))
    return files
