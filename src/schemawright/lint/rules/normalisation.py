"""Normalisation: repeating groups, lists packed into text, tables without a key, and
declared functional dependencies that break 2NF, 3NF or BCNF."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import ClassVar

from schemawright.lint.context import Context
from schemawright.lint.rule import Hit, Rule, register
from schemawright.sql import types

_NUMBERED = re.compile(r"^(?P<stem>.*?[a-z_])_?(?P<n>\d+)(?P<rest>_[a-z][a-z0-9_]*)?$")


def _is_text(sql_type: str) -> bool:
    return types.family(sql_type) == "text"


@register
class RepeatingGroup(Rule):
    code = "SW101"
    name = "repeating-group"
    family = "normalisation"
    severity = "warning"
    summary = "Numbered columns (phone1, phone2, phone3) are a repeating group."
    rationale = (
        "A fixed set of numbered columns stores a list in one row: the number of values is capped by the "
        "schema, queries must test every column (`phone1 = :p OR phone2 = :p ...`), an index serves only one of "
        "them, and adding a fourth value is a migration. First normal form puts each value in its own row.")
    example = "CREATE TABLE customers (\n    id bigint PRIMARY KEY,\n    phone1 text,\n    phone2 text,\n    phone3 text\n);"
    fixed = ("CREATE TABLE customers (id bigint PRIMARY KEY);\n"
             "CREATE TABLE customer_phones (\n    customer_id bigint NOT NULL REFERENCES customers,\n"
             "    position smallint NOT NULL,\n    phone text NOT NULL,\n    PRIMARY KEY (customer_id, position)\n);")
    fix = "Move the values to a child table with one row per value, keyed by the owner and a position or kind."
    # Lines of one postal address (street_1, street_2) are its parts in order, not a list of values.
    options: ClassVar[dict[str, object]] = {"allow": ["line", "address_line", "address", "street"]}

    def check(self, ctx: Context) -> Iterator[Hit]:
        allowed = {str(a).lower() for a in ctx.option(self.code, "allow")}  # type: ignore[union-attr]
        for table in ctx.design.tables:
            groups: dict[tuple[str, str], list[tuple[int, str]]] = {}
            for column in table.columns:
                found = _NUMBERED.match(column.name.lower())
                if found:
                    key = (found["stem"].rstrip("_"), found["rest"] or "")
                    groups.setdefault(key, []).append((int(found["n"]), column.name))
            for (stem, _rest), members in sorted(groups.items()):
                numbers = sorted(n for n, _ in members)
                if len(members) < 2 or not stem or stem in allowed or stem.split("_")[-1] in allowed:
                    continue
                if numbers[0] > 2 or numbers != list(range(numbers[0], numbers[0] + len(numbers))):
                    continue  # ipv4/ipv6, sha1/sha256: numbers that name variants, not positions
                names = [name for _, name in sorted(members)]
                yield Hit(table.name, names[0],
                          f"{table.name}.{', '.join(names)} form a repeating group of {stem!r} values",
                          f"store them in a child table ({table.name}_{stem}s or similar) with one row per value")


@register
class DelimitedList(Rule):
    code = "SW102"
    name = "delimited-list"
    family = "normalisation"
    severity = "warning"
    summary = "A text column whose sample values are delimited lists ('red,green,blue')."
    rationale = (
        "A list packed into one text value cannot be constrained, referenced by a foreign key or indexed "
        "per element; every query splits strings, and updating one element rewrites the whole value. This "
        "rule needs sample rows (see `samples:` in the config file) and is silent without them.")
    example = "CREATE TABLE products (id bigint PRIMARY KEY, tags text);\n-- sample value: 'outdoor,summer,sale'"
    fixed = ("CREATE TABLE products (id bigint PRIMARY KEY);\n"
             "CREATE TABLE product_tags (\n    product_id bigint NOT NULL REFERENCES products,\n"
             "    tag text NOT NULL,\n    PRIMARY KEY (product_id, tag)\n);")
    fix = "Store one element per row in a child table (or use an array column if elements are never referenced)."
    options: ClassVar[dict[str, object]] = {"min_values": 3, "share": 0.6, "delimiters": [",", ";", "|"]}
    needs_samples = True

    def check(self, ctx: Context) -> Iterator[Hit]:
        min_values = int(ctx.option(self.code, "min_values"))  # type: ignore[arg-type]
        share = float(ctx.option(self.code, "share"))  # type: ignore[arg-type]
        delimiters = [str(d) for d in ctx.option(self.code, "delimiters")]  # type: ignore[union-attr]
        for table in ctx.design.tables:
            rows = ctx.samples.get(table.name)
            if not rows:
                continue
            for column in table.columns:
                if not _is_text(column.sql_type or "text"):
                    continue
                values = [str(r[column.name]).strip() for r in rows
                          if r.get(column.name) not in (None, "") and str(r.get(column.name)).strip()]
                if len(values) < min_values:
                    continue
                for delimiter in delimiters:
                    listed = [v for v in values if _looks_listed(v, delimiter)]
                    if len(listed) >= share * len(values):
                        yield Hit(table.name, column.name,
                                  f"{len(listed)} of {len(values)} sample values of {table.name}.{column.name} are "
                                  f"lists separated by {delimiter!r}, e.g. {listed[0]!r}")
                        break


def _looks_listed(value: str, delimiter: str) -> bool:
    parts = [p.strip() for p in value.split(delimiter)]
    if len(parts) < 2 or any(not p for p in parts):
        return False
    return all(len(p) <= 40 and not re.search(r"\s", p) for p in parts)


@register
class NoKey(Rule):
    code = "SW103"
    name = "no-key"
    family = "normalisation"
    severity = "error"
    summary = "A table with no primary key and no unique NOT NULL columns has no key at all."
    rationale = (
        "A relation is a set: without any key nothing stops two identical rows, no row can be updated or "
        "deleted on its own, foreign keys cannot point at it, and logical replication cannot replicate "
        "updates or deletes. (A table that has a unique key but no primary key is reported by SW201.)")
    example = "CREATE TABLE page_views (\n    url text,\n    viewed_at timestamptz\n);"
    fixed = ("CREATE TABLE page_views (\n    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
             "    url text NOT NULL,\n    viewed_at timestamptz NOT NULL\n);")
    fix = "Declare the natural key as the primary key, or add a bigint identity primary key."

    def check(self, ctx: Context) -> Iterator[Hit]:
        for table in ctx.design.tables:
            if table.primary_key is None and not ctx.keys(table):
                yield Hit(table.name, None, f"table {table.name} has no key: nothing identifies a row")


@register
class NonKeyDependency(Rule):
    code = "SW104"
    name = "non-key-dependency"
    family = "normalisation"
    severity = "warning"
    summary = "A declared functional dependency whose determinant is not a key (2NF, 3NF or BCNF violation)."
    rationale = (
        "When columns X determine columns Y but X is not a key of the table, every row repeats the same "
        "X -> Y fact: an update must change all of them or the copies disagree, and a fact cannot be stored "
        "before a row needs it. A determinant that is part of a key breaks 2NF, a non-key determinant of "
        "non-key columns breaks 3NF, any other non-key determinant breaks BCNF. Deliberate denormalisation is "
        "fine: say why in the rule's description and suppress the finding there (`lint: ignore SW104`); a "
        "recorded decision whose subject is the rule and whose choice says denormalise also silences it.")
    example = ("CREATE TABLE addresses (\n    id bigint PRIMARY KEY,\n    country_code text NOT NULL,\n"
               "    postal_code text NOT NULL,\n    region text   -- (country_code, postal_code) -> region\n);")
    fixed = ("CREATE TABLE postal_regions (\n    country_code text,\n    postal_code text,\n    region text NOT NULL,\n"
             "    PRIMARY KEY (country_code, postal_code)\n);\n"
             "CREATE TABLE addresses (\n    id bigint PRIMARY KEY,\n    country_code text NOT NULL,\n"
             "    postal_code text NOT NULL,\n"
             "    FOREIGN KEY (country_code, postal_code) REFERENCES postal_regions\n);")
    fix = "Move the dependent columns to a table keyed by the determinant and reference it (or declare X unique)."

    def check(self, ctx: Context) -> Iterator[Hit]:
        design = ctx.design
        denormalised = {d.subject for d in design.decisions if "denormal" in d.choice.lower()}
        for rule in design.rules:
            if rule.kind != "depends":
                continue
            table = design.table_for_entity(rule.entity) or design.table(rule.entity)
            if table is None:
                continue
            determinant = set(rule.columns)
            dependent = [c for c in rule.dependent if c not in determinant]
            if not dependent or any(table.column(c) is None for c in (*rule.columns, *dependent)):
                continue
            keys = ctx.keys(table)
            if not keys or any(set(k) <= determinant for k in keys) or rule.name in denormalised:
                continue
            prime = {c for k in keys for c in k}
            non_prime = [c for c in dependent if c not in prime]
            lhs, rhs = ", ".join(rule.columns), ", ".join(dependent)
            if non_prime and any(determinant < set(k) for k in keys):
                form = "2NF (a partial dependency on part of a key)"
            elif non_prime:
                form = "3NF (a transitive dependency through non-key columns)"
            else:
                form = "BCNF (the determinant is not a key)"
            yield Hit(table.name, dependent[0],
                      f"{table.name}: ({lhs}) -> ({rhs}) declared by rule {rule.name!r} breaks {form}",
                      f"move ({rhs}) to a table keyed by ({lhs}) and reference it, or make ({lhs}) unique "
                      f"if it really is a key",
                      notes=(rule.description or "",), anchor=("rule", rule.name))
