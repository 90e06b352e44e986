"""Canonical (minimal) cover: single right-hand attributes, no extraneous left-hand attribute,
no redundant FD. Deterministic: the FDs are processed in sorted order, so equal inputs in any
order give the same cover."""

from __future__ import annotations

from collections.abc import Iterable

from .closure import ClosureIndex
from .dependencies import FD, singletons


def canonical_cover(fds: Iterable[FD]) -> list[FD]:
    """A minimal cover of fds, sorted.

    Left-reduction runs before redundancy removal: the other order can leave redundant FDs
    behind. Each left-reduction test uses the index of the original FDs, which is sound because
    every reduced FD is implied by them, so F+ never changes; that keeps the step to one index.
    """
    split = singletons(fds)
    index = ClosureIndex(split)
    reduced: set[FD] = set()
    for f in split:
        (a,) = f.rhs
        lhs = f.lhs
        for b in sorted(f.lhs):
            if len(lhs) > 0 and index.reaches(lhs - {b}, a):
                lhs = lhs - {b}
        reduced.add(FD(lhs, f.rhs))
    ordered = sorted(reduced)
    index = ClosureIndex(ordered)
    dropped: set[int] = set()
    for i, f in enumerate(ordered):
        (a,) = f.rhs
        dropped.add(i)
        if not index.reaches(f.lhs, a, dropped):
            dropped.discard(i)  # needed: nothing else derives it
    return [f for i, f in enumerate(ordered) if i not in dropped]


def merged(fds: Iterable[FD]) -> list[FD]:
    """FDs with the same left side joined into one (X -> A, X -> B becomes X -> A, B); sorted."""
    groups: dict[frozenset[str], set[str]] = {}
    for f in fds:
        groups.setdefault(f.lhs, set()).update(f.rhs)
    return sorted(FD(lhs, frozenset(rhs)) for lhs, rhs in groups.items())
