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


def _measured(found: PartitionComparison) -> str:
    """Both measurements, as a clause: the patterns' work each way and the retention job's."""
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
    if found.confirmed and parts:
        parts.append("both sides timed again back to back, since bench's own earlier timing of the design's side "
                     "said the design chose wrong")
    return "; ".join(parts)


def _request(found: PartitionComparison) -> str:
    """The spec's `partition:` option that asks for the scheme measured (`range by x, 1 month`)."""
    method, _, rest = found.scheme.partition(" by ")
    args = rest if method != "hash" else f"{rest}, {found.partitions}"
    return f"{method}({args})"


def subject(found: PartitionComparison) -> str:
    """What was compared: the design's scheme, or the one table and the scheme it was tried with."""
    if found.design_partitioned:
        return f"{found.scheme}, {found.partitions} partitions, {found.rows:,} rows"
    return f"one table, {found.rows:,} rows" + (f"; tried {found.scheme}, {found.partitions} partitions"
                                                 if found.scheme else "")


def verdict(found: PartitionComparison) -> str:
    """One sentence: does the scheme pay at this scale, and what to do when the design's choice
    (partitioned, or one table) is the worse one."""
    if not found.design_partitioned:
        return _one_table_verdict(found)
    measured = _measured(found)
    if found.error and not measured:
        return f"not measured: {found.error}"
    if found.pays is None:
        return f"nothing to compare ({measured or 'no pattern reads the table'})"
    if found.pays:
        return f"pays at this scale: {measured}"
    return (f"**does not pay** at this scale: {measured}. Drop it: `partition: none` on the entity, and expire rows "
            "with a batched DELETE")


def _one_table_verdict(found: PartitionComparison) -> str:
    """A large table the design left as one: its best candidate scheme measured, or why none is possible."""
    if found.impossible:
        return f"stays one table: no partitioning scheme is possible: {found.impossible}"
    measured = _measured(found)
    if found.error and not measured:
        return f"stays one table, not measured against {found.scheme}: {found.error}"
    if found.pays is None:
        return f"stays one table: nothing to compare with {found.scheme} ({measured or 'no pattern reads the table'})"
    if found.pays:
        return (f"**partitioned ({found.scheme}) would pay** at this scale: {measured}. Ask for it: "
                f"`partition: {_request(found)}` on the entity")
    return f"stays one table: partitioned ({found.scheme}) would not pay at this scale: {measured}"


def _findings(found_all: list[PartitionComparison]) -> list[str]:
    """A line per table with its verdict, then every pattern's numbers both ways."""
    out = [f"- {code(found.table)} ({text(subject(found))}): {verdict(found)}" for found in found_all]
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
    return out


def partitioning_section(result: BenchResult, *, heading: str = "##") -> list[str]:
    """Each partitioned table measured partitioned and as one table, and each large table left
    as one measured against its best candidate scheme (none of either: nothing)."""
    found_all: list[PartitionComparison] = getattr(result, "partitioning", None) or []
    partitioned = [f for f in found_all if f.design_partitioned]
    kept = [f for f in found_all if not f.design_partitioned]
    out = []
    if partitioned:
        out += [f"{heading} Partitioning: measured against one table", "",
                "Each partitioned table's patterns as timed above on the partitioned design, and timed the same way "
                "(same runs, same parameters drawn) on the same design without partitioning (a second scratch "
                "database, the same generated rows and indexes); "
                "with a retention, the job that expires the oldest partition's rows timed both ways (in a "
                "transaction rolled back). The data is the steady state: a range key with a retention spans the "
                "retention only, and range partitions cover the generated rows as the maintenance function would "
                "have made them.", ""] + _findings(partitioned) + [""]
    if kept:
        out += [f"{heading} Large tables kept as one table: measured against partitioning", "",
                "Each table the design left unpartitioned although it reaches the large-table threshold: its "
                "patterns as timed above, and timed the same way on the same design with the table partitioned by "
                "the best scheme PostgreSQL's key rules allow (a further scratch database, the same generated rows "
                "and indexes), or why no scheme is possible.", ""] + _findings(kept) + [""]
    return out
