"""`validate`'s proof that partitioning pays: patterns that filter the partition key prune.

For every pattern that filters a partitioned table by its partition key (by equality, or
by range for a range scheme) the pattern is PREPAREd, bound with values from the loaded
rows, and EXPLAINed twice: with a custom plan (the planner prunes at plan time, so only the
surviving partitions appear) and with a generic plan (pruning happens when the executor
starts and EXPLAIN reports "Subplans Removed").  The check passes when both plans touch
fewer partitions than the table has.  The maintenance function is run too, in a
transaction that is rolled back.
"""

from __future__ import annotations

from schemawright import model as m
from schemawright.database import Database, DatabaseError
from schemawright.partitioning.usage import table_usage
from schemawright.sql.quoting import quote_ident, quote_literal
from schemawright.validation.params import positional, uses
from schemawright.validation.patterns import Binder
from schemawright.validation.report import FAIL, PASS, Check

_LEAVES = """
SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = %s::regclass ORDER BY c.relname
"""


def partition_checks(db: Database, design: m.Design, *, enums: dict[str, tuple[str, ...]] | None = None,
                     seed: int = 0, **_: object) -> list[Check]:
    """One PASS/FAIL line per (pattern that should prune, partitioned table), then one per
    maintenance function."""
    checks = []
    for table in design.tables:
        scheme = table.partitioning
        if scheme is None:
            continue
        for number, use in enumerate(table_usage(design, table.name)):
            if use.filters(scheme.columns[0], by_range=scheme.method == "range"):
                checks.append(pruning_check(db, design, table, use.pattern, enums=enums or {}, seed=seed,
                                            statement=f"sw_prune_{number}"))
        if scheme.maintenance_function:
            checks.append(maintenance_check(db, table, scheme.maintenance_function))
    return checks


def pruning_check(db: Database, design: m.Design, table: m.Table, pattern: m.AccessPattern, *,
                  enums: dict[str, tuple[str, ...]], seed: int = 0, statement: str = "sw_prune") -> Check:
    name = f"partition pruning: {pattern.name} on {table.name}"
    key = table.partitioning.columns[0] if table.partitioning else "?"
    try:
        leaves = [r[0] for r in db.query(_LEAVES, [quote_ident(table.name)])]
        plans = _plans(db, design, table, pattern, enums, seed, statement)
    except DatabaseError as error:
        return Check(name, FAIL, f"could not EXPLAIN it: {error}")
    custom, generic = (_touched(plan, set(leaves)) for plan in plans)
    total = len(leaves)
    shown = ", ".join(custom[0][:4]) + (f" and {len(custom[0]) - 4} more" if len(custom[0]) > 4 else "")
    detail = (f"plan-time: {len(custom[0])} of {total} partitions ({shown or 'none'}); "
              f"generic plan: {len(generic[0])} of {total}, {generic[1]} subplans removed at run time")
    if len(custom[0]) < total and len(generic[0]) < total:
        return Check(name, PASS, detail)
    return Check(name, FAIL, f"{detail}; the condition on {key} does not prune: compare {key} itself with a "
                             "value (not inside OR, a function or a cast of the column)")


def _plans(db: Database, design: m.Design, table: m.Table, pattern: m.AccessPattern,
           enums: dict[str, tuple[str, ...]], seed: int, statement: str) -> tuple[object, object]:
    bound = positional(pattern.sql)
    db.execute(f"PREPARE {statement} AS {bound.sql}")
    try:
        types = db.query_value("SELECT parameter_types::text[] FROM pg_prepared_statements WHERE name = %s",
                               [statement]) or []
        binder = Binder(db, design, enums, f"{seed}:{pattern.name}", pattern.sql)
        usage = uses(pattern.sql, design)
        values = binder.values(bound.names, list(types), usage, 0)
        values = _narrow_window(db, table, bound.names, values, usage)
        call = f"EXECUTE {statement}" + (
            "(" + ", ".join("NULL" if v is None else quote_literal(v) for v in values) + ")" if values else "")
        custom = db.query_value(f"EXPLAIN (FORMAT JSON) {call}")
        with db.transaction(rollback=True):
            # What an application's prepared statement gets after five runs: one plan for
            # all values, pruned when the executor starts.
            db.execute("SET LOCAL plan_cache_mode = force_generic_plan")
            generic = db.query_value(f"EXPLAIN (FORMAT JSON) {call}")
        return custom, generic
    finally:
        db.execute(f"DEALLOCATE {statement}")


def _narrow_window(db: Database, table: m.Table, names: tuple[str, ...], values: list[str | None],
                   usage: dict) -> list[str | None]:
    """A range on the partition key gets the window an application asks for: from a recent
    value (the 90th percentile of the loaded rows) to the newest.  The validator's usual
    choice, the whole span of the data, would rightly need every partition and prove nothing."""
    key = table.partitioning.columns[0] if table.partitioning else None
    roles = {n: usage[n].role for n in names if n in usage and usage[n].table == table.name
             and usage[n].column == key and usage[n].role in ("low", "high")}
    if not roles:
        return values
    column = quote_ident(key)
    low, high = db.query(f"SELECT (percentile_disc(0.9) WITHIN GROUP (ORDER BY {column}))::text, "
                         f"max({column})::text FROM {quote_ident(table.name)}")[0]
    if low is None:
        return values
    return [(low if roles[n] == "low" else high) if n in roles else v for n, v in zip(names, values)]


def _touched(explain: object, leaves: set[str]) -> tuple[list[str], int]:
    """Partitions the plan reads, and how many subplans run-time pruning removed."""
    root = explain[0]["Plan"] if isinstance(explain, list) else explain["Plan"]  # type: ignore[index]
    seen: list[str] = []
    removed = 0

    def walk(node: dict) -> None:
        nonlocal removed
        name = node.get("Relation Name")
        if name in leaves and name not in seen:
            seen.append(name)
        removed += int(node.get("Subplans Removed", 0))
        for child in node.get("Plans", ()):
            walk(child)

    walk(root)
    return sorted(seen), removed


def maintenance_check(db: Database, table: m.Table, function: str) -> Check:
    """Run the maintenance function once and roll it back: it must work on the real schema."""
    name = f"partition maintenance: {table.name}"
    try:
        with db.transaction(rollback=True):
            actions = [r[0] for r in db.query(f"SELECT * FROM {quote_ident(function)}()")]
    except DatabaseError as error:
        return Check(name, FAIL, f"{function}() fails: {error}")
    created = sum(a.startswith("created") for a in actions)
    moved = sum("moved" in a for a in actions)
    dropped = sum(a.startswith("dropped") for a in actions)
    return Check(name, PASS, f"{function}() runs: would create {created} partition(s) ({moved} with rows moved "
                             f"out of DEFAULT) and drop {dropped} (rolled back)")
