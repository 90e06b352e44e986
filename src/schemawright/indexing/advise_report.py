"""What `schemawright advise` prints: the advice as text for people and as JSON for tools.

The JSON shape is stable (version 1): keys are always present, lists are sorted as the text
shows them, numbers are plain (bytes as integers, costs rounded to 0.01 planner units).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from schemawright import model as m
from schemawright.indexing.select import Advice
from schemawright.sql.postgresql import PostgresGenerator

JSON_VERSION = 1


@dataclass(frozen=True)
class ExistingIndex:
    """An index already in the database worth a second look."""

    name: str
    table: str
    kind: str  # unused, duplicate, redundant, or planned (idx_scan 0 but the workload's plans use it)
    detail: str
    fix: str
    size_bytes: int | None = None


@dataclass
class AdviseReport:
    advice: Advice
    database: str  # redacted URL
    workload_source: str
    existing: list[ExistingIndex] = field(default_factory=list)
    statistics_reset: str | None = None  # pg_stat_database.stats_reset (None: never reset)
    skipped: tuple[str, ...] = ()
    applied: list[str] = field(default_factory=list)  # names of indexes --apply created
    apply_errors: list[str] = field(default_factory=list)
    server_version: str = ""  # SHOW server_version of the database advised


def create_concurrently(index: m.Index) -> str:
    """`CREATE INDEX CONCURRENTLY` for an index (it cannot run inside a transaction block)."""
    return PostgresGenerator().create_index_sql(index, concurrently=True)


def statements(advice: Advice) -> list[tuple[str, m.Index]]:
    by_name = {i.name: i for i in advice.design.indexes}
    return [(create_concurrently(by_name[c.name]), by_name[c.name]) for c in advice.chosen if c.name in by_name]


def _size(n: int | None) -> str:
    if n is None:
        return "?"
    size = float(n)
    for unit in ("bytes", "kB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{int(size)} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} bytes"


def _change(before: float, after: float) -> str:
    if before <= 0:
        return ""
    return f" ({(after - before) / before:+.1%})"


def render_text(report: AdviseReport) -> str:
    a = report.advice
    lines = [f"Index advice for {report.database}" + (f" (PostgreSQL {report.server_version.split()[0]})"
                                                      if report.server_version.split() else ""),
             (f"workload: {report.workload_source}, {len(a.patterns) + len(a.not_costed)} statement(s); "
              f"what-if: {a.whatif} (hypothetical indexes; nothing was built or analysed; costs use the "
              "planner's current statistics)"),
             f"storage budget: {_size(a.budget_bytes)} (tables: {_size(a.data_bytes)})",
             f"parameter values: {a.parameter_values or 'not recorded'}",
             f"advisor time: {a.timing.line()}", ""]
    created = statements(a)
    chosen = {c.name: c for c in a.chosen}
    if created:
        lines.append(f"Create {len(created)} index(es), {_size(a.size_bytes)} in all:")
        for sql, index in created:
            c = chosen[index.name]
            lines.append(f"  {sql}")
            lines.append(f"    -- serves {', '.join(c.patterns) or 'no costed pattern'}; "
                         f"size {_size(c.size)} ({c.size_source})")
    else:
        lines.append("No new index to create.")
    held = [r for r in a.rejected if "budget" in r.reason]
    if held:
        lines.append(f"Held back by the budgets ({len(held)}; raise --budget to allow them):")
        for r in held[:10]:
            lines.append(f"  {r.candidate.label()}: {r.reason}")
    lines.append("")
    lines.append(f"Workload cost: {a.cost_before:.2f} -> {a.cost_after:.2f}{_change(a.cost_before, a.cost_after)} "
                 "(frequency-weighted EXPLAIN cost)")
    if a.patterns:
        width = max(len(p.name) for p in a.patterns)
        for p in sorted(a.patterns, key=lambda p: p.name):
            uses = f"  [{', '.join(p.indexes)}]" if p.indexes else ""
            lines.append(f"  {p.name:<{width}}  x{p.frequency:g}  {p.before:.2f} -> {p.after:.2f}"
                         f"{_change(p.before, p.after)}{uses}")
    for name, reason in sorted(a.not_costed.items()):
        lines.append(f"  {name}: not costed: {reason}")
    for note in report.skipped:
        lines.append(f"  skipped: {note}")
    lines.append("")
    lines.append("Existing indexes:")
    if not report.existing:
        lines.append("  nothing unused, duplicate or prefix-redundant")
    for e in report.existing:
        size = f", {_size(e.size_bytes)}" if e.size_bytes is not None else ""
        lines.append(f"  {e.kind}: {e.name} on {e.table}{size}: {e.detail}")
        lines.append(f"    fix: {e.fix}")
    since = report.statistics_reset or "the server's statistics were never reset"
    lines.append(f"  (unused = idx_scan is 0 in pg_stat_user_indexes since the last statistics reset: {since}; "
                     "counts are per server, so check replicas too, and a recent reset makes every index look unused)")
    if report.applied or report.apply_errors:
        lines.append("")
        for name in report.applied:
            lines.append(f"applied: created index {name}")
        for error in report.apply_errors:
            lines.append(f"apply failed: {error}")
    elif created:
        lines.append("")
        lines.append("Nothing was changed in the database; run again with --apply to create these indexes.")
    return "\n".join(lines) + "\n"


def to_json(report: AdviseReport) -> dict:
    a = report.advice
    chosen = {c.name: c for c in a.chosen}
    return {
        "version": JSON_VERSION,
        "database": report.database,
        "server_version": report.server_version,
        "whatif": a.whatif,
        "workload": {"source": report.workload_source, "statements": len(a.patterns) + len(a.not_costed),
                     "skipped": list(report.skipped), "parameter_values": a.parameter_values},
        "budget_bytes": a.budget_bytes,
        "data_bytes": a.data_bytes,
        "advisor": {"seconds": round(a.timing.seconds, 3), "whatif_explains": a.timing.explains,
                    "explain_seconds": round(a.timing.explain_seconds, 3), "cache_hits": a.timing.cache_hits,
                    "whatif_indexes": a.timing.whatif_indexes, "pruned_moves": a.timing.pruned,
                    "stopped": a.timing.stopped},
        "cost": {"before": round(a.cost_before, 2), "after": round(a.cost_after, 2),
                 "change": round((a.cost_after - a.cost_before) / a.cost_before, 4) if a.cost_before > 0 else 0.0},
        "create": [{"name": index.name, "table": index.table, "statement": sql,
                    "patterns": list(chosen[index.name].patterns), "size_bytes": chosen[index.name].size,
                    "size_source": chosen[index.name].size_source,
                    "rules": list(chosen[index.name].rules)} for sql, index in statements(a)],
        "patterns": [{"name": p.name, "frequency": p.frequency, "cost_before": round(p.before, 2),
                      "cost_after": round(p.after, 2), "indexes": list(p.indexes)}
                     for p in sorted(a.patterns, key=lambda p: p.name)],
        "not_costed": [{"name": n, "reason": r} for n, r in sorted(a.not_costed.items())],
        "rejected": [{"candidate": r.candidate.label(), "reason": r.reason} for r in a.rejected],
        "existing": {kind: [{"name": e.name, "table": e.table, "detail": e.detail, "fix": e.fix,
                             "size_bytes": e.size_bytes} for e in report.existing if e.kind == kind]
                     for kind in ("unused", "duplicate", "redundant", "planned")},
        "statistics_reset": report.statistics_reset,
        "applied": list(report.applied),
        "apply_errors": list(report.apply_errors),
    }


def render_json(report: AdviseReport) -> str:
    return json.dumps(to_json(report), indent=2, ensure_ascii=False) + "\n"
