"""Everything learnt about one file: types, dependencies, keys, and the rows they came from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from schemawright.normalization import FD
from schemawright.profiling import discovery
from schemawright.profiling.budget import DISCOVERY_SHARE, OverBudget, SearchBudget, run_bounded
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
    notes: list[str] = field(default_factory=list)  # what the search budget cut short

    @property
    def sampled(self) -> bool:
        return self.sample.rows < self.table.rows


Step = Callable[[str], None]


def profile_table(table: DataTable, max_lhs: int | None, sample: int | None = None,
                  approximate: float | None = None, step: Step | None = None,
                  budget: SearchBudget | None = None) -> Profile:
    """Types from all rows; FDs and UCCs from a seeded random sample of `sample` rows (default:
    all rows up to DEFAULT_SAMPLE); the decomposition re-checks what it uses on all rows.
    With a `budget`, discovery is bounded (budget.py) and the profile's notes say what it cut."""
    size = sample if sample is not None else DEFAULT_SAMPLE
    rows = _sample_rows(table.rows, size)
    part = table if rows is None else sampled(table, rows)
    (step or _quiet)("inferring types")
    types = {c.name: infer_type(c, table.rows) for c in table.columns}
    (step or _quiet)(f"discovering dependencies on {part.rows:,} rows")
    if budget is None:
        fds = _fds(part, max_lhs, approximate)
        (step or _quiet)("discovering unique column combinations")
        uccs = discovery.unique_column_combinations(part)
        return Profile(table, part, types, fds, uccs, approximate)
    notes: list[str] = []
    fds = bounded_fds(part, max_lhs, approximate, budget, notes)
    (step or _quiet)("discovering unique column combinations")
    try:
        uccs = run_bounded(lambda: discovery.unique_column_combinations(part, limit=budget.max_dependencies),
                           budget.left(DISCOVERY_SHARE), budget.memory_bytes)
    except OverBudget as why:
        uccs = []
        notes.append(f"unique column combinations not searched: {why} (keys come from the dependencies)")
    budget.notes += [f"{table.name}: {n}" for n in notes]
    return Profile(table, part, types, fds, uccs, approximate, notes=notes)


def _fds(part: DataTable, max_lhs: int | None, approximate: float | None, limit: int | None = None) -> list[FD]:
    if approximate:
        return discovery.approximate_fds(part, approximate, max_lhs, limit=limit)
    return discovery.exact_fds(part, max_lhs, limit=limit)


def bounded_fds(part: DataTable, max_lhs: int | None, approximate: float | None, budget: SearchBudget,
                notes: list[str]) -> list[FD]:
    """All minimal FDs up to `max_lhs` columns on the left when they fit the budget (one call,
    given most of the discovery time); else the most columns on the left for which all of them
    fit, found level by level from one column up, with a note saying where the search stopped."""
    def level(k: int | None, share: float) -> list[FD]:
        left = budget.left(DISCOVERY_SHARE)
        return run_bounded(lambda: _fds(part, k, approximate, budget.max_dependencies),
                           None if left is None else left * share, budget.memory_bytes)

    try:
        return level(max_lhs, 0.7)
    except OverBudget as why:
        first = why
    kept: list[FD] = []
    complete = 0
    for k in range(1, max_lhs or len(part.columns) - 1):
        try:
            kept, complete = level(k, 1.0), k
        except OverBudget as why:
            first = why
            break
    wanted = f"up to {max_lhs}" if max_lhs else "any number of"
    if complete:
        notes.append(f"{budget.stopped() if budget.expired(DISCOVERY_SHARE) else 'search stopped'}: dependencies "
                     f"with up to {complete} column(s) on the left are complete, {complete + 1} or more were not "
                     f"searched ({first}; {wanted} were asked for)")
    else:
        notes.append(f"search stopped: no dependency kept ({first}; {wanted} columns on the left were asked for)")
    return kept


def sampled(table: DataTable, rows: np.ndarray) -> DataTable:
    return DataTable(table.name, table.path, [Column(c.name, c.codes[rows], c.values, c.null_code)
                                              for c in table.columns])


def _sample_rows(total: int, size: int) -> np.ndarray | None:
    if size >= total:
        return None
    return np.sort(np.random.default_rng(SAMPLE_SEED).choice(total, size=size, replace=False))


def _quiet(_: str) -> None:
    pass
