"""The `schemawright bench` command (and `design --bench`): progress bars, table, exit code."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from schemawright import model as m
from schemawright.commands.output import err, out
from schemawright.performance.loaded_rows import short_message
from schemawright.commands.planned_indexes import with_planned_indexes
from schemawright.database import DatabaseError, EmbeddedServerError
from schemawright.database.server_label import server_label
from schemawright.errors import SpecErrors, print_spec_errors
from schemawright.generation.columns import GenerationError
from schemawright.generation.run import plan
from schemawright.performance.concurrent import LoadOptions
from schemawright.performance.concurrent_report import rate, summary as load_summary
from schemawright.performance.output import holds_design_output, write_bench
from schemawright.performance.partition_report import subject as partition_subject
from schemawright.performance.partition_report import verdict as partition_verdict
from schemawright.performance.report import ms
from schemawright.performance.results import BenchResult
from schemawright.performance.run import WHATIF, bench
from schemawright.pipeline import design_file, write_deliverables


class BenchFailure(Exception):
    """Bad input or a server that refused: the message says what to do; `code` is the exit code."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


def checked_request(design: m.Design, spec: Path, scale: float, whatif: str) -> dict[str, int]:
    """Rows per table for `scale`; raises BenchFailure (exit 2) for a request that cannot run."""
    if whatif not in WHATIF:
        raise BenchFailure(f"--whatif {whatif!r} is not a what-if mode; use auto (HypoPG when the server has it, "
                           "else real index builds), hypopg or build", 2)
    try:
        counts = plan(design, scale)
    except GenerationError as error:
        raise BenchFailure(f"{spec}: {error}", 2) from None
    if not design.access_patterns:
        raise BenchFailure(f"{spec}: the spec declares no access patterns, so there is nothing to measure; "
                           "add some under `access_patterns:` (see docs/spec.md)", 2)
    return counts


def measure(design: m.Design, spec: Path, scale: float, *, database_url: str | None, runs: int, seed: int,
            whatif: str, err: Console, concurrent: LoadOptions | None = None) -> BenchResult:
    """Run bench with progress bars on `err`; raises BenchFailure."""
    counts = checked_request(design, spec, scale, whatif)
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=err, transient=True) as bar:
            loading = bar.add_task("starting", total=sum(counts.values()))
            timing = bar.add_task("access patterns", total=len(design.access_patterns), visible=False)
            loaded: dict[str, int] = {}

            def rows(table: str, done: int, _planned: int) -> None:
                loaded[table] = done
                bar.update(loading, completed=sum(loaded.values()), description=f"loading {table}")

            def step(name: str, done: int, _total: int) -> None:
                bar.update(timing, visible=True, completed=done, description=f"timing {name}" if name else "timed")

            return bench(design, scale, database_url=database_url, runs=runs, seed=seed, whatif=whatif,
                         say=lambda text: bar.update(loading, description=text), rows=rows, patterns=step,
                         concurrent=concurrent)
    except (GenerationError, DatabaseError, EmbeddedServerError) as error:
        raise BenchFailure(f"{spec}: {error}") from None
    except ValueError as error:  # e.g. --whatif hypopg on a server without HypoPG
        raise BenchFailure(f"{spec}: {error}", 2) from None


VERDICT_STYLE = {"PASS": "[green]PASS[/]", "FAIL": "[bold red]FAIL[/]", "ERROR": "[bold red]ERROR[/]",
                 "NOT MEASURED": "[bold yellow]NOT MEASURED[/]"}


def print_result(result: BenchResult, spec: Path, out: Console) -> None:
    server = server_label(result.server, result.server_version)
    table = Table(title=f"bench of {spec} at scale {result.scale:g} on {server} ({result.rows_loaded:,} rows, "
                        f"{result.runs} runs per pattern)")
    for name, justify in (("pattern", "left"), ("target", "right"), ("p50", "right"), ("p95", "right"),
                          ("max", "right"), ("result", "left"), ("rows", "right"), ("buffers hit/read", "right"),
                          ("plan uses", "left")):
        table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for p in result.patterns:
        lat, facts = p.latency, p.plan
        verdict = VERDICT_STYLE[p.verdict]
        used = ", ".join(facts.indexes + tuple(f"seq scan {t}" for t in facts.seq_scans)) if facts else ""
        table.add_row(p.name, ms(p.target_ms), ms(lat.p50 if lat else None), ms(lat.p95 if lat else None),
                      ms(lat.max if lat else None), verdict, f"{p.rows:,.1f}" if p.rows is not None else "",
                      f"{facts.shared_hit:,}/{facts.shared_read:,}" if facts else "", p.error or used)
    out.print(table)
    advised = [i for i in result.indexes if i.source == "advisor"]
    out.print(f"data: {result.rows_loaded:,} rows in {result.generation_seconds:.1f} s "
              f"({result.rows_per_second:,.0f} rows/s); indexes: {len(result.indexes) - len(advised)} from the design "
              + (f"+ {len(advised)} chosen by the advisor ({result.whatif}, {result.advisor_seconds:.1f} s)"
                 if not result.whatif.startswith("none") else "(chosen by the planner at the declared volumes; "
                                                              "measured as written)"), markup=False)
    for index in advised:
        out.print(f"  advisor: {index.definition}", markup=False)
    for loaded in result.tables:  # declared against loaded rows, the short tables only (bench.md has all)
        if loaded.short:
            out.print(f"rows: SHORT {loaded.shortfall()}", markup=False, soft_wrap=True)
    for found in result.partitioning:  # partitioned tables against one table, large single ones against a scheme
        out.print(f"partitioning: {found.table} ({partition_subject(found)}): "
                  f"{partition_verdict(found).replace('**', '')}", markup=False, soft_wrap=True)
    if result.concurrent is not None:
        print_load(result, out)
    for p in result.patterns:  # writes timed again with the business rules' triggers off
        on, off = p.latency, p.without_rules
        if p.rule_triggers and on and off:
            out.print(f"business rules: {p.name} p50 {ms(on.p50)} ms with, {ms(off.p50)} ms without "
                      f"({on.p50 - off.p50:+.3f} ms); p95 {ms(on.p95)} / {ms(off.p95)} ms", markup=False)
        elif p.rule_triggers and p.rules_error:
            out.print(f"business rules: {p.name}: {p.rules_error}", markup=False)


def print_load(result: BenchResult, out: Console) -> None:
    load = result.concurrent
    assert load is not None
    out.print(f"concurrent load: {load_summary(load)}", markup=False, soft_wrap=True)
    table = Table(title="concurrent load")
    for name in ("pattern", "target/s", "achieved/s", "p50", "p95", "p99", "target", "commit p95", "serialization",
                 "deadlocks", "refused", "errors", "result"):
        table.add_column(name, justify="left" if name in ("pattern", "result") else "right", overflow="fold")
    for p in load.patterns:
        lat = p.latency
        verdict = VERDICT_STYLE[p.verdict]
        table.add_row(p.name, rate(p.target_rate), rate(p.achieved_rate), ms(lat.p50 if lat else None),
                      ms(lat.p95 if lat else None), ms(lat.p99 if lat else None), ms(p.target_ms), ms(p.commit_p95),
                      f"{p.serialization_failures:,}", f"{p.deadlocks:,}", f"{p.refused:,}", f"{p.errors:,}", verdict)
    out.print(table)
    for p in load.patterns:
        if p.error:
            out.print(f"concurrent: {p.name}: {p.error}", markup=False)


@dataclass(frozen=True)
class BenchOptions:
    spec: Path
    scale: float = 0.01
    database_url: str | None = None
    runs: int = 100
    seed: int = 0
    output: Path | None = None
    warn_only: bool = False
    whatif: str = "auto"
    concurrent: bool = False  # --concurrent: also run the patterns together (LoadOptions)
    duration: float = 30.0
    connections: int = 16
    rate_scale: float | None = None  # None: calibrated
    offline: bool = False  # measure the first-cut indexes, not the planner's (as `design --offline`)


def _load_options(options: BenchOptions) -> LoadOptions | None:
    return LoadOptions(options.duration, options.connections, options.rate_scale) if options.concurrent else None


def run(options: BenchOptions) -> int:
    spec, scale, database_url, runs, seed = options.spec, options.scale, options.database_url, options.runs, options.seed
    output, warn_only, whatif = options.output, options.warn_only, options.whatif
    if output is not None and output.exists() and not output.is_dir():
        err.print(f"{output} is a file; -o takes a directory for bench.md and the chart", markup=False)
        return 2
    try:
        design = design_file(spec)
    except SpecErrors as exc:
        print_spec_errors(err, exc, "measured")
        return 1
    try:
        checked_request(design, spec, scale, whatif)  # before the planner's minute, not after
        if not options.offline:  # the indexes `design` writes
            design = with_planned_indexes(design, spec, database_url)
        result = measure(design, spec, scale, database_url=database_url, runs=runs, seed=seed, whatif=whatif, err=err,
                         concurrent=_load_options(options))
    except BenchFailure as failure:
        err.print(str(failure), markup=False, soft_wrap=True)
        return failure.code
    print_result(result, spec, out)
    if output is not None:
        refresh = holds_design_output(output)
        written = write_deliverables(design, output, performance=result) if refresh else write_bench(result, output)
        out.print(f"wrote {len(written)} files to {output}" + (" (report.md refreshed)" if refresh else ""),
                  markup=False)
        for path in written if not refresh else [p for p in written if p.name.startswith(("bench", "report"))]:
            out.print(f"  {path}", markup=False)
    return verdict(result, warn_only, out, err)


def verdict(result: BenchResult, warn_only: bool, out: Console, err: Console) -> int:
    load = result.concurrent
    if result.passed and (load is None or not load.missed):
        out.print(f"all {len(result.patterns)} access patterns meet their p95 targets"
                  + (" alone and together" if load is not None else ""), markup=False)
        return 0
    parts = [f"{len(found)} {label}: {', '.join(p.name for p in found)}" for found, label in (
        (result.with_verdict("FAIL"), "miss their p95 target"),
        (result.with_verdict("NOT MEASURED"), "not measured (timed on no row)"),
        (result.with_verdict("ERROR"), "could not run")) if found]
    message = f"of {len(result.patterns)} access patterns, " + "; ".join(parts) if result.missed \
        else "every access pattern meets its p95 target alone"
    rows = short_message(result)
    if rows:  # timed on fewer rows than declared: the latencies prove nothing about the declared volume
        message = f"{rows}; {message}"
    if load is not None and load.missed:
        message += (f"; under the concurrent load {len(load.missed)} of {len(load.patterns)} miss their target or "
                    f"rate: {', '.join(p.name for p in load.missed)}")
    if warn_only:
        err.print(f"warning: {message} (--warn-only: exit code 0)", markup=False, soft_wrap=True)
        return 0
    err.print(f"{message}; see the plan column, or pass --warn-only to report without failing",
              markup=False, soft_wrap=True)
    return 1
