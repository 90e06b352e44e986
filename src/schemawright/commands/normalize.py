"""The `schemawright normalize` command: progress, the interactive chooser, located errors."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.markup import escape
from rich.prompt import IntPrompt, Prompt
from rich.table import Table

from schemawright.commands.output import err, out
from schemawright.errors import SpecErrors, print_spec_errors
from schemawright.profiling.decompose import Candidate, Chooser, Node, best
from schemawright.profiling.extra import ProfilerMissing
from schemawright.profiling.report import entity_decisions
from schemawright.files import write_files
from schemawright.pipeline import design_file, write_deliverables
from schemawright.profiling.report import to_markdown
from schemawright.profiling.run import REPORT_FILE, SPEC_FILE, BadOptions, Options, Result, normalize

SHOWN = 10  # candidates listed per interactive step


def write_outputs(result: Result, out: Path) -> list[Path]:
    """spec.yaml and normalize.md, then every deliverable of `design` made from the spec by the
    normal pipeline."""
    report = to_markdown(result.proposal, result.profiles, result.approximate, result.notes)
    written = write_files(out, {SPEC_FILE: result.spec_yaml, REPORT_FILE: report})
    design = design_file(out / SPEC_FILE)
    return sorted(written + write_deliverables(design, out))


@dataclass(frozen=True)
class NormalizeOptions:
    data: tuple[Path, ...]
    output: Path = Path("out")
    interactive: bool = False
    search: Options = Options()  # how dependencies are searched (profiling.run)


def run(command: NormalizeOptions) -> int:
    paths, output, options, interactive = list(command.data), command.output, command.search, command.interactive
    choose = interactive_chooser(err) if interactive else best
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(),
                      console=err, transient=True, disable=interactive) as bar:
            stage = bar.add_task("starting", total=None)  # no total: a pulsing bar per stage
            files: dict[str, object] = {}

            def reading(name: str):  # noqa: ANN202 - a progress callback with a real total
                files[name] = bar.add_task(f"reading {name}", total=None)
                bar.update(stage, visible=False)

                def progress(done: int, total: int) -> None:
                    bar.update(files[name], completed=done, total=total, visible=done < total)
                return progress

            def step(text: str) -> None:
                bar.update(stage, description=text, visible=not text.startswith("reading "))

            result = normalize(paths, options, step=step, reading=reading, choose=choose)
            step("writing the spec and the deliverables")
            written = write_outputs(result, output)
    except SpecErrors as exc:
        print_spec_errors(err, exc, "generated")
        return 2
    except BadOptions as exc:
        for problem in exc.problems:
            err.print(f"error: {problem}", markup=False, soft_wrap=True)
        return 2
    except ProfilerMissing as exc:
        err.print(str(exc), markup=False, soft_wrap=True)
        return 2
    _report(result, written, out)
    # exact dependencies always give a lossless split, so a loss there is a failure; with
    # --approximate the rows that break a dependency are expected and only reported
    lossy = not all(check.lossless for check in result.proposal.lossless.values())
    return 1 if lossy and options.approximate is None else 0


def _report(result, written: list[Path], out: Console) -> None:  # noqa: ANN001 - run.Result
    proposal = result.proposal
    rows = sum(p.table.rows for p in result.profiles)
    fds = sum(len(p.fds) for p in result.profiles)
    out.print(f"profiled {rows:,} rows in {len(result.profiles)} file(s), {fds} minimal dependencies; "
              f"proposed {len(proposal.tables)} tables, {len(proposal.links)} foreign keys", markup=False, soft_wrap=True)
    for table in proposal.tables:
        key = ", ".join(table.key) if table.key else ("none" if table.keyless else "id (surrogate)")
        out.print(f"  {table.name} ({', '.join(table.columns)}) key {key}, {table.rows:,} rows", markup=False, soft_wrap=True)
    out.print(f"  {len(proposal.decisions)} decisions with their reasons in normalize.md", markup=False, soft_wrap=True)
    for note in result.notes:  # a partial answer says so
        out.print(f"  partial: {note}", markup=False, soft_wrap=True)
    for decision in entity_decisions(proposal):  # the full reasons are in normalize.md
        short = (decision.split(": both describe")[0] if decision.startswith("merged ") else
                 decision.split(" have the same key")[0] + ": their data disagrees, see normalize.md")
        out.print(f"  {short}", markup=False, soft_wrap=True)
    for name, check in sorted(proposal.lossless.items()):
        out.print(f"  {name}: {check.describe()}", markup=False, soft_wrap=True)
    for path in written:
        out.print(f"  {path}", markup=False, soft_wrap=True)


def interactive_chooser(console: Console) -> Chooser:
    """Ask per split: accept it, skip it (keep the dependency as documented redundancy), choose
    another of the ranked dependencies, or finish this table."""

    def choose(node: Node, candidates: list[Candidate], declined: set[frozenset[str]]) -> Candidate | None:
        open_ = [c for c in candidates if c.lhs not in declined]
        while open_:
            _show(console, node, open_)
            answer = Prompt.ask(escape(f"split on 1: {open_[0].describe()}? [a]ccept, [s]kip, [c]hoose another, "
                                       "[d]one with this table"), choices=["a", "s", "c", "d"], default="a",
                                console=console)
            if answer == "a":
                return open_[0]
            if answer == "c":
                number = IntPrompt.ask("number of the dependency to split on", console=console,
                                       choices=[str(i + 1) for i in range(min(len(open_), SHOWN))])
                return open_[number - 1]
            if answer == "d":
                declined.update(c.lhs for c in open_)
                return None
            declined.add(open_[0].lhs)
            open_ = open_[1:]
        return None

    return choose


def _show(console: Console, node: Node, candidates: list[Candidate]) -> None:
    table = Table(title=escape(f"BCNF violations in ({', '.join(node.attributes)})"))
    for column in ("#", "dependency", "score", "signal"):
        table.add_column(column, overflow="fold")
    for i, c in enumerate(candidates[:SHOWN]):
        table.add_row(str(i + 1), escape(c.describe()), f"{c.rank:.3f}", escape(c.signal or ""))
    console.print(table)
