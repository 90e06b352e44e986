"""Relationships as the schema actually enforces them, read from the foreign keys.

Every diagram and the data dictionary draw cardinalities from here, so they always agree
with the DDL (and work for imported schemas that carry no conceptual relationships).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from schemawright.model import Design, ForeignKey, Index, Relationship, Table


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


# The site draws one diagram per table and per domain from the same design: the links are
# computed once per design (keyed on the identity of the tuples they are read from).
_memo: tuple[tuple, tuple[Link, ...]] | None = None


def links(design: Design) -> tuple[Link, ...]:
    """All foreign keys as links, in table order then constraint order (deterministic)."""
    global _memo
    key = (design.tables, design.indexes, design.relationships)
    if _memo is not None and len(_memo[0]) == 3 and all(a is b for a, b in zip(_memo[0], key)):
        return _memo[1]
    result = _links(design)
    _memo = (key, result)
    return result


def _links(design: Design) -> tuple[Link, ...]:
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


@dataclass(frozen=True)
class Drawing:
    """What one diagram shows: described tables in full (or `brief`: key columns only),
    bare boxes for tables it names but does not describe, and the links between them."""

    tables: tuple[Table, ...]
    bare: tuple[str, ...]
    links: tuple[Link, ...]
    brief: frozenset[str] = frozenset()
    focus: str | None = None
    partial: bool = False  # a subset of the schema (bare boxes are then drawn with their name)

    @property
    def names(self) -> list[str]:
        return [t.name for t in self.tables] + list(self.bare)

    def shown_columns(self, table: Table) -> tuple[int, ...]:
        """Positions of the columns drawn for `table`: all, or for a brief table the
        columns the drawn links use (its key when no link uses a column)."""
        if table.name not in self.brief:
            return tuple(range(len(table.columns)))
        keep: set[str] = set()
        for link in self.links:
            if link.child.name == table.name:
                keep.update(link.fk.columns)
            if link.parent == table.name:
                keep.update(link.fk.ref_columns)
        if not keep and table.primary_key:
            keep = set(table.primary_key.columns)
        return tuple(i for i, c in enumerate(table.columns) if c.name in keep)


def drawing(design: Design, tables: Collection[str] | None = None, *, stubs: bool | Collection[str] = False,
            focus: str | None = None, brief: Collection[str] = ()) -> Drawing:
    """Select what a diagram draws.

    `tables=None` is the whole schema (every referenced but undescribed table as a bare
    box).  Otherwise only those tables and the links between them; `stubs` adds a bare box
    for each table outside the subset that a table inside references (True: every such
    table, or a collection: only those); `focus` keeps only the links that touch that
    table (a neighbourhood diagram is a star, not a web)."""
    all_links = links(design)
    if tables is None:
        names = {t.name for t in design.tables}
        bare = [lk.parent for lk in all_links if lk.parent not in names]
        return Drawing(tables=design.tables, bare=tuple(dict.fromkeys(bare)), links=all_links,
                       brief=frozenset(brief), focus=focus)
    wanted = set(tables)
    position = _positions(design)
    described = sorted((t for n in wanted if (t := design.table(n)) is not None), key=lambda t: position[t.name])
    names = {t.name for t in described}
    out_links, in_links = links_by_table(design)
    if focus is not None:
        candidates = list(out_links.get(focus, ()))
        candidates += [lk for lk in in_links.get(focus, ()) if lk.child.name != focus]  # self-links once
    else:
        candidates = [lk for t in described for lk in out_links.get(t.name, ())]
    # Keep the order of `links(design)`: child table position, then the child's FK order.
    fk_rank = {id(lk): i for t in {lk.child.name for lk in candidates}
               for i, lk in enumerate(out_links.get(t, ()))}
    candidates.sort(key=lambda lk: (position.get(lk.child.name, 0), fk_rank[id(lk)]))
    stub_ok = (lambda name: bool(stubs)) if isinstance(stubs, bool) else set(stubs).__contains__
    kept = tuple(lk for lk in candidates if lk.child.name in names and (lk.parent in wanted or stub_ok(lk.parent)))
    bare = sorted(wanted - names) + [lk.parent for lk in kept if lk.parent not in wanted]
    return Drawing(tables=tuple(described), bare=tuple(dict.fromkeys(bare)), links=kept,
                   brief=frozenset(brief), focus=focus, partial=True)


_indexes_memo: tuple[tuple[Index, ...], dict[str, list[Index]]] | None = None


def indexes_by_table(design: Design) -> dict[str, list[Index]]:
    """The design's indexes grouped by table, in design order (computed once per design)."""
    global _indexes_memo
    if _indexes_memo is None or _indexes_memo[0] is not design.indexes:
        grouped: dict[str, list[Index]] = {}
        for index in design.indexes:
            grouped.setdefault(index.table, []).append(index)
        _indexes_memo = (design.indexes, grouped)
    return _indexes_memo[1]


_grouped_memo: tuple[tuple[Link, ...], dict[str, list[Link]], dict[str, list[Link]]] | None = None
_positions_memo: tuple[tuple[Table, ...], dict[str, int]] | None = None


def _positions(design: Design) -> dict[str, int]:
    global _positions_memo
    if _positions_memo is None or _positions_memo[0] is not design.tables:
        _positions_memo = (design.tables, {t.name: i for i, t in reversed(list(enumerate(design.tables)))})
    return _positions_memo[1]


def links_by_table(design: Design) -> tuple[dict[str, list[Link]], dict[str, list[Link]]]:
    """(links out of each table: its foreign keys, links into each table: references to it),
    both in the order of `links(design)`."""
    global _grouped_memo
    all_links = links(design)
    if _grouped_memo is None or _grouped_memo[0] is not all_links:
        out_links: dict[str, list[Link]] = {}
        in_links: dict[str, list[Link]] = {}
        for link in all_links:
            out_links.setdefault(link.child.name, []).append(link)
            in_links.setdefault(link.parent, []).append(link)
        _grouped_memo = (all_links, out_links, in_links)
    return _grouped_memo[1], _grouped_memo[2]
