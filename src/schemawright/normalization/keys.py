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


def minimal_key(superkey: Iterable[str], universe: frozenset[str], index: ClosureIndex) -> frozenset[str]:
    """Shrink a superkey to a key by dropping, in sorted order, each attribute not needed."""
    key = set(superkey)
    for a in sorted(key):
        key.discard(a)
        if not universe <= index.closure(key):
            key.add(a)
    return frozenset(key)


_SCAN_LIMIT = 256


def candidate_keys(attributes: Iterable[str] | str, fds: Sequence[FD], limit: int = 10_000) -> list[frozenset[str]]:
    """Every candidate key of the relation, shortest first then by name.

    Raises TooManyKeys (with the keys found so far) when there are more than `limit`.
    """
    universe = check_attributes(attributes, fds)
    rules = [f for f in merged(fds) if not f.trivial]
    index = ClosureIndex(rules)
    first = minimal_key(universe, universe, index)
    keys = [first]
    found = {first}
    position = 0
    while position < len(keys):
        key = keys[position]
        position += 1
        for f in rules:
            candidate = f.lhs | (key - f.rhs)
            # Lucchesi–Osborn skip a superkey that contains a known key. Scanning the keys costs
            # O(#keys) per test, so once there are many, shrinking the superkey (O(|R|) closures)
            # and looking the result up is cheaper; any key it yields is a key, so both are sound.
            if len(keys) <= _SCAN_LIMIT and any(k <= candidate for k in keys):
                continue
            new = minimal_key(candidate, universe, index)
            if new not in found:
                found.add(new)
                keys.append(new)
                if len(keys) > limit:
                    raise TooManyKeys(keys, limit)
    return sorted_keys(keys)


def prime_attributes(attributes: Iterable[str] | str, fds: Sequence[FD], keys: Iterable[frozenset[str]] | None = None) -> frozenset[str]:
    """Attributes that belong to at least one candidate key."""
    chosen = candidate_keys(attributes, fds) if keys is None else keys
    return frozenset().union(*chosen) if chosen else frozenset()


def is_superkey(attrs: Iterable[str], universe: Iterable[str], index: ClosureIndex) -> bool:
    return attribute_set(universe) <= index.closure(attrs)
