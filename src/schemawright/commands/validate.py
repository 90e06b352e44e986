"""`schemawright validate`: prove a design on a real PostgreSQL and print one line per check."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from schemawright.commands.check import designed
from schemawright.commands.output import err, out
from schemawright.database.server_label import server_label
from schemawright.pipeline import validate
from schemawright.sql.postgresql import render_down, render_up


@dataclass(frozen=True)
class ValidateOptions:
    spec: Path
    database_url: str | None = None
    rows: int = 20


def run(options: ValidateOptions) -> int:
    result = designed(options.spec)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err, transient=True) as progress:
        task = progress.add_task("starting", total=None)
        report = validate(result, render_up(result), render_down(result), database_url=options.database_url,
                          progress=lambda text: progress.update(task, description=text), rows=options.rows)
    table = Table(title=f"validation of {options.spec} on {server_label(report.server, report.server_version)}")
    table.add_column("check")
    table.add_column("result")
    table.add_column("detail", overflow="fold")
    style = {"PASS": "[green]PASS[/]", "FAIL": "[bold red]FAIL[/]", "ERROR": "[bold red]ERROR[/]",
             "NOT TRIED": "[yellow]NOT TRIED[/]", "NOT MEASURED": "[yellow]NOT MEASURED[/]"}
    for item in report.checks:
        table.add_row(item.name, style[item.status], item.detail)
    out.print(table)
    for note in report.notes:
        out.print(f"note: {note}", markup=False)
    failed, not_tried, empty = report.failures, report.not_tried, report.not_measured
    passed = len(report.checks) - len(failed) - len(not_tried) - len(empty)
    out.print(f"{passed} passed, {len(failed)} failed" + (f", {len(not_tried)} not tried (this machine cannot "
              "make the proof; see the detail)" if not_tried else "")
              + (f", {len(empty)} not measured (the pattern found no row in the synthetic data; see the detail)"
                 if empty else ""), markup=False)
    return 1 if failed else 0
