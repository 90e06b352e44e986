"""Baselines the advisor is measured against, over the same what-if session (select.Session):
the same engine, statistics, workload and candidate attributes, so only the search differs.

- `extend`: Extend (Schlosser, Kossmann, Boissier, "Efficient Scalable Multi-Attribute Index
  Selection Using Recursive Strategies", ICDE 2019), written from the paper's description:
  start with no index; at each step consider (a) every single-attribute index not yet chosen
  and (b) every chosen index extended by one more attribute of its table (appended, the
  original is replaced); take the step with the best ratio of workload-cost reduction to
  additional storage; stop when no step both fits the budget and lowers the cost.  Candidate
  attributes are the advisor's (`CandidateSet.extension_keys`: filter, join, GROUP BY and
  ORDER BY keys); sizes follow the advisor's rule (HypoPG's estimate, replaced by the real size
  of a build whenever the estimate would decide the budget), so both are held to real bytes.
- `all_single_columns`: every single-attribute candidate at once, no budget.
- `floor`: every candidate index of up to `FLOOR_WIDTH` keys at once, no budget — every
  permutation of the attributes one query reads on one table, plus the advisor's rule-built
  candidates of that width.  The planner picks the best of all of them for each query, so no
  selection from these candidates can cost less (up to the planner's own heuristics).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass

from schemawright.database import DatabaseError
from schemawright.indexing.candidates import MAX_KEYS, Candidate, covers, existing_indexes
from schemawright.indexing.predicates import TableAccess
from schemawright.indexing.select import Move, Progress, Search, Session
from schemawright.indexing.whatif import Costed, Handle, Unsupported, uses_handle

FLOOR_WIDTH = 3


@dataclass
class Configuration:
    """A set of indexes a method chose, with its what-if workload cost."""

    method: str
    candidates: list[Candidate]
    cost: float  # frequency-weighted EXPLAIN cost of the workload with these indexes
    size_bytes: int  # sizes as the search saw them (real where it built them, else HypoPG's)
    seconds: float  # the method's own run time
    evaluations: int = 0  # what-if workload costings
    used: tuple[Candidate, ...] = ()  # the candidates some plan uses


def workload_cost(session: Session, candidates: list[Candidate]) -> Configuration:
    """Cost the workload with all `candidates` in place at once (what-if), then drop them."""
    start = time.perf_counter()
    state = session.state()
    handles: list[Handle] = []
    try:
        for cand in candidates:
            try:
                handles.append(session.engine.create(cand))
            except (Unsupported, DatabaseError):
                continue  # e.g. an expression PostgreSQL refuses as an index key
        costs: dict[str, Costed] = {n: session.workload.cost(n) for n in state.weights}
        state.costs, state.chosen = costs, handles  # the chosen indexes' upkeep by write patterns counts too
        total = state.total()
        used = tuple(h.candidate for h in handles if any(uses_handle(c, h) for c in costs.values()))
        size = sum(h.size for h in handles)
    finally:
        for handle in handles:
            session.engine.drop(handle)
    return Configuration("", [h.candidate for h in handles], total, size, time.perf_counter() - start, 1, used)


def no_index(session: Session) -> Configuration:
    found = workload_cost(session, [])
    found.method = "no index"
    return found


def all_single_columns(session: Session) -> Configuration:
    found = workload_cost(session, sorted(session.candidates.atoms, key=Candidate.label))
    found.method = "all single-column"
    return found


def floor_candidates(session: Session, width: int = FLOOR_WIDTH) -> list[Candidate]:
    """Every permutation of up to `width` attributes one query reads on one table, plus the
    advisor's rule-built candidates of at most `width` keys; sorted, without duplicates."""
    found: set[Candidate] = set()
    for access in session.accesses.values():
        for use in access.tables.values():
            keys: list[str] = []
            for key in use.filter_keys() + use.join + use.group + [k for k, _ in use.sort]:
                TableAccess.add(keys, key)
            for n in range(1, min(width, len(keys)) + 1):
                for combo in itertools.permutations(keys, n):
                    found.add(Candidate(use.table, tuple((k, False) for k in combo)))
    found.update(c for c in session.candidates.all() if len(c.keys) <= width)
    # Like the advisor's candidates: none that an existing index (a primary key) already is or
    # starts with; the planner would otherwise trade the real index for its hypothetical twin.
    present = [ex for _name, ex in existing_indexes(session.design)]
    return sorted((c for c in found if not any(covers(ex, c) for ex in present)), key=Candidate.label)


def floor(session: Session, width: int = FLOOR_WIDTH) -> Configuration:
    found = workload_cost(session, floor_candidates(session, width))
    found.method = f"floor (every candidate <= {width} keys)"
    return found


def extend(session: Session, budget_bytes: int, *, max_width: int = MAX_KEYS,
           progress: Progress | None = None) -> Configuration:
    """Extend's greedy search within `budget_bytes` (see the module docstring)."""
    say = progress or (lambda _s: None)
    start = time.perf_counter()
    state = session.state()
    base = state.total()
    atoms = session.candidates.atoms
    # The advisor's Search lends its what-if costing (with its cache) and its size rule; the
    # steps themselves are Extend's, below.
    search = Search(state, session.engine, session.candidates, budget_bytes, max_writes=10**9, base=base,
                    real_size=session.real_size)
    try:
        while True:
            best = _best_step(search, atoms, max_width)
            if best is None:
                break
            search.apply(best)
            say(f"Extend chose {best.candidate.label()}")
        chosen = [h.candidate for h in state.chosen]
        size = search.used()
        cost = state.total()
    finally:
        for handle in state.chosen:
            session.engine.drop(handle)
    return Configuration("Extend", chosen, cost, size, time.perf_counter() - start, state.evaluations)


def _best_step(search: Search, atoms, max_width: int) -> Move | None:
    chosen = {h.candidate for h in search.state.chosen}
    steps: list[Move] = []
    for cand in atoms:  # (a) a new single-attribute index
        if cand not in chosen and (found := search.evaluate(cand, None)) is not None:
            benefit, size, source = found
            steps.append(Move(cand, None, benefit, size, size, source))
    for handle in search.state.chosen:  # (b) a chosen index grown by one attribute
        if len(handle.candidate.keys) >= max_width:
            continue
        for key in search.candidates.extension_keys.get(handle.candidate.table, []):
            wider = handle.candidate.extended(key)
            if key in handle.candidate.key_names or wider in chosen:
                continue
            if (found := search.evaluate(wider, handle)) is not None:
                benefit, size, source = found
                steps.append(Move(wider, handle, benefit, size - handle.size, size, source))
    best: Move | None = None
    best_ratio = 0.0
    for step in steps:
        if step.benefit <= 1e-9:
            continue
        if search.used() + step.added > search.budget and step.source == "hypopg estimate":
            search.resize(step)  # HypoPG over-estimates B-trees: the real build may fit
        if search.used() + step.added > search.budget:
            continue
        ratio = step.benefit / max(step.added, 1)
        if best is None or ratio > best_ratio or (ratio == best_ratio and step.candidate.label() < best.candidate.label()):
            best, best_ratio = step, ratio
    return best
