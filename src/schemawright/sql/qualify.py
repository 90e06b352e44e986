"""A rule's condition read from named rows: its own columns from one alias, `parent.x` from another."""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from schemawright.sql.parsed import shared_tree


def qualified(expression: str, alias: str, parent: str = "parent") -> str | None:
    """`expression` with its unqualified columns read from `alias`, and `parent.x` from `parent`."""
    try:
        tree = sqlglot.parse_one(expression, read="postgres")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
        return None

    def fix(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and not node.table:
            node.set("table", exp.to_identifier(alias))
        elif isinstance(node, exp.Column) and node.table.lower() == "parent" and parent != "parent":
            node.set("table", exp.to_identifier(parent))
        return node

    return tree.transform(fix).sql(dialect="postgres")


def read_from(text: str, alias: str) -> list[str]:
    """The columns `text` reads from `alias` (as `qualified` wrote them), sorted; [] when it does not parse."""
    tree = shared_tree(text)
    return sorted({c.name for c in tree.find_all(exp.Column) if c.table == alias}) if tree is not None else []
