"""Step-by-step BCNF decomposition driven by the data, as in Normalize (Papenbrock and Naumann).

Each step takes one relation, lists the FDs that violate BCNF in it (X -> X+ minus X, where X is
no superkey), drops determinants the guards reject, ranks the rest (ranking.py) and lets a
chooser pick one: automatically the best, or a person with --interactive.  The chosen split
X -> Y gives a new relation X ∪ Y with primary key X, and the rest R \\ Y keeps X as a foreign
key.  Because desbordante finds *all* minimal FDs, the FDs of a projection are simply those
whose attributes all lie in it; closure and keys come from schemawright.normalization.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from schemawright.normalization import FD, ClosureIndex, TooManyKeys, candidate_keys
from schemawright.profiling import guards, measures, ranking
from schemawright.profiling.budget import SearchBudget
from schemawright.profiling.file_profile import Profile
from schemawright.profiling.ranking import Score

MAX_KEYS = 200


@dataclass(frozen=True)
class Candidate:
    lhs: frozenset[str]
    rhs: frozenset[str]
    score: Score
    signal: str | None

    @property
    def rank(self) -> float:
        return self.score.total + (guards.SIGNAL_BONUS if self.signal else 0.0)

    def describe(self) -> str:
        return f"{', '.join(sorted(self.lhs))} -> {', '.join(sorted(self.rhs))}"


@dataclass
class Node:
    """A relation of the decomposition; `key` is set for relations split off on a determinant."""

    attributes: list[str]  # in the file's column order
    key: frozenset[str] | None = None
    kept: list[Candidate] = field(default_factory=list)  # violations a person chose to keep
    rows: int = 0


@dataclass
class Link:
    child: Node
    columns: frozenset[str]
    parent: Node


@dataclass
class Decomposition:
    nodes: list[Node]
    links: list[Link]
    decisions: list[str]


# Given the relation's attributes and the ranked candidates, return the one to split on, or
# None to keep the relation as it is; `skip` marks candidates a person declined.
Chooser = Callable[[Node, list[Candidate], set[frozenset[str]]], Candidate | None]


def best(_: Node, candidates: list[Candidate], __: set[frozenset[str]]) -> Candidate | None:
    return candidates[0] if candidates else None


def decompose(profile: Profile, choose: Chooser = best, budget: SearchBudget | None = None) -> Decomposition:
    """With a `budget`, splitting stops at its deadline: the relations split so far are kept,
    the rest stays as it is, and a decision says so."""
    root = Node(list(profile.table.names))
    nodes, links, decisions = [root], [], []
    declined: set[frozenset[str]] = set()
    rejected: dict[frozenset[str], str] = {}
    pending = [root]
    while pending:
        node = pending.pop(0)
        while True:
            candidates = _candidates(profile, node, rejected, declined, decisions, budget)
            if budget is not None and budget.expired():
                note = (f"{budget.stopped()}: decomposition ended after {len(nodes) - 1} split(s); "
                        f"relations not yet examined for BCNF violations are kept as they are")
                decisions.append(note)
                budget.notes.append(f"{profile.table.name}: {note}")
                return Decomposition(nodes, links, decisions)
            choice = choose(node, candidates, declined)
            for candidate in candidates:
                if candidate.lhs in declined and candidate not in node.kept:
                    node.kept.append(candidate)
            if choice is None:
                break
            anchored = _anchored(node, choice, links)
            rhs, dropped = guards.verified(profile, choice.lhs, choice.rhs - anchored)
            for attribute, why in sorted(dropped.items()):
                decisions.append(f"not moved with {_set(choice.lhs)}: {attribute}: {why}")
            if not rhs:
                rejected[choice.lhs] = ("it would tear a foreign key's columns apart" if choice.rhs <= anchored
                                        else "none of its dependents hold on all rows")
                decisions.append(f"not split off: {_set(choice.lhs)}: {rejected[choice.lhs]}")
                continue
            child = Node([a for a in node.attributes if a in choice.lhs | rhs], key=choice.lhs)
            decisions.append(f"split {_set(choice.lhs)} -> {_set(rhs)} off ({choice.score.describe()}"
                             + (f"; {choice.signal}" if choice.signal else "") + ")")
            _split(node, child, rhs, links)
            nodes.append(child)
            pending.append(child)
    return Decomposition(nodes, links, decisions)


def _anchored(node: Node, choice: Candidate, links: list[Link]) -> frozenset[str]:
    """Columns of a foreign key of `node` that the split would tear apart (some moving, some
    staying): they stay, so that each foreign key keeps all its columns in one table."""
    kept: set[str] = set()
    for link in links:
        if link.child is node and link.columns & choice.rhs and not link.columns <= choice.lhs | choice.rhs:
            kept |= link.columns
    return frozenset(kept)


def _split(node: Node, child: Node, moved: frozenset[str], links: list[Link]) -> None:
    """Move `moved` from node into child; links whose columns moved follow them."""
    node.attributes = [a for a in node.attributes if a not in moved]
    for link in links:
        if link.child is node and not link.columns <= set(node.attributes):
            link.child = child
    links.append(Link(node, child.key or frozenset(), child))


def _candidates(profile: Profile, node: Node, rejected: dict[frozenset[str], str],
                declined: set[frozenset[str]], decisions: list[str], budget: SearchBudget | None = None) -> list[Candidate]:
    attrs = frozenset(node.attributes)
    local = local_fds(profile.fds, attrs)
    index = ClosureIndex(local)
    found = []
    for lhs in sorted({f.lhs for f in local}, key=lambda s: (len(s), sorted(s))):
        if budget is not None and budget.expired():
            return []  # decompose reports the stop
        if not lhs or lhs in rejected:
            continue  # a constant column stays where it is; a rejection holds for every relation
        closure = index.closure(lhs)
        if attrs <= closure:
            continue  # a superkey
        rhs = (closure & attrs) - lhs - (node.key or frozenset())
        if not rhs:
            continue
        reason = guards.rejection(profile, lhs)
        if reason:
            rejected[lhs] = reason
            decisions.append(f"not split off: {_set(lhs)} -> {_set(rhs)}: {reason}")
            continue
        score = ranking.fd_score(lhs, rhs, node.attributes, profile.sample)
        found.append(Candidate(lhs, rhs, score, guards.signal(profile, lhs)))
    return sorted(found, key=lambda c: (-c.rank, len(c.lhs), sorted(c.lhs)))


def local_fds(fds: list[FD], attrs: frozenset[str]) -> list[FD]:
    """The FDs of a projection: those whose attributes all lie in it."""
    return [f for f in fds if f.lhs <= attrs and f.rhs <= attrs]


def primary_key(profile: Profile, node: Node) -> tuple[frozenset[str] | None, list[frozenset[str]], str]:
    """(chosen key or None, other keys, reason).  Keys hold no NULLs or measurements, are unique
    in the relation's rows on all data, and are ranked by the Normalize key score."""
    attrs = frozenset(node.attributes)
    try:
        keys = candidate_keys(attrs, local_fds(profile.fds, attrs), limit=MAX_KEYS)
    except TooManyKeys:
        keys = [k for k in profile.uccs if k <= attrs]
    # The empty set is a key of a one-row relation (every column constant): no column to key on.
    usable = [k for k in keys if k and k != node.key and guards.rejection_as_key(profile, k) is None
              and _unique(profile, node, k)]
    ranked = sorted(usable, key=lambda k: (-ranking.key_score(k, node.attributes, profile.table).total, sorted(k)))
    if node.key is not None:
        return node.key, ranked, "the determinant it was split off on"
    if not ranked and frozenset() in keys:
        return None, [], "one distinct row: every column is constant, so the data shows no key"
    if not ranked:
        return None, [], "no column combination is unique on all rows without NULLs"
    score = ranking.key_score(ranked[0], node.attributes, profile.table)
    return ranked[0], ranked[1:], f"unique on all rows; the best-ranked candidate key, {score.describe()}"


def _unique(profile: Profile, node: Node, key: frozenset[str]) -> bool:
    """Unique in the relation: over all input rows for the main relation (it keeps every row),
    over the distinct projected rows for a split-off one."""
    if node.key is None:
        return measures.is_unique(profile.table, key)
    return measures.distinct(profile.table, key) == measures.distinct(profile.table, node.attributes)


def _set(attrs: frozenset[str]) -> str:
    return ", ".join(sorted(attrs))
