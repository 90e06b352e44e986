"""Statistics that stand in for the declared volumes, so the planner costs indexes at scale.

A 2-core machine cannot load a billion rows, and the planner's choices depend on table size:
at 1 % of the volume a sequential scan looks cheaper than it will be.  So the index planner
loads a sample (at most SAMPLE_ROWS per table, the whole table when it is smaller) and makes
the planner see the declared volume:

- **Rows and pages.** PostgreSQL estimates a table's rows as (reltuples / relpages) x the pages
  the file has now, so both must be declared-sized: each relation file is extended to the
  declared size as a *sparse* file (no disk is used; the added pages read as empty pages, and
  nothing ever reads them: the advisor only EXPLAINs), and `pg_class` gets the declared
  reltuples, relpages and relallvisible.  Existing indexes are scaled the same way.
- **Visibility.** An index-only scan skips the heap only on all-visible pages.  A table that
  patterns update or delete from (CHURN_PER_SECOND or more) is taken at ALL_VISIBLE_CHURNED of its
  pages all-visible: rows spread over r rows a page, updated at random, with autovacuum run after
  20 % of the rows changed, leave on average 1/(0.2 r) x (1 - e^(-0.2 r)) of the pages untouched,
  about 10 % at 50 rows a page; an insert-only table is taken as vacuumed, all pages visible.
- **Distributions.** ANALYZE reads every sampled row (SAMPLE_ROWS is ANALYZE's own sample size
  at the default statistics target), so the statistics are exact and repeatable.  A foreign-key
  column in a sampled table gets `n_distinct` = the declared rows of its parent, so `customer_id
  = $1` is estimated at the declared rows per customer, not at the sample's.  Columns ANALYZE
  finds nearly unique are stored as a fraction of the rows and scale by themselves; enums,
  booleans and other small domains keep their counts.
- **What-if indexes.** HypoPG sizes a hypothetical index from the planner's (declared) row
  count.  A real build (no HypoPG, or GIN) runs on a fresh connection while the table's file
  is cut back to the sample (a new backend reads the file's size afresh), then the table is
  extended again and the new index scaled by the table's factor, like the existing ones.

Only on a server whose data directory this process can write (the embedded server, or a local
one as its superuser); elsewhere the sample's own statistics are used and the report says so.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

from schemawright import model as m
from schemawright.database import Database, DatabaseError
from schemawright.sql.postgresql import PostgresGenerator
from schemawright.sql.quoting import quote_ident

_SQL = PostgresGenerator()

SAMPLE_ROWS = 30_000  # ANALYZE's sample at default_statistics_target 100: every sampled row is read
# ANALYZE of a partitioned table splits its 300 x target rows among the partitions by their size
# and samples each at random: a target this high reads every row, so the statistics repeat.
STATISTICS_TARGET = 1000
CHURN_PER_SECOND = 1.0  # updates + deletes a second that keep a table's pages from staying all-visible
ALL_VISIBLE_CHURNED = 0.1  # share of such a table's pages all-visible (see the module's docstring)


@dataclass
class Relation:
    """One file-backed relation (a table or partition, or an index) and what it stands in for."""

    oid: int
    path: Path
    pages: int  # real pages of the sample
    tuples: float  # real rows of the sample


@dataclass
class StandIn:
    """The scaled relations of one scratch database (see the module's docstring)."""

    admin_url: str  # a superuser's login to the scratch database
    declared: dict[str, int]  # table -> declared rows
    loaded: dict[str, int] = field(default_factory=dict)  # table -> rows in the sample
    directory: Path = Path()  # the server's data directory (read by prepare)
    block_size: int = 8192
    segment_pages: int = 131072
    heaps: dict[str, list[Relation]] = field(default_factory=dict)  # table -> its leaves
    churned: set[str] = field(default_factory=set)  # tables updated or deleted from CHURN_PER_SECOND or more
    # Key columns the sample undercounts: their most common values are the sample's, not the volume's.
    unlisted: list[tuple[str, str]] = field(default_factory=list)
    scaled: bool = False

    def factor(self, table: str) -> float:
        loaded = self.loaded.get(table, 0)
        return max(1.0, self.declared.get(table, loaded) / loaded) if loaded else 1.0

    # ------------------------------------------------------------ set-up

    @staticmethod
    def unavailable(admin: Database) -> str | None:
        """Why this server's files cannot be scaled here, or None when they can."""
        if not admin.query_value("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"):
            return "the login is not a superuser, so pg_class cannot be given the declared sizes"
        directory = Path(str(admin.query_value("SHOW data_directory")))
        if not (directory / "PG_VERSION").is_file() or not os.access(directory, os.W_OK):
            return f"the server's data directory ({directory}) is not on this machine or not writable by this process"
        return None

    def prepare(self, design: m.Design) -> None:
        """Before the advisor's ANALYZE: autovacuum off (it must never read the extended files),
        and each sampled table's key columns given their distinct counts at the declared volume."""
        with Database(self.admin_url) as admin:
            admin.execute(f"SET default_statistics_target = {STATISTICS_TARGET}")
            self.directory = Path(str(admin.query_value("SHOW data_directory")))
            self.block_size = int(admin.query_value("SELECT current_setting('block_size')::int"))
            self.segment_pages = int(admin.query_value("SELECT setting::int FROM pg_settings WHERE name = "
                                                       "'segment_size'"))
            for table in design.tables:
                self.loaded[table.name] = int(admin.query_value(f"SELECT count(*) FROM {quote_ident(table.name)}"))
                for leaf in _leaves(admin, table.name):
                    admin.execute(_SQL.set_storage_parameters_sql(leaf, {"autovacuum_enabled": "false"}))
                # Rewritten compactly, then vacuumed: the sample's pages (and so the declared sizes scaled from
                # them) no longer depend on whether autovacuum ran during the load or on rows the load discarded.
                admin.execute(f"VACUUM (FULL) {quote_ident(table.name)}")
                admin.execute(f"VACUUM (ANALYZE) {quote_ident(table.name)}")  # the sample's own counts, read below
            sampled = {(t, c): float(n) for t, c, n in admin.query(
                "SELECT tablename::text, attname::text, n_distinct FROM pg_stats WHERE schemaname = current_schema()")}
            counts = Distincts(design, self.declared, self.loaded, sampled)
            for table in design.tables:
                if self.factor(table.name) <= 1.0:
                    continue
                for column in table.columns:
                    distinct = counts.declared(table.name, column.name)
                    if distinct is None:
                        continue
                    leaves = _leaves(admin, table.name)
                    for leaf in leaves:  # each partition's statistics, and the partitioned table's over all of them
                        admin.execute(_SQL.set_column_options_sql(leaf, column.name, {"n_distinct": f"{distinct:g}"}))
                    if leaves != [table.name]:
                        admin.execute(_SQL.set_column_options_sql(table.name, column.name,
                                                                  {"n_distinct_inherited": f"{distinct:g}"}))
                    if counts.undercounted(table.name, column.name, distinct):
                        self.unlisted.append((table.name, column.name))

    def scale_up(self) -> None:
        """After ANALYZE: every sampled table and its indexes made declared-sized."""
        with Database(self.admin_url) as admin:
            for table, column in self.unlisted:
                for relation in sorted({table, *_leaves(admin, table)}):
                    _drop_common_values(admin, relation, column)
            admin.execute("CHECKPOINT")  # the sample's pages are on disk before the files grow
            for table, factor in sorted((t, self.factor(t)) for t in self.loaded):
                visible = ALL_VISIBLE_CHURNED if table in self.churned else 1.0
                if factor <= 1.0:  # loaded whole: only its visibility, as for the scaled ones
                    for leaf in _leaves(admin, table):
                        admin.execute("UPDATE pg_class SET relallvisible = round(relpages * %s) WHERE oid = "
                                      "%s::regclass", [visible, quote_ident(leaf)])
                    continue
                self.heaps[table] = []
                for leaf in _leaves(admin, table):
                    heap = self._relation(admin, leaf)
                    self.heaps[table].append(heap)
                    self._grow(admin, heap, factor, visible)
                    for index in admin.query("SELECT c.relname::text FROM pg_index i JOIN pg_class c ON c.oid = "
                                             "i.indexrelid WHERE i.indrelid = %s::regclass", [quote_ident(leaf)]):
                        self._grow(admin, self._relation(admin, index[0]), factor)
        self.scaled = True

    def _grow(self, admin: Database, rel: Relation, factor: float, visible: float | None = None,
              pages: int | None = None) -> None:
        """Extend `rel` by `factor` (or to `pages`); `visible`: the share of its pages all-visible (tables only)."""
        pages = max(rel.pages, pages) if pages is not None else _declared_pages(rel, factor)
        _extend(rel.path, pages, self.block_size, self.segment_pages)
        admin.execute("UPDATE pg_class SET relpages = %s, reltuples = %s" + (
            ", relallvisible = %s" if visible is not None else "")
                      + " WHERE oid = %s",
                      [pages, round(rel.tuples * factor)] + ([round(pages * visible)] if visible is not None else [])
                      + [rel.oid])

    # ------------------------------------------------------------ what-if builds

    def build(self, statement: str, name: str, table: str, declared_bytes: int | None = None) -> None:
        """CREATE INDEX `name` on the sample of `table`, then scale it to the declared rows:
        to `declared_bytes` when the size model gives them (a B-tree's deduplication depends on
        the rows per key, which the sample does not have), else by the table's factor.  No
        CHECKPOINT is needed before growing it: its pages are already in the file (a build
        extends the file as it writes), and growing the file touches none of them."""
        heaps = self.heaps.get(table, []) if self.scaled else []
        with Database(self.admin_url) as fresh:  # a new backend reads the table's size afresh
            try:
                for heap in heaps:  # cut back to the sample while the index is built
                    _shrink(heap.path, heap.pages, self.block_size, self.segment_pages)
                fresh.execute(statement)
            finally:
                for heap in heaps:
                    _extend(heap.path, _declared_pages(heap, self.factor(table)), self.block_size,
                            self.segment_pages)
            if not heaps:
                return
            leaves = [self._relation(fresh, leaf) for leaf in _leaves(fresh, name)]  # or its partitions'
            built = sum(max(leaf.pages, 1) for leaf in leaves)
            for leaf in leaves:
                share = None if declared_bytes is None else \
                    math.ceil(declared_bytes / self.block_size * max(leaf.pages, 1) / built)
                self._grow(fresh, leaf, self.factor(table), pages=share)

    def _relation(self, admin: Database, name: str) -> Relation:
        oid, path, pages, tuples = admin.query(
            "SELECT oid, pg_relation_filepath(oid), pg_relation_size(oid) / current_setting('block_size')::int, "
            "greatest(reltuples, 0) FROM pg_class WHERE oid = %s::regclass", [quote_ident(name)])[0]
        return Relation(int(oid), self.directory / path, int(pages), float(tuples))

    def note(self) -> str:
        scaled = [f"{t} {self.loaded[t]:,} of {self.declared[t]:,}" for t in sorted(self.loaded)
                  if self.factor(t) > 1.0]
        return ("sampled rows standing in for the declared volumes (sizes and row counts scaled, foreign-key "
                "distinct counts set to the parents' declared rows): " + ", ".join(scaled)) if scaled else \
            "every table loaded at its declared volume"


def _drop_common_values(admin: Database, relation: str, column: str) -> None:
    """Remove the column's most-common-values slot from pg_statistic (kind 1), so equality is
    priced from its declared distinct count; the superuser's plain catalog UPDATE."""
    slots = ", ".join(f"stakind{i} = CASE WHEN stakind{i} = 1 THEN 0 ELSE stakind{i} END, "
                      f"stanumbers{i} = CASE WHEN stakind{i} = 1 THEN NULL ELSE stanumbers{i} END, "
                      f"stavalues{i} = CASE WHEN stakind{i} = 1 THEN NULL ELSE stavalues{i} END" for i in range(1, 6))
    admin.execute(f"UPDATE pg_statistic SET {slots} WHERE starelid = %s::regclass AND staattnum = "
                  "(SELECT attnum FROM pg_attribute WHERE attrelid = %s::regclass AND attname = %s)",
                  [quote_ident(relation), quote_ident(relation), column])


def _declared_pages(rel: Relation, factor: float) -> int:
    return max(rel.pages, math.ceil(max(rel.pages - 1, 1) * factor) + 1)


def _leaves(admin: Database, relation: str) -> list[str]:
    """The names of the relations holding a table's rows or an index's entries: itself, or its
    leaf partitions (pg_partition_tree is empty for a relation that is neither)."""
    leaves = [r[0] for r in admin.query(
        "SELECT c.relname::text FROM pg_partition_tree(%s::regclass) t JOIN pg_class c ON c.oid = t.relid "
        "WHERE t.isleaf ORDER BY 1", [quote_ident(relation)])]
    return leaves or [relation]


def _segments(path: Path, pages: int, segment_pages: int) -> list[tuple[Path, int]]:
    count = max(1, math.ceil(pages / segment_pages))
    return [(path if i == 0 else Path(f"{path}.{i}"), min(segment_pages, pages - i * segment_pages))
            for i in range(count)]


def _extend(path: Path, pages: int, block_size: int, segment_pages: int) -> None:
    """Grow the relation to `pages` with holes (sparse files: no disk used)."""
    owner = path.stat()
    for segment, segment_pages_here in _segments(path, pages, segment_pages):
        if not segment.exists():
            segment.touch(mode=0o600)
            if os.geteuid() == 0:
                os.chown(segment, owner.st_uid, owner.st_gid)
        if segment.stat().st_size < segment_pages_here * block_size:
            os.truncate(segment, segment_pages_here * block_size)


def _shrink(path: Path, pages: int, block_size: int, segment_pages: int) -> None:
    """Hide the extension from a new backend: the first segment cut back to the sample's pages
    (PostgreSQL stops at the first segment that is not full).  The sample fits in one segment."""
    if pages >= segment_pages:
        raise DatabaseError(f"a sample of {pages} pages does not fit in one segment; lower the sample size")
    os.truncate(path, pages * block_size)


class Distincts:
    """Each key column's distinct values at the declared volume (ANALYZE of a capped sample
    sees them at the sample's size, and the planner multiplies their selectivities):

    - a foreign-key column has as many as the column it references has at *its* declared volume;
    - a key column beside foreign-key columns (an order line's number within its order, a
      customer's number within its district) has the table's declared rows per parent row;
    - a column of a key with no foreign key scales with the table (a fraction of its rows).

    Other columns keep what ANALYZE found: a small domain (enum, boolean, a name list) keeps its
    count, and one with many values is stored as a fraction and scales by itself."""

    def __init__(self, design: m.Design, declared: dict[str, int], loaded: dict[str, int],
                 sampled: dict[tuple[str, str], float]):
        self.tables = {t.name: t for t in design.tables}
        self.declared_rows, self.loaded, self.sampled = declared, loaded, sampled

    def _rows(self, table: str) -> int:
        return self.declared_rows.get(table, self.loaded.get(table, 0))

    def declared(self, table: str, column: str) -> float | None:
        """n_distinct to set (absolute count, or a negative fraction of the rows); None: keep ANALYZE's."""
        t = self.tables[table]
        fk = next((f for f in t.foreign_keys if column in f.columns and f.ref_table in self.tables), None)
        if fk is not None:
            ref = fk.ref_columns[fk.columns.index(column)]
            return float(min(self.absolute(fk.ref_table, ref), self._rows(table)))
        keys = ([t.primary_key.columns] if t.primary_key else []) + [u.columns for u in t.uniques]
        for key in keys:
            if column not in key:
                continue
            parents = [f.ref_table for f in t.foreign_keys if set(f.columns) <= set(key) and f.ref_table in self.tables]
            if parents:  # rows per parent row, the parent being the largest the key names
                return float(max(1, round(self._rows(table) / max(1, max(self._rows(p) for p in parents)))))
            if len(key) == 1:
                return -1.0
            found = self.sampled.get((table, column))
            loaded = self.loaded.get(table, 0)
            if found is not None and loaded:
                return -min(1.0, (-found * loaded if found < 0 else found) / loaded)
        return None

    def undercounted(self, table: str, column: str, distinct: float) -> bool:
        """The declared count is well above the sample's: the sample's most common values (say
        customer numbers 1..100, each a third of a percent of the sample) would be priced at
        their sample frequency, ten times what the declared volume gives them."""
        found = self.sampled.get((table, column))
        loaded = self.loaded.get(table, 0)
        if found is None or not loaded:
            return False
        sample = -found * loaded if found < 0 else found
        declared = -distinct * self._rows(table) if distinct < 0 else distinct
        return declared > 1.5 * sample

    def absolute(self, table: str, column: str) -> float:
        """Distinct values of `table.column` at the declared volume, as a count."""
        rows = self._rows(table)
        if self.loaded.get(table, 0) >= rows:  # loaded whole: ANALYZE's count is the truth
            found = self.sampled.get((table, column), -1.0)
            return -found * rows if found < 0 else found
        distinct = self.declared(table, column)
        if distinct is None:
            found = self.sampled.get((table, column), -1.0)
            return -found * rows if found < 0 else found
        return -distinct * rows if distinct < 0 else distinct
