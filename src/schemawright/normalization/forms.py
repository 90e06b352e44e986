"""The highest normal form a relation meets, and every dependency that keeps it from the next.

The tests follow the definitions (all FDs of F+), using results that make them cheap:
- 2NF fails iff a non-prime attribute is in the closure of some key minus one attribute
  (closure is monotone, so that covers every proper subset of every key);
- 3NF and BCNF fail iff some FD of any cover fails them: if X -> A in F+ breaks them, the FD
  that adds A while closing X breaks them too (its left side is no superkey, A is the same).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .closure import ClosureIndex
from .cover import canonical_cover
from .dependencies import FD, check_attributes, names
from .keys import candidate_keys, key_order, minimal_determinant, sorted_keys

LEVELS = ("1NF", "2NF", "3NF", "BCNF")


@dataclass(frozen=True)
class Violation:
    fd: FD  # the dependency that causes it
    form: str  # the lowest normal form it breaks: "2NF", "3NF" or "BCNF"
    explanation: str


@dataclass(frozen=True)
class NormalFormReport:
    relation: str
    level: str  # the highest form met: "1NF", "2NF", "3NF" or "BCNF"
    keys: tuple[frozenset[str], ...]  # every candidate key, shortest first
    violations: tuple[Violation, ...]  # by form, then by dependency

    def describe(self) -> str:
        """A few plain lines for reports: level, keys, then one line per violation."""
        keys = "; ".join(f"({names(k)})" for k in self.keys)
        lines = [f"{self.relation}: {self.level} (keys: {keys})"]
        lines += [f"  breaks {v.form}: {v.explanation}" for v in self.violations]
        return "\n".join(lines)


def analyse(relation: str, attributes: Iterable[str] | str, fds: Sequence[FD], keys: Iterable[frozenset[str]] | None = None) -> NormalFormReport:
    """Normal form of `relation` under `fds` (1NF is assumed: attribute values are atomic).

    Pass `keys` when already known, to skip computing them.
    """
    universe = check_attributes(attributes, fds)
    found = sorted_keys(frozenset(k) for k in keys) if keys is not None else candidate_keys(universe, fds)
    prime = frozenset().union(*found)
    index = ClosureIndex(list(fds))
    partial = _partial_dependencies(universe, found, prime, index)
    transitive: dict[frozenset[str], set[str]] = {}
    not_bcnf: dict[frozenset[str], set[str]] = {}
    for f in canonical_cover(fds):
        if universe <= index.closure(f.lhs):
            continue  # a superkey on the left is what BCNF asks for
        (a,) = f.rhs
        if a in prime:
            not_bcnf.setdefault(f.lhs, set()).add(a)
        elif any(f.lhs < k for k in found):
            partial.setdefault(f.lhs, set()).add(a)
        else:
            transitive.setdefault(f.lhs, set()).add(a)
    violations = (
        [_violation(relation, "2NF", x, rhs, found) for x, rhs in partial.items()]
        + [_violation(relation, "3NF", x, rhs, found) for x, rhs in transitive.items()]
        + [_violation(relation, "BCNF", x, rhs, found) for x, rhs in not_bcnf.items()]
    )
    violations.sort(key=lambda v: (LEVELS.index(v.form), v.fd))
    broken = [v.form for v in violations]
    level = next((LEVELS[i - 1] for i in range(1, len(LEVELS)) if LEVELS[i] in broken), "BCNF")
    return NormalFormReport(relation, level, tuple(found), tuple(violations))


def _partial_dependencies(universe: frozenset[str], keys: list[frozenset[str]], prime: frozenset[str], index: ClosureIndex) -> dict[frozenset[str], set[str]]:
    """Minimal proper subsets of keys that determine non-prime attributes, with those attributes."""
    partial: dict[frozenset[str], set[str]] = {}
    for key in keys:
        for a in sorted(key):
            rest = key - {a}
            for b in sorted(index.closure(rest) - prime):
                # Shrink to a smallest determinant, so the message names the real cause.
                x = minimal_determinant(rest, b, index)
                partial.setdefault(x, set()).add(b)
    return partial


def _words(attrs: Iterable[str]) -> str:
    items = sorted(attrs)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _violation(relation: str, form: str, lhs: frozenset[str], rhs: set[str], keys: list[frozenset[str]]) -> Violation:
    cause = FD(lhs, frozenset(rhs))
    what, by = _words(rhs), _words(lhs) if lhs else "nothing (it is constant)"
    depends = "depends" if len(rhs) == 1 else "depend"
    fix = f"; move {what} to a table keyed by {by}" if lhs else f"; store {what} once, outside {relation}"
    if form == "2NF":
        key = min((k for k in keys if lhs < k), key=key_order)
        text = (
            f"{what} {depends} on {by}, which {'is' if len(lhs) <= 1 else 'together are'} only part of the key ({names(key)}) of {relation}: "
            f"every {relation} with the same {by} repeats the {what}{fix}"
        )
    elif form == "3NF":
        which = "is not a key" if len(lhs) <= 1 else "together are not a key"
        text = f"{what} {depends} on {by}, which {which} of {relation}: every {relation} in the same {by} repeats the {what}{fix}"
    else:
        key = min((k for k in keys if k & rhs), key=key_order)
        which = "is not a key" if len(lhs) <= 1 else "together are not a key"
        text = (
            f"{what} {depends} on {by}, which {which} of {relation}; 3NF allows it because {what} "
            f"{'is' if len(rhs) == 1 else 'are'} part of the key ({names(key)}), BCNF does not: "
            f"every {relation} with the same {by} repeats the {what}{fix}"
        )
    return Violation(cause, form, text)
