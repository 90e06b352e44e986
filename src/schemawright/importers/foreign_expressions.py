"""MySQL/MariaDB and SQLite expressions (defaults, checks, generated columns, index
expressions, view queries) -> PostgreSQL text, checked by PostgreSQL's own parser.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

import sqlglot
from sqlglot import exp

from schemawright.importers.foreign_types import TypeMapping
from schemawright.importers.pg_text import deparse
from schemawright.importers.sqlglot_dialects import quiet_sqlglot
from schemawright.sql.quoting import quote_ident, quote_literal


_ZERO_DATE = re.compile(r"^0000-00-00")
_NOW_FUNCTIONS = {"now", "current_timestamp", "localtime", "localtimestamp", "sysdate", "utc_timestamp"}


def parse_expression(text: str, dialect: str) -> exp.Expression:
    """An expression as the server prints it (a default, a check, a generated column)."""
    with quiet_sqlglot():
        return sqlglot.parse_one(text, read=dialect)


def _normalise(node: exp.Expression, booleans: frozenset[str], dialect: str, schema: str | None = None) -> exp.Expression:
    """PostgreSQL-ready copy: names quoted only when needed, no database qualifiers, MySQL
    CONCAT as `||` (same NULL semantics, and immutable, so generated columns accept it),
    0/1 compared with a boolean column as false/true."""
    node = node.copy()

    def walk(n: exp.Expression) -> exp.Expression:
        if isinstance(n, exp.Identifier):
            n.set("quoted", quote_ident(n.this) != n.this)
        elif isinstance(n, (exp.Column, exp.Table)):
            if isinstance(n, exp.Column) and n.args.get("db") is not None:
                n.set("db", None)
            if isinstance(n, exp.Table) and (schema is None or n.args.get("db") is None or n.args["db"].name == schema):
                n.set("db", None)
                n.set("catalog", None)
        elif isinstance(n, exp.Concat) and dialect == "mysql" and n.expressions:
            parts = list(n.expressions)
            out = parts[0]
            for part in parts[1:]:
                out = exp.DPipe(this=out, expression=part)
            return exp.Paren(this=out) if len(parts) > 1 else out
        elif isinstance(n, (exp.EQ, exp.NEQ)) and booleans:
            left, right = n.this, n.expression
            if isinstance(right, exp.Column) and isinstance(left, exp.Literal):
                left, right = right, left
            if isinstance(left, exp.Column) and left.name in booleans and _bool_literal(right) is not None:
                n.set("this", left)
                n.set("expression", exp.Boolean(this=_bool_literal(right)))
        elif isinstance(n, exp.In) and booleans and isinstance(n.this, exp.Column) and n.this.name in booleans:
            values = [_bool_literal(v) for v in n.expressions]
            if n.expressions and all(v is not None for v in values):
                n.set("expressions", [exp.Boolean(this=v) for v in values])
        return n

    return node.transform(walk, copy=False)


def _bool_literal(node: exp.Expression) -> bool | None:
    if isinstance(node, exp.Boolean):
        return bool(node.this)
    if isinstance(node, exp.BitString):
        return node.this not in ("0", "")
    if isinstance(node, exp.Literal) and node.this in ("0", "1"):
        return node.this == "1"
    return None


def pg_expression(node: exp.Expression, dialect: str, booleans: frozenset[str] = frozenset(),
                  schema: str | None = None) -> str:
    """The PostgreSQL text of an expression; ValueError if PostgreSQL's parser rejects it."""
    from pglast import parse_sql

    sql = _normalise(node, booleans, dialect, schema).sql(dialect="postgres")
    try:
        parsed = parse_sql(f"SELECT {sql}")[0].stmt.targetList[0].val
    except Exception as error:  # noqa: BLE001 - pglast's ParseError
        raise ValueError(f"{sql!r} is not valid PostgreSQL ({error})") from None
    return deparse(_is_not_null(parsed))


def _is_not_null(node: object) -> object:
    """sqlglot writes `x IS NOT NULL` as `NOT x IS NULL`: give it back its usual form."""
    from pglast import ast
    from pglast.enums import BoolExprType, NullTestType

    if isinstance(node, (list, tuple)):
        return type(node)(_is_not_null(n) for n in node)
    if not isinstance(node, ast.Node):
        return node
    if isinstance(node, ast.BoolExpr) and node.boolop == BoolExprType.NOT_EXPR and len(node.args) == 1 \
            and isinstance(node.args[0], ast.NullTest) and node.args[0].nulltesttype == NullTestType.IS_NULL:
        inner = node.args[0]
        return ast.NullTest(arg=_is_not_null(inner.arg), nulltesttype=NullTestType.IS_NOT_NULL, argisrow=inner.argisrow)
    for slot in node.__slots__:
        value = getattr(node, slot, None)
        if isinstance(value, (ast.Node, list, tuple)):
            setattr(node, slot, _is_not_null(value))
    return node


def pg_query(node: exp.Expression, dialect: str, booleans: frozenset[str] = frozenset(),
             schema: str | None = None) -> str:
    """The PostgreSQL text of a view's query; ValueError if PostgreSQL's parser rejects it."""
    from pglast import parse_sql

    sql = _normalise(node, booleans, dialect, schema).sql(dialect="postgres")
    try:
        return deparse(_is_not_null(parse_sql(sql)[0].stmt))
    except Exception as error:  # noqa: BLE001
        raise ValueError(f"the query is not valid PostgreSQL after translation ({error})") from None


def pg_default(node: exp.Expression | None, mapping: TypeMapping, dialect: str) -> tuple[str | None, str | None]:
    """(PostgreSQL default or None, why it changed or was dropped)."""
    if node is None:
        return None, None
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Null):
        return None, None
    sql_type = mapping.sql_type
    base = sql_type.split("(")[0]
    if base == "boolean":
        value = _bool_literal(node)
        if value is None and isinstance(node, exp.Literal) and node.is_string and node.this in ("0", "1"):
            value = node.this == "1"
        if value is not None:
            return ("true" if value else "false"), None
    if isinstance(node, exp.Literal) and node.is_string:
        value = node.this
        if base in ("smallint", "integer", "bigint", "numeric", "real", "double precision") and \
                re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", value.strip()):
            return _number(value.strip(), sql_type), None
        if base in ("timestamp", "timestamptz", "date", "time") and _ZERO_DATE.match(value):
            return None, f"zero date {value!r} is not a valid PostgreSQL value; default dropped"
        if base == "bytea":  # bytes in hex; MySQL pads BINARY(n) with zero bytes
            data = value.encode("utf-8", errors="surrogateescape")
            fixed = re.fullmatch(r"binary\((\d+)\)", mapping.source)
            if fixed:
                data = data.ljust(int(fixed.group(1)), b"\0")
            return quote_literal("\\x" + data.hex()), None
        return quote_literal(value), None
    if isinstance(node, exp.Literal):
        return _number(node.this, sql_type), None
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and not node.this.is_string:
        return _number(f"-{node.this.this}", sql_type), None
    now = _now_function(node)
    if now is not None:
        if base == "date":
            return "CURRENT_DATE", None
        if base == "time":
            return "CURRENT_TIME", None
        return now, None
    if dialect == "mysql" and isinstance(node, exp.Anonymous) and node.name.lower() == "curdate":
        return "CURRENT_DATE", None
    if isinstance(node, exp.Uuid) or (isinstance(node, exp.Anonymous) and node.name.lower() == "uuid"):
        return ("gen_random_uuid()" if base == "uuid" else "gen_random_uuid()::text"), None
    try:
        return pg_expression(node, dialect), None
    except ValueError as error:
        return None, f"default {node.sql(dialect)!r} has no PostgreSQL translation ({error}); dropped"


def _number(value: str, sql_type: str) -> str:
    """A numeric default as the server stores it: numeric(p,s) shows s decimals (0 -> 0.00)."""
    scale = re.fullmatch(r"numeric\(\d+,(\d+)\)", sql_type)
    if scale is None:
        return value
    try:
        return str(Decimal(value).quantize(Decimal(1).scaleb(-int(scale.group(1)))))
    except (InvalidOperation, ValueError):
        return value


def _now_function(node: exp.Expression) -> str | None:
    """CURRENT_TIMESTAMP for MySQL's now()/current_timestamp(n) and SQLite's datetime('now')."""
    if isinstance(node, exp.CurrentTimestamp):
        precision = node.this
        return f"CURRENT_TIMESTAMP({precision.this})" if isinstance(precision, exp.Literal) else "CURRENT_TIMESTAMP"
    if isinstance(node, (exp.CurrentDate,)):
        return "CURRENT_DATE"
    if isinstance(node, (exp.CurrentTime,)):
        return "CURRENT_TIME"
    name = node.sql_name().lower() if isinstance(node, exp.Func) else ""
    if isinstance(node, exp.Anonymous):
        name = node.name.lower()
    if name in _NOW_FUNCTIONS:
        return "CURRENT_TIMESTAMP"
    args = [a for a in node.iter_expressions()] if isinstance(node, exp.Func) else []
    texts = [a.this for a in args if isinstance(a, exp.Literal) and a.is_string]
    if "now" in [t.lower() for t in texts]:
        if name in ("date",) or isinstance(node, exp.Date):
            return "CURRENT_DATE"
        if name == "time":
            return "CURRENT_TIME"
        return "CURRENT_TIMESTAMP"
    return None
