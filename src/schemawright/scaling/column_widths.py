"""What one value of each column takes on disk, typically, from the spec alone (no data yet).

Fixed-width types take their length.  Variable-width values follow the spec: a `values:` list
its average length; a `max_length` PostgreSQL's own guess (get_typavgwidth: the whole length up
to 32, then 32 + half of the rest, 516 past 1000); without one, the planner's default of 32
characters for text and the assumptions in ASSUMED for documents, arrays and bytes.  A value
under 127 bytes has a 1-byte header, a longer one 4.  Distinct counts (for B-tree deduplication)
come from keys (unique: every row), foreign keys (the parent's rows), value lists, booleans and
the spec's data profile; any other column is taken as all distinct, the larger index.
"""

from __future__ import annotations

import math
import re

from schemawright import model as m
from schemawright.pagelayout import Column

# type name -> (typname, typlen, alignment)
FIXED: dict[str, tuple[str, int, int]] = {
    "smallint": ("int2", 2, 2), "integer": ("int4", 4, 4), "bigint": ("int8", 8, 8),
    "real": ("float4", 4, 4), "double precision": ("float8", 8, 8), "boolean": ("bool", 1, 1),
    "date": ("date", 4, 4), "timestamp": ("timestamp", 8, 8), "timestamptz": ("timestamptz", 8, 8),
    "timestamp with time zone": ("timestamptz", 8, 8), "timestamp without time zone": ("timestamp", 8, 8),
    "time": ("time", 8, 8), "timetz": ("timetz", 12, 8), "uuid": ("uuid", 16, 1), "interval": ("interval", 16, 8),
    "money": ("money", 8, 8), "macaddr": ("macaddr", 6, 4), "oid": ("oid", 4, 4), "smallserial": ("int2", 2, 2),
    "serial": ("int4", 4, 4), "bigserial": ("int8", 8, 8),
}
# Typical bytes of values the spec says nothing about (assumptions, stated in operations.md).
ASSUMED = {"text": 32, "jsonb": 128, "json": 128, "bytea": 64, "array": 64, "inet": 7, "tsvector": 128}
PLANNER_DEFAULT = 32  # get_typavgwidth without a length


def typical_length(max_length: int) -> int:
    """PostgreSQL's guess (lsyscache.c get_typavgwidth) for a value of at most `max_length`."""
    if max_length <= 32:
        return max_length
    if max_length < 1000:
        return 32 + (max_length - 32) // 2
    return 32 + (1000 - 32) // 2


def varlena(payload: float) -> float:
    """A variable-length value's stored bytes: a 1-byte header under 127 bytes, else 4."""
    return payload + (1 if payload + 1 < 127 else 4)


def base_type(sql_type: str) -> str:
    return re.sub(r"\s*\(.*\)", "", sql_type.strip().lower())


def _args(sql_type: str) -> list[int]:
    found = re.search(r"\(([\d,\s]+)\)", sql_type)
    return [int(a) for a in found.group(1).split(",")] if found else []


def _numeric_bytes(sql_type: str, data: m.DataProfile | None) -> float:
    """numeric stores base-10000 digit groups (2 bytes each) after a 2-byte header."""
    args = _args(sql_type)
    precision, scale = (args + [0, 0])[:2] if args else (None, 0)
    high = data.high if data is not None and isinstance(data.high, (int, float)) else None
    if high is not None:
        integer_digits = len(str(int(abs(high)))) if abs(high) >= 1 else 0
    else:  # half the integer digits allowed, e.g. numeric(12,2): 123456.78
        integer_digits = max(math.ceil(((precision or 12) - scale) / 2), 1)
    groups = math.ceil(integer_digits / 4) + math.ceil(scale / 4)
    return varlena(2 + 2 * groups)


def _text_bytes(attribute: m.Attribute | None, sql_type: str) -> float:
    if attribute is not None and attribute.values:
        return varlena(sum(len(v.encode()) for v in attribute.values) / len(attribute.values))
    limit = (attribute.max_length if attribute is not None else None) or (_args(sql_type) or [None])[0]
    if limit is not None:
        return varlena(typical_length(limit))
    return varlena(PLANNER_DEFAULT)


def typical_column(column: m.Column, attribute: m.Attribute | None, enums: set[str],
                   distinct: float) -> Column:
    """The column's typical stored value as pagelayout's Column (width, NULL share, distinct)."""
    data = attribute.data if attribute is not None else None
    null_frac = 0.0 if not column.nullable else float(data.null_fraction or 0.0) if data is not None else 0.0
    sql_type = column.sql_type or "text"
    base = base_type(sql_type)
    if base in FIXED:
        name, length, align = FIXED[base]
        return Column(float(length), null_frac, distinct, length, align, name)
    if base in enums:  # an enum value is a 4-byte oid, compared bitwise
        return Column(4.0, null_frac, distinct, 4, 4, "oid")
    if base == "numeric" or base == "decimal":
        return Column(_numeric_bytes(sql_type, data), null_frac, distinct, -1, 4, "numeric")
    if base.endswith("[]"):
        return Column(varlena(ASSUMED["array"]), null_frac, distinct, -1, 4, "array")
    if base in ("char", "character", "bpchar"):
        length = (_args(sql_type) or [1])[0]
        return Column(varlena(length), null_frac, distinct, -1, 4, "bpchar")
    if base in ("text", "varchar", "character varying", "citext", "name"):
        return Column(_text_bytes(attribute, sql_type), null_frac, distinct, -1, 4,
                      "text" if base != "citext" else "citext")
    payload = ASSUMED.get(base, PLANNER_DEFAULT)
    return Column(varlena(payload), null_frac, distinct, -1, 4, base)


def may_need_toast(sql_types: list[str]) -> bool:
    """Whether CREATE TABLE gives the table a TOAST table (needs_toast_table): a column whose
    values are unbounded, or bounded ones that together may pass 2032 bytes."""
    bounded = 0
    for sql_type in sql_types:
        base = base_type(sql_type)
        if base in FIXED:
            continue
        args = _args(sql_type)
        if base in ("varchar", "character varying", "char", "character", "bpchar") and args:
            bounded += 4 + 4 * args[0]  # up to 4 bytes a character in UTF-8
        elif base in ("numeric", "decimal") and args:
            bounded += 4 + 2 * (args[0] // 4 + 2)
        else:
            return True
    return bounded > 2032
