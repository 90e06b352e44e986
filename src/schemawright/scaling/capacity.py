"""Capacity plan: bytes per table, index and TOAST at launch and 12/24/36 months, WAL a day,
the disk and memory that follow, and when an integer key or a range partition scheme runs out.

Sizes follow PostgreSQL's layout (pagelayout) at the spec's typical widths (column_widths) for
the rows volumes gives (volumes); WAL from the write patterns (wal).  A plain table whose old
rows are deleted keeps its largest file (freed space is reused, not returned), so its bytes
never fall; a partitioned one drops whole partitions and plateaus at the retention.
Later planners read it with `earlier.section("capacity", CapacityPlan)`:
`tables`, `total_bytes(months)`, `wal_bytes_per_day`, `disk_bytes`, `memory_working_set_bytes`.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from schemawright import model as m
from schemawright.pagelayout import heap_tuple_bytes
from schemawright.scaling.table_size import TableSize, estimate_table, months_in, typical_columns
from schemawright.scaling.volumes import TableVolume, table_volumes
from schemawright.scaling.wal import CHECKPOINT_SECONDS, PEAK_TO_AVERAGE, PatternWal, pattern_wal

if TYPE_CHECKING:
    from schemawright.scaling.plan import OperationsPlan

HORIZONS = (0, 12, 24, 36)  # months after launch
GIB = 1024 ** 3
MAX_WAL_SIZE = GIB  # max_wal_size's default: WAL kept between checkpoints
DISK_FULL_AT = 0.80  # plan the disk so the data stays under 80 % of it (the disk alert's threshold)
CACHE_SHARE = 0.75  # RAM left to shared_buffers and the OS cache, the rest for connections and the OS
HOT_MONTHS = 1  # a large growing table's hot rows: the newest month's
SMALL_TABLE = GIB  # a table this small is hot as a whole
KEY_LIMITS = {"int2": 2 ** 15 - 1, "int4": 2 ** 31 - 1, "int8": 2 ** 63 - 1}
NEVER_MONTHS = 12 * 1000


@dataclass(frozen=True)
class TableCapacity:
    table: str
    volume: TableVolume
    rows: tuple[float, ...]  # held at each of HORIZONS
    sizes: tuple[TableSize, ...]  # at each of HORIZONS
    partitioned: bool

    def at(self, months: int) -> TableSize:
        return self.sizes[HORIZONS.index(months)]


@dataclass(frozen=True)
class KeyRunway:
    table: str
    column: str
    type_name: str  # int2, int4, int8
    limit: int
    inserts_per_month: float
    months: float | None  # None: the volumes do not grow it


@dataclass(frozen=True)
class PartitionRunway:
    table: str
    interval: str
    ahead_months: float  # created ahead of go-live: how long rows find a partition if maintenance stops
    default_partition: str | None
    rows_per_month: float  # what would go into the DEFAULT partition once they run out
    bytes_per_month: int


@dataclass(frozen=True)
class CapacityPlan:
    title: str
    anchor: str
    project: str
    tables: tuple[TableCapacity, ...]
    wal: tuple[PatternWal, ...]
    wal_kept_bytes: int
    disk_bytes: int  # data at 36 months + room to rewrite the largest table + WAL kept, at 80 % full
    memory_working_set_bytes: int  # every index + the hot heap pages, at 12 months
    memory_bytes: int  # RAM that holds the working set in shared_buffers and the OS cache
    keys: tuple[KeyRunway, ...]
    partitions: tuple[PartitionRunway, ...]
    machine: m.Machine

    def total_bytes(self, months: int = 0) -> int:
        """Data bytes (heaps, TOAST, indexes) of every table at a horizon (0, 12, 24, 36)."""
        return sum(t.at(months).total for t in self.tables)

    @property
    def wal_bytes_per_day(self) -> int:
        return round(sum(w.bytes_per_day for w in self.wal))

    def table(self, name: str) -> TableCapacity | None:
        return next((t for t in self.tables if t.table == name), None)

    def markdown(self) -> list[str]:
        from schemawright.scaling.capacity_md import capacity_markdown

        return capacity_markdown(self)

    def files(self) -> dict[str, str]:
        return {"capacity.csv": capacity_csv(self)}


def plan(design: m.Design, earlier: OperationsPlan) -> CapacityPlan:
    volumes = table_volumes(design)
    tables = tuple(_table_capacity(design, t, volumes) for t in design.tables)
    tuple_bytes = {t.name: heap_tuple_bytes(list(typical_columns(design, t, volumes[t.name].rows,
                                                                     lambda n: volumes[n].rows).values()))
                   for t in design.tables}
    launch_sizes = {c.table: c.at(0) for c in tables}
    wal = tuple(w for p in design.access_patterns if (w := pattern_wal(design, p, launch_sizes, tuple_bytes)))
    wal_per_day = sum(w.bytes_per_day for w in wal)
    wal_kept = max(MAX_WAL_SIZE, round(wal_per_day))
    last = HORIZONS[-1]
    data = sum(t.at(last).total for t in tables)
    largest = max((t.at(last).total for t in tables), default=0)
    disk = math.ceil((data + largest + wal_kept) / DISK_FULL_AT)
    working = sum(_hot_bytes(t) for t in tables)
    return CapacityPlan("Capacity plan", "capacity", design.project, tables, wal, wal_kept, disk, working,
                        math.ceil(working / CACHE_SHARE), tuple(_key_runways(design, volumes)),
                        tuple(_partition_runways(design, volumes, {t.table: t for t in tables})), design.machine)


def _table_capacity(design: m.Design, table: m.Table, volumes: dict[str, TableVolume]) -> TableCapacity:
    volume = volumes[table.name]
    rows, sizes = [], []
    high_water = 0.0
    for months in HORIZONS:
        held = volume.held(months)
        high_water = max(high_water, held)
        # A plain table reuses the space of deleted rows but keeps its file: sized at its high water.
        sized = held if table.partitioning is not None else high_water
        rows.append(held)
        sizes.append(estimate_table(design, table, sized, rows_of=lambda n, months=months: volumes[n].held(months)))
    return TableCapacity(table.name, volume, tuple(rows), tuple(sizes), table.partitioning is not None)


def _hot_bytes(table: TableCapacity) -> int:
    """Bytes reads keep in memory: a small table whole; a large growing one every index (lookups
    walk them) and its newest HOT_MONTHS of rows, or, partitioned, its newest partitions only."""
    size = table.at(12)
    rows = table.rows[HORIZONS.index(12)]
    if size.total <= SMALL_TABLE or table.volume.growth_per_month <= 0 or rows <= 0:
        return size.total
    recent = min(1.0, table.volume.growth_per_month * HOT_MONTHS / rows)
    if table.partitioned:
        return round(size.total * recent)
    return size.index_bytes + round((size.heap + size.toast) * recent)


def _key_runways(design: m.Design, volumes: dict[str, TableVolume]) -> list[KeyRunway]:
    """Integer columns numbered by the database (identity, serial): how long until the next value
    passes the type's largest.  Deleted rows do not give their numbers back."""
    out = []
    for table in design.tables:
        volume = volumes[table.name]
        for column in table.columns:
            numbered = column.identity or "nextval" in (column.default or "").lower()
            kind = {"smallint": "int2", "integer": "int4", "bigint": "int8", "smallserial": "int2",
                    "serial": "int4", "bigserial": "int8"}.get((column.sql_type or "").lower())
            if not numbered or kind is None:
                continue
            limit = KEY_LIMITS[kind]
            growth = volume.growth_per_month
            months = (limit - volume.rows) / growth if growth > 0 else None
            out.append(KeyRunway(table.name, column.name, kind, limit, growth,
                                 max(months, 0.0) if months is not None else None))
    return out


def _partition_runways(design: m.Design, volumes: dict[str, TableVolume],
                       capacity: dict[str, TableCapacity]) -> list[PartitionRunway]:
    out = []
    for table in design.tables:
        p = table.partitioning
        if p is None or p.method != "range":
            continue
        ahead = _months_ahead(p) if p.anchor else p.ahead * months_in(p.interval)
        volume = volumes[table.name]
        launch = capacity[table.name]
        per_row = launch.at(0).total / launch.rows[0] if launch.rows[0] else 0.0
        out.append(PartitionRunway(table.name, p.interval or "", ahead, p.default_partition,
                                   volume.growth_per_month, round(per_row * volume.growth_per_month)))
    return out


def _months_ahead(p: m.Partitioning) -> float:
    """Months from the anchor (go-live) to the end of the last partition created."""
    uppers = [x.bound.upper[0].strip("'")[:10] for x in p.partitions if x.bound.kind == "range" and x.bound.upper]
    try:
        start, end = date.fromisoformat((p.anchor or "")[:10]), date.fromisoformat(max(uppers))
    except ValueError:
        return p.ahead * months_in(p.interval)
    return max((end - start).days / 30.44, 0.0)


def capacity_csv(plan: CapacityPlan) -> str:
    """One line per table, part (heap, toast, each index) and horizon: rows and bytes."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["table", "part", "months", "rows", "bytes"])
    for t in plan.tables:
        for months, rows, size in zip(HORIZONS, t.rows, t.sizes):
            parts = [("heap", size.heap), ("toast", size.toast), *((f"index {n}", b) for n, b in size.indexes),
                     ("total", size.total)]
            for part, nbytes in parts:
                writer.writerow([t.table, part, months, round(rows), nbytes])
    writer.writerow(["(wal per day)", "wal", 0, "", plan.wal_bytes_per_day])
    return buffer.getvalue()


__all__ = ["CHECKPOINT_SECONDS", "PEAK_TO_AVERAGE", "CapacityPlan", "TableCapacity", "plan"]
