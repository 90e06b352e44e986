"""`schemawright design`: every deliverable of a spec, optionally with a bench run in report.md."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from schemawright.commands.bench import BenchFailure, measure
from schemawright.commands.check import checked_storage, designed
from schemawright.commands.output import err, out
from schemawright.commands.planned_indexes import with_planned_indexes
from schemawright.performance.report import summary
from schemawright.pipeline import write_deliverables
from schemawright.scaling.machine import with_machine


@dataclass(frozen=True)
class DesignOptions:
    spec: Path
    output: Path = Path("out")
    normalize: bool = False
    bench_scale: float | None = None  # also run bench at this scale
    offline: bool = False  # keep the first-cut indexes (no database)
    database_url: str | None = None  # the server the index planner uses (default: embedded)
    cores: int | None = None  # the target machine, over the spec's `machine:`
    memory_gb: float | None = None
    storage: str | None = None


def run(options: DesignOptions) -> int:
    spec = options.spec
    result = with_machine(designed(spec, options.normalize), cores=options.cores, memory_gb=options.memory_gb,
                          storage=checked_storage(options.storage))
    if not options.offline and result.access_patterns:
        result = with_planned_indexes(result, spec, options.database_url)
    performance = None
    if options.bench_scale is not None:
        try:
            performance = measure(result, spec, options.bench_scale, database_url=None, runs=100, seed=0,
                                  whatif="auto", err=err)
        except BenchFailure as failure:
            err.print(str(failure), markup=False, soft_wrap=True)
            return failure.code
    written = write_deliverables(result, options.output, performance=performance)
    out.print(f"designed {len(result.tables)} tables, {len(result.indexes)} indexes "
              f"from {spec} ({len(result.decisions)} decisions recorded in report.md)", markup=False)
    for path in written:
        out.print(f"  {path}", markup=False)
    if not any(p.name == "erd.svg" for p in written):
        out.print("  (erd.svg skipped: install Graphviz's `dot` to render it)", markup=False)
    if performance is not None:
        out.print(f"bench at scale {options.bench_scale:g}: {summary(performance)}".replace("**", ""), markup=False)
    return 0
