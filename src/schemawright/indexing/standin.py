"""Statistics that stand in for the declared volumes, so the planner costs indexes at scale.

A 2-core machine cannot load a billion rows, and the planner's choices depend on table size:
at 1 % of the volume a sequential scan looks cheaper than it will be.  So the index planner
loads a sample (at most SAMPLE_ROWS per table, the whole table when it is smaller) and makes
the planner see the declared volume:

- **Rows and pages.** PostgreSQL estimates a table's rows as (reltuples / relpages) x the pages
  the file has now, so both must be declared-sized: each relation file is extended to the
  declared size as a *sparse* file (no disk is used; the added pages read as empty pages, and
  nothing ever reads them: the advisor only EXPLAINs), and `pg_class` gets the declared
  reltuples, relpages and relallvisible (a vacuumed production table).  Existing indexes are
  scaled the same way.
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
from schemawright.sql.quoting import quote_ident

SAMPLE_ROWS = 30_000  # ANALYZE's sample at default_statistics_target 100: every sampled row is read


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
    block_size: int = 8192
    segment_pages: int = 131072
    heaps: dict[str, list[Relation]] = field(default_factory=dict)  # table -> its leaves
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
        """Before ANALYZE: autovacuum off (it must never read the extended files), and the
        foreign-key columns' distinct counts set to their parents' declared rows."""
        with Database(self.admin_url) as admin:
            self.block_size = int(admin.query_value("SELECT current_setting('block_size')::int"))
            self.segment_pages = int(admin.query_value("SELECT setting::int FROM pg_settings WHERE name = "
                                                       "'segment_size'"))
            for table in design.tables:
                self.loaded[table.name] = int(admin.query_value(f"SELECT count(*) FROM {quote_ident(table.name)}"))
                for leaf in _leaves(admin, table.name):
                    admin.execute(f"ALTER TABLE {leaf} SET (autovacuum_enabled = false)")
            for table in design.tables:
                if self.factor(table.name) <= 1.0:
                    continue
                for column, distinct in _foreign_key_distincts(design, table, self.declared).items():
                    admin.execute(f"ALTER TABLE {quote_ident(table.name)} ALTER COLUMN {quote_ident(column)} "
                                  f"SET (n_distinct = {distinct})")

    def scale_up(self) -> None:
        """After ANALYZE: every sampled table and its indexes made declared-sized."""
        with Database(self.admin_url) as admin:
            admin.execute("CHECKPOINT")  # the sample's pages are on disk before the files grow
            directory = Path(str(admin.query_value("SHOW data_directory")))
            for table, factor in sorted((t, self.factor(t)) for t in self.loaded):
                if factor <= 1.0:
                    continue
                self.heaps[table] = []
                for leaf in _leaves(admin, table):
                    heap = _relation(admin, directory, leaf)
                    self.heaps[table].append(heap)
                    self._grow(admin, heap, factor, visible=True)
                    for index in admin.query("SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = "
                                             "%s::regclass", [leaf]):
                        self._grow(admin, _relation(admin, directory, index[0]), factor)
        self.scaled = True

    def _grow(self, admin: Database, rel: Relation, factor: float, visible: bool = False) -> None:
        pages = _declared_pages(rel, factor)
        _extend(rel.path, pages, self.block_size, self.segment_pages)
        admin.execute("UPDATE pg_class SET relpages = %s, reltuples = %s" + (", relallvisible = %s" if visible else "")
                      + " WHERE oid = %s",
                      [pages, round(rel.tuples * factor)] + ([pages] if visible else []) + [rel.oid])

    # ------------------------------------------------------------ what-if builds

    def build(self, statement: str, name: str, table: str) -> None:
        """CREATE INDEX `name` on the sample of `table`, then scale it to the declared rows."""
        heaps = self.heaps.get(table, [])
        if not self.scaled or not heaps:
            with Database(self.admin_url) as fresh:
                fresh.execute(statement)
            return
        try:
            for heap in heaps:  # cut back to the sample; only a fresh backend reads the size again
                _shrink(heap.path, heap.pages, self.block_size, self.segment_pages)
            with Database(self.admin_url) as fresh:
                fresh.execute(statement)
        finally:
            for heap in heaps:
                _extend(heap.path, _declared_pages(heap, self.factor(table)), self.block_size, self.segment_pages)
        with Database(self.admin_url) as admin:
            directory = Path(str(admin.query_value("SHOW data_directory")))
            admin.execute("CHECKPOINT")
            for leaf in _leaves(admin, name):  # the index, or its partitions' indexes
                self._grow(admin, _relation(admin, directory, leaf), self.factor(table))

    def note(self) -> str:
        scaled = [f"{t} {self.loaded[t]:,} of {self.declared[t]:,}" for t in sorted(self.loaded)
                  if self.factor(t) > 1.0]
        return ("sampled rows standing in for the declared volumes (sizes and row counts scaled, foreign-key "
                "distinct counts set to the parents' declared rows): " + ", ".join(scaled)) if scaled else \
            "every table loaded at its declared volume"


def _declared_pages(rel: Relation, factor: float) -> int:
    return max(rel.pages, math.ceil(max(rel.pages - 1, 1) * factor) + 1)


def _leaves(admin: Database, relation: str) -> list[str]:
    """The relations (as regclass text) holding a table's rows or an index's entries: itself, or
    its leaf partitions (pg_partition_tree is empty for a relation that is neither)."""
    leaves = [r[0] for r in admin.query(
        "SELECT relid::regclass::text FROM pg_partition_tree(%s::regclass) WHERE isleaf ORDER BY 1",
        [quote_ident(relation)])]
    return leaves or [str(admin.query_value("SELECT %s::regclass::text", [quote_ident(relation)]))]


def _relation(admin: Database, directory: Path, name: str) -> Relation:
    oid, path, pages, tuples = admin.query(
        "SELECT oid, pg_relation_filepath(oid), pg_relation_size(oid) / current_setting('block_size')::int, "
        "greatest(reltuples, 0) FROM pg_class WHERE oid = %s::regclass", [name])[0]
    return Relation(int(oid), directory / path, int(pages), float(tuples))


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


def _foreign_key_distincts(design: m.Design, table: m.Table, declared: dict[str, int]) -> dict[str, int]:
    """Column -> its parent's declared rows, for each foreign-key column that points at a
    single-column key of its parent (a composite tenant key's tenant column is left alone)."""
    out: dict[str, int] = {}
    parents = {t.name: t for t in design.tables}
    for fk in table.foreign_keys:
        parent = parents.get(fk.ref_table)
        if parent is None or fk.ref_table not in declared:
            continue
        keys = ([parent.primary_key.columns] if parent.primary_key else []) + [u.columns for u in parent.uniques]
        for column, ref in zip(fk.columns, fk.ref_columns):
            if any(tuple(k) == (ref,) for k in keys):
                rows = min(declared[fk.ref_table], declared.get(table.name, declared[fk.ref_table]))
                out[column] = max(out.get(column, 0), rows)
    return out
