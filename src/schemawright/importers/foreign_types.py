"""MySQL/MariaDB and SQLite column types -> PostgreSQL, the type the model keeps.

`int(11)` -> integer, `tinyint(1)` -> boolean, `datetime` -> timestamp, MySQL `timestamp`
-> timestamptz, `json` -> jsonb, `enum(...)` -> text with a CHECK.  A `TypeMapping` says
why the type changed, so the builder can record the decision.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from sqlglot import exp
from sqlglot.errors import SqlglotError

from schemawright.importers.pg_text import canonical_type, parse_type
from schemawright.importers.sqlglot_dialects import quiet_sqlglot


@dataclass(frozen=True)
class TypeMapping:
    sql_type: str
    source: str  # the type as the source wrote it, lower case
    reason: str | None = None  # why the type changed (None: same type)
    values: tuple[str, ...] = ()  # enum values, enforced by a CHECK
    boolean_from_int: bool = False


_T = exp.DataType.Type
_SPATIAL = {"geometry", "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon",
            "geometrycollection", "geomcollection"}


def _args(dtype: exp.DataType) -> list[int]:
    numbers = []
    for param in dtype.expressions:
        node = param.this if isinstance(param, exp.DataTypeParam) else param
        if isinstance(node, exp.Literal) and not node.is_string and node.this.isdigit():
            numbers.append(int(node.this))
    return numbers


def _pg(sql_type: str) -> str:
    """The importers' one spelling of a PostgreSQL type (pg_text.canonical_type)."""
    try:
        return canonical_type(parse_type(sql_type))
    except Exception:  # noqa: BLE001 - pglast raises its own error types
        return sql_type


def mysql_type(dtype: exp.DataType | str) -> TypeMapping:
    """A MySQL/MariaDB column type as PostgreSQL. Accepts sqlglot's DataType or the text
    the server reports (information_schema.COLUMNS.COLUMN_TYPE)."""
    if isinstance(dtype, str):
        return _mysql_type_text(" ".join(re.sub(r"\bzerofill\b", " ", dtype, flags=re.IGNORECASE).split()))
    return _mysql_type(dtype)


@lru_cache(maxsize=2048)
def _mysql_type_text(text: str) -> TypeMapping:
    try:
        with quiet_sqlglot():
            dtype = exp.DataType.build(text, dialect="mysql")
    except (SqlglotError, ValueError):
        return unknown_mysql_type(text)
    if dtype.this == _T.USERDEFINED:
        return unknown_mysql_type(text)
    return _mysql_type(dtype)


def _mysql_type(dtype: exp.DataType) -> TypeMapping:
    source = dtype.sql("mysql").lower().replace(", ", ",")
    kind = dtype.this
    args = _args(dtype)
    unsigned = kind in (_T.UTINYINT, _T.USMALLINT, _T.UMEDIUMINT, _T.UINT, _T.UBIGINT, _T.UDECIMAL, _T.UDOUBLE)

    def same_or(pg: str, reason: str | None = None) -> TypeMapping:
        pg = _pg(pg)
        return TypeMapping(pg, source, None if pg == source else reason)

    if kind == _T.TINYINT and args == [1]:
        return TypeMapping("boolean", source, "MySQL's BOOLEAN is tinyint(1); its values 0/1 become false/true", boolean_from_int=True)
    if kind == _T.BIT and args in ([], [1]):
        return TypeMapping("boolean", source, "a single bit is a boolean", boolean_from_int=True)
    if kind == _T.BOOLEAN:
        return TypeMapping("boolean", source, "MySQL's BOOLEAN is tinyint(1); its values 0/1 become false/true", boolean_from_int=True)
    integers = {
        _T.TINYINT: "smallint", _T.UTINYINT: "smallint", _T.SMALLINT: "smallint", _T.USMALLINT: "integer",
        _T.MEDIUMINT: "integer", _T.UMEDIUMINT: "integer", _T.INT: "integer", _T.UINT: "bigint",
        _T.BIGINT: "bigint", _T.UBIGINT: "bigint",
    }
    if kind in integers:
        pg = integers[kind]
        why: str | None = None
        if kind == _T.UBIGINT:
            why = "PostgreSQL has no unsigned types; bigint holds values up to 2^63-1"
        elif unsigned:
            why = f"PostgreSQL has no unsigned types; {pg} holds every value of the unsigned type"
        elif kind in (_T.TINYINT, _T.MEDIUMINT):
            why = f"PostgreSQL's nearest integer type is {pg}"
        elif args:
            why = "the display width has no effect on what the column stores"
        return TypeMapping(pg, source, why)
    if kind == _T.BIT:
        return same_or(f"bit({args[0]})", "bit string")
    if kind in (_T.DECIMAL, _T.UDECIMAL, _T.BIGDECIMAL):
        precision, scale = (args + [10, 0])[:2] if args else (10, 0)
        if len(args) == 1:
            scale = 0
        why = "exact numeric" + ("; PostgreSQL has no unsigned types" if unsigned else "")
        return TypeMapping(_pg(f"numeric({precision},{scale})"), source, why)
    if kind == _T.FLOAT:
        if len(args) == 1 and args[0] > 24:
            return TypeMapping("double precision", source, "FLOAT(p) with p > 24 is an 8-byte float")
        return TypeMapping("real", source, "4-byte float" + ("; precision and scale of FLOAT(M,D) are not kept" if len(args) == 2 else ""))
    if kind in (_T.DOUBLE, _T.UDOUBLE):
        return TypeMapping("double precision", source, "8-byte float" + ("; precision and scale of DOUBLE(M,D) are not kept" if args else ""))
    if kind in (_T.CHAR, _T.NCHAR):
        return same_or(f"char({args[0] if args else 1})", "fixed-length character string")
    if kind in (_T.VARCHAR, _T.NVARCHAR):
        return same_or(f"varchar({args[0]})" if args else "text", "variable-length character string")
    if kind in (_T.TEXT, _T.TINYTEXT, _T.MEDIUMTEXT, _T.LONGTEXT):
        return same_or("text", "PostgreSQL has one unbounded text type")
    if kind in (_T.BINARY, _T.VARBINARY, _T.BLOB, _T.TINYBLOB, _T.MEDIUMBLOB, _T.LONGBLOB):
        return TypeMapping("bytea", source, "binary strings are bytea")
    if kind == _T.DATE:
        return same_or("date")
    if kind in (_T.DATETIME, _T.DATETIME64):
        return TypeMapping(_pg(f"timestamp({args[0]})" if args else "timestamp"), source,
                           "DATETIME is a date and time without a time zone")
    if kind in (_T.TIMESTAMPTZ, _T.TIMESTAMP, _T.TIMESTAMPLTZ):
        return TypeMapping(_pg(f"timestamptz({args[0]})" if args else "timestamptz"), source,
                           "MySQL's TIMESTAMP stores an instant (UTC, converted per session): timestamptz")
    if kind == _T.TIME:
        return same_or(f"time({args[0]})" if args else "time")
    if kind == _T.YEAR:
        return TypeMapping("smallint", source, "PostgreSQL has no YEAR type")
    if kind == _T.JSON:
        return TypeMapping("jsonb", source, "jsonb is parsed once, indexable and compared structurally")
    if kind == _T.ENUM:
        values = tuple(v.this for v in dtype.expressions if isinstance(v, exp.Literal))
        return TypeMapping("text", source, "ENUM becomes text with a CHECK listing its values", values=values)
    if kind == _T.SET:
        return TypeMapping("text", source, "SET (comma-separated values) becomes text; consider an array or a child table")
    if kind == _T.UUID:
        return same_or("uuid")
    if kind.name.lower() in _SPATIAL:
        return TypeMapping("bytea", source, "spatial values are kept as WKB bytes (PostGIS would give them a geometry type)")
    return unknown_mysql_type(source)


def unknown_mysql_type(text: str) -> TypeMapping:
    source = text.lower()
    base = source.split("(")[0].strip()
    if base in _SPATIAL:
        return TypeMapping("bytea", source, "spatial values are kept as WKB bytes (PostGIS would give them a geometry type)")
    if base in ("inet4", "inet6"):
        return TypeMapping("inet", source, "IP address")
    if base == "uuid":
        return TypeMapping("uuid", source, None)
    return TypeMapping("text", source, f"type {text!r} has no PostgreSQL equivalent here; kept as text")


_SQLITE_EXACT = {
    "integer": "integer", "int": "integer", "mediumint": "integer", "int4": "integer",
    "tinyint": "smallint", "smallint": "smallint", "int2": "smallint",
    "bigint": "bigint", "int8": "bigint", "unsigned big int": "bigint",
    "boolean": "boolean", "bool": "boolean",
    "text": "text", "clob": "text", "blob": "bytea",
    "real": "double precision", "double": "double precision", "double precision": "double precision",
    "float": "double precision",
    "numeric": "numeric", "decimal": "numeric",
    "date": "date", "datetime": "timestamp", "timestamp": "timestamp", "time": "time",
    "json": "jsonb", "uuid": "uuid",
}
_SQLITE_VARCHAR = ("varchar", "character varying", "varying character", "nvarchar", "native character",
                   "nchar varying", "text")
_SQLITE_CHAR = ("char", "character", "nchar")


def sqlite_type(declared: str) -> TypeMapping:
    """A SQLite declared type (any text: SQLite keeps it and derives an affinity) as PostgreSQL."""
    source = " ".join(declared.lower().split())
    shape = re.match(r"^(.*?)\s*(?:\(\s*([^)]*)\))?$", source)
    assert shape is not None
    base, arg_text = shape.group(1), shape.group(2) or ""
    args = [int(a) for a in re.findall(r"\d+", arg_text)]
    if not source:
        return TypeMapping("text", source, "no declared type: SQLite accepts any value; text is the closest")
    if base in _SQLITE_VARCHAR and args:
        return TypeMapping(_pg(f"varchar({args[0]})"), source, "SQLite does not enforce the length; PostgreSQL will")
    if base in _SQLITE_CHAR and args:
        return TypeMapping(_pg(f"char({args[0]})"), source, "SQLite does not enforce the length; PostgreSQL will")
    if base in ("numeric", "decimal") and args:
        precision, scale = (args + [0])[:2]
        return TypeMapping(_pg(f"numeric({precision},{scale})"), source, "exact numeric")
    if base in _SQLITE_EXACT:
        pg = _SQLITE_EXACT[base]
        reasons = {
            "boolean": "SQLite stores booleans as 0/1 integers",
            "timestamp": "SQLite stores date and time as text or numbers; a timestamp without time zone",
            "double precision": "SQLite's REAL is an 8-byte float",
            "jsonb": "jsonb is parsed once, indexable and compared structurally",
        }
        return TypeMapping(pg, source, None if pg == source else reasons.get(pg, f"SQLite's {base} is {pg}"),
                           boolean_from_int=pg == "boolean")
    if base in _SQLITE_VARCHAR or base in _SQLITE_CHAR:
        return TypeMapping("text", source, "character string without a length")
    # SQLite's own affinity rules (https://sqlite.org/datatype3.html, section 3.1)
    upper = base.upper()
    if "INT" in upper:
        return TypeMapping("bigint" if "BIG" in upper else "integer", source, "SQLite INTEGER affinity")
    if any(w in upper for w in ("CHAR", "CLOB", "TEXT")):
        return TypeMapping("text", source, "SQLite TEXT affinity")
    if "BLOB" in upper:
        return TypeMapping("bytea", source, "SQLite BLOB affinity")
    if any(w in upper for w in ("REAL", "FLOA", "DOUB")):
        return TypeMapping("double precision", source, "SQLite REAL affinity")
    if "BOOL" in upper:
        return TypeMapping("boolean", source, "SQLite stores booleans as 0/1 integers", boolean_from_int=True)
    if "DATE" in upper or "TIME" in upper:
        return TypeMapping("timestamp", source, "SQLite stores date and time as text or numbers")
    return TypeMapping("numeric", source, "SQLite NUMERIC affinity")
