"""Bytes one table takes for a given number of rows: heap, TOAST and each index.

The widths are the spec's typical ones (column_widths) unless measured ones are given (the
capacity proof passes pg_stats of loaded data, so it checks the layout arithmetic apart from
the width assumptions).  A partitioned table is the sum of its partitions (each its own heap,
free space map and indexes; an empty one still has each index's metapage).  Indexes: the
primary key, every unique constraint and every index of the design; one that is not a B-tree
(GIN, GiST, hash) or backs an exclusion constraint is sized as a B-tree over the same columns,
an approximation.  A partial index is sized over every row unless its row count is given (the
share its WHERE keeps is not known before data).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from schemawright import model as m
from schemawright.pagelayout import (
    BLOCK,
    GROWN_LEAF_FILL,
    LEAF_FILLFACTOR,
    TOAST_POINTER,
    TOAST_TUPLE_THRESHOLD,
    Column,
    heap,
    toast,
)
from schemawright.pagelayout import estimate as btree_estimate
from schemawright.scaling.column_widths import may_need_toast, typical_column

PLAIN_FILLFACTOR = 100
RANGE_OVERHEAD = 6  # a range value: 1-byte varlena header, 4-byte type oid, 1 flag byte


@dataclass(frozen=True)
class IndexSpec:
    name: str
    table: str
    keys: tuple[str, ...]  # column names or expressions
    include: tuple[str, ...] = ()
    where: str | None = None
    unique: bool = False


@dataclass(frozen=True)
class TableSize:
    heap: int
    toast: int
    indexes: tuple[tuple[str, int], ...]  # (index name, bytes), in design order

    @property
    def index_bytes(self) -> int:
        return sum(b for _, b in self.indexes)

    @property
    def total(self) -> int:
        return self.heap + self.toast + self.index_bytes


def table_indexes(design: m.Design, table: m.Table) -> list[IndexSpec]:
    """Every index the table has: its key constraints' and the design's (names as created)."""
    out = []
    if table.primary_key is not None:
        out.append(IndexSpec(table.primary_key.name, table.name, table.primary_key.columns, unique=True))
    out += [IndexSpec(u.name, table.name, u.columns, u.include, unique=True) for u in table.uniques]
    out += [IndexSpec(i.name, table.name, tuple(c.expression for c in i.columns), i.include, i.where, i.unique)
            for i in design.indexes_on(table.name)]
    out += [spec for e in table.exclusions if (spec := exclusion_index(table.name, e)) is not None]
    return out


def exclusion_index(table: str, exclusion: m.Exclusion) -> IndexSpec | None:
    """The index behind an exclusion constraint: `USING gist (a WITH =, tstzrange(s, e) WITH &&) WHERE (...)`,
    its elements without their operators.  Its rows arrive while it exists (grown, like a key's)."""
    found = re.match(r"\s*(?:USING\s+\w+\s*)?\((.*)\)\s*(?:WHERE\s*\((.*)\))?\s*$", exclusion.definition,
                     re.IGNORECASE | re.DOTALL)
    if not found:
        return None
    elements, depth, current = [], 0, ""
    for char in found.group(1):
        depth += (char == "(") - (char == ")")
        if char == "," and depth == 0:
            elements.append(current)
            current = ""
        else:
            current += char
    elements.append(current)
    keys = tuple(re.sub(r"\s+WITH\s+\S+\s*$", "", e.strip(), flags=re.IGNORECASE) for e in elements if e.strip())
    return IndexSpec(exclusion.name, table, keys, (), found.group(2), unique=True)


def attribute_of(design: m.Design, column: m.Column) -> m.Attribute | None:
    if not column.source or "." not in column.source:
        return None
    entity_name, attribute_name = column.source.split(".", 1)
    for entity in design.entities:
        if entity.name == entity_name:
            return next((a for a in entity.attributes if a.name == attribute_name), None)
    for relationship in design.relationships:
        if relationship.name == entity_name:
            return next((a for a in relationship.attributes if a.name == attribute_name), None)
    return None


def typical_columns(design: m.Design, table: m.Table, rows: float,
                    rows_of: Callable[[str], float]) -> dict[str, Column]:
    """Each column's typical stats in `table` holding `rows` rows (rows_of: another table's rows)."""
    unique = {k[0] for k in design.unique_keys(table) if len(k) == 1}
    parent = {fk.columns[0]: fk.ref_table for fk in table.foreign_keys if len(fk.columns) == 1}
    enums = {e.name for e in design.enums}
    out = {}
    for column in table.columns:
        attribute = attribute_of(design, column)
        out[column.name] = typical_column(column, attribute, enums, _distinct(column, attribute, unique, parent,
                                                                               rows, rows_of))
    return out


def _distinct(column: m.Column, attribute: m.Attribute | None, unique: set[str], parent: dict[str, str],
              rows: float, rows_of: Callable[[str], float]) -> float:
    """pg_stats.n_distinct's convention: > 0 a count, < 0 minus a share of the rows."""
    data = attribute.data if attribute is not None else None
    if column.name in unique:
        return -1.0
    if data is not None and data.distinct is not None:
        return -float(data.distinct) if data.distinct < 1 else float(data.distinct)
    if column.name in parent:
        return max(min(rows_of(parent[column.name]), rows), 1.0)
    if attribute is not None and attribute.values:
        return float(len(attribute.values))
    if column.sql_type == "boolean":
        return 2.0
    return -1.0


def _key_column(key: str, columns: Mapping[str, Column]) -> Column:
    """A key column's stats; an expression takes the stats of the one column it reads (`lower(email)`),
    else a text value of the planner's default width."""
    if key in columns:
        return columns[key]
    used = [w for w in dict.fromkeys(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", key)) if w in columns]
    if len(used) == 1:
        return columns[used[0]]
    if used:  # a value built of several columns (a range of two timestamps): their bytes, a header and flags
        return Column(sum(columns[u].width for u in used) + RANGE_OVERHEAD, 0.0, -1.0, -1, 4, "range")
    return Column(33.0, 0.0, -1.0, -1, 4, "text")


def estimate_table(design: m.Design, table: m.Table, rows: float, *,
                   columns: Mapping[str, Column] | None = None,
                   partition_rows: list[float] | None = None,
                   index_rows: Mapping[str, float] | None = None,
                   rows_of: Callable[[str], float] | None = None,
                   fillfactor: int | None = None,
                   built: Callable[[IndexSpec], bool] = lambda _index: False) -> TableSize:
    """Bytes of `table` holding `rows` rows: heap (main fork, free space map, visibility map),
    TOAST (its heap and index) and each index.  `columns`: measured stats by column (default: the
    spec's typical ones); `partition_rows`: rows per partition (default: spread as
    `spread_partitions`); `index_rows`: rows a partial index holds, by index name; `built`: the
    indexes CREATE INDEX built on the rows (leaves 90 % full), the others grown by inserts (a
    production index: leaves about 2/3 full where keys arrive at random places)."""
    rows_of = rows_of or (lambda _name: rows)
    fillfactor = fillfactor or table_fillfactor(table)
    stats = dict(columns) if columns is not None else typical_columns(design, table, rows, rows_of)
    ordered = [stats[c.name] for c in table.columns if c.name in stats]
    parts = partition_rows if partition_rows is not None else spread_partitions(table, rows)
    has_toast = may_need_toast([c.sql_type or "text" for c in table.columns])
    row_columns, out_of_line = _toasted(ordered) if has_toast else (ordered, [])
    heap_bytes = sum(heap(n, row_columns, fillfactor).bytes for n in parts)
    toast_bytes = sum(toast(n, out_of_line) for n in parts) if has_toast else 0
    indexes = []
    for index in table_indexes(design, table):
        keys = _tenant_determined([_key_column(k, stats) for k in index.keys], index.keys,
                                  design.security.tenant_column)
        include = [_key_column(k, stats) for k in index.include]
        share = (index_rows[index.name] / rows if index_rows and index.name in index_rows and rows > 0 else 1.0)
        fill = LEAF_FILLFACTOR if built(index) or appending_key(table, index) else GROWN_LEAF_FILL
        indexes.append((index.name, sum(btree_estimate(n * share, keys, include, leaf_fill=fill).bytes
                                        if n * share >= 1 else BLOCK for n in parts)))
    return TableSize(heap_bytes, toast_bytes, tuple(indexes))


def appending_key(table: m.Table, index: IndexSpec) -> bool:
    """Whether new rows' values of the index's first key only grow (an identity, a sequence, a
    `now()` default): inserts then land on the rightmost leaf."""
    column = table.column(index.keys[0]) if index.keys else None
    if column is None:
        return False
    default = (column.default or "").lower()
    return column.identity or "now()" in default or "current_timestamp" in default or "nextval" in default


def _tenant_determined(keys: list[Column], names: tuple[str, ...], tenant: str | None) -> list[Column]:
    """A key's distinct values are taken as its columns' distinct counts multiplied (independent
    columns).  The tenant column is not independent: every other id in the key belongs to one tenant,
    so beside them it adds no distinct values (counted once, as 1)."""
    if not tenant or tenant not in names or len(names) < 2:
        return keys
    return [Column(c.width, c.null_frac, 1.0, c.typlen, c.align, c.type_name) if name == tenant else c
            for c, name in zip(keys, names)]


def table_fillfactor(table: m.Table) -> int:
    """The table's fillfactor storage parameter (configuration sets one for HOT updates), else 100."""
    value = dict(table.storage).get("fillfactor")
    return int(value) if value and str(value).isdigit() else PLAIN_FILLFACTOR


def _toasted(columns: list[Column]) -> tuple[list[Column], list[float]]:
    """The row's columns once the widest variable-length values moved to TOAST (largest first,
    until the row is under TOAST_TUPLE_THRESHOLD), and the widths moved out."""
    row = list(columns)
    moved: list[float] = []
    while sum(c.width for c in row) + 24 > TOAST_TUPLE_THRESHOLD:
        widest = max((i for i, c in enumerate(row) if c.typlen == -1 and c.width > TOAST_POINTER),
                     key=lambda i: row[i].width, default=None)
        if widest is None:
            break
        c = row[widest]
        moved.append(c.width)
        row[widest] = Column(TOAST_POINTER, c.null_frac, c.n_distinct, c.typlen, c.align, c.type_name)
    return row, moved


def spread_partitions(table: m.Table, rows: float) -> list[float]:
    """Rows per partition when only the table's total is known: a range scheme's rows evenly in
    the partitions that start before its anchor (go-live; those after it are created ahead and
    empty, like the DEFAULT partition); list and hash evenly over their partitions; a plain
    table is one heap."""
    p = table.partitioning
    if p is None or not p.partitions:
        return [rows]
    ordinary = [x for x in p.partitions if x.bound.kind != "default"]
    if p.method == "range":
        anchor = (p.anchor or "")[:10]
        holding = sum(1 for x in ordinary if x.bound.lower and x.bound.lower[0].strip("'")[:10] < anchor)
        holding = holding or max(len(ordinary) - p.ahead, 1)
    else:
        holding = max(len(ordinary), 1)
    return [rows / holding] * holding + [0.0] * (len(p.partitions) - holding)


def months_in(interval: str | None) -> float:
    """`1 month`, `3 months`, `1 week`, `1 day`, `1 year` -> months (30.44 days a month)."""
    found = re.match(r"\s*(\d+(?:\.\d+)?)?\s*(year|month|week|day)s?\s*$", (interval or "").lower())
    if not found:
        return 1.0
    count = float(found.group(1) or 1)
    return count * {"year": 12.0, "month": 1.0, "week": 7 / 30.44, "day": 1 / 30.44}[found.group(2)]


def pages(nbytes: int) -> int:
    return math.ceil(nbytes / BLOCK)
