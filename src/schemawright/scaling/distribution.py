"""Scale-out beyond one machine: a Citus distribution plan, and whether it is needed yet.

One server is enough while the data stays under DATA_BYTES and the peak rates under
WRITES_PER_SECOND and QUERIES_PER_SECOND (reasons beside them).  Past that, the plan is
Citus's: hash-distributed tables that share a distribution column form a co-location group
(their rows of one value live on one node, so joins and foreign keys on that column stay
local), small and rarely written tables become reference tables (a copy on every node).

The distribution column is the tenant column when the design isolates tenants (Citus's
multi-tenant model); otherwise the root entity that makes the most access patterns, weighted
by their rates, run on a single shard: every candidate among the largest table and its
ancestors is tried, and a table that reaches the root through another table gets the root's
key copied down (a changed key, listed).  The plan is written either way, so a team knows
today which keys a later move to Citus would change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from schemawright import model as m
from schemawright.scaling.distribution_keys import KeyChange, distributed_design
from schemawright.scaling.distribution_routing import (
    FAN_OUT,
    REFERENCE,
    REPARTITION,
    ROUTER,
    Placement,
    Routing,
    equality_columns,
    route,
)
from schemawright.scaling.volumes import table_volumes

if TYPE_CHECKING:
    from schemawright.scaling.plan import OperationsPlan

# Past 2 TiB a restore at ~300 MB/s takes about two hours and a VACUUM or an index build of the
# largest tables runs for hours: the point where splitting the data beats a bigger disk.
DATA_BYTES = 2 * 1024**4
# A standby replays WAL on one process: sustained writes past ~20,000 rows/s are where its lag
# grows without bound on common hardware.
WRITES_PER_SECOND = 20_000
# ~100,000 short queries/s saturate the largest common single machines (about 64-96 cores).
QUERIES_PER_SECOND = 100_000
# A reference table is copied to every node and each write goes to all of them: small and calm only.
REFERENCE_MAX_ROWS = 1_000_000
REFERENCE_MAX_WRITES = 10.0  # writes per second at peak: each is a two-phase commit on every node
SHARD_COUNT = 32  # Citus's default citus.shard_count: room to rebalance onto up to 32 nodes
MONTHS = 36


@dataclass(frozen=True)
class DistributionPlan:
    needed: bool
    why: str  # the threshold figures
    root: str | None  # the co-location group's root table
    placements: tuple[Placement, ...]
    changes: tuple[KeyChange, ...]
    routing: tuple[Routing, ...]
    citus_sql: str
    candidates: tuple[Candidate, ...] = ()
    title: str = "Scale-out beyond one machine"
    anchor: str = "distribution"

    def placement(self) -> dict[str, Placement]:
        return {p.table: p for p in self.placements}

    def markdown(self) -> list[str]:
        verdict = ("**Needed:** " if self.needed else "**Not needed yet:** ") + self.why
        out = [verdict, "",
               "The plan below targets Citus (distributed PostgreSQL). It is written either way: the keys it "
               "changes are cheaper to adopt before the data is large.", "",
               *self._candidates(), "### Tables", "", "| table | placement | distribution column | co-location group | why |",
               "|---|---|---|---|---|"]
        for p in self.placements:
            column = (p.column or "") + (" (new)" if p.added else "")
            out.append(f"| `{p.table}` | {p.kind} | {column or '—'} | {p.group or '—'} | {p.reason} |")
        out += ["", "### Access patterns", "", "| pattern | runs on | why |", "|---|---|---|"]
        out += [f"| `{r.pattern}` | {r.kind} | {r.why} |" for r in self.routing]
        counts = {kind: sum(r.kind == kind for r in self.routing) for kind in (ROUTER, FAN_OUT, REPARTITION, REFERENCE)}
        out += ["", "; ".join(f"{n} {kind}" for kind, n in counts.items() if n) + ".", ""]
        out += ["### Keys and constraints that change", ""]
        out += [f"- `{c.table}`: {c.change}" for c in self.changes] or ["- None: every key already carries the "
                                                                        "distribution column."]
        out += ["", "Citus's rules checked (and proven on PostgreSQL by `validate --operations`, with hash "
                "partitions standing in for shards): every primary key, unique constraint and exclusion "
                "constraint of a distributed table contains its distribution column; a foreign key between "
                "distributed tables joins co-located tables on it; no reference table points at a distributed "
                "one; a distribution column is NOT NULL and never updated.",
                "", "`distribution/citus.sql` holds the schema with these changes and the Citus calls that "
                "distribute it."]
        return out

    def files(self) -> dict[str, str]:
        return {"distribution/citus.sql": self.citus_sql}

    def _candidates(self) -> list[str]:
        if not self.candidates:
            return []
        total = sum(1 for _ in self.routing)
        out = ["### Distribution column", "",
               f"Co-location group root: `{self.root}`. Each root tried (the largest table and the tables it "
               "reaches by foreign keys), best first: executions per second at peak that run on one shard, that "
               "would need a repartition join, constraints Citus could no longer enforce, columns copied down.", "",
               "| root | single-shard /s | repartition /s | constraints lost | columns added |", "|---|---|---|---|---|"]
        out += [f"| `{c.root}` | {c.routed:,.1f} | {c.repartitioned:,.1f} | {c.lost} | {c.added} |"
                for c in self.candidates]
        return out + ["", f"({total} access patterns in all.)", ""]


def plan(design: m.Design, earlier: OperationsPlan) -> DistributionPlan:
    needed, why = _needed(design, earlier)
    root, placements, candidates = choose(design)
    routing = tuple(route(design, p, placements) for p in design.access_patterns)
    changes = distributed_design(design, placements)[1] + _updated_keys(design, placements)
    return DistributionPlan(needed, why, root, tuple(placements.values()), changes, routing,
                            citus_sql(design, placements), candidates)


@dataclass(frozen=True)
class Candidate:
    """One root tried, and what distributing by it gives."""

    root: str
    routed: float  # executions/s that run on one shard (or on reference tables only)
    repartitioned: float  # executions/s that would need a repartition join
    lost: int  # constraints Citus could no longer enforce (foreign keys dropped, uniqueness per value)
    added: int  # distribution columns copied into tables that lack them

    def order(self) -> tuple[float, float, int, int, str]:
        return (-self.routed, self.repartitioned, self.lost, self.added, self.root)


def choose(design: m.Design) -> tuple[str | None, dict[str, Placement], tuple[Candidate, ...]]:
    """The root of the co-location group, every table's placement, and the candidates weighed."""
    # Rows at MONTHS as the capacity plan counts them (a junction without a volume from its parents).
    sizes: dict[str, int | None] = {name: round(v.held(MONTHS)) for name, v in table_volumes(design).items()}
    tenant = design.security.tenant_column
    if tenant and any(t.column(tenant) for t in design.tables):
        root = _tenant_root(design, tenant)
        placements = _placements(design, sizes, root, {t.name: tenant for t in design.tables if t.column(tenant)},
                                 f"the tenant column {tenant}: every tenant's rows on one node", tenants=True)
        return root, placements, (_weigh(design, root, placements),)
    tried = []
    for candidate in _candidates(design, sizes):
        placements = _placements(design, sizes, candidate, _columns_under(design, candidate), "")
        tried.append((_weigh(design, candidate, placements), placements))
    if not tried:
        return None, {t.name: Placement(t.name, "reference", reason="small") for t in design.tables}, ()
    tried.sort(key=lambda c: c[0].order())
    return tried[0][0].root, tried[0][1], tuple(c for c, _ in tried)


def _weigh(design: m.Design, root: str, placements: dict[str, Placement]) -> Candidate:
    kinds = [(p.frequency, route(design, p, placements).kind) for p in design.access_patterns]
    changes = distributed_design(design, placements)[1]
    lost = sum(c.kind in ("foreign key dropped", "uniqueness per value") for c in changes)
    return Candidate(root, sum(f for f, k in kinds if k in (ROUTER, REFERENCE)),
                     sum(f for f, k in kinds if k == REPARTITION), lost,
                     sum(1 for p in placements.values() if p.added))


def _placements(design: m.Design, sizes: dict[str, int | None], root: str, columns: dict[str, str], reason: str,
                tenants: bool = False) -> dict[str, Placement]:
    """With `tenants`, every table with the tenant column is distributed, however small: a tenant's
    rows together is the point of the multi-tenant model."""
    out = {}
    for table in design.tables:
        rows, writes = sizes.get(table.name), _writes(design, table.name)
        small = rows is not None and rows <= REFERENCE_MAX_ROWS and writes <= REFERENCE_MAX_WRITES
        column = columns.get(table.name)
        demoted = small and not tenants and table.name != root and not _reaches_distributed(design, table, columns)
        if column and not demoted:
            why = reason or ("its own key: the root of the group" if table.name == root
                             else f"reaches {root} by its foreign keys")
            out[table.name] = Placement(table.name, "distributed", column, root, table.column(column) is None, why)
        elif small:
            out[table.name] = Placement(table.name, "reference", reason=f"{_count(rows)} rows at {MONTHS} months, "
                                                                        f"{writes:g} writes/s: a copy on every node")
        else:
            key = table.primary_key.columns[0] if table.primary_key else None
            size = (f"written {writes:g} times a second at peak, too often for a reference table (each write "
                    "goes to every node)" if rows is not None and rows <= REFERENCE_MAX_ROWS
                    else f"large ({_count(rows)} rows)")
            out[table.name] = Placement(table.name, "distributed", key, table.name, False,
                                        f"{size} and not reachable from {root}: its own group")
    return out


def _reaches_distributed(design: m.Design, table: m.Table, columns: dict[str, str]) -> bool:
    """A small table that points at a group member stays distributed: a reference table may not
    point at a distributed one."""
    return any(fk.ref_table in columns and fk.ref_table != table.name for fk in table.foreign_keys)


def _tenant_root(design: m.Design, tenant: str) -> str:
    for table in design.tables:
        for fk in table.foreign_keys:
            if fk.columns == (tenant,) and design.table(fk.ref_table):
                return fk.ref_table
    return next(t.name for t in design.tables if t.column(tenant))


def _candidates(design: m.Design, sizes: dict[str, int | None]) -> list[str]:
    """The largest table and every table it reaches by foreign keys."""
    sized = [(sizes.get(t.name) or 0, t.name) for t in design.tables]
    if not sized:
        return []
    largest = max(sized)[1]
    seen, todo = [largest], [largest]
    while todo:
        table = design.table(todo.pop())
        for fk in table.foreign_keys if table else ():
            if fk.ref_table not in seen and design.table(fk.ref_table):
                seen.append(fk.ref_table)
                todo.append(fk.ref_table)
    return sorted(seen)


def _columns_under(design: m.Design, root: str) -> dict[str, str]:
    """table -> its distribution column when `root` leads the group: the root's first key column;
    in a table that points at a member, its own column of that foreign key which matches the
    member's distribution column, or else the member's distribution column copied down."""
    root_table = design.table(root)
    if root_table is None or root_table.primary_key is None:
        return {}
    columns = {root: root_table.primary_key.columns[0]}
    changed = True
    while changed:
        changed = False
        for table in design.tables:
            if table.name in columns:
                continue
            options = []
            for fk in table.foreign_keys:
                parent = columns.get(fk.ref_table) if fk.ref_table != table.name else None
                if parent is None:
                    continue
                if parent in fk.ref_columns:
                    options.append((0, fk.columns[fk.ref_columns.index(parent)]))
                else:
                    options.append((1, parent))  # copied down
            if options:
                pinned = _pinned_rates(design, table.name)
                # Its own column before a copy; then the one the patterns pin most (order_line's home
                # warehouse, not its supplying one); then by name, for a stable choice.
                columns[table.name] = min(options, key=lambda o: (o[0], -pinned.get(o[1], 0.0), o[1]))[1]
                changed = True
    return columns


def _pinned_rates(design: m.Design, table: str) -> dict[str, float]:
    """column -> executions/s of the patterns that filter it by equality."""
    rates: dict[str, float] = {}
    for pattern in design.access_patterns:
        for column in equality_columns(design, pattern).get(table, ()):
            rates[column] = rates.get(column, 0.0) + pattern.frequency
    return rates


def _updated_keys(design: m.Design, placements: dict[str, Placement]) -> tuple[KeyChange, ...]:
    """Write patterns that change a distribution column: Citus refuses that (a row would move shard)."""
    import sqlglot
    from sqlglot import exp

    out = []
    for pattern in design.access_patterns:
        try:
            tree = sqlglot.parse_one(pattern.sql, read="postgres")
        except sqlglot.errors.ParseError:
            continue
        if not isinstance(tree, exp.Update) or not isinstance(tree.this, exp.Table):
            continue
        place = placements.get(tree.this.name)
        assigned = {e.this.name for e in tree.expressions if isinstance(e, exp.EQ) and isinstance(e.this, exp.Column)}
        if place and place.kind == "distributed" and place.column in assigned:
            out.append(KeyChange(place.table, f"pattern {pattern.name} updates the distribution column "
                                              f"{place.column}: move the row by DELETE and INSERT instead",
                                 "updated distribution column"))
    return tuple(out)


def citus_sql(design: m.Design, placements: dict[str, Placement]) -> str:
    """The schema with the keys Citus needs, then the calls that distribute it (reference tables
    first: a distributed table's foreign keys may point at them)."""
    from schemawright.sql.postgresql import render_up

    changed, _ = distributed_design(design, placements)
    lines = ["-- The schema as Citus needs it (operations.md, 'Scale-out beyond one machine'), then the calls",
             "-- that distribute it. Run on the coordinator after CREATE EXTENSION citus and adding the workers.",
             "", render_up(changed).rstrip(), "", "-- Reference tables: a copy on every node."]
    reference = [p for p in placements.values() if p.kind == "reference"]
    distributed = sorted((p for p in placements.values() if p.kind == "distributed"),
                         key=lambda p: (p.group != p.table, p.group or "", p.table))
    lines += [f"SELECT create_reference_table('{p.table}');" for p in reference]
    lines += ["", f"-- Distributed tables, {SHARD_COUNT} shards each; a group's tables are co-located with its root."]
    lines += [f"SET citus.shard_count = {SHARD_COUNT};"]
    for p in distributed:
        colocate = "" if p.group == p.table else f", colocate_with => '{p.group}'"
        lines.append(f"SELECT create_distributed_table('{p.table}', '{p.column}'{colocate});")
    return "\n".join(lines) + "\n"


def _needed(design: m.Design, earlier: OperationsPlan) -> tuple[bool, str]:
    size = _data_bytes(earlier)
    writes = sum(p.frequency * max(p.returns or 1, 1) for p in design.access_patterns if p.kind == "write")
    queries = sum(p.frequency for p in design.access_patterns)
    over = []
    if size is not None and size > DATA_BYTES:
        over.append(f"data at {MONTHS} months {_gib(size)} > {_gib(DATA_BYTES)}")
    if writes > WRITES_PER_SECOND:
        over.append(f"{writes:,.0f} row writes/s > {WRITES_PER_SECOND:,}")
    if queries > QUERIES_PER_SECOND:
        over.append(f"{queries:,.0f} queries/s > {QUERIES_PER_SECOND:,}")
    said = (f"data at {MONTHS} months {_gib(size) if size is not None else 'unknown'} (threshold {_gib(DATA_BYTES)}), "
            f"{writes:,.0f} row writes/s at peak (threshold {WRITES_PER_SECOND:,}), {queries:,.0f} queries/s "
            f"(threshold {QUERIES_PER_SECOND:,}).")
    return (True, "; ".join(over) + ". " + said) if over else (False, "one server carries it: " + said)


def _data_bytes(earlier: OperationsPlan) -> int | None:
    capacity = earlier.sections.get("capacity")
    total = getattr(capacity, "total_bytes", None)
    return int(total(MONTHS)) if callable(total) else None


def _writes(design: m.Design, table: str) -> float:
    return sum(p.frequency for p in design.access_patterns if p.kind == "write" and table in p.tables)


def _count(rows: int | None) -> str:
    return "unknown" if rows is None else f"{rows:,}"


def _gib(size: float) -> str:
    return f"{size / 1024**4:.2f} TiB" if size >= 1024**4 else f"{size / 1024**3:.1f} GiB"
