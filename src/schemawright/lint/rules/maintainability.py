"""Maintainability: tables and columns that say what they hold."""

from __future__ import annotations

from collections.abc import Iterator

from schemawright.lint.context import Context
from schemawright.lint.rule import Hit, Rule, register


@register
class TableWithoutComment(Rule):
    code = "SW701"
    name = "table-without-comment"
    family = "maintainability"
    severity = "info"
    summary = "A table has no comment (description)."
    rationale = (
        "A table's name rarely says what one row is, which rows it holds, or who writes it. A COMMENT ON "
        "TABLE travels with the schema: psql's \\d+, every database IDE, and the generated data dictionary "
        "show it where the next developer looks.")
    example = "CREATE TABLE holds (id bigint PRIMARY KEY);"
    fixed = ("CREATE TABLE holds (id bigint PRIMARY KEY);\n"
             "COMMENT ON TABLE holds IS 'Stock reserved for an unpaid order; released after 30 minutes.';")
    fix = "Add COMMENT ON TABLE (a `description:` in the spec)."

    def check(self, ctx: Context) -> Iterator[Hit]:
        for table in ctx.design.tables:
            if not (table.description or "").strip():
                yield Hit(table.name, None, f"table {table.name} has no comment")


@register
class ColumnWithoutComment(Rule):
    code = "SW702"
    name = "column-without-comment"
    family = "maintainability"
    severity = "info"
    summary = "A column has no comment (description)."
    rationale = (
        "Units, time zones, allowed values, where a value comes from and what NULL means are rarely "
        "obvious from a column name. A COMMENT ON COLUMN keeps that knowledge in the schema itself, where "
        "tools and the data dictionary show it.")
    example = "CREATE TABLE sensors (id bigint PRIMARY KEY, sample_interval integer NOT NULL);"
    fixed = ("CREATE TABLE sensors (id bigint PRIMARY KEY, sample_interval integer NOT NULL);\n"
             "COMMENT ON COLUMN sensors.id IS 'Surrogate key.';\n"
             "COMMENT ON COLUMN sensors.sample_interval IS 'Seconds between two readings.';")
    fix = "Add COMMENT ON COLUMN (a `description:` on the attribute in the spec)."

    def check(self, ctx: Context) -> Iterator[Hit]:
        for table in ctx.design.tables:
            for column in table.columns:
                if not (column.description or "").strip():
                    yield Hit(table.name, column.name, f"column {table.name}.{column.name} has no comment")
