"""Apply a migration script one statement at a time, so a failure names its line.

pglast (PostgreSQL's own parser) splits the script; each statement runs in autocommit,
as `psql -f` would run it.  If pglast cannot parse the script, the server gets it whole
and its own error (with a position) is reported instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import pglast

from schemawright.database import Database, DatabaseError


@dataclass(frozen=True)
class ScriptError:
    line: int
    column: int
    statement: str  # first line of the failing statement
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.message} — in: {self.statement}"


def _location(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def _statements(sql: str) -> tuple[list[tuple[int, str]], bool]:
    """(offset, text) of each statement, and whether the script was split at all."""
    try:
        slices = pglast.split(sql, with_parser=True, only_slices=True)
    except pglast.parser.ParseError:
        return ([(0, sql)] if sql.strip() else []), False
    return [(s.start, sql[s]) for s in slices], True


def run_script(db: Database, sql: str) -> ScriptError | None:
    """Run every statement of `sql`; the first error, located, or None."""
    statements, split = _statements(sql)
    for offset, statement in statements:
        try:
            db.execute(statement)
        except DatabaseError as error:
            inner = (error.position - 1) if error.position else 0
            if not split:  # one big script: show the line the error points at
                start = sql.rfind("\n", 0, inner) + 1
                end = sql.find("\n", inner)
                first = sql[start : end if end >= 0 else None]
            else:
                first = statement.strip().splitlines()[0] if statement.strip() else statement
            line, column = _location(sql, offset + inner)
            return ScriptError(line, column, first.strip()[:200], str(error))
    return None
