"""Identifier and literal quoting for PostgreSQL.

Names are quoted only when they must be (upper case, odd characters, keywords), so the
DDL stays readable for ordinary names and still applies for any name a user can write.
"""

from __future__ import annotations

import re

from pglast.keywords import COL_NAME_KEYWORDS, RESERVED_KEYWORDS, TYPE_FUNC_NAME_KEYWORDS

PLAIN_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_$]*")  # used with fullmatch: `$` would also match before a final newline
# Keywords that cannot be a bare column or table name in every position.
KEYWORDS = frozenset(RESERVED_KEYWORDS) | frozenset(TYPE_FUNC_NAME_KEYWORDS) | frozenset(COL_NAME_KEYWORDS)

MAX_IDENTIFIER_BYTES = 63


def quote_ident(name: str) -> str:
    """Quote `name` as a PostgreSQL identifier if it needs it."""
    if PLAIN_IDENTIFIER.fullmatch(name) and name not in KEYWORDS:
        return name
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """A standard-conforming string literal (backslashes are literal in PostgreSQL)."""
    return "'" + value.replace("'", "''") + "'"


def literal(value: object) -> str:
    """Any Python scalar as an SQL literal."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return quote_literal(str(value))


def dollar_quote(body: str, hint: str = "") -> str:
    """`body` between dollar-quote tags that do not occur in it (`$hint$`, then `$hint1$`, ...),
    each on its own line, so nothing in the body (a name, a user's SQL) can end the quote."""
    tag, n = f"${hint}$", 0
    while tag in body:
        n += 1
        tag = f"${hint or 'q'}{n}$"  # a tag follows identifier rules: it cannot start with a digit
    return f"{tag}\n{body}\n{tag}"


def cron_schedule(job: str, schedule: str, command: str) -> str:
    """pg_cron's call that runs `command` on `schedule`, every part a quoted literal (job names
    come from table names, which may hold quotes)."""
    return f"SELECT cron.schedule({quote_literal(job)}, {quote_literal(schedule)}, {quote_literal(command)})"
