"""What an access pattern's SQL reads and writes, table by table and column by column (sqlglot),
and which of its parameters name a column's value: what the caching plan keys and invalidates by."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp

from schemawright import model as m

ALL = "*"  # every column (INSERT, DELETE, SELECT *)


@dataclass(frozen=True)
class PatternSql:
    reads: dict[str, frozenset[str]] = field(default_factory=dict)  # table -> columns the statement reads
    written: str | None = None  # the table an INSERT, UPDATE or DELETE changes
    written_columns: frozenset[str] = frozenset()  # ALL for INSERT and DELETE
    params: tuple[str, ...] = ()  # :names in order of first use
    bound: dict[str, tuple[str, str]] = field(default_factory=dict)  # param -> (table, column) it is = to or inserted in
    parsed: bool = True


def analyse(pattern: m.AccessPattern, design: m.Design) -> PatternSql:
    try:
        tree = sqlglot.parse_one(pattern.sql, read="postgres")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
        return PatternSql(parsed=False)
    if tree is None:
        return PatternSql(parsed=False)
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    aliases: dict[str, str] = {}
    for table in tree.find_all(exp.Table):
        if table.name in ctes or design.table(table.name) is None:
            continue
        aliases[table.alias_or_name] = table.name
        aliases.setdefault(table.name, table.name)
    tables = sorted(set(aliases.values()))
    params = tuple(dict.fromkeys(p.name for p in tree.find_all(exp.Placeholder) if p.name))

    def owner(column: exp.Column) -> list[str]:
        if column.table:
            return [aliases[column.table]] if column.table in aliases else []
        return [t for t in tables if design.table(t).column(column.name)]  # type: ignore[union-attr]

    written, columns, set_nodes = _write(tree, aliases)
    reads: dict[str, set[str]] = {t: set() for t in tables if t != written or not isinstance(tree, exp.Insert)}
    for column in tree.find_all(exp.Column):
        if id(column) in set_nodes:
            continue
        for table in owner(column):
            reads.setdefault(table, set()).add(column.name)
    if any(isinstance(s, exp.Star) for s in tree.find_all(exp.Star)):
        for table in reads:
            reads[table].add(ALL)
    bound = _bound(tree, owner, set_nodes)
    return PatternSql({t: frozenset(c) for t, c in reads.items()}, written, columns, params, bound)


def _write(tree: exp.Expression, aliases: dict[str, str]) -> tuple[str | None, frozenset[str], set[int]]:
    """The table written, its columns written, and the ids of the SET targets (not reads)."""
    if isinstance(tree, exp.Insert):
        target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
        return aliases.get(target.name, target.name), frozenset({ALL}), set()
    if isinstance(tree, exp.Update):
        targets = [e.this for e in tree.expressions if isinstance(e, exp.EQ) and isinstance(e.this, exp.Column)]
        return (aliases.get(tree.this.name, tree.this.name), frozenset(c.name for c in targets),
                {id(c) for c in targets})
    if isinstance(tree, exp.Delete):
        return aliases.get(tree.this.name, tree.this.name), frozenset({ALL}), set()
    return None, frozenset(), set()


def _bound(tree: exp.Expression, owner, set_nodes: set[int]) -> dict[str, tuple[str, str]]:  # noqa: ANN001
    bound: dict[str, tuple[str, str]] = {}
    for placeholder in tree.find_all(exp.Placeholder):
        parent = placeholder.parent
        if isinstance(parent, exp.EQ):
            other = parent.this if parent.expression is placeholder else parent.expression
            if isinstance(other, exp.Column) and id(other) not in set_nodes:
                tables = owner(other)
                if len(tables) == 1 and placeholder.name:
                    bound.setdefault(placeholder.name, (tables[0], other.name))
    if isinstance(tree, exp.Insert) and isinstance(tree.this, exp.Schema):
        names = [c.name for c in tree.this.expressions]
        values = tree.expression
        rows = values.expressions if isinstance(values, exp.Values) else []
        target = tree.this.this.name
        for row in rows[:1]:
            for name, value in zip(names, row.expressions):
                if isinstance(value, exp.Placeholder) and value.name:
                    bound.setdefault(value.name, (target, name))
    return bound
