"""Cut a MySQL/MariaDB or SQLite script into statements, as the mysql client or the sqlite3
shell would.

sqlglot cannot split these scripts itself: `DELIMITER ;;` blocks, the `BEGIN ... END`
bodies of triggers and routines, MySQL version comments (`/*!40101 ... */`) and client
commands (`source`, `.read`) are not SQL it knows.  Offsets into the file are kept, so
every note can point at a line and column.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from schemawright.importers.psql_script import SWALLOWED


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
MYSQL_CLIENT = re.compile(r"(?:\\\S|(?:source|system|tee|notee|charset|warnings|nowarning|prompt|rehash|exit|quit|ego|"
                           r"print|status|help|connect)\b)[^\n]*", re.IGNORECASE)
SQLITE_CLIENT = re.compile(r"\.[A-Za-z]+\b[^\n]*")
_WS = re.compile(r"\s*")
_QUOTES = {"'": "quote (')", '"': 'double quote (")', "`": "backquote (`)", "[": "bracket ([)"}


def split_statements(text: str, dialect: str, problems: list[tuple[int, str]] | None = None) -> list[Statement]:
    """Split a script into statements the way the mysql client or sqlite3 shell would:
    quotes, comments, `DELIMITER` (MySQL) and `BEGIN ... END` bodies of triggers and
    routines (when the delimiter is still `;`) are respected.  A comment or quote that is
    never closed is added to `problems` as (offset, reason): it swallowed the rest."""
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
    swallowing: dict[str, int] = {}  # quote -> the first of its strings that runs on into the next statement

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
            found = (MYSQL_CLIENT if mysql else SQLITE_CLIENT).match(text, i)
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
            end = quoted_end(text, i, mysql)
            if end is None or SWALLOWED.search(text, i, end):
                quote = _QUOTES[token]
                swallowing.setdefault(quote, i)
                if end is None and problems is not None:
                    first = swallowing[quote]
                    problems.append((first, f"this {quote} is never closed" + (
                        ": the rest of the file was read as part of it" if first == i else
                        " where it should be: it runs on into the next statement, and every later one pairs with "
                        "the wrong partner")))
            i = n if end is None else end
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


def skip_quoted(text: str, i: int, backslash: bool) -> int:
    """Index just past the quoted string or identifier starting at `i` (the end of the
    text when it is never closed)."""
    end = quoted_end(text, i, backslash)
    return len(text) if end is None else end


def quoted_end(text: str, i: int, backslash: bool) -> int | None:
    """Index just past the quoted string or identifier starting at `i`; None when it is never closed."""
    quote = text[i]
    close = "]" if quote == "[" else quote
    escapes = backslash and quote in "'\""
    j = i + 1
    n = len(text)
    while True:
        k = text.find(close, j)
        if k < 0:
            return None
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


class Locator:
    def __init__(self, text: str) -> None:
        self.starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]

    def at(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1
