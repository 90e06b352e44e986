"""What CHECK constraints say about single columns: allowed values, numeric bounds, length.

Synthetic rows use these to be valid by construction for the common rules (`status IN
(...)`, `qty > 0`, `char_length(name) <= 200`); anything else (cross-column rules,
regular expressions) is left to insert-and-retry.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation

import sqlglot
from sqlglot import exp

from schemawright import model as m
from schemawright.sql.parsed import shared_tree


@dataclass(frozen=True)
class ColumnRules:
    allowed: tuple[str, ...] = ()
    low: Decimal | None = None
    low_strict: bool = False
    high: Decimal | None = None
    high_strict: bool = False
    max_length: int | None = None
    min_length: int | None = None
    patterns: tuple[tuple[str, bool], ...] = ()  # (regular expression, case-insensitive)


def identifier_name(ident: exp.Identifier | str | None) -> str | None:
    """The catalog name an SQL identifier denotes: unquoted names fold to lower case."""
    if ident is None:
        return None
    if isinstance(ident, str):
        return ident.lower()
    if not isinstance(ident, exp.Identifier):
        return None  # a table function such as generate_series(): not a table of the design
    return ident.this if ident.quoted else ident.this.lower()


def column_name(node: exp.Expression) -> str | None:
    node = _unwrap(node)
    return identifier_name(node.args.get("this")) if isinstance(node, exp.Column) else None


def _unwrap(node: exp.Expression) -> exp.Expression:
    while isinstance(node, (exp.Cast, exp.Paren)):
        node = node.this
    return node


def _literal(node: exp.Expression) -> str | Decimal | None:
    node = _unwrap(node)
    negative = False
    if isinstance(node, exp.Neg):
        negative, node = True, _unwrap(node.this)
    if not isinstance(node, exp.Literal):
        return None
    if node.is_string:
        return None if negative else node.this
    try:
        value = Decimal(node.this)
    except InvalidOperation:
        return None
    return -value if negative else value


def _conjuncts(node: exp.Expression) -> list[exp.Expression]:
    node = _unwrap(node) if isinstance(node, exp.Paren) else node
    if isinstance(node, exp.And):
        return _conjuncts(node.this) + _conjuncts(node.expression)
    if isinstance(node, exp.Or):
        # `col IS NULL OR <rule on col>`: generated values are never NULL here, so the rule holds.
        sides = [_unwrap(node.this), _unwrap(node.expression)]
        rest = [s for s in sides if not (isinstance(s, exp.Is) and isinstance(s.expression, exp.Null))]
        return _conjuncts(rest[0]) if len(rest) == 1 else []
    return [node]


_FLIP = {exp.GT: exp.LT, exp.GTE: exp.LTE, exp.LT: exp.GT, exp.LTE: exp.GTE}


def _apply(rules: dict[str, ColumnRules], node: exp.Expression) -> None:
    def update(col: str | None, **changes: object) -> None:
        if col is not None:
            rules[col] = replace(rules.get(col, ColumnRules()), **changes)

    if isinstance(node, exp.In) and not node.args.get("query"):
        values = [_literal(e) for e in node.expressions]
        if values and all(v is not None for v in values):
            update(column_name(node.this), allowed=tuple(str(v) for v in values))
        return
    if isinstance(node, exp.EQ) and isinstance(_unwrap(node.expression), exp.Any):
        array = _unwrap(_unwrap(node.expression).this)
        if isinstance(array, exp.Array):
            values = [_literal(e) for e in array.expressions]
            if values and all(v is not None for v in values):
                update(column_name(node.this), allowed=tuple(str(v) for v in values))
        return
    if isinstance(node, (exp.RegexpLike, exp.RegexpILike)):
        pattern = _literal(node.expression)
        col = column_name(node.this)
        if isinstance(pattern, str) and col is not None:
            current = rules.get(col, ColumnRules()).patterns
            update(col, patterns=current + ((pattern, isinstance(node, exp.RegexpILike)),))
        return
    if isinstance(node, exp.Between):
        low, high = _literal(node.args["low"]), _literal(node.args["high"])
        target = _unwrap(node.this)
        if isinstance(target, exp.Length) and isinstance(low, Decimal) and isinstance(high, Decimal):
            update(column_name(target.this), min_length=int(low), max_length=int(high))
        elif isinstance(low, Decimal) and isinstance(high, Decimal):
            update(column_name(target), low=low, low_strict=False, high=high, high_strict=False)
        return
    if type(node) in _FLIP:
        kind, left, right = type(node), _unwrap(node.this), node.expression
        if _literal(left) is not None:  # `0 < qty` reads as `qty > 0`
            kind, left, right = _FLIP[kind], _unwrap(node.expression), node.this
        bound = _literal(right)
        if not isinstance(bound, Decimal):
            return
        if isinstance(left, exp.Length):
            col = column_name(left.this)
            if kind in (exp.LT, exp.LTE):
                update(col, max_length=int(bound) - (kind is exp.LT))
            else:
                update(col, min_length=int(bound) + (kind is exp.GT))
        elif kind in (exp.GT, exp.GTE):
            update(column_name(left), low=bound, low_strict=kind is exp.GT)
        else:
            update(column_name(left), high=bound, high_strict=kind is exp.LT)


def derived_columns(table: m.Table) -> dict[str, exp.Expression]:
    """Columns a CHECK defines from others (`line_total = quantity * unit_price - discount`):
    no random value satisfies such a rule, so the INSERT computes them from the others."""
    derived: dict[str, exp.Expression] = {}
    for check in table.checks:
        try:
            tree = sqlglot.parse_one(check.expression, read="postgres")
        except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
            continue
        for node in _conjuncts(tree):
            if not isinstance(node, exp.EQ):
                continue
            for side, other in ((node.this, node.expression), (node.expression, node.this)):
                name = column_name(side)
                inputs = {column_name(c) for c in other.find_all(exp.Column)}
                if (name and table.column(name) and name not in derived and inputs and name not in inputs
                        and all(i and table.column(i) for i in inputs) and not other.find(exp.Subquery)):
                    derived[name] = other
                    break
    return derived


def check_columns(check: m.Check) -> set[str] | None:
    """The columns a CHECK reads, None when its text does not parse."""
    tree = shared_tree(check.expression)
    if tree is None:
        return None
    return {name for c in tree.find_all(exp.Column) if (name := column_name(c))}


def column_rules(table: m.Table) -> dict[str, ColumnRules]:
    """Per-column rules read from the table's CHECK constraints (unparseable ones are skipped)."""
    rules: dict[str, ColumnRules] = {}
    for check in table.checks:
        tree = shared_tree(check.expression)
        if tree is None:
            continue
        for conjunct in _conjuncts(tree):
            _apply(rules, conjunct)
    return rules
