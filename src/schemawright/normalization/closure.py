"""Attribute closure (Beeri and Bernstein's counter algorithm) and what follows from it.

The counter algorithm gives each FD a counter of left-hand attributes not yet derived and
each attribute the list of FDs whose left side mentions it. Deriving an attribute decrements
the counters of its FDs; an FD whose counter reaches zero fires once. Every FD and every
attribute occurrence is touched at most once, so one closure costs O(total size of the FDs),
where the naive "repeat until nothing changes" loop costs O(|F|^2) in the worst case.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

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


MAX_PROJECTION_FDS = 50_000


def project(fds: Sequence[FD], attrs: Iterable[str] | str, max_fds: int = MAX_PROJECTION_FDS) -> list[FD]:
    """A canonical cover of the FDs of F+ whose attributes all lie in attrs.

    Reduction by resolution (Gottlob): remove the attributes outside attrs one at a time; to
    remove b, join every X -> b with every Y -> A that reads b into X ∪ (Y − b) -> A, then drop
    each FD that mentions b. Whatever b helped derive is still derived, so closures inside attrs
    stay the same. Unlike enumerating all subsets of attrs this costs nothing for the common
    wide relation (id -> 60 columns). The projection can still need exponentially many FDs, so
    more than `max_fds` at any step raises ProjectionTooLarge instead of running for hours.
    """
    from .cover import canonical_cover  # cover builds on closure; imported late to avoid a cycle

    target = attribute_set(attrs)
    current = set(canonical_cover(fds))
    outside = {a for f in current for a in f.attributes} - target
    while outside:
        # Cheapest first: the attribute with the fewest resolvents keeps the intermediate sets small.
        b = min(outside, key=lambda a: (_resolvents(current, a), a))
        outside.discard(b)
        into = [f for f in current if b in f.rhs]
        reading = [g for g in current if b in g.lhs]
        current = {f for f in current if b not in f.attributes}
        for f in into:
            for g in reading:
                lhs = f.lhs | (g.lhs - {b})
                if not g.rhs <= lhs:
                    current.add(FD(lhs, g.rhs))
        current = _without_subsumed(current)
        if len(current) > max_fds:
            raise ProjectionTooLarge(
                f"projecting the dependencies onto {len(target)} attributes ({names(sorted(target)[:8])}"
                f"{', ...' if len(target) > 8 else ''}) needs more than {max_fds:,} dependencies; "
                "split the relation first, or raise max_fds"
            )
    return canonical_cover(current)


def _resolvents(fds: set[FD], b: str) -> int:
    return sum(b in f.rhs for f in fds) * sum(b in f.lhs for f in fds)


def _without_subsumed(fds: set[FD]) -> set[FD]:
    """Drop X -> A when some X' -> A with X' a proper subset of X is there: it adds nothing."""
    by_rhs: dict[frozenset[str], list[FD]] = {}
    for f in fds:
        by_rhs.setdefault(f.rhs, []).append(f)
    kept: set[FD] = set()
    for group in by_rhs.values():
        group.sort(key=lambda f: len(f.lhs))
        for f in group:
            if not any(g.lhs < f.lhs for g in group if len(g.lhs) < len(f.lhs)):
                kept.add(f)
    return kept
