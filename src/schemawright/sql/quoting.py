"""Identifier and literal quoting for PostgreSQL.

Names are quoted only when they must be (upper case, odd characters, keywords), so the
DDL stays readable for ordinary names and still applies for any name a user can write.
"""

from __future__ import annotations

import re

from pglast.keywords import COL_NAME_KEYWORDS, RESERVED_KEYWORDS, TYPE_FUNC_NAME_KEYWORDS

_PLAIN = re.compile(r"^[a-z_][a-z0-9_$]*$")
# Keywords that cannot be a bare column or table name in every position.
_KEYWORDS = frozenset(RESERVED_KEYWORDS) | frozenset(TYPE_FUNC_NAME_KEYWORDS) | frozenset(COL_NAME_KEYWORDS)

MAX_IDENTIFIER_BYTES = 63


def quote_ident(name: str) -> str:
    """Quote `name` as a PostgreSQL identifier if it needs it."""
    if _PLAIN.match(name) and name not in _KEYWORDS:
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
