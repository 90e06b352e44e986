"""Canonical text for what PostgreSQL parsed: type names, expressions, qualified names.

The SQL importer and the live importer both pass everything through here, so a schema
read from a dump and the same schema read from the catalogs come out byte-identical:
`character varying(100)` and `varchar(100)` both become `varchar(100)`, `public.orders`
becomes `orders`, and expressions are printed by pglast from PostgreSQL's own parse tree.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pglast import ast, parse_sql
from pglast.stream import RawStream

from schemawright.sql import types
from schemawright.sql.quoting import quote_ident

def _names(values: tuple | None) -> list[str]:
    return [v.sval for v in values or () if isinstance(v, ast.String)]


def type_base(type_name: ast.TypeName) -> str:
    """The type's name without modifiers: `varchar`, `timestamptz`, `order_status`."""
    names = _names(type_name.names)
    if len(names) == 2 and names[0] == "pg_catalog":
        names = names[1:]
    if len(names) == 1 and names[0] in types.CATALOG_NAMES:  # the parser's names: int4, bpchar, "char" ...
        return types.CATALOG_NAMES[names[0]]
    return ".".join(quote_ident(n) for n in names)


def canonical_type(type_name: ast.TypeName) -> str:
    """`character varying(100)` -> `varchar(100)`, `int4[]` -> `integer[]`, `numeric(10)` ->
    `numeric(10,0)`: one spelling per type, whatever wrote it (a person, pg_dump, format_type)."""
    base = type_base(type_name)
    mods = [_typmod(m) for m in type_name.typmods or ()]
    if base == "interval" and mods:
        text = deparse(type_name)  # interval field masks need pglast's own printer
    elif base == "numeric" and len(mods) == 1:
        text = f"numeric({mods[0]},0)"
    elif mods:
        text = f"{base}({','.join(mods)})"
    else:
        text = base
    return text + ("[]" if type_name.arrayBounds else "")


def _typmod(node: ast.Node) -> str:
    if isinstance(node, ast.A_Const) and isinstance(node.val, ast.Integer):
        return str(node.val.ival)
    return deparse(node)


@lru_cache(maxsize=4096)
def parse_type(text: str) -> ast.TypeName:
    """A type as format_type() prints it, parsed (cached: catalogs repeat a few types)."""
    stmt = parse_sql(f"SELECT NULL::{text}")[0].stmt
    return stmt.targetList[0].val.typeName


def parse_expression(text: str) -> ast.Node:
    """An expression as pg_get_expr() prints it."""
    return parse_sql(f"SELECT {text}")[0].stmt.targetList[0].val


# ------------------------------------------------------------------ printing


def _atomic(node: ast.Node) -> bool:
    return isinstance(node, (ast.A_Const, ast.ColumnRef, ast.FuncCall, ast.TypeCast, ast.ParamRef))


class _Printer(RawStream):
    """pglast's printer, but `x::type` for simple operands instead of CAST(x AS type):
    that is how PostgreSQL and people write defaults and checks, and it reads better."""

    def print_node(self, node, is_name=False, is_symbol=False):  # noqa: ANN001, ANN201 - pglast API
        if isinstance(node, ast.TypeCast) and node.arg is not None and _atomic(node.arg):
            negative = isinstance(node.arg, ast.A_Const) and str(_const(node.arg)).startswith("-")
            if negative:
                self.write("(")
            super().print_node(node.arg)
            if negative:
                self.write(")")
            self.write("::")
            super().print_node(node.typeName)
            self.separator()
            return
        super().print_node(node, is_name, is_symbol)


def _const(node: ast.A_Const) -> object:
    val = node.val
    for attr in ("ival", "fval", "sval", "boolval", "bsval"):
        if hasattr(val, attr):
            return getattr(val, attr)
    return None


def deparse(node: ast.Node) -> str:
    """SQL text for a parse tree (an expression or a whole statement)."""
    simple = _simple(node)
    return simple if simple is not None else _Printer(remove_pg_catalog_from_functions=True)(node)


_SIMPLE_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


def _simple(node: ast.Node) -> str | None:
    """The text pglast would print for the commonest defaults (0, 'x', true, now()),
    without building a printer: large schemas have thousands of them."""
    if isinstance(node, ast.A_Const):
        value = node.val
        if node.isnull:
            return "NULL"
        if isinstance(value, ast.Integer):
            return str(value.ival)
        if isinstance(value, ast.Float):
            return value.fval
        if isinstance(value, ast.Boolean):
            return "TRUE" if value.boolval else "FALSE"
        if isinstance(value, ast.String):
            return "'" + value.sval.replace("'", "''") + "'"
        return None
    if isinstance(node, ast.FuncCall) and not node.args and not node.agg_star and not node.over:
        names = _names(node.funcname)
        if names[:1] == ["pg_catalog"]:
            names = names[1:]
        if len(names) == 1 and _SIMPLE_NAME.match(names[0]) and quote_ident(names[0]) == names[0]:
            return f"{names[0]}()"
    return None


# ------------------------------------------------------------------ one schema


_SLOTS: dict[type, tuple[str, ...]] = {}


def _tree_slots(cls: type) -> tuple[str, ...]:
    """The slots of a node class that can hold nodes or lists (not flags, numbers or
    plain strings): walking only these makes strip_schema several times faster."""
    slots = _SLOTS.get(cls)
    if slots is None:
        slots = tuple(name for name, info in cls.__slots__.items()
                      if info.c_type == "ValUnion" or (info.c_type.endswith("*") and info.c_type != "char*"))
        _SLOTS[cls] = slots
    return slots


def strip_schema(node: object, schema: str) -> None:
    """Remove `schema.` from every name in the tree, in place: a single-schema model names
    `public.orders` just `orders` (and so does the catalog with that schema on search_path)."""
    if isinstance(node, (tuple, list)):
        for item in node:
            strip_schema(item, schema)
        return
    if not isinstance(node, ast.Node):
        return
    if isinstance(node, ast.RangeVar):
        if node.schemaname == schema:
            node.schemaname = None
        node.catalogname = None
        return
    if (isinstance(node, ast.TypeCast) and isinstance(node.arg, ast.A_Const) and isinstance(node.arg.val, ast.String)
            and _names(node.typeName.names)[-1:] == ["regclass"]):  # nextval('public.seq'::regclass)
        value = node.arg.val
        for prefix in (f"{schema}.", f'"{schema}".'):
            if value.sval.startswith(prefix):
                value.sval = value.sval[len(prefix):]
    for slot in _tree_slots(type(node)):
        value = getattr(node, slot)
        if (isinstance(value, tuple) and len(value) >= 2 and all(isinstance(v, ast.String) for v in value)
                and value[0].sval == schema and not (isinstance(node, ast.ColumnRef) and len(value) < 3)):
            setattr(node, slot, value[1:])  # a qualified name: type, function, operator, opclass ...
            continue
        if isinstance(value, (ast.Node, tuple, list)):
            strip_schema(value, schema)


def qualified(names: tuple | list | None) -> tuple[str | None, str]:
    """(schema or None, name) from a tuple of ast.String such as a type or function name."""
    parts = _names(tuple(names or ()))
    if not parts:
        return None, ""
    return (parts[-2] if len(parts) >= 2 else None), parts[-1]


# ------------------------------------------------------------------ literals as stored


_PLAIN_NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
_BOOLEAN_WORDS = {"t": True, "true": True, "y": True, "yes": True, "on": True, "1": True,
                  "f": False, "false": False, "n": False, "no": False, "off": False, "0": False}


def server_literal(node: ast.Node, type_base_name: str) -> ast.Node:
    """DEFAULT '0' on an integer column is stored as 0 (and 't' on a boolean as true):
    keep the value the server keeps, so a file and its database agree."""
    if not isinstance(node, ast.A_Const) or not isinstance(node.val, ast.String):
        return node
    text = node.val.sval.strip()
    kind = types.family_of(type_base_name)
    if kind == "float" and _PLAIN_NUMBER.match(text):
        value = float(text)  # the server keeps the float, not the digits: '0.0000' becomes 0
        shown = str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
        return number_const(shown)
    if kind in ("integer", "numeric") and _PLAIN_NUMBER.match(text):
        return number_const(text)
    if kind == "boolean" and text.lower() in _BOOLEAN_WORDS:
        return ast.A_Const(isnull=False, val=ast.Boolean(boolval=_BOOLEAN_WORDS[text.lower()]))
    return node


def number_const(text: str) -> ast.A_Const:
    if "." in text or "e" in text:
        return ast.A_Const(isnull=False, val=ast.Float(fval=text))
    return ast.A_Const(isnull=False, val=ast.Integer(ival=int(text)))
