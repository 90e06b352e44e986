"""What an access pattern's SQL asks of each table, read with sqlglot.

Used twice: to check that a spec's queries name real tables and columns (with located
errors), and to derive first-cut indexes from the predicates (equality, range, sort).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from schemawright import model as m
from schemawright.errors import did_you_mean

_RANGE = (exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Between)


@dataclass
class TableUse:
    """Predicates of one query on one table, in the order they appear."""

    table: str
    equality: list[str] = field(default_factory=list)
    range: list[str] = field(default_factory=list)
    join: list[str] = field(default_factory=list)
    sort: list[tuple[str, bool]] = field(default_factory=list)  # (column, descending)

    def add(self, bucket: list, column: str) -> None:
        if column not in bucket:
            bucket.append(column)


@dataclass
class QueryShape:
    kind: str  # read or write
    tables: list[str]
    uses: dict[str, TableUse]


class Parsed:
    """A parsed statement and its nodes grouped by type, from one walk of the tree."""

    def __init__(self, tree: exp.Expression):
        self.tree = tree
        self.by_type: dict[type, list[exp.Expression]] = {}
        for node in tree.walk():
            self.by_type.setdefault(type(node), []).append(node)

    def all(self, *types: type) -> list[exp.Expression]:
        return [n for t in types for n in self.by_type.get(t, ())] if len(types) > 1 else self.by_type.get(types[0], [])


@lru_cache(maxsize=8192)
def parsed(sql: str) -> Parsed:
    """Parse once: the reference checks and the indexing step read the same queries."""
    return Parsed(parse(sql))


def parse(sql: str) -> exp.Expression:
    """Parse one statement (PostgreSQL dialect, :named parameters); raises ParseError."""
    return sqlglot.parse_one(sql, read="postgres")


def _tables(query: Parsed) -> tuple[dict[str, str], set[str]]:
    """alias -> table name for real tables, and the CTE names to ignore."""
    # CTEs, subqueries and set-returning functions: their columns are not design columns.
    ctes = {n.alias for n in query.all(exp.CTE, exp.Subquery, exp.Lateral, exp.Unnest, exp.TableAlias) if n.alias}
    aliases: dict[str, str] = {}
    for table in query.all(exp.Table):
        if table.name and table.name not in ctes:
            aliases[table.alias_or_name] = table.name
    return aliases, ctes


def _resolve(column: exp.Column, aliases: dict[str, str], design: m.Design) -> str | None:
    """The table a column belongs to, or None when it cannot be told."""
    if column.table:
        return aliases.get(column.table)
    owners = {t for t in set(aliases.values()) if (tb := design.table(t)) and tb.column(column.name)}
    return owners.pop() if len(owners) == 1 else None


def reference_problems(sql: str, design: m.Design) -> list[tuple[str, str | None]]:
    """Tables and columns the query names that the design does not have."""
    try:
        query = parsed(sql)
    except (ParseError, TokenError) as exc:
        errors = getattr(exc, "errors", None) or [{}]
        first = errors[0]
        where = f" at line {first.get('line')}, column {first.get('col')} of the query" if first.get("line") else ""
        detail = first.get("description") or str(exc).splitlines()[0]
        return [(f"SQL does not parse{where}: {detail}", "write PostgreSQL SQL with parameters as :name")]
    if query.tree is None:
        return [("the query is empty", "write the SQL the application runs")]
    problems: list[tuple[str, str | None]] = []
    aliases, ctes = _tables(query)
    for insert in query.all(exp.Insert) if query.all(exp.OnConflict) else ():
        target = insert.find(exp.Table)
        for column in query.all(exp.Column):  # ON CONFLICT ... SET a = EXCLUDED.a: the row proposed for insertion
            if target is not None and column.table.lower() == "excluded" and column.table not in aliases:
                aliases[column.table] = target.name
    for table in sorted(set(aliases.values())):
        if design.table(table) is None:
            names = [t.name for t in design.tables]
            problems.append((f"table {table!r} does not exist", did_you_mean(table, names) or f"tables: {', '.join(names)}"))
    output_names = {a.alias for a in query.all(exp.Alias)}
    for column in query.all(exp.Column):
        if isinstance(column.this, exp.Star) or column.name in output_names:
            continue
        if column.table and column.table not in aliases:
            if column.table not in ctes and column.table not in output_names:
                problems.append((f"{column.table!r} in {column.sql()!r} is not a table or alias of the query", None))
            continue
        owner = aliases.get(column.table) if column.table else None
        candidates = [owner] if owner else sorted(set(aliases.values()))
        known = [design.table(t) for t in candidates if design.table(t) is not None]
        if not known or len(known) != len(candidates) or ctes and not column.table:
            continue
        if not any(t.column(column.name) for t in known):
            columns = sorted({c.name for t in known for c in t.columns})
            where = f"table {known[0].name!r}" if len(known) == 1 else "tables " + ", ".join(repr(t.name) for t in known)
            problems.append((f"column {column.name!r} does not exist in {where}",
                             did_you_mean(column.name, columns) or f"columns: {', '.join(columns)}"))
    for insert in query.all(exp.Insert):
        target = insert.this
        if isinstance(target, exp.Schema) and isinstance(target.this, exp.Table):
            table = design.table(target.this.name)
            for ident in target.expressions:
                if table and isinstance(ident, exp.Identifier) and not table.column(ident.name):
                    problems.append((f"column {ident.name!r} does not exist in table {table.name!r}",
                                     did_you_mean(ident.name, [c.name for c in table.columns])))
    return sorted(set(problems), key=lambda p: p[0])


def shape(sql: str, design: m.Design) -> QueryShape:
    """Per-table predicates of a query that is known to parse."""
    query = parsed(sql)
    tree = query.tree
    aliases, _ = _tables(query)
    uses = {t: TableUse(t) for t in dict.fromkeys(aliases.values()) if design.table(t)}
    kind = "write" if isinstance(tree, (exp.Insert, exp.Update, exp.Delete)) else "read"

    def col_use(node: exp.Expression) -> tuple[str, TableUse] | None:
        if isinstance(node, exp.Column) and not isinstance(node.this, exp.Star):
            owner = _resolve(node, aliases, design)
            if owner in uses:
                return node.name, uses[owner]
        return None

    # In the order they are written (the walk is breadth-first, which would put the last of
    # `a AND b AND c` first); an UPDATE's `SET col = value` items are assignments, not filters.
    written = {id(n): i for i, n in enumerate(tree.walk(bfs=False))}
    predicates = sorted(query.all(exp.EQ, exp.In, *_RANGE, exp.Like, exp.ILike, exp.Is), key=lambda n: written[id(n)])
    for node in predicates:
        if isinstance(tree, exp.Update) and node.parent is tree:
            continue
        left = col_use(node.this) if node.this is not None else None
        right_node = node.expression if isinstance(node, (exp.EQ, *_RANGE[:4], exp.Like, exp.ILike)) else None
        right = col_use(right_node) if right_node is not None else None
        if isinstance(node, exp.EQ) and left and right:
            left[1].add(left[1].join, left[0])
            right[1].add(right[1].join, right[0])
            continue
        if left and right:
            continue  # column against column of the same row: no B-tree helps
        if left is None and right is not None and isinstance(node, (exp.EQ, *_RANGE[:4])):
            left, right_node = right, node.this
        if left is None or (right_node is not None and next(right_node.find_all(exp.Column), None) is not None):
            continue  # compared with another column's expression: not a constant to seek
        column, use = left
        if isinstance(node, (exp.EQ, exp.In, exp.Is)):
            use.add(use.equality, column)
        elif isinstance(node, (exp.Like, exp.ILike)):
            pattern = node.expression
            if isinstance(node, exp.Like) and not (isinstance(pattern, exp.Literal) and str(pattern.this).startswith("%")):
                use.add(use.range, column)
        else:
            use.add(use.range, column)
    for node in query.all(exp.Any):  # col = ANY(:ids)
        parent = node.parent
        if isinstance(parent, exp.EQ) and (found := col_use(parent.this)):
            found[1].add(found[1].equality, found[0])
    order = tree.args.get("order")
    if order is not None:
        for item in order.expressions:
            target = item.this if isinstance(item, exp.Ordered) else item
            found = col_use(target)
            if found:
                found[1].sort.append((found[0], bool(item.args.get("desc"))))
    for use in uses.values():
        use.range = [c for c in use.range if c not in use.equality]
    return QueryShape(kind=kind, tables=list(uses), uses=uses)
