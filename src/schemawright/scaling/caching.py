"""Caching (work in progress: replaced by its planner)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from schemawright import model as m

if TYPE_CHECKING:
    from schemawright.scaling.plan import OperationsPlan


@dataclass(frozen=True)
class Pending:
    title: str = "Caching"
    anchor: str = "caching"

    def markdown(self) -> list[str]:
        return ["Not planned yet."]

    def files(self) -> dict[str, str]:
        return {}


def plan(design: m.Design, earlier: OperationsPlan) -> Pending:
    return Pending()
