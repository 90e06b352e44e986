"""Rows each table holds over time, from the spec's volumes.

A table with a volume holds `rows` at launch and gains `growth_per_month`; with
`retention_months`, rows older than that are removed, so it plateaus at growth × retention.
A table without a volume follows generation.counts' rule: a junction or list table about two
rows per row of its largest parent, another child table as many as its largest parent (growing
alike), a table with no parent DEFAULT_ROWS that do not grow (assumed; give it a volume).
"""

from __future__ import annotations

from dataclasses import dataclass

from schemawright import model as m

DEFAULT_ROWS = 1000
JUNCTION_FACTOR = 2


@dataclass(frozen=True)
class TableVolume:
    rows: float  # at launch
    growth_per_month: float = 0.0
    retention_months: int | None = None
    declared: bool = True  # False: derived from a parent table (or assumed)

    def held(self, months: float) -> float:
        """Rows held `months` after launch."""
        if months <= 0 or self.growth_per_month <= 0:
            return self.rows
        grown = self.rows + self.growth_per_month * months
        if self.retention_months is None:
            return grown
        return min(grown, self.growth_per_month * self.retention_months)

    def inserted(self, months: float) -> float:
        """Rows ever inserted by then (what an identity column has counted): the launch rows
        and every month's growth, removed rows included."""
        return self.rows + max(self.growth_per_month, 0.0) * max(months, 0.0)


def table_volumes(design: m.Design) -> dict[str, TableVolume]:
    declared = {v.entity: v for v in design.volumes}
    out: dict[str, TableVolume] = {}
    visiting: set[str] = set()

    def volume(table: m.Table) -> TableVolume:
        if table.name in out:
            return out[table.name]
        found = declared.get(table.entity or "") or declared.get(table.name)
        if found is not None:
            out[table.name] = TableVolume(float(found.rows), float(found.growth_per_month), found.retention_months)
            return out[table.name]
        visiting.add(table.name)
        parents = [volume(p) for fk in table.foreign_keys
                   if fk.ref_table not in visiting and (p := design.table(fk.ref_table)) is not None]
        visiting.discard(table.name)
        if not parents:
            result = TableVolume(float(DEFAULT_ROWS), declared=False)
        else:
            largest = max(parents, key=lambda v: v.rows)
            factor = JUNCTION_FACTOR if table.kind in ("junction", "list") else 1
            result = TableVolume(largest.rows * factor, largest.growth_per_month * factor,
                                 largest.retention_months, declared=False)
        out[table.name] = result
        return result

    for table in design.tables:
        volume(table)
    return {t.name: out[t.name] for t in design.tables}
