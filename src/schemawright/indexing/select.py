"""Step 5, checked by the planner: choose indexes by benefit per byte (in the spirit of Extend).

`advise(design, database_url)` works on a database that already holds the design's tables and
(sampled or real) rows.  It

1. freezes statistics once: ANALYZE the design's tables, then (scratch databases) switches
   autovacuum off on them, so every cost of the run is computed from the same statistics;
2. analyses every access pattern (predicates.py) and proposes candidates (candidates.py);
3. costs each pattern with EXPLAIN under what-if indexes (whatif.py: HypoPG, or real builds);
4. searches greedily, like Extend (Schlosser, Kossmann, Boissier 2019): each step either adds
   one index (a single-key atom or one of the rule-built composite/partial/covering/GIN/BRIN
   candidates — the improvement over plain Extend, which only grows one key at a time) or
   extends a chosen B-tree by one key, taking the move with the best
   (frequency-weighted workload cost reduction) / (bytes added), within the budgets;
5. improves the result: drops every chosen index whose removal does not raise the workload
   cost (an index made redundant by a later, wider one); then a local search replaces a chosen
   index by another candidate of its table when that saves more and fits, and fills the freed
   room greedily again; then drop-and-refill drops each chosen index in turn and fills the
   room greedily without it, keeping what ends cheaper (bounded by REFILL_SHARE); with HypoPG,
   builds the chosen indexes for real where allowed, so the storage budget is checked against
   real sizes.

Bounded time: a greedy step costs its moves best bound first, the bound being the benefit per
byte a move had when last costed (adding indexes rarely makes another more useful: the lazy
greedy of Minoux, CELF), and stops once no bound beats the best move found; a move whose size
(size model or build) cannot fit is not costed; past `max_seconds` (MAX_SECONDS) the search
keeps what it has chosen and says so.  `Advice.timing` counts the EXPLAINs, cache hits, what-if
indexes and pruned moves.

A pattern's cost depends only on the what-if indexes on the tables it reads, and an index can
only change the plan of a pattern that uses its first key (or could read it alone): costs are
remembered per (pattern, indexes on its tables) for the whole session, and a step re-costs only
the patterns its index could serve.  `what_if_session` + `advise_in` let several searches (the
benchmark's budgets, the baselines in baselines.py) share that session.

Workload cost = sum over patterns of frequency x EXPLAIN total cost, plus, for write patterns,
frequency x rows written x a maintenance cost per index entry (EXPLAIN does not price index
maintenance): `MAINTENANCE_COST` per method, in planner cost units.

Budgets (defaults):
- storage: `budget_bytes`, default `DEFAULT_BUDGET_FRACTION` (50 %) of the heap size of the
  design's tables;
- write overhead: `max_index_writes` (default 5), the most new indexes a row written by a write
  pattern may have to update (INSERT: every index of the table; UPDATE: indexes on a SET column).
"""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlglot.errors import ParseError, TokenError

from schemawright import model as m
from schemawright.database import Database, DatabaseError
from schemawright.indexing.candidates import (
    MAX_KEYS,
    Candidate,
    CandidateSet,
    Proposal,
    TableFacts,
    propose,
)
from schemawright.indexing.predicates import QueryAccess, TableAccess, analyse, normalise_parameters
from schemawright.indexing.standin import STATISTICS_TARGET, StandIn
from schemawright.indexing.whatif import (
    BuildWhatIf,
    Costed,
    Handle,
    HypoPGWhatIf,
    Unsupported,
    Workload,
    hypopg_available,
    uses_handle,
)
from schemawright.indexing.workload import literals_as_parameters
from schemawright.sql.postgresql import PostgresGenerator
from schemawright.sql.quoting import quote_ident
from schemawright.validation.plaintext import use_test_key
from schemawright.validation.table_reads import WholeTables

DEFAULT_BUDGET_FRACTION = 0.5
DEFAULT_MAX_INDEX_WRITES = 5
MAINTENANCE_COST = {"btree": 2.0, "hash": 2.0, "gin": 6.0, "brin": 0.2}  # per row written, per index
# A move must lower the workload cost by at least this share of the starting cost, so the advice
# holds no index that buys next to nothing.  `min_gain` of advise; 0 = any saving, Extend's
# stopping rule (the TPC-H benchmark compares both that way).
MIN_GAIN = 0.001
PATTERN_DROP = 0.5  # a move under MIN_GAIN still counts if it halves one pattern's cost (Search.run)
MAX_STEPS = 50
MAX_SWAP_ROUNDS = 10
REFILL_SHARE = 2.0  # drop_and_refill's what-if costings, at most this times the search's before it
# The advisor's own time: past this the search keeps what it has chosen and stops (a user waits
# for it; issue 13 asks for under 10 minutes for about 100 queries).  `max_seconds` of advise.
MAX_SECONDS = 540.0
# A move's benefit can grow once other indexes are chosen (a join index makes the other side's
# index pay): its last benefit times this factor bounds it.  1 = plain lazy greedy, which lost
# 1.8 % of workload cost on 95 TPC-H queries without keys at a 100 % budget.
LAZY_SLACK = 2.0
_SQL = PostgresGenerator()  # the session setup statements of the what-if advisor

Progress = Callable[[str], None]


@dataclass
class Chosen:
    candidate: Candidate
    name: str
    size: int
    size_source: str  # "built" or "hypopg estimate"
    patterns: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    benefit: float = 0.0  # workload cost reduction when it was added
    idents: tuple[str, ...] = ()  # what EXPLAIN called it during the run


@dataclass
class Rejected:
    candidate: Candidate
    reason: str


@dataclass
class AdvisorTime:
    """Where the advisor's own time went (printed by `advise`)."""

    seconds: float = 0.0  # wall clock of the search, session setup excluded
    explains: int = 0  # what-if EXPLAINs run
    explain_seconds: float = 0.0
    cache_hits: int = 0  # costs answered from the (pattern, what-if indexes) cache
    whatif_indexes: int = 0  # hypothetical (or built) indexes created
    pruned: int = 0  # candidate moves not costed: their benefit bound per byte was below the best
    stopped: str = ""  # why the search stopped early ("" = it converged)

    def line(self) -> str:
        text = (f"{self.seconds:.2f} s wall clock; {self.explains:,} what-if EXPLAINs ({self.explain_seconds:.2f} s), "
                f"{self.cache_hits:,} costs from the cache, {self.whatif_indexes:,} what-if indexes, "
                f"{self.pruned:,} moves pruned (could not beat the best benefit per byte)")
        return text + (f"; stopped: {self.stopped}" if self.stopped else "")


@dataclass
class PatternCost:
    name: str
    frequency: float
    before: float
    after: float
    indexes: tuple[str, ...] = ()  # what its plan uses with the advice (EXPLAIN's Index Name)
    before_indexes: tuple[str, ...] = ()  # what its plan uses now, without the advice


@dataclass
class Advice:
    design: m.Design
    whatif: str  # hypopg or build
    budget_bytes: int
    data_bytes: int
    chosen: list[Chosen]
    rejected: list[Rejected]
    patterns: list[PatternCost]
    cost_before: float
    cost_after: float
    seconds: float
    evaluations: int
    not_costed: dict[str, str] = field(default_factory=dict)
    parameter_values: str = ""  # where the bound values came from (table_reads summary)
    timing: AdvisorTime = field(default_factory=AdvisorTime)

    @property
    def size_bytes(self) -> int:
        return sum(c.size for c in self.chosen)


class State:
    """The chosen configuration and the cost bookkeeping of the search."""

    def __init__(self, workload: Workload, accesses: dict[str, QueryAccess], design: m.Design,
                 memo: dict | None = None, sizes: dict | None = None, counters: dict | None = None):
        self.workload = workload
        self.counters: dict[str, int] = {} if counters is None else counters  # cache hits, shared
        # A pattern's cost depends only on the what-if indexes on the tables it reads: remember it
        # per (pattern, those indexes), across steps, searches and budgets of one session.
        self.memo: dict[tuple[str, frozenset[Candidate]], Costed] = {} if memo is None else memo
        self.sizes: dict[Candidate, tuple[int, str]] = {} if sizes is None else sizes  # what-if size, source
        self.weights = {p.name: p.frequency for p in design.access_patterns if p.name in workload.prepared}
        self.accesses = accesses
        self.by_table: dict[str, list[str]] = {}
        for name in self.weights:
            for table in accesses[name].tables:
                self.by_table.setdefault(table, []).append(name)
        self.existing = _indexed_columns(design)  # table -> column sets of its keys and indexes (HOT)
        self.chosen: list[Handle] = []
        self.costs: dict[str, Costed] = {n: self.cost(n, []) for n in self.weights}
        self.evaluations = 0

    def total(self) -> float:
        return sum(self.weights[n] * c.cost for n, c in self.costs.items()) + self.maintenance(self.chosen)

    def maintenance(self, handles: list[Handle]) -> float:
        """Index upkeep of the write patterns: an entry per written row in every index a row
        changes; and an UPDATE that a new index makes lose HOT (it sets an indexed column, where
        it set none before) writes a new entry in every existing index of the table too."""
        cost = 0.0
        for name, weight in self.weights.items():
            access = self.accesses[name]
            if access.kind != "write" or not access.target or access.statement == "delete":
                continue
            rows = max(self.costs[name].rows, 1.0)
            hot = access.statement == "update" and self._was_hot(access)
            # An insert, or an update that is not HOT anyway, writes an entry in every index of the table.
            touched = [h for h in handles if h.candidate.table == access.target
                       and (not hot or self._maintains(access, h.candidate))]
            for handle in touched:
                cost += weight * rows * MAINTENANCE_COST.get(handle.candidate.method, 2.0)
            if hot and touched:
                cost += weight * rows * MAINTENANCE_COST["btree"] * len(self.existing.get(access.target, ()))
        return cost

    def _was_hot(self, access: QueryAccess) -> bool:
        """Without new indexes, the update sets no indexed column (a heap-only tuple update)."""
        return not any(set(access.set_columns) & columns for columns in self.existing.get(access.target, ()))

    @staticmethod
    def _maintains(access: QueryAccess, cand: Candidate) -> bool:
        if cand.table != access.target:
            return False
        return access.statement == "insert" or bool(set(access.set_columns) & cand.columns())

    def index_writes(self, handles: list[Handle]) -> int:
        """The most chosen indexes one written row has to update, over the write patterns."""
        worst = 0
        for name in self.weights:
            access = self.accesses[name]
            if access.kind == "write" and access.target and access.statement != "delete":
                worst = max(worst, sum(self._maintains(access, h.candidate) for h in handles))
        return worst

    def affected(self, table: str) -> list[str]:
        return self.by_table.get(table, [])

    def served(self, *cands: Candidate) -> list[str]:
        """The patterns whose plan an index among `cands` could change: those that filter, join,
        group or sort on its first key (a B-tree is entered by its first key), or read nothing
        of its table beyond the index's columns (an index-only scan).  The others keep their
        cost, which saves most EXPLAINs on wide analytical workloads."""
        out: list[str] = []
        for name in dict.fromkeys(n for c in cands for n in self.affected(c.table)):
            for cand in cands:
                use = self.accesses[name].tables.get(cand.table)
                if use is not None and _could_use(use, cand):
                    out.append(name)
                    break
        return out

    def cost(self, name: str, config: list[Candidate], live: Callable[[], None] | None = None) -> Costed:
        """Pattern `name`'s cost under `config`: remembered, or EXPLAINed once `live()` has put
        exactly `config` in place (None: it already is)."""
        tables = self.accesses[name].tables
        key = (name, frozenset(c for c in config if c.table in tables))
        if key not in self.memo:
            if live is not None:
                live()
            self.memo[key] = self.workload.cost(name)
        else:
            self.counters["cache hits"] = self.counters.get("cache hits", 0) + 1
        return self.memo[key]

    def trial(self, table: str, handles: list[Handle], config: list[Candidate] | None = None,
              live: Callable[[], None] | None = None,
              relevant: tuple[Candidate, ...] | None = None) -> tuple[float, dict[str, Costed]]:
        """Workload cost under `config` (default: the candidates of `handles`, in place now),
        re-costing `table`'s patterns; `live` puts `config` in place if an EXPLAIN is needed."""
        self.evaluations += 1
        config = [h.candidate for h in handles] if config is None else config
        once: list[Callable[[], None]] = [live] if live is not None else []

        def ensure() -> None:
            while once:
                once.pop()()

        names = self.affected(table) if relevant is None else self.served(*relevant)
        fresh = {n: self.cost(n, config, ensure) for n in names}
        costs = {**self.costs, **fresh}
        total = sum(self.weights[n] * c.cost for n, c in costs.items()) + self.maintenance(handles)
        return total, fresh


@dataclass
class Move:
    candidate: Candidate
    replaces: Handle | None  # Extend: the chosen index this one extends
    benefit: float
    added: int
    handle_size: int
    source: str


@dataclass
class Session:
    """Everything a search over what-if indexes needs, set up once: the frozen statistics, the
    what-if engine, the PREPAREd workload, each pattern's analysis and the candidates.  The
    advisor and the baselines (baselines.py) search over the same session, so they are costed
    by the same engine on the same statistics."""

    db: Database
    design: m.Design
    tables: list[str]
    data_bytes: int
    engine: BuildWhatIf | HypoPGWhatIf
    builder: BuildWhatIf | None
    workload: Workload
    accesses: dict[str, QueryAccess]
    candidates: CandidateSet
    real_size: dict[Candidate, int]  # candidates built once to measure them (shared by every search)
    memo: dict = field(default_factory=dict)  # State.memo, shared by every search of the session
    sizes: dict = field(default_factory=dict)  # State.sizes, likewise
    counters: dict = field(default_factory=dict)  # cache hits, likewise

    def state(self) -> State:
        """A fresh, empty configuration (no what-if index chosen); costs already known to the
        session are reused."""
        return State(self.workload, self.accesses, self.design, self.memo, self.sizes, self.counters)


@contextmanager
def what_if_session(
    design: m.Design,
    database_url: str,
    *,
    whatif: str = "auto",
    allow_builds: bool = True,
    freeze: bool = True,
    analyze: bool = True,
    enums: dict[str, tuple[str, ...]] | None = None,
    seed: int = 0,
    progress: Progress | None = None,
    reads: WholeTables | None = None,
    lift_literals: bool = False,
    standin: StandIn | None = None,
) -> Iterator[Session]:
    """Open a `Session` on the database at `database_url` (arguments as for `advise`); on exit
    every what-if index is dropped and the statistics are unfrozen."""
    say = progress or (lambda _s: None)
    with Database(database_url) as db:
        use_test_key(db, design)  # pii: encrypt: the patterns' pii_blind() needs a key (bench loaded with it)
        tables = [t.name for t in design.tables if _exists(db, t.name)]
        say("Freezing statistics")
        statistics = _expression_statistics(db, design, tables) if freeze else []
        # The relations that hold the rows: storage parameters and sizes live on the partitions
        # (PostgreSQL refuses the one and reports no size for a partitioned parent).
        stored = [leaf for table in tables for leaf in _leaves(db, table)]
        if analyze:
            if standin is not None:  # every sampled row read, partitioned tables included (standin.py)
                db.execute(f"SET default_statistics_target = {STATISTICS_TARGET}")
            for table in tables:
                db.execute(f"ANALYZE {quote_ident(table)}")
        if freeze:
            for leaf in stored:
                db.execute(_SQL.set_storage_parameters_sql(leaf, {"autovacuum_enabled": "false"}))
        try:
            session = _open(db, design, tables, stored, whatif, allow_builds, enums, seed, say, reads, lift_literals,
                            standin)
            try:
                yield session
            finally:
                session.workload.close()
                session.engine.close()
        finally:
            for name in statistics:
                db.execute(_SQL.drop_statistics_sql(name, if_exists=True))
            if freeze and standin is None:  # stand-in files must never be vacuumed: they are dropped with the database
                for leaf in stored:
                    db.execute(_SQL.reset_storage_parameters_sql(leaf, ["autovacuum_enabled"]))


def _leaves(db: Database, table: str) -> list[tuple[str, ...]]:
    """The relations that hold `table`'s rows, as (schema, name): itself, or its leaf partitions."""
    return [(schema, name) for schema, name in db.query(
        "SELECT n.nspname, c.relname FROM pg_partition_tree(%s::regclass) t JOIN pg_class c ON c.oid = t.relid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE t.isleaf ORDER BY t.relid::regclass::text",
        [quote_ident(table)])] or [(table,)]


def _open(db, design, tables, stored, whatif, allow_builds, enums, seed, say, reads=None,
          lift_literals=False, standin=None) -> Session:
    builder = BuildWhatIf(db, standin) if allow_builds else None
    if whatif == "build" or (whatif == "auto" and not hypopg_available(db)):
        if builder is None:
            raise ValueError("without HypoPG the advisor builds indexes for real: allow_builds=True (scratch database)")
        engine: BuildWhatIf | HypoPGWhatIf = builder
    else:
        if whatif == "hypopg" and not hypopg_available(db):
            raise ValueError("the server has no HypoPG extension (Debian: postgresql-15-hypopg)")
        engine = HypoPGWhatIf(db, fallback=builder)
    say(f"Costing access patterns ({engine.kind})")
    workload = Workload(db, design, enums, seed, reads)  # values bound from the sample's rows
    if standin is not None:
        say("Scaling the sample to the declared volumes")
        standin.scale_up()
    data_bytes = sum(int(db.query_value("SELECT pg_table_size(%s::regclass)", [_SQL.table_name(leaf)]) or 0)
                     for leaf in stored)
    accesses: dict[str, QueryAccess] = {}
    for pattern in design.access_patterns:
        if pattern.name not in workload.prepared:
            continue
        # A workload's literals are one call's values: candidates come from its shape, as
        # pg_stat_statements would record it (costs still use the literal values).
        sql = literals_as_parameters(pattern.sql) if lift_literals else pattern.sql
        try:
            accesses[pattern.name] = analyse(normalise_parameters(sql), design)
        except (ParseError, TokenError) as error:  # PostgreSQL reads it, sqlglot does not
            workload.failures[pattern.name] = f"sqlglot cannot read it: {error}"
            del workload.prepared[pattern.name]
    candidates = propose(design, accesses, _facts(db, tables))
    return Session(db, design, tables, data_bytes, engine, builder, workload, accesses, candidates, {})


def advise(
    design: m.Design,
    database_url: str,
    *,
    budget_bytes: int | None = None,
    max_index_writes: int = DEFAULT_MAX_INDEX_WRITES,
    min_gain: float = MIN_GAIN,
    whatif: str = "auto",
    allow_builds: bool = True,
    freeze: bool = True,
    analyze: bool = True,
    enums: dict[str, tuple[str, ...]] | None = None,
    seed: int = 0,
    progress: Progress | None = None,
    reads: WholeTables | None = None,
    lift_literals: bool = False,
    max_seconds: float | None = MAX_SECONDS,
    standin: StandIn | None = None,
) -> Advice:
    """Planner-checked indexes for `design`'s access patterns on the database at `database_url`.

    whatif: "auto" (HypoPG when the server has it, else real builds), "hypopg" or "build".
    allow_builds: real CREATE INDEX is allowed (scratch databases); needed for "build", for GIN
    under HypoPG, and for checking the budget against real sizes.  freeze: switch autovacuum
    off on the design's tables after ANALYZE (scratch databases) and back on at the end.
    analyze: run ANALYZE first; False on a user's database, which is costed with the
    statistics it already has (advise changes nothing there).  min_gain: the least share of the
    starting workload cost a new index must save (0: any saving, Extend's stopping rule).
    reads: how parameter values may read the tables (validation.table_reads; whole tables by
    default, statistics and samples on a user's database).  lift_literals: candidates from the
    patterns with their predicates' constants as parameters (workload.literals_as_parameters;
    a workload's literals are sample values, a spec's `status = 'open'` is the pattern).
    max_seconds: the advisor's own time limit (None: none); past it the search stops and keeps
    what it has chosen (Advice.timing.stopped says so).  standin: the sample stands in for the
    declared volumes (standin.py; prepared before the call): scaled once the patterns are bound.
    """
    start = time.perf_counter()
    with what_if_session(design, database_url, whatif=whatif, allow_builds=allow_builds, freeze=freeze,
                         analyze=analyze, enums=enums, seed=seed, progress=progress, reads=reads,
                         lift_literals=lift_literals, standin=standin) as session:
        return advise_in(session, budget_bytes, max_index_writes=max_index_writes, min_gain=min_gain,
                         progress=progress, start=start, max_seconds=max_seconds)


def advise_in(session: Session, budget_bytes: int | None = None, *, max_index_writes: int = DEFAULT_MAX_INDEX_WRITES,
              min_gain: float = MIN_GAIN, progress: Progress | None = None, start: float | None = None,
              max_seconds: float | None = MAX_SECONDS) -> Advice:
    """`advise` within an open session (the benchmark runs several budgets in one session);
    leaves no what-if index behind."""
    say = progress or (lambda _s: None)
    start = time.perf_counter() if start is None else start
    search_start = time.perf_counter()
    deadline = None if max_seconds is None else start + max_seconds
    counted = _counts(session)
    budget = int(budget_bytes if budget_bytes is not None else DEFAULT_BUDGET_FRACTION * session.data_bytes)
    engine, builder, workload, candidates = session.engine, session.builder, session.workload, session.candidates
    state = session.state()
    before = {n: c for n, c in state.costs.items()}
    base_total = state.total()
    # A second start: single keys grown one key at a time only (Extend's moves).  The rule-built
    # candidates usually win, but a greedy search can be led astray by any of its moves; the
    # cheaper of the two starts goes on to the local search.  Cheap: costs are remembered.
    atoms_only = CandidateSet(atoms=dict(candidates.atoms), extension_keys=candidates.extension_keys)
    plain = Search(session.state(), engine, atoms_only, budget, max_index_writes, base_total, session.real_size,
                   min_gain)
    plain.deadline = deadline
    try:
        plain.run(say)
        plain.prune()
        plain_total = plain.state.total()
        plain_chosen = [(h.candidate, h.size, h.source, plain.benefits.get(h.candidate, 0.0))
                        for h in plain.state.chosen]
    finally:
        for handle in plain.state.chosen:
            engine.drop(handle)
    search = Search(state, engine, candidates, budget, max_index_writes, base_total, session.real_size, min_gain)
    search.deadline = deadline
    try:
        search.run(say)
        search.prune()
        if plain_total < state.total() - 1e-9:
            search.adopt(plain_chosen)
            say("The start from single keys (Extend's moves) was cheaper; continuing from it")
        search.local_search(say)
        search.drop_and_refill(say)
        search.drop_unused({n: workload.cost(n) for n in state.weights})
        if engine.kind == "hypopg" and builder is not None:
            search.real_sizes(builder)
        final = {n: workload.cost(n) for n in state.weights}
        state.costs = final
        after_total = state.total()
        chosen = search.report(before, final)
        rejected = search.rejections()
    finally:
        for handle in state.chosen:
            engine.drop(handle)
    patterns = [PatternCost(n, state.weights[n], before[n].cost, final[n].cost,
                            tuple(_named(i, chosen) for i in final[n].indexes), before[n].indexes)
                for n in state.weights]
    new_design = _with_indexes(session.design, chosen, rejected, patterns, candidates, workload.failures, engine.kind)
    now = _counts(session)
    timing = AdvisorTime(time.perf_counter() - search_start, now[0] - counted[0], now[1] - counted[1],
                         now[2] - counted[2], now[3] - counted[3], plain.pruned + search.pruned,
                         search.stopped or plain.stopped)
    return Advice(new_design, engine.kind, budget, session.data_bytes, chosen, rejected, patterns, base_total,
                  after_total, time.perf_counter() - start, state.evaluations, dict(workload.failures),
                  workload.reads.summary(), timing)


def _counts(session: Session) -> tuple[int, float, int, int]:
    """EXPLAINs, their seconds, cache hits and what-if indexes created so far in the session."""
    created = session.engine.created
    if session.builder is not None and session.builder is not session.engine:
        created += session.builder.created
    return (session.workload.explains, session.workload.explain_seconds,
            session.counters.get("cache hits", 0), created)


def _expression_statistics(db: Database, design: m.Design, tables: list[str]) -> list[str]:
    """Statistics on the indexed expressions (`lower(email)`), gathered by the one ANALYZE.

    The planner knows an expression's distribution only from an expression index that existed
    at ANALYZE time; a what-if index (hypothetical, or built after the freeze) would be priced
    with a default selectivity.  PostgreSQL 14+ keeps expression statistics without an index.
    """
    if db.server_version < 140000:
        return []
    names: list[str] = []
    for pattern in design.access_patterns:
        try:
            uses = analyse(normalise_parameters(pattern.sql), design).tables.values()
        except (ParseError, TokenError):
            uses = []  # reported as "not costed" when PostgreSQL refuses it
        for use in uses:
            if use.table not in tables:
                continue
            for key in use.filter_keys() + use.join + use.group + [k for k, _ in use.sort]:
                if not key.startswith("("):
                    continue
                name = f"sw_expr_stats_{len(names) + 1}"
                try:
                    db.execute(_SQL.create_statistics_sql(name, use.table, [key]))
                except DatabaseError:
                    continue  # e.g. a volatile expression
                names.append(name)
    return names


def _exists(db: Database, table: str) -> bool:
    return bool(db.query_value("SELECT to_regclass(%s) IS NOT NULL", [quote_ident(table)]))


def _facts(db: Database, tables: list[str]) -> dict[str, TableFacts]:
    out: dict[str, TableFacts] = {}
    for table in tables:
        facts = TableFacts(rows=float(db.query_value(
            "SELECT greatest(reltuples, 0) FROM pg_class WHERE oid = %s::regclass", [quote_ident(table)]) or 0))
        for column, correlation in db.query(
                "SELECT attname, correlation FROM pg_stats WHERE schemaname = current_schema() AND tablename = %s",
                [table]):
            if correlation is not None:
                facts.correlation[column] = float(correlation)
        out[table] = facts
    return out


def _named(index_name: str, chosen: list[Chosen]) -> str:
    """EXPLAIN's name for a what-if index, replaced by the name the design gives it."""
    for c in chosen:
        if index_name in c.idents:
            return c.name
    return index_name


class Search:
    def __init__(self, state: State, engine, candidates: CandidateSet, budget: int, max_writes: int, base: float,
                 real_size: dict[Candidate, int] | None = None, min_gain: float = MIN_GAIN):
        self.min_gain = min_gain
        self.state, self.engine, self.candidates = state, engine, candidates
        self.budget, self.max_writes, self.base = budget, max_writes, base
        self.proposals: dict[Candidate, Proposal] = candidates.all()
        self.first_benefit: dict[Candidate, float] = {}
        self.last_benefit: dict[Candidate, float] = {}
        self.blocked: dict[Candidate, str] = {}
        self.unsupported: dict[Candidate, str] = {}
        self.removed: dict[Candidate, str] = {}
        self.benefits: dict[Candidate, float] = {}
        self.cache: dict[tuple, tuple[float, int, str]] = {}  # (move, table signature) -> benefit, size, source
        self.drops: dict[tuple, float] = {}  # same key -> the most one pattern's cost fell, as a share
        self.bounds: dict[tuple, float] = {}  # (candidate, extended candidate) -> benefit when last costed
        self.pruned = 0
        self.deadline: float | None = None  # perf_counter time after which the search stops
        self.stopped = ""
        # HypoPG runs: sizes of candidates built to check the budget (shared within a session)
        self.real_size: dict[Candidate, int] = {} if real_size is None else real_size

    def used(self) -> int:
        return sum(h.size for h in self.state.chosen)

    def signature(self, table: str) -> tuple:
        """The chosen indexes a what-if on `table` can interact with: those on every table a
        pattern touching `table` also reads (joins), so a cached benefit stays valid until one
        of them changes."""
        related = {t for n in self.state.affected(table) for t in self.state.accesses[n].tables} | {table}
        return tuple(sorted(h.candidate.label() for h in self.state.chosen if h.candidate.table in related))

    def evaluate(self, cand: Candidate, replaces: Handle | None) -> tuple[float, int, str] | None:
        key = (cand, replaces.candidate if replaces else None, self.signature(cand.table))
        if key in self.cache:
            self.state.counters["cache hits"] = self.state.counters.get("cache hits", 0) + 1
            return self.cache[key]
        created: list[Handle] = []
        hidden: list[Handle] = []

        def live() -> None:
            """Put the move's configuration in place: the replaced index out, `cand` in."""
            if replaces is not None and not hidden:
                self.engine.drop(replaces)
                hidden.append(replaces)
            if not created:
                created.append(self.engine.create(cand))
                self.state.sizes[cand] = (created[0].size, created[0].source)

        others = [h for h in self.state.chosen if h is not replaces]
        try:
            if cand not in self.state.sizes:
                live()
            size, source = self.state.sizes[cand]
            current = self.state.total()
            probe = Handle(cand, "", size, source)  # for the maintenance term only
            total, fresh = self.state.trial(cand.table, others + [probe], [h.candidate for h in others] + [cand], live,
                                        (cand,) if replaces is None else (cand, replaces.candidate))
            result = (current - total, size, source)
            # The most one pattern's cost falls, as a share of it (the threshold's second test in run()).
            self.drops[key] = max((1 - c.cost / self.state.costs[n].cost for n, c in fresh.items()
                                   if self.state.costs[n].cost > 0), default=0.0)
        except Unsupported as error:
            self.unsupported[cand] = str(error)
            return None
        except DatabaseError as error:
            self.unsupported[cand] = f"PostgreSQL refused it: {error}"
            return None
        finally:
            for handle in created:
                self.engine.drop(handle)
            for handle in hidden:
                self._restore(handle)
        self.cache[key] = result
        return result

    def _restore(self, handle: Handle) -> None:
        """Re-create a chosen index dropped for a trial; the handle keeps its (measured) size."""
        again = self.engine.create(handle.candidate)
        handle.ident, handle.owner = again.ident, again.owner

    def options(self) -> list[tuple[float, Candidate, Handle | None]]:
        """Every move of this step as (bound on its benefit per byte, candidate, index it
        extends), best bound first.  The bound is the benefit the move had when last costed
        (adding indexes rarely makes another one more useful: the lazy greedy of Minoux /
        CELF), infinite for a move never costed."""
        chosen = {h.candidate for h in self.state.chosen}
        out: list[tuple[float, Candidate, Handle | None]] = []
        for cand in self.proposals:
            if cand in chosen or cand in self.unsupported or cand in self.removed:
                continue
            out.append((self._bound(cand, None), cand, None))
        for handle in self.state.chosen:  # Extend: grow a chosen B-tree by one key
            base = handle.candidate
            if base.method != "btree" or len(base.keys) >= 4:
                continue
            for key in self.candidates.extension_keys.get(base.table, []):
                if key in base.key_names:
                    continue
                ext = base.extended(key)
                if ext not in chosen:
                    out.append((self._bound(ext, handle), ext, handle))
        out.sort(key=lambda o: (-o[0], o[1].label()))
        return out

    def _bound(self, cand: Candidate, replaces: Handle | None) -> float:
        benefit = self.bounds.get((cand, replaces.candidate if replaces else None))
        known = self.state.sizes.get(cand)
        if benefit is None or known is None:
            return float("inf")
        return LAZY_SLACK * benefit / max(known[0] - (replaces.size if replaces else 0), 1)

    def _cannot_fit(self, cand: Candidate, replaces: Handle | None) -> bool:
        """Known, trusted size (size model or a build) over the room left: no need to cost it."""
        known = self.state.sizes.get(cand)
        if known is None or known[1] == "hypopg estimate":
            return False  # a real build may be smaller (resize)
        return self.used() + known[0] - (replaces.size if replaces else 0) > self.budget

    def out_of_time(self) -> bool:
        if self.deadline is not None and time.perf_counter() > self.deadline:
            self.stopped = self.stopped or "the advisor's time limit; the indexes chosen so far are kept"
            return True
        return False

    def run(self, say: Progress) -> None:
        for _step in range(MAX_STEPS):
            if self.out_of_time():
                return
            threshold = self.min_gain * self.base
            # A move below it still counts when it saves that share of the cost left and cuts one pattern's
            # cost at least in half: once the index of a pattern that dominated the workload is chosen, a
            # pattern 20 times rarer is still worth its index (not a plan that barely changes).
            left = self.min_gain * self.state.total()
            best: Move | None = None
            best_ratio = 0.0
            options = self.options()
            for i, (bound, cand, replaces) in enumerate(options):
                if best is not None and bound < best_ratio:
                    self.pruned += len(options) - i  # none of the rest can beat the best
                    break
                if self._cannot_fit(cand, replaces):
                    known = self.state.sizes[cand][0]
                    self.blocked.setdefault(cand, f"over the storage budget: {known:,} bytes "
                                            f"with {self.used():,} of {self.budget:,} already used")
                    continue
                found = self.evaluate(cand, replaces)
                if found is None:
                    continue
                benefit, size, source = found
                self.bounds[(cand, replaces.candidate if replaces else None)] = benefit
                if replaces is None:
                    self.first_benefit.setdefault(cand, benefit)
                    self.last_benefit[cand] = benefit
                move = Move(cand, replaces, benefit, size - (replaces.size if replaces else 0), size, source)
                drop = self.drops.get((cand, replaces.candidate if replaces else None, self.signature(cand.table)), 0.0)
                if move.benefit <= threshold and not (move.benefit > left and drop >= PATTERN_DROP):
                    continue
                if self.used() + move.added > self.budget and move.source == "hypopg estimate":
                    self.resize(move)  # HypoPG over-estimates: a real build may fit
                if self.used() + move.added > self.budget:
                    self.blocked.setdefault(move.candidate, f"over the storage budget: {move.handle_size:,} bytes "
                                            f"with {self.used():,} of {self.budget:,} already used")
                    continue
                if move.replaces is None and self.state.index_writes(self.state.chosen + [_fake(move)]) > self.max_writes:
                    self.blocked.setdefault(move.candidate, f"over the write budget: a written row would update more "
                                            f"than {self.max_writes} new indexes")
                    continue
                ratio = move.benefit / max(move.added, 1)
                if ratio > best_ratio or (ratio == best_ratio and best and move.candidate.label() < best.candidate.label()):
                    best, best_ratio = move, ratio
            if best is None:
                return
            self.apply(best)
            say(f"Chose {best.candidate.label()} (benefit {best.benefit:.1f})")

    def local_search(self, say: Progress) -> None:
        """Greedy by benefit per byte can corner itself: a small index chosen early blocks a
        better, larger one once the budget is nearly spent.  Try replacing each chosen index by
        any other candidate on its table or by itself grown by one key; take the swap that saves the most and fits, fill the
        room it frees greedily again, and repeat while a swap saves."""
        threshold = self.min_gain * self.base
        for _round in range(MAX_SWAP_ROUNDS):
            if self.out_of_time():
                return
            chosen = {h.candidate for h in self.state.chosen}
            best: Move | None = None
            for handle in list(self.state.chosen):
                for cand in self._swaps(handle):
                    if cand in chosen or cand in self.unsupported:
                        continue
                    found = self.evaluate(cand, handle)
                    if found is None or found[0] <= threshold or (best is not None and found[0] <= best.benefit):
                        continue
                    benefit, size, source = found
                    move = Move(cand, handle, benefit, size - handle.size, size, source)
                    if self.used() + move.added > self.budget and source == "hypopg estimate":
                        self.resize(move)
                    if self.used() + move.added <= self.budget:
                        best = move
            if best is None:
                return
            self.apply(best)
            say(f"Swapped {best.replaces.candidate.label()} for {best.candidate.label()} (benefit {best.benefit:.1f})")
            self.run(say)
            self.prune()

    def drop_and_refill(self, say: Progress) -> None:
        """Greedy steps only add, and local_search swaps one index for one: neither finds that
        without one chosen index another of its table pays to grow (TPC-H's customer (c_custkey)
        grown by c_nationkey and the phone prefix replaces (c_nationkey)), or that its room buys
        more as indexes on other tables.  Drop each chosen index in turn, weakest benefit per
        byte first, fill the room greedily without it, and keep the result when the workload
        ends cheaper; another pass while one does.  Bounded: these trials may cost at most
        REFILL_SHARE times the what-if costings of the search before them (a count, so the
        advice does not depend on the machine's speed)."""
        limit = self.state.evaluations * (1 + REFILL_SHARE)
        for _round in range(MAX_SWAP_ROUNDS):
            improved = False
            weakest = sorted(self.state.chosen, key=lambda h: (self.benefits.get(h.candidate, 0.0) / max(h.size, 1),
                                                                h.candidate.label()))
            for handle in weakest:
                if self.out_of_time() or self.state.evaluations > limit:
                    return
                if handle not in self.state.chosen:  # an earlier refill of this pass replaced it
                    continue
                current = self.state.total()
                saved = self._snapshot()
                self._remove(handle)
                self.removed[handle.candidate] = "dropped to refill"  # the refill must not take it back
                self.run(say)
                self.prune()
                if self.state.total() < current - 1e-9 * abs(current):
                    added = sorted(c.label() for c in {h.candidate for h in self.state.chosen} - saved.chosen)
                    self.removed[handle.candidate] = f"its room saves more as {', '.join(added) or 'nothing'}"
                    say(f"Dropped {handle.candidate.label()} for {', '.join(added) or 'nothing'}")
                    improved = True
                else:
                    self._rollback(saved)
            if not improved:
                return

    def _remove(self, handle: Handle) -> None:
        self.engine.drop(handle)
        others = [h for h in self.state.chosen if h is not handle]
        _total, fresh = self.state.trial(handle.candidate.table, others, relevant=(handle.candidate,))
        self.state.chosen = others
        self.state.costs.update(fresh)
        # The lazy bounds assume indexes are only added: without this one, a move on its table
        # it made useless (growing another index of the table by its key) may pay again.
        table = handle.candidate.table
        self.bounds = {move: bound for move, bound in self.bounds.items() if move[0].table != table}

    def _snapshot(self) -> _Snapshot:
        return _Snapshot(list(self.state.chosen), {h.candidate for h in self.state.chosen}, dict(self.state.costs),
                         dict(self.removed), dict(self.benefits), dict(self.blocked), dict(self.last_benefit),
                         copy.deepcopy(self.proposals), dict(self.bounds))

    def _rollback(self, saved: _Snapshot) -> None:
        """Back to `saved`'s configuration: what-if indexes added since dropped, dropped ones made again."""
        live = {h.candidate: h for h in self.state.chosen}
        for cand, handle in live.items():
            if cand not in saved.chosen:
                self.engine.drop(handle)
        for handle in saved.handles:
            if handle.candidate in live:  # the same index (prune may have made it again: take its name)
                handle.ident, handle.owner = live[handle.candidate].ident, live[handle.candidate].owner
            else:
                self._restore(handle)
        self.state.chosen, self.state.costs = list(saved.handles), saved.costs
        self.removed, self.benefits, self.blocked = saved.removed, saved.benefits, saved.blocked
        self.last_benefit, self.proposals, self.bounds = saved.last_benefit, saved.proposals, saved.bounds

    def adopt(self, chosen: list[tuple[Candidate, int, str, float]]) -> None:
        """Replace the chosen indexes by another search's (candidate, size, size source, benefit)."""
        kept = {c for c, _, _, _ in chosen}
        for handle in self.state.chosen:
            self.engine.drop(handle)
            if handle.candidate not in kept:
                self.removed[handle.candidate] = "the search from single keys (Extend's moves) ended cheaper without it"
        self.state.chosen = []
        for cand, size, source, benefit in chosen:
            handle = self.engine.create(cand)
            handle.size, handle.source = size, source  # keep a measured real size
            self.state.chosen.append(handle)
            self.benefits[cand] = benefit
            self.proposals.setdefault(cand, Proposal(cand)).note(None, "chosen by the search from single keys "
                                                                 "grown one key at a time (Extend's moves)")
            self.removed.pop(cand, None)
        config = [h.candidate for h in self.state.chosen]
        self.state.costs = {n: self.state.cost(n, config) for n in self.state.weights}

    def _swaps(self, handle: Handle) -> list[Candidate]:
        """What a chosen index may be replaced by: every candidate on its table, and itself
        grown by one key (Extend's step, here also when the budget is nearly spent)."""
        base = handle.candidate
        out = [c for c in self.proposals if c.table == base.table]
        if base.method == "btree" and len(base.keys) < MAX_KEYS:
            out += [base.extended(k) for k in self.candidates.extension_keys.get(base.table, []) if k not in base.key_names]
        return list(dict.fromkeys(out))

    def apply(self, move: Move) -> None:
        if move.replaces is not None:
            self.engine.drop(move.replaces)
            self.state.chosen.remove(move.replaces)
            old = move.replaces.candidate
            proposal = self.proposals.get(old) or Proposal(old)
            self.proposals.setdefault(move.candidate, Proposal(move.candidate))
            for pattern in proposal.patterns:
                self.proposals[move.candidate].note(pattern, f"extends {old.label()}")
            grown = move.candidate.keys[:len(old.keys)] == old.keys
            self.proposals[move.candidate].note(None, f"Extend: {old.label()} grown by one key" if grown else
                                                f"local search: replaces {old.label()}")
            self.removed[old] = f"extended into {move.candidate.label()}"
        handle = self.engine.create(move.candidate)
        self.measure(handle)
        self.state.chosen.append(handle)
        self.benefits[move.candidate] = move.benefit
        config = [h.candidate for h in self.state.chosen]
        changed = (move.candidate,) if move.replaces is None else (move.candidate, move.replaces.candidate)
        self.state.costs.update({n: self.state.cost(n, config) for n in self.state.served(*changed)})

    def prune(self) -> None:
        """Drop, newest first, each chosen index whose removal does not raise the workload cost."""
        for handle in list(reversed(self.state.chosen)):
            current = self.state.total()
            self.engine.drop(handle)
            others = [h for h in self.state.chosen if h is not handle]
            total, fresh = self.state.trial(handle.candidate.table, others, relevant=(handle.candidate,))
            if total <= current + 1e-9:
                self.state.chosen = others
                self.state.costs.update(fresh)
                self.removed[handle.candidate] = "redundant: the other chosen indexes serve its patterns as cheaply"
            else:
                restored = self.engine.create(handle.candidate)
                restored.size, restored.source = handle.size, handle.source  # keep a measured real size
                self.state.chosen[self.state.chosen.index(handle)] = restored

    def drop_unused(self, costs: dict[str, Costed]) -> None:
        """Drop each chosen index no pattern's plan uses.  An index can lower a cost without being
        used: the planner reads a column's true minimum or maximum from any B-tree led by it, which
        changes its row estimates, not its plan; that is no reason to build the index."""
        for handle in list(self.state.chosen):
            if not any(uses_handle(c, handle) for c in costs.values()):
                self.engine.drop(handle)
                self.state.chosen.remove(handle)
                self.removed[handle.candidate] = ("no pattern's plan uses it: it only changed the planner's row "
                                                  "estimates (it reads a column's minimum or maximum from the index)")

    def built_size(self, cand: Candidate) -> int | None:
        """The real size of `cand`, built once (where builds are allowed) and remembered."""
        builder = getattr(self.engine, "fallback", None)
        if builder is None:
            return None
        if cand not in self.real_size:
            try:
                real = builder.create(cand)
            except DatabaseError:
                return None
            self.real_size[cand] = real.size
            builder.drop(real)
        return self.real_size[cand]

    def resize(self, move: Move) -> None:
        """Replace a move's HypoPG size estimate by the size of a real build (where allowed)."""
        size = self.built_size(move.candidate)
        if size is None:
            return
        move.added += size - move.handle_size
        move.handle_size, move.source = size, "built"

    def measure(self, handle: Handle) -> None:
        """Once an index is chosen, build it for real (where builds are allowed), keep the real
        size for every later budget check, and drop the build (estimates are estimates)."""
        if handle.source not in ("hypopg estimate", "size model"):
            return
        size = self.built_size(handle.candidate)
        if size is not None:
            handle.size, handle.source = size, f"built ({handle.source}: {handle.size:,} bytes)"

    def real_sizes(self, builder: BuildWhatIf) -> None:
        """Real sizes for every chosen index; drop the lowest benefit-per-byte ones while the
        real total is over the budget."""
        for handle in self.state.chosen:
            self.measure(handle)
        while self.used() > self.budget and self.state.chosen:
            worst = min(self.state.chosen, key=lambda h: self.benefits.get(h.candidate, 0) / max(h.size, 1))
            self.engine.drop(worst)
            self.state.chosen.remove(worst)
            self.removed[worst.candidate] = "over the storage budget once built for real"

    def report(self, before: dict[str, Costed], final: dict[str, Costed]) -> list[Chosen]:
        out: list[Chosen] = []
        names: set[str] = set()
        for handle in self.state.chosen:
            cand = handle.candidate
            name = cand.name()
            while name in names:
                name = cand.name() + f"_{len(names)}"
            names.add(name)
            proposal = self.proposals.get(cand) or Proposal(cand)
            served = [n for n, c in final.items() if uses_handle(c, handle)]
            idents = tuple(sorted({i for c in final.values() for i in c.indexes if uses_handle(Costed(0, 0, (i,)), handle)}))
            out.append(Chosen(cand, name, handle.size, handle.source, served or list(proposal.patterns),
                              list(proposal.rules), self.benefits.get(cand, 0.0), idents))
        return out

    def rejections(self) -> list[Rejected]:
        chosen = {h.candidate for h in self.state.chosen}
        out: list[Rejected] = []
        threshold = self.min_gain * self.base
        for cand in sorted(set(self.proposals) | set(self.removed), key=lambda c: c.label()):
            if cand in chosen:
                continue
            if cand in self.removed:
                reason = self.removed[cand]
            elif cand in self.unsupported:
                reason = self.unsupported[cand]
            elif cand in self.blocked and self.last_benefit.get(cand, 0) > threshold:
                reason = self.blocked[cand]
            elif self.first_benefit.get(cand, 0) <= threshold:
                gain = self.first_benefit.get(cand, 0.0)
                reason = ("the planner does not use it: no access pattern gets cheaper" if gain <= 1e-9 else
                          f"too little gain: workload cost {gain:.2f} lower, under the {self.min_gain:.1%} threshold "
                          f"(and no pattern's cost halved)")
            elif self.last_benefit.get(cand, 0) < 0 and self.state.maintenance([Handle(cand, "", 0, "")]) > 0:
                reason = (f"its upkeep on the write patterns costs more than it saves once the chosen indexes serve "
                          f"its patterns (gain fell from {self.first_benefit[cand]:.1f} to "
                          f"{self.last_benefit.get(cand, 0):.1f})")
            else:
                reason = (f"the chosen indexes already serve its patterns (gain fell from "
                          f"{self.first_benefit[cand]:.1f} to {self.last_benefit.get(cand, 0):.1f})")
            out.append(Rejected(cand, reason))
        for cand, owner in self.candidates.existing:
            out.append(Rejected(cand, f"already served by existing index {owner}"))
        return out


@dataclass
class _Snapshot:
    """A search's configuration and bookkeeping, to return to after a trial (drop_and_refill)."""

    handles: list[Handle]
    chosen: set[Candidate]
    costs: dict[str, Costed]
    removed: dict[Candidate, str]
    benefits: dict[Candidate, float]
    blocked: dict[Candidate, str]
    last_benefit: dict[Candidate, float]
    proposals: dict[Candidate, Proposal]
    bounds: dict[tuple, float]


def _indexed_columns(design: m.Design) -> dict[str, list[set[str]]]:
    """Table -> the columns of each of its keys and indexes: its keys, expressions, INCLUDE and
    WHERE (an UPDATE that sets any of them is not HOT; a word of an expression that is a column
    counts)."""
    out: dict[str, list[set[str]]] = {}
    for table in design.tables:
        keys = ([table.primary_key.columns] if table.primary_key else []) + [u.columns for u in table.uniques]
        out[table.name] = [set(k) for k in keys]
    for index in design.indexes:
        names = {c.name for t in design.tables if t.name == index.table for c in t.columns}
        words = {w for text in [c.expression for c in index.columns] + [index.where or ""]
                 for w in re.findall(r"\w+", text)} | set(index.include)
        out.setdefault(index.table, []).append(words & names)
    return out


def _could_use(use: TableAccess, cand: Candidate) -> bool:
    if cand.method == "gin":
        return any(key == cand.keys[0][0] for key, _ in use.gin)
    keys = use.filter_keys() + use.join + use.group + [k for k, _ in use.sort]
    if cand.keys[0][0] in keys:
        return True
    if cand.method == "btree" and not use.star and use.projected:
        return set(use.projected) <= cand.columns()
    return False


def _fake(move: Move) -> Handle:
    return Handle(move.candidate, "", move.handle_size, move.source)


def _with_indexes(design: m.Design, chosen: list[Chosen], rejected: list[Rejected], patterns: list[PatternCost],
                  candidates: CandidateSet, failures: dict[str, str], kind: str) -> m.Design:
    costs = {p.name: p for p in patterns}
    indexes, decisions = [], []
    for c in chosen:
        served = ", ".join(f"{p} {costs[p].before:.1f} -> {costs[p].after:.1f}" for p in c.patterns if p in costs)
        reason = (f"planner-checked ({kind}): {'; '.join(c.rules)}; serves {served or 'no costed pattern'}; "
                  f"size {c.size:,} bytes ({c.size_source})")
        indexes.append(c.candidate.to_index(c.name, reason=reason, patterns=tuple(c.patterns)))
        decisions.append(m.Decision(step="indexing", subject=f"{c.candidate.table}.{c.name}",
                                    choice=f"create {c.candidate.label()}", reason=reason))
    for r in rejected:
        decisions.append(m.Decision(step="indexing", subject=r.candidate.table, choice=f"reject {r.candidate.label()}",
                                    reason=r.reason))
    for name, error in sorted(failures.items()):
        decisions.append(m.Decision(step="indexing", subject=name, choice="not costed", reason=error))
    serving: dict[str, list[str]] = {}
    for index in indexes:
        for p in index.patterns:
            serving.setdefault(p, []).append(index.name)
    access = tuple(p.model_copy(update={"served_by": tuple(sorted(set(p.served_by) | set(serving.get(p.name, []))))})
                   for p in design.access_patterns)
    return design.model_copy(update={"indexes": design.indexes + tuple(indexes), "access_patterns": access,
                                     "decisions": design.decisions + tuple(decisions)})
