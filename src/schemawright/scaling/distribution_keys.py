"""The design as Citus needs it: every key of a distributed table carries its distribution column.

Citus enforces a primary key, a unique constraint or an exclusion constraint per shard only,
so each must contain the distribution column; a foreign key between distributed tables must
join co-located tables on their distribution columns; a reference table (on every node) may
not point at a distributed one.  `distributed_design` applies those rules to the model and
lists each change; the proof renders it with hash partitions standing in for shards
(PostgreSQL imposes the same key rules on a partitioned table) and the plan renders it plain,
followed by Citus's calls.
"""

from __future__ import annotations

from dataclasses import dataclass

from schemawright import model as m
from schemawright.scaling.distribution_routing import Placement


@dataclass(frozen=True)
class KeyChange:
    table: str
    change: str  # what changes, in words
    kind: str  # "added column", "key widened", "uniqueness per value", "foreign key dropped", "exclusion", ...


def distributed_design(design: m.Design, placements: dict[str, Placement],
                       shards: int | None = None) -> tuple[m.Design, tuple[KeyChange, ...]]:
    """The design with the keys Citus needs; with `shards`, each distributed table is hash-partitioned
    on its distribution column into that many partitions (a stand-in for shards on one server)."""
    changes: list[KeyChange] = []
    tables = []
    for table in design.tables:
        place = placements.get(table.name)
        if place is None or place.kind != "distributed" or not place.column:
            tables.append(_reference(design, table, placements, changes))
            continue
        tables.append(_distributed(design, table, place, placements, changes, shards))
    indexes = tuple(_index(design, index, placements, changes) for index in design.indexes)
    return design.model_copy(update={"tables": tuple(tables), "indexes": indexes}), tuple(changes)


def _distributed(design: m.Design, table: m.Table, place: Placement, placements: dict[str, Placement],
                 changes: list[KeyChange], shards: int | None) -> m.Table:
    key = place.column or ""
    columns = list(table.columns)
    if table.column(key) is None:
        source = _source_column(design, place)
        columns.append(m.Column(name=key, semantic="fk", sql_type=source.sql_type if source else "bigint",
                                nullable=False, description=f"Distribution column, copied from {place.group}."))
        changes.append(KeyChange(table.name, f"add column {key} (copied from its parent; the application writes it "
                                             "on insert)", "added column"))
    else:
        columns = [c.model_copy(update={"nullable": False}) if c.name == key and c.nullable else c for c in columns]
        if (column := table.column(key)) is not None and column.nullable:
            changes.append(KeyChange(table.name, f"{key} becomes NOT NULL (a row needs a shard)", "not null"))
    pk = table.primary_key
    if pk is not None and key not in pk.columns:
        pk = pk.model_copy(update={"columns": (key, *pk.columns)})
        changes.append(KeyChange(table.name, f"primary key ({', '.join(pk.columns[1:])}) -> ({', '.join(pk.columns)})",
                                 "key widened"))
    uniques = []
    for unique in table.uniques:
        if key in unique.columns:
            uniques.append(unique)
            continue
        uniques.append(unique.model_copy(update={"columns": (key, *unique.columns)}))
        changes.append(KeyChange(table.name, f"unique ({', '.join(unique.columns)}) holds per {key} only: two "
                                             f"{key} values may share a value (enforce it globally in a reference "
                                             "lookup table or in the application)", "uniqueness per value"))
    fks = []
    for fk in table.foreign_keys:
        target = placements.get(fk.ref_table)
        if target is None or target.kind != "distributed":
            fks.append(fk)  # to a reference table: allowed
            continue
        if target.group == place.group and target.column:
            if target.column in fk.ref_columns:
                through = fk.columns[fk.ref_columns.index(target.column)]
                if through == key:
                    fks.append(fk)  # already joins on the distribution columns: local on each node
                else:
                    changes.append(KeyChange(table.name, f"foreign key {fk.name} dropped: it reaches "
                                             f"{fk.ref_table}.{target.column} through {through}, not through the "
                                             f"distribution column {key}, so the two rows may live on different "
                                             "nodes", "foreign key dropped"))
                continue
            fks.append(fk.model_copy(update={"columns": (key, *fk.columns),
                                             "ref_columns": (target.column, *fk.ref_columns)}))
            changes.append(KeyChange(table.name, f"foreign key {fk.name} ({', '.join(fk.columns)}) -> "
                                                 f"({key}, {', '.join(fk.columns)}), co-located with {fk.ref_table}",
                                     "foreign key widened"))
            continue
        changes.append(KeyChange(table.name, f"foreign key {fk.name} to {fk.ref_table} dropped: {fk.ref_table} is "
                                             "in another co-location group, so Citus cannot enforce it",
                                 "foreign key dropped"))
    for exclusion in table.exclusions:
        changes.append(KeyChange(table.name, f"exclusion {exclusion.name} must add `{key} WITH =`; it holds per "
                                             f"{key} only", "exclusion"))
    partitioning = table.partitioning
    if shards:
        partitioning = m.Partitioning(method="hash", columns=(key,), partitions=tuple(
            m.Partition(name=f"{table.name}_shard_{r}",
                        bound=m.PartitionBound(kind="hash", modulus=shards, remainder=r)) for r in range(shards)))
    # The stand-in drops CHECKs: they say nothing of routing, and PostgreSQL would exclude every
    # partition whose CHECK refutes a stand-in value (constraint exclusion), as if nothing were read.
    return table.model_copy(update={
        "columns": tuple(columns), "primary_key": pk, "uniques": tuple(uniques), "foreign_keys": tuple(fks),
        "exclusions": () if shards else table.exclusions, "partitioning": partitioning,
        "checks": () if shards else table.checks})


def _reference(design: m.Design, table: m.Table, placements: dict[str, Placement],
               changes: list[KeyChange]) -> m.Table:
    fks = []
    for fk in table.foreign_keys:
        target = placements.get(fk.ref_table)
        if target is not None and target.kind == "distributed":
            changes.append(KeyChange(table.name, f"foreign key {fk.name} to distributed {fk.ref_table} dropped: a "
                                                 "reference table may not point at a distributed one",
                                     "foreign key dropped"))
            continue
        fks.append(fk)
    return table.model_copy(update={"foreign_keys": tuple(fks)})


def _index(design: m.Design, index: m.Index, placements: dict[str, Placement], changes: list[KeyChange]) -> m.Index:
    place = placements.get(index.table)
    if not index.unique or place is None or place.kind != "distributed" or not place.column:
        return index
    if any(c.expression == place.column for c in index.columns):
        return index
    changes.append(KeyChange(index.table, f"unique index {index.name} holds per {place.column} only",
                             "uniqueness per value"))
    return index.model_copy(update={"columns": (m.IndexColumn(expression=place.column), *index.columns)})


def _source_column(design: m.Design, place: Placement) -> m.Column | None:
    """The root's key column the copied distribution column takes its type from."""
    root = design.table(place.group or "")
    if root is None or root.primary_key is None:
        return None
    return root.column(root.primary_key.columns[-1])
