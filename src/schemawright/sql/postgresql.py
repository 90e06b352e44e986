"""PostgreSQL: the first dialect of the generator, and the reference.

`PostgresGenerator` is a page of flags over `Generator`, plus what only PostgreSQL has here:
its keywords, its own parser (pglast) checking every script it renders, and the session
setting that lets function bodies name tables created further down.  The module functions
keep the old entry points (`render_up`, `render_down`, `as_migration`, `create_index`).
"""

from __future__ import annotations

import re

from schemawright import model as m
from schemawright.sql import quoting
from schemawright.sql import verify as v
from schemawright.sql.generator import BEFORE_TABLES, HEADER, Generator

__all__ = ["BEFORE_TABLES", "HEADER", "PostgresGenerator", "as_migration", "create_index", "render_down", "render_up"]


_DOLLAR_QUOTE = re.compile(r"\$[A-Za-z_]\w*\$")


class PostgresGenerator(Generator):
    dialect = "postgresql"

    transactional_ddl = True
    supports_concurrently = True
    supports_partial_index = True
    supports_include = True
    supports_index_methods = True
    supports_partitioning = True
    supports_exclusion = True
    supports_comments = True
    supports_enum_types = True
    supports_extensions = True
    supports_functions = True
    supports_row_level_security = True
    supports_security_barrier = True
    supports_storage_parameters = True
    supports_extended_statistics = True

    PLAIN_IDENTIFIER = quoting.PLAIN_IDENTIFIER
    KEYWORDS = quoting.KEYWORDS

    def body_sql(self, function: m.Function) -> str:
        """The body between dollar quotes, each on its own line: `$$`, or `$fn$` when the body
        itself holds dollar-quoted text (so the eye finds where the function ends)."""
        return quoting.dollar_quote(function.body, "fn" if _DOLLAR_QUOTE.search(function.body) else "")

    def statement_text(self, sql: str) -> str:
        return v.statement_text(sql)

    def kept_piece(self, text: str, what: str) -> v.Piece:
        return v.kept(text, what)

    def check(self, script: str, statements: list[v.Statement], what: str) -> str:
        """Refused (RenderedSqlMismatch) unless PostgreSQL's parser finds exactly `statements`."""
        return v.verify(script, statements, what)

    def preamble(self, design: m.Design) -> list[tuple[str, list[v.Piece]]]:
        if any(o.kind in ("function", "procedure") for o in design.objects):
            return [("Function bodies may name tables created further down.",
                     [v.statement("VariableSetStmt", "SET check_function_bodies = false;")])]
        return []

    def migration(self, script: str) -> str:
        wrapped = super().migration(script)
        around = ["TransactionStmt"] if wrapped != script else []
        return v.verify_same(wrapped, script, around, around, "migration")


def render_up(design: m.Design) -> str:
    """schema.sql; refused (RenderedSqlMismatch) unless it holds exactly the statements rendered."""
    return PostgresGenerator().up_script(design)


def render_down(design: m.Design) -> str:
    """Drop everything render_up created, foreign keys first so table order is free."""
    return PostgresGenerator().down_script(design)


def as_migration(script: str) -> str:
    """Wrap a script in one transaction so psql applies all of it or nothing."""
    return PostgresGenerator().migration(script)


def create_index(index: m.Index) -> str:
    return PostgresGenerator().create_index_sql(index)
