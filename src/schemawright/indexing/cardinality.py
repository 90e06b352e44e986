"""What the spec says of a table's size and a column's distinct values, for the offline first cut.

No database is asked: rows come from `volumes:`, distinct values from enum values, booleans
and `data:` profiles (`distinct: 4`, or a fraction of the rows).  A column with few distinct
values matches a large share of the rows for any one value, so a B-tree led by it is read
for many rows where a sequential or bitmap scan is cheaper (the planner will not use it).
"""

from __future__ import annotations

from schemawright import model as m

LOW_DISTINCT = 5  # at most this many values: every value is a fifth of the rows or more on average
LARGE_TABLE_ROWS = 10_000  # below this a scan of the table is cheap whichever index exists
FEW_ROWS = 20  # an equality lookup expected to find at most this many rows sorts them for free
TINY_PARENT_ROWS = 1_000  # a lookup table this small is read whole; see first_cut's foreign keys
HORIZON_MONTHS = 24  # rows a table holds two years on, as the partitioning step reckons


class Cardinality:
    """Rows per table and distinct values per column, from the design's spec sections."""

    def __init__(self, design: m.Design) -> None:
        self.design = design
        self._volumes = {}
        for volume in design.volumes:
            self._volumes.setdefault(volume.entity, volume)
        self._attributes: dict[str, m.Attribute] = {}
        for owner in (*design.entities, *design.relationships):
            for attribute in getattr(owner, "attributes", ()):
                self._attributes[f"{owner.name}.{attribute.name}"] = attribute

    def rows(self, table: str) -> int | None:
        """Rows at the horizon (declared rows plus two years of growth), None when undeclared."""
        found = self.design.table(table)
        volume = self._volumes.get(found.entity or "") if found else None
        volume = volume or self._volumes.get(table)
        if volume is None:
            return None
        if volume.retention_months:
            return max(volume.rows, volume.growth_per_month * volume.retention_months)
        return volume.rows + volume.growth_per_month * HORIZON_MONTHS

    def distinct(self, table: str, key: str) -> tuple[int, str] | None:
        """(distinct values, where that comes from) of a plain column, when the spec says."""
        found = self.design.table(table)
        column = found.column(key) if found else None
        if column is None:
            return None
        attribute = self._attributes.get(column.source or "")
        if attribute is not None and attribute.data is not None and attribute.data.distinct is not None:
            wanted = attribute.data.distinct
            if wanted >= 1:
                return int(wanted), f"its data profile says {int(wanted)} distinct values"
            rows = self.rows(table)
            if rows is not None:
                return max(1, round(wanted * rows)), f"its data profile says {wanted:g} of the rows are distinct"
            return None
        if column.sql_type == "boolean" or (attribute is not None and attribute.type == "boolean"):
            return 2, "it is a boolean"
        enum = next((e for e in self.design.enums if e.name == column.sql_type), None)
        values = enum.values if enum is not None else (attribute.values if attribute is not None else ())
        if values:
            return len(values), f"it is an enum of {len(values)} values"
        return None

    def low(self, table: str, key: str) -> str | None:
        """Why `key` is too unselective to lead a B-tree on `table`, or None when it may lead."""
        found = self.distinct(table, key)
        if found is None or found[0] > LOW_DISTINCT:
            return None
        rows = self.rows(table)
        if rows is not None and rows < LARGE_TABLE_ROWS:
            return None
        size = f"{rows:,} rows" if rows is not None else "a table of undeclared size"
        return f"{table}.{key} has {found[0]} distinct value(s) ({found[1]}): one value is about " \
               f"1/{found[0]} of {size}, more than a B-tree seek pays for"

    def rows_per_lookup(self, table: str, equality: list[str]) -> tuple[float, str] | None:
        """Rows one equality lookup on these columns is expected to find, and why: the table's rows
        over its parent's for a foreign key among them, or over a data profile's distinct values."""
        found, rows = self.design.table(table), self.rows(table)
        if found is None or rows is None:
            return None
        best: tuple[float, str] | None = None
        for fk in found.foreign_keys:
            parents = self.rows(fk.ref_table)
            if parents and set(fk.columns) <= set(equality):
                guess = (rows / parents, f"{rows:,} {table} rows over {parents:,} {fk.ref_table}")
                best = guess if best is None or guess[0] < best[0] else best
        for key in equality:
            distinct = self.distinct(table, key)
            if distinct is not None and distinct[0] > LOW_DISTINCT:
                guess = (rows / distinct[0], f"{rows:,} {table} rows over {distinct[0]:,} values of {key}")
                best = guess if best is None or guess[0] < best[0] else best
        return best
