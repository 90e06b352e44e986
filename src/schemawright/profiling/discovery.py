"""Dependencies found by desbordante: exact FDs (HyFD), approximate FDs (TANE with g3),
unique column combinations (HPIValid) and unary inclusion dependencies across files (SPIDER).

desbordante reads CSV files, so each table is handed over as a temporary file of its codes
(see table.py): short integers parse fast, and quoting can never go wrong.  Codes keep the
FD semantics exactly, NULL included (it is one code, equal to itself).  desbordante silently
ignores option names it does not know, so every call goes through `_execute`, which checks
the names against the algorithm's own list first.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from schemawright.normalization import FD
from schemawright.profiling.budget import TooManyDependencies
from schemawright.profiling.extra import desbordante
from schemawright.profiling.table import DataTable


class OptionError(ValueError):
    """An option name the desbordante algorithm does not have (a bug of ours, caught early)."""


@dataclass(frozen=True, order=True)
class Inclusion:
    """Every non-NULL value of dependent_table.dependent also occurs in referenced_table.referenced."""

    dependent_table: str
    dependent: str
    referenced_table: str
    referenced: str


def exact_fds(table: DataTable, max_lhs: int | None = None, rows: np.ndarray | None = None,
              limit: int | None = None) -> list[FD]:
    """Minimal non-trivial FDs with one right-hand attribute (on `rows` only, when given);
    more than `limit` of them raise TooManyDependencies."""
    algorithm = desbordante().fd.algorithms.HyFD()
    options = {"max_lhs": max_lhs} if max_lhs else {}
    with _codes_file(table, rows) as path:
        _execute(algorithm, {"table": (path, ",", True)}, options)
    return _fds(table, _capped(algorithm.get_fds(), limit))


def approximate_fds(table: DataTable, g3: float, max_lhs: int | None = None,
                    rows: np.ndarray | None = None, limit: int | None = None) -> list[FD]:
    """Minimal FDs whose g3 error (share of rows to delete for the FD to hold) is at most `g3`."""
    algorithm = desbordante().afd.algorithms.Tane()
    options: dict[str, object] = {"error": float(g3), "afd_error_measure": "g3"}
    if max_lhs:
        options["max_lhs"] = max_lhs
    with _codes_file(table, rows) as path:
        _execute(algorithm, {"table": (path, ",", True)}, options)
    return _fds(table, _capped(algorithm.get_fds(), limit))


def unique_column_combinations(table: DataTable, rows: np.ndarray | None = None,
                               limit: int | None = None) -> list[frozenset[str]]:
    algorithm = desbordante().ucc.algorithms.HPIValid()  # same UCCs as HyUCC, 5-15x faster here
    with _codes_file(table, rows) as path:
        _execute(algorithm, {"table": (path, ",", True)}, {})
    names = table.names
    return sorted((frozenset(names[i] for i in ucc.indices) for ucc in _capped(algorithm.get_uccs(), limit)),
                  key=lambda k: (len(k), sorted(k)))


def inclusions(tables: Sequence[DataTable]) -> list[Inclusion]:
    """Unary INDs between different files, NULLs left out (as in an SQL foreign key)."""
    # A file of only empty fields has no value to include (and SPIDER refuses an empty file).
    tables = [t for t in tables if any(v is not None for c in t.columns for v in c.values)]
    if len(tables) < 2:
        return []
    algorithm = desbordante().ind.algorithms.Spider()
    with _value_files(tables) as (paths, kept):
        _execute(algorithm, {"tables": [(p, ",", True) for p in paths]}, {"is_null_equal_null": False})
        found = []
        for ind in algorithm.get_inds():
            lhs, rhs = ind.get_lhs(), ind.get_rhs()
            if lhs.table_index == rhs.table_index or len(lhs.column_indices) != 1:
                continue
            found.append(Inclusion(tables[lhs.table_index].name, kept[lhs.table_index][lhs.column_indices[0]],
                                   tables[rhs.table_index].name, kept[rhs.table_index][rhs.column_indices[0]]))
    return sorted(found)


def _execute(algorithm: object, data: dict, options: dict) -> None:
    known = algorithm.get_possible_options()  # type: ignore[attr-defined]
    unknown = sorted(set(data) - set(known)) + sorted(set(options) - set(known))
    if unknown:
        raise OptionError(f"{type(algorithm).__name__} has no option(s) {', '.join(unknown)}; "
                          f"it knows {', '.join(sorted(known))}")
    algorithm.load_data(**data)  # type: ignore[attr-defined]
    algorithm.execute(**options)  # type: ignore[attr-defined]


def _capped(found: Sequence[object], limit: int | None) -> Sequence[object]:
    """`found`, unless it holds more than `limit` (then it is not converted: that is the memory)."""
    if limit is not None and len(found) > limit:
        raise TooManyDependencies(len(found), limit)
    return found


def _fds(table: DataTable, found: Sequence[object]) -> list[FD]:
    names = table.names
    return sorted(FD(frozenset(names[i] for i in f.lhs_indices), frozenset((names[f.rhs_index],)))  # type: ignore[attr-defined]
                  for f in found)


@contextmanager
def _codes_file(table: DataTable, rows: np.ndarray | None) -> Iterator[str]:
    fd, path = tempfile.mkstemp(prefix="schemawright-", suffix=".csv")
    try:
        with os.fdopen(fd, "w") as out:
            out.write(",".join(f"c{i}" for i in range(len(table.columns))) + "\n")
            np.savetxt(out, table.matrix(rows), fmt="%d", delimiter=",")
        yield path
    finally:
        os.unlink(path)


@contextmanager
def _value_files(tables: Sequence[DataTable]) -> Iterator[tuple[list[str], list[list[str]]]]:
    """One file per table holding each column's distinct non-NULL values, the shorter columns
    padded by repeating a value (an IND depends only on the value sets)."""
    paths, kept = [], []
    try:
        for table in tables:
            columns = [(c.name, [v for v in c.values if v is not None]) for c in table.columns]
            columns = [(n, v) for n, v in columns if v]
            height = max((len(v) for _, v in columns), default=0)
            fd, path = tempfile.mkstemp(prefix="schemawright-", suffix=".csv")
            paths.append(path)
            kept.append([n for n, _ in columns])
            with os.fdopen(fd, "w", newline="") as out:
                writer = csv.writer(out)
                writer.writerow([f"c{i}" for i in range(len(columns))])
                padded = [v + [v[-1]] * (height - len(v)) for _, v in columns]
                writer.writerows(zip(*padded))
        yield paths, kept
    finally:
        for path in paths:
            os.unlink(path)
