"""Attribute closure (Beeri and Bernstein's counter algorithm) and what follows from it.

The counter algorithm gives each FD a counter of left-hand attributes not yet derived and
each attribute the list of FDs whose left side mentions it. Deriving an attribute decrements
the counters of its FDs; an FD whose counter reaches zero fires once. Every FD and every
attribute occurrence is touched at most once, so one closure costs O(total size of the FDs),
where the naive "repeat until nothing changes" loop costs O(|F|^2) in the worst case.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from itertools import combinations

from .dependencies import FD, attribute_set, names


class ProjectionTooLarge(ValueError):
    """Projecting F+ would enumerate too many attribute subsets."""


class ClosureIndex:
    """The FD list indexed once, so that many closures over the same FDs are each linear."""

    def __init__(self, fds: Sequence[FD]):
        self.fds: tuple[FD, ...] = tuple(fds)
        # Per FD: how many left-hand attributes must be derived before it fires.
        self._needed: list[int] = [len(f.lhs) for f in self.fds]
        self._rhs: list[tuple[str, ...]] = [tuple(f.rhs) for f in self.fds]
        # Per attribute: the FDs whose left side mentions it.
        uses: dict[str, list[int]] = {}
        for i, f in enumerate(self.fds):
            for a in f.lhs:
                uses.setdefault(a, []).append(i)
        self._uses = uses
        # FDs with an empty left side hold unconditionally; they fire for every start set.
        self._always = [i for i, n in enumerate(self._needed) if n == 0]

    def closure(self, attrs: Iterable[str]) -> frozenset[str]:
        """Every attribute that the FDs derive from attrs (attrs included)."""
        return frozenset(self._derive(attribute_set(attrs)))

    def reaches(self, attrs: Iterable[str], target: str, disabled: Collection[int] = ()) -> bool:
        """Whether target is in the closure of attrs, ignoring the FDs at the `disabled` positions.

        Stops as soon as target is derived; the cover computation asks this question once per FD.
        """
        return target in self._derive(attribute_set(attrs), disabled, target)

    def _derive(self, start: frozenset[str], disabled: Collection[int] = (), target: str | None = None) -> set[str]:
        derived = set(start)
        if target is not None and target in derived:
            return derived
        needed = self._needed.copy()
        rhs, uses = self._rhs, self._uses
        pending = list(derived)
        for i in self._always:
            if i not in disabled:
                pending.extend(b for b in rhs[i] if b not in derived)
                derived.update(rhs[i])
        while pending:
            a = pending.pop()
            for i in uses.get(a, ()):
                needed[i] -= 1
                if needed[i] == 0 and i not in disabled:
                    for b in rhs[i]:
                        if b not in derived:
                            derived.add(b)
                            pending.append(b)
            if target is not None and target in derived:
                break
        return derived


def closure(attrs: Iterable[str] | str, fds: Sequence[FD]) -> frozenset[str]:
    """attrs+ under fds. Build a ClosureIndex yourself when you need many closures of one FD list."""
    return ClosureIndex(fds).closure(attribute_set(attrs))


def implies(fds: Sequence[FD], f: FD) -> bool:
    """Whether f is in F+ (Armstrong's axioms derive it from fds)."""
    return f.rhs <= ClosureIndex(fds).closure(f.lhs)


def implies_all(fds: Sequence[FD], others: Iterable[FD]) -> bool:
    index = ClosureIndex(fds)
    return all(g.rhs <= index.closure(g.lhs) for g in others)


def equivalent(fds1: Sequence[FD], fds2: Sequence[FD]) -> bool:
    """Whether the two FD lists have the same closure F+ (each implies every FD of the other)."""
    return implies_all(fds1, fds2) and implies_all(fds2, fds1)


MAX_PROJECTION_ATTRIBUTES = 16


def project(fds: Sequence[FD], attrs: Iterable[str] | str, max_attributes: int = MAX_PROJECTION_ATTRIBUTES) -> list[FD]:
    """A canonical cover of the FDs of F+ whose attributes all lie in attrs.

    This is exponential in the worst case (the projection itself can need exponentially many
    FDs), so it enumerates subsets of only those attributes of attrs that appear on some
    left-hand side of F: an attribute no FD reads cannot help derive anything. More than
    `max_attributes` such attributes raises ProjectionTooLarge instead of running for hours.
    Each subset X yields X -> A only for the A that no X minus one attribute already derives,
    so every FD found is left-reduced and the final cover step has little left to remove.
    """
    from .cover import canonical_cover  # cover builds on closure; imported late to avoid a cycle

    target = attribute_set(attrs)
    readers = sorted(target & {a for f in fds for a in f.lhs})
    if len(readers) > max_attributes:
        raise ProjectionTooLarge(
            f"projecting the dependencies onto {len(target)} attributes would examine 2^{len(readers)} "
            f"subsets of the attributes that determine others ({names(readers)}); "
            f"the limit is 2^{max_attributes}: split the relation first, or raise max_attributes"
        )
    index = ClosureIndex(fds)
    seen: dict[frozenset[str], frozenset[str]] = {}  # X -> X+ ∩ target, for every subset X visited
    found: list[FD] = []
    for size in range(len(readers) + 1):
        for combo in combinations(readers, size):
            x = frozenset(combo)
            smaller = [seen[x - {a}] for a in x]
            if any(s == target for s in smaller):
                seen[x] = target  # a subset is already a superkey of the projection: nothing new
                continue
            reached = index.closure(x) & target
            seen[x] = reached
            new = reached - x
            for s in smaller:
                new = new - s
            if new:
                found.append(FD(x, new))
    return canonical_cover(found)
