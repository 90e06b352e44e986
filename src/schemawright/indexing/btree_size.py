"""How many bytes a B-tree will take once built, from the planner's statistics.

HypoPG's `hypopg_relation_size` over-estimates B-trees about twofold (no deduplication, generous
per-tuple overhead), so a storage budget spent by it buys half the indexes it could.  This model
follows what `CREATE INDEX` (nbtsort.c) writes:

- rows: `pg_class.reltuples`; for a partial index, the planner's row estimate for its WHERE;
- leaf tuple: IndexTuple header (8 bytes, 16 with a null bitmap: only for rows with a NULL key,
  from `pg_stats.null_frac`) + each key and INCLUDE column at its `pg_stats.avg_width` (NULLs
  take no room), aligned like the heap does, the whole MAXALIGNed (8), + a 4-byte line pointer;
- deduplication (PostgreSQL 13+, on by default): equal keys share one posting-list tuple (key
  once + 6 bytes per heap row, lists up to about 10 % of a page), for key types whose equality
  is bitwise (not numeric, float, jsonb; char(n) only on PostgreSQL 18) and never with INCLUDE columns; the number of equal
  keys from `pg_stats.n_distinct` (an expression key: from its first 10,000 rows, at most as
  many as its columns have);
- leaf pages filled to the fillfactor (90 %) of 8192 - 24 (page header) - 16 (special space),
  each with a high key; internal pages filled to 70 % with truncated pivot tuples (key columns
  only), level by level up to the root; plus the metapage.

It is an estimate from statistics: widths are averages, distinct counts are ANALYZE's guesses.
Tests compare it with `pg_relation_size` of real builds (within 10 %).
"""

from __future__ import annotations

import math
import re

from schemawright.database import Database, DatabaseError
from schemawright.pagelayout import ALIGN as _ALIGN
from schemawright.pagelayout import BLOCK, BPCHAR_DEDUP_VERSION, Column, Estimate, estimate  # noqa: F401 - re-exported
from schemawright.sql.quoting import quote_ident

EXPRESSION_SAMPLE = 10_000  # rows read to size an expression key


class SizeModel:
    """Estimates for one database, statistics read once per table."""

    def __init__(self, db: Database):
        self.db = db
        self._tables: dict[str, tuple[float, dict[str, Column]]] = {}
        self._expressions: dict[tuple[str, str], Column] = {}

    def _table(self, table: str) -> tuple[float, dict[str, Column]]:
        if table not in self._tables:
            rows = float(self.db.query_value(
                "SELECT greatest(reltuples, 0) FROM pg_class WHERE oid = %s::regclass", [quote_ident(table)]) or 0)
            columns: dict[str, Column] = {}
            for name, typlen, align, typname, width, null_frac, n_distinct in self.db.query(
                    "SELECT a.attname, t.typlen, t.typalign, t.typname, s.avg_width, s.null_frac, s.n_distinct "
                    "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
                    "LEFT JOIN pg_stats s ON s.schemaname = (SELECT relnamespace::regnamespace::text FROM pg_class "
                    "WHERE oid = a.attrelid) AND s.tablename = %s AND s.attname = a.attname "
                    "WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped",
                    [table, quote_ident(table)]):
                fixed = int(typlen) if typlen and typlen > 0 else None
                columns[name] = Column(float(width if width is not None else (fixed or 16)),
                                       float(null_frac or 0.0), float(n_distinct if n_distinct is not None else -1.0),
                                       int(typlen), _ALIGN.get(align, 8), typname)
            self._tables[table] = (rows, columns)
        return self._tables[table]

    def _rows(self, table: str, where: str | None, rows: float) -> float:
        if not where:
            return rows
        try:
            plan = self.db.query_value(f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {quote_ident(table)} WHERE {where}")
            return float(plan[0]["Plan"]["Plan Rows"])
        except DatabaseError:
            return rows

    def _column(self, table: str, key: str, columns: dict[str, Column]) -> Column:
        if key in columns:
            return columns[key]
        if (table, key) not in self._expressions:
            found = self._expression(table, key)
            # A function of columns has at most as many distinct values as they have together
            # (a prefix sample sees too few duplicates).
            rows = self._tables[table][0]
            used = [columns[w] for w in dict.fromkeys(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", key)) if w in columns]
            if used and rows > 0:
                bound = math.prod(max(-c.n_distinct * rows if c.n_distinct < 0 else c.n_distinct, 1.0) for c in used)
                mine = -found.n_distinct * rows if found.n_distinct < 0 else found.n_distinct
                if bound < mine:
                    found = Column(found.width, found.null_frac, -bound / rows, found.typlen, found.align,
                                   found.type_name)
            self._expressions[(table, key)] = found
        return self._expressions[(table, key)]

    def _expression(self, table: str, key: str) -> Column:
        """An expression key (`(lower(email))`): no pg_stats row, so its width, NULLs and
        distinct values come from the first EXPRESSION_SAMPLE rows (a capped read)."""
        try:
            typlen, align, typname = self.db.query(
                f"SELECT t.typlen, t.typalign, t.typname FROM pg_type t WHERE t.oid = "
                f"(SELECT pg_typeof({key})::oid FROM {quote_ident(table)} LIMIT 1)")[0]
            n, width, nulls, distinct = self.db.query(
                f"SELECT count(*), avg(pg_column_size(v)), avg((v IS NULL)::int), count(DISTINCT v) "
                f"FROM (SELECT {key} AS v FROM {quote_ident(table)} LIMIT {EXPRESSION_SAMPLE}) s")[0]
        except (DatabaseError, IndexError):
            return Column(16.0, 0.0, -1.0, -1, 4, "text")
        n, distinct = int(n or 0), int(distinct or 0)
        non_null = max(n - round(float(nulls or 0) * n), 1)
        # All distinct in the sample: unique; few: a fixed set of values; else a share of the rows.
        n_distinct = -1.0 if distinct >= non_null else (float(distinct) if distinct * 10 < non_null
                                                         else -distinct / non_null)
        width = float(width) if width is not None else (float(typlen) if typlen > 0 else 16.0)
        if typlen == -1 and width - 3 < 127:
            width -= 3  # a computed value has a 4-byte header; stored in the index, a short one of 1
        return Column(width, float(nulls or 0.0), n_distinct, int(typlen),
                      _ALIGN.get(align, 8), typname)

    def estimate(self, table: str, keys: tuple[str, ...], include: tuple[str, ...] = (),
                 where: str | None = None) -> Estimate:
        rows, columns = self._table(table)
        return estimate(self._rows(table, where, rows), [self._column(table, k, columns) for k in keys],
                        [self._column(table, c, columns) for c in include], self.db.server_version)

    def size(self, candidate) -> int | None:  # noqa: ANN001 - candidates.Candidate (no import cycle)
        """Bytes of a candidate B-tree; None for other methods (HypoPG's or a build's size then)."""
        if candidate.method != "btree":
            return None
        return self.estimate(candidate.table, candidate.key_names, candidate.include, candidate.where).bytes
