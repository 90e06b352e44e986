"""MySQL/MariaDB and SQLite DDL read as text, where sqlglot is not used or not enough:
names in statement headers (quoted with backticks, double quotes or brackets, qualified
by a database) and the items of a `CREATE TABLE` body, so one odd item can be read, or
skipped, on its own.
"""

from __future__ import annotations

import re

from schemawright.importers.statement_split import skip_quoted

_IDENT = r'(?:`(?:[^`]|``)*`|"(?:[^"]|"")*"|\[[^\]]*\]|[\w$]+)'
QUALIFIED = rf"{_IDENT}(?:\s*\.\s*{_IDENT})*"
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


def names_list(text: str) -> list[str]:
    """`a`, db.b, "c" -> [a, b, c]."""
    return [last_name(part) for part in re.findall(QUALIFIED, text)]


# Words that end a column's declared type (`name varchar(10) NOT NULL`), and that start a
# table item other than a column.
_SQLITE_STOP = {"CONSTRAINT", "PRIMARY", "NOT", "NULL", "UNIQUE", "CHECK", "DEFAULT", "COLLATE", "REFERENCES",
                "GENERATED", "AS"}
_MYSQL_STOP = _SQLITE_STOP | {"AUTO_INCREMENT", "COMMENT", "ON", "CHARACTER", "CHARSET", "KEY", "INVISIBLE",
                              "VISIBLE", "COLUMN_FORMAT", "STORAGE", "SERIAL", "SRID", "BINARY", "ASCII", "UNICODE"}
_TABLE_ITEM = {"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN", "KEY", "INDEX", "FULLTEXT", "SPATIAL", "LIKE",
               "PERIOD", "EXCLUDE"}
_WORD = re.compile(r"\s*(`(?:[^`]|``)*`|\"(?:[^\"]|\"\")*\"|\[[^\]]*\]|'(?:[^'\\]|\\.|'')*'|[\w$]+|\(|\)|,|\S)")


def _structure(text: str, start: int, end: int, mysql: bool):  # noqa: ANN202 - yields (index, token)
    """The parentheses and commas of text[start:end], stepping over quoted text and comments."""
    special = re.compile(r"[(),'\"`\[]|--|/\*" + ("|#" if mysql else ""))
    i = start
    while i < end:
        found = special.search(text, i, end)
        if not found:
            return
        i, token = found.start(), found.group()
        if token in "(),":
            yield i, token
            i += 1
        elif token in ("'", '"', "`") or (token == "[" and not mysql):
            i = skip_quoted(text, i, mysql)
        elif token == "[":
            i += 1
        elif token in ("--", "#"):
            j = text.find("\n", i)
            i = end if j < 0 else j + 1
        else:
            j = text.find("*/", i + 2)
            i = end if j < 0 else j + 2


def paren_end(text: str, open_at: int, mysql: bool) -> int:
    """Index of the parenthesis closing the one at `open_at` (or len(text))."""
    depth = 0
    for i, token in _structure(text, open_at, len(text), mysql):
        depth += {"(": 1, ")": -1}.get(token, 0)
        if token == ")" and depth == 0:
            return i
    return len(text)


def split_items(text: str, start: int, end: int, mysql: bool) -> list[tuple[int, int]]:
    """Comma-separated items of text[start:end] at parenthesis depth 0, as (start, end)."""
    items = []
    depth = 0
    item_start = start
    for i, token in _structure(text, start, end, mysql):
        depth += {"(": 1, ")": -1}.get(token, 0)
        if token == "," and depth == 0:
            items.append((item_start, i))
            item_start = i + 1
    items.append((item_start, end))
    out = []
    for a, b in items:
        while a < b and text[a].isspace():
            a += 1
        if a < b:
            out.append((a, b))
    return out


def column_type_span(item: str, mysql: bool) -> tuple[str, int, int] | None:
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
