"""Sequences, and the `serial` columns they stand for.

`serial` is shorthand: PostgreSQL expands it into an integer column, a sequence named
<table>_<column>_seq owned by the column, and a nextval() default; pg_dump and the
catalogs only show the expansion.  Recognising it again keeps the model renderable (the
sequence comes back with the column) and the lint rule "serial instead of identity" exact.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pglast import ast

from schemawright.importers.pg_names import object_name
from schemawright.importers.pg_text import canonical_type, qualified
from schemawright.sql.quoting import quote_ident

_INT_RANGE = {"smallint": (-(2**15), 2**15 - 1), "integer": (-(2**31), 2**31 - 1), "bigint": (-(2**63), 2**63 - 1)}
SERIAL = {"smallint": "smallserial", "integer": "serial", "bigint": "bigserial"}
SERIAL_BASE = {v: k for k, v in SERIAL.items()}


@dataclass
class Sequence:
    name: str
    options: dict[str, object] = field(default_factory=dict)
    owned_by: tuple[str, str] | None = None  # (table, column)

    def apply(self, options: tuple | None) -> None:
        """Options of CREATE SEQUENCE or ALTER SEQUENCE."""
        for option in options or ():
            if option.defname == "owned_by":
                names = [n.sval for n in option.arg]
                self.owned_by = (names[-2], names[-1]) if len(names) >= 2 else None
            elif option.defname == "as":
                self.options["as"] = canonical_type(option.arg)
            elif option.defname == "cycle":
                self.options["cycle"] = bool(option.arg.boolval) if option.arg is not None else True
            elif option.defname in ("start", "increment", "minvalue", "maxvalue", "cache"):
                self.options[option.defname] = _number(option.arg)

    def is_serial_of(self, table: str, column: str, column_type: str) -> bool:
        """Exactly what `column serial` would have created for this column."""
        as_type, increment, _, high = self._bounds()
        o = self.options
        minimum = o.get("minvalue") if o.get("minvalue") is not None else 1
        maximum = o.get("maxvalue") if o.get("maxvalue") is not None else high
        start = o.get("start") if o.get("start") is not None else minimum
        return (self.owned_by == (table, column) and self.name == object_name(table, column, "seq")
                and as_type == column_type and increment == 1 and minimum == 1 and maximum == high and start == 1
                and (o.get("cache") or 1) == 1 and not o.get("cycle"))

    def sql(self) -> str:
        """CREATE SEQUENCE naming only what differs from the defaults (one text, however written)."""
        as_type, increment, low, high = self._bounds()
        o = self.options
        minimum = o.get("minvalue") if o.get("minvalue") is not None else low
        maximum = o.get("maxvalue") if o.get("maxvalue") is not None else high
        first = minimum if increment > 0 else maximum
        start = o.get("start") if o.get("start") is not None else first
        parts = [f"CREATE SEQUENCE {quote_ident(self.name)}"]
        parts += [f"AS {as_type}"] if as_type != "bigint" else []
        parts += [f"START WITH {start}"] if start != first else []
        parts += [f"INCREMENT BY {increment}"] if increment != 1 else []
        parts += [f"MINVALUE {minimum}"] if minimum != low else []
        parts += [f"MAXVALUE {maximum}"] if maximum != high else []
        parts += [f"CACHE {o['cache']}"] if (o.get("cache") or 1) != 1 else []
        parts += ["CYCLE"] if o.get("cycle") else []
        return " ".join(parts) + ";"

    def _bounds(self) -> tuple[str, int, int, int]:
        """(type, increment, default minimum, default maximum)."""
        as_type = str(self.options.get("as") or "bigint")
        low, high = _INT_RANGE.get(as_type, _INT_RANGE["bigint"])
        increment = self.options.get("increment") or 1
        assert isinstance(increment, int)
        return as_type, increment, (1 if increment > 0 else low), (high if increment > 0 else -1)


def nextval_target(node: ast.Node) -> str | None:
    """The sequence in `nextval('seq'::regclass)`, as the name the model uses."""
    if not isinstance(node, ast.FuncCall) or qualified(node.funcname)[1] != "nextval" or len(node.args or ()) != 1:
        return None
    arg = node.args[0]
    while isinstance(arg, ast.TypeCast):
        arg = arg.arg
    if not isinstance(arg, ast.A_Const) or not isinstance(arg.val, ast.String):
        return None
    text = arg.val.sval
    return text[1:-1].replace('""', '"') if text.startswith('"') and text.endswith('"') else text.lower()


def _number(node: object) -> int | None:
    if node is None:
        return None
    if isinstance(node, ast.Integer):
        return node.ival
    if isinstance(node, ast.Float):
        return int(node.fval)
    return None
