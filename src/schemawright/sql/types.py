"""PostgreSQL's type vocabulary: one canonical name for every spelling PostgreSQL accepts.

`character varying`, `varchar` and the catalog's `varchar` are one type; `int`, `int4` and
`integer` another.  Importers, spec checks, lint and data generation all read type names
through here, so they agree on what a type is, which family its values belong to (values of
one family compare with each other), and what range an integer type holds.

The canonical name is the short spelling people write and the importers print
(`varchar(20)`, `timestamptz`, `double precision`).  Names this table does not know (enums,
domains, extension types) pass through: lower-cased unless quoted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class PgType:
    name: str  # canonical spelling
    family: str | None  # values of one family compare; None: not reasoned about (left to PostgreSQL)
    catalog: str  # pg_type.typname, the name PostgreSQL's parser and catalogs use
    aliases: tuple[str, ...] = ()  # other spellings a person may write
    bits: int | None = None  # integers: the stored width


# Families: integer, numeric, float, money, text, boolean, datetime (date and timestamps),
# time, interval, uuid, json, jsonb, inet, bytea, bit (bit and bit varying), tsvector, tsquery.
# json and jsonb are two families that compare with each other (spec checks name them apart
# in their messages); money compares only with money (PostgreSQL has no money >= integer).
TYPES: tuple[PgType, ...] = (
    PgType("smallint", "integer", "int2", ("int2",), bits=16),
    PgType("integer", "integer", "int4", ("int", "int4"), bits=32),
    PgType("bigint", "integer", "int8", ("int8",), bits=64),
    # serial types are integers plus a sequence; their catalog names are the parser's own
    PgType("smallserial", "integer", "serial2", ("serial2",), bits=16),
    PgType("serial", "integer", "serial4", ("serial4",), bits=32),
    PgType("bigserial", "integer", "serial8", ("serial8",), bits=64),
    PgType("numeric", "numeric", "numeric", ("decimal",)),
    PgType("real", "float", "float4", ("float4",)),
    PgType("double precision", "float", "float8", ("float8", "float")),
    PgType("money", "money", "money"),
    PgType("boolean", "boolean", "bool", ("bool",)),
    PgType("text", "text", "text"),
    PgType("varchar", "text", "varchar", ("character varying",)),
    PgType("char", "text", "bpchar", ("character", "bpchar")),
    PgType("citext", "text", "citext"),
    PgType("name", "text", "name"),
    PgType('"char"', None, "char"),  # the one-byte internal type; unquoted `char` is character(1)
    PgType("date", "datetime", "date"),
    PgType("timestamp", "datetime", "timestamp", ("timestamp without time zone",)),
    PgType("timestamptz", "datetime", "timestamptz", ("timestamp with time zone",)),
    PgType("time", "time", "time", ("time without time zone",)),
    PgType("timetz", "time", "timetz", ("time with time zone",)),
    PgType("interval", "interval", "interval"),
    PgType("uuid", "uuid", "uuid"),
    PgType("json", "json", "json"),
    PgType("jsonb", "jsonb", "jsonb"),
    PgType("inet", "inet", "inet"),
    PgType("cidr", "inet", "cidr"),
    PgType("bytea", "bytea", "bytea"),
    PgType("bit", "bit", "bit"),
    PgType("bit varying", "bit", "varbit", ("varbit",)),
    PgType("tsvector", "tsvector", "tsvector"),
    PgType("tsquery", "tsquery", "tsquery"),
)

BY_NAME = {t.name: t for t in TYPES}


def _aliases() -> dict[str, str]:
    out: dict[str, str] = {}
    for t in TYPES:
        for spelling in (t.name, *t.aliases):
            if out.setdefault(spelling, t.name) != t.name:
                raise ValueError(f"type spelling {spelling!r} names both {out[spelling]} and {t.name}")
    return out


ALIASES = _aliases()  # every spelling written in SQL text -> canonical name
CATALOG_NAMES = {t.catalog: t.name for t in TYPES}  # pg_type.typname (the parser's names) -> canonical name
SERIALS = frozenset(t.name for t in TYPES if t.catalog.startswith("serial"))
INTEGERS = frozenset(t.name for t in TYPES if t.bits and t.name not in SERIALS)  # what identity columns take
STRINGS = frozenset(("varchar", "char"))  # character strings with a length: varchar(n), char(n)

# Built-in types this table does not reason about: known to be PostgreSQL's own, nothing more.
OTHER_BUILT_INS = frozenset((
    "xml", "macaddr", "macaddr8", "point", "line", "lseg", "box", "path", "polygon", "circle",
    "int4range", "int8range", "numrange", "tsrange", "tstzrange", "daterange", "int4multirange", "int8multirange",
    "nummultirange", "tsmultirange", "tstzmultirange", "datemultirange", "oid", "pg_lsn", "txid_snapshot",
    "pg_snapshot", "jsonpath", "regclass", "regtype"))
BUILT_INS = frozenset(ALIASES) | OTHER_BUILT_INS  # every built-in type name, in every spelling


@dataclass(frozen=True)
class SqlType:
    """A type as written, read: `character varying(20)[]` -> base varchar, args ("20",), array."""

    base: str
    args: tuple[str, ...] = ()
    array: bool = False

    @property
    def text(self) -> str:
        return self.base + (f"({','.join(self.args)})" if self.args else "") + ("[]" if self.array else "")

    @property
    def family(self) -> str | None:
        found = family_of(self.base)
        return found + "[]" if found and self.array else found


_ARRAY = re.compile(r"(?:\s*\[\s*\d*\s*\])+\s*$|\s+array\s*$", re.I)
_ARGS = re.compile(r"\s*\(([^)]*)\)")
_QUOTED = re.compile(r'"((?:[^"]|"")*)"')


@lru_cache(maxsize=4096)  # schemas repeat a few types, and lint reads each column's type often
def parse(sql_type: str) -> SqlType:
    """Read a type as PostgreSQL would: modifiers may sit inside the name
    (`timestamp(3) with time zone`), `pg_catalog.` is dropped, and `[]` or `ARRAY` marks an array."""
    text = sql_type.strip()
    array = False
    if found := _ARRAY.search(text):
        text, array = text[: found.start()].strip(), True
    args: tuple[str, ...] = ()
    if found := _ARGS.search(text):
        args = tuple(a.strip() for a in found.group(1).split(",") if a.strip())
        text = (text[: found.start()] + " " + text[found.end():]).strip()
    return SqlType(_base(text), args, array)


def _base(name: str) -> str:
    if name.lower().startswith("pg_catalog."):
        name = name[len("pg_catalog."):]
        quoted = _QUOTED.fullmatch(name)
        if quoted:  # pg_catalog."int4": the catalog's own name
            return CATALOG_NAMES.get(quoted.group(1), name)
    if name.startswith('"'):
        quoted = _QUOTED.fullmatch(name)
        inner = quoted.group(1) if quoted else None
        if inner == "char":
            return '"char"'
        return CATALOG_NAMES.get(inner, name) if inner and " " not in inner else name
    spelled = re.sub(r"\s+", " ", name.lower())
    return ALIASES.get(spelled, spelled)


def canonical(sql_type: str) -> str:
    """The canonical spelling of a whole type: `character varying( 20 )` -> `varchar(20)`."""
    return parse(sql_type).text


def family_of(name: str) -> str | None:
    """The family of a canonical base name (see parse), None when it is not one we reason about."""
    found = BY_NAME.get(name)
    return found.family if found else None


def family(sql_type: str) -> str | None:
    """`numeric(10,2)` -> numeric, `text[]` -> text[]; None for a type whose values are not
    reasoned about (enums, domains, extension types ...)."""
    return parse(sql_type).family


def is_text(name: str) -> bool:
    """A canonical base name whose values are character strings."""
    return family_of(name) == "text"


def integer_high(name: str) -> int | None:
    """The largest value of an integer type (serials included), None for any other type."""
    found = BY_NAME.get(name)
    return 2 ** (found.bits - 1) - 1 if found and found.bits else None
