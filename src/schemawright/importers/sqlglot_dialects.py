"""The source dialects the sqlglot importers read, and how sqlglot is called.

Shared by the file importer (sqlglot_sql.py), the live importer (sqlalchemy_live.py) and
the modules between them, so every part names the dialects the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

DIALECTS = {"mysql": "mysql", "mariadb": "mysql", "sqlite": "sqlite", "sqlite3": "sqlite"}
DIALECT_NAMES = {"mysql": "MySQL", "sqlite": "SQLite"}  # for decisions and notes


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
