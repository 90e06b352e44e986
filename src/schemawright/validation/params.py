"""Named parameters (`:customer_id`) in access-pattern SQL: where they are, and what they mean.

`positional()` rewrites `:name` to `$1, $2, ...` using sqlglot's PostgreSQL tokenizer, so
`::casts`, string literals, dollar-quoted bodies, quoted identifiers and comments are
never mistaken for parameters.  `uses()` parses the query and reports, per parameter,
the column it is compared with (and how), an INSERT/UPDATE target column, or a
LIMIT/OFFSET, which is what choosing a value that finds rows needs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.dialects.postgres import Postgres
from sqlglot.tokens import TokenType

from schemawright import model as m
from schemawright.validation.plaintext import plaintext_design, plaintext_sql
from schemawright.validation.rules import identifier_name

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Positional:
    sql: str  # with $1..$n
    names: tuple[str, ...]  # parameter name of $1, $2, ...


def positional(sql: str) -> Positional:
    """Replace each `:name` by `$n` (the same name keeps the same number)."""
    tokens = Postgres().tokenize(sql)
    while tokens and tokens[-1].token_type == TokenType.SEMICOLON:
        tokens.pop()
    if any(t.token_type == TokenType.SEMICOLON for t in tokens):
        # PREPARE takes one statement; a second one would run unprepared, outside any check.
        raise ValueError("an access pattern must be a single SQL statement")
    names: list[str] = []
    out: list[str] = []
    cursor = 0
    for colon, name in zip(tokens, tokens[1:]):
        if colon.token_type != TokenType.COLON or name.start != colon.end + 1:
            continue
        if not _NAME.match(sql[name.start : name.end + 1]):
            continue
        if name.token_type in (TokenType.NUMBER, TokenType.STRING, TokenType.IDENTIFIER):
            continue  # array slices a[1:2] and quoted names are not parameters
        text = sql[name.start : name.end + 1]
        if text not in names:
            names.append(text)
        out.append(sql[cursor : colon.start])
        out.append(f"${names.index(text) + 1}")
        cursor = name.end + 1
    end = tokens[-1].end + 1 if tokens else 0  # drop trailing semicolons and comments
    out.append(sql[cursor:max(end, cursor)])
    return Positional("".join(out).strip(), tuple(names))


@dataclass(frozen=True)
class Use:
    """How a parameter is used.  role: eq, low, high, limit, offset, insert, set."""

    role: str
    table: str | None = None
    column: str | None = None


_COMPARE = {exp.EQ: "eq", exp.NEQ: "eq", exp.NullSafeEQ: "eq", exp.Like: "eq", exp.ILike: "eq",
            exp.GT: "low", exp.GTE: "low", exp.LT: "high", exp.LTE: "high"}
_FLIPPED = {"low": "high", "high": "low", "eq": "eq"}
_STOP = (exp.Where, exp.Select, exp.Join, exp.Having, exp.And, exp.Or, exp.Subquery, exp.Union)


def uses(sql: str, design: m.Design) -> dict[str, Use]:
    """What each named parameter is compared with; parameters not understood are left out.
    Encrypted columns (pii: encrypt) are read as their plaintext (validation/plaintext.py)."""
    sql, design = plaintext_sql(sql, design), plaintext_design(design)
    try:
        tree = sqlglot.parse_one(sql, read="postgres")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
        return {}
    if tree is None:
        return {}
    resolver = _Resolver(tree, design)
    found: dict[str, Use] = {}
    for placeholder in tree.find_all(exp.Placeholder):
        name = placeholder.name
        if name and name not in found:
            use = _use(placeholder, resolver)
            if use is not None:
                found[name] = use
    return found


def _use(node: exp.Expression, resolver: _Resolver) -> Use | None:
    child = node
    parent = node.parent
    while parent is not None:
        if isinstance(parent, (exp.Limit, exp.Fetch)):
            return Use("limit")
        if isinstance(parent, exp.Offset):
            return Use("offset")
        if isinstance(parent, exp.Tuple) and isinstance(parent.parent, exp.Values):
            return resolver.insert_target(parent.parent, parent.expressions.index(child))
        if type(parent) in _COMPARE:
            role = _COMPARE[type(parent)]
            on_left = child is parent.this
            other = parent.expression if on_left else parent.this
            if isinstance(parent, exp.EQ) and isinstance(parent.parent, (exp.Update, exp.OnConflict)) and on_left is False:
                return resolver.column_use("set", other)
            return resolver.column_use(_FLIPPED[role] if on_left else role, other)
        if isinstance(parent, exp.Between):
            if child is parent.this:
                return None
            return resolver.column_use("low" if child is parent.args.get("low") else "high", parent.this)
        if isinstance(parent, exp.In):
            return resolver.column_use("eq", parent.this) if child is not parent.this else None
        if isinstance(parent, (exp.ArrayContains, exp.ArrayContainsAll, exp.ArrayOverlaps)):
            other = parent.expression if child is parent.this else parent.this
            return resolver.column_use("eq", other)
        if isinstance(parent, _STOP):
            return None
        child, parent = parent, parent.parent
    return None


class _Resolver:
    """Finds the design table and column an SQL column reference denotes."""

    def __init__(self, tree: exp.Expression, design: m.Design):
        self.design = design
        self.tables: list[str] = []  # design tables the statement mentions, in order
        self.aliases: dict[str, str] = {}
        for table in tree.find_all(exp.Table):
            name = identifier_name(table.args.get("this"))
            if name is None or design.table(name) is None:
                continue
            self.tables.append(name)
            alias = table.args.get("alias")
            key = identifier_name(alias.args.get("this")) if alias is not None and alias.args.get("this") else name
            self.aliases[key] = name
            self.aliases.setdefault(name, name)

    def column_use(self, role: str, expression: exp.Expression) -> Use | None:
        column = expression if isinstance(expression, exp.Column) else expression.find(exp.Column)
        if column is None:
            return Use(role)
        name = identifier_name(column.args.get("this"))
        qualifier = column.args.get("table")
        if qualifier is not None:
            table = self.aliases.get(identifier_name(qualifier) or "")
            candidates = [table] if table else []
        else:
            candidates = list(dict.fromkeys(self.tables))
        for table in candidates:
            found = self.design.table(table)
            if found is not None and found.column(name or "") is not None:
                return Use(role, table, name)
        return Use(role)

    def insert_target(self, values: exp.Values, index: int) -> Use | None:
        insert = values.parent
        if not isinstance(insert, exp.Insert) or not isinstance(insert.this, exp.Schema):
            return Use("insert")
        table = identifier_name(insert.this.this.args.get("this")) if isinstance(insert.this.this, exp.Table) else None
        columns = insert.this.expressions
        if table is None or index >= len(columns):
            return Use("insert")
        column = columns[index]
        name = identifier_name(column if isinstance(column, exp.Identifier) else column.args.get("this"))
        return Use("insert", table, name)


_EQUALITY = (exp.EQ, exp.NullSafeEQ, exp.Like, exp.ILike)
# Where a predicate ends when climbing up from a parameter.
_PREDICATE_EDGE = (exp.And, exp.Or, exp.Not, exp.Paren, exp.Where, exp.Join, exp.Having, exp.Select, exp.Subquery)


@dataclass(frozen=True)
class Anchor:
    """A query whose single row gives values for `names` that satisfy, together, the
    pattern's joins and constant conditions (`status = 'active'`, `NOT revoked`)."""

    sql: str
    names: tuple[str, ...]
    # With ranges=True: parameters bounding one expression (`placed_at >= :since`), selected raw
    # as r0 after c0..cn: (name, "low" or "high", strict), the expression the same for all.
    ranges: tuple[tuple[str, str, bool], ...] = ()


Relation = Callable[[str], "str | None"]  # a table name -> what to read in its place (None: the table)


def anchor_query(sql: str, relation: Relation | None = None) -> Anchor | None:
    """The pattern turned into a sampler: each `expr = :param` becomes a selected
    `expr`, every other predicate with a parameter becomes TRUE, the rest is kept."""
    rows = anchor_rows(sql, relation)
    if rows is None:
        return None
    n = len(rows.names)
    columns = ", ".join(f"c{i}" for i in range(n))
    order = ", ".join(f'c{i} COLLATE "C"' for i in range(n))
    # The most frequent combination first: equality on it finds the most rows.
    wrapped = f"{rows.sql} GROUP BY {columns} ORDER BY count(*) DESC, {order} LIMIT 1"
    return Anchor(wrapped, rows.names)


def anchor_rows(sql: str, relation: Relation | None = None, *, ranges: bool = False) -> Anchor | None:
    """Like anchor_query, but every accepted combination (columns c0..cn, not null, one per
    matching row), so a caller can draw many different bindings from the data.  `relation`
    replaces each table read (e.g. by a sample of it).  With `ranges`, the expression that
    range parameters bound is selected too (column r0), so bounds can be chosen that keep a
    given number of each combination's rows."""
    try:
        tree = sqlglot.parse_one(sql, read="postgres")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
        return None
    if isinstance(tree, (exp.Update, exp.Delete)):
        if tree.args.get("from") or tree.args.get("using") or not isinstance(tree.this, exp.Table):
            return None
        select = exp.select("1").from_(tree.this.copy())
        if tree.args.get("where") is not None:
            select.set("where", tree.args["where"].copy())
    elif isinstance(tree, exp.Select):
        select = tree.copy()
    else:
        return None
    for arg in ("order", "limit", "offset", "group", "having", "distinct", "qualify", "windows", "locks"):
        select.set(arg, None)
    picks: dict[str, exp.Expression] = {}
    for placeholder in list(select.find_all(exp.Placeholder)):
        other = _equal_to(placeholder)
        if isinstance(other, exp.Any):  # `:tag = ANY(tags)`: one element of the array
            inner = other.this.this if isinstance(other.this, exp.Paren) else other.this
            other = exp.Anonymous(this="unnest", expressions=[inner.copy()])
        if (other is not None and placeholder.name not in picks and other.find(exp.Column) is not None
                and other.find(exp.Placeholder) is None and placeholder.find_ancestor(exp.Select) is select):
            picks[placeholder.name] = other.copy()
    bounded = _bounded(select, picks) if ranges else []
    if not picks and not bounded:
        return None
    for placeholder in list(select.find_all(exp.Placeholder)):
        node = placeholder
        while node.parent is not None and not isinstance(node.parent, _PREDICATE_EDGE):
            node = node.parent
        if node.parent is not None and node is not select:
            node.replace(exp.true())
    raw = [bounded[0][3]] if bounded else []
    select.set("expressions", [exp.cast(exp.Paren(this=e), "text") for e in picks.values()] + raw)
    if relation is not None:
        _replace_relations(select, relation)
    if select.find(exp.Placeholder) is not None:
        return None
    names = [f"c{i}" for i in range(len(picks))] + (["r0"] if bounded else [])
    columns = ", ".join(names)
    not_null = " AND ".join(f"{c} IS NOT NULL" for c in names)
    return Anchor(f"SELECT {columns} FROM ({select.sql(dialect='postgres')}) AS anchor({columns}) WHERE {not_null}",
                  tuple(picks), tuple((name, role, strict) for name, role, strict, _ in bounded))


_BOUNDS = {exp.GT: ("low", True), exp.GTE: ("low", False), exp.LT: ("high", True), exp.LTE: ("high", False)}


def _bounded(select: exp.Select, picks: dict[str, exp.Expression]) -> list[tuple[str, str, bool, exp.Expression]]:
    """Range parameters of `select` that bound one and the same column expression, with their
    role (`x >= :p`: low) and whether the bound is strict; none when they bound several."""
    found: list[tuple[str, str, bool, exp.Expression]] = []
    for placeholder in select.find_all(exp.Placeholder):
        if placeholder.name in picks or placeholder.find_ancestor(exp.Select) is not select:
            continue
        node, parent = placeholder, placeholder.parent
        while isinstance(parent, exp.Paren):
            node, parent = parent, parent.parent
        if type(parent) in _BOUNDS:
            role, strict = _BOUNDS[type(parent)]
            other = parent.this if node is parent.expression else parent.expression
            if node is parent.this:
                role = "high" if role == "low" else "low"
        elif isinstance(parent, exp.Between) and node is not parent.this:
            role, strict, other = ("low" if node is parent.args.get("low") else "high"), False, parent.this
        else:
            continue
        if other.find(exp.Column) is None or other.find(exp.Placeholder) is not None:
            continue
        found.append((placeholder.name, role, strict, other.copy()))
    if len({e.sql(dialect="postgres") for *_, e in found}) != 1:
        return []
    return found


def _replace_relations(select: exp.Select, relation: Relation) -> None:
    """Each plain table the query reads becomes what `relation` gives, under the same alias."""
    for table in list(select.find_all(exp.Table)):
        name = identifier_name(table.args.get("this"))
        text = relation(name) if name else None
        if text is None:
            continue
        alias = table.args.get("alias")
        if alias is None or alias.args.get("this") is None:  # `public.t` or `t`: columns are written t.c
            alias = exp.TableAlias(this=exp.to_identifier(name, quoted=True), columns=alias.args.get("columns")
                                   if alias is not None else None)
        replacement = sqlglot.parse_one(f"SELECT * FROM {text}", read="postgres").args["from_"].this
        replacement.set("alias", alias.copy())
        table.replace(replacement)


def _equal_to(placeholder: exp.Placeholder) -> exp.Expression | None:
    """The expression a parameter must equal (`x = :p`, `lower(:p) = lower(x)`, `x IN (:p)`)."""
    child: exp.Expression = placeholder
    parent = placeholder.parent
    while parent is not None and not isinstance(parent, _PREDICATE_EDGE):
        if isinstance(parent, _EQUALITY):
            return parent.expression if child is parent.this else parent.this
        if isinstance(parent, exp.In):
            return parent.this if child is not parent.this else None
        if isinstance(parent, (exp.Func, exp.Cast)) and not isinstance(parent, (exp.Lower, exp.Upper, exp.Cast, exp.Trim)):
            return None  # `x = :p + 1` or `f(:p)`: the parameter is not the compared value itself
        child, parent = parent, parent.parent
    return None
