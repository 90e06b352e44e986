"""Values that make a CHECK expression false, to prove the constraint refuses them.

`falsify` reads the expression with sqlglot and returns `column -> SQL value` assignments for
an UPDATE of one row (`SET a = b` reads the row's old values, so `a > b` is broken by
`a = b`).  It knows the shapes business rules take: comparisons with a literal or another
column, IN lists, BETWEEN, IS [NOT] NULL, lengths, AND / OR / NOT.  Anything else returns
None and the constraint is reported as not tried, never as proven.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from schemawright import model as m
from schemawright.sql.quoting import quote_ident as q
from schemawright.sql.types import family, parse
from schemawright.validation.rules import column_name, column_rules

Assignments = dict[str, str]


def falsify(expression: str, table: m.Table, own_only: bool = False) -> Assignments | None:
    """`own_only`: only unqualified columns may change (qualified ones are values read elsewhere)."""
    try:
        tree = sqlglot.parse_one(expression, read="postgres")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
        return None
    return _first_complete(_Falsifier(table, own_only).false(tree), table)


def satisfy(expression: str, table: m.Table) -> Assignments | None:
    """Assignments that make `expression` true (used for the `when` of a conditional rule)."""
    try:
        tree = sqlglot.parse_one(expression, read="postgres")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
        return None
    return _first_complete(_Falsifier(table).true(tree), table)


def _sql(node: exp.Expression) -> str:
    return node.sql(dialect="postgres")


NOT_NULL = "<any value but NULL>"  # `x IS NULL` made false: another part of the rule must give x a value


def merge(*parts: Assignments | None) -> Assignments | None:
    out: Assignments = {}
    for part in parts:
        if part is None:
            return None
        for column, value in part.items():
            have = out.get(column, value)
            if NOT_NULL in (have, value) and "NULL" not in (have, value):
                out[column] = value if have == NOT_NULL else have
                continue
            if have != value:
                return None
            out[column] = value
    return out


def _first_complete(options: list[Assignments], table: m.Table) -> Assignments | None:
    """The first way with every value known; a column that must only be non-NULL keeps its
    value, or takes one another row has."""
    found = next((o for o in options if NOT_NULL not in o.values()), None)
    if found is not None or not options:
        return found
    name = q(table.name)
    return {c: (f"coalesce({q(c)}, (SELECT max({q(c)}) FROM {name}))" if v == NOT_NULL else v)
            for c, v in options[0].items()}


def _products(left: list[Assignments], right: list[Assignments]) -> list[Assignments]:
    """Every agreeing pair of a way for each side (both must hold at once)."""
    out = [m for a in left for b in right if (m := merge(a, b)) is not None]
    return out[:_OPTIONS]


_OPTIONS = 24  # ways kept per node: rules are short, and the first complete one wins


def _predicate(node: exp.Expression) -> bool:
    node = node.this if isinstance(node, exp.Paren) else node
    return isinstance(node, (exp.In, exp.Is, exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Not, exp.And,
                             exp.Or, exp.Between))


class _Falsifier:
    def __init__(self, table: m.Table, own_only: bool = False):
        self.table, self.own_only = table, own_only

    def _name(self, node: exp.Expression) -> str | None:
        if self.own_only and isinstance(node, exp.Column) and node.table:
            return None
        return column_name(node)

    def _family(self, column: str) -> str | None:
        col = self.table.column(column)
        return family(col.sql_type) if col and col.sql_type else None

    def _step(self, column: str) -> str:
        """The smallest step of the column's type, as SQL to add or subtract."""
        col = self.table.column(column)
        read = parse(col.sql_type) if col and col.sql_type else None
        if read and read.base in ("timestamp", "timestamptz"):
            return "interval '1 second'"
        if read and read.base == "numeric" and len(read.args) == 2 and read.args[1].strip().isdigit():
            scale = int(read.args[1])  # numeric(4,4): the next value down from 0 is -0.0001, not -1
            return "1" if scale == 0 else "0." + "0" * (scale - 1) + "1"
        return "1"

    # Each returns the ways to make the node false (true), most direct first: a rule like
    # `a IS NULL OR (b IS NOT NULL AND a >= b)` is broken by a < b, not by the first conjunct.

    def false(self, node: exp.Expression) -> list[Assignments]:
        if isinstance(node, exp.Paren):
            return self.false(node.this)
        if isinstance(node, exp.And):
            return self.false(node.this) + self.false(node.expression)
        if isinstance(node, exp.Or):
            return _products(self.false(node.this), self.false(node.expression))
        if isinstance(node, exp.Not):
            return self.true(node.this)
        if isinstance(node, exp.EQ) and _predicate(node.this) and _predicate(node.expression):
            # (status IN ('done')) = (resolved_at IS NOT NULL): one side true, the other false
            return (_products(self.true(node.this), self.false(node.expression))
                    + _products(self.false(node.this), self.true(node.expression)))
        found = self._compare(node, want=False)
        return [found] if found is not None else []

    def true(self, node: exp.Expression) -> list[Assignments]:
        if isinstance(node, exp.Paren):
            return self.true(node.this)
        if isinstance(node, exp.And):
            return _products(self.true(node.this), self.true(node.expression))
        if isinstance(node, exp.Or):
            return self.true(node.this) + self.true(node.expression)
        if isinstance(node, exp.Not):
            return self.false(node.this)
        found = self._compare(node, want=True)
        return [found] if found is not None else []

    def _compare(self, node: exp.Expression, want: bool) -> Assignments | None:
        if isinstance(node, exp.Is) and isinstance(node.expression, exp.Null):
            name = self._name(node.this)
            if name is None:
                return None
            if want != bool(node.args.get("negate")):  # IS NULL wanted true, or IS NOT NULL wanted false
                return {name: "NULL"}
            return {name: NOT_NULL}  # a value of its type: another part of the rule must give one
        if isinstance(node, exp.Column) and self._family(self._name(node) or "") == "boolean":
            return {self._name(node): "true" if want else "false"}  # type: ignore[dict-item]
        if isinstance(node, exp.In):
            name = self._name(node.this)
            items = node.expressions
            if name is None or not items or node.args.get("query"):
                return None
            if want:
                return {name: _sql(items[0])}
            items = [i.this if isinstance(i, exp.Cast) else i for i in items]
            if all(isinstance(i, exp.Literal) and i.is_string for i in items):
                return {name: "'~'"}
            if all(isinstance(i, exp.Literal) for i in items):
                return {name: str(max(float(i.this) for i in items) + 1).removesuffix(".0")}
            return None
        if isinstance(node, exp.Between):
            name = self._name(node.this)
            if name is None:
                return None
            if want:
                return {name: _sql(node.args["low"])}
            return {name: f"({_sql(node.args['high'])}) + {self._step(name)}"}
        if isinstance(node, exp.EQ) and isinstance(node.expression, exp.Any):
            values = node.expression.this.unnest() if isinstance(node.expression.this, exp.Paren) else \
                node.expression.this
            if isinstance(values, exp.Array):  # col = ANY (ARRAY[...]): an IN list as PostgreSQL prints it
                return self._compare(exp.In(this=node.this, expressions=values.expressions), want)
            return None
        if isinstance(node, (exp.RegexpLike, exp.RegexpILike, exp.Like, exp.ILike)) and not want:
            name = self._name(node.this)
            return {name: "'~'"} if name else None  # matches none of the shapes such rules describe
        if isinstance(node, (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)):
            return self._binary(node, want)
        return None

    def _binary(self, node: exp.Binary, want: bool) -> Assignments | None:
        left, right = node.this, node.expression
        op = type(node)
        name = self._name(left)
        other = right
        if name is None or isinstance(left, exp.Anonymous):
            length = self._length(left)
            if length is not None:
                return self._length_value(length, op, right, want)
            name = self._name(right)
            other = left
            if name is None:
                length = self._length(right)
                return None if length is None else self._length_value(length, _FLIP[op], left, want)
            op = _FLIP[op]
        value = _sql(other)
        step = self._step(name)
        # The value that makes `name <op> value` come out as wanted.
        if not want:
            op = _NEGATE[op]
        if op is exp.EQ:
            return {name: value}
        if op is exp.NEQ:
            allowed = column_rules(self.table).get(name)
            others = [v for v in (allowed.allowed if allowed else ()) if not (isinstance(other, exp.Literal)
                                                                             and v == other.this)]
            if others:  # another value the column takes (`status <> 'open'` made true by 'closed')
                return {name: _sql(exp.Literal.string(others[0]))}
            if self._family(name) in ("text", None) and not isinstance(other, exp.Literal):
                return None
            if self._family(name) == "text":
                return {name: f"({value}) || '~'"}
            return {name: f"({value}) + {step}"}
        if op in (exp.GTE, exp.LTE):
            return {name: value}
        if op is exp.GT:
            return {name: f"({value}) + {step}"}
        return {name: f"({value}) - {step}"}  # LT

    @staticmethod
    def _length(node: exp.Expression) -> str | None:
        if isinstance(node, exp.Length):
            return column_name(node.this)
        if isinstance(node, exp.Anonymous) and node.name.lower() in ("char_length", "character_length", "length") \
                and node.expressions:
            return column_name(node.expressions[0])
        return None

    def _length_value(self, name: str, op: type, bound: exp.Expression, want: bool) -> Assignments | None:
        if not isinstance(bound, exp.Literal) or bound.is_string:
            return None
        n = int(float(bound.this))
        if not want:
            op = _NEGATE[op]
        size = {exp.EQ: n, exp.GTE: n, exp.LTE: n, exp.GT: n + 1, exp.LT: max(n - 1, 0), exp.NEQ: n + 1}[op]
        return {name: f"repeat('x', {size})"}


_FLIP = {exp.EQ: exp.EQ, exp.NEQ: exp.NEQ, exp.GT: exp.LT, exp.GTE: exp.LTE, exp.LT: exp.GT, exp.LTE: exp.GTE}
_NEGATE = {exp.EQ: exp.NEQ, exp.NEQ: exp.EQ, exp.GT: exp.LTE, exp.GTE: exp.LT, exp.LT: exp.GTE, exp.LTE: exp.GT}
