"""The thresholds the partitioning step decides with, in one place, each with its reason.

Partitioning costs something on every query that cannot prune (one index probe per
partition), on planning (more relations to consider) and on keys (every primary key and
unique constraint must contain the partition key).  It pays off when a table is big enough
that whole-partition operations matter: dropping a month instead of DELETEing 180 M rows,
vacuuming and reindexing piece by piece, and queries that touch one partition's index
instead of one huge index.
"""

from __future__ import annotations

from datetime import date

from schemawright import model as m
from schemawright.partitioning.calendar import months_in, range_count

# Below this many rows at the horizon a well-indexed plain table is simpler and as fast:
# B-tree depth grows with log(rows), and autovacuum copes.  (The usual advice is tens of
# millions of rows, or a table that no longer fits in memory.)
LARGE_ROWS = 10_000_000
# Hash partitioning only for tables this big: key lookups gain nothing from it, the win is
# maintenance (vacuum, reindex, backups) in pieces of a manageable size.
HUGE_ROWS = 100_000_000
# Range intervals are chosen so one partition holds at most this many rows: small enough to
# vacuum, reindex or drop quickly, large enough that the partition count stays low.
MAX_PARTITION_ROWS = 50_000_000
# Hash partitions are sized for the same target, within these bounds.
MIN_HASH_PARTITIONS, MAX_HASH_PARTITIONS = 4, 64
# List partitioning only on a column with this few known values (one partition each).
MAX_LIST_VALUES = 32
# Without a retention, the size that matters is the size in two years.
HORIZON_MONTHS = 24
# Range partitions created ahead of the anchor (and kept ahead by the maintenance function).
DEFAULT_AHEAD = 4
# Initial range partitions are placed around this date unless the spec gives `anchor:`; a
# fixed date (not today) keeps schema.sql byte-identical whenever `design` runs.
DEFAULT_ANCHOR = "2026-01-01"
# Range intervals tried, widest first.
INTERVALS = ("1 month", "1 week", "1 day")
# schema.sql creates every initial partition in one migration, in one transaction.  Each
# partition takes about ten locks (the partition, its TOAST table, their indexes) and a
# server's lock table holds max_locks_per_transaction (64) x max_connections (100) = 6,400
# by default: 36,648 daily partitions ran out of shared memory.  A range scheme whose
# interval is chosen here is made coarser until it fits; one the spec asks for is an error.
MAX_INITIAL_PARTITIONS = 512
# Every interval a range scheme may have, finest first: the ways to make one coarser.
COARSENING = ("1 day", "1 week", "1 month", "3 months", "6 months", "12 months")


def fitting_interval(anchor: date, interval: str, retention_months: int | None, ahead: int) -> str | None:
    """`interval`, or the first coarser one whose initial partitions fit one transaction;
    None when not even yearly partitions fit (or they leave the calendar)."""
    start = COARSENING.index(interval) if interval in COARSENING else 0
    for candidate in COARSENING[start:]:
        count = range_count(anchor, candidate, retention_months, ahead)
        if count is None:
            return None
        if count <= MAX_INITIAL_PARTITIONS:
            return candidate
    return None


def horizon_rows(volume: m.Volume) -> int:
    """Rows the table holds at its steady state (with retention) or in two years (without)."""
    if volume.retention_months:
        return max(volume.rows, volume.growth_per_month * volume.retention_months)
    return volume.rows + volume.growth_per_month * HORIZON_MONTHS


def monthly_rows(volume: m.Volume) -> float:
    """New rows per month; a table declared without growth is taken to fill over the horizon."""
    if volume.growth_per_month:
        return float(volume.growth_per_month)
    return horizon_rows(volume) / (volume.retention_months or HORIZON_MONTHS)


def range_interval(volume: m.Volume) -> str:
    """The widest interval whose partitions stay under MAX_PARTITION_ROWS."""
    per_month = monthly_rows(volume)
    return next((i for i in INTERVALS if per_month * months_in(i) <= MAX_PARTITION_ROWS), INTERVALS[-1])


def rows_per_interval(volume: m.Volume, interval: str) -> int:
    return int(monthly_rows(volume) * months_in(interval))


def hash_partitions(volume: m.Volume) -> int:
    """A power of two (so partitions can later be split evenly) near rows / MAX_PARTITION_ROWS."""
    wanted = -(-horizon_rows(volume) // MAX_PARTITION_ROWS)
    count = MIN_HASH_PARTITIONS
    while count < wanted and count < MAX_HASH_PARTITIONS:
        count *= 2
    return count
