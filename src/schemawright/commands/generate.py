"""The `schemawright generate` command: progress bar, per-table figures, located errors."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from schemawright.commands.output import err, out
from schemawright.database import (
    DatabaseError,
    EmbeddedServerError,
    embedded_server,
    redact,
    sandboxed_database,
)
from schemawright.errors import SpecErrors, print_spec_errors
from schemawright.generation.columns import GenerationError
from schemawright.generation.run import GenerationResult, generate, plan
from schemawright.pipeline import design_file


@dataclass(frozen=True)
class GenerateOptions:
    spec: Path
    scale: float = 0.01
    database_url: str | None = None
    seed: int = 0
    truncate: bool = False
    truncate_also: tuple[str, ...] = ()


def run(options: GenerateOptions) -> int:
    spec, scale, database_url, seed = options.spec, options.scale, options.database_url, options.seed
    truncate, truncate_also = options.truncate, options.truncate_also
    try:
        design = design_file(spec)
    except SpecErrors as exc:
        print_spec_errors(err, exc, "generated")
        return 1
    try:
        counts = plan(design, scale)
    except GenerationError as error:
        err.print(f"{spec}: {error}", markup=False, soft_wrap=True)
        return 2
    if truncate_also and not (truncate and database_url):
        err.print("--truncate-also names tables to empty along with the design's: it goes with --truncate "
                  "and --database-url", markup=False)
        return 2
    total = sum(counts.values())
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=err, transient=True) as bar:
            task = bar.add_task("starting", total=total)
            finished: dict[str, int] = {}

            def progress(table: str, done: int, planned: int) -> None:
                finished[table] = done
                bar.update(task, completed=sum(finished.values()), description=f"{table}")

            if database_url:
                result = generate(design, database_url, scale, seed, progress, truncate=truncate,
                                  truncate_also=truncate_also)
                where = f"loaded into {redact(database_url)} (kept)"
            else:
                bar.update(task, description="starting embedded PostgreSQL")
                # The spec's SQL (checks, defaults, objects) runs as a throw-away role there.
                with embedded_server() as server, sandboxed_database(server, design.extensions) as box:
                    result = generate(design, box.url, scale, seed, progress)
                where = ("loaded into a scratch database on the embedded PostgreSQL, now dropped; "
                         "pass --database-url to keep the data")
    except (GenerationError, DatabaseError, EmbeddedServerError) as error:
        err.print(f"{spec}: {error}", markup=False, soft_wrap=True)
        return 1
    _report(result, spec, scale, seed, where, out)
    return 0


def _report(result: GenerationResult, spec: Path, scale: float, seed: int, where: str, out: Console) -> None:
    table = Table(title=f"synthetic data for {spec} at scale {scale:g} (seed {seed})")
    table.add_column("table")
    table.add_column("declared", justify="right")
    table.add_column("rows", justify="right")
    table.add_column("rows/s", justify="right")
    table.add_column("note", overflow="fold")
    for item in result.tables:  # declared: the volume times the scale ("—": no volume, a default)
        declared = f"{item.declared:,}" if item.declared is not None else "—"
        rows = f"{item.rows:,}" if item.rows == item.planned else f"{item.rows:,} of {item.planned:,}"
        note = f"SHORT: {item.cause}" if item.short else (item.note or "")
        table.add_row(item.table, declared, rows, f"{item.rows_per_second:,.0f}", note)
    out.print(table)
    out.print(f"{result.rows:,} rows in {result.seconds:.1f} s ({result.rows_per_second:,.0f} rows/s), {where}",
              markup=False)
    for note in result.notes:
        out.print(f"note: {note}", markup=False)
