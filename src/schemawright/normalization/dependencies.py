"""Functional dependencies: the value type every other module of the theory works on."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field


class UnknownAttributes(ValueError):
    """A dependency (or a part of a decomposition) names attributes the relation does not have."""

    def __init__(self, relation_attributes: Iterable[str], unknown: Iterable[str], culprit: FD | None, what: str = ""):
        self.unknown = tuple(sorted(unknown))
        self.fd = culprit
        known = ", ".join(sorted(relation_attributes)) or "(none)"
        subject = f"dependency {culprit}" if culprit is not None else what
        remedy = "drop it from the dependency" if culprit is not None else "remove it from that part"
        super().__init__(
            f"{subject} names {_quoted(self.unknown)}, which the relation does not have "
            f"(its attributes are: {known}); add the attribute to the relation or {remedy}"
        )


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(repr(n) for n in names)


@dataclass(frozen=True)
class FD:
    """lhs -> rhs over attribute names.

    Ordered explicitly instead of with ``order=True``: frozensets compare by inclusion, which is
    not a total order, so dataclass ordering would sort lists of FDs differently from run to run.
    The order used here compares the sorted attribute names of lhs, then of rhs.
    """

    lhs: frozenset[str]
    rhs: frozenset[str]
    _sort_key: tuple[tuple[str, ...], tuple[str, ...]] = field(
        init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        # Accept any iterable of names, so FD({"a"}, ["b"]) works; store frozensets so FDs hash.
        lhs, rhs = frozenset(self.lhs), frozenset(self.rhs)
        for name in lhs | rhs:
            if not isinstance(name, str):
                raise TypeError(f"attribute names are strings, got {name!r} in {sorted(map(str, lhs))} -> {sorted(map(str, rhs))}")
        object.__setattr__(self, "lhs", lhs)
        object.__setattr__(self, "rhs", rhs)
        object.__setattr__(self, "_sort_key", (tuple(sorted(lhs)), tuple(sorted(rhs))))

    def __lt__(self, other: FD) -> bool:
        return self._sort_key < other._sort_key

    def __le__(self, other: FD) -> bool:
        return self._sort_key <= other._sort_key

    def __gt__(self, other: FD) -> bool:
        return self._sort_key > other._sort_key

    def __ge__(self, other: FD) -> bool:
        return self._sort_key >= other._sort_key

    def __repr__(self) -> str:
        return f"fd({sorted(self.lhs)!r}, {sorted(self.rhs)!r})"

    def __str__(self) -> str:
        return f"{names(self.lhs) or '{}'} -> {names(self.rhs) or '{}'}"

    @property
    def attributes(self) -> frozenset[str]:
        return self.lhs | self.rhs

    @property
    def trivial(self) -> bool:
        return self.rhs <= self.lhs


def names(attrs: Iterable[str]) -> str:
    """Sorted attribute names, comma separated: the way FDs and keys are printed."""
    return ", ".join(sorted(attrs))


def attribute_set(attrs: Iterable[str] | str) -> frozenset[str]:
    """A set of names from an iterable, or from one string written "a b" or "a, b"."""
    if isinstance(attrs, str):
        return frozenset(part for part in re.split(r"[\s,]+", attrs) if part)
    return frozenset(attrs)


def fd(lhs: Iterable[str] | str, rhs: Iterable[str] | str) -> FD:
    """Shorthand: fd("zip", "city state") or fd(["order_id", "product_id"], ["quantity"])."""
    return FD(attribute_set(lhs), attribute_set(rhs))


def singletons(fds: Iterable[FD]) -> list[FD]:
    """Each FD split into one FD per non-trivial right-hand attribute, sorted, without duplicates."""
    split = {FD(f.lhs, frozenset((a,))) for f in fds for a in f.rhs if a not in f.lhs}
    return sorted(split)


def check_attributes(attributes: Iterable[str], fds: Iterable[FD]) -> frozenset[str]:
    """The relation's attributes as a set; raises UnknownAttributes if an FD leaves them."""
    known = attribute_set(attributes)
    for f in sorted(fds):
        unknown = f.attributes - known
        if unknown:
            raise UnknownAttributes(known, unknown, f)
    return known
