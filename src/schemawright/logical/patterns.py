"""Rewrite an access pattern after columns moved to a split-out table.

Mechanical only: in every SELECT scope that reads the old table and names a moved column,
join the new table on the shared key and point the moved columns at it (`*` gains the moved
columns, so the result keeps every value it had).  Anything else — a write that sets a moved
column, an unqualified column two tables could own — is reported, not guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.optimizer.scope import traverse_scope


@dataclass(frozen=True)
class JoinRewrite:
    table: str  # the table the columns left
    moved: tuple[str, ...]
    target: str  # the table they moved to
    key: tuple[str, ...]  # the foreign key in table
    optional: bool = False  # the foreign key may be NULL: LEFT JOIN keeps those rows
    others: dict[str, frozenset[str]] = field(default_factory=dict)  # other tables' columns, to resolve names
    target_key: tuple[str, ...] = ()  # the key of target it references (default: the same names as key)

    def target_columns(self) -> frozenset[str]:
        """The target's columns once the moved ones are in it."""
        return self.others.get(self.target, frozenset()) | set(self.target_key or self.key) | set(self.moved)


def rewrite_pattern(sql: str, rewrite: JoinRewrite) -> tuple[str, str | None]:
    """(new SQL, None), or (the SQL unchanged, why it cannot be rewritten mechanically)."""
    if not re.search(rf"\b{re.escape(rewrite.table)}\b", sql, re.IGNORECASE):
        return sql, None  # it does not read the table: nothing to parse (a design has many patterns)
    moved = set(rewrite.moved)
    try:
        tree = sqlglot.parse_one(sql, read="postgres")
    except (ParseError, TokenError):
        return sql, "the SQL does not parse"
    if not isinstance(tree, exp.Query):
        named = {c.name for c in tree.find_all(exp.Column)} & moved
        touches = any(t.name == rewrite.table for t in tree.find_all(exp.Table))
        if touches and named:
            return sql, f"it writes {', '.join(sorted(named))}, which moved to {rewrite.target}"
        return sql, None
    changed = False
    for scope in traverse_scope(tree):
        select = scope.expression
        if not isinstance(select, exp.Select):
            continue
        aliases = [a for a, source in scope.sources.items()
                   if isinstance(source, exp.Table) and source.name == rewrite.table]
        if not aliases:
            continue
        if len(aliases) > 1:
            uses = [c for c in scope.columns if c.name in moved]
            if uses:
                return sql, f"it reads {rewrite.table} twice; say which copy's columns moved"
            continue
        alias = aliases[0]
        others = [a for a in scope.sources if a != alias]
        refs = []
        for column in scope.columns:
            if column.name not in moved:
                continue
            if column.table == alias:
                refs.append(column)
            elif not column.table:
                owners = [a for a in others if column.name in _columns_of(scope.sources[a], rewrite)]
                if owners:
                    return sql, f"the column {column.name} is not qualified and {owners[0]} has one too"
                refs.append(column)
        stars = _stars(select, alias)
        if not refs and not stars:
            continue
        target_alias = _fresh_alias(rewrite.target, set(scope.sources))
        for column in refs:
            column.set("table", exp.to_identifier(target_alias))
        mine = rewrite.others.get(rewrite.table, frozenset(rewrite.key))
        both = (rewrite.target_columns() & mine) - moved
        for column in scope.columns:  # a name both tables have now (the key at least): keep the old table's
            if not column.table and column.name in both:
                column.set("table", exp.to_identifier(alias))
        for star in stars:
            _expand(select, star, list(scope.sources), target_alias, rewrite.moved)
        on = exp.and_(*[exp.EQ(this=exp.column(t, target_alias), expression=exp.column(k, alias))
                        for k, t in zip(rewrite.key, rewrite.target_key or rewrite.key)])
        joined = exp.table_(rewrite.target, alias=None if target_alias == rewrite.target else target_alias)
        select.append("joins", exp.Join(this=joined,
                                        kind="LEFT" if rewrite.optional else None, on=on))
        changed = True
    if not changed:
        return sql, None
    for placeholder in tree.find_all(exp.Placeholder):
        if placeholder.name:  # keep :name parameters as the spec writes them
            placeholder.replace(exp.var(f":{placeholder.name}"))
    return tree.sql(dialect="postgres", pretty=False), None


def _columns_of(source: exp.Expression, rewrite: JoinRewrite) -> frozenset[str]:
    if isinstance(source, exp.Table):
        return rewrite.others.get(source.name, frozenset())
    return frozenset()


def _stars(select: exp.Select, alias: str) -> list[exp.Expression]:
    out = []
    for projection in select.expressions:
        if isinstance(projection, exp.Star):
            out.append(projection)
        elif isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star) and projection.table == alias:
            out.append(projection)
    return out


def _expand(select: exp.Select, star: exp.Expression, sources: list[str], target_alias: str,
            moved: tuple[str, ...]) -> None:
    """`*` or `alias.*` keeps its meaning: the old columns plus the moved ones, from the new table."""
    replacement = [exp.Column(this=exp.Star(), table=exp.to_identifier(a)) for a in sources] \
        if isinstance(star, exp.Star) else [star.copy()]
    replacement += [exp.column(c, target_alias) for c in moved]
    items = list(select.expressions)
    at = next(i for i, item in enumerate(items) if item is star)
    select.set("expressions", items[:at] + replacement + items[at + 1:])


def _fresh_alias(table: str, taken: set[str]) -> str:
    name, n = table, 2
    while name in taken:
        name, n = f"{table}{n}", n + 1
    return name
