"""Measures on the data itself (numpy over codes): groups, FD checks, g3, duplication.

These re-check on all rows what desbordante found on a sample, and feed the ranking and
the guards against accidental dependencies.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from schemawright.profiling.table import DataTable


def group_ids(columns: list[np.ndarray]) -> np.ndarray:
    """Dense ids (0..groups-1) of the row tuples formed by the given code columns."""
    rows = len(columns[0]) if columns else 0
    if not columns:
        return np.zeros(rows, dtype=np.int64)
    ids = np.zeros(rows, dtype=np.int64)
    width = 1
    for codes in columns:
        span = int(codes.max()) + 1 if rows else 1
        if width * span >= 2**62:  # re-densify before the combined id could overflow
            ids = np.unique(ids, return_inverse=True)[1].astype(np.int64).reshape(-1)
            width = int(ids.max()) + 1
        ids = ids * span + codes
        width *= span
    return np.unique(ids, return_inverse=True)[1].astype(np.int64).reshape(-1)


def distinct(table: DataTable, names: Iterable[str]) -> int:
    key = frozenset(names)
    if key not in table.distinct_counts:
        if not key:
            table.distinct_counts[key] = 1
        else:
            table.distinct_counts[key] = int(group_ids(table.codes(sorted(key))).max()) + 1 if table.rows else 0
    return table.distinct_counts[key]


def g3_error(table: DataTable, lhs: Iterable[str], rhs: str) -> float:
    """Share of rows to delete so that lhs -> rhs holds (Kivinen and Mannila's g3)."""
    if table.rows == 0:
        return 0.0
    lhs_ids = group_ids(table.codes(sorted(lhs)))
    pair_ids = group_ids([lhs_ids, table.column(rhs).codes.astype(np.int64)])
    # per lhs group keep the most frequent rhs value; every other row is a violation
    pair_counts = np.bincount(pair_ids)
    pair_lhs = np.zeros(len(pair_counts), dtype=np.int64)
    pair_lhs[pair_ids] = lhs_ids
    best = np.zeros(int(lhs_ids.max()) + 1, dtype=np.int64)
    np.maximum.at(best, pair_lhs, pair_counts)
    return float(table.rows - best.sum()) / table.rows


def holds(table: DataTable, lhs: Iterable[str], rhs: str) -> bool:
    lhs = sorted(lhs)
    return distinct(table, lhs) == distinct(table, [*lhs, rhs])


def is_unique(table: DataTable, names: Iterable[str]) -> bool:
    return distinct(table, names) == table.rows


def redundancy(table: DataTable, lhs: Iterable[str]) -> float:
    """Share of rows that repeat a value of lhs already seen: what splitting lhs off saves."""
    return 1.0 - distinct(table, lhs) / table.rows if table.rows else 0.0
