"""Candidate keys by Lucchesi and Osborn's algorithm.

Start from one key; for every key K found and every FD X -> Y, the set X ∪ (K − Y) is a
superkey; if it contains no key found so far, shrink it to a new key. Each new key costs
O(|F| · #keys · |R|) set work plus |R| closures, i.e. polynomial per key. The number of keys
itself can be exponential (n independent pairs A_i <-> B_i have 2^n keys), hence the limit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .closure import ClosureIndex
from .cover import merged
from .dependencies import FD, attribute_set, check_attributes, names


class TooManyKeys(Exception):
    """The relation has more candidate keys than the limit; `keys` holds those found so far."""

    def __init__(self, keys: Sequence[frozenset[str]], limit: int):
        self.keys: list[frozenset[str]] = sorted_keys(keys)
        self.limit = limit
        sample = "; ".join(f"({names(k)})" for k in self.keys[:3])
        super().__init__(
            f"the relation has more than {limit} candidate keys (for example {sample}); "
            "their number grows exponentially when attributes determine each other in independent "
            "groups: pass a higher limit, or use the keys found so far (TooManyKeys.keys)"
        )


def key_order(key: frozenset[str]) -> tuple[int, tuple[str, ...]]:
    """Shortest keys first, then by their sorted names: the order keys are reported in."""
    return (len(key), tuple(sorted(key)))


def sorted_keys(keys: Iterable[frozenset[str]]) -> list[frozenset[str]]:
    return sorted(set(keys), key=key_order)


def minimal_determinant(attrs: Iterable[str], target: str, index: ClosureIndex) -> frozenset[str]:
    """Shrink attrs, dropping attributes in sorted order, to a minimal set that still derives target."""
    kept = set(attrs)
    for a in sorted(kept):
        kept.discard(a)
        if not index.reaches(kept, target):
            kept.add(a)
    return frozenset(kept)


def minimal_key(superkey: Iterable[str], universe: frozenset[str], index: ClosureIndex) -> frozenset[str]:
    """Shrink a superkey to a key by dropping, in sorted order, each attribute not needed."""
    key = set(superkey)
    for a in sorted(key):
        key.discard(a)
        # key − a is still a superkey iff it derives a back; reaches() stops as soon as it does.
        if not index.reaches(key, a):
            key.add(a)
    return frozenset(key)


def candidate_keys(attributes: Iterable[str] | str, fds: Sequence[FD], limit: int = 10_000) -> list[frozenset[str]]:
    """Every candidate key of the relation, shortest first then by name.

    Raises TooManyKeys (with the keys found so far) when there are more than `limit`.
    """
    universe = check_attributes(attributes, fds)
    rules = [f for f in merged(fds) if not f.trivial]
    index = ClosureIndex(rules)
    # Attribute sets as bit masks over the sorted attributes. The "contains a known key" test
    # runs |F| times per key, so instead of scanning all keys it keeps, per attribute, the set
    # of keys (again a bit mask, one bit per key) that hold it: some key fits inside C iff the
    # keys holding an attribute outside C are not all of them.
    order = sorted(universe)
    place = {a: i for i, a in enumerate(order)}
    bit = {a: 1 << i for i, a in enumerate(order)}
    holders = [0] * len(order)  # attribute position -> mask of the keys that contain it
    keys: list[frozenset[str]] = []
    used: list[int] = []

    def mask(attrs: Iterable[str]) -> int:
        return sum(bit[a] for a in attrs)

    def add(key: frozenset[str]) -> None:
        flag = 1 << len(keys)
        keys.append(key)
        for a in key:
            if not holders[place[a]]:
                used.append(place[a])  # only attributes in some key can rule a key out
            holders[place[a]] |= flag

    def holds_a_key(candidate: int) -> bool:
        everyone = (1 << len(keys)) - 1
        misfits = 0
        for i in used:
            if not candidate >> i & 1:
                misfits |= holders[i]
                if misfits == everyone:
                    return False
        return misfits != everyone

    sides = [(mask(f.lhs), mask(f.rhs)) for f in rules]
    add(minimal_key(universe, universe, index))
    position = 0
    while position < len(keys):
        key = mask(keys[position])
        position += 1
        for lhs, rhs in sides:
            if not rhs & key:
                continue  # the candidate would contain this very key
            candidate = lhs | (key & ~rhs)
            if holds_a_key(candidate):
                continue
            # Contains no known key, so the key inside it is new (Lucchesi–Osborn's invariant).
            add(minimal_key(frozenset(a for a in order if candidate & bit[a]), universe, index))
            if len(keys) > limit:
                raise TooManyKeys(keys, limit)
    return sorted_keys(keys)


def prime_attributes(attributes: Iterable[str] | str, fds: Sequence[FD], keys: Iterable[frozenset[str]] | None = None) -> frozenset[str]:
    """Attributes that belong to at least one candidate key."""
    chosen = candidate_keys(attributes, fds) if keys is None else keys
    return frozenset().union(*chosen) if chosen else frozenset()


def is_superkey(attrs: Iterable[str], universe: Iterable[str], index: ClosureIndex) -> bool:
    return attribute_set(universe) <= index.closure(attrs)
