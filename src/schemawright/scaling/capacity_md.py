"""The capacity plan's part of operations.md."""

from __future__ import annotations

from typing import TYPE_CHECKING

from schemawright.scaling.column_widths import ASSUMED, PLANNER_DEFAULT
from schemawright.scaling.wal import CHECKPOINT_SECONDS, PEAK_TO_AVERAGE

if TYPE_CHECKING:
    from schemawright.scaling.capacity import CapacityPlan

GIB = 1024 ** 3


def size(nbytes: float) -> str:
    """Bytes for people: 512 kB, 3.4 MB, 12.0 GB (powers of 1024, as pg_size_pretty)."""
    for unit, factor in (("TB", 1024 ** 4), ("GB", 1024 ** 3), ("MB", 1024 ** 2), ("kB", 1024)):
        if nbytes >= factor:
            return f"{nbytes / factor:,.1f} {unit}"
    return f"{nbytes:,.0f} bytes"


def _months(value: float | None) -> str:
    if value is None:
        return "never (no growth declared)"
    if value >= 12 * 1000:
        return "never (over 1,000 years)"
    return f"{value:,.0f} months ({value / 12:,.1f} years)"


def capacity_markdown(plan: CapacityPlan) -> list[str]:
    from schemawright.scaling.capacity import HORIZONS

    out = ["Bytes each table will take, from the spec's volumes (rows at launch, growth a month, retention) "
           "and PostgreSQL's on-disk layout: 8 kB pages with a 24-byte header, a 4-byte line pointer and a "
           "23-byte tuple header (+ null bitmap) per row, values aligned by type and rows to 8 bytes, pages "
           "filled to the fillfactor; B-trees with equal keys deduplicated, their leaves 90 % full where keys "
           "only grow (identity, `now()`) and about 68 % where inserts land at random places (leaves split in "
           "halves); TOAST for rows past 2 kB. `validate --operations` loads the design at a scale and compares "
           "this arithmetic with `pg_total_relation_size`.", "",
           "Assumptions: a text value the spec bounds with `max_length` takes PostgreSQL's own guess "
           f"(all of it up to 32 characters, then half the rest); an unbounded one {PLANNER_DEFAULT} bytes "
           f"(the planner's default); jsonb {ASSUMED['jsonb']}, arrays {ASSUMED['array']}, bytea "
           f"{ASSUMED['bytea']} bytes; values are not compressed (real text often is: an upper bound). "
           "Tables without a volume take their largest parent's rows (junctions twice that); a plain table "
           "whose old rows are deleted keeps its largest size (the space is reused, not returned to the "
           "disk); a partitioned one drops whole partitions and plateaus. All figures are per copy: each "
           "replica needs the same.", ""]
    heads = " | ".join(f"{h} mo" if h else "launch" for h in HORIZONS)
    out += [f"| table | rows now | heap | TOAST | indexes | {heads} |",
            "|---|---:|---:|---:|---:|" + "---:|" * len(HORIZONS)]
    for t in plan.tables:
        launch = t.at(0)
        note = " (partitioned)" if t.partitioned else ""
        out.append(f"| `{t.table}`{note} | {t.rows[0]:,.0f} | {size(launch.heap)} | {size(launch.toast)} | "
                   f"{size(launch.index_bytes)} | " + " | ".join(size(s.total) for s in t.sizes) + " |")
    totals = [plan.total_bytes(h) for h in HORIZONS]
    out.append(f"| **total** | {sum(t.rows[0] for t in plan.tables):,.0f} | "
               f"{size(sum(t.at(0).heap for t in plan.tables))} | {size(sum(t.at(0).toast for t in plan.tables))} | "
               f"{size(sum(t.at(0).index_bytes for t in plan.tables))} | "
               + " | ".join(f"**{size(b)}**" for b in totals) + " |")
    out += ["", "Each index's bytes at every horizon are in `capacity.csv`.", ""]
    out += _wal(plan)
    out += _disk_and_memory(plan)
    out += _runways(plan)
    return out


def _wal(plan: CapacityPlan) -> list[str]:
    out = ["### WAL", "",
           f"From the write patterns: `frequency` is executions a second at peak; the day's average is taken "
           f"as 1/{PEAK_TO_AVERAGE:g} of it (a daily cycle whose busiest hour runs about {PEAK_TO_AVERAGE:g} times "
           "the mean). Each run writes its rows' heap records, index entries (none for an update that SETs no "
           "indexed column: a HOT update) and a commit record; full-page images count one 8 kB page per "
           f"distinct page changed at a random place per checkpoint (every {CHECKPOINT_SECONDS} s, "
           "checkpoint_timeout's default); appends (identity keys, `now()` timestamps) add few.", ""]
    if not plan.wal:
        return out + ["No write pattern: WAL comes only from loads and maintenance, not estimated.", ""]
    out += ["| pattern | table | statement | rows a run | peak /s | WAL a run | full-page images a day | WAL a day |",
            "|---|---|---|---:|---:|---:|---:|---:|"]
    for w in plan.wal:
        kind = w.statement + (" (HOT)" if w.hot else "")
        out.append(f"| {w.pattern} | `{w.table}` | {kind} | {w.rows_per_run:g} | {w.peak_per_second:g} | "
                   f"{size(w.record_bytes)} | {size(w.page_image_bytes_per_day)} | {size(w.bytes_per_day)} |")
    out += [f"| **total** | | | | | | | **{size(plan.wal_bytes_per_day)}** |", ""]
    return out


def _disk_and_memory(plan: CapacityPlan) -> list[str]:
    largest = max(plan.tables, key=lambda t: t.at(36).total, default=None)
    machine = plan.machine
    out = ["### Disk and memory", "",
           f"- **Disk:** {size(plan.disk_bytes)} = (data at 36 months {size(plan.total_bytes(36))} + room to "
           f"rewrite the largest table ({'`' + largest.table + '`, ' if largest else ''}"
           f"{size(largest.at(36).total) if largest else '0'}: VACUUM FULL, CLUSTER, REINDEX and pg_repack copy "
           f"it) + WAL kept {size(plan.wal_kept_bytes)} (max_wal_size, or a day of WAL should archiving or a "
           "replica stall, whichever is larger)) / 0.8, so the data stays under 80 % of the disk."]
    if machine.disk_gb:
        verdict = "enough" if machine.disk_gb * GIB >= plan.disk_bytes else "**too small**"
        out[-1] += f" The target's {machine.disk_gb:g} GiB disk is {verdict}."
    out.append(f"- **Memory:** working set {size(plan.memory_working_set_bytes)} at 12 months (tables under "
               "1 GB whole; of a larger growing one every index and its newest month of rows, or, partitioned, its "
               "newest month of partitions); RAM to hold it "
               f"in shared_buffers and the OS cache, which get about 75 % of it: {size(plan.memory_bytes)}.")
    fits = machine.memory_gb * GIB >= plan.memory_bytes
    out[-1] += (f" The target's {machine.memory_gb:g} GiB " + ("holds it." if fits else
                "does **not** hold it: reads of the rest go to disk (add RAM or expect disk-bound latency)."))
    return out + [""]


def _runways(plan: CapacityPlan) -> list[str]:
    out = ["### When keys and partitions run out", ""]
    narrow = [k for k in plan.keys if k.type_name != "int8"]
    wide = [k for k in plan.keys if k.type_name == "int8"]
    if wide:
        out += [f"{len(wide)} bigint column(s) numbered by the database ("
                + ", ".join(f"`{k.table}.{k.column}`" for k in wide) + ") never run out at the declared growth "
                "(2^63 - 1 values: over 1,000 years).", ""]
    if narrow:
        out += ["Integer columns the database numbers (identity, serial) count every insert, deleted rows included; "
                "change them to bigint before they run out (a rewrite of the table and its referencing keys):", "",
                "| column | type | largest value | inserts a month | runs out in |", "|---|---|---:|---:|---|"]
        for k in narrow:
            out.append(f"| `{k.table}.{k.column}` | {k.type_name} | {k.limit:,} | {k.inserts_per_month:,.0f} | "
                       f"{_months(k.months)} |")
        out.append("")
    if not plan.keys:
        out += ["No column is numbered by the database.", ""]
    for r in plan.partitions:
        default = (f"rows then go into the DEFAULT partition `{r.default_partition}`" if r.default_partition
                   else "inserts then fail (no DEFAULT partition)")
        out.append(f"- `{r.table}` (range, {r.interval}): partitions created ahead cover {r.ahead_months:,.1f} "
                   f"months from go-live. Should the maintenance job stop, {default} at {r.rows_per_month:,.0f} rows "
                   f"({size(r.bytes_per_month)}) a month, and creating a partition for a range the DEFAULT "
                   "already holds rows of fails until they are moved out; the monitoring section alerts on both.")
    if plan.partitions:
        out.append("")
    return out
