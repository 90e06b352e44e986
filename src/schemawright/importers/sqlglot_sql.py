"""MySQL/MariaDB and SQLite DDL -> the model, read with sqlglot.

Real files, as dump tools and people write them: mysqldump/mariadb-dump output (version
comments `/*!40101 ... */`, `LOCK TABLES`, `INSERT` data, `DELIMITER ;;` blocks for
routines and triggers, stand-in tables for views), phpMyAdmin exports (keys added by
`ALTER TABLE` at the end), and SQLite schemas (`.schema`/`.dump` output, `WITHOUT ROWID`,
inline `REFERENCES`, triggers with `BEGIN ... END`).

The file is split into statements here (sqlglot cannot split `DELIMITER` scripts); each
statement is parsed with sqlglot, and a `CREATE TABLE` that sqlglot rejects as a whole is
read item by item, so one odd column costs that column, not the table.  Whatever cannot
be understood becomes an `ImportNote` with its line and column; nothing is fatal and
nothing is dropped silently (data and session statements are counted in
`source["ignored_statements"]`).

Types, defaults and expressions are translated to PostgreSQL, which the model targets:
`int(11)` -> integer, `tinyint(1)` -> boolean, `datetime` -> timestamp, MySQL `timestamp`
-> timestamptz, `json` -> jsonb, `enum(...)` -> text with a CHECK, AUTO_INCREMENT and SQLite
rowid keys -> identity.  Every translation that changes a type, drops a default or renames
an object is recorded as a Decision (step `import`), and the source type of every column
whose type changed is kept in `source["column_types"]`.

`SchemaBuilder` is shared with the live importer (sqlalchemy_live.py), so a schema read
from a file and the same schema read from a server come out alike: the builder also gives
unnamed constraints and indexes the names MySQL/MariaDB would (`users_ibfk_1`, `email_2`,
`CONSTRAINT_1`) and adds the index InnoDB creates for a foreign key that has none.
"""

from __future__ import annotations

import bisect
import logging
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from schemawright.gcpause import without_gc
from schemawright import model as m
from schemawright.importers.pg_names import choose_name, column_part, object_name
from schemawright.importers.pg_text import canonical_type, deparse, parse_type
from schemawright.importers.semantics import infer
from schemawright.sql.quoting import quote_ident, quote_literal

DIALECTS = {"mysql": "mysql", "mariadb": "mysql", "sqlite": "sqlite", "sqlite3": "sqlite"}
_NAMES = {"mysql": "MySQL", "sqlite": "SQLite"}
_SNIPPET = 200  # characters of a statement kept in an ImportNote


@without_gc
def import_sql(text: str, file: str = "<sql>", dialect: str = "mysql") -> m.Design:
    """Read a MySQL/MariaDB (`dialect="mysql"`) or SQLite (`"sqlite"`) DDL script."""
    reader = _reader(dialect)
    text = text.lstrip("\ufeff")
    builder = SchemaBuilder(reader)
    script = _Script(text, reader, builder)
    problems: list[tuple[int, str]] = []
    with quiet_sqlglot():
        for statement in split_statements(text, reader, problems):
            script.statement(statement)
    for offset, reason in problems:
        line, column = script.locator.at(offset)
        builder.note(line, column, text[offset:offset + 80], reason)
    source = {"kind": "sql", "path": file, "dialect": reader}
    if script.ignored:
        source["ignored_statements"] = dict(sorted(script.ignored.items()))
    return builder.design(Path(file).stem if file and not file.startswith("<") else "imported", source)


def apply_ddl(builder: SchemaBuilder, text: str) -> Counter:
    """Read DDL into an existing builder (the live importer uses it for what SQLite's
    catalog keeps only as DDL text: indexes, views, triggers). Returns the ignored counts."""
    script = _Script(text, builder.dialect, builder)
    with quiet_sqlglot():
        for statement in split_statements(text, builder.dialect):
            script.statement(statement)
    return script.ignored


def _reader(dialect: str) -> str:
    try:
        return DIALECTS[dialect.lower()]
    except KeyError:
        raise ValueError(f"unknown dialect {dialect!r}: use mysql or sqlite") from None


@contextmanager
def quiet_sqlglot() -> Iterator[None]:
    """sqlglot logs a warning for every statement it falls back on; we report those ourselves."""
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


# ====================================================================== statements


@dataclass(frozen=True)
class Statement:
    """One statement, without its delimiter. Comments and the markers of MySQL version
    comments (`/*!40101` and the closing `*/`) are blanked to spaces, so offsets in `text`
    are offsets in the file."""

    text: str
    start: int


_DELIMITER = re.compile(r"DELIMITER[ \t]+(\S+)[^\n]*", re.IGNORECASE)
_VERSION_COMMENT = re.compile(r"/\*M?!\d*")
_ROUTINE_HEAD = re.compile(r"CREATE\b[^;(]{0,300}?\b(?:TRIGGER|PROCEDURE|FUNCTION|EVENT)\b", re.IGNORECASE)
_NEXT_WORD = re.compile(r"\s*([A-Za-z_]+)")
_MYSQL_CLIENT = re.compile(r"(?:\\\S|(?:source|system|tee|notee|charset|warnings|nowarning|prompt|rehash|exit|quit|ego|"
                           r"print|status|help|connect)\b)[^\n]*", re.IGNORECASE)
_SQLITE_CLIENT = re.compile(r"\.[A-Za-z]+\b[^\n]*")
_WS = re.compile(r"\s*")


def split_statements(text: str, dialect: str, problems: list[tuple[int, str]] | None = None) -> list[Statement]:
    """Split a script into statements the way the mysql client or sqlite3 shell would:
    quotes, comments, `DELIMITER` (MySQL) and `BEGIN ... END` bodies of triggers and
    routines (when the delimiter is still `;`) are respected.  A comment that is never
    closed is added to `problems` as (offset, reason)."""
    mysql = dialect == "mysql"
    out: list[Statement] = []
    blanks: list[tuple[int, int]] = []
    n = len(text)
    i = 0
    start: int | None = None
    delimiter = ";"
    version = 0  # open /*! ... */ comments
    routine = False
    depth = 0
    patterns: dict[tuple[str, bool], re.Pattern[str]] = {}

    def finish(end: int) -> None:
        nonlocal start
        assert start is not None
        body = text[start:end]
        inside = [(a, min(b, end)) for a, b in blanks if a >= start and a < end]
        blanks.clear()
        if inside:
            chars = list(body)
            for a, b in inside:
                chars[a - start:b - start] = " " * (b - a)
            body = "".join(chars)
        body = body.rstrip()
        if body:
            out.append(Statement(body, start))
        start = None

    def comment_end(at: int) -> int | None:
        """If a comment starts at `at`, where it ends (version comments open, not skip)."""
        nonlocal version
        end: int | None = None
        dashes = text.startswith("--", at) and (not mysql or at + 2 >= n or text[at + 2] in " \t\r\n")
        if dashes or (mysql and text.startswith("#", at)):
            j = text.find("\n", at)
            end = n if j < 0 else j
        elif text.startswith("/*", at):
            mark = _VERSION_COMMENT.match(text, at) if mysql else None
            if mark and not text.startswith("\\", mark.end()):  # /*M!999999\- sandbox */ is a client command
                blanks.append((at, mark.end()))
                version += 1
                return mark.end()
            j = text.find("*/", at + 2)
            end = n if j < 0 else j + 2
            if j < 0 and problems is not None and text[at + 2:].strip():
                problems.append((at, "this comment is never closed (no */): the rest of the file was not read"))
        if end is not None and start is not None:
            blanks.append((at, end))  # comments inside a statement read as spaces (/*_*/name)
        return end

    while i < n:
        if start is None:
            i = _WS.match(text, i).end()
            if i >= n:
                break
            if mysql:  # a client command, recognised as the first word of a statement
                found = _DELIMITER.match(text, i)
                if found:
                    delimiter = found.group(1)
                    i = found.end()
                    continue
            found = (_MYSQL_CLIENT if mysql else _SQLITE_CLIENT).match(text, i)
            if found:  # client commands end at the end of their line
                line = found.group().rstrip()
                if line.endswith(delimiter):
                    line = line[: -len(delimiter)].rstrip()
                out.append(Statement(line, i))
                i = found.end()
                continue
            skip = comment_end(i)
            if skip is not None:
                i = skip
                continue
            if version and text.startswith("*/", i):
                blanks.append((i, i + 2))
                version -= 1
                i += 2
                continue
            if text.startswith(delimiter, i):
                i += len(delimiter)
                continue
            start = i
            head = _VERSION_COMMENT.sub(" ", text[i:i + 400]).replace("*/", "  ")
            routine = bool(_ROUTINE_HEAD.match(head))
            depth = 0
            continue
        key = (delimiter, routine and delimiter == ";")
        pattern = patterns.get(key)
        if pattern is None:
            parts = [r"['\"`]", r"--", r"/\*", r"\*/", re.escape(delimiter)]
            if mysql:
                parts.append("#")
            else:
                parts.append(r"\[")
            if key[1]:
                parts.append(r"\b(?:BEGIN|CASE|END)\b")
            pattern = patterns[key] = re.compile("|".join(parts), re.IGNORECASE)
        found = pattern.search(text, i)
        if not found:
            i = n
            break
        i, token = found.start(), found.group()
        if token in ("'", '"', "`", "["):
            i = _skip_quoted(text, i, mysql)
        elif token in ("--", "/*", "#"):
            skip = comment_end(i)
            i = skip if skip is not None else i + len(token)
        elif token == "*/":
            if version:
                blanks.append((i, i + 2))
                version -= 1
            i += 2
        elif token == delimiter or (delimiter != ";" and text.startswith(delimiter, i)):
            if key[1] and depth > 0:
                i += len(delimiter)
                continue
            finish(i)
            i += len(delimiter)
        else:
            word = token.upper()
            if word in ("BEGIN", "CASE"):
                depth += 1
            else:
                following = _NEXT_WORD.match(text, found.end())
                if not (following and following.group(1).upper() in ("IF", "LOOP", "WHILE", "REPEAT")):
                    depth = max(0, depth - 1)
            i = found.end()
    if start is not None:
        finish(n)
    return out


def _skip_quoted(text: str, i: int, backslash: bool) -> int:
    """Index just past the quoted string or identifier starting at `i`."""
    quote = text[i]
    close = "]" if quote == "[" else quote
    escapes = backslash and quote in "'\""
    j = i + 1
    n = len(text)
    while True:
        k = text.find(close, j)
        if k < 0:
            return n
        if escapes:
            b = k - 1
            while b >= j and text[b] == "\\":
                b -= 1
            if (k - 1 - b) % 2 == 1:
                j = k + 1
                continue
        if close != "]" and k + 1 < n and text[k + 1] == close:
            j = k + 2
            continue
        return k + 1


class _Locator:
    def __init__(self, text: str) -> None:
        self.starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]

    def at(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1


# ====================================================================== names in headers

_IDENT = r'(?:`(?:[^`]|``)*`|"(?:[^"]|"")*"|\[[^\]]*\]|[\w$]+)'
_QUALIFIED = rf"{_IDENT}(?:\s*\.\s*{_IDENT})*"
_IDENT_RE = re.compile(_IDENT)


def unquote(token: str) -> str:
    if len(token) >= 2 and token[0] in "`\"[":
        close = "]" if token[0] == "[" else token[0]
        inner = token[1:-1]
        return inner if close == "]" else inner.replace(close * 2, close)
    return token


def last_name(qualified: str) -> str:
    """`db`.`table` -> table (the model holds one schema)."""
    return unquote(_IDENT_RE.findall(qualified)[-1])


def _names_list(text: str) -> list[str]:
    """`a`, db.b, "c" -> [a, b, c]."""
    return [last_name(part) for part in re.findall(_QUALIFIED, text)]


# ====================================================================== types


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
        return _unknown_mysql_type(text)
    if dtype.this == _T.USERDEFINED:
        return _unknown_mysql_type(text)
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
    return _unknown_mysql_type(source)


def _unknown_mysql_type(text: str) -> TypeMapping:
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


# ====================================================================== expressions

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


# ====================================================================== building the model


@dataclass
class _Column:
    name: str
    mapping: TypeMapping
    nullable: bool = True
    default: str | None = None
    identity: bool = False
    generated: str | None = None
    description: str | None = None


@dataclass
class _Index:
    name: str
    columns: list[m.IndexColumn]
    unique: bool = False
    method: str = "btree"
    where: str | None = None
    reason: str = ""


@dataclass
class TableBuilder:
    """A table under construction; `SchemaBuilder.design` freezes it into `model.Table`."""

    schema: SchemaBuilder
    name: str
    description: str | None = None
    columns: dict[str, _Column] = field(default_factory=dict)
    primary_key: list[str] | None = None
    primary_key_name: str | None = None
    foreign_keys: list[m.ForeignKey] = field(default_factory=list)
    uniques: list[m.Unique] = field(default_factory=list)
    checks: list[m.Check] = field(default_factory=list)
    indexes: list[_Index] = field(default_factory=list)
    without_rowid: bool = False
    fk_where: dict[str, str] = field(default_factory=dict)
    _counters: Counter = field(default_factory=Counter)

    # ------------------------------------------------------------ names

    @property
    def mysql(self) -> bool:
        return self.schema.dialect == "mysql"

    def column_name(self, name: str) -> str | None:
        """The declared name of a column (MySQL column names are case-insensitive)."""
        if name in self.columns:
            return name
        lowered = name.lower()
        return next((c for c in self.columns if c.lower() == lowered), None)

    def _key_names(self) -> set[str]:
        names = {u.name for u in self.uniques} | {i.name for i in self.indexes}
        if self.primary_key is not None:
            names.add("PRIMARY")
        return names

    def _constraint_names(self) -> set[str]:
        names = {c.name for c in self.checks} | {f.name for f in self.foreign_keys} | {u.name for u in self.uniques}
        if self.primary_key_name:
            names.add(self.primary_key_name)
        return names

    def _mysql_key_name(self, first_column: str) -> str:
        taken = {n.lower() for n in self._key_names()}
        name, number = first_column, 1
        while name.lower() in taken:
            number += 1
            name = f"{first_column}_{number}"
        return name

    # ------------------------------------------------------------ pieces

    def add_column(self, name: str, mapping: TypeMapping, *, nullable: bool = True, default: exp.Expression | None = None,
                   identity: bool = False, generated: exp.Expression | None = None, stored: bool = True,
                   on_update: exp.Expression | None = None, comment: str | None = None, where: str = "") -> None:
        subject = f"{self.name}.{name}"
        if mapping.reason:
            self.schema.decide(f"type {mapping.source} -> {mapping.sql_type}", subject, mapping.sql_type,
                               f"{_NAMES[self.schema.dialect]} {mapping.source}: {mapping.reason}")
            self.schema.column_types[subject] = mapping.source
        column = _Column(name, mapping, nullable=nullable, identity=identity, description=comment or None)
        if generated is not None:
            try:
                column.generated = pg_expression(generated, self.schema.dialect, self.booleans())
                if not stored:
                    self.schema.decide("virtual generated columns", subject, "STORED",
                                       "PostgreSQL 15 computes generated columns only as STORED")
            except ValueError as error:
                self.schema.warn(where, f"generated column {subject}: {error}; kept as a plain column")
        elif not identity:
            column.default, why = pg_default(default, mapping, self.schema.dialect)
            if why:
                self.schema.decide("defaults dropped", subject, "no default", why)
        if on_update is not None:
            self.schema.decide("ON UPDATE", subject, "not kept",
                               "PostgreSQL has no ON UPDATE for columns: set it in the application or a BEFORE UPDATE trigger")
        self.columns[name] = column
        if mapping.values:
            values = ", ".join(quote_literal(v) for v in mapping.values)
            self.checks.append(m.Check(name=object_name(self.name, name, "values"),
                                       expression=f"{quote_ident(name)} IN ({values})",
                                       reason=f"the values of {mapping.source}"))

    def booleans(self) -> frozenset[str]:
        return frozenset(c.name for c in self.columns.values() if c.mapping.boolean_from_int)

    def _columns(self, names: list[str], what: str, where: str) -> list[str] | None:
        resolved = []
        for name in names:
            found = self.column_name(name)
            if found is None:
                self.schema.warn(where, f"{what} on {self.name} names column {name!r}, which the table does not have; skipped")
                return None
            resolved.append(found)
        return resolved

    def set_primary_key(self, columns: list[str], name: str | None = None, where: str = "") -> None:
        resolved = self._columns(columns, "primary key", where)
        if resolved is None:
            return
        self.primary_key = resolved
        if self.mysql or not name:
            name = object_name(self.name, None, "pkey")
        self.primary_key_name = name

    def add_unique(self, columns: list[str], name: str | None = None, where: str = "", prefixed: bool = False) -> None:
        resolved = self._columns(columns, "unique key", where)
        if resolved is None:
            return
        if not name:
            if self.mysql:
                name = self._mysql_key_name(resolved[0])
            else:
                name = choose_name(self.name, column_part(resolved), "key", set(self._constraint_names()),
                                   set(self.schema.relation_names()))
        if prefixed:
            self.schema.decide("prefix keys", f"{self.name}.{name}", "whole column",
                               "PostgreSQL indexes whole values, not prefixes: the unique key covers the whole column")
        self.uniques.append(m.Unique(name=name, columns=tuple(resolved)))

    def add_foreign_key(self, columns: list[str], ref_table: str, ref_columns: list[str], *, on_delete: str | None = None,
                        on_update: str | None = None, name: str | None = None, where: str = "") -> None:
        resolved = self._columns(columns, "foreign key", where)
        if resolved is None:
            return
        if not ref_columns:  # REFERENCES t: t's primary key
            target = self.schema.tables.get(ref_table)
            if target is None and ref_table == self.name:
                target = self
            if target is None or not target.primary_key:
                self.schema.warn(where, f"foreign key on {self.name} references {ref_table} without columns, and its "
                                        "primary key is not known; skipped")
                return
            ref_columns = list(target.primary_key)
        if not name:
            if self.mysql:
                self._counters["ibfk"] += 1
                name = f"{self.name}_ibfk_{self._counters['ibfk']}"
            else:
                name = choose_name(self.name, column_part(resolved), "fkey", set(self._constraint_names()))
        if on_delete is None:
            on_delete = "restrict" if self.mysql else "no action"
        if on_update and on_update.lower() not in ("restrict", "no action"):
            self.schema.decide("ON UPDATE actions", f"{self.name}.{name}", "not kept",
                               f"the model keeps ON DELETE only; ON UPDATE {on_update.upper()} is not carried over")
        self.foreign_keys.append(m.ForeignKey(name=name, columns=tuple(resolved), ref_table=ref_table,
                                              ref_columns=tuple(ref_columns), on_delete=on_delete.lower()))
        self.fk_where[name] = where

    def add_check(self, node: exp.Expression, name: str | None = None, column: str | None = None, where: str = "") -> None:
        # MariaDB stores a JSON column as longtext CHECK (json_valid(col)): that is jsonb.
        if isinstance(node, exp.Paren):
            node = node.this
        if isinstance(node, (exp.Anonymous, exp.Func)) and node.sql_name().lower() in ("json_valid", "isjson", "is_json") \
                or (isinstance(node, exp.Anonymous) and node.name.lower() == "json_valid"):
            args = list(node.iter_expressions())
            if len(args) == 1 and isinstance(args[0], exp.Column):
                target = self.column_name(args[0].name)
                col = self.columns.get(target or "")
                if col is not None and col.mapping.sql_type in ("text", "jsonb"):
                    if col.mapping.sql_type == "text":
                        col.mapping = TypeMapping("jsonb", col.mapping.source, "JSON column (text checked by json_valid): jsonb")
                        self.schema.decide("type json -> jsonb", f"{self.name}.{col.name}", "jsonb",
                                           "MariaDB's JSON is longtext with CHECK (json_valid(...)): jsonb")
                        self.schema.column_types[f"{self.name}.{col.name}"] = "json"
                    return
        try:
            expression = pg_expression(node, self.schema.dialect, self.booleans())
        except ValueError as error:
            self.schema.warn(where, f"check on {self.name}: {error}; skipped")
            return
        if not name:
            if self.mysql:  # MariaDB: a column check is named after its column, others CONSTRAINT_1 ...
                if column:
                    name = column
                else:
                    self._counters["check"] += 1
                    name = f"CONSTRAINT_{self._counters['check']}"
            else:
                refs = sorted({c.name for c in node.find_all(exp.Column)})
                name = choose_name(self.name, column or (refs[0] if len(refs) == 1 else None), "check",
                                   set(self._constraint_names()))
        self.checks.append(m.Check(name=name, expression=expression))

    def add_index(self, parts: list[tuple[exp.Expression | str, bool, bool]], *, name: str | None = None, unique: bool = False,
                  kind: str | None = None, where_clause: exp.Expression | None = None, where: str = "") -> None:
        """`parts`: (column name or expression, descending, had a prefix length)."""
        kind = (kind or "").upper()
        columns: list[m.IndexColumn] = []
        names: list[str] = []
        prefixed = False
        for part, descending, prefix in parts:
            prefixed = prefixed or prefix
            if isinstance(part, exp.Column) and not part.table:
                part = part.name
            if isinstance(part, exp.Identifier):
                part = part.name
            if isinstance(part, str):
                found = self._columns([part], "index", where)
                if found is None:
                    return
                names.append(found[0])
                columns.append(m.IndexColumn(expression=found[0], descending=descending))
            else:
                try:
                    text = pg_expression(part, self.schema.dialect, self.booleans())
                except ValueError as error:
                    self.schema.warn(where, f"index on {self.name}: {error}; skipped")
                    return
                columns.append(m.IndexColumn(expression=f"({text})", descending=descending))
        if not columns:
            return
        if kind == "SPATIAL":
            self.schema.decide("spatial indexes", f"{self.name}.{name or names[0]}", "not kept",
                               "a spatial index needs PostGIS in PostgreSQL")
            return
        if not name:
            if self.mysql:
                name = self._mysql_key_name(names[0] if names else "index")
            else:
                name = choose_name(self.name, column_part(names) if names else "expr", "idx", set(self.schema.relation_names()))
        if unique and self.mysql and all(not c.expression.startswith("(") for c in columns):
            self.add_unique(names, name, where, prefixed)  # MySQL: a unique index is the unique key
            return
        method = "btree"
        reason = ""
        if kind == "FULLTEXT":
            method = "gin"
            text = " || ' ' || ".join(f"coalesce({quote_ident(n)}, '')" for n in names)
            columns = [m.IndexColumn(expression=f"(to_tsvector('simple'::regconfig, {text}))")]
            self.schema.decide("FULLTEXT indexes", f"{self.name}.{name}", "GIN on to_tsvector",
                               "PostgreSQL's full-text search indexes a tsvector with GIN")
            reason = "full-text index"
        elif prefixed:
            self.schema.decide("prefix keys", f"{self.name}.{name}", "whole column",
                               "PostgreSQL indexes whole values, not prefixes")
        where_text = None
        if where_clause is not None:
            try:
                where_text = pg_expression(where_clause, self.schema.dialect, self.booleans())
            except ValueError as error:
                self.schema.warn(where, f"index {name}: {error}; skipped")
                return
        self.indexes.append(_Index(name=name, columns=columns, unique=unique, method=method, where=where_text, reason=reason))

    # ------------------------------------------------------------ freezing

    def implicit_foreign_key_indexes(self) -> None:
        """InnoDB creates an index for a foreign key whose columns lead no existing index."""
        for fk in self.foreign_keys:
            keys = [list(self.primary_key or [])] + [list(u.columns) for u in self.uniques] + \
                   [[c.expression for c in i.columns] for i in self.indexes]
            if any(k[:len(fk.columns)] == list(fk.columns) for k in keys):
                continue
            explicit = not re.fullmatch(re.escape(self.name) + r"_ibfk_\d+", fk.name)
            name = fk.name if explicit and fk.name.lower() not in {n.lower() for n in self._key_names()} \
                else self._mysql_key_name(fk.columns[0])
            self.indexes.append(_Index(name=name, columns=[m.IndexColumn(expression=c) for c in fk.columns],
                                       reason="created by InnoDB for a foreign key"))
            self.schema.decide("foreign key indexes", f"{self.name}.{name}", "index",
                               "InnoDB creates an index for every foreign key that has none")

    def freeze(self, fk_columns: set[str]) -> tuple[m.Table, list[m.Index]]:
        pk = list(self.primary_key or [])
        columns = []
        for c in self.columns.values():
            nullable = c.nullable and c.name not in pk
            if c.mapping.values:
                semantic = "enum"
            elif c.identity and pk == [c.name]:
                semantic = "id"
            elif c.name in fk_columns:
                semantic = "fk"
            else:
                semantic = infer(c.mapping.sql_type, column=c.name).type
            columns.append(m.Column(name=c.name, semantic=semantic, sql_type=c.mapping.sql_type, nullable=nullable,
                                    default=c.default, identity=c.identity, generated=c.generated,
                                    description=c.description))
        table = m.Table(
            name=self.name, description=self.description, columns=tuple(columns),
            primary_key=m.PrimaryKey(name=self.primary_key_name or object_name(self.name, None, "pkey"), columns=tuple(pk))
            if pk else None,
            foreign_keys=tuple(self.foreign_keys), uniques=tuple(self.uniques), checks=tuple(self.checks),
        )
        indexes = [m.Index(name=i.name, table=self.name, columns=tuple(i.columns), unique=i.unique, method=i.method,
                           where=i.where, reason=i.reason) for i in self.indexes]
        return table, indexes


class SchemaBuilder:
    """Tables, views and kept objects being read, plus notes and decisions; `design()`
    freezes them into one `Design` with names PostgreSQL accepts."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.tables: dict[str, TableBuilder] = {}
        self.views: dict[str, m.View] = {}
        self.objects: dict[tuple[str, str], m.SchemaObject] = {}
        self.notes: list[m.ImportNote] = []
        self.column_types: dict[str, str] = {}
        self._decisions: dict[tuple[str, str, str], list[str]] = {}
        self._where: dict[str, tuple[int, int, str]] = {}

    # ------------------------------------------------------------ reporting

    def locate(self, key: str, line: int, column: int, statement: str) -> str:
        """Register a place for warnings (the file position of a statement or item)."""
        self._where[key] = (line, column, statement)
        return key

    def warn(self, where: str, reason: str) -> None:
        line, column, statement = self._where.get(where, (1, 1, where))
        self.notes.append(m.ImportNote(line=line, column=column, statement=statement[:_SNIPPET], reason=reason))

    def note(self, line: int, column: int, statement: str, reason: str) -> None:
        self.notes.append(m.ImportNote(line=line, column=column, statement=statement[:_SNIPPET], reason=reason))

    def decide(self, topic: str, subject: str, choice: str, reason: str) -> None:
        self._decisions.setdefault((topic, choice, reason), []).append(subject)

    # ------------------------------------------------------------ objects

    def table(self, name: str) -> TableBuilder:
        builder = TableBuilder(self, name)
        self.tables[name] = builder
        return builder

    def relation_names(self) -> set[str]:
        names = set(self.tables) | set(self.views)
        for t in self.tables.values():
            names |= {u.name for u in t.uniques} | {i.name for i in t.indexes}
            if t.primary_key_name:
                names.add(t.primary_key_name)
        return names

    def add_view(self, name: str, query: exp.Expression, where: str, original: str, schema: str | None = None) -> None:
        booleans = frozenset(c for t in self.tables.values() for c in t.booleans())
        try:
            sql = pg_query(query, self.dialect, booleans, schema)
        except ValueError as error:
            self.warn(where, f"view {name}: {error}; kept unanalysed")
            self.objects[("view", name)] = m.SchemaObject(kind="view", name=name, sql=original)
            return
        self.objects.pop(("view", name), None)
        self.views[name] = m.View(name=name, sql=sql)

    def add_object(self, kind: str, name: str, sql: str, table: str | None = None) -> None:
        """Keep an object as written. Its text is MySQL or SQLite, not PostgreSQL, so it is
        kept as SQL comments: DDL rendered from the model shows it, to translate by hand,
        and never runs it."""
        lines = [line.rstrip() for line in sql.strip().splitlines()]
        header = f"-- {_NAMES[self.dialect]} {kind} {name}, kept as written (not translated to PostgreSQL):"
        text = "\n".join([header] + [f"--   {line}" if line else "--" for line in lines])
        self.objects[(kind, name)] = m.SchemaObject(kind=kind, name=name, sql=text, table=table)

    def drop(self, kind: str, name: str, table: str | None = None) -> None:
        if kind == "table":
            self.tables.pop(name, None)
        elif kind == "view":
            self.views.pop(name, None)
            self.objects.pop(("view", name), None)
        elif kind == "index":
            for t in self.tables.values():
                if table is None or t.name == table:
                    t.indexes = [i for i in t.indexes if i.name != name]
                    if self.dialect == "mysql":
                        t.uniques = [u for u in t.uniques if u.name != name]
        else:
            self.objects.pop((kind, name), None)

    # ------------------------------------------------------------ the model

    def design(self, project: str, source: dict) -> m.Design:
        if self.dialect == "mysql":
            for t in self.tables.values():
                t.implicit_foreign_key_indexes()
        self._typeless_keys()
        self._referenced_keys()
        fk_columns = {t.name: {c for fk in t.foreign_keys for c in fk.columns} for t in self.tables.values()}
        tables, indexes = [], []
        for t in self.tables.values():
            for fk in t.foreign_keys:
                if fk.ref_table not in self.tables:
                    self.warn(t.fk_where.get(fk.name, f"{t.name}.{fk.name}"),
                              f"foreign key {fk.name} on {t.name} references table {fk.ref_table}, which the schema "
                              "does not define; kept")
            table, table_indexes = t.freeze(fk_columns[t.name])
            tables.append(table)
            indexes.extend(table_indexes)
        tables, indexes = self._postgresql_names(tables, indexes)
        decisions = []
        for (topic, choice, reason), subjects in self._decisions.items():
            subject = subjects[0] if len(subjects) == 1 else topic
            text = reason if len(subjects) == 1 else f"{reason}. Applies to: {_listing(subjects)}"
            decisions.append(m.Decision(step="import", subject=subject, choice=choice, reason=text))
        if self.column_types:
            source = {**source, "column_types": dict(self.column_types)}
        design = m.Design(
            project=project, dialect="postgresql", tables=tuple(tables), indexes=tuple(indexes),
            views=tuple(self.views.values()),
            objects=tuple(sorted(self.objects.values(), key=lambda o: (o.kind, o.name))),
            source=source, import_notes=tuple(sorted(self.notes, key=lambda n: (n.line, n.column))),
            decisions=tuple(decisions),
        )
        return with_conceptual(design)

    def _referenced_keys(self) -> None:
        """InnoDB lets a foreign key reference any indexed columns; PostgreSQL requires a
        primary key or unique constraint there: add the unique constraint."""
        for t in self.tables.values():
            for fk in t.foreign_keys:
                target = self.tables.get(fk.ref_table)
                if target is None:
                    continue
                keys = [set(target.primary_key or [])] + [set(u.columns) for u in target.uniques]
                if set(fk.ref_columns) in keys or not all(c in target.columns for c in fk.ref_columns):
                    continue
                name = choose_name(target.name, column_part(list(fk.ref_columns)), "key",
                                   set(target._constraint_names()), self.relation_names())
                target.uniques.append(m.Unique(name=name, columns=tuple(fk.ref_columns), reason="referenced by a foreign key"))
                self.decide("referenced keys", f"{target.name}.{name}", "unique",
                            "a foreign key references these columns; PostgreSQL requires them to be a primary key or unique")

    def _typeless_keys(self) -> None:
        """A SQLite column declared without a type that references a key takes the key's type
        (PostgreSQL needs comparable types on both sides of a foreign key)."""
        for t in self.tables.values():
            for fk in t.foreign_keys:
                target = self.tables.get(fk.ref_table)
                if target is None:
                    continue
                for column, ref in zip(fk.columns, fk.ref_columns):
                    col, ref_col = t.columns.get(column), target.columns.get(ref)
                    if col is None or ref_col is None or col.mapping.source or \
                            col.mapping.sql_type == ref_col.mapping.sql_type:
                        continue
                    col.mapping = TypeMapping(ref_col.mapping.sql_type, "", "no declared type: takes the type of the "
                                                                            "key it references")
                    subject = f"{t.name}.{column}"
                    for key, subjects in list(self._decisions.items()):
                        if key[0].startswith("type ") and subject in subjects:
                            subjects.remove(subject)
                            if not subjects:
                                del self._decisions[key]
                    self.decide("typeless foreign keys", f"{t.name}.{column}", col.mapping.sql_type,
                                f"declared without a type; takes the type of {fk.ref_table}.{ref}")

    def _postgresql_names(self, tables: list[m.Table], indexes: list[m.Index]) -> tuple[list[m.Table], list[m.Index]]:
        """Index and key names are per table in MySQL and SQLite, per schema in PostgreSQL."""
        relations = {t.name for t in tables} | set(self.views)
        renamed: dict[str, m.Table] = {}
        by_table: dict[str, list[m.Index]] = {}
        for index in indexes:
            by_table.setdefault(index.table, []).append(index)
        out_indexes: dict[int, m.Index] = {}

        def free(table: str, name: str, taken: set[str], kind: str) -> str:
            if name not in taken:
                taken.add(name)
                return name
            candidate = object_name(table, name, None) if not name.startswith(f"{table}_") else name
            number = 1
            while candidate in taken:
                number += 1
                candidate = object_name(table, name, str(number))
            taken.add(candidate)
            self.decide("renamed for PostgreSQL", f"{table}.{name}", candidate,
                        f"{kind} names share one namespace per schema in PostgreSQL (they are per table in "
                        f"{_NAMES[self.dialect]})")
            return candidate

        # Whoever comes first keeps a clashing name: go by table name, so a file and the
        # database made from it (listed alphabetically) agree.
        for table in sorted(tables, key=lambda t: t.name):
            constraints: set[str] = set()
            update: dict[str, object] = {}
            if table.primary_key:
                name = free(table.name, table.primary_key.name, relations, "index")
                constraints.add(name)
                update["primary_key"] = table.primary_key.model_copy(update={"name": name})
            uniques = []
            for u in table.uniques:
                name = free(table.name, u.name, relations, "index")
                constraints.add(name)
                uniques.append(u.model_copy(update={"name": name}) if name != u.name else u)
            checks = []
            for c in table.checks:
                name = free(table.name, c.name, constraints, "constraint")
                checks.append(c.model_copy(update={"name": name}) if name != c.name else c)
            fks = []
            for f in table.foreign_keys:
                name = free(table.name, f.name, constraints, "constraint")
                fks.append(f.model_copy(update={"name": name}) if name != f.name else f)
            update.update(uniques=tuple(uniques), checks=tuple(checks), foreign_keys=tuple(fks))
            renamed[table.name] = table.model_copy(update=update)
            for index in by_table.get(table.name, []):
                name = free(table.name, index.name, relations, "index")
                out_indexes[id(index)] = index.model_copy(update={"name": name}) if name != index.name else index
        return [renamed[t.name] for t in tables], [out_indexes[id(i)] for i in indexes]


def with_conceptual(design: m.Design) -> m.Design:
    """Entities and relationships derived from the tables (importers/conceptual.py)."""
    try:
        from schemawright.importers.conceptual import with_conceptual as derive
    except ImportError:
        return design
    return derive(design)


def _listing(items: list[str], limit: int = 8) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


# ====================================================================== statements -> builder

_IGNORED = {
    "SET", "LOCK", "UNLOCK", "INSERT", "REPLACE", "UPDATE", "DELETE", "USE", "START", "BEGIN", "COMMIT", "ROLLBACK",
    "END", "PRAGMA", "ANALYZE", "VACUUM", "REINDEX", "SAVEPOINT", "RELEASE", "FLUSH", "SELECT", "GRANT", "REVOKE",
    "TRUNCATE", "OPTIMIZE", "CHECKSUM", "DETACH", "ATTACH", "CALL", "DO",
}
_CREATE_TABLE = re.compile(
    rf"CREATE\s+(?:OR\s+REPLACE\s+)?(?:(?:GLOBAL|LOCAL)\s+)?(?:TEMP(?:ORARY)?\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?"
    rf"(?P<name>{_QUALIFIED})\s*", re.IGNORECASE)
_CREATE_VIRTUAL = re.compile(rf"CREATE\s+VIRTUAL\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(?P<name>{_QUALIFIED})", re.IGNORECASE)
_CREATE_INDEX = re.compile(
    rf"CREATE\s+(?:OR\s+REPLACE\s+)?(?:(?P<kind>UNIQUE|FULLTEXT|SPATIAL)\s+)?INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?"
    rf"(?P<name>{_QUALIFIED})\s+(?:USING\s+\w+\s+)?ON\s+(?P<table>{_QUALIFIED})\s*", re.IGNORECASE)
_DEFINER = r"(?:DEFINER\s*=\s*(?:`[^`]*`|'[^']*'|\"[^\"]*\"|[\w.%$-]+)(?:\s*@\s*(?:`[^`]*`|'[^']*'|\"[^\"]*\"|[\w.%$-]+))?(?:\(\))?\s+)?"
_CREATE_VIEW = re.compile(
    rf"CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP(?:ORARY)?\s+)?(?:ALGORITHM\s*=\s*\w+\s+)?{_DEFINER}"
    rf"(?:SQL\s+SECURITY\s+\w+\s+)?VIEW\s+(?:IF\s+NOT\s+EXISTS\s+)?(?P<name>{_QUALIFIED})\s*(?:\((?P<columns>[^)]*)\)\s*)?AS\s+",
    re.IGNORECASE)
_CREATE_ROUTINE = re.compile(
    rf"CREATE\s+(?:OR\s+REPLACE\s+)?{_DEFINER}(?:TEMP(?:ORARY)?\s+)?(?P<kind>TRIGGER|PROCEDURE|FUNCTION|EVENT|AGGREGATE\s+FUNCTION)"
    rf"\s+(?:IF\s+NOT\s+EXISTS\s+)?(?P<name>{_QUALIFIED})", re.IGNORECASE)
_TRIGGER_TABLE = re.compile(rf"\bON\s+(?P<table>{_QUALIFIED})", re.IGNORECASE)
_CREATE_OTHER = re.compile(r"CREATE\s+(?:OR\s+REPLACE\s+)?(?P<kind>SEQUENCE|DATABASE|SCHEMA|USER|ROLE|SERVER|TABLESPACE|LOGFILE)\b"
                           rf"(?:\s+IF\s+NOT\s+EXISTS)?\s*(?P<name>{_QUALIFIED})?", re.IGNORECASE)
_DROP = re.compile(r"DROP\s+(?:TEMPORARY\s+)?(?P<kind>TABLE|VIEW|INDEX|TRIGGER|PROCEDURE|FUNCTION|EVENT|SEQUENCE|DATABASE|SCHEMA)"
                   r"\s+(?:IF\s+EXISTS\s+)?(?P<names>.*?)(?:\s+ON\s+(?P<table>\S+))?\s*(?:CASCADE|RESTRICT)?\s*$",
                   re.IGNORECASE | re.DOTALL)
_ALTER_TABLE = re.compile(rf"ALTER\s+(?:ONLINE\s+|IGNORE\s+)*TABLE\s+(?:IF\s+EXISTS\s+)?(?P<name>{_QUALIFIED})\s*", re.IGNORECASE)
_ALTER_IGNORED = re.compile(r"^(?:(?:DISABLE|ENABLE)\s+KEYS|AUTO_INCREMENT\s*=?\s*\d+|ENGINE\s*=?\s*\w+|"
                            r"(?:DEFAULT\s+)?(?:CHARSET|CHARACTER\s+SET)\s*=?\s*\w+(?:\s+COLLATE\s*=?\s*\w+)?|"
                            r"COLLATE\s*=?\s*\w+|ROW_FORMAT\s*=?\s*\w+)\s*$", re.IGNORECASE)
_FK_ACTION = re.compile(r"ON\s+(DELETE|UPDATE)\s+(SET\s+NULL|SET\s+DEFAULT|CASCADE|RESTRICT|NO\s+ACTION)", re.IGNORECASE)
_TABLE_COMMENT = re.compile(r"\bCOMMENT\s*=?\s*'((?:[^'\\]|\\.|'')*)'", re.IGNORECASE)
_TABLE_OPTION = re.compile(
    r"\b(?:DEFAULT\s+)?(?:ENGINE|TYPE|AUTO_INCREMENT|CHARSET|CHARACTER\s+SET|COLLATE|ROW_FORMAT|KEY_BLOCK_SIZE|"
    r"STATS_PERSISTENT|STATS_AUTO_RECALC|STATS_SAMPLE_PAGES|PACK_KEYS|CHECKSUM|DELAY_KEY_WRITE|MAX_ROWS|MIN_ROWS|"
    r"AVG_ROW_LENGTH|INSERT_METHOD|COMPRESSION|ENCRYPTION|ENCRYPTION_KEY_ID|PAGE_CHECKSUM|PAGE_COMPRESSED|"
    r"PAGE_COMPRESSION_LEVEL|TRANSACTIONAL|IETF_QUOTES|SEQUENCE|WITH\s+SYSTEM\s+VERSIONING|TABLESPACE|"
    r"(?:DATA|INDEX)\s+DIRECTORY)\b(?:\s*=?\s*(?:'(?:[^'\\]|\\.|'')*'|[\w$.-]+))?\s*,?", re.IGNORECASE)
_MYSQL_ESCAPES = {"0": "\0", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a"}


def _mysql_string(body: str) -> str:
    """The value of a MySQL string literal's body (backslash escapes, doubled quotes)."""
    body = body.replace("''", "'")
    return re.sub(r"\\(.)", lambda found: _MYSQL_ESCAPES.get(found.group(1), found.group(1)), body)


_INDEX_TYPE = re.compile(r"\bUSING\s+(?:BTREE|HASH|RTREE)\b", re.IGNORECASE)
_ON_CONFLICT = re.compile(r"\bON\s+CONFLICT\s+(?:ROLLBACK|ABORT|FAIL|IGNORE|REPLACE)\b", re.IGNORECASE)
_SQLITE_STOP = {"CONSTRAINT", "PRIMARY", "NOT", "NULL", "UNIQUE", "CHECK", "DEFAULT", "COLLATE", "REFERENCES",
                "GENERATED", "AS"}
_MYSQL_STOP = _SQLITE_STOP | {"AUTO_INCREMENT", "COMMENT", "ON", "CHARACTER", "CHARSET", "KEY", "INVISIBLE",
                              "VISIBLE", "COLUMN_FORMAT", "STORAGE", "SERIAL", "SRID", "BINARY", "ASCII", "UNICODE"}
_TABLE_ITEM = {"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN", "KEY", "INDEX", "FULLTEXT", "SPATIAL", "LIKE",
               "PERIOD", "EXCLUDE"}
_WORD = re.compile(r"\s*(`(?:[^`]|``)*`|\"(?:[^\"]|\"\")*\"|\[[^\]]*\]|'(?:[^'\\]|\\.|'')*'|[\w$]+|\(|\)|,|\S)")


def _actions(node: exp.Expression) -> tuple[str | None, str | None]:
    found = {k.upper(): " ".join(v.split()).lower() for k, v in _FK_ACTION.findall(node.sql("mysql"))}
    return found.get("DELETE"), found.get("UPDATE")


def _paren_end(text: str, open_at: int, mysql: bool) -> int:
    """Index of the parenthesis closing the one at `open_at` (or len(text))."""
    depth = 0
    i = open_at
    n = len(text)
    special = re.compile(r"[()'\"`\[]|--|/\*" + ("|#" if mysql else ""))
    while i < n:
        found = special.search(text, i)
        if not found:
            return n
        i, token = found.start(), found.group()
        if token == "(":
            depth += 1
            i += 1
        elif token == ")":
            depth -= 1
            if depth == 0:
                return i
            i += 1
        elif token in ("'", '"', "`") or (token == "[" and not mysql):
            i = _skip_quoted(text, i, mysql)
        elif token == "[":
            i += 1
        elif token in ("--", "#"):
            j = text.find("\n", i)
            i = n if j < 0 else j + 1
        else:
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
    return n


def _split_items(text: str, start: int, end: int, mysql: bool) -> list[tuple[int, int]]:
    """Comma-separated items of text[start:end] at parenthesis depth 0, as (start, end)."""
    items = []
    depth = 0
    i = item_start = start
    special = re.compile(r"[(),'\"`\[]|--|/\*" + ("|#" if mysql else ""))
    while i < end:
        found = special.search(text, i, end)
        if not found:
            break
        i, token = found.start(), found.group()
        if token == "(":
            depth += 1
            i += 1
        elif token == ")":
            depth -= 1
            i += 1
        elif token == ",":
            if depth == 0:
                items.append((item_start, i))
                item_start = i + 1
            i += 1
        elif token in ("'", '"', "`") or (token == "[" and not mysql):
            i = _skip_quoted(text, i, mysql)
        elif token == "[":
            i += 1
        elif token in ("--", "#"):
            j = text.find("\n", i)
            i = end if j < 0 else j + 1
        else:
            j = text.find("*/", i + 2)
            i = end if j < 0 else j + 2
    items.append((item_start, end))
    out = []
    for a, b in items:
        while a < b and text[a].isspace():
            a += 1
        if a < b:
            out.append((a, b))
    return out


def _column_type_span(item: str, mysql: bool) -> tuple[str, int, int] | None:
    """(column name, start, end of its declared type) in a column definition item."""
    words = list(_WORD.finditer(item))
    if not words:
        return None
    first = words[0].group(1)
    if first.upper() in _TABLE_ITEM and first[0] not in "`\"[":
        return None
    stop = _MYSQL_STOP if mysql else _SQLITE_STOP
    type_start = words[1].start(1) if len(words) > 1 else len(item)
    end = type_start
    depth = 0
    for w in words[1:]:
        token = w.group(1)
        if depth == 0 and token.upper() in stop and token[0] not in "`\"['":
            break
        if token == "," and depth == 0:
            break
        if token == "(":
            depth += 1
        elif token == ")":
            depth -= 1
        end = w.end(1)
    return unquote(first), type_start, end


class _Script:
    """Applies statements to a SchemaBuilder, reporting what it cannot read."""

    def __init__(self, text: str, dialect: str, builder: SchemaBuilder) -> None:
        self.text = text
        self.dialect = dialect
        self.mysql = dialect == "mysql"
        self.builder = builder
        self.locator = _Locator(text)
        self.ignored: Counter = Counter()

    # ------------------------------------------------------------ helpers

    def where(self, st: Statement, offset: int = 0, end: int | None = None) -> str:
        line, column = self.locator.at(st.start + offset)
        key = f"{line}:{column}"
        snippet = " ".join(st.text[offset:min(end or len(st.text), offset + _SNIPPET * 2)].split())
        return self.builder.locate(key, line, column, snippet)

    def note(self, st: Statement, reason: str, offset: int = 0, end: int | None = None) -> None:
        self.builder.warn(self.where(st, offset, end), reason)

    def parse(self, sql: str) -> exp.Expression | None:
        """One statement with sqlglot; None when sqlglot cannot read it (it falls back on Command)."""
        try:
            found = sqlglot.parse(sql, read=self.dialect)
        except SqlglotError:
            return None
        found = [f for f in found if f is not None]
        if len(found) != 1 or isinstance(found[0], exp.Command):
            return None
        return found[0]

    def parse_error(self, sql: str) -> str:
        try:
            sqlglot.parse(sql, read=self.dialect)
        except SqlglotError as error:
            errors = getattr(error, "errors", None) or []
            if errors:
                return str(errors[0].get("description") or error).splitlines()[0]
            return str(error).splitlines()[0]
        return "syntax sqlglot does not support"

    # ------------------------------------------------------------ dispatch

    def statement(self, st: Statement) -> None:
        words = re.findall(r"[A-Za-z_]+", st.text[:120])
        first = words[0].upper() if words else ""
        second = words[1].upper() if len(words) > 1 else ""
        client = (_MYSQL_CLIENT if self.mysql else _SQLITE_CLIENT).fullmatch(st.text)
        try:
            if client is not None:
                if re.match(r"(?:source\b|\\\.|\.read\b)", st.text, re.IGNORECASE):
                    self.note(st, "runs another file, which is not read here: import that file too")
                else:
                    self.ignored["client command"] += 1
            elif first == "CREATE":
                self.create(st)
            elif first == "ALTER" and "TABLE" in [w.upper() for w in words[1:4]]:
                self.alter_table(st)
            elif first == "DROP":
                self.drop(st)
            elif first in _IGNORED or (first == "ALTER" and second in ("DATABASE", "SCHEMA")):
                self.ignored[first] += 1
            elif first == "WITH":
                self.ignored["WITH"] += 1
            else:
                self.note(st, f"{first or 'this'} statement is not DDL schemawright reads; skipped")
        except Exception as error:  # noqa: BLE001 - one bad statement must never stop the import
            self.note(st, f"could not be read ({type(error).__name__}: {error}); skipped")

    def create(self, st: Statement) -> None:
        text = st.text
        if _CREATE_VIRTUAL.match(text):
            found = _CREATE_VIRTUAL.match(text)
            self.builder.add_object("virtual table", last_name(found.group("name")), text)
        elif (found := _CREATE_TABLE.match(text)) is not None:
            self.create_table(st, found)
        elif (found := _CREATE_INDEX.match(text)) is not None:
            self.create_index(st, found)
        elif (found := _CREATE_VIEW.match(text)) is not None:
            self.create_view(st, found)
        elif (found := _CREATE_ROUTINE.match(text)) is not None:
            kind = " ".join(found.group("kind").lower().split()).replace("aggregate ", "")
            table = None
            if kind == "trigger":
                on = _TRIGGER_TABLE.search(text, found.end())
                table = last_name(on.group("table")) if on else None
            self.builder.add_object(kind, last_name(found.group("name")), text, table)
        elif (found := _CREATE_OTHER.match(text)) is not None:
            kind = found.group("kind").lower()
            if kind in ("database", "schema"):
                self.ignored[f"CREATE {kind.upper()}"] += 1
            else:
                self.builder.add_object(kind, last_name(found.group("name") or kind), text)
        else:
            self.note(st, "CREATE statement of a kind schemawright does not read; skipped")

    # ------------------------------------------------------------ tables

    def create_table(self, st: Statement, header: re.Match[str]) -> None:
        text = st.text
        name = last_name(header.group("name"))
        rest = header.end()
        if text.startswith("(", rest) and re.match(r"\(\s*LIKE\b", text[rest:], re.IGNORECASE) is None:
            close = _paren_end(text, rest, self.mysql)
            if close >= len(text):
                self.note(st, f"table {name}: the column list is not closed; skipped")
                return
            self.table_body(st, name, rest, close)
            return
        like = re.match(rf"\(?\s*LIKE\s+(?P<other>{_QUALIFIED})", text[rest:], re.IGNORECASE)
        if like:
            other = self.builder.tables.get(last_name(like.group("other")))
            if other is None:
                self.note(st, f"table {name} is created LIKE {like.group('other')}, which is not defined before it; skipped")
                return
            copy = self.builder.table(name)
            copy.description = other.description
            copy.columns = {k: _Column(**vars(v)) for k, v in other.columns.items()}
            copy.primary_key = list(other.primary_key) if other.primary_key else None
            copy.primary_key_name = object_name(name, None, "pkey") if other.primary_key else None
            copy.uniques = list(other.uniques)
            copy.checks = list(other.checks)
            copy.indexes = [_Index(i.name, list(i.columns), i.unique, i.method, i.where, i.reason) for i in other.indexes]
            return
        self.note(st, f"table {name} is created from a query (CREATE TABLE ... AS SELECT): its columns are not "
                      "declared; skipped", rest)

    def table_body(self, st: Statement, name: str, open_at: int, close: int) -> None:
        text = st.text
        items = _split_items(text, open_at + 1, close, self.mysql)
        head = text[:open_at]
        trailer = text[close + 1:].strip()
        expressions: list[exp.Expression | None] | None = None
        with_body = f"{head}({text[open_at + 1:close]})"
        parsed = self.parse(with_body)
        if isinstance(parsed, exp.Create) and isinstance(parsed.this, exp.Schema) and \
                len(parsed.this.expressions) == len(items):
            expressions = list(parsed.this.expressions)
        if expressions is None:
            expressions = [self.parse_item(st, a, b) for a, b in items]
        table = self.builder.table(name)
        self.table_options(st, table, trailer, close + 1)
        deferred: list[tuple[exp.Expression, int, int]] = []
        for (a, b), node in zip(items, expressions):
            if node is None:
                continue
            if isinstance(node, (exp.Identifier, exp.Column)):  # SQLite: a column without a type
                node = exp.ColumnDef(this=exp.to_identifier(node.name))
            if isinstance(node, exp.ColumnDef):
                self.column(st, table, node, text[a:b], a, b)
            else:
                deferred.append((node, a, b))
        for node, a, b in deferred:  # keys may name columns declared after them
            self.table_constraint(st, table, node, a, b)

    def parse_item(self, st: Statement, a: int, b: int) -> exp.Expression | None:
        """One item of a CREATE TABLE body, with repairs for what sqlglot does not read."""
        item = st.text[a:b]
        attempts = [item]
        cleaned = _INDEX_TYPE.sub(" ", _ON_CONFLICT.sub(" ", item))
        if cleaned != item:
            attempts.append(cleaned)
        span = _column_type_span(cleaned, self.mysql)
        if span is not None:
            _name, t0, t1 = span
            attempts.append(f"{cleaned[:t0]}TEXT{cleaned[t1:]}" if t1 > t0 else f"{cleaned[:t0]} TEXT {cleaned[t0:]}")
        for attempt in attempts:
            parsed = self.parse(f"CREATE TABLE _schemawright_item ({attempt})")
            if isinstance(parsed, exp.Create) and isinstance(parsed.this, exp.Schema) and len(parsed.this.expressions) == 1:
                node = parsed.this.expressions[0]
                if attempt is not item:
                    node.meta["repaired"] = True
                return node
        reason = self.parse_error(f"CREATE TABLE _schemawright_item ({item})")
        self.note(st, f"could not read this part of the table ({reason}); skipped", a, b)
        return None

    def table_options(self, st: Statement, table: TableBuilder, trailer: str, offset: int) -> None:
        if not trailer:
            return
        if not self.mysql:
            words = {w.upper() for w in re.findall(r"[A-Za-z_]+", trailer)}
            if "WITHOUT" in words and "ROWID" in words:
                table.without_rowid = True
            unknown = words - {"WITHOUT", "ROWID", "STRICT"}
            if unknown:
                self.note(st, f"table options {trailer!r} not understood; ignored", offset)
            return
        comment = _TABLE_COMMENT.search(trailer)
        if comment:
            table.description = _mysql_string(comment.group(1)) or None
        rest = _TABLE_OPTION.sub(" ", _TABLE_COMMENT.sub(" ", trailer)).strip(" \t\r\n,")
        if rest:
            self.note(st, f"table options {' '.join(rest.split())[:80]!r} are not part of the model (partitioning, "
                          "storage); ignored", offset)

    def column(self, st: Statement, table: TableBuilder, node: exp.ColumnDef, item: str, offset: int,
               end: int | None = None) -> None:
        where = self.where(st, offset, end)
        name = node.name
        span = _column_type_span(item, self.mysql)
        raw_type = item[span[1]:span[2]] if span else ""
        if not self.mysql:
            mapping = sqlite_type(raw_type)
        elif raw_type:
            mapping = mysql_type(raw_type)
        elif isinstance(node.args.get("kind"), exp.DataType):
            mapping = mysql_type(node.args["kind"])
        else:
            mapping = _unknown_mysql_type("")
        nullable, default, identity, generated, stored, on_update, comment = True, None, False, None, True, None, None
        pk = False
        uniques: list[str | None] = []
        checks: list[tuple[exp.Expression, str | None]] = []
        references: list[tuple[exp.Reference, str | None]] = []
        for constraint in node.constraints:
            kind = constraint.args.get("kind")
            cname = constraint.name or None
            if isinstance(kind, exp.NotNullColumnConstraint):
                nullable = bool(kind.args.get("allow_null"))
            elif isinstance(kind, exp.PrimaryKeyColumnConstraint):
                pk = True
            elif isinstance(kind, (exp.AutoIncrementColumnConstraint, exp.GeneratedAsIdentityColumnConstraint)):
                identity = True
            elif isinstance(kind, exp.UniqueColumnConstraint):
                uniques.append(cname)
            elif isinstance(kind, exp.DefaultColumnConstraint):
                default = kind.this
            elif isinstance(kind, exp.CommentColumnConstraint):
                comment = kind.this.this if isinstance(kind.this, exp.Literal) else kind.this.sql()
            elif isinstance(kind, exp.CheckColumnConstraint):
                checks.append((kind.this, cname))
            elif isinstance(kind, exp.Reference):
                references.append((kind, cname))
            elif isinstance(kind, exp.ComputedColumnConstraint):
                generated, stored = kind.this, bool(kind.args.get("persisted"))
            elif isinstance(kind, exp.OnUpdateColumnConstraint):
                on_update = kind.this
        rowid = (not self.mysql and pk and raw_type.strip().upper() == "INTEGER" and not table.without_rowid)
        if rowid and not identity:
            self.builder.decide("SQLite rowid keys", f"{table.name}.{name}", "identity",
                                "an INTEGER PRIMARY KEY is SQLite's rowid: the database assigns it, as an identity does")
        table.add_column(name, mapping, nullable=nullable and not pk, default=default, identity=identity or rowid,
                         generated=generated, stored=stored, on_update=on_update, comment=comment, where=where)
        if pk:
            table.set_primary_key([name], where=where)
        for cname in uniques:
            table.add_unique([name], cname, where)
        for check, cname in checks:
            table.add_check(check, cname, column=name, where=where)
        for reference, cname in references:
            target = reference.this
            if isinstance(target, exp.Schema):
                ref_table = target.this.name
                ref_columns = [e.name for e in target.expressions]
            else:
                ref_table, ref_columns = target.name, []
            on_delete, on_update_fk = _actions(reference)
            table.add_foreign_key([name], ref_table, ref_columns, on_delete=on_delete, on_update=on_update_fk,
                                  name=cname, where=where)

    def table_constraint(self, st: Statement, table: TableBuilder, node: exp.Expression, offset: int,
                         end: int | None = None) -> None:
        where = self.where(st, offset, end)
        name = None
        if isinstance(node, exp.Constraint):
            name = node.name or None
            inner = node.expressions
            if len(inner) != 1:
                self.note(st, "constraint not understood; skipped", offset)
                return
            node = inner[0]
        if isinstance(node, exp.PrimaryKey):
            table.set_primary_key(_key_columns(node.expressions), name, where)
        elif isinstance(node, exp.PrimaryKeyColumnConstraint):
            self.note(st, "primary key without columns; skipped", offset)
        elif isinstance(node, exp.UniqueColumnConstraint):
            schema = node.this
            if isinstance(schema, exp.Schema):
                key_name = schema.this.name if schema.this is not None else None
                parts = [_index_part(e) for e in schema.expressions]
            else:
                key_name, parts = None, []
            if not parts:
                self.note(st, "unique key without columns; skipped", offset)
                return
            if all(isinstance(p[0], str) for p in parts):
                table.add_unique([p[0] for p in parts], name or key_name, where, prefixed=any(p[2] for p in parts))
            else:
                table.add_index(parts, name=name or key_name, unique=True, where=where)
        elif isinstance(node, exp.IndexColumnConstraint):
            parts = [_index_part(e) for e in node.expressions]
            kind = node.args.get("kind")
            table.add_index(parts, name=(node.name or None), kind=kind if isinstance(kind, str) else None, where=where)
        elif isinstance(node, exp.ForeignKey):
            reference = node.args.get("reference")
            target = reference.this if reference is not None else None
            if not isinstance(target, (exp.Schema, exp.Table)):
                self.note(st, "foreign key without a referenced table; skipped", offset)
                return
            if isinstance(target, exp.Schema):
                ref_table, ref_columns = target.this.name, [e.name for e in target.expressions]
            else:
                ref_table, ref_columns = target.name, []
            on_delete, on_update = _actions(node)
            table.add_foreign_key([e.name for e in node.expressions], ref_table, ref_columns, on_delete=on_delete,
                                  on_update=on_update, name=name, where=where)
        elif isinstance(node, exp.CheckColumnConstraint):
            table.add_check(node.this, name, where=where)
        else:
            self.note(st, f"table item {node.sql(self.dialect)[:80]!r} not understood; skipped", offset)

    # ------------------------------------------------------------ indexes, views, alter, drop

    def create_index(self, st: Statement, header: re.Match[str]) -> None:
        text = st.text
        table_name = last_name(header.group("table"))
        table = self.builder.tables.get(table_name)
        if table is None:
            self.note(st, f"index on table {table_name}, which is not defined before it; skipped")
            return
        open_at = header.end()
        if not text.startswith("(", open_at):
            self.note(st, "index column list not found; skipped", open_at)
            return
        close = _paren_end(text, open_at, self.mysql)
        kind = (header.group("kind") or "").upper()
        name = last_name(header.group("name"))
        # sqlglot reads the column list best inside a CREATE TABLE: reuse that path.
        key = f"{'UNIQUE ' if kind == 'UNIQUE' else kind + ' ' if kind else ''}INDEX"
        if self.mysql:
            probe = self.parse(f"CREATE TABLE _schemawright_index (_c INT, {key} _ix ({text[open_at + 1:close]}))")
            node = probe.this.expressions[-1] if isinstance(probe, exp.Create) and isinstance(probe.this, exp.Schema) else None
            if node is None:
                self.note(st, f"index {name}: {self.parse_error(text)}; skipped")
                return
            expressions = node.this.expressions if isinstance(node, exp.UniqueColumnConstraint) else node.expressions
            table.add_index([_index_part(e) for e in expressions], name=name, unique=kind == "UNIQUE",
                            kind=kind if kind in ("FULLTEXT", "SPATIAL") else None, where=self.where(st))
            return
        parsed = self.parse(text)
        if not isinstance(parsed, exp.Create) or not isinstance(parsed.this, exp.Index):
            self.note(st, f"index {name}: {self.parse_error(text)}; skipped")
            return
        params = parsed.this.args.get("params")
        columns = params.args.get("columns", []) if params is not None else []
        where_clause = params.args.get("where") if params is not None else None
        if isinstance(where_clause, exp.Where):
            where_clause = where_clause.this
        table.add_index([_index_part(e) for e in columns], name=name, unique=kind == "UNIQUE",
                        where_clause=where_clause, where=self.where(st))

    def create_view(self, st: Statement, header: re.Match[str]) -> None:
        name = last_name(header.group("name"))
        query_text = st.text[header.end():]
        query = self.parse(query_text)
        if query is None or not isinstance(query, (exp.Query, exp.Select, exp.Union)):
            self.note(st, f"view {name}: its query could not be read ({self.parse_error(query_text)}); kept unanalysed",
                      header.end())
            self.builder.add_object("view", name, st.text)
            return
        columns = header.group("columns")
        if columns and isinstance(query, exp.Select):
            names = _names_list(columns)
            if len(names) == len(query.expressions):
                query = query.copy()
                query.set("expressions", [exp.alias_(e.unalias() if isinstance(e, exp.Alias) else e, n)
                                          for e, n in zip(query.expressions, names)])
        self.builder.add_view(name, query, self.where(st), st.text)

    def alter_table(self, st: Statement) -> None:
        header = _ALTER_TABLE.match(st.text)
        if header is None:
            self.note(st, "ALTER statement not understood; skipped")
            return
        name = last_name(header.group("name"))
        rest = st.text[header.end():]
        if _ALTER_IGNORED.match(rest.strip()):
            self.ignored["ALTER TABLE options"] += 1
            return
        table = self.builder.tables.get(name)
        if table is None:
            self.note(st, f"ALTER TABLE {name}: the table is not defined before it; skipped")
            return
        parsed = self.parse(st.text)
        if not isinstance(parsed, exp.Alter):
            self.note(st, f"ALTER TABLE {name}: {self.parse_error(st.text)}; skipped")
            return
        for action in parsed.args.get("actions") or []:
            self.alter_action(st, table, action)

    def alter_action(self, st: Statement, table: TableBuilder, action: exp.Expression) -> None:
        if isinstance(action, exp.AddConstraint):
            for node in action.expressions:
                self.table_constraint(st, table, node, 0)
        elif isinstance(action, exp.ColumnDef):
            self.column(st, table, action, action.sql(self.dialect), 0)
        elif isinstance(action, exp.ModifyColumn) and isinstance(action.this, exp.ColumnDef):
            old = action.args.get("rename_from")
            old_name = table.column_name(old.name if old is not None else action.this.name)
            if old_name is None:
                self.note(st, f"ALTER TABLE {table.name}: no column {action.this.name!r} to change; skipped")
                return
            new = action.this
            keep = list(table.columns)
            table.columns.pop(old_name)
            # The column's own checks go with its old definition (MariaDB names them after it).
            dropped = {object_name(table.name, old_name, "values"), old_name}
            table.checks = [c for c in table.checks if c.name not in dropped]
            self.column(st, table, new, new.sql(self.dialect), 0)
            position = keep.index(old_name)
            order = keep[:position] + [new.name] + [c for c in keep[position + 1:] if c != new.name]
            table.columns = {c: table.columns[c] for c in order if c in table.columns}
            if old_name != new.name:
                self._rename_column(table, old_name, new.name)
        elif isinstance(action, exp.Drop) and (action.args.get("kind") or "").upper() in ("FOREIGN KEY", "INDEX", "KEY",
                                                                                         "CONSTRAINT", "CHECK", "COLUMN",
                                                                                         "PRIMARY KEY"):
            kind = action.args["kind"].upper()
            names = [t.name for t in action.args.get("tables") or []]
            for item in names:
                if kind == "COLUMN":
                    column = table.column_name(item)
                    if column:
                        table.columns.pop(column)
                elif kind in ("INDEX", "KEY"):
                    table.indexes = [i for i in table.indexes if i.name != item]
                    table.uniques = [u for u in table.uniques if u.name != item]
                else:
                    table.foreign_keys = [f for f in table.foreign_keys if f.name != item]
                    table.checks = [c for c in table.checks if c.name != item]
                    table.uniques = [u for u in table.uniques if u.name != item]
            if kind == "PRIMARY KEY":
                table.primary_key = None
                table.primary_key_name = None
        elif isinstance(action, exp.AlterRename):
            new_name = action.this.name
            self.builder.tables.pop(table.name, None)
            table.name = new_name
            self.builder.tables[new_name] = table
        else:
            self.note(st, f"ALTER TABLE {table.name}: action {action.sql(self.dialect)[:80]!r} is not applied to the model")

    @staticmethod
    def _rename_column(table: TableBuilder, old: str, new: str) -> None:
        def swap(cols: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(new if c == old else c for c in cols)

        if table.primary_key:
            table.primary_key = list(swap(tuple(table.primary_key)))
        table.uniques = [u.model_copy(update={"columns": swap(u.columns)}) for u in table.uniques]
        table.foreign_keys = [f.model_copy(update={"columns": swap(f.columns)}) for f in table.foreign_keys]
        for index in table.indexes:
            index.columns = [c.model_copy(update={"expression": new}) if c.expression == old else c for c in index.columns]

    def drop(self, st: Statement) -> None:
        found = _DROP.match(st.text)
        if found is None:
            self.note(st, "DROP statement not understood; skipped")
            return
        kind = found.group("kind").lower()
        if kind in ("database", "schema"):
            self.ignored[f"DROP {kind.upper()}"] += 1
            return
        table = last_name(found.group("table")) if found.group("table") else None
        for name in _names_list(found.group("names")):
            self.builder.drop(kind, name, table)


def _key_columns(expressions: list[exp.Expression]) -> list[str]:
    names = []
    for e in expressions:
        part = _index_part(e)[0]
        names.append(part if isinstance(part, str) else part.sql())
    return names


def _index_part(node: exp.Expression) -> tuple[exp.Expression | str, bool, bool]:
    """(column name or expression, descending, had a prefix length) of one key part."""
    descending = False
    if isinstance(node, exp.Ordered):
        descending = bool(node.args.get("desc"))
        node = node.this
    if isinstance(node, exp.ColumnPrefix):
        return node.this.name, descending, True
    if isinstance(node, exp.Identifier):
        return node.name, descending, False
    if isinstance(node, exp.Column) and not node.table:
        return node.name, descending, False
    if isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Anonymous) and len(node.expressions) == 1 and isinstance(node.expressions[0], exp.Literal) \
            and not node.expressions[0].is_string:  # MySQL prefix `name(10)` read as a call
        return node.name, descending, True
    return node, descending, False
