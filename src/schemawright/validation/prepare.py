"""PREPARE an access pattern, giving its parameters the types of their columns where needed.

PostgreSQL types a parameter from its context: `customer_id = $1` makes $1 a bigint.  Inside
an expression it may not know: `round($1 * $2, 8)` fails with "operator is not unique: unknown
* unknown".  The type is known from the column the expression is compared with or assigned
to (`amount_usd = round(:amount * :fx_rate, 8)` makes both numeric), so when the untyped
PREPARE fails, it is retried with those parameters declared with that column's type.  The
untyped statement is tried first because PostgreSQL's own choice is better where it has one
(`placed_at > now() - :days * interval '1 day'` takes a number, not a timestamp), and a
parameter the SQL casts itself (`:n::int`) or that stands alone beside a column keeps
PostgreSQL's choice in the retry too.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlglot
from sqlglot import exp

from schemawright import model as m
from schemawright.database import Database, DatabaseError
from schemawright.validation.params import Positional, positional, uses
from schemawright.validation.plaintext import plaintext_design, plaintext_sql

UNKNOWN = "unknown"  # PREPARE's way to leave one parameter's type to the context


@dataclass(frozen=True)
class Prepared:
    bound: Positional  # the SQL with $1..$n and the parameter names
    types: tuple[str, ...]  # each parameter's type, as pg_prepared_statements gives it
    declared: tuple[str, ...] = ()  # the types given in PREPARE (empty: PostgreSQL chose every one)

    def again(self, statement: str) -> str:
        """The PREPARE of the same statement under another name (another role's plan)."""
        return prepare_text(statement, self.bound.sql, self.declared)


def prepare_text(statement: str, sql: str, declared: tuple[str, ...] = ()) -> str:
    return f"PREPARE {statement}" + (f"({', '.join(declared)})" if declared else "") + f" AS {sql}"


def prepare(db: Database, statement: str, sql: str, design: m.Design) -> Prepared:
    """PREPARE `sql` (with :named parameters) as `statement`.  Raises ValueError for SQL that
    cannot be read and DatabaseError (the untyped statement's own error) when it does not
    prepare even with the columns' types."""
    bound = positional(sql)
    try:
        db.execute(prepare_text(statement, bound.sql))
        declared: tuple[str, ...] = ()
    except DatabaseError as error:
        declared = column_types(sql, design, bound.names)
        if all(t == UNKNOWN for t in declared):
            raise
        try:
            db.execute(prepare_text(statement, bound.sql, declared))
        except DatabaseError:
            raise error from None  # the user's statement fails as written: say why in its own terms
    types = db.query_value("SELECT parameter_types::text[] FROM pg_prepared_statements WHERE name = %s",
                           [statement]) or []
    return Prepared(bound, tuple(types), declared)


# Nodes a parameter may sit in and still be the compared or assigned value itself.
_TRANSPARENT = (exp.Paren, exp.Neg)
_ARITHMETIC = (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod, exp.IntDiv, exp.Pow)


def column_types(sql: str, design: m.Design, names: tuple[str, ...]) -> tuple[str, ...]:
    """For each parameter: the type of the column its expression is compared with or assigned
    to, when the parameter sits inside arithmetic or a function there (where PostgreSQL cannot
    infer it); `unknown` otherwise."""
    plain_sql, plain = plaintext_sql(sql, design), plaintext_design(design)
    try:
        tree = sqlglot.parse_one(plain_sql, read="postgres")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
        return tuple(UNKNOWN for _ in names)
    usage = uses(sql, design)
    nested = {p.name for p in tree.find_all(exp.Placeholder) if p.name and _inside_expression(p)}
    cast = {p.name for p in tree.find_all(exp.Placeholder) if p.name and _cast(p)}
    out = []
    for name in names:
        use = usage.get(name)
        table = plain.table(use.table) if use is not None and use.table else None
        column = table.column(use.column or "") if table is not None else None
        wanted = name in nested and name not in cast and column is not None and column.sql_type
        out.append(column.sql_type if wanted and column is not None else UNKNOWN)
    return tuple(out)


def _cast(node: exp.Expression) -> bool:
    parent = node.parent
    while isinstance(parent, _TRANSPARENT):
        parent = parent.parent
    return isinstance(parent, exp.Cast)


def _inside_expression(node: exp.Expression) -> bool:
    """`round(:a * :b, 8)`, `:a + 1`, `coalesce(:a, 0)`: not `x = :a`, `x IN (:a)` or `ANY(:a)`."""
    parent = node.parent
    while isinstance(parent, _TRANSPARENT):
        parent = parent.parent
    return isinstance(parent, _ARITHMETIC) or (isinstance(parent, exp.Func) and not isinstance(
        parent, (exp.Any, exp.Cast, exp.In, exp.Array, exp.Lower, exp.Upper, exp.Trim)))
