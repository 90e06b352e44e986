"""Relationships as the schema actually enforces them, read from the foreign keys.

Every diagram and the data dictionary draw cardinalities from here, so they always agree
with the DDL (and work for imported schemas that carry no conceptual relationships).
"""

from __future__ import annotations

from dataclasses import dataclass

from schemawright.model import Design, ForeignKey, Relationship, Table


@dataclass(frozen=True)
class Link:
    """One foreign key seen as an edge: child (the FK's table) -> parent (referenced table)."""

    child: Table
    parent: str
    fk: ForeignKey
    nullable: bool  # some FK column accepts NULL: the parent is optional
    unique: bool  # FK columns are unique in the child: one-to-one
    at_least_one: bool  # every parent row has a child (documented in the spec)
    identifying: bool  # FK columns are part of the child's primary key
    relationship: Relationship | None

    @property
    def parent_min(self) -> int:
        """How many parents each child row has at least (0 or 1; at most is always 1)."""
        return 0 if self.nullable else 1

    @property
    def child_min(self) -> int:
        return 1 if self.at_least_one else 0

    @property
    def child_many(self) -> bool:
        return not self.unique


def links(design: Design) -> tuple[Link, ...]:
    """All foreign keys as links, in table order then constraint order (deterministic)."""
    rels = {r.name: r for r in design.relationships}
    entity_tables = {t.entity: t.name for t in design.tables if t.kind == "entity" and t.entity}
    # A unique index (not partial) on exactly the FK columns also makes it one-to-one.
    unique_by_table: dict[str, list[frozenset[str]]] = {}
    for index in design.indexes:
        if index.unique and index.where is None:
            unique_by_table.setdefault(index.table, []).append(frozenset(c.expression for c in index.columns))
    out: list[Link] = []
    for table in design.tables:
        keys = [frozenset(u.columns) for u in table.uniques] + unique_by_table.get(table.name, [])
        pk = frozenset(table.primary_key.columns) if table.primary_key else frozenset()
        seen_parent: set[str] = set()
        for fk in table.foreign_keys:
            cols = frozenset(fk.columns)
            rel = rels.get(fk.relationship or "")
            at_least_one = False
            if rel is not None and rel.at_least_one:
                if rel.cardinality != "many-to-many":
                    at_least_one = True
                else:
                    # In a junction only the leg pointing at the `from` entity carries it
                    # (the first such leg for a self many-to-many).
                    at_least_one = (fk.ref_table == entity_tables.get(rel.parent)
                                    and fk.ref_table not in seen_parent)
            seen_parent.add(fk.ref_table)
            nullable = any((c := table.column(name)) is not None and c.nullable for name in fk.columns)
            out.append(Link(
                child=table, parent=fk.ref_table, fk=fk, nullable=nullable,
                unique=cols == pk or cols in keys, at_least_one=at_least_one,
                identifying=bool(pk) and cols <= pk, relationship=rel,
            ))
    return tuple(out)
