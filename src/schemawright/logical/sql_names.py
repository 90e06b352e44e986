"""The column names a piece of spec SQL reads: a CHECK or rule condition, an exclusion, a
declared index.  The normalize step uses them to tell which table a constraint belongs to
once columns have moved.  Text that does not parse (reported by the check stage) falls back
to its words, so a name is never missed: a false hit only makes a constraint look as if it
straddles two tables, never lets one be created on a table without its columns."""

from __future__ import annotations

import re

import pglast

from schemawright import model as m

_WORD = re.compile(r'"((?:[^"]|"")+)"|([A-Za-z_][A-Za-z0-9_$]*)')
_STRING = re.compile(r"'(?:[^']|'')*'")


class Names:
    """Unqualified column names, and `qualifier.column` pairs (`parent.capacity`)."""

    def __init__(self) -> None:
        self.plain: set[str] = set()
        self.qualified: set[tuple[str, str]] = set()


def expression_names(text: str | None) -> Names:
    names = Names()
    if not text:
        return names
    try:
        parsed = pglast.parse_sql(f"SELECT ({text}\n)")
    except pglast.parser.ParseError:
        names.plain = _words(text)
        return names
    _walk([raw.stmt(skip_none=True) for raw in parsed], names)
    return names


def exclusion_names(definition: str) -> Names:
    names = Names()
    try:
        statement = pglast.parse_sql(f"CREATE TABLE t (CONSTRAINT x EXCLUDE {definition})")[0].stmt
        constraint = statement.tableElts[0](skip_none=True)
    except (pglast.parser.ParseError, AttributeError, IndexError, TypeError):
        names.plain = _words(definition)
        return names
    names.plain |= {s["sval"] for s in constraint.get("including") or () if isinstance(s, dict) and "sval" in s}
    _walk([constraint.get("exclusions"), constraint.get("where_clause")], names)
    return names


def index_names(index: m.DeclaredIndex) -> set[str]:
    names = set(index.include)
    for column in index.columns:
        plain = column.rsplit(None, 1)[0] if column.lower().endswith((" asc", " desc")) else column
        names |= expression_names(plain).plain if plain.startswith("(") else {plain}
    return names | expression_names(index.where).plain


def _words(text: str) -> set[str]:
    return {quoted.replace('""', '"') if quoted else word for quoted, word in _WORD.findall(_STRING.sub("", text))}


def _walk(node: object, names: Names) -> None:
    if isinstance(node, dict):
        if node.get("@") == "IndexElem" and node.get("name"):
            names.plain.add(node["name"])
        if node.get("@") == "ColumnRef":
            fields = [f.get("sval") for f in node.get("fields") or () if isinstance(f, dict)]
            if len(fields) == 1 and fields[0]:
                names.plain.add(fields[0])
            elif len(fields) >= 2 and fields[-1]:
                names.qualified.add((fields[-2] or "", fields[-1]))
            return
        for value in node.values():
            _walk(value, names)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _walk(value, names)
