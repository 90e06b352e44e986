"""The partitioning comparison in bench.md and report.md: both measurements, and the verdict."""

from __future__ import annotations

from typing import TYPE_CHECKING

from schemawright.documentation.markdown import code, number, table, text

if TYPE_CHECKING:
    from schemawright.performance.partition_compare import PartitionComparison
    from schemawright.performance.results import BenchResult, Latency


def _ms(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.3f}" if value < 1 else f"{value:.2f}" if value < 100 else f"{value:,.0f}"


def _lat(latency: Latency | None, which: str) -> str:
    return _ms(getattr(latency, which)) if latency is not None else "—"


def _seconds(ms: float) -> str:
    seconds = ms / 1000
    if seconds < 120:
        return f"{seconds:,.1f} s"
    return f"{seconds / 60:,.0f} min" if seconds < 7200 else f"{seconds / 3600:,.1f} h"


def verdict(found: PartitionComparison) -> str:
    """One sentence: does the scheme pay at this scale, and what to do when it does not."""
    with_, without = found.work("partitioned"), found.work("plain")
    parts = []
    if with_ is not None and without is not None:
        parts.append(f"the patterns cost {_ms(with_)} ms of work per second at their declared frequencies "
                     f"partitioned, {_ms(without)} ms as one table")
    if found.retention is not None:
        r = found.retention
        parts.append(f"expiring the oldest partition's {r.rows:,} rows takes {_ms(r.partitioned_ms)} ms "
                     "(dropping the partition) "
                     f"against {_ms(r.plain_ms)} ms (DELETE, which also leaves the rows dead for VACUUM)"
                     + (f"; at the declared volume (× {1 / found.scale:,.0f}) the DELETE would take at least "
                        f"{_seconds(r.plain_ms / found.scale)} (scaled with the rows, caches aside), while DROP "
                        "does not grow"
                        if 0 < found.scale < 1 else ""))
    saved = found.retention_saved_per_day()
    if saved is not None and with_ is not None and without is not None:
        parts.append(f"a day at the declared volume, DROP saves {_seconds(max(saved, 0))} of work and the patterns "
                     f"lose {_seconds(found.extra_per_day())} (beyond the 10 % two databases differ by)")
    measured = "; ".join(parts)
    if found.error and not parts:
        return f"not measured: {found.error}"
    if found.pays is None:
        return f"nothing to compare ({measured or 'no pattern reads the table'})"
    if found.pays:
        return f"pays at this scale: {measured}"
    return (f"**does not pay** at this scale: {measured}. Drop it: `partition: none` on the entity, and expire rows "
            "with a batched DELETE")


def partitioning_section(result: BenchResult, *, heading: str = "##") -> list[str]:
    """Each partitioned table measured partitioned and as one table (none: nothing)."""
    found_all: list[PartitionComparison] = getattr(result, "partitioning", None) or []
    if not found_all:
        return []
    out = [f"{heading} Partitioning: measured against one table", "",
           "Each partitioned table's patterns as timed above on the partitioned design, and timed the same way "
           "(same runs, same parameters drawn) on the same design without partitioning (a second scratch "
           "database, the same generated rows and indexes); "
           "with a retention, the job that expires the oldest partition's rows timed both ways (in a transaction "
           "rolled back). The data is the steady state: a range key with a retention spans the retention only, and "
           "range partitions cover the generated rows as the maintenance function would have made them.", ""]
    for found in found_all:
        out += [f"- {code(found.table)} ({text(found.scheme)}, {found.partitions} partitions, "
                f"{number(found.rows)} rows): {verdict(found)}"]
    rows = []
    for found in found_all:
        for p in found.patterns:
            diff = (f"{(p.partitioned.p50 - p.plain.p50) / p.plain.p50 * 100:+.0f} %"
                    if p.partitioned and p.plain and p.plain.p50 > 0 else "—")
            rows.append([code(found.table), code(p.name), f"{p.frequency:g}", _lat(p.partitioned, "p50"),
                         _lat(p.plain, "p50"), diff, _lat(p.partitioned, "p95"), _lat(p.plain, "p95"),
                         text(p.error) if p.error else ""])
    if rows:
        out += [""] + table(["Table", "Pattern", "Per second", "p50 partitioned (ms)", "p50 one table (ms)",
                             "p50 difference", "p95 partitioned (ms)", "p95 one table (ms)", "Error"], rows,
                            align="llrrrrrrl")
    return out + [""]
