"""The `schemawright` command line: init, check, design, validate, schema."""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from schemawright.errors import SpecErrors, print_spec_errors

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    help="Design relational schemas from requirements, and prove them on a real PostgreSQL.",
)
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def _version(value: bool) -> None:
    if value:
        from schemawright import __version__

        typer.echo(f"schemawright {__version__}")
        raise typer.Exit()


@app.callback()
def _main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit.")) -> None:
    """Design relational schemas from requirements, and prove them on a real PostgreSQL."""


def _fail_on_spec_errors(exc: SpecErrors) -> None:
    print_spec_errors(err, exc, "generated")
    raise typer.Exit(1)


def _load(spec: Path, normalize: bool = False):  # noqa: ANN202 - returns a Design
    from schemawright.pipeline import design_file

    try:
        return design_file(spec, normalize=normalize)
    except SpecErrors as exc:
        _fail_on_spec_errors(exc)


@app.command()
def init(path: Path = typer.Argument(Path("schemawright.yaml"), help="Where to write the example spec."),
         force: bool = typer.Option(False, "--force", help="Overwrite an existing file.")) -> None:
    """Write a commented example requirements file to start from."""
    if path.exists() and not force:
        err.print(f"{path} already exists; use --force to overwrite it, or give another path.", markup=False)
        raise typer.Exit(1)
    text = resources.files("schemawright.requirements").joinpath("example.yaml").read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    out.print(f"wrote {path}; next: schemawright design {path} -o out", markup=False)


@app.command()
def check(spec: Path = typer.Argument(..., help="Requirements file (YAML).")) -> None:
    """Validate a requirements file and report every problem with its line and column."""
    design = _load(spec)
    out.print(f"{spec}: OK — {len(design.entities)} entities, {len(design.relationships)} relationships, "
              f"{len(design.access_patterns)} access patterns", markup=False)


@app.command()
def design(spec: Path = typer.Argument(..., help="Requirements file (YAML)."),
           output: Path = typer.Option(Path("out"), "-o", "--output", help="Directory for the deliverables."),
           normalize: bool = typer.Option(False, "--normalize", help="Apply the proposed splits for declared "
                                          "dependencies that break 3NF/BCNF (report.md lists them either way)."),
           bench_scale: Optional[float] = typer.Option(
               None, "--bench", min=0.0, help="Also run `bench` at this scale on the embedded PostgreSQL and add "
                                              "'Performance at scale S' to report.md (e.g. 0.01).")) -> None:
    """Design the schema and write DDL, migrations, ERD, data dictionary, report and model.json."""
    from schemawright.pipeline import write_deliverables

    result = _load(spec, normalize)
    performance = None
    if bench_scale is not None:
        from schemawright.commands.bench import BenchFailure, measure

        try:
            performance = measure(result, spec, bench_scale, database_url=None, runs=100, seed=0, whatif="auto",
                                  err=err)
        except BenchFailure as failure:
            err.print(str(failure), markup=False, soft_wrap=True)
            raise typer.Exit(failure.code) from None
    written = write_deliverables(result, output, performance=performance)
    out.print(f"designed {len(result.tables)} tables, {len(result.indexes)} indexes "
              f"from {spec} ({len(result.decisions)} decisions recorded in report.md)", markup=False)
    for path in written:
        out.print(f"  {path}", markup=False)
    if not any(p.name == "erd.svg" for p in written):
        out.print("  (erd.svg skipped: install Graphviz's `dot` to render it)", markup=False)
    if performance is not None:
        from schemawright.performance.report import summary

        out.print(f"bench at scale {bench_scale:g}: {summary(performance)}".replace("**", ""), markup=False)


@app.command()
def validate(spec: Path = typer.Argument(..., help="Requirements file (YAML)."),
             database_url: Optional[str] = typer.Option(
                 None, "--database-url", help="PostgreSQL server to use (a scratch database is created and dropped); "
                                              "default: start the embedded PostgreSQL."),
             rows: int = typer.Option(20, "--rows", min=1, max=10000, help="Synthetic rows per table.")) -> None:
    """Apply the design to a real PostgreSQL, load synthetic rows, run every access pattern, and roll back."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from schemawright.sql.postgresql import render_down, render_up
    from schemawright.validation.run import validate as run_validation

    result = _load(spec)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err, transient=True) as progress:
        task = progress.add_task("starting", total=None)
        report = run_validation(result, render_up(result), render_down(result), database_url=database_url,
                                progress=lambda text: progress.update(task, description=text), rows=rows)
    table = Table(title=f"validation of {spec}")
    table.add_column("check")
    table.add_column("result")
    table.add_column("detail", overflow="fold")
    for item in report.checks:
        table.add_row(item.name, "[green]PASS[/]" if item.status == "PASS" else "[bold red]FAIL[/]", item.detail)
    out.print(table)
    for note in report.notes:
        out.print(f"note: {note}", markup=False)
    failed = [c for c in report.checks if c.status != "PASS"]
    out.print(f"{len(report.checks) - len(failed)} passed, {len(failed)} failed", markup=False)
    if failed:
        raise typer.Exit(1)


@app.command("import")
def import_(source: Optional[Path] = typer.Argument(None, help="SQL file (.sql) or DBML file (.dbml)."),
            database_url: Optional[str] = typer.Option(None, "--database-url",
                                                       help="Read a live database instead (read-only)."),
            dialect: str = typer.Option("postgresql", "--dialect", help="SQL dialect: postgresql, mysql or sqlite."),
            output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write the model as a requirements spec."),
            dbml: Optional[Path] = typer.Option(None, "--dbml", help="Write the model as DBML."),
            check_roundtrip: bool = typer.Option(False, "--roundtrip",
                                                 help="PostgreSQL: design the exported spec, apply it to a scratch "
                                                      "database and compare the catalogs with the original.")) -> None:
    """Read an existing schema (SQL file, DBML or live database) into schemawright's model."""
    from schemawright.exporters.spec import not_exported, to_spec_yaml
    from schemawright.commands.target import load_target

    if (source is None) == (database_url is None):
        err.print("give either a file (SQL or DBML) or --database-url", markup=False)
        raise typer.Exit(2)
    try:
        model = load_target(str(source) if source else None, database_url=database_url, dialect=dialect)
    except SpecErrors as exc:
        _fail_on_spec_errors(exc)
    fks = sum(len(t.foreign_keys) for t in model.tables)
    out.print(f"imported {len(model.tables)} tables, {fks} foreign keys, {len(model.indexes)} indexes, "
              f"{len(model.views)} views, {len(model.objects)} other objects", markup=False)
    for note in model.import_notes:
        err.print(f"{source}:{note.line}:{note.column}: skipped: {note.reason}: {note.statement[:80]}",
                  markup=False, soft_wrap=True)
    if output:
        output.write_text(to_spec_yaml(model), encoding="utf-8")
        out.print(f"  wrote {output}", markup=False)
        for item in not_exported(model):
            out.print(f"  not in the spec yet: {item}", markup=False)
    if dbml:
        from schemawright.exporters.dbml import to_dbml

        dbml.write_text(to_dbml(model), encoding="utf-8")
        out.print(f"  wrote {dbml}", markup=False)
    if check_roundtrip:
        _roundtrip(source, database_url, dialect)


def _roundtrip(source: Path | None, database_url: str | None, dialect: str) -> None:
    from schemawright.commands.roundtrip import roundtrip

    if dialect != "postgresql":
        err.print("--roundtrip compares PostgreSQL catalogs; use it with PostgreSQL SQL or databases", markup=False)
        raise typer.Exit(2)
    with err.status("round trip"):
        result = roundtrip(source.read_text(encoding="utf-8") if source else None, source_url=database_url)
    if result.error:
        err.print(f"round trip failed: {result.error}", markup=False, soft_wrap=True)
        raise typer.Exit(1)
    for diff in result.differences:
        out.print(f"  differs: {diff.table}: {diff.aspect}: {diff.detail}", markup=False, soft_wrap=True)
    verdict = "identical" if not result.differences else f"{len(result.differences)} difference(s)"
    out.print(f"round trip of {result.tables} tables: {verdict}", markup=False)
    if result.differences:
        raise typer.Exit(1)


@app.command()
def lint(target: Optional[str] = typer.Argument(None, help="Spec (YAML), SQL or DBML file; omit with --database-url."),
         database_url: Optional[str] = typer.Option(None, "--database-url", help="Lint a live database (read-only)."),
         dialect: Optional[str] = typer.Option(None, "--dialect", help="SQL dialect: postgresql, mysql or sqlite."),
         fmt: str = typer.Option("text", "--format", help="text, json or sarif (for code scanning)."),
         config: Optional[Path] = typer.Option(None, "--config", help="Lint config (default: ./schemawright-lint.yaml)."),
         fail_on: Optional[str] = typer.Option(None, "--fail-on", help="error, warning or info (default: error).")) -> None:
    """Review a schema against the rules in docs/lint-rules.md; exit 1 on findings at or above --fail-on, 2 on bad input."""
    from schemawright.commands.lint import run_lint

    raise typer.Exit(run_lint(target, database_url, dialect, fmt, config, fail_on))


@app.command()
def docs(target: Optional[str] = typer.Argument(None, help="Spec (YAML), SQL or DBML file; omit with --database-url."),
         database_url: Optional[str] = typer.Option(None, "--database-url", help="Document a live database (read-only)."),
         dialect: Optional[str] = typer.Option(None, "--dialect", help="SQL dialect: postgresql, mysql or sqlite."),
         output: Path = typer.Option(Path("docs-site"), "-o", "--output", help="Directory for the documentation."),
         svg: Optional[bool] = typer.Option(None, "--svg/--no-svg", help="Draw SVG diagrams with Graphviz "
                                                                          "(default: when `dot` is installed)."),
         max_tables: int = typer.Option(25, "--max-tables", min=2, help="Most tables in one domain diagram.")) -> None:
    """Document any schema: index, one page per table and per domain, diagrams, lint findings beside each table."""
    from schemawright.commands.docs import run_docs

    raise typer.Exit(run_docs(target, database_url, dialect, output, svg, max_tables))


@app.command()
def advise(database_url: str = typer.Option(..., "--database-url", help="The live PostgreSQL database to advise on."),
           workload: Optional[Path] = typer.Option(None, "--workload", help="SQL statements separated by ; "
                                                   "(`-- name:` / `-- frequency:` comments); default: pg_stat_statements."),
           budget: Optional[str] = typer.Option(None, "--budget", help="Storage for new indexes: `10%` of the tables' "
                                                "size or bytes (`500MB`); default 50%."),
           fmt: str = typer.Option("text", "--format", help="text or json."),
           do_apply: bool = typer.Option(False, "--apply", help="Create the indexes (CREATE INDEX CONCURRENTLY).")) -> None:
    """Recommend indexes for a live database's workload with HypoPG; changes nothing unless --apply."""
    from schemawright.commands.advise import run_advise

    raise typer.Exit(run_advise(database_url, workload, budget, fmt, do_apply, out, err))


@app.command()
def generate(spec: Path = typer.Argument(..., help="Requirements file (YAML)."),
             scale: float = typer.Option(0.01, "--scale", min=0.0, help="Fraction of the declared volumes to load."),
             database_url: Optional[str] = typer.Option(
                 None, "--database-url", help="Database to fill (the schema is created when absent); the data is "
                                              "kept. Default: a scratch database on the embedded PostgreSQL, dropped."),
             seed: int = typer.Option(0, "--seed", help="Same seed, same data."),
             truncate: bool = typer.Option(False, "--truncate", help="Empty the design's tables first."),
             truncate_also: list[str] = typer.Option(
                 [], "--truncate-also", metavar="TABLE",
                 help="With --truncate: also empty this table of yours, which references the design's tables "
                      "(repeatable). --truncate refuses while such a table is not named.")) -> None:
    """Fill a database with synthetic rows that satisfy every constraint, at the declared volumes times --scale."""
    from schemawright.commands.generate import run_generate

    raise typer.Exit(run_generate(spec, scale, database_url, seed, truncate, out, err, truncate_also))


@app.command()
def bench(spec: Path = typer.Argument(..., help="Requirements file (YAML)."),
          scale: float = typer.Option(0.01, "--scale", min=0.0, help="Fraction of the declared volumes to load."),
          database_url: Optional[str] = typer.Option(
              None, "--database-url", help="PostgreSQL server to use (a scratch database is created and dropped); "
                                           "default: start the embedded PostgreSQL."),
          runs: int = typer.Option(100, "--runs", min=1, help="Timed runs per access pattern (after 5 warm-up runs)."),
          seed: int = typer.Option(0, "--seed", help="Same seed, same data and parameter draws."),
          output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write bench.md and the latency chart "
                                                "here; a directory `design` wrote also gets report.md refreshed."),
          warn_only: bool = typer.Option(False, "--warn-only", help="Warn instead of exiting 1 when a pattern "
                                                                   "misses its p95 target."),
          whatif: str = typer.Option("auto", "--whatif", help="How the advisor costs indexes: auto (HypoPG when the "
                                                             "server has it), hypopg or build.")) -> None:
    """Load data at a scale, apply the design's and the advisor's indexes, and time every access pattern."""
    from schemawright.commands.bench import run_bench

    raise typer.Exit(run_bench(spec, scale, database_url, runs, seed, output, warn_only, whatif, out, err))


@app.command()
def normalize(data: list[Path] = typer.Argument(..., metavar="DATA.csv",
                                                help="CSV files (several: foreign keys across them too)."),
              output: Path = typer.Option(Path("out"), "-o", "--output", help="Directory for spec.yaml and the deliverables."),
              interactive: bool = typer.Option(False, "--interactive", help="Confirm, skip or replace each proposed split."),
              approximate: Optional[float] = typer.Option(None, "--approximate", metavar="G3",
                                                          help="Allow dependencies broken by at most this share of rows (g3)."),
              no_header: bool = typer.Option(False, "--no-header", help="The first row is data (default: detected)."),
              delimiter: Optional[str] = typer.Option(None, "--delimiter", help="Field delimiter (default: sniffed)."),
              sample: Optional[int] = typer.Option(None, "--sample", help="Discover dependencies on this many random rows "
                                                   "(default: all up to 50,000), re-checked on all rows."),
              max_lhs: int = typer.Option(3, "--max-lhs", help="Most columns in a determinant."),
              time_budget: float = typer.Option(60.0, "--time-budget", metavar="SECONDS",
                                                help="Stop the dependency search and the splitting after this long "
                                                     "and keep the partial answer (said so in the summary)."),
              max_dependencies: int = typer.Option(20_000, "--max-dependencies", metavar="N",
                                                   help="Memory bound: keep no more dependencies than this; beyond "
                                                        "it, fewer columns on the left are searched.")) -> None:
    """Profile CSV data and propose a normalised schema: spec.yaml plus every deliverable of `design`."""
    from schemawright.commands.normalize import run_normalize
    from schemawright.profiling.run import Options

    options = Options(delimiter=delimiter, header=False if no_header else None, sample=sample, max_lhs=max_lhs,
                      approximate=approximate, time_budget=time_budget, max_dependencies=max_dependencies)
    raise typer.Exit(run_normalize(data, output, options, interactive, out, err))


@app.command()
def schema(kind: str = typer.Argument("spec", help="`spec` (the requirements file) or `model` (model.json).")) -> None:
    """Print the JSON Schema of the requirements file or of model.json."""
    from schemawright.model import Design
    from schemawright.requirements.spec import spec_json_schema

    schemas = {"spec": spec_json_schema, "model": Design.model_json_schema}
    if kind not in schemas:
        err.print(f"unknown schema {kind!r}; use `spec` or `model`", markup=False)
        raise typer.Exit(2)
    typer.echo(json.dumps(schemas[kind](), indent=2, sort_keys=True, ensure_ascii=False))


def _without_database_urls(text: str) -> str:
    """`text` with every --database-url of the command line scrubbed: a bug's message may quote one."""
    import sys

    from schemawright.database.urls import scrub

    args = sys.argv[1:]
    for i, arg in enumerate(args):
        if arg.startswith("--database-url="):
            text = scrub(text, arg.split("=", 1)[1])
        elif arg == "--database-url" and i + 1 < len(args):
            text = scrub(text, args[i + 1])
    return text


def main() -> None:
    from schemawright import interrupts

    interrupts.install()  # SIGTERM and SIGHUP unwind like Ctrl-C: scratch databases dropped, servers stopped
    try:
        app()
    except (KeyboardInterrupt, SystemExit) as stop:
        interrupts.ignore()  # all is cleaned up: a late signal must not cut the exit short
        signal = interrupts.received()
        if signal is None and isinstance(stop, SystemExit):
            raise
        err.print(str(signal) if signal else "interrupted", markup=False)
        raise SystemExit(signal.exit_code if signal else 130) from None
    except Exception as exc:  # a bug of ours: say so plainly instead of a traceback
        interrupts.ignore()
        err.print(f"internal error: {_without_database_urls(f'{type(exc).__name__}: {exc}')}", markup=False,
                  soft_wrap=True)
        err.print("this is a schemawright bug; please report it with the spec that caused it "
                  "(set SCHEMAWRIGHT_DEBUG=1 to see the traceback)", markup=False)
        if os.environ.get("SCHEMAWRIGHT_DEBUG"):
            raise
        raise SystemExit(3) from None


if __name__ == "__main__":
    main()
