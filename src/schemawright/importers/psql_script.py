"""Cut a psql script into statements the way psql itself does.

pglast's splitter cannot be used on its own: psql meta-commands (`\\connect`, `\\restrict`)
and `COPY ... FROM stdin` data blocks are not SQL, a quote inside a data row would swallow
the rest of the file, and the scanner-based split silently drops statements it cannot
tokenise.  This small lexer knows just enough (quotes, dollar quotes, comments,
parentheses, backslash lines, COPY data) to find where each statement starts and ends;
pglast then parses every statement on its own, so one bad statement never loses others.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Literal

_IDENT_CHARS = r"A-Za-z0-9_\x80-\U0010ffff"
# `plain` swallows everything that cannot start a quote, comment, dollar quote, meta-command
# or change the nesting, so long DDL is read in a few big steps rather than word by word.
_TOKEN = re.compile(
    rf"""
      (?P<plain>[^'"$;()\\/\-]+)
    | (?P<line_comment>--[^\n]*)
    | (?P<block_comment>/\*)
    | (?P<string>'(?:[^']|'')*(?:'|\Z))
    | (?P<quoted>"(?:[^"]|"")*(?:"|\Z))
    | (?P<dollar>\$(?:[A-Za-z_\x80-\U0010ffff][{_IDENT_CHARS}]*)?\$)
    | (?P<backslash>\\)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_ESCAPE_STRING = re.compile(r"'(?:[^'\\]|\\.|'')*(?:'|\Z)", re.DOTALL)  # E'...': backslash escapes
_CLOSED_STRING = re.compile(r"'(?:[^']|'')*'")
_CLOSED_QUOTED = re.compile(r'"(?:[^"]|"")*"')
_CLOSED_ESCAPE_STRING = re.compile(r"'(?:[^'\\]|\\.|'')*'", re.DOTALL)
_IDENT_CHAR = re.compile(rf"[{_IDENT_CHARS}$]")
_COMMENT_EDGE = re.compile(r"/\*|\*/")
_COPY_FROM_STDIN = re.compile(r"^\\?copy\b.*\bfrom\s+stdin\b", re.IGNORECASE | re.DOTALL)
_END_OF_DATA = re.compile(r"^\\\.\r?$", re.MULTILINE)
# A statement that starts a line right after a `;`: seen inside a string, it is the sign of
# a quote closed by the wrong partner (pg_dump writes every statement at the start of a line).
SWALLOWED = re.compile(r";[ \t]*\r?\n(?:CREATE|ALTER|COMMENT|INSERT|DROP|GRANT|REVOKE|SET|SELECT|COPY)\b",
                        re.IGNORECASE)
_UNCLOSED = {  # token kind -> what it is, how to close it
    "string": ("quote (')", "close it; a quote inside a string is written twice: 'it''s'"),
    "quoted": ('double quote (")', 'close it; a double quote inside a name is written twice: "say ""hi"""'),
    "dollar": ("dollar quote", "end the body with the same $tag$ it opens with"),
    "block_comment": ("comment (/*)", "close it with */ (comments nest in PostgreSQL: every /* needs its own */)"),
}


@dataclass(frozen=True)
class Piece:
    """One statement, psql meta-command or COPY data block, with where it starts."""

    kind: Literal["sql", "meta", "data"]
    text: str
    start: int  # character offset into the script
    line: int  # 1-based
    column: int  # 1-based


@dataclass(frozen=True)
class Unclosed:
    """A quote, dollar quote or comment that runs to the end of the script."""

    start: int  # where it opens (or where the quote that went wrong opens)
    message: str
    hint: str


class Lines:
    """Line and column (1-based) of a character offset."""

    def __init__(self, text: str) -> None:
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def place(self, offset: int) -> tuple[int, int]:
        index = bisect.bisect_right(self.starts, offset) - 1
        return index + 1, offset - self.starts[index] + 1


def _escape_prefix(text: str, quote: int) -> bool:
    """Whether the quote at `quote` opens E'...' (an E that is not the end of a longer word)."""
    return quote >= 1 and text[quote - 1] in "eE" and (quote < 2 or not _IDENT_CHAR.match(text[quote - 2]))


def _end_of_block_comment(text: str, start: int) -> int | None:
    """Where the comment opening at `start` ends; None when it is never closed."""
    depth = 0
    for edge in _COMMENT_EDGE.finditer(text, start):
        depth += 1 if edge.group() == "/*" else -1
        if depth == 0:
            return edge.end()
    return None


def split_script(text: str, *, parentheses: bool = True, unclosed: list[Unclosed] | None = None) -> list[Piece]:
    """Every statement (`sql`), meta-command (`meta`) and COPY data block (`data`), in order.

    Like psql, a `;` inside parentheses does not end a statement (CREATE RULE ... (a; b));
    `parentheses=False` ignores them, to recover the statements after an unbalanced one.
    A quote, dollar quote or comment still open at the end of the script is added to
    `unclosed`: everything after it was swallowed, so nothing read after it can be trusted.
    """
    suspects: dict[str, int] = {}  # kind -> the first string or name that runs on into the next statement
    lines = Lines(text)
    pieces: list[Piece] = []

    def add(kind: Literal["sql", "meta", "data"], start: int, end: int, body: str | None = None) -> None:
        line, column = lines.place(start)
        pieces.append(Piece(kind, text[start:end] if body is None else body, start, line, column))

    start: int | None = None  # first character of the statement being read
    holes: list[tuple[int, int]] = []  # meta-commands inside it, blanked out of its text
    depth = 0
    pos = 0
    while pos < len(text):
        token = _TOKEN.match(text, pos)
        assert token is not None  # `other` matches any single character
        kind, end = token.lastgroup, token.end()
        if kind == "plain":
            if start is None and not token.group().isspace():
                start, depth, holes = pos + len(token.group()) - len(token.group().lstrip()), 0, []
            pos = end
            continue
        left_open = False
        if kind == "string" and _escape_prefix(text, pos):
            end = _ESCAPE_STRING.match(text, pos).end()  # type: ignore[union-attr]
            left_open = _left_open(_CLOSED_ESCAPE_STRING, text, pos, end)
        elif kind in ("string", "quoted"):
            left_open = _left_open(_CLOSED_STRING if kind == "string" else _CLOSED_QUOTED, text, pos, end)
        elif kind == "dollar" and pos >= 1 and _IDENT_CHAR.match(text[pos - 1]):
            kind, end = "other", pos + 1  # `$` inside an identifier (a$b), not a dollar quote
        elif kind == "block_comment":
            closed = _end_of_block_comment(text, pos)
            end, left_open = (len(text), True) if closed is None else (closed, False)
        elif kind == "dollar":
            close = text.find(token.group(), end)
            end, left_open = (len(text), True) if close < 0 else (close + len(token.group()), False)
        elif kind == "backslash":
            # A psql meta-command runs to the end of its line.
            newline = text.find("\n", pos)
            end = len(text) if newline < 0 else newline
            add("meta", pos, end)
            if start is not None:
                holes.append((pos, end))
            elif _COPY_FROM_STDIN.match(text[pos:end]):  # \copy ... from stdin: data follows
                end = _skip_data(text, end, add)
            pos = end
            continue
        if kind in ("string", "quoted") and SWALLOWED.search(text, pos, end):
            suspects.setdefault(kind, pos)
        if left_open and unclosed is not None:
            unclosed.append(_unclosed(kind, pos, suspects.get(kind), lines))
        if kind not in ("line_comment", "block_comment") and start is None:
            start, depth, holes = pos, 0, []
        if kind == "other":
            char = token.group()
            if char == "(" and parentheses:
                depth += 1
            elif char == ")" and parentheses:
                depth = max(0, depth - 1)
            elif char == ";" and depth == 0 and start is not None:
                body = _blank(text, start, end, holes)
                add("sql", start, end, body)
                start = None
                if _COPY_FROM_STDIN.match(body):
                    newline = text.find("\n", end)
                    end = _skip_data(text, len(text) if newline < 0 else newline + 1, add)
        pos = end
    if start is not None and text[start:].strip():
        add("sql", start, len(text), _blank(text, start, len(text), holes).rstrip())
    return pieces


def _left_open(closed: re.Pattern[str], text: str, start: int, end: int) -> bool:
    """Whether the quoted token text[start:end] lacks its closing quote (it ran to the end)."""
    if end < len(text):
        return False
    found = closed.match(text, start)
    return found is None or found.end() != end


def _unclosed(kind: str, at: int, suspect: int | None, lines: Lines) -> Unclosed:
    what, hint = _UNCLOSED[kind]
    if suspect is None or suspect >= at:
        return Unclosed(at, f"this {what} is never closed: the rest of the file was read as part of it", hint)
    return Unclosed(suspect, f"this {what} is never closed where it should be: it runs on into the next statement, "
                             f"and every later one pairs with the wrong partner (the last, at line "
                             f"{lines.place(at)[0]}, is left open at the end of the file)", hint)


def _blank(text: str, start: int, end: int, holes: list[tuple[int, int]]) -> str:
    """The statement's text with meta-commands replaced by spaces (offsets kept)."""
    body = text[start:end]
    for a, b in holes:
        body = body[: a - start] + " " * (b - a) + body[b - start:]
    return body


def _skip_data(text: str, begin: int, add) -> int:  # noqa: ANN001 - the local `add`
    """COPY FROM stdin data runs to a line holding only `\\.` (or the end of the file)."""
    if begin >= len(text):
        return len(text)
    found = _END_OF_DATA.search(text, begin)
    end = len(text) if found is None else found.end()
    add("data", begin, end)
    return end
