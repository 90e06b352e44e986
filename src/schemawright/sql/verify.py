"""Check a rendered script with PostgreSQL's own parser (pglast): the statements it holds must
be exactly the statements the renderer emitted, same kind, same text, same order.

A name or a piece of spec SQL that closes a quote, a comment or a dollar-quoted body would
add, merge or swallow statements; the script is then refused here, before anything writes
it to a file or sends it to a server.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pglast
from pglast import parser


class RenderedSqlMismatch(RuntimeError):
    """A generated script does not hold the statements it was built from (a schemawright bug)."""


@dataclass(frozen=True)
class Statement:
    kind: str  # the pglast node of the statement, e.g. CreateStmt
    text: str  # as rendered, with its final ';'


@dataclass(frozen=True)
class Piece:
    """Text written into a script, and the statements it is meant to hold."""

    text: str
    statements: tuple[Statement, ...]


def statement(kind: str, text: str) -> Piece:
    return Piece(text, (Statement(kind, text),))


def statements(*items: Statement) -> Piece:
    """Statements written one per line (a table and its partitions)."""
    return Piece("\n".join(s.text for s in items), items)


# Each top-level statement in parse_sql_json's output opens with this (quotes inside SQL text are
# escaped there, so no text can look like it); building pglast's Python tree would cost 10x more.
_TOP_LEVEL = re.compile(r'\{"stmt":\{"(\w+)"')


def parsed(sql: str, what: str = "script") -> list[Statement]:
    """The statements PostgreSQL's parser finds in `sql`, each without its final ';'."""
    try:
        kinds = _TOP_LEVEL.findall(parser.parse_sql_json(sql))
        slices = pglast.split(sql, with_parser=True, only_slices=True)
    except parser.ParseError as error:
        raise RenderedSqlMismatch(f"the generated {what} does not parse: {error}") from None
    if len(kinds) != len(slices):
        raise RenderedSqlMismatch(f"the generated {what}: {len(kinds)} statements parsed but {len(slices)} split")
    return [Statement(kind, sql[part].strip()) for kind, part in zip(kinds, slices)]


def statement_text(sql: str) -> str:
    """One statement written by a user, without the `;` and `--` comments that end it, so a
    `;` or text put after it can never land inside a trailing comment."""
    try:
        tokens = parser.scan(sql)
    except parser.ParseError:  # unterminated: the script check reports it
        return sql.rstrip().rstrip(";")
    while tokens and tokens[-1].name in ("ASCII_59", "SQL_COMMENT"):
        tokens.pop()
    return sql[:tokens[-1].end + 1] if tokens else sql.rstrip().rstrip(";")


def kept(text: str, what: str) -> Piece:
    """Text kept as written (an object from an imported schema): it is meant to hold what it holds alone."""
    return Piece(text, tuple(parsed(text, what)))


def verify(script: str, expected: Iterable[Statement], what: str) -> str:
    """`script` itself, once its statements are found to be exactly `expected`."""
    want = [Statement(s.kind, _bare(s.text)) for s in expected]
    _compare(parsed(script, what), want, what)
    return script


def verify_same(script: str, inner: str, before: Sequence[str], after: Sequence[str], what: str) -> str:
    """`script` wraps `inner`: its statements are `before` (kinds), those of `inner`, then `after`."""
    found, middle = parsed(script, what), parsed(inner, what)
    head, tail = found[:len(before)], found[len(found) - len(after):] if after else []
    if [s.kind for s in head] != list(before) or [s.kind for s in tail] != list(after):
        raise RenderedSqlMismatch(f"the generated {what} does not start with {list(before)} and end with "
                                  f"{list(after)}; this is a schemawright bug")
    _compare(found[len(before):len(found) - len(after)], middle, what)
    return script


def _bare(text: str) -> str:
    text = text.strip()
    return text[:-1].rstrip() if text.endswith(";") else text


def _compare(found: list[Statement], want: list[Statement], what: str) -> None:
    if found == want:
        return
    for i, (got, meant) in enumerate(zip(found, want)):
        if got != meant:
            raise RenderedSqlMismatch(
                f"the generated {what} holds {len(found)} statement(s) where {len(want)} were rendered; "
                f"statement {i + 1} is {got.kind} `{_short(got.text)}` instead of {meant.kind} `{_short(meant.text)}`. "
                "Nothing was written; this is a schemawright bug, please report it with the spec")
    extra = found[len(want):] or want[len(found):]
    raise RenderedSqlMismatch(
        f"the generated {what} holds {len(found)} statement(s) where {len(want)} were rendered (first "
        f"{'unexpected' if len(found) > len(want) else 'missing'}: {extra[0].kind} `{_short(extra[0].text)}`). "
        "Nothing was written; this is a schemawright bug, please report it with the spec")


def _short(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= 80 else line[:77] + "..."
