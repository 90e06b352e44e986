"""`schemawright design`: every deliverable of a spec, optionally with a bench run in report.md."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.progress import Progress, TextColumn, TimeElapsedColumn

from schemawright import model as m
from schemawright.commands.bench import BenchFailure, measure
from schemawright.commands.check import designed
from schemawright.commands.output import err, out
from schemawright.commands.planned_indexes import PlannerRun, plan_indexes
from schemawright.database import DatabaseError, EmbeddedServerError
from schemawright.generation.columns import GenerationError
from schemawright.performance.report import summary
from schemawright.pipeline import write_deliverables


def _planned(design: m.Design, database_url: str | None) -> PlannerRun:
    with Progress(TextColumn("{task.description}"), TimeElapsedColumn(), console=err, transient=True) as bar:
        task = bar.add_task("index planner")
        return plan_indexes(design, database_url, say=lambda text: bar.update(task, description=text))


def _with_planned_indexes(design: m.Design, spec: Path, database_url: str | None) -> m.Design:
    """The planner's indexes; the first cut (sound by itself) with a warning when it cannot run."""
    try:
        planned = _planned(design, database_url)
    except (GenerationError, DatabaseError, EmbeddedServerError) as error:
        err.print(f"warning: {spec}: the index planner could not run, so the indexes are the first cut's (rules "
                  f"only): {error}\nPass --database-url for a PostgreSQL server that can run it, or --offline to "
                  "skip it.", markup=False, soft_wrap=True)
        return design.model_copy(update={"decisions": design.decisions + (m.Decision(
            step="indexing", subject="index planner", choice="not run: first-cut indexes",
            reason=f"the planner could not run: {error}"),)})
    out.print(f"indexes chosen by the planner of {planned.server} at the declared volumes "
              f"({planned.declared_rows:,} rows, {planned.sample_rows:,} of them sampled): "
              f"{len(planned.advice.chosen)} chosen (report.md says why)", markup=False)
    if err.is_terminal:  # the advisor's own time; not in piped output, which documentation compares
        err.print(f"advisor: {planned.advice.timing.line()}", markup=False)
    return planned.design


@dataclass(frozen=True)
class DesignOptions:
    spec: Path
    output: Path = Path("out")
    normalize: bool = False
    bench_scale: float | None = None  # also run bench at this scale
    offline: bool = False  # keep the first-cut indexes (no database)
    database_url: str | None = None  # the server the index planner uses (default: embedded)


def run(options: DesignOptions) -> int:
    spec = options.spec
    result = designed(spec, options.normalize)
    if not options.offline and result.access_patterns:
        result = _with_planned_indexes(result, spec, options.database_url)
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
