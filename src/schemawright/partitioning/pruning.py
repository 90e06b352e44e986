"""`validate`'s proof that partitioning pays: patterns that filter the partition key prune.

For every pattern that filters a partitioned table by its partition key (by equality, or
by range for a range scheme), or compares an expression of the key with a value, the pattern is PREPAREd, bound, and EXPLAINed twice: with a
custom plan (the planner prunes at plan time, so only the surviving partitions appear) and
with a generic plan (pruning happens when the executor starts and EXPLAIN reports "Subplans
Removed").  On a range scheme the parameters compared with the key get values on the
partitions' own bounds, around the middle partition: `due_on < :d` gets the upper bound of
the middle partition, so the condition admits the partitions below it and no others.  The
check passes when both plans read only partitions the condition admits (DEFAULT aside) and
fewer than the table has: a one-sided range is not asked to prune to one partition.  When a
plan reads every partition the detail names the cause found in the SQL (an OR, a function or
cast around the key, a comparison with another column, a parameter of another type).  The
maintenance function is run too, in a transaction that is rolled back.
"""

from __future__ import annotations

from dataclasses import dataclass

from schemawright import model as m
from schemawright.database import Database, DatabaseError
from schemawright.partitioning.cause import compares_key_with_value, no_pruning_cause
from schemawright.partitioning.usage import table_usage
from schemawright.sql import partition_bounds
from schemawright.sql.quoting import quote_ident, quote_literal
from schemawright.validation.params import Use, positional, uses
from schemawright.validation.patterns import Binder
from schemawright.validation.report import FAIL, PASS, Check

_LEAVES = """
SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
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
            if use.filters(scheme.columns[0], by_range=scheme.method == "range") or \
                    compares_key_with_value(use.pattern.sql, table):
                checks.append(pruning_check(db, design, table, use.pattern, enums=enums or {}, seed=seed,
                                            statement=f"sw_prune_{number}"))
        if scheme.maintenance_function:
            checks.append(maintenance_check(db, table, scheme.maintenance_function))
    return checks


@dataclass(frozen=True)
class _Window:
    """Values put on the key's parameters, and the partitions the condition then admits."""

    values: dict[str, str]  # parameter -> value
    admitted: frozenset[str]  # partitions (DEFAULT aside) the condition can match
    said: str  # e.g. ":due_on = '2026-03-01'"


def pruning_check(db: Database, design: m.Design, table: m.Table, pattern: m.AccessPattern, *,
                  enums: dict[str, tuple[str, ...]], seed: int = 0, statement: str = "sw_prune") -> Check:
    name = f"partition pruning: {pattern.name} on {table.name}"
    scheme = table.partitioning
    key = scheme.columns[0] if scheme else "?"
    try:
        leaves = dict(db.query(_LEAVES, [quote_ident(table.name)]))
        (custom, generic), window, types = _plans(db, design, table, pattern, enums, seed, statement, leaves)
    except DatabaseError as error:
        return Check(name, FAIL, f"could not EXPLAIN it: {error}")
    custom, generic = _touched(custom, set(leaves)), _touched(generic, set(leaves))
    total = len(leaves)
    default = {n for n, bound in leaves.items() if bound == "DEFAULT"}
    shown = ", ".join(custom[0][:4]) + (f" and {len(custom[0]) - 4} more" if len(custom[0]) > 4 else "")
    detail = (f"plan-time: {len(custom[0])} of {total} partitions ({shown or 'none'}); "
              f"generic plan: {len(generic[0])} of {total}, {generic[1]} subplans removed at run time")
    if window is not None:
        detail = (f"with {window.said} the condition admits {len(window.admitted)} of {total} partitions"
                  + (" (and DEFAULT)" if default else "") + f"; {detail}")
    read = set(custom[0]) | set(generic[0])
    outside = sorted(read - default - window.admitted) if window is not None else []
    if len(custom[0]) < total and len(generic[0]) < total and not outside:
        return Check(name, PASS, detail)
    if outside:
        detail += f"; reads {', '.join(outside[:4])}, which the condition cannot match"
    cause = no_pruning_cause(pattern.sql, design, table, types)
    return Check(name, FAIL, f"{detail}; the condition on {key} does not prune: {cause}")


def _plans(db: Database, design: m.Design, table: m.Table, pattern: m.AccessPattern,
           enums: dict[str, tuple[str, ...]], seed: int, statement: str,
           leaves: dict[str, str]) -> tuple[tuple[object, object], _Window | None, dict[str, str]]:
    bound = positional(pattern.sql)
    db.execute(f"PREPARE {statement} AS {bound.sql}")
    try:
        types = db.query_value("SELECT parameter_types::text[] FROM pg_prepared_statements WHERE name = %s",
                               [statement]) or []
        binder = Binder(db, design, enums, f"{seed}:{pattern.name}", pattern.sql)
        usage = uses(pattern.sql, design)
        values = binder.values(bound.names, list(types), usage, 0)
        window = _window(table, bound.names, usage, leaves)
        if window is not None:
            values = [window.values.get(n, v) for n, v in zip(bound.names, values)]
        call = f"EXECUTE {statement}" + (
            "(" + ", ".join("NULL" if v is None else quote_literal(v) for v in values) + ")" if values else "")
        custom = db.query_value(f"EXPLAIN (FORMAT JSON) {call}")
        with db.transaction(rollback=True):
            # What an application's prepared statement gets after five runs: one plan for
            # all values, pruned when the executor starts.
            db.execute("SET LOCAL plan_cache_mode = force_generic_plan")
            generic = db.query_value(f"EXPLAIN (FORMAT JSON) {call}")
        return (custom, generic), window, dict(zip(bound.names, types))
    finally:
        db.execute(f"DEALLOCATE {statement}")


def _window(table: m.Table, names: tuple[str, ...], usage: dict[str, Use], leaves: dict[str, str]) -> _Window | None:
    """Values on the middle range partition's bounds for the parameters compared with the key
    (None for list and hash schemes, or when no parameter is compared with the key)."""
    scheme = table.partitioning
    if scheme is None or scheme.method != "range":
        return None
    key = scheme.columns[0]
    roles = {n: usage[n].role for n in names if n in usage and usage[n].table == table.name
             and usage[n].column == key and usage[n].role in ("eq", "low", "high")}
    ranges = sorted(((_text(b.lower[0]), _text(b.upper[0]), name) for name, b in _bounds(leaves).items()
                     if b.kind == "range" and len(b.lower) == 1 and len(b.upper) == 1))
    if not roles or len(ranges) < 2:
        return None
    lower, upper, _name = ranges[len(ranges) // 2]
    has = set(roles.values())
    if "eq" in has:
        low = high = lower
    else:  # `key < :to` alone admits the partitions up to the middle one; with `key >= :from`, that one only
        low = lower if "low" in has else None
        high = (upper if low is not None else lower) if "high" in has else None
    values = {n: {"low": low, "high": high, "eq": lower}[role] for n, role in roles.items()}
    # A partition [lo, hi) can hold a row the condition admits when it overlaps [low, high];
    # MINVALUE and MAXVALUE sort as the ends of the line.
    admitted = frozenset(name for lo, hi, name in ranges
                         if (low is None or _after(hi, low)) and (high is None or not _after(lo, high)))
    said = ", ".join(f":{n} = {quote_literal(v)}" for n, v in values.items() if v is not None)
    return _Window({n: v for n, v in values.items() if v is not None}, admitted, said)


def _bounds(leaves: dict[str, str]) -> dict[str, m.PartitionBound]:
    out = {}
    for name, text in leaves.items():
        try:
            out[name] = partition_bounds.parse(text)
        except ValueError:
            continue
    return out


def _text(literal: str) -> str:
    """A bound as pglast prints it (`'2026-01-05 00:00:00+00'`, `MINVALUE`), unquoted."""
    return literal[1:-1].replace("''", "'") if literal.startswith("'") else literal


def _after(a: str, b: str) -> bool:
    """a > b for bounds of one table (same text format, so ISO dates compare as text)."""
    rank = {"MINVALUE": 0, "MAXVALUE": 2}
    ra, rb = rank.get(a.upper(), 1), rank.get(b.upper(), 1)
    return ra > rb if ra != rb or ra != 1 else a > b


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
