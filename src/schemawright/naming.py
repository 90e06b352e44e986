"""How spec names become SQL names; shared by reference checks and the logical stage."""

from __future__ import annotations

import hashlib
import re

from schemawright.sql.quoting import MAX_IDENTIFIER_BYTES

_CAMEL_1 = re.compile(r"([^_\s])([A-Z][a-z]+)")
_CAMEL_2 = re.compile(r"([a-z0-9])([A-Z])")
_SEPARATORS = re.compile(r"[\s\-]+")


def snake(name: str) -> str:
    """CustomerOrder -> customer_order; 'Order Line' -> order_line; unicode kept."""
    text = _SEPARATORS.sub("_", name.strip())
    text = _CAMEL_1.sub(r"\1_\2", text)
    text = _CAMEL_2.sub(r"\1_\2", text)
    return text.lower()


def pluralise(word: str) -> str:
    """Simple English plural of the last word (documented in docs/spec.md)."""
    lower = word.lower()
    if lower.endswith("y") and len(word) > 1 and lower[-2] not in "aeiou":
        return word[:-1] + ("IES" if word[-1].isupper() else "ies")
    if lower.endswith(("s", "x", "z", "ch", "sh")):
        return word + ("ES" if word[-1].isupper() else "es")
    return word + ("S" if word[-1:].isupper() else "s")


def fit(name: str) -> str:
    """Shorten a name to PostgreSQL's 63-byte limit, keeping it unique with a hash suffix."""
    if len(name.encode()) <= MAX_IDENTIFIER_BYTES:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:8]
    head = name.encode()[: MAX_IDENTIFIER_BYTES - 9].decode(errors="ignore")
    return f"{head}_{digest}"


class Namer:
    """Naming conventions chosen in the spec's `naming:` section."""

    def __init__(self, tables: str = "plural", case: str = "snake"):
        self.plural = tables == "plural"
        self.snake_case = case == "snake"

    def ident(self, name: str) -> str:
        return fit(snake(name) if self.snake_case else name)

    def table(self, entity: str, override: str | None = None) -> str:
        if override:
            return fit(override)
        base = self.ident(entity)
        return fit(pluralise(base)) if self.plural else base

    def singular(self, entity: str) -> str:
        return self.ident(entity)

    def column(self, attribute: str, override: str | None = None) -> str:
        return fit(override) if override else self.ident(attribute)

    def fk_column(self, parent_entity: str, role: str | None) -> str:
        return fit(f"{self.ident(role) if role else self.singular(parent_entity)}_id")

    def junction(self, name: str) -> str:
        return self.ident(name)

    def list_table(self, entity: str, attribute: str) -> str:
        return fit(f"{self.singular(entity)}_{self.ident(attribute)}")


def constraint(prefix: str, table: str, *parts: str) -> str:
    """pk_/fk_/uq_/ck_/ix_ names: prefix_table_part1_part2, fitted to 63 bytes."""
    return fit("_".join([prefix, table, *parts]))
