"""`schemawright validate`: prove a design on a real PostgreSQL and print one line per check;
with --operations, prove its operations plan (operations.md) on real components instead."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from schemawright.commands.check import checked_storage, designed
from schemawright.commands.output import err, out
from schemawright.database.server_label import server_label
from schemawright.pipeline import deliverables, validate, validate_operations
from schemawright.scaling.machine import with_machine
from schemawright.sql.postgresql import render_down, render_up
from schemawright.validation.operations.context import OperationsRun
from schemawright.validation.report import FAIL, NOT_MEASURED, NOT_TRIED, PASS, Check

_STYLE = {"PASS": "[green]PASS[/]", "FAIL": "[bold red]FAIL[/]", "ERROR": "[bold red]ERROR[/]",
          "NOT TRIED": "[yellow]NOT TRIED[/]", "NOT MEASURED": "[yellow]NOT MEASURED[/]"}


@dataclass(frozen=True)
class ValidateOptions:
    spec: Path
    database_url: str | None = None
    rows: int = 20
    operations: bool = False  # prove operations.md instead
    scale: float = 0.01  # --operations: share of the declared volumes loaded
    seed: int = 42
    cores: int | None = None  # the target machine, over the spec's `machine:`
    memory_gb: float | None = None
    storage: str | None = None


def run(options: ValidateOptions) -> int:
    result = with_machine(designed(options.spec), cores=options.cores, memory_gb=options.memory_gb,
                          storage=checked_storage(options.storage))
    if options.operations:
        return _operations(result, options)
    with _progress() as say:
        report = validate(result, render_up(result), render_down(result), database_url=options.database_url,
                          progress=say, rows=options.rows)
    _print(report.checks, f"validation of {options.spec} on {server_label(report.server, report.server_version)}")
    for note in report.notes:
        out.print(f"note: {note}", markup=False)
    return 1 if report.failures else 0


def _operations(design, options: ValidateOptions) -> int:  # noqa: ANN001 (m.Design)
    checks: list[Check] = []
    with _progress() as say:
        run = OperationsRun(design, deliverables(design), options.database_url, options.scale, options.seed, say)
        for check in validate_operations(run):
            checks.append(check)
            say(f"{check.name}: {check.status}")
    _print(checks, f"operations proofs of {options.spec} at scale {options.scale:g}",
           empty="too little was loaded at this scale to judge it; see the detail")
    return 1 if any(c.status in (FAIL, "ERROR") for c in checks) else 0


class _progress:
    """A spinner on stderr whose text is what runs now; gives the function that sets it."""

    def __enter__(self) -> Callable[[str], None]:
        self._bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err,
                             transient=True)
        self._bar.__enter__()
        task = self._bar.add_task("starting", total=None)
        return lambda text: self._bar.update(task, description=text)

    def __exit__(self, *exc: object) -> None:
        self._bar.__exit__(*exc)


def _print(checks: Iterable[Check], title: str,
           empty: str = "the pattern found no row in the synthetic data; see the detail") -> None:
    checks = list(checks)
    table = Table(title=title)
    table.add_column("check")
    table.add_column("result")
    table.add_column("detail", overflow="fold")
    for item in checks:
        table.add_row(item.name, _STYLE[item.status], item.detail)
    out.print(table)
    count = lambda status: sum(c.status == status for c in checks)  # noqa: E731
    failed = count(FAIL) + count("ERROR")
    not_tried, not_measured = count(NOT_TRIED), count(NOT_MEASURED)
    out.print(f"{count(PASS)} passed, {failed} failed" + (f", {not_tried} not tried (this machine cannot "
              "make the proof; see the detail)" if not_tried else "")
              + (f", {not_measured} not measured ({empty})" if not_measured else ""), markup=False)
