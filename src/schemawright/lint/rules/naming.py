"""Naming: one case style, one plurality, no reserved words, PostgreSQL's 63-byte limit."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from pglast.keywords import RESERVED_KEYWORDS, TYPE_FUNC_NAME_KEYWORDS

from schemawright import model as m
from schemawright.lint.context import Context, words
from schemawright.lint.location import clip
from schemawright.lint.rule import Hit, Rule, register

MAX_BYTES = 63
_RESERVED = frozenset(RESERVED_KEYWORDS) | frozenset(TYPE_FUNC_NAME_KEYWORDS)
_IRREGULAR_PLURALS = {"people", "children", "men", "women", "mice", "geese", "feet", "teeth", "criteria",
                      "phenomena", "indices", "matrices", "vertices", "media", "alumni", "analyses", "theses"}
_NEUTRAL = {"data", "metadata", "information", "equipment", "staff", "feedback", "news", "series", "species",
            "sheep", "fish", "software", "hardware", "inventory", "personnel", "traffic", "analytics", "stats",
            "settings", "config", "audit", "history", "log"}


def _bare(name: str) -> str:
    return name.split(".")[-1]


def case_style(name: str) -> str | None:
    """snake (lower case), UPPER or Mixed; None for names with no letters."""
    letters = [c for c in name if c.isalpha()]
    if not letters:
        return None
    if not any(c.isupper() for c in letters):
        return "lower_snake"
    if not any(c.islower() for c in letters):
        return "UPPER_SNAKE"
    return "MixedCase"


def plurality(name: str) -> str | None:
    """plural, singular, or None when the last word cannot tell (data, settings, audit_log ...)."""
    parts = words(_bare(name))
    if not parts:
        return None
    word = parts[-1]
    if word in _NEUTRAL or not word.isalpha():
        return None
    if word in _IRREGULAR_PLURALS:
        return "plural"
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return "plural"
    return "singular"


@register
class InconsistentCase(Rule):
    code = "SW501"
    name = "inconsistent-case"
    family = "naming"
    severity = "warning"
    summary = "Table or column names mix case styles (snake_case next to CamelCase or UPPER)."
    rationale = (
        "PostgreSQL folds unquoted names to lower case, so a CamelCase or UPPER name must be double-quoted "
        "in every query forever (`\"OrderLines\"`), and a schema that mixes styles makes every name a "
        "guess. The majority style of the tables (and, separately, of the columns) is taken as the rule.")
    example = 'CREATE TABLE customers (id bigint PRIMARY KEY);\nCREATE TABLE "OrderLines" (id bigint PRIMARY KEY);'
    fixed = "CREATE TABLE customers (id bigint PRIMARY KEY);\nCREATE TABLE order_lines (id bigint PRIMARY KEY);"
    fix = "Rename to the schema's prevailing style (ALTER TABLE/COLUMN ... RENAME), lower snake_case preferably."

    def check(self, ctx: Context) -> Iterator[Hit]:
        tables = [(t.name, None, _bare(t.name)) for t in ctx.design.tables]
        columns = [(t.name, c.name, c.name) for t in ctx.design.tables for c in t.columns]
        for kind, items in (("table", tables), ("column", columns)):
            styles = {item: case_style(item[2]) for item in items}
            counts = Counter(s for s in styles.values() if s)
            if len(counts) < 2:
                continue
            top = max(counts.items(), key=lambda kv: (kv[1], kv[0] == "lower_snake"))[0]
            for (table, column, name), style in styles.items():
                if style and style != top:
                    what = f"{table}.{column}" if column else table
                    yield Hit(table, column,
                              f"{kind} {what} is {style} while most {kind}s are {top} "
                              f"({counts[top]} of {sum(counts.values())})")


@register
class InconsistentPlurality(Rule):
    code = "SW502"
    name = "inconsistent-plurality"
    family = "naming"
    severity = "warning"
    summary = "Table names mix singular and plural (customer next to orders)."
    rationale = (
        "Whether tables are named for one row (customer) or for the set (customers) is a matter of taste, "
        "but mixing the two means every query writer has to remember which is which. The design's declared "
        "convention (naming.tables) wins; otherwise the majority of entity tables sets it. Junction and "
        "list tables, and names whose last word cannot tell (data, settings), are not judged; nor is a plural "
        "whose singular is a reserved word (orders, users, groups in a singular schema: SW503 would refuse "
        "order).")
    example = "CREATE TABLE customer (id bigint PRIMARY KEY);\nCREATE TABLE orders (id bigint PRIMARY KEY);"
    fixed = "CREATE TABLE customers (id bigint PRIMARY KEY);\nCREATE TABLE orders (id bigint PRIMARY KEY);"
    fix = "Rename the odd tables (ALTER TABLE ... RENAME TO ...) to the prevailing plurality."

    def check(self, ctx: Context) -> Iterator[Hit]:
        judged = {t.name: plurality(t.name) for t in ctx.design.tables if t.kind == "entity"}
        counts = Counter(p for p in judged.values() if p)
        if ctx.design.naming.declared("tables"):
            expected = ctx.design.naming.tables
            basis = "the declared naming convention"
        elif len(counts) == 2:
            expected = max(counts.items(), key=lambda kv: (kv[1], kv[0] == "plural"))[0]
            basis = f"{counts[expected]} of {sum(counts.values())} tables"
        else:
            return
        for name, found in judged.items():
            # orders, users, groups: the singular is a reserved word (SW503), so the plural is the way out
            escape = found == "plural" and _bare(name).lower()[:-1] in _RESERVED
            if found and found != expected and not escape:
                yield Hit(name, None, f"table {name} is {found}, but tables are {expected} ({basis})")


@register
class ReservedWord(Rule):
    code = "SW503"
    name = "reserved-word"
    family = "naming"
    severity = "warning"
    summary = "A table or column is named with an SQL reserved word (user, order, group ...)."
    rationale = (
        "A reserved word can only be used as a name when double-quoted, so every hand-written query, "
        "report and tool must remember to quote it, and forgetting gives baffling syntax errors (or, for "
        "`user`, silently the current role name). Words PostgreSQL reserves, or reserves for types and "
        "functions, are reported.")
    example = 'CREATE TABLE "user" (id bigint PRIMARY KEY, "order" integer);'
    fixed = "CREATE TABLE users (id bigint PRIMARY KEY, sort_order integer);"
    fix = "Rename (app_user, sort_order, user_group ...) so the name never needs quoting."

    def check(self, ctx: Context) -> Iterator[Hit]:
        for table in ctx.design.tables:
            if _bare(table.name).lower() in _RESERVED:
                yield Hit(table.name, None, f"table name {_bare(table.name)!r} is a reserved word")
            for column in table.columns:
                if column.name.lower() in _RESERVED:
                    yield Hit(table.name, column.name, f"column {table.name}.{column.name} is a reserved word")


@register
class NameTooLong(Rule):
    code = "SW504"
    name = "name-too-long"
    family = "naming"
    severity = "error"
    summary = "A name is longer than PostgreSQL's 63-byte identifier limit."
    rationale = (
        "PostgreSQL silently truncates identifiers to 63 bytes (NAMEDATALEN - 1), so two long names that "
        "share a prefix collide, and the name in the database differs from the one in the migration, the "
        "ORM and the documentation. Bytes count, not characters: non-ASCII letters take two or more.")
    example = ("CREATE TABLE customer_subscription_billing_address_verification_attempts_history (\n"
               "    id bigint PRIMARY KEY\n);")
    fixed = "CREATE TABLE billing_address_verification_attempts (\n    id bigint PRIMARY KEY\n);"
    fix = "Shorten the name to 63 bytes or fewer."

    def check(self, ctx: Context) -> Iterator[Hit]:
        design = ctx.design

        def long(name: str) -> bool:
            return len(_bare(name).encode()) > MAX_BYTES

        for table in design.tables:
            if long(table.name):
                yield Hit(table.name, None, _message("table", table.name))
            for column in table.columns:
                if long(column.name):
                    yield Hit(table.name, column.name, _message(f"column of {table.name}", column.name))
            constraints = [c.name for c in (table.primary_key,) if c] + [c.name for c in table.foreign_keys] + \
                [c.name for c in table.uniques] + [c.name for c in table.checks] + [c.name for c in table.exclusions]
            for name in constraints:
                if long(name):
                    yield Hit(table.name, None, _message(f"constraint on {table.name}", name))
        for index in design.indexes:
            if long(index.name):
                yield Hit(index.table, None, _message(f"index on {index.table}", index.name))
        for enum in design.enums:
            if long(enum.name):
                yield Hit(None, None, _message("type", enum.name))
        if ctx.source_text and ctx.source_kind in ("sql", "dbml"):
            # PostgreSQL's parser (and so the SQL importer) truncates long names; the file still has them.
            yield from _long_in_source(ctx.source_text, design)


_NOISE = re.compile(r"'(?:[^']|'')*'|\$(\w*)\$.*?\$\1\$|--[^\n]*|/\*.*?\*/", re.DOTALL)
# Every quoted name is consumed whole (a short one too, or its closing quote would open the next
# "name"); bare words only when long enough to possibly pass 63 bytes (4 bytes a character at most).
_IDENT = re.compile(r'"((?:[^"]|"")*)"|(?<![\w$"])([A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]{15,})')


def _long_in_source(text: str, design: m.Design) -> Iterator[Hit]:
    seen: set[str] = set()
    tables = {_bare(t.name): t for t in design.tables}
    owners: dict[str, str] = {}
    for t in design.tables:
        for c in t.columns:
            if len(c.name.encode()) >= MAX_BYTES:
                owners.setdefault(c.name, t.name)
    for match in _IDENT.finditer(_NOISE.sub(" ", text)):
        name = match.group(1).replace('""', '"') if match.group(1) is not None else match.group(2).lower()
        if len(name.encode()) <= MAX_BYTES or name in seen:
            continue
        seen.add(name)
        kept = clip(name)
        table = design.table(kept) or tables.get(kept)
        if table is not None:
            yield Hit(table.name, None, _message("table", name))
            continue
        owner = owners.get(kept)
        if owner is not None:
            yield Hit(owner, kept, _message(f"column of {owner}", name))
            continue
        yield Hit(None, None, _message("identifier", name))


def _message(what: str, name: str) -> str:
    size = len(name.encode())
    return f"{what} name {name!r} is {size} bytes; PostgreSQL keeps only the first {MAX_BYTES}"
