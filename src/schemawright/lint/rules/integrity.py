"""Integrity: primary keys, foreign keys the schema forgot, nullability, enum-like text."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import ClassVar

from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from schemawright import model as m
from schemawright.lint.context import SQL, Context, fix, q, words
from schemawright.lint.rule import Hit, Rule, register
from schemawright.naming import pluralise
from schemawright.sql import types


@register
class MissingPrimaryKey(Rule):
    code = "SW201"
    name = "missing-primary-key"
    family = "integrity"
    severity = "error"
    summary = "A table has a unique key but no PRIMARY KEY."
    rationale = (
        "The primary key is the identity every tool relies on: logical replication needs it (or a replica "
        "identity) to replicate updates and deletes, ORMs and CDC pipelines look for it, and foreign keys "
        "default to it. A unique constraint on NOT NULL columns is a key in all but name; promote it. (A "
        "table without any key is reported by SW103.)")
    example = "CREATE TABLE countries (\n    code text NOT NULL UNIQUE,\n    name text NOT NULL\n);"
    fixed = "CREATE TABLE countries (\n    code text PRIMARY KEY,\n    name text NOT NULL\n);"
    fix = "Declare the key as PRIMARY KEY (ALTER TABLE ... ADD PRIMARY KEY USING INDEX ...)."

    def check(self, ctx: Context) -> Iterator[Hit]:
        for table in ctx.design.tables:
            if table.primary_key is None and (keys := ctx.keys(table)):
                key = ", ".join(keys[0])
                yield Hit(table.name, None, f"table {table.name} has no primary key",
                          f"promote the unique key ({key}) to the primary key")


def _table_names(design: m.Design) -> dict[str, str]:
    """lower-case bare name -> table name."""
    out: dict[str, str] = {}
    for t in design.tables:
        out.setdefault(t.name.split(".")[-1].lower(), t.name)
    return out


@register
class UnconstrainedReference(Rule):
    code = "SW202"
    name = "unconstrained-reference"
    family = "integrity"
    severity = "warning"
    summary = "A column named like a foreign key (customer_id) has no FOREIGN KEY constraint."
    rationale = (
        "A column named after another table's key is a reference in everything but the constraint. Without "
        "the constraint nothing stops orphans (ids of deleted or never-existing rows), joins silently lose "
        "rows, and tools that draw diagrams or plan deletes cannot see the relationship.")
    example = ("CREATE TABLE customers (id bigint PRIMARY KEY);\n"
               "CREATE TABLE orders (\n    id bigint PRIMARY KEY,\n    customer_id bigint NOT NULL\n);")
    fixed = ("CREATE TABLE customers (id bigint PRIMARY KEY);\n"
             "CREATE TABLE orders (\n    id bigint PRIMARY KEY,\n"
             "    customer_id bigint NOT NULL REFERENCES customers (id)\n);")
    fix = "Add the FOREIGN KEY constraint (NOT VALID first, then VALIDATE CONSTRAINT, on a large live table)."

    def check(self, ctx: Context) -> Iterator[Hit]:
        tables = _table_names(ctx.design)
        for table in ctx.design.tables:
            referenced = {c for fk in table.foreign_keys for c in fk.columns}
            own = table.name.split(".")[-1].lower()
            for column in table.columns:
                parts = words(column.name)
                if len(parts) < 2 or parts[-1] != "id" or column.name in referenced:
                    continue
                stem = "_".join(parts[:-1])
                target = next((tables[n] for n in (stem, pluralise(stem), stem + "s") if n in tables), None)
                if target is None or target.split(".")[-1].lower() == own:
                    continue
                yield Hit(table.name, column.name,
                          f"{table.name}.{column.name} looks like a reference to {target} but has no foreign key",
                          fix(SQL.add_foreign_key_sql(table.name, m.ForeignKey(
                              name="", columns=(column.name,), ref_table=target, ref_columns=(), on_delete=""))))


@register
class NullableForeignKey(Rule):
    code = "SW203"
    name = "nullable-foreign-key"
    family = "integrity"
    severity = "info"
    summary = "A foreign key column allows NULL, so a row may have no parent."
    rationale = (
        "A NULL foreign key means 'no parent', which is right for an optional relationship but a silent "
        "hole when every row is meant to have one: rows without a parent drop out of inner joins. Specs that "
        "declare the relationship optional (`required: false`), and ON DELETE SET NULL, are not reported.")
    example = ("CREATE TABLE customers (id bigint PRIMARY KEY);\n"
               "CREATE TABLE orders (\n    id bigint PRIMARY KEY,\n"
               "    customer_id bigint REFERENCES customers\n);")
    fixed = ("CREATE TABLE customers (id bigint PRIMARY KEY);\n"
             "CREATE TABLE orders (\n    id bigint PRIMARY KEY,\n"
             "    customer_id bigint NOT NULL REFERENCES customers\n);")
    fix = "Add NOT NULL if every row has a parent; otherwise document the relationship as optional."

    def check(self, ctx: Context) -> Iterator[Hit]:
        # Only a spec declares optionality; an importer derives `required` from the nullability itself.
        designed = not ctx.design.source.imported
        for table in ctx.design.tables:
            for fk in table.foreign_keys:
                nullable = [c for c in fk.columns if (col := table.column(c)) is not None and col.nullable]
                if not nullable or fk.on_delete.lower().replace("_", " ") == "set null":
                    continue
                relationship = ctx.relationship(fk.relationship)
                if designed and relationship is not None and not relationship.required:
                    continue
                yield Hit(table.name, nullable[0],
                          f"foreign key {table.name}.({', '.join(fk.columns)}) -> {fk.ref_table} is nullable",
                          fix(SQL.set_not_null_sql(table.name, nullable[0])) + ", if every row has a parent")


@register
class NullableFilterColumn(Rule):
    code = "SW204"
    name = "nullable-filter-column"
    family = "integrity"
    severity = "warning"
    summary = "Every access pattern on a table filters on a column that allows NULL."
    rationale = (
        "When every query reaches a table's rows through a column (`WHERE tenant_id = :t`, `WHERE "
        "sku = :sku`), a row where that column is NULL can never be found: it is garbage the application "
        "cannot see. Requiring the column says so in the schema and lets the planner rely on it. Columns "
        "that a pattern tests with IS NULL are not reported.")
    example = ("CREATE TABLE products (id bigint PRIMARY KEY, sku text);\n"
               "-- every pattern: SELECT ... FROM products WHERE sku = :sku")
    fixed = "CREATE TABLE products (id bigint PRIMARY KEY, sku text NOT NULL);"
    fix = "Add NOT NULL (backfill or delete the rows with NULL first)."

    def check(self, ctx: Context) -> Iterator[Hit]:
        for table in ctx.design.tables:
            uses = [u for u in ctx.pattern_uses if table.name in u.touches
                    and not (u.statement == "insert" and u.write_target == table.name)]
            if not uses:
                continue
            required = set.intersection(*(u.filters.get(table.name, set()) for u in uses))
            tested = set().union(*(u.null_tests.get(table.name, set()) for u in uses))
            for name in sorted(required - tested):
                column = table.column(name)
                if column is not None and column.nullable:
                    names = ", ".join(sorted(u.pattern.name for u in uses))
                    yield Hit(table.name, name,
                              f"{table.name}.{name} allows NULL, but every access pattern on {table.name} "
                              f"filters on it ({names})",
                              fix(SQL.set_not_null_sql(table.name, name)))


@register
class UncheckedEnumText(Rule):
    code = "SW205"
    name = "unchecked-enum-text"
    family = "integrity"
    severity = "warning"
    summary = "A text column named status, type, kind or state has no CHECK, enum type or lookup table."
    rationale = (
        "Columns named status, type, kind or state hold one of a few known values. As free text they "
        "collect typos and case variants ('Shipped', 'shipped ', 'shiped') that every query and report must "
        "then handle; a CHECK (or an enum type, or a foreign key to a lookup table) keeps the set closed. "
        "Names in the `allow` option (content_type, mime_type ...) hold open-ended values and are not reported.")
    example = "CREATE TABLE orders (\n    id bigint PRIMARY KEY,\n    status text NOT NULL\n);"
    fixed = ("CREATE TABLE orders (\n    id bigint PRIMARY KEY,\n    status text NOT NULL\n"
             "        CHECK (status IN ('open', 'paid', 'shipped'))\n);")
    fix = "Add CHECK (column IN (...)), or use an enum type or a foreign key to a lookup table."
    options: ClassVar[dict[str, object]] = {"names": ["status", "type", "kind", "state"],
               "allow": ["content_type", "mime_type", "media_type", "time_zone_type"]}

    def check(self, ctx: Context) -> Iterator[Hit]:
        names = {str(n).lower() for n in ctx.option(self.code, "names")}  # type: ignore[union-attr]
        allowed = {str(n).lower() for n in ctx.option(self.code, "allow")}  # type: ignore[union-attr]
        for table in ctx.design.tables:
            referenced = {c for fk in table.foreign_keys for c in fk.columns}
            for column in table.columns:
                parts = words(column.name)
                if not parts or parts[-1] not in names or column.name in referenced or "_".join(parts) in allowed:
                    continue
                if types.family(column.sql_type or "text") != "text":
                    continue
                if any(_constrains_values(check.expression, column.name) for check in table.checks):
                    continue
                yield Hit(table.name, column.name,
                          f"{table.name}.{column.name} is free text, but its name says it holds one of a few values",
                          fix(SQL.add_constraint_sql(table.name, m.Check(name="", expression=f"{q(column.name)} IN (...)"))))


@lru_cache(maxsize=4096)
def _parsed_check(expression: str) -> exp.Expression | None:
    import sqlglot

    try:
        return sqlglot.parse_one(expression, read="postgres")
    except (ParseError, TokenError, ValueError):
        return None


def _constrains_values(expression: str, column: str) -> bool:
    """Whether a CHECK limits `column` to listed values (IN, = ANY (ARRAY[...]), = 'literal') or to a
    code of fixed shape (an anchored pattern: `state ~ '^[A-Z]{2}$'`, a state code, not a status)."""
    if column not in expression:
        return False
    tree = _parsed_check(expression)
    if tree is None:
        return " in " in expression.lower() or "any" in expression.lower()

    def is_col(node: exp.Expression | None) -> bool:
        while isinstance(node, (exp.Cast, exp.Paren, exp.Lower, exp.Upper)):
            node = node.this
        return isinstance(node, exp.Column) and node.name == column

    for node in tree.walk():
        if isinstance(node, exp.In) and is_col(node.this):
            return True
        if isinstance(node, exp.RegexpLike) and is_col(node.this) and isinstance(node.expression, exp.Literal) \
                and node.expression.name.startswith("^") and node.expression.name.endswith("$"):
            return True
        if isinstance(node, exp.EQ):
            sides = (node.this, node.expression)
            if any(is_col(s) for s in sides) and any(isinstance(s, (exp.Literal, exp.Any)) or
                                                     s.find(exp.Literal, exp.Any) is not None for s in sides
                                                     if not is_col(s)):
                return True
    return False
