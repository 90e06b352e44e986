"""Types: time zones, money, fixed-width text, serial, key overflow, undocumented lengths."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import ClassVar

from schemawright import model as m
from schemawright.lint.context import SQL, Context, fix, q, words
from schemawright.lint.rule import Hit, Rule, register
from schemawright.sql import types

_MONEY_WORDS = {"price", "amount", "cost", "total", "subtotal", "balance", "fee", "fees", "tax", "salary",
                "revenue", "payment", "charge", "refund", "tariff", "wage", "income", "expense", "budget",
                "discount", "money"}


def _base(sql_type: str) -> str:
    """The canonical type name, arrays included (an array of timestamps has the same problem)."""
    return types.parse(sql_type).base


@register
class TimestampWithoutTimeZone(Rule):
    code = "SW401"
    name = "timestamp-without-time-zone"
    family = "types"
    severity = "warning"
    summary = "A column uses timestamp (without time zone) instead of timestamptz."
    rationale = (
        "timestamp stores a wall-clock reading with no zone: the same instant written from servers or "
        "sessions in different zones is stored differently, and daylight-saving changes make hours repeat "
        "or vanish. timestamptz stores an instant (UTC internally) and converts on the way in and out; it "
        "costs the same 8 bytes.")
    example = "CREATE TABLE orders (id bigint PRIMARY KEY, placed_at timestamp NOT NULL);"
    fixed = "CREATE TABLE orders (id bigint PRIMARY KEY, placed_at timestamptz NOT NULL);"
    fix = "ALTER COLUMN ... TYPE timestamptz USING column AT TIME ZONE '<the zone the values were written in>'."

    def check(self, ctx: Context) -> Iterator[Hit]:
        for table in ctx.design.tables:
            for column in table.columns:
                if _base(column.sql_type) == "timestamp":
                    yield Hit(table.name, column.name,
                              f"{table.name}.{column.name} is {column.sql_type}, which has no time zone",
                              fix(SQL.alter_column_type_sql(table.name, column.name, "timestamptz",
                                                            using=f"{q(column.name)} AT TIME ZONE 'UTC'")))


def _money_like(column: m.Column) -> bool:
    return column.semantic == "money" or bool(set(words(column.name)) & _MONEY_WORDS)


@register
class FloatForMoney(Rule):
    code = "SW402"
    name = "float-for-money"
    family = "types"
    severity = "error"
    summary = "A money amount is stored as a binary floating-point number (real, double precision)."
    rationale = (
        "Binary floating point cannot represent most decimal fractions: 0.1 + 0.2 is not 0.3, sums drift by "
        "fractions of a cent, and equality tests on amounts fail. Amounts need exact decimal arithmetic: "
        "numeric(p, s) with the currency's scale, or an integer count of minor units.")
    example = "CREATE TABLE invoices (id bigint PRIMARY KEY, total double precision NOT NULL);"
    fixed = "CREATE TABLE invoices (id bigint PRIMARY KEY, total numeric(12,2) NOT NULL);"
    fix = "ALTER COLUMN ... TYPE numeric(p, s) (or bigint minor units), rounding existing values explicitly."

    def check(self, ctx: Context) -> Iterator[Hit]:
        for table in ctx.design.tables:
            for column in table.columns:
                if types.family_of(_base(column.sql_type)) == "float" and _money_like(column):
                    yield Hit(table.name, column.name,
                              f"{table.name}.{column.name} looks like money but is {column.sql_type} (inexact)",
                              fix(SQL.alter_column_type_sql(table.name, column.name, "numeric(12,2)")))


@register
class MoneyType(Rule):
    code = "SW403"
    name = "money-type"
    family = "types"
    severity = "warning"
    summary = "A column uses PostgreSQL's money type."
    rationale = (
        "money has a fixed fractional precision taken from the lc_monetary setting: the same value reads "
        "and parses differently on servers with other locales, it holds no currency, and division and "
        "conversion round in surprising ways. numeric(p, s) plus a currency column is exact and portable.")
    example = "CREATE TABLE invoices (id bigint PRIMARY KEY, total money NOT NULL);"
    fixed = "CREATE TABLE invoices (id bigint PRIMARY KEY, total numeric(12,2) NOT NULL, currency char(3));"
    fix = "ALTER COLUMN ... TYPE numeric(12,2) USING column::numeric, and store the currency explicitly."

    def check(self, ctx: Context) -> Iterator[Hit]:
        for table in ctx.design.tables:
            for column in table.columns:
                if _base(column.sql_type) == "money":
                    yield Hit(table.name, column.name, f"{table.name}.{column.name} uses the money type",
                              fix(SQL.alter_column_type_sql(table.name, column.name, "numeric(12,2)",
                                                            using=f"{q(column.name)}::numeric")))


@register
class FixedWidthChar(Rule):
    code = "SW404"
    name = "fixed-width-char"
    family = "types"
    severity = "warning"
    summary = "A column uses char(n), which pads values with spaces."
    rationale = (
        "char(n) pads every value to n characters with spaces, which are then ignored in some comparisons "
        "and kept in others (LIKE, concatenation, client code), and it is no faster than text in "
        "PostgreSQL. Use text (with a CHECK on length or format if the width matters).")
    example = "CREATE TABLE countries (code char(2) PRIMARY KEY);"
    fixed = "CREATE TABLE countries (code text PRIMARY KEY CHECK (code ~ '^[A-Z]{2}$'));"
    fix = "ALTER COLUMN ... TYPE text (add a CHECK for the length or format if it matters)."

    def check(self, ctx: Context) -> Iterator[Hit]:
        for table in ctx.design.tables:
            for column in table.columns:
                if _base(column.sql_type) == "char":  # not "char", the one-byte type
                    yield Hit(table.name, column.name, f"{table.name}.{column.name} is {column.sql_type}",
                              fix(SQL.alter_column_type_sql(table.name, column.name, "text")))


@register
class SerialNotIdentity(Rule):
    code = "SW405"
    name = "serial-not-identity"
    family = "types"
    severity = "warning"
    summary = "A key uses serial/bigserial or a nextval() default instead of an identity column."
    rationale = (
        "serial creates a separately owned sequence: grants on the table do not cover it, copying the "
        "table definition shares or loses it, and any insert may override the value. GENERATED ... AS "
        "IDENTITY is the SQL standard form, ties the sequence to the column, and ALWAYS rejects stray "
        "explicit values.")
    example = "CREATE TABLE customers (id bigserial PRIMARY KEY);"
    fixed = "CREATE TABLE customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);"
    fix = "Convert to an identity column (drop the default, ADD GENERATED ALWAYS AS IDENTITY, set its start value)."

    def check(self, ctx: Context) -> Iterator[Hit]:
        for table in ctx.design.tables:
            for column in table.columns:
                if column.identity:
                    continue
                serial = _base(column.sql_type) in types.SERIALS
                if serial or "nextval(" in (column.default or "").lower().replace(" ", ""):
                    kind = column.sql_type if serial else f"default {column.default}"
                    yield Hit(table.name, column.name,
                              f"{table.name}.{column.name} is generated by a sequence ({kind}), not an identity")


@register
class KeyOverflow(Rule):
    code = "SW406"
    name = "key-overflow"
    family = "types"
    severity = "error"
    summary = "An integer key will run out of values for its declared volume and growth."
    rationale = (
        "A generated key consumes one value per inserted row and never reuses values, even when rows are "
        "deleted or expire. When integer (2^31 - 1) or smallint keys run out, every insert fails, and "
        "widening the key of a large table (and every foreign key to it) is a long, locking rewrite. The "
        "rule projects rows now plus monthly growth over `years` and reports keys past `threshold` of "
        "their range.")
    example = "-- volumes: 1.5 billion rows, growing 30 million a month\nCREATE TABLE events (id integer PRIMARY KEY);"
    fixed = "CREATE TABLE events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);"
    fix = "Use bigint for the key and for every foreign key that references it."
    options: ClassVar[dict[str, object]] = {"years": 5, "threshold": 0.8}

    def check(self, ctx: Context) -> Iterator[Hit]:
        years = float(ctx.option(self.code, "years"))  # type: ignore[arg-type]
        threshold = float(ctx.option(self.code, "threshold"))  # type: ignore[arg-type]
        for table in ctx.design.tables:
            if table.primary_key is None or len(table.primary_key.columns) != 1:
                continue
            column = table.column(table.primary_key.columns[0])
            volume = ctx.volume(table)
            if column is None or volume is None:
                continue
            limit = types.integer_high(_base(column.sql_type))
            if limit is None or limit >= types.integer_high("bigint"):
                continue  # not an integer, or already the widest one
            projected = volume.rows + volume.growth_per_month * 12 * years
            if projected >= threshold * limit:
                yield Hit(table.name, column.name,
                          f"{table.name}.{column.name} is {column.sql_type} (max {limit:,}) but {projected:,.0f} "
                          f"rows are expected within {years:g} years",
                          fix(SQL.alter_column_type_sql(table.name, column.name, "bigint"))
                          + " (and the foreign keys that reference it)")


@register
class UndocumentedVarcharLength(Rule):
    code = "SW407"
    name = "undocumented-varchar-length"
    family = "types"
    severity = "info"
    summary = "A varchar(n) length limit has no documented reason."
    rationale = (
        "In PostgreSQL varchar(n) is text with a length check: it is not faster or smaller, and an "
        "arbitrary limit (255 is the usual one) rejects real data later and takes a migration to raise. A "
        "limit that comes from a rule (an ISO code, a protocol field) is fine; say so in the column's comment.")
    example = "CREATE TABLE customers (id bigint PRIMARY KEY, name varchar(255) NOT NULL);"
    fixed = ("CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL);\n"
             "-- or keep the limit and document it:\n"
             "COMMENT ON COLUMN customers.name IS 'Printed on labels: at most 255 characters.';")
    fix = "Use text, or document why the limit exists in the column's comment."

    def check(self, ctx: Context) -> Iterator[Hit]:
        decided = {d.subject for d in ctx.design.decisions}
        for table in ctx.design.tables:
            for column in table.columns:
                read = types.parse(column.sql_type)
                if read.base != "varchar" or read.array or len(read.args) != 1 or not read.args[0].isdigit():
                    continue
                if (column.description or "").strip() or f"{table.name}.{column.name}" in decided:
                    continue
                yield Hit(table.name, column.name,
                          f"{table.name}.{column.name} is {column.sql_type} with no documented reason for the limit",
                          f"use text, or COMMENT ON COLUMN {q(table.name)}.{q(column.name)} IS '<why the limit>'")
