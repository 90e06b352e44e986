"""How the access patterns use one table: which columns they filter, and how."""

from __future__ import annotations

from dataclasses import dataclass

from schemawright import model as m
from schemawright.indexing.analysis import TableUse, shape


@dataclass(frozen=True)
class PatternUse:
    pattern: m.AccessPattern
    use: TableUse
    statement: str  # select, insert, update, delete

    def filters(self, column: str, *, by_range: bool) -> bool:
        """Does the pattern restrict `column` to a value (or, with by_range, a range)?"""
        return column in self.use.equality or (by_range and column in self.use.range)


def table_usage(design: m.Design, table: str) -> list[PatternUse]:
    out = []
    for pattern in design.access_patterns:
        if pattern.tables and table not in pattern.tables:
            continue
        try:
            query = shape(pattern.sql, design)
        except Exception:  # noqa: BLE001 - a pattern sqlglot cannot read was reported by `check`
            continue
        use = query.uses.get(table)
        if use is None:
            continue
        first = pattern.sql.lstrip("( \n").split(None, 1)[0].lower()
        statement = first if first in ("insert", "update", "delete") else "select"
        out.append(PatternUse(pattern, use, statement))
    return out


def searching(usage: list[PatternUse]) -> list[PatternUse]:
    """Patterns that look rows up (an INSERT ... VALUES only routes a row, it never searches)."""
    return [u for u in usage if u.statement != "insert" or u.use.equality or u.use.range]


def names(usage: list[PatternUse]) -> str:
    return ", ".join(sorted(u.pattern.name for u in usage))
