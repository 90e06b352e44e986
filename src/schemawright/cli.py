"""The `schemawright` command line: registers the commands (commands/, one module each) and runs them.

Each command here is its typer signature and one line: the options go into the command's
options object and its `run` gives the exit code.  A command's module is imported when the
command runs, so `schemawright --version` and every command start fast.  Options several
commands share are declared once in commands/options.py.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Optional

import typer

from schemawright.commands.options import (
    Cores,
    Dialect,
    LiveDatabaseUrl,
    MemoryGb,
    OutputDir,
    Scale,
    Seed,
    ServerUrl,
    SpecFile,
    Storage,
    Target,
)
from schemawright.commands.output import err

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    help="Design relational schemas from requirements, and prove them on a real PostgreSQL.",
)


def _version(value: bool) -> None:
    if value:
        from schemawright import __version__

        typer.echo(f"schemawright {__version__}")
        raise typer.Exit()


@app.callback()
def _main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit.")) -> None:
    """Design relational schemas from requirements, and prove them on a real PostgreSQL."""


@app.command()
def init(path: Annotated[Path, typer.Argument(help="Where to write the example spec.")] = Path("schemawright.yaml"),
         force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False) -> None:
    """Write a commented example requirements file to start from."""
    from schemawright.commands import init

    raise typer.Exit(init.run(init.InitOptions(path, force)))


@app.command()
def check(spec: SpecFile) -> None:
    """Validate a requirements file and report every problem with its line and column."""
    from schemawright.commands import check

    raise typer.Exit(check.run(check.CheckOptions(spec)))


@app.command()
def design(spec: SpecFile, output: OutputDir = Path("out"),
           normalize: Annotated[bool, typer.Option(
               "--normalize", help="Apply the proposed splits for declared dependencies that break 3NF/BCNF "
                                   "(report.md lists them either way).")] = False,
           bench_scale: Annotated[Optional[float], typer.Option(
               "--bench", min=0.0, help="Also run `bench` at this scale on the embedded PostgreSQL and add "
                                        "'Performance at scale S' to report.md (e.g. 0.01).")] = None,
           offline: Annotated[bool, typer.Option(
               "--offline", help="No database: keep the first-cut indexes (rules only) instead of the ones "
                                 "PostgreSQL's planner chooses at the declared volumes.")] = False,
           database_url: ServerUrl = None, cores: Cores = None, memory_gb: MemoryGb = None,
           storage: Storage = None) -> None:
    """Design the schema and write DDL, migrations, ERD, data dictionary, report, operations plan and model.json.

    The indexes are those PostgreSQL's planner chooses for the access patterns at the declared
    volumes, on a scratch database (the embedded PostgreSQL by default); --offline keeps the
    first cut.  operations.md and its configuration files are sized for the spec's `machine:`,
    or --cores, --memory-gb and --storage."""
    from schemawright.commands import design

    raise typer.Exit(design.run(design.DesignOptions(spec, output, normalize, bench_scale, offline, database_url,
                                                     cores, memory_gb, storage)))


@app.command()
def validate(spec: SpecFile, database_url: ServerUrl = None,
             rows: Annotated[int, typer.Option("--rows", min=1, max=10000, help="Synthetic rows per table.")] = 20,
             operations: Annotated[bool, typer.Option(
                 "--operations", help="Instead: prove operations.md on real components (capacity against measured "
                                      "sizes, configuration, PgBouncer, a replica, a point-in-time restore, Redis, "
                                      "distribution, alert rules) and print one line per check.")] = False,
             scale: Annotated[float, typer.Option(
                 "--scale", min=0.0, help="--operations: share of the declared volumes the proofs load.")] = 0.01,
             seed: Seed = 42, cores: Cores = None, memory_gb: MemoryGb = None, storage: Storage = None) -> None:
    """Apply the design to a real PostgreSQL, load synthetic rows, run every access pattern, and roll back.

    With --operations, prove the operations plan instead."""
    from schemawright.commands import validate

    raise typer.Exit(validate.run(validate.ValidateOptions(spec, database_url, rows, operations, scale, seed,
                                                           cores, memory_gb, storage)))


@app.command("import")
def import_(source: Annotated[Optional[Path], typer.Argument(help="SQL file (.sql) or DBML file (.dbml).")] = None,
            database_url: LiveDatabaseUrl = None, dialect: Dialect = None,
            output: Annotated[Optional[Path], typer.Option(
                "-o", "--output", help="Write the model as a requirements spec.")] = None,
            dbml: Annotated[Optional[Path], typer.Option("--dbml", help="Write the model as DBML.")] = None,
            roundtrip: Annotated[bool, typer.Option(
                "--roundtrip", help="PostgreSQL: design the exported spec, apply it to a scratch database and "
                                    "compare the catalogs with the original.")] = False) -> None:
    """Read an existing schema (SQL file, DBML or live database) into schemawright's model."""
    from schemawright.commands import import_

    raise typer.Exit(import_.run(import_.ImportOptions(source, database_url, dialect, output, dbml, roundtrip)))


@app.command()
def lint(target: Target = None, database_url: LiveDatabaseUrl = None, dialect: Dialect = None,
         fmt: Annotated[str, typer.Option("--format", help="text, json or sarif (for code scanning).")] = "text",
         config: Annotated[Optional[Path], typer.Option(
             "--config", help="Lint config (default: ./schemawright-lint.yaml).")] = None,
         fail_on: Annotated[Optional[str], typer.Option(
             "--fail-on", help="error, warning or info (default: error).")] = None) -> None:
    """Review a schema against the rules in docs/lint-rules.md; exit 1 on findings at or above --fail-on, 2 on bad input."""
    from schemawright.commands import lint

    raise typer.Exit(lint.run(lint.LintOptions(target, database_url, dialect, fmt, config, fail_on)))


@app.command()
def docs(target: Target = None, database_url: LiveDatabaseUrl = None, dialect: Dialect = None,
         output: OutputDir = Path("docs-site"),
         svg: Annotated[Optional[bool], typer.Option(
             "--svg/--no-svg", help="Draw SVG diagrams with Graphviz (default: when `dot` is installed).")] = None,
         max_tables: Annotated[int, typer.Option("--max-tables", min=2, help="Most tables in one domain diagram.")] = 25,
         ) -> None:
    """Document any schema: index, one page per table and per domain, diagrams, lint findings beside each table."""
    from schemawright.commands import docs

    raise typer.Exit(docs.run(docs.DocsOptions(target, database_url, dialect, output, svg, max_tables)))


@app.command()
def advise(database_url: Annotated[str, typer.Option("--database-url", help="The live PostgreSQL database to advise on.")],
           workload: Annotated[Optional[Path], typer.Option(
               "--workload", help="SQL statements separated by ; (`-- name:` / `-- frequency:` comments); "
                                  "default: pg_stat_statements.")] = None,
           budget: Annotated[Optional[str], typer.Option(
               "--budget", help="Storage for new indexes: `10%` of the tables' size or bytes (`500MB`); "
                                "default 50%.")] = None,
           fmt: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
           do_apply: Annotated[bool, typer.Option(
               "--apply", help="Create the indexes (CREATE INDEX CONCURRENTLY).")] = False) -> None:
    """Recommend indexes for a live database's workload with HypoPG; changes nothing unless --apply."""
    from schemawright.commands import advise

    raise typer.Exit(advise.run(advise.AdviseOptions(database_url, workload, budget, fmt, do_apply)))


@app.command()
def generate(spec: SpecFile, scale: Scale = 0.01,
             database_url: Annotated[Optional[str], typer.Option(
                 "--database-url", help="Database to fill (the schema is created when absent); the data is kept. "
                                        "Default: a scratch database on the embedded PostgreSQL, dropped.")] = None,
             seed: Seed = 0,
             truncate: Annotated[bool, typer.Option("--truncate", help="Empty the design's tables first.")] = False,
             truncate_also: Annotated[Optional[list[str]], typer.Option(
                 "--truncate-also", metavar="TABLE",
                 help="With --truncate: also empty this table of yours, which references the design's tables "
                      "(repeatable). --truncate refuses while such a table is not named.")] = None) -> None:
    """Fill a database with synthetic rows that satisfy every constraint, at the declared volumes times --scale."""
    from schemawright.commands import generate

    options = generate.GenerateOptions(spec, scale, database_url, seed, truncate, tuple(truncate_also or ()))
    raise typer.Exit(generate.run(options))


@app.command()
def bench(spec: SpecFile, scale: Scale = 0.01, database_url: ServerUrl = None,
          runs: Annotated[int, typer.Option("--runs", min=1, help="Timed runs per access pattern "
                                                                  "(after 5 warm-up runs).")] = 100,
          seed: Seed = 0,
          output: Annotated[Optional[Path], typer.Option(
              "-o", "--output", help="Write bench.md and the latency chart here; a directory `design` wrote also "
                                     "gets report.md refreshed.")] = None,
          warn_only: Annotated[bool, typer.Option(
              "--warn-only", help="Warn instead of exiting 1 when a pattern misses its p95 target.")] = False,
          whatif: Annotated[str, typer.Option(
              "--whatif", help="How the advisor costs indexes: auto (HypoPG when the server has it), hypopg or "
                               "build.")] = "auto",
          concurrent: Annotated[bool, typer.Option(
              "--concurrent", help="Then run every access pattern together at its declared frequency (scaled to "
                                   "what the machine sustains) from several connections, and report achieved "
                                   "rates, p50/p95/p99, errors, deadlocks and serialization failures.")] = False,
          duration: Annotated[float, typer.Option(
              "--duration", min=0.1, metavar="SECONDS", help="--concurrent: seconds of load.")] = 30.0,
          connections: Annotated[int, typer.Option(
              "--connections", min=1, max=64,
              help="--concurrent: database connections running the load (an application's pool).")] = 16,
          rate_scale: Annotated[Optional[float], typer.Option(
              "--rate-scale", min=0.001, help="--concurrent: run this share of the declared rates (1 = as declared) "
                                            "instead of calibrating it to the machine.")] = None,
          offline: Annotated[bool, typer.Option(
              "--offline", help="Measure the first-cut indexes (as `design --offline` writes them) instead of "
                                "the ones the planner chooses at the declared volumes.")] = False) -> None:
    """Load data at a scale, apply the design's and the advisor's indexes, and time every access pattern.

    The design's indexes are those `design` writes: chosen by the planner at the declared volumes
    (--offline: the first cut)."""
    from schemawright.commands import bench

    raise typer.Exit(bench.run(bench.BenchOptions(spec, scale, database_url, runs, seed, output, warn_only, whatif,
                                                  concurrent, duration, connections, rate_scale, offline)))


@app.command()
def normalize(data: Annotated[list[Path], typer.Argument(
                  metavar="DATA.csv", help="CSV files (several: foreign keys across them too).")],
              output: OutputDir = Path("out"),
              interactive: Annotated[bool, typer.Option(
                  "--interactive", help="Confirm, skip or replace each proposed split.")] = False,
              approximate: Annotated[Optional[float], typer.Option(
                  "--approximate", metavar="G3",
                  help="Allow dependencies broken by at most this share of rows (g3).")] = None,
              no_header: Annotated[bool, typer.Option(
                  "--no-header", help="The first row is data (default: detected).")] = False,
              delimiter: Annotated[Optional[str], typer.Option(
                  "--delimiter", help="Field delimiter (default: sniffed).")] = None,
              sample: Annotated[Optional[int], typer.Option(
                  "--sample", help="Discover dependencies on this many random rows (default: all up to 50,000), "
                                   "re-checked on all rows.")] = None,
              max_lhs: Annotated[int, typer.Option("--max-lhs", help="Most columns in a determinant.")] = 3,
              time_budget: Annotated[float, typer.Option(
                  "--time-budget", metavar="SECONDS", help="Stop the dependency search and the splitting after "
                  "this long and keep the partial answer (said so in the summary).")] = 60.0,
              max_dependencies: Annotated[int, typer.Option(
                  "--max-dependencies", metavar="N", help="Memory bound: keep no more dependencies than this; "
                  "beyond it, fewer columns on the left are searched.")] = 20_000) -> None:
    """Profile CSV data and propose a normalised schema: spec.yaml plus every deliverable of `design`."""
    from schemawright.commands import normalize
    from schemawright.profiling.run import Options

    search = Options(delimiter=delimiter, header=False if no_header else None, sample=sample, max_lhs=max_lhs,
                     approximate=approximate, time_budget=time_budget, max_dependencies=max_dependencies)
    raise typer.Exit(normalize.run(normalize.NormalizeOptions(tuple(data), output, interactive, search)))


@app.command()
def schema(kind: Annotated[str, typer.Argument(
               help="`spec` (the requirements file) or `model` (model.json).")] = "spec") -> None:
    """Print the JSON Schema of the requirements file or of model.json."""
    from schemawright.commands import schema

    raise typer.Exit(schema.run(schema.SchemaOptions(kind)))


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
