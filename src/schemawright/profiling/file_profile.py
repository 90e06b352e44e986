"""Everything learnt about one file: types, dependencies, keys, and the rows they came from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from schemawright.normalization import FD
from schemawright.profiling import discovery
from schemawright.profiling.discovery import Inclusion
from schemawright.profiling.table import Column, DataTable
from schemawright.profiling.type_inference import InferredType, infer_type

DEFAULT_SAMPLE = 50_000  # HyFD time grows with rows x minimal FDs; all rows re-check what is used
SAMPLE_SEED = 0


@dataclass
class Profile:
    table: DataTable  # all rows
    sample: DataTable  # the rows dependencies were discovered on (the same table when small)
    types: dict[str, InferredType]
    fds: list[FD]
    uccs: list[frozenset[str]]
    approximate: float | None = None  # g3 threshold, when approximate FDs were asked for
    inclusions: list[Inclusion] = field(default_factory=list)

    @property
    def sampled(self) -> bool:
        return self.sample.rows < self.table.rows


Step = Callable[[str], None]


def profile_table(table: DataTable, max_lhs: int | None, sample: int | None = None,
                  approximate: float | None = None, step: Step | None = None) -> Profile:
    """Types from all rows; FDs and UCCs from a seeded random sample of `sample` rows (default:
    all rows up to DEFAULT_SAMPLE); the decomposition re-checks what it uses on all rows."""
    size = sample if sample is not None else DEFAULT_SAMPLE
    rows = _sample_rows(table.rows, size)
    part = table if rows is None else sampled(table, rows)
    (step or _quiet)("inferring types")
    types = {c.name: infer_type(c, table.rows) for c in table.columns}
    (step or _quiet)(f"discovering dependencies on {part.rows:,} rows")
    if approximate:
        fds = discovery.approximate_fds(part, approximate, max_lhs)
    else:
        fds = discovery.exact_fds(part, max_lhs)
    (step or _quiet)("discovering unique column combinations")
    uccs = discovery.unique_column_combinations(part)
    return Profile(table, part, types, fds, uccs, approximate)


def sampled(table: DataTable, rows: np.ndarray) -> DataTable:
    return DataTable(table.name, table.path, [Column(c.name, c.codes[rows], c.values, c.null_code)
                                              for c in table.columns])


def _sample_rows(total: int, size: int) -> np.ndarray | None:
    if size >= total:
        return None
    return np.sort(np.random.default_rng(SAMPLE_SEED).choice(total, size=size, replace=False))


def _quiet(_: str) -> None:
    pass
