"""The thresholds the partitioning step decides with, in one place, each with its reason.

Partitioning costs something on every query that cannot prune (one index probe per
partition), on planning (more relations to consider) and on keys (every primary key and
unique constraint must contain the partition key).  It pays off when a table is big enough
that whole-partition operations matter: dropping a month instead of DELETEing 180 M rows,
vacuuming and reindexing piece by piece, and queries that touch one partition's index
instead of one huge index.
"""

from __future__ import annotations

import math
from datetime import date

from schemawright import model as m
from schemawright.partitioning.calendar import months_in, range_count

# Below this many rows at the horizon a well-indexed plain table is simpler and as fast:
# B-tree depth grows with log(rows), autovacuum copes, and a batched DELETE keeps a retention.
# PostgreSQL's manual puts the point where partitioning pays at a table bigger than the
# server's memory; 50 M rows of a typical 100-byte row is 5 GB.  Under it, every pattern that
# does not name the partition key pays one index probe per partition for nothing (a library's
# loans, 12 M rows in 89 monthly partitions: 0.14 ms -> 6.4 ms p95 on the hot lookup).
LARGE_ROWS = 50_000_000
# Hash partitioning is never chosen on its own: a lookup by key finds its rows through an
# index in a few page reads at any size, so hash partitions only spread maintenance.  The
# spec can ask for it (`partition: hash(key, 8)`), and bench then measures it.
HUGE_ROWS = 100_000_000
# Range intervals are chosen so one partition holds at most this many rows: small enough to
# vacuum, reindex or drop quickly ...
MAX_PARTITION_ROWS = 50_000_000
# ... and, coarser than a month, at least this many: a smaller partition is all overhead
# (a probe per partition for every query that does not prune) and saves nothing to drop.
MIN_PARTITION_ROWS = 1_000_000
# Hash partitions are sized for the same target, within these bounds.
MIN_HASH_PARTITIONS, MAX_HASH_PARTITIONS = 4, 64
# List partitioning only on a column with this few known values (one partition each).
MAX_LIST_VALUES = 32
# Without a retention, the size that matters is the size in two years.
HORIZON_MONTHS = 24
# Range partitions made ahead of go-live's (and kept ahead by the maintenance function): a
# few, so a new system starts with a handful of partitions, not years of empty ones.
DEFAULT_AHEAD = 4
# Range intervals tried, widest first, then coarser ones while a partition would be too small.
INTERVALS = ("1 month", "1 week", "1 day")
COARSER = ("3 months", "6 months", "12 months")
# schema.sql creates every initial partition in one migration, in one transaction.  Each
# partition takes about ten locks (the partition, its TOAST table, their indexes) and a
# server's lock table holds max_locks_per_transaction (64) x max_connections (100) = 6,400
# by default: 36,648 daily partitions ran out of shared memory.  A range scheme whose
# interval is chosen here is made coarser until it fits; one the spec asks for is an error.
MAX_INITIAL_PARTITIONS = 512
# Every interval a range scheme may have, finest first: the ways to make one coarser.
COARSENING = ("1 day", "1 week", "1 month", "3 months", "6 months", "12 months")


def fitting_interval(start_day: date, interval: str, history: int, ahead: int) -> str | None:
    """`interval`, or the first coarser one whose initial partitions fit one transaction;
    None when not even yearly partitions fit (or they leave the calendar)."""
    start = COARSENING.index(interval) if interval in COARSENING else 0
    for candidate in COARSENING[start:]:
        count = range_count(start_day, candidate, history, ahead)
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
    """The widest interval up to a month whose partitions stay under MAX_PARTITION_ROWS; a
    month that would hold under MIN_PARTITION_ROWS becomes a quarter, half a year or a year."""
    per_month = monthly_rows(volume)
    finest = next((i for i in INTERVALS if per_month * months_in(i) <= MAX_PARTITION_ROWS), INTERVALS[-1])
    if finest != INTERVALS[0]:
        return finest
    return next((i for i in (finest, *COARSER) if per_month * months_in(i) >= MIN_PARTITION_ROWS), COARSER[-1])


def steady_partitions(volume: m.Volume, interval: str, ahead: int) -> int | None:
    """Partitions a range scheme holds once the retention is reached (None without one): what
    a pattern that does not name the key probes, one index each."""
    if not volume.retention_months:
        return None
    return math.ceil(volume.retention_months / months_in(interval) - 1e-9) + ahead + 1


def retention_fits(start: date, retention_months: int | None) -> bool:
    """The maintenance function drops partitions older than start minus the retention: that
    date must be a real one (year 1 or later), or the function fails when it runs."""
    return not retention_months or start.year * 12 + start.month - 1 - retention_months >= 12


def history_months(volume: m.Volume | None) -> int:
    """Months before the start date the initial partitions cover: the rows declared now (data
    brought over at go-live) at the monthly growth, at most the retention.  A new system
    (`rows: 0`) gets none: partitions start at go-live."""
    if volume is None or not volume.rows:
        return 0
    return min(math.ceil(volume.rows / monthly_rows(volume)), volume.retention_months or HORIZON_MONTHS)


def rows_per_interval(volume: m.Volume, interval: str) -> int:
    return int(monthly_rows(volume) * months_in(interval))


def hash_partitions(volume: m.Volume) -> int:
    """A power of two (so partitions can later be split evenly) near rows / MAX_PARTITION_ROWS."""
    wanted = -(-horizon_rows(volume) // MAX_PARTITION_ROWS)
    count = MIN_HASH_PARTITIONS
    while count < wanted and count < MAX_HASH_PARTITIONS:
        count *= 2
    return count
