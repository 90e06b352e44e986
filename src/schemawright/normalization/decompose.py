"""3NF synthesis and BCNF decomposition, each with its lossless-join and preservation verdicts."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from .closure import ClosureIndex, project
from .cover import canonical_cover, merged
from .dependencies import FD, UnknownAttributes, attribute_set, check_attributes
from .keys import TooManyKeys, candidate_keys, minimal_key


@dataclass(frozen=True)
class Relation:
    name: str
    attributes: tuple[str, ...]  # sorted
    key: tuple[str, ...]  # one candidate key (the shortest, then by name), sorted
    fds: tuple[FD, ...]  # a canonical cover of the FDs that hold in it (projection of F+)


@dataclass(frozen=True)
class Decomposition:
    relations: tuple[Relation, ...]
    lossless: bool  # the natural join of the relations gives back exactly the original (chase test)
    preserved: tuple[FD, ...]  # FDs of the canonical cover still enforceable inside single relations' joins
    lost: tuple[FD, ...]  # FDs that would need a join (or a trigger) to enforce


def is_lossless(attributes: Iterable[str] | str, relations: Iterable[Iterable[str]], fds: Sequence[FD]) -> bool:
    """The chase: one tableau row per relation, distinguished symbols (0) on its attributes and
    row-specific symbols elsewhere; every FD equates symbols of rows that agree on its left side.
    The join is lossless iff some row ends up all distinguished."""
    universe = check_attributes(attributes, fds)
    columns = sorted(universe)
    parts = [attribute_set(_attributes_of(r)) for r in relations]
    for part in parts:
        if not part <= universe:
            raise UnknownAttributes(universe, part - universe, None, f"part ({', '.join(sorted(part))})")
    position = {a: i for i, a in enumerate(columns)}
    width = len(columns)
    rows = [[0 if a in part else 1 + r * width + position[a] for a in columns] for r, part in enumerate(parts)]
    rules = [([position[a] for a in sorted(f.lhs)], [position[a] for a in sorted(f.rhs)]) for f in merged(fds)]
    changed = True
    while changed:  # every pass either merges two symbols or stops, so at most |rows|·|R| passes
        changed = False
        for lhs, rhs in rules:
            groups: dict[tuple[int, ...], list[list[int]]] = {}
            for row in rows:
                groups.setdefault(tuple(row[i] for i in lhs), []).append(row)
            for group in groups.values():
                if len(group) < 2:
                    continue
                for c in rhs:
                    low = min(row[c] for row in group)  # 0, the distinguished symbol, wins
                    for row in group:
                        if row[c] != low:
                            _rename(rows, c, row[c], low)
                            changed = True
        if any(not any(row) for row in rows):
            return True
    return any(not any(row) for row in rows)


def _rename(rows: list[list[int]], column: int, old: int, new: int) -> None:
    for row in rows:
        if row[column] == old:
            row[column] = new


def _attributes_of(relation: object) -> Iterable[str]:
    return relation.attributes if isinstance(relation, Relation) else relation  # type: ignore[return-value]


def preservation(fds: Sequence[FD], relations: Iterable[Relation | Iterable[str]]) -> tuple[list[FD], list[FD]]:
    """(preserved, lost) among `fds`, without computing F+ or any projection.

    For X -> Y, grow Z from X by Z ∪= (Z ∩ Ri)+ ∩ Ri over every relation Ri until it stops
    growing; Z is then X's closure under the union of the projections, so X -> Y is preserved
    iff Y ⊆ Z (Ullman's test).
    """
    parts = [attribute_set(_attributes_of(r)) for r in relations]
    index = ClosureIndex(list(fds))
    preserved: list[FD] = []
    lost: list[FD] = []
    for f in sorted(set(fds)):
        z = set(f.lhs)
        grew = True
        while grew and not f.rhs <= z:
            grew = False
            for part in parts:
                gained = (index.closure(z & part) & part) - z
                if gained:
                    z |= gained
                    grew = True
        (preserved if f.rhs <= z else lost).append(f)
    return preserved, lost


def synthesize_3nf(relation: str, attributes: Iterable[str] | str, fds: Sequence[FD]) -> Decomposition:
    """Bernstein's synthesis: one relation per left side of a canonical cover (left sides that
    determine each other share one relation), plus a relation holding a key of the whole when
    none does (that makes the join lossless), minus relations whose attributes another relation
    already holds. Always lossless and dependency preserving."""
    universe = check_attributes(attributes, fds)
    cover = canonical_cover(fds)
    index = ClosureIndex(cover)
    # Bernstein merges the groups whose left sides determine each other (X+ = Y+): one table
    # with two candidate keys instead of two tables joined one to one. Named after the smallest.
    by_closure: dict[frozenset[str], tuple[frozenset[str], frozenset[str]]] = {}
    for f in merged(cover):
        reach = index.closure(f.lhs)
        lhs, attrs = by_closure.get(reach, (f.lhs, frozenset()))
        by_closure[reach] = (min(lhs, f.lhs, key=_name_order), attrs | f.lhs | f.rhs)
    groups = list(by_closure.values())
    if not any(universe <= index.closure(attrs) for _, attrs in groups):
        key = minimal_key(universe, universe, index)
        groups.append((key, key))
    # Drop a relation contained in another; among equal ones keep the first in sorted order.
    groups.sort(key=lambda g: (-len(g[1]), sorted(g[1]), sorted(g[0])))
    kept: list[tuple[frozenset[str], frozenset[str]]] = []
    for lhs, attrs in groups:
        if not any(attrs <= other for _, other in kept):
            kept.append((lhs, attrs))
    # The original name goes to the relation that looks like the main table: it holds a key of the
    # whole and the most attributes that determine nothing (payload such as "name"), then the most attributes.
    payload = universe - {a for f in cover for a in f.lhs}
    holders = [g for g in kept if universe <= index.closure(g[1])]
    whole = min(holders, key=lambda g: (-len(g[1] & payload), -len(g[1]), _name_order(g[0])))[1]
    named = _names(relation, [(lhs, attrs, attrs == whole) for lhs, attrs in kept])
    relations = [_relation(name, attrs, cover) for name, attrs in named]
    return _decomposition(universe, relations, cover)


def default_choice(violations: list[FD]) -> FD:
    """The FD to split on when the caller gives no `choose`: the smallest determinant (fewest
    attributes, a likely real-world key such as zip), then the one that moves the most attributes
    out, then by name. Deterministic, and it tends to give few, natural tables."""
    return min(violations, key=lambda f: (len(f.lhs), -len(f.rhs), f))


def decompose_bcnf(relation: str, attributes: Iterable[str] | str, fds: Sequence[FD], choose: Callable[[list[FD]], FD] | None = None) -> Decomposition:
    """Split on a BCNF-violating X -> X+ until every relation is in BCNF: X ∪ X+ becomes a relation
    named after X, the rest keeps the name. Always lossless; may lose dependencies.

    `choose` receives the violations of the relation being split (each X -> X+ minus X within it,
    sorted) and returns the one to split on."""
    universe = check_attributes(attributes, fds)
    cover = canonical_cover(fds)
    pick = choose or default_choice
    done: list[tuple[frozenset[str], frozenset[str], bool]] = []  # (determinant, attributes, keeps name)
    todo: list[tuple[frozenset[str], frozenset[str], list[FD], bool]] = [(frozenset(), universe, cover, True)]
    while todo:
        lhs, attrs, local, original = todo.pop()
        violations = _bcnf_violations(attrs, local)
        if not violations:
            done.append((lhs, attrs, original))
            continue
        split = pick(violations)
        if split not in violations:
            raise ValueError(f"choose returned {split}, which is not one of the violations offered: {', '.join(map(str, violations))}")
        moved = split.lhs | split.rhs
        rest = attrs - split.rhs
        todo.append((lhs, rest, project(local, rest), original))
        todo.append((split.lhs, moved, project(local, moved), False))
    named = _names(relation, done)
    relations = [_relation(name, attrs, cover) for name, attrs in named]
    return _decomposition(universe, relations, cover)


def _bcnf_violations(attrs: frozenset[str], local: list[FD]) -> list[FD]:
    """X -> (X+ ∩ attrs) − X for each left side X of the cover that is not a superkey here."""
    index = ClosureIndex(local)
    found = set()
    for f in merged(local):
        reach = index.closure(f.lhs) & attrs
        if reach != attrs:
            found.add(FD(f.lhs, reach - f.lhs))
    return sorted(found)


def _name_order(lhs: frozenset[str]) -> tuple[int, tuple[str, ...]]:
    return (len(lhs), tuple(sorted(lhs)))


def _names(relation: str, parts: Sequence[tuple[frozenset[str], frozenset[str], bool]]) -> list[tuple[str, frozenset[str]]]:
    """Unique, deterministic names: the part that keeps the original name first, then the others
    after their determinant ("zip"), with _2, _3 ... when two would collide."""
    ordered = sorted(parts, key=lambda p: (not p[2], _name_order(p[0]), sorted(p[1])))
    taken: set[str] = set()
    named: list[tuple[str, frozenset[str]]] = []
    for position, (lhs, attrs, original) in enumerate(ordered):
        # A constant part ({} -> a) has no determinant: name it after what it holds.
        base = relation if original and position == 0 else "_".join(sorted(lhs or attrs))
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}_{n}"
        taken.add(name)
        named.append((name, attrs))
    return named


def _relation(name: str, attrs: frozenset[str], fds: Sequence[FD]) -> Relation:
    local = project(fds, attrs)
    try:
        key = candidate_keys(attrs, local, limit=1_000)[0]
    except TooManyKeys as many:
        key = many.keys[0]
    return Relation(name, tuple(sorted(attrs)), tuple(sorted(key)), tuple(local))


def _decomposition(universe: frozenset[str], relations: list[Relation], cover: list[FD]) -> Decomposition:
    relations.sort(key=lambda r: r.name)
    preserved, lost = preservation(cover, relations)
    lossless = is_lossless(universe, [r.attributes for r in relations], cover)
    return Decomposition(tuple(relations), lossless, tuple(preserved), tuple(lost))
