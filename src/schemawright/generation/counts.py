"""How many rows each table gets: the declared volume times the scale.

A junction table's volume is given by its many-to-many relationship's name (or its own name),
a list table's by `Entity.attribute` (or its own name).
Tables without a volume: a junction or list table gets about two rows per row of its
largest parent (never more than the distinct pairs its key allows), any other child
table as many rows as its largest parent, and a table with no parent DEFAULT_ROWS × scale.
A table whose foreign key is unique (one-to-one) never has more rows than that parent.
"""

from __future__ import annotations

from schemawright import model as m

MIN_ROWS = 5
DEFAULT_ROWS = 1000  # per table without a volume and without a parent, at scale 1
JUNCTION_FACTOR = 2


def load_order(design: m.Design) -> list[m.Table]:
    """Tables with every referenced table first.  A cycle is broken at a table whose
    foreign keys into the cycle are all nullable (they stay NULL), design order otherwise."""
    names = {t.name for t in design.tables}
    done: set[str] = set()
    order: list[m.Table] = []
    remaining = list(design.tables)

    def waits_for(table: m.Table) -> list[m.ForeignKey]:
        return [fk for fk in table.foreign_keys if fk.ref_table != table.name and fk.ref_table in names
                and fk.ref_table not in done]

    def breakable(table: m.Table) -> bool:
        return all(all(getattr(table.column(c), "nullable", False) for c in fk.columns) for fk in waits_for(table))

    while remaining:
        ready = next((t for t in remaining if not waits_for(t)), None) or next(
            (t for t in remaining if breakable(t)), remaining[0])
        remaining.remove(ready)
        done.add(ready.name)
        order.append(ready)
    return order


def _volume_rows(design: m.Design) -> dict[str, int]:
    by_entity = {v.entity: v.rows for v in design.volumes}
    out = {}
    for table in design.tables:
        if table.entity in by_entity:  # a junction by its relationship, a list table by `Entity.attribute`
            out[table.name] = by_entity[table.entity]
        elif table.name in by_entity:
            out[table.name] = by_entity[table.name]
    return out


def unique_fk_parents(table: m.Table) -> list[list[str]]:
    """For each unique key made only of foreign-key columns: the parent table of each column."""
    keys = ([table.primary_key.columns] if table.primary_key else []) + [u.columns for u in table.uniques]
    owner = {}
    for fk in table.foreign_keys:
        for column in fk.columns:
            owner.setdefault(column, fk.ref_table)
    out = []
    for key in keys:
        if key and all(c in owner for c in key):
            out.append(list(dict.fromkeys(owner[c] for c in key)))
    return out


def declared_counts(design: m.Design, scale: float) -> dict[str, int]:
    """Rows each table with a volume should hold: its volume times the scale (at least MIN_ROWS).

    A table whose unique key pairs its parents' keys (TPC-C's stock: one row per warehouse and
    item) holds at most the product of their rows, which shrinks with the square of the scale:
    below scale 1 that cap is what it should hold, when the key holds the declared volume at
    scale 1.  Where it does not even then, the spec's volumes disagree and the table is short."""
    volumes = _volume_rows(design)
    declared = {name: max(MIN_ROWS, round(rows * scale)) for name, rows in volumes.items()}
    if scale < 1:
        scaled, full = row_counts(design, scale), row_counts(design, 1.0)
        for name, rows in declared.items():
            if scaled.get(name, rows) < rows and full.get(name, 0) >= volumes[name]:
                declared[name] = scaled[name]
    return declared


def row_counts(design: m.Design, scale: float) -> dict[str, int]:
    """Rows to generate per table, in insertion order."""
    declared = _volume_rows(design)
    counts: dict[str, int] = {}
    for table in load_order(design):
        parents = [counts[fk.ref_table] for fk in table.foreign_keys
                   if fk.ref_table != table.name and fk.ref_table in counts]
        if table.name in declared:
            rows = max(MIN_ROWS, round(declared[table.name] * scale))
        elif table.kind in ("junction", "list") and parents:
            rows = max(MIN_ROWS, JUNCTION_FACTOR * max(parents))
        elif parents:
            rows = max(parents)
        else:
            rows = max(MIN_ROWS, round(DEFAULT_ROWS * scale))
        for parent_tables in unique_fk_parents(table):
            limit = 1
            for parent in parent_tables:
                limit *= counts.get(parent, rows) if parent != table.name else rows
            rows = min(rows, limit)
        counts[table.name] = rows
    return counts
