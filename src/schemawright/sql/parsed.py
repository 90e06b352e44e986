"""One parse per SQL text: planners read the same patterns and CHECKs again and again (the
distribution plan routes every pattern for every placement it weighs; the generator reads
every CHECK of a table for each column).  The tree is shared between callers, so a caller
reads it and never changes it."""

from __future__ import annotations

from functools import lru_cache

import sqlglot
from sqlglot import exp


@lru_cache(maxsize=2048)
def shared_tree(sql: str) -> exp.Expression | None:
    """PostgreSQL `sql` parsed, or None when it does not parse.  Read only: never modify it."""
    try:
        return sqlglot.parse_one(sql, read="postgres")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
        return None
