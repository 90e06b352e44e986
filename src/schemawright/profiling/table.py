"""One CSV file held as dictionary-encoded columns.

Each column is an int32 array of codes into its list of distinct values, so every data check
(FD verification, duplication, lossless join) is a numpy operation on integers, and type
inference looks at each distinct value once.

NULL policy: an empty field is NULL.  For dependencies NULL is one ordinary value that equals
itself (what desbordante does), so `X -> A` may hold with NULLs on either side; but a column
that holds NULLs never becomes part of a primary key or of the determinant of a split-off
table, because PostgreSQL keys cannot hold NULLs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

NULL_TOKENS = frozenset({""})


@dataclass
class Column:
    name: str
    codes: np.ndarray  # int32, one per row
    values: list[str | None]  # distinct values by code; None is NULL
    null_code: int | None  # the code of NULL, when the column has NULLs

    @property
    def distinct(self) -> int:
        return len(self.values)

    @property
    def nullable(self) -> bool:
        return self.null_code is not None

    def longest(self) -> int:
        """Characters in the longest value (cached: the ranking asks for it at every step)."""
        cached = self.__dict__.get("_longest")
        if cached is None:
            cached = self.__dict__["_longest"] = max((len(v) for v in self.values if v is not None), default=0)
        return cached


@dataclass
class DataTable:
    name: str  # file stem
    path: str
    columns: list[Column]
    # distinct counts by column set: the ranking and the guards ask for the same sets at every
    # decomposition step, and the codes never change
    distinct_counts: dict[frozenset[str], int] = field(default_factory=dict, repr=False, compare=False)

    @property
    def rows(self) -> int:
        return len(self.columns[0].codes) if self.columns else 0

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return self.columns[self.names.index(name)]

    def codes(self, names: object) -> list[np.ndarray]:
        by_name = {c.name: c for c in self.columns}
        return [by_name[n].codes for n in names]  # type: ignore[union-attr]

    def matrix(self, rows: np.ndarray | None = None) -> np.ndarray:
        """rows x columns codes (all rows, or the rows given)."""
        stacked = np.stack([c.codes for c in self.columns], axis=1)
        return stacked if rows is None else stacked[rows]
