"""What-if indexes: ask PostgreSQL's planner what a pattern would cost with an index.

Two implementations of one small interface (`create`, `drop`, `size`, `close`):

- `HypoPGWhatIf`: hypothetical indexes from the HypoPG extension, detected at run time
  (`CREATE EXTENSION hypopg` when the server has it).  Nothing is built, so it is fast and
  safe on a live database.  HypoPG cannot simulate GIN; those candidates go to a fallback
  (real builds) when one is allowed.  HypoPG's `hypopg_relation_size` over-estimates B-tree
  sizes about twofold (no deduplication, generous overhead), so a B-tree's size comes from
  btree_size.SizeModel (within 10 % of real builds) and the advisor still re-checks the budget
  against real built sizes where it may build.
- `BuildWhatIf`: real `CREATE INDEX` on the (scratch) database holding sampled synthetic
  data, `pg_relation_size` for the size.  Only for scratch databases: it takes locks and
  writes.  A dropped what-if index is hidden from the planner (`pg_index.indisvalid` false,
  which the planner skips) rather than dropped, and shown again when the search tries the
  same index in another configuration: the search tries about five configurations per
  distinct index, and a build on a stand-in costs a new backend and a file resize.

`Workload` PREPAREs each access pattern once, binds values once (the binder of
validation.patterns: values sampled from the data, so equality finds rows), and costs it with
`EXPLAIN (FORMAT JSON) EXECUTE` under `plan_cache_mode = force_custom_plan`.

Why custom plans with sampled values, not generic plans: a generic plan cannot use a partial
index whose WHERE a parameter would have to match, cannot turn `LIKE :p` into an index range,
and prices every range at a fixed default selectivity; a custom plan sees a real value and the
statistics for it, as the application's queries will.  The sample is the most common value
(the binder's choice), a conservative one: an index that helps the most common value helps the
rarer ones more.
"""

from __future__ import annotations

import itertools
import re
import time
from dataclasses import dataclass, field

from schemawright import model as m
from schemawright.database import Database, DatabaseError
from schemawright.indexing.btree_size import SizeModel
from schemawright.indexing.candidates import Candidate
from schemawright.indexing.predicates import normalise_parameters
from schemawright.indexing.standin import StandIn
from schemawright.sql.postgresql import PostgresGenerator, create_index
from schemawright.sql.quoting import quote_ident, quote_literal
from schemawright.validation.params import uses
from schemawright.validation.prepare import prepare
from schemawright.validation.patterns import Binder
from schemawright.validation.table_reads import WholeTables

WHATIF_PREFIX = "sw_whatif_"


class Unsupported(Exception):
    """This what-if implementation cannot simulate the candidate (e.g. GIN under HypoPG)."""


@dataclass
class Handle:
    candidate: Candidate
    ident: str  # what EXPLAIN prints as Index Name (or a part of it)
    size: int
    source: str  # "size model", "hypopg estimate" or "built"
    owner: object = None


class BuildWhatIf:
    """Real indexes on a scratch database."""

    kind = "build"

    def __init__(self, db: Database, standin: StandIn | None = None):
        self.db = db
        self.standin = standin  # declared volumes: builds run on the sample, then are scaled
        self.model: SizeModel | None = None
        self._serial = itertools.count(1)
        self.live: dict[str, Handle] = {}
        self.hidden: dict[Candidate, Handle] = {}  # built, invisible to the planner until tried again
        self.created = 0  # what-if indexes put in place, for the advisor's time report
        self.built = 0  # of which really built (the others were shown again)
        self._admin: Database | None = None

    def create(self, candidate: Candidate) -> Handle:
        self.created += 1
        kept = self.hidden.pop(candidate, None)
        if kept is not None:
            self._set_valid(kept.ident, True)
            handle = Handle(candidate, kept.ident, kept.size, kept.source, self)
            self.live[handle.ident] = handle
            return handle
        name = f"{WHATIF_PREFIX}{next(self._serial)}"
        self.built += 1
        if self.standin is not None:
            if self.model is None:
                self.model = SizeModel(self.db)  # reads the statistics once scaled (builds come after)
            self.standin.build(create_index(candidate.to_index(name)), name, candidate.table,
                               self.model.size(candidate))
        else:
            self.db.execute(create_index(candidate.to_index(name)))
        # An index on a partitioned table has no storage of its own: its partitions' indexes do.
        size = int(self.db.query_value(
            "SELECT coalesce((SELECT sum(pg_relation_size(relid)) FROM pg_partition_tree(%s::regclass)), "
            "pg_relation_size(%s::regclass))", [quote_ident(name), quote_ident(name)]) or 0)
        handle = Handle(candidate, name, size, "built", self)
        self.live[name] = handle
        return handle

    def drop(self, handle: Handle) -> None:
        if self.live.pop(handle.ident, None) is None:
            return  # already hidden or dropped
        if self.standin is None or handle.candidate in self.hidden:  # hide one copy at most
            self.db.execute(PostgresGenerator().drop_index_sql(handle.ident, if_exists=True))
            return
        self._set_valid(handle.ident, False)
        self.hidden[handle.candidate] = handle

    def _set_valid(self, name: str, valid: bool) -> None:
        """Show or hide an index (and its partitions' indexes) to the planner, as the stand-in's
        superuser (the catalog is not the sandboxed role's).  The catalog update sends a relcache
        invalidation for each index, which every backend reads before it plans again (the
        planner locks the table first)."""
        if self._admin is None:
            self._admin = Database(self.standin.admin_url)  # type: ignore[union-attr]  # only with a stand-in
            self._admin.execute("SET synchronous_commit = off")  # a scratch database: no need to wait for WAL
        self._admin.execute("UPDATE pg_index SET indisvalid = %s WHERE indexrelid = %s::regclass OR indexrelid IN "
                            "(SELECT relid FROM pg_partition_tree(%s::regclass))",  # none for a plain index
                            [valid, quote_ident(name), quote_ident(name)])

    def close(self) -> None:
        for handle in [*self.live.values(), *self.hidden.values()]:
            self.db.execute(PostgresGenerator().drop_index_sql(handle.ident, if_exists=True))
        self.live.clear()
        self.hidden.clear()
        if self._admin is not None:
            self._admin.close()
            self._admin = None


class HypoPGWhatIf:
    """Hypothetical indexes (HypoPG); `fallback` builds what HypoPG cannot simulate."""

    kind = "hypopg"

    def __init__(self, db: Database, fallback: BuildWhatIf | None = None):
        self.db = db
        self.fallback = fallback
        self.model = SizeModel(db)
        self.created = 0  # hypothetical indexes made, for the advisor's time report
        self.db.execute("SELECT hypopg_reset()")

    def create(self, candidate: Candidate) -> Handle:
        if candidate.method not in ("btree", "brin", "hash"):
            if self.fallback is None:
                raise Unsupported(f"HypoPG cannot simulate {candidate.method} indexes and real builds are not allowed")
            return self.fallback.create(candidate)
        statement = create_index(candidate.to_index("hypo")).rstrip(";")
        self.created += 1
        try:
            oid = self.db.query_value("SELECT indexrelid FROM hypopg_create_index(%s)", [statement])
        except DatabaseError as error:
            if self.fallback is None:
                raise Unsupported(f"HypoPG cannot simulate it: {error}") from None
            return self.fallback.create(candidate)
        modelled = self.model.size(candidate)
        if modelled is not None:  # a budget means real bytes: HypoPG's B-tree sizes are about 2x
            return Handle(candidate, f"<{oid}>", modelled, "size model", self)
        size = int(self.db.query_value("SELECT hypopg_relation_size(%s)", [oid]) or 0)
        return Handle(candidate, f"<{oid}>", size, "hypopg estimate", self)

    def drop(self, handle: Handle) -> None:
        if handle.owner is not self:
            handle.owner.drop(handle)  # type: ignore[union-attr]
            return
        self.db.execute("SELECT hypopg_drop_index(%s)", [int(handle.ident.strip("<>"))])

    def close(self) -> None:
        self.db.execute("SELECT hypopg_reset()")
        if self.fallback is not None:
            self.fallback.close()


def hypopg_available(db: Database) -> bool:
    """Load HypoPG if the server has it; False when it cannot be loaded."""
    if db.query_value("SELECT 1 FROM pg_extension WHERE extname = 'hypopg'"):
        return True
    if not db.query_value("SELECT 1 FROM pg_available_extensions WHERE name = 'hypopg'"):
        return False
    try:
        db.execute("CREATE EXTENSION IF NOT EXISTS hypopg")
    except DatabaseError:
        return False  # e.g. no privilege to create extensions
    return True


# ---------------------------------------------------------------- costing


@dataclass
class Costed:
    cost: float
    rows: float  # rows the top node returns (or writes, for a write statement)
    indexes: tuple[str, ...]  # Index Name of every index the plan uses


@dataclass
class PreparedPattern:
    pattern: m.AccessPattern
    statement: str
    call: str  # EXECUTE name(values)
    params: dict[str, str | None] = field(default_factory=dict)


class Workload:
    """The access patterns PREPAREd on one connection, each with one set of bound values."""

    def __init__(self, db: Database, design: m.Design, enums: dict[str, tuple[str, ...]] | None = None, seed: int = 0,
                 reads: WholeTables | None = None):
        self.db = db
        self.reads = reads or WholeTables()  # how parameter values may read the tables
        self.prepared: dict[str, PreparedPattern] = {}
        self.failures: dict[str, str] = {}
        self.partitioned = any(t.partitioning for t in design.tables)
        self.explains = 0  # EXPLAINs run and their time, for the advisor's time report
        self.explain_seconds = 0.0
        db.execute("SET plan_cache_mode = force_custom_plan")
        for i, pattern in enumerate(design.access_patterns):
            try:
                self.prepared[pattern.name] = self._prepare(design, pattern, f"sw_advise_{i}", enums or {}, seed)
            except (DatabaseError, ValueError) as error:
                self.failures[pattern.name] = str(error)

    def _prepare(self, design, pattern, statement, enums, seed) -> PreparedPattern:
        sql = normalise_parameters(pattern.sql)
        prepared = prepare(self.db, statement, sql, design)  # typed from the columns where PostgreSQL cannot tell
        bound, types = prepared.bound, list(prepared.types)
        binder = Binder(self.db, design, enums, f"{seed}:{pattern.name}", sql, self.reads)
        usage = uses(sql, design)
        values = binder.values(bound.names, list(types), usage, 0)
        values = self._windows(bound.names, values, usage)
        # Without parameters a prepared statement keeps one cached plan, which a hypothetical
        # index does not invalidate: EXPLAIN the text itself then.
        call = f"EXECUTE {statement}" + (
            "(" + ", ".join("NULL" if v is None else quote_literal(v) for v in values) + ")" if values else "")
        if not bound.names:
            call = bound.sql
        prepared = PreparedPattern(pattern, statement, call, dict(zip(bound.names, values)))
        self.explain(prepared)  # fails here, not in the middle of the search, if values do not fit
        return prepared

    def _windows(self, names: tuple[str, ...], values: list[str | None], usage: dict) -> list[str | None]:
        """A range with both ends bound gets the last histogram bucket (about 1 % of the rows:
        the recent rows a range pattern usually reads) instead of the validation binder's
        extremes, which span the whole table and make every range index look useless."""
        ends: dict[tuple[str, str], dict[str, int]] = {}
        for i, name in enumerate(names):
            use = usage.get(name)
            if use is not None and use.role in ("low", "high") and use.table and use.column:
                ends.setdefault((use.table, use.column), {})[use.role] = i
        out = list(values)
        for (table, column), where in ends.items():
            if len(where) != 2:
                continue
            found = self.reads.statistics(self.db, table, column)
            bounds = found.histogram if found is not None else ()
            if len(bounds) >= 2:
                out[where["low"]], out[where["high"]] = bounds[-2], bounds[-1]
        return out

    def explain(self, prepared: PreparedPattern) -> Costed:
        start = time.perf_counter()
        plan = self.db.query_value(f"EXPLAIN (FORMAT JSON) {prepared.call}")
        self.explains += 1
        self.explain_seconds += time.perf_counter() - start
        root = plan[0]["Plan"]
        names: list[str] = []

        def walk(node: dict) -> None:
            if "Index Name" in node:
                names.append(node["Index Name"])
            for child in node.get("Plans", ()):
                walk(child)

        walk(root)
        if self.partitioned:  # EXPLAIN names a partition's copy of an index
            names = self._roots(names)
        rows = float(root.get("Plan Rows", 0))
        if root.get("Node Type") == "ModifyTable":
            child = (root.get("Plans") or [{}])[0]
            rows = float(child.get("Plan Rows", 1))
        return Costed(float(root["Total Cost"]), rows, tuple(dict.fromkeys(names)))

    def cost(self, name: str) -> Costed:
        return self.explain(self.prepared[name])

    def _roots(self, names: list[str]) -> list[str]:
        """A partition's index under the name of the index on the partitioned table, which is
        the one the design creates.  Asked each time: PostgreSQL names each partition's copy
        after its columns, so the same name comes back under the next what-if index."""
        real = [n for n in names if not n.startswith("<")]  # HypoPG's are never partitioned
        if not real:
            return names
        roots = dict(self.db.query(
            "SELECT c.relname::text, coalesce(pg_partition_root(c.oid), c.oid)::regclass::text FROM pg_class c "
            "WHERE c.relname = ANY(%s) AND c.relkind IN ('i', 'I') AND pg_table_is_visible(c.oid)", [real]))
        return list(dict.fromkeys(roots.get(n, n) for n in names))

    def close(self) -> None:
        for prepared in self.prepared.values():
            try:
                self.db.execute(f"DEALLOCATE {prepared.statement}")
            except DatabaseError:
                pass


def uses_handle(costed: Costed, handle: Handle) -> bool:
    """Does the plan use this what-if index?  (HypoPG names look like `<13556>btree_t_a`.)"""
    if handle.ident.startswith("<"):
        return any(n.startswith(handle.ident) for n in costed.indexes)
    return handle.ident in costed.indexes


def strip_hypo_name(name: str) -> str:
    return re.sub(r"^<\d+>", "", name)
