"""What the access patterns ask of the server, read from their SQL: rows written per second per
table (and which columns their UPDATEs set), bytes per row, and the sorts and hashes a read
needs memory for.  Pure and approximate on purpose: the configuration needs orders of
magnitude (4 MB or 64 MB of work_mem), not a planner's estimate.

Rows entering a sort or hash come from the declared volumes and, for each condition of the
WHERE clause, PostgreSQL's own selectivity defaults for a column it has no statistics on
(selfuncs.h: DEFAULT_EQ_SEL 0.005, DEFAULT_INEQ_SEL 1/3, DEFAULT_RANGE_INEQ_SEL 0.005), except
that an equality on a unique key finds one row.  A pattern's `returns:` wins where it says
the same thing (the rows a GROUP BY gives, or an ORDER BY without LIMIT sorts).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from schemawright import model as m
from schemawright.sql import types

EQ_SELECTIVITY = 0.005  # DEFAULT_EQ_SEL
INEQ_SELECTIVITY = 1 / 3  # DEFAULT_INEQ_SEL: one open bound
RANGE_SELECTIVITY = 0.005  # DEFAULT_RANGE_INEQ_SEL: a column bounded on both sides
TUPLE_OVERHEAD = 28  # heap tuple header (23, aligned to 24) + its line pointer (4)
# A tuple held in a sort or a hash table: the sort slot or hash entry, the minimal tuple's
# header and the allocator's chunk header (tuplesort.c, nodeHash.c), about 64 bytes in all.
NODE_OVERHEAD = 64
UNKNOWN_WIDTH = 32  # text, a varchar without a length, a type we do not know
FIXED_WIDTHS = {"smallint": 2, "integer": 4, "bigint": 8, "smallserial": 2, "serial": 4, "bigserial": 8, "real": 4,
                "double precision": 8, "money": 8, "boolean": 1, "date": 4, "timestamp": 8, "timestamptz": 8,
                "time": 8, "timetz": 12, "interval": 16, "uuid": 16, "inet": 10, "cidr": 10, "jsonb": 200,
                "json": 200, "bytea": 64, "tsvector": 100}


@dataclass(frozen=True)
class TableLoad:
    """One table: its rows and the rows the write patterns change per second at peak."""

    table: str
    rows: int  # at launch (the declared volume; a table without one: its largest parent's)
    growth_per_month: int
    width: int  # bytes a row takes on a heap page, header included
    inserts: float = 0.0
    updates: float = 0.0
    deletes: float = 0.0
    updated_columns: frozenset[str] = frozenset()  # set by some UPDATE pattern
    updaters: tuple[str, ...] = ()  # the patterns that update or delete its rows

    @property
    def churn(self) -> float:
        """Dead row versions made per second (each UPDATE or DELETE leaves one for VACUUM)."""
        return self.updates + self.deletes

    @property
    def rows_in_a_year(self) -> int:
        return self.rows + 12 * self.growth_per_month


@dataclass(frozen=True)
class MemoryNeed:
    """One sort or hash a read pattern runs, and the memory it takes to run it in memory."""

    pattern: str
    operation: str  # "sort for ORDER BY", "hash for GROUP BY", "hash join on products" ...
    rows: float
    width: int  # bytes of the columns the pattern reads
    hashed: bool  # a hash may use hash_mem_multiplier x work_mem

    @property
    def bytes(self) -> int:
        return math.ceil(self.rows * (self.width + NODE_OVERHEAD))


def column_width(sql_type: str) -> int:
    """Average bytes of a value of `sql_type` on disk (a varchar(n): half its length, at most 64)."""
    parsed = types.parse(sql_type)
    if parsed.array:
        return 4 * UNKNOWN_WIDTH
    if parsed.base in FIXED_WIDTHS:
        return FIXED_WIDTHS[parsed.base]
    if parsed.base == "numeric":
        digits = int(parsed.args[0]) if parsed.args and parsed.args[0].isdigit() else 12
        return 5 + math.ceil(digits / 4) * 2
    if parsed.base in types.STRINGS and parsed.args and parsed.args[0].isdigit():
        return 1 + min(64, max(1, int(parsed.args[0]) // 2))
    return UNKNOWN_WIDTH


def row_width(table: m.Table) -> int:
    return TUPLE_OVERHEAD + sum(column_width(c.sql_type) for c in table.columns)


def table_rows(design: m.Design) -> dict[str, tuple[int, int]]:
    """(rows, growth per month) of every table: its volume, else its largest parent's (a junction
    or list table holds about a row per row of the table it hangs from), else 0."""
    found: dict[str, tuple[int, int]] = {}
    for volume in design.volumes:
        table = design.table_for_entity(volume.entity)
        if table is not None:
            found[table.name] = (volume.rows, volume.growth_per_month)
    for table in design.tables:
        if table.name not in found:
            parents = [found[fk.ref_table] for fk in table.foreign_keys if fk.ref_table in found]
            found[table.name] = max(parents, default=(0, 0))
    return found


def table_loads(design: m.Design) -> dict[str, TableLoad]:
    """Every table with the rows its write patterns change per second at peak."""
    rows = table_rows(design)
    loads = {t.name: TableLoad(t.name, *rows[t.name], row_width(t)) for t in design.tables}
    for pattern in design.access_patterns:
        for statement in _statements(pattern.sql):
            for node in statement.find_all(exp.Insert, exp.Update, exp.Delete):
                target = _target(node)
                if target not in loads:
                    continue
                load = loads[target]
                changed = pattern.frequency * _rows_changed(pattern, node, design.table(target))
                if isinstance(node, exp.Insert):
                    loads[target] = _with(load, inserts=load.inserts + changed)
                elif isinstance(node, exp.Update):
                    columns = {e.this.name for e in node.expressions if isinstance(e, exp.EQ)
                               and isinstance(e.this, exp.Column)}
                    loads[target] = _with(load, updates=load.updates + changed,
                                          updated_columns=load.updated_columns | columns,
                                          updaters=(*load.updaters, pattern.name))
                else:
                    loads[target] = _with(load, deletes=load.deletes + changed, updaters=(*load.updaters, pattern.name))
    return loads


def memory_needs(design: m.Design) -> list[MemoryNeed]:
    """The sorts and hashes of every read pattern, largest first (deterministic order)."""
    rows = table_rows(design)
    needs = []
    for pattern in design.access_patterns:
        if pattern.kind != "read":
            continue
        for statement in _statements(pattern.sql):
            needs += _select_needs(design, pattern, statement, rows)
    return sorted(needs, key=lambda n: (-n.bytes, n.pattern, n.operation))


def _select_needs(design: m.Design, pattern: m.AccessPattern, statement: exp.Expression,
                  rows: dict[str, tuple[int, int]]) -> list[MemoryNeed]:
    needs = []
    for select in statement.find_all(exp.Select):
        aliases = {t.alias_or_name: t.name for t in select.find_all(exp.Table)}
        tables = [design.table(name) for name in dict.fromkeys(aliases.values())]
        tables = [t for t in tables if t is not None]
        if not tables:
            continue
        filtered = {t.name: _filtered_rows(t, rows[t.name][0], select, aliases, design, rows) for t in tables}
        width = _read_width(select, tables, aliases)
        found = _joined_rows(tables, filtered, rows)
        limit = _limit(select)
        grouped = select.args.get("group") is not None or select.args.get("distinct") is not None
        if grouped:
            groups = float(pattern.returns) if pattern.returns else found
            needs.append(MemoryNeed(pattern.name, "hash for GROUP BY" if select.args.get("group") else
                                    "hash for DISTINCT", groups, width, True))
        if select.args.get("order") is not None:
            if grouped:
                sorted_rows = float(pattern.returns) if pattern.returns else found
            elif limit is not None:  # a bounded (top-N) sort keeps only the first `limit` rows
                sorted_rows = float(limit)
            else:
                sorted_rows = float(pattern.returns) if pattern.returns else found
            needs.append(MemoryNeed(pattern.name, "sort for ORDER BY", sorted_rows, width, False))
        if len(tables) > 1:  # the smaller side of each join is hashed (when the planner picks a hash join)
            inner = min(tables[1:] + tables[:1], key=lambda t: (filtered[t.name], t.name))
            needs.append(MemoryNeed(pattern.name, f"hash join on {inner.name}", filtered[inner.name],
                                    _read_width(select, [inner], aliases), True))
    return needs


def _joined_rows(tables: list[m.Table], filtered: dict[str, float], rows: dict[str, tuple[int, int]]) -> float:
    """Rows the join of `tables` gives: each child table's filtered rows, times, for each parent
    it joins (a table another of them references), the share of the parent's rows kept."""
    names = {t.name for t in tables}
    parents = {fk.ref_table for t in tables for fk in t.foreign_keys
               if fk.ref_table in names and fk.ref_table != t.name}
    result = 1.0
    for table in tables:
        if table.name in parents and len(parents) < len(names):
            result *= filtered[table.name] / max(1, rows[table.name][0])
        else:
            result *= filtered[table.name]
    return max(1.0, result)


def _filtered_rows(table: m.Table, rows: int, select: exp.Select, aliases: dict[str, str],
                   design: m.Design, parents: dict[str, tuple[int, int]]) -> float:
    """Rows of `table` left after the conditions of `select` on its own columns (`parents`: the
    rows of every table)."""
    where = select.args.get("where")
    if where is None or rows <= 0:
        return float(max(rows, 0))
    unique = {k[0] for k in design.unique_keys(table) if len(k) == 1}
    # An equality on a foreign key finds the rows of one parent: 1 / the parent's rows.
    fan_in = {fk.columns[0]: 1 / max(1, parents[fk.ref_table][0]) for fk in table.foreign_keys
              if len(fk.columns) == 1 and parents.get(fk.ref_table, (0, 0))[0] > 0}
    selectivity = 1.0
    bounded: dict[str, int] = {}
    for condition in where.this.flatten() if isinstance(where.this, exp.And) else [where.this]:
        columns = [c for c in condition.find_all(exp.Column) if _owner(c, table, aliases)]
        if not columns or any(not _owner(c, table, aliases) for c in condition.find_all(exp.Column)
                              if not isinstance(condition, (exp.EQ, exp.In))):
            continue
        name = columns[0].name
        if isinstance(condition, exp.EQ):
            if any(isinstance(side, exp.Column) and not _owner(side, table, aliases)
                   for side in (condition.this, condition.expression)):
                continue  # a join condition, not a filter
            selectivity *= 1 / rows if name in unique else fan_in.get(name, EQ_SELECTIVITY)
        elif isinstance(condition, exp.In):
            selectivity *= min(1.0, EQ_SELECTIVITY * max(1, len(condition.expressions)))
        elif isinstance(condition, (exp.GT, exp.GTE, exp.LT, exp.LTE)):
            bounded[name] = bounded.get(name, 0) + 1
        elif isinstance(condition, exp.Between):
            bounded[name] = 2
    for count in bounded.values():
        selectivity *= RANGE_SELECTIVITY if count >= 2 else INEQ_SELECTIVITY
    return max(1.0, rows * selectivity)


def _owner(column: exp.Column, table: m.Table, aliases: dict[str, str]) -> bool:
    """Whether `column` is one of `table`'s (by its qualifier, or by name when unqualified)."""
    if column.table:
        return aliases.get(column.table) == table.name
    return table.column(column.name) is not None


def _read_width(select: exp.Select, tables: list[m.Table], aliases: dict[str, str]) -> int:
    """Bytes of the columns `select` reads from `tables` (all of them for `*`)."""
    if any(isinstance(e, exp.Star) or (isinstance(e, exp.Column) and isinstance(e.this, exp.Star))
           for e in select.expressions):
        return sum(row_width(t) - TUPLE_OVERHEAD for t in tables)
    widths = {}
    for column in select.find_all(exp.Column):
        for table in tables:
            found = table.column(column.name) if _owner(column, table, aliases) else None
            if found is not None:
                widths[(table.name, found.name)] = column_width(found.sql_type)
    return max(8, sum(widths.values()))


def _limit(select: exp.Select) -> int | None:
    limit = select.args.get("limit")
    value = limit.expression if isinstance(limit, exp.Limit) else None
    return int(value.this) if isinstance(value, exp.Literal) and str(value.this).isdigit() else None


def _rows_changed(pattern: m.AccessPattern, node: exp.Expression, table: m.Table | None) -> float:
    """Rows one run writes: the pattern's `returns:`, else the VALUES rows of an INSERT, else one."""
    if pattern.returns:
        return float(pattern.returns)
    values = node.args.get("expression") if isinstance(node, exp.Insert) else None
    if isinstance(values, exp.Values):
        return float(max(1, len(values.expressions)))
    return 1.0


def _target(node: exp.Expression) -> str | None:
    table = node.this
    if isinstance(table, exp.Schema):  # INSERT INTO t (columns ...)
        table = table.this
    return table.name if isinstance(table, exp.Table) else None


def _statements(sql: str) -> list[exp.Expression]:
    """The pattern's statements; none when sqlglot cannot read them (the spec checks already
    reported such a pattern, so it only loses its share of the estimate)."""
    try:
        return [s for s in sqlglot.parse(sql, read="postgres") if s is not None]
    except SqlglotError:
        return []


def _with(load: TableLoad, **changes: object) -> TableLoad:
    return replace(load, **changes)  # type: ignore[arg-type]
