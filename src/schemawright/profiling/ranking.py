"""Ranking of candidate keys and violating FDs as the Normalize algorithm does (Papenbrock and
Naumann, "Data-driven Schema Normalization", EDBT 2017, section 6).

Each score lies in (0, 1] and a higher score is better; the final score is their mean.
- length: short keys are better (1/|X|), and for an FD, one that moves many attributes;
- value: keys with short values are better (1 / max(1, |longest X value| - 7));
- position: keys to the left of the table and columns that sit together are better;
- duplication (FDs only): the more values X and Y repeat, the more redundancy a split removes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from schemawright.profiling import measures
from schemawright.profiling.table import DataTable


@dataclass(frozen=True)
class Score:
    length: float
    value: float
    position: float
    duplication: float | None = None

    @property
    def total(self) -> float:
        parts = [self.length, self.value, self.position]
        if self.duplication is not None:
            parts.append(self.duplication)
        return sum(parts) / len(parts)

    def describe(self) -> str:
        text = f"score {self.total:.3f} (length {self.length:.2f}, value {self.value:.2f}, position {self.position:.2f}"
        return text + (f", duplication {self.duplication:.2f})" if self.duplication is not None else ")")


def key_score(key: frozenset[str], relation: Sequence[str], table: DataTable) -> Score:
    """`relation`: the attributes of the relation in their column order."""
    left = min(relation.index(a) for a in key)
    return Score(length=1.0 / len(key), value=_value(key, table),
                 position=0.5 * (1.0 / (left + 1) + 1.0 / (_between(key, relation) + 1)))


def fd_score(lhs: frozenset[str], rhs: frozenset[str], relation: Sequence[str], table: DataTable) -> Score:
    """Score of splitting `relation` on lhs -> rhs, measured on `table` (a sample is enough)."""
    others = max(len(relation) - 2, 1)
    length = 0.5 * (1.0 / len(lhs) + min(len(rhs) / others, 1.0))
    position = 0.5 * (1.0 / (_between(lhs, relation) + 1) + 1.0 / (_between(rhs, relation) + 1))
    rows = max(table.rows, 1)
    duplication = 0.5 * (2.0 - measures.distinct(table, lhs) / rows - measures.distinct(table, rhs) / rows)
    return Score(length=length, value=_value(lhs, table), position=position, duplication=duplication)


def _value(attrs: frozenset[str], table: DataTable) -> float:
    longest = sum(table.column(a).longest() for a in attrs)
    return 1.0 / max(1, longest - 7)


def _between(attrs: frozenset[str], relation: Sequence[str]) -> int:
    """Attributes of the relation that sit between the first and the last of `attrs`."""
    places = sorted(relation.index(a) for a in attrs)
    return places[-1] - places[0] + 1 - len(places)
