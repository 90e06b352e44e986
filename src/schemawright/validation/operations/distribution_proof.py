"""Proof of the distribution plan on PostgreSQL itself, with hash partitions standing in for shards.

Citus cannot be installed here.  Its rules for keys are PostgreSQL's rules for a partitioned
table (every primary key and unique constraint contains the partition key), and its routing is
partition pruning: so the planned schema is applied with each distributed table hash-partitioned
on its distribution column (co-located tables with the same modulus), and every access pattern
is EXPLAINed with values for its parameters, partition-wise joins on:

- a pattern planned to run on a single shard must read one partition of each distributed table;
- one planned to fan out with joins on each node must read several, and join them partition by
  partition (a partition-wise join is a co-located join);
- one planned to need a repartition join must show a join that is not partition-wise;
- one planned on reference tables only must read no distributed table.

An INSERT routes its row when it runs, not in its plan: it is run in a rolled-back transaction
(triggers and foreign keys off, so parents need not exist) and the rows it wrote must sit in one
partition.  The planned schema's keys are checked against Citus's documented rules first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import sqlglot
from sqlglot import exp

from schemawright import model as m
from schemawright.database import Database, DatabaseError, sandboxed_database, with_database
from schemawright.scaling.distribution import DistributionPlan
from schemawright.scaling.distribution_keys import distributed_design
from schemawright.scaling.distribution_routing import FAN_OUT, REFERENCE, REPARTITION, ROUTER, Placement, Routing
from schemawright.scaling.plan import plan_operations
from schemawright.security.names import run_roles, scoped
from schemawright.sql.postgresql import render_up
from schemawright.sql.quoting import quote_ident, quote_literal
from schemawright.validation.operations.context import OperationsRun
from schemawright.validation.prepare import prepare
from schemawright.validation.report import FAIL, NOT_MEASURED, NOT_TRIED, PASS, Check
from schemawright.validation.run import extension_problem, use_server

SHARDS = 8  # partitions per distributed table: enough to tell one from all
_LEAVES = """
SELECT c.relname, p.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace n ON n.oid = p.relnamespace
WHERE n.nspname = current_schema()
"""
# A value of each type a parameter may take: any value prunes to one partition of a hash scheme.
_VALUES = {"smallint": "1", "integer": "1", "bigint": "1", "numeric": "1", "real": "1", "double precision": "1",
           "boolean": "true", "date": "2027-01-04", "timestamp with time zone": "2027-01-04 10:00:00+00",
           "timestamp without time zone": "2027-01-04 10:00:00", "time without time zone": "10:00",
           "uuid": "00000000-0000-4000-8000-000000000001", "jsonb": "{}", "json": "{}", "bytea": "\\x00",
           "interval": "1 day", "inet": "127.0.0.1", "cidr": "127.0.0.0/8", "tsquery": "x", "tstzrange":
           "[2027-01-04 10:00+00,2027-01-04 11:00+00)"}


def checks(run: OperationsRun) -> Iterator[Check]:
    plan = plan_operations(run.design).section("distribution", DistributionPlan)
    placements = plan.placement()
    yield _rules_check(run.design, placements)
    stand_in, _ = distributed_design(run.design, placements, shards=SHARDS)
    run.say("distribution: applying the planned schema with hash partitions for shards")
    with use_server(run.database_url, run.say) as server_url:
        missing = extension_problem(server_url, stand_in.extensions, embedded=run.database_url is None)
        if missing:
            yield Check("distribution: planned schema on PostgreSQL", NOT_TRIED, missing)
            return
        with sandboxed_database(server_url, stand_in.extensions, run_roles(stand_in)) as box:
            design = scoped(stand_in, box.database) if stand_in.roles else stand_in
            with Database(box.url) as db:
                try:
                    db.execute(render_up(design))
                except DatabaseError as error:
                    yield Check("distribution: planned schema on PostgreSQL", FAIL,
                                f"the schema with the planned keys does not apply: {error}")
                    return
            distributed = sum(p.kind == "distributed" for p in placements.values())
            yield Check("distribution: planned schema on PostgreSQL", PASS,
                        f"{distributed} distributed tables hash-partitioned into {SHARDS} on their distribution "
                        "columns: every primary key, unique constraint and foreign key accepted")
            # The server's administrator runs the patterns: an INSERT is tried with triggers and foreign
            # keys off (session_replication_role), which only a superuser may set.
            with Database(with_database(server_url, box.database)) as db:
                leaves = dict(db.query(_LEAVES))
                for number, routing in enumerate(plan.routing):
                    pattern = next(p for p in design.access_patterns if p.name == routing.pattern)
                    run.say(f"distribution: {pattern.name}")
                    yield routing_check(db, design, pattern, routing, placements, leaves, f"sw_route_{number}")


def _rules_check(design: m.Design, placements: dict[str, Placement]) -> Check:
    """Citus's documented rules on the planned schema (the keys `distributed_design` changed)."""
    planned, _ = distributed_design(design, placements)
    broken = []
    for table in planned.tables:
        place = placements.get(table.name)
        if place is None or place.kind != "distributed":
            broken += [f"reference table {table.name} points at distributed {fk.ref_table}"
                       for fk in table.foreign_keys
                       if getattr(placements.get(fk.ref_table), "kind", None) == "distributed"]
            continue
        key = place.column or ""
        column = table.column(key)
        if column is None or column.nullable:
            broken.append(f"{table.name}.{key} is missing or nullable")
        keys = ([table.primary_key.columns] if table.primary_key else []) + [u.columns for u in table.uniques]
        keys += [tuple(c.expression for c in i.columns) for i in planned.indexes_on(table.name) if i.unique]
        broken += [f"{table.name} key ({', '.join(k)}) lacks {key}" for k in keys if key not in k]
        for fk in table.foreign_keys:
            target = placements.get(fk.ref_table)
            if target is None or target.kind != "distributed":
                continue
            pairs = dict(zip(fk.columns, fk.ref_columns))
            if target.group != place.group or pairs.get(key) != target.column:
                broken.append(f"{table.name}.{fk.name} does not join {fk.ref_table} on the distribution columns")
    name = "distribution: Citus's key rules"
    if broken:
        return Check(name, FAIL, "; ".join(broken[:6]) + (f" and {len(broken) - 6} more" if len(broken) > 6 else ""))
    return Check(name, PASS, "every key of a distributed table holds its distribution column; foreign keys join "
                             "co-located tables on it; no reference table points at a distributed one")


def routing_check(db: Database, design: m.Design, pattern: m.AccessPattern, routing: Routing,
                  placements: dict[str, Placement], leaves: dict[str, str], statement: str) -> Check:
    name = f"distribution: {pattern.name} runs on {routing.kind}"
    try:
        prepared = prepare(db, statement, pattern.sql, design)
    except (DatabaseError, ValueError) as error:
        return Check(name, FAIL, f"does not prepare on the planned schema: {error}")
    try:
        values = [_value(db, t, k) for k, t in enumerate(prepared.types)]
        call = f"EXECUTE {statement}" + ("(" + ", ".join(quote_literal(v) for v in values) + ")" if values else "")
        if _inserts(pattern.sql):
            return _insert_check(db, name, call, routing, placements)
        with db.transaction(rollback=True):
            db.execute("SET LOCAL plan_cache_mode = force_custom_plan")
            db.execute("SET LOCAL enable_partitionwise_join = on")
            db.execute("SET LOCAL enable_partitionwise_aggregate = on")
            # A stand-in key for the PII functions (a lookup by an encrypted column's blind index needs one).
            db.execute("SELECT set_config(%s, 'a stand-in key, never a real one', true)", [design.security.key_setting])
            plan = db.query_value(f"EXPLAIN (FORMAT JSON) {call}")
    except DatabaseError as error:
        return Check(name, NOT_MEASURED, f"could not EXPLAIN it with stand-in values: {error}")
    finally:
        db.execute(f"DEALLOCATE {statement}")
    root = plan[0]["Plan"] if isinstance(plan, list) else plan["Plan"]
    # An INSERT's target shows in its plan without partitions (rows are routed when it runs).
    read = {t: s for t, s in _read(root, leaves).items() if s or t != root.get("Relation Name")}
    return _judge(name, routing, placements, read, _unpaired_joins(root, leaves, placements))


def _judge(name: str, routing: Routing, placements: dict[str, Placement], read: dict[str, set[str]],
           unpaired: list[str]) -> Check:
    tables = [t for t in read if placements.get(t) and placements[t].kind == "distributed"]
    said = ", ".join(f"{t}: {len(read[t])} of {SHARDS}" for t in sorted(tables)) or "no distributed table"
    if routing.kind == REFERENCE:
        ok = not tables
    elif routing.kind == ROUTER:  # exactly one: a plan that reads none proves nothing
        ok = bool(tables) and all(len(read[t]) == 1 for t in tables)
    elif routing.kind == FAN_OUT:
        ok = any(len(read[t]) > 1 for t in tables) and not unpaired
    else:  # REPARTITION
        ok = bool(unpaired) or len({placements[t].group for t in tables}) > 1
    joins = f"; joins not partition-wise: {', '.join(unpaired)}" if unpaired else ""
    return Check(name, PASS if ok else FAIL, f"partitions read: {said}{joins} (planned: {routing.why})")


def _insert_check(db: Database, name: str, call: str, routing: Routing, placements: dict[str, Placement]) -> Check:
    """Run the INSERT with triggers and foreign keys off, rolled back; count the partitions written."""
    with db.transaction(rollback=True):
        db.execute("SET LOCAL session_replication_role = replica")
        try:
            db.execute(call)
        except DatabaseError as error:
            return Check(name, NOT_MEASURED, f"the INSERT did not run with stand-in values: {error}")
        written = {}
        for table in routing.tables or [t for t, p in placements.items() if p.kind == "distributed"]:
            rows = db.query(f"SELECT tableoid::regclass::text, count(*) FROM {quote_ident(table)} GROUP BY 1")
            if rows:
                written[table] = {r[0] for r in rows}
    said = ", ".join(f"{t}: rows in {len(s)} partition(s)" for t, s in sorted(written.items())) or "no row written"
    single = bool(written) and all(len(s) == 1 for s in written.values())
    # A planned fan-out INSERT whose rows all land in one partition routes after all: the claim is wrong.
    ok = single if routing.kind == ROUTER else bool(written) and not single
    return Check(name, PASS if ok else FAIL, f"{said} (planned: {routing.why})")


def _inserts(sql: str) -> bool:
    """INSERT ... VALUES (also in a CTE): rows routed when it runs.  INSERT ... SELECT is judged by
    its plan, as a read of its source."""
    try:
        tree = sqlglot.parse_one(sql, read="postgres")
    except sqlglot.errors.ParseError:
        return False
    inserts = list(tree.find_all(exp.Insert))
    ctes = {cte.alias for cte in tree.find_all(exp.CTE)}
    reads = [t.name for i in inserts if isinstance(i.expression, exp.Select)
             for t in i.expression.find_all(exp.Table) if t.name not in ctes]
    return bool(inserts) and not reads  # selecting from a data-modifying CTE only routes its rows


def _value(db: Database, pg_type: str, k: int = 0) -> str:
    """A value of `pg_type` for the k-th parameter; later parameters get later values, so a range
    `x >= :a AND x < :b` is not empty (PostgreSQL would exclude every partition for it)."""
    base = pg_type.removesuffix("[]").split("(")[0].strip()
    if pg_type.endswith("[]"):
        return "{" + _value(db, base, k) + "}"
    if base in ("smallint", "integer", "bigint", "numeric", "real", "double precision"):
        return str(k + 1)
    if base in ("date", "timestamp with time zone", "timestamp without time zone"):
        return _VALUES[base].replace("2027-01-04", f"2027-01-{4 + min(k, 24):02d}")
    if base in _VALUES:
        return _VALUES[base]
    if base in ("character", "character varying", "text", "citext", "varchar"):
        return f"x{k}"
    label = db.query_value("SELECT e.enumlabel FROM pg_enum e WHERE e.enumtypid = %s::regtype "
                           "ORDER BY e.enumsortorder LIMIT 1", [base])
    if label is not None:
        return str(label)
    domain = db.query_value("SELECT format_type(typbasetype, NULL) FROM pg_type WHERE oid = %s::regtype "
                            "AND typtype = 'd'", [base])
    return _value(db, str(domain), k) if domain else "1"


def _probed_by_key(join: dict, outer: dict[str, set[str]], inner: dict[str, set[str]],
                   placements: dict[str, Placement]) -> bool:
    """A nested loop whose inner side looks each outer row up by the distribution columns
    (`sensor_id = s.id`): PostgreSQL prunes the inner partitions per row when it runs, as Citus
    runs the lookup on the outer row's node."""
    if join.get("Node Type") != "Nested Loop":
        return False
    conditions = " ".join(_conditions(join["Plans"][1]))
    return all(any(re.search(rf"\b{re.escape(placements[i].column or '')}\)? = \(?\w+\.{re.escape(placements[o].column or '')}\b",
                             conditions) for o in outer) for i in inner)


def _conditions(node: dict) -> list[str]:
    found = [str(node[k]) for k in ("Index Cond", "Filter", "Recheck Cond", "Join Filter") if k in node]
    for child in node.get("Plans", ()):
        found += _conditions(child)
    return found


def _read(node: dict, leaves: dict[str, str]) -> dict[str, set[str]]:
    """table -> its partitions the plan reads."""
    out: dict[str, set[str]] = {}

    def walk(n: dict) -> None:
        relation = n.get("Relation Name")
        if relation in leaves:
            out.setdefault(leaves[relation], set()).add(relation)
        elif relation:
            out.setdefault(relation, set())
        for child in n.get("Plans", ()):
            walk(child)

    walk(node)
    return out


def _unpaired_joins(node: dict, leaves: dict[str, str], placements: dict[str, Placement]) -> list[str]:
    """Joins of two distributed tables that are not partition by partition: a side reads more than
    one partition of a table under the join."""
    found: list[str] = []

    def walk(n: dict) -> None:
        if n.get("Node Type") in ("Hash Join", "Merge Join", "Nested Loop") and len(n.get("Plans", ())) == 2:
            sides = [_read(child, leaves) for child in n["Plans"]]
            dist = [{t: s for t, s in side.items() if placements.get(t) and placements[t].kind == "distributed"}
                    for side in sides]
            if dist[0] and dist[1] and any(len(s) > 1 for side in dist for s in side.values()) \
                    and not _probed_by_key(n, dist[0], dist[1], placements):
                found.append(" x ".join("+".join(sorted(side)) for side in dist))
        for child in n.get("Plans", ()):
            walk(child)

    walk(node)
    return sorted(set(found))

