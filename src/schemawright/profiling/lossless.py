"""The lossless check on the data itself: project the input onto the proposed tables, join
them back along the foreign keys, and compare with the input rows as a multiset.

Each split-off table holds one row per value of its key (for an approximate FD: the most
frequent values), as it would in the database; the main table keeps every input row when it has a
surrogate key.  Each row of the main table remembers the input row it came from, so the
multiset comparison is exact without sorting: every joined row must equal its own input row,
and every input row must come back once.  Everything works on the integer codes.

With several files, a table may be merged with tables of other files (entities.py) and hold
keys this file never had.  The check still joins from the file's own fact table: when that
table is itself a merged one, its rows are first restricted to the keys the file has (a
semi-join with the input), and the other tables are reached only through foreign keys, so
keys of other files never enter the join.  Columns are restricted to the file's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from schemawright.profiling.measures import group_ids
from schemawright.profiling.table import DataTable


_SOURCE = "\0source row"  # cannot clash with a column name: CSV headers hold no NUL


@dataclass(frozen=True)
class LosslessCheck:
    rows: int  # input rows
    joined: int  # rows the join gives back
    differing: int  # input rows the join does not give back (multiset difference)

    @property
    def lossless(self) -> bool:
        return self.differing == 0 and self.rows == self.joined

    def describe(self) -> str:
        if self.lossless:
            return f"lossless: the join of the proposed tables gives back exactly the {self.rows:,} input rows"
        return (f"NOT lossless: the join gives {self.joined:,} rows for {self.rows:,} input rows, "
                f"{self.differing:,} input row(s) are not reproduced")


@dataclass(frozen=True)
class TableShape:
    columns: tuple[str, ...]
    key: tuple[str, ...] | None  # None: one row per input row (surrogate key)


@dataclass(frozen=True)
class Join:
    child: int  # index into the shapes
    columns: tuple[str, ...]
    parent: int


def check_lossless(table: DataTable, shapes: Sequence[TableShape], root: int, joins: Sequence[Join],
                   given: dict[int, dict[str, np.ndarray]] | None = None) -> LosslessCheck:
    """`given` replaces the projection of some shapes by rows stored elsewhere, in this file's
    codes (a table merged with other files' tables: it holds keys this file never had)."""
    given = given or {}
    stored = [given[i] if i in given else _project(table, shape) for i, shape in enumerate(shapes)]
    if root in given:
        have, source = _own_rows(table, stored[root], shapes[root].key or ())
    else:
        have, source = dict(stored[root]), stored_rows(table, shapes[root])
    have[_SOURCE] = source
    done, joined_rows = {root}, len(next(iter(have.values()))) if have else 0
    progress = True
    while progress:
        progress = False
        for join in joins:
            if join.child in done and join.parent not in done and all(c in have for c in join.columns):
                have = _join(have, stored[join.parent], join.columns)
                joined_rows = len(next(iter(have.values())))
                done.add(join.parent)
                progress = True
    if any(n not in have for n in table.names):  # a table the foreign keys do not reach
        return LosslessCheck(table.rows, joined_rows, table.rows)
    return LosslessCheck(table.rows, joined_rows, _differing(table, have))


def _own_rows(table: DataTable, rows: dict[str, np.ndarray], key: tuple[str, ...]) -> tuple[dict, np.ndarray]:
    """The file's own fact table inside a merged one: the stored rows whose key occurs in the
    file (a semi-join on the key), each with the input row it stands for; the rows of keys that
    only other files have are not this file's and are left out."""
    input_rows = {c: table.column(c).codes for c in key}
    matched = _join(rows, {**input_rows, _SOURCE: np.arange(table.rows)}, key)
    return {c: v for c, v in matched.items() if c != _SOURCE}, matched[_SOURCE]


def stored_rows(table: DataTable, shape: TableShape) -> np.ndarray:
    """The input row each stored row comes from: all of them, or per key value the row whose
    values are the most frequent ones (they all agree under an exact FD; under an approximate
    one the majority wins, so only the rows that disagree with it are reported)."""
    if shape.key is None:
        return np.arange(table.rows)
    keys = group_ids(table.codes(shape.key))
    whole = group_ids(table.codes(shape.columns))
    frequency = np.bincount(whole)[whole]
    order = np.lexsort((np.arange(table.rows), -frequency, keys))  # by key, most frequent first, then first seen
    first = np.ones(len(order), dtype=bool)
    first[1:] = keys[order][1:] != keys[order][:-1]
    return order[first]


def _project(table: DataTable, shape: TableShape) -> dict[str, np.ndarray]:
    rows = stored_rows(table, shape)
    return {c: table.column(c).codes[rows] for c in shape.columns}


def _join(left: dict[str, np.ndarray], right: dict[str, np.ndarray], on: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Inner join on `on`, where `on` is unique in `right` (its key)."""
    n_left = len(left[on[0]])
    ids = group_ids([np.concatenate([left[c], right[c]]).astype(np.int64) for c in on])
    left_ids, right_ids = ids[:n_left], ids[n_left:]
    slot = np.full(int(ids.max()) + 1, -1, dtype=np.int64)
    slot[right_ids] = np.arange(len(right_ids))
    match = slot[left_ids]
    keep = match >= 0
    out = {c: v[keep] for c, v in left.items()}
    for c, v in right.items():
        if c not in out:
            out[c] = v[match[keep]]
    return out


def _differing(table: DataTable, have: dict[str, np.ndarray]) -> int:
    """Input rows not given back: rows lost by the join, plus joined rows that differ from the
    input row they stand for (the join never repeats a row: each parent key is unique)."""
    source = have[_SOURCE]
    same = np.ones(len(source), dtype=bool)
    for name in table.names:
        same &= have[name] == table.column(name).codes[source]
    return int(table.rows - len(source) + (~same).sum())
