"""What each table of a loaded design takes on disk, and the column statistics the estimate needs.

A partitioned table is the sum of its leaf partitions (the parent has no storage of its own).
Per relation: heap = main fork + free space map + visibility map (pg_table_size without the
TOAST relation), TOAST = its heap and index (pg_total_relation_size of reltoastrelid), indexes =
pg_indexes_size; the three add up to pg_total_relation_size.  Rows are pg_class.reltuples, which
the VACUUM after loading sets from every page (row security does not hide rows from it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from schemawright import model as m
from schemawright.database import Database
from schemawright.pagelayout import ALIGN, Column
from schemawright.sql.quoting import quote_ident

# A plain table is its own leaf (pg_partition_tree lists nothing for it).
_LEAVES = """
SELECT c.oid::regclass::text FROM pg_class c
WHERE c.relkind = 'r' AND (c.oid = %s::regclass
      OR c.oid IN (SELECT relid FROM pg_partition_tree(%s::regclass) WHERE isleaf))
ORDER BY c.relname
"""
_SIZES = """
SELECT pg_table_size(c.oid) - coalesce(pg_total_relation_size(nullif(c.reltoastrelid, 0)), 0),
       coalesce(pg_total_relation_size(nullif(c.reltoastrelid, 0)), 0), pg_indexes_size(c.oid),
       pg_relation_size(c.oid, 'main')
FROM pg_class c WHERE c.oid = %s::regclass
"""
# Each index of a relation, named as its root (the partitioned index a partition's index belongs to).
_INDEXES = """
SELECT coalesce(pg_partition_root(i.indexrelid), i.indexrelid)::regclass::text, pg_relation_size(i.indexrelid),
       greatest(ic.reltuples, 0)
FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = %s::regclass
"""
_STATS = """
SELECT a.attname, t.typlen, t.typalign, t.typname, s.avg_width, s.null_frac, s.n_distinct
FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_stats s ON s.schemaname = current_schema() AND s.tablename = %s AND s.attname = a.attname
     AND s.inherited = %s
WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped
"""


@dataclass
class Measured:
    table: str
    rows: int = 0
    heap: int = 0
    toast: int = 0
    indexes: int = 0
    heap_pages: int = 0
    partition_rows: list[float] = field(default_factory=list)
    index_bytes: dict[str, int] = field(default_factory=dict)  # by the design's index name
    index_rows: dict[str, float] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.heap + self.toast + self.indexes


def measure_table(db: Database, table: m.Table) -> Measured:
    found = Measured(table.name)
    name = quote_ident(table.name)
    for (relation,) in db.query(_LEAVES, [name, name]):
        heap, toast, indexes, main = db.query(_SIZES, [relation])[0]
        # VACUUM counted every live row (reltuples); count(*) would see only what row security lets the owner see.
        rows = int(db.query_value("SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = %s::regclass",
                                  [relation]))
        found.rows += rows
        found.partition_rows.append(float(rows))
        found.heap, found.toast, found.indexes = found.heap + heap, found.toast + toast, found.indexes + indexes
        found.heap_pages += main // 8192
        for index, nbytes, tuples in db.query(_INDEXES, [relation]):
            key = index.split(".")[-1].strip('"')
            found.index_bytes[key] = found.index_bytes.get(key, 0) + int(nbytes)
            found.index_rows[key] = found.index_rows.get(key, 0.0) + float(tuples)
    return found


def column_stats(db: Database, table: m.Table) -> dict[str, Column]:
    """ANALYZE's view of the loaded columns (a partitioned table's over all its partitions)."""
    out = {}
    for name, typlen, align, typname, width, null_frac, n_distinct in db.query(
            _STATS, [table.name, table.partitioning is not None, quote_ident(table.name)]):
        fixed = int(typlen) if typlen and typlen > 0 else None
        out[name] = Column(float(width if width is not None else (fixed or 16)), float(null_frac or 0.0),
                           float(n_distinct if n_distinct is not None else -1.0), int(typlen), ALIGN.get(align, 8),
                           typname)
    return out


def key_order(db: Database, table: m.Table) -> dict[str, float]:
    """pg_stats.correlation per column: near 1 when rows were written in the column's order, so an
    index led by it grew at its right edge (full leaves) rather than by splits at random places."""
    return {name: float(correlation) for name, correlation in db.query(
        "SELECT attname, correlation FROM pg_stats WHERE schemaname = current_schema() AND tablename = %s "
        "AND inherited = %s AND correlation IS NOT NULL", [table.name, table.partitioning is not None])}
