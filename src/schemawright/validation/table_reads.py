"""Where the binder (patterns.Binder) reads parameter values from: whole tables, or statistics
and small samples.

- `WholeTables`: the scratch databases of validate and bench hold synthetic rows made for the
  run, so a full scan is cheap and finds the exact most common value or extreme.
- `SampledTables`: `advise` on a live, possibly large and busy database.  A value comes from
  the planner's statistics first (`pg_stats`: the most common value, the most common array
  element, a histogram bound) -- which is also what the planner itself sees when it costs the
  query, so nothing is lost for EXPLAIN.  Only a column without statistics (a table never
  analysed) is read, through `TABLESAMPLE SYSTEM (p) REPEATABLE (seed)` with a row cap, `p`
  chosen so the cap spreads over the whole table.  `summary()` says what was read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from schemawright.database import Database, DatabaseError
from schemawright.sql.quoting import quote_ident

SAMPLE_ROWS = 10_000  # the most rows one sampled query reads from one table


@dataclass(frozen=True)
class ColumnStatistics:
    common: tuple[str, ...] = ()  # most_common_vals, most frequent first
    histogram: tuple[str, ...] = ()  # histogram_bounds, ascending
    elements: tuple[str, ...] = ()  # most_common_elems, most frequent first


class WholeTables:
    """Read values from the tables themselves (validate, bench: synthetic scratch data)."""

    def __init__(self) -> None:
        self._statistics: dict[tuple[str, str], ColumnStatistics | None] = {}

    def relation(self, db: Database, table: str) -> str:
        """What to write in FROM to read `table`'s rows."""
        return quote_ident(table)

    def value(self, db: Database, table: str, column: str, role: str, element: bool) -> str | None:
        """A value known without reading the table, or None (then the table is read)."""
        return None

    def statistics(self, db: Database, table: str, column: str) -> ColumnStatistics | None:
        """The planner's statistics of one column (None: the column was never analysed)."""
        key = (table, column)
        if key not in self._statistics:
            self._statistics[key] = _read_statistics(db, table, column)
        return self._statistics[key]

    def summary(self) -> str:
        return "read from the tables themselves"


class SampledTables(WholeTables):
    """Statistics first, then a capped TABLESAMPLE; never a whole table (advise, live data)."""

    def __init__(self, rows: int = SAMPLE_ROWS, seed: int = 0) -> None:
        super().__init__()
        self.rows, self.seed = rows, seed
        self.used: set[tuple[str, str]] = set()  # columns a value or a window came from
        self.samples: dict[str, tuple[str, int]] = {}  # table -> (percent as written, sampled reads)

    def statistics(self, db: Database, table: str, column: str) -> ColumnStatistics | None:
        found = super().statistics(db, table, column)
        if found is not None:
            self.used.add((table, column))
        return found

    def value(self, db: Database, table: str, column: str, role: str, element: bool) -> str | None:
        found = super().statistics(db, table, column)
        if found is None:
            return None
        if element:
            value = found.elements[0] if found.elements else None
        elif role == "low":
            value = found.histogram[0] if found.histogram else None
        elif role == "high":
            value = found.histogram[-1] if found.histogram else None
        else:  # equality: the most common value, else a value the analyse sample saw
            value = found.common[0] if found.common else (
                found.histogram[len(found.histogram) // 2] if found.histogram else None)
        if value is not None:
            self.used.add((table, column))
        return value

    def relation(self, db: Database, table: str) -> str:
        percent = self.samples[table][0] if table in self.samples else _percent(db, table, self.rows)
        queries = self.samples.get(table, (percent, 0))[1] + 1
        self.samples[table] = (percent, queries)
        return (f"(SELECT * FROM {quote_ident(table)} TABLESAMPLE SYSTEM ({percent}) REPEATABLE ({self.seed}) "
                f"LIMIT {self.rows}) AS {quote_ident(table)}")

    def summary(self) -> str:
        parts = []
        if self.used:
            parts.append(f"from pg_stats for {len(self.used)} column(s)")
        for table, (percent, queries) in sorted(self.samples.items()):
            parts.append(f"a {percent}% TABLESAMPLE of {table} ({queries} read{'s' if queries > 1 else ''} "
                         f"of at most {self.rows:,} rows)")
        if not parts:
            return "generated (nothing read from the tables)"
        return ", ".join(parts) + "; no table read in full"


def _read_statistics(db: Database, table: str, column: str) -> ColumnStatistics | None:
    # The parent of a partitioned table has only the `inherited` row; a plain table only the other.
    try:
        rows = db.query(
            "SELECT most_common_vals::text::text[], histogram_bounds::text::text[], most_common_elems::text::text[], "
            "most_common_elem_freqs::float8[] FROM pg_stats WHERE schemaname = current_schema() AND tablename = %s "
            "AND attname = %s ORDER BY inherited DESC LIMIT 1", [table, column])
    except DatabaseError:
        return None
    if not rows:
        return None
    common, histogram, elements, element_freqs = rows[0]
    # most_common_elems is sorted by value; its frequencies say which is the most common.
    ranked = sorted(zip(elements or (), element_freqs or ()), key=lambda pair: (-pair[1], pair[0]))
    found = ColumnStatistics(tuple(common or ()), tuple(histogram or ()), tuple(e for e, _ in ranked))
    return found if (found.common or found.histogram or found.elements) else None


def _percent(db: Database, table: str, rows: int) -> str:
    """The TABLESAMPLE SYSTEM percentage whose expected rows are `rows` (100 when the size is
    unknown: the LIMIT still bounds what is read)."""
    try:
        # A partitioned table's rows are counted on its leaves (a plain table has no partition tree).
        estimate = db.query_value(
            "SELECT coalesce((SELECT sum(c.reltuples) FILTER (WHERE c.reltuples >= 0) FROM pg_partition_tree(%s::regclass) p "
            "JOIN pg_class c ON c.oid = p.relid WHERE p.isleaf), "
            "(SELECT reltuples FROM pg_class WHERE oid = %s::regclass AND reltuples >= 0))",
            [quote_ident(table), quote_ident(table)])
    except DatabaseError:
        estimate = None
    if not estimate or float(estimate) <= rows:
        return "100"
    return f"{max(100.0 * rows / float(estimate), 0.001):.2g}"
