"""`design`'s index planner: the DDL gets the indexes PostgreSQL's planner chooses for the access
patterns at the declared volumes (indexing/planned.py), costed on a scratch database whose
sample stands in for those volumes (indexing/standin.py).  `design --offline` skips it and
keeps the first cut."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pathlib import Path

from rich.progress import Progress, TextColumn, TimeElapsedColumn

from schemawright import model as m
from schemawright.commands.output import err, out
from schemawright.database import Database, DatabaseError, EmbeddedServerError, redact, sandboxed_database, with_database
from schemawright.database.server_label import server_label
from schemawright.generation.columns import GenerationError
from schemawright.generation.run import generate, plan
from schemawright.indexing.planned import churned_tables, planned_design, planner_start
from schemawright.indexing.planner_mark import PLANNER
from schemawright.indexing.select import Advice, advise
from schemawright.indexing.standin import CHURN_PER_SECOND, SAMPLE_ROWS, StandIn
from schemawright.security.names import run_roles, scoped
from schemawright.validation.run import extension_problem, use_server

Say = Callable[[str], None]


@dataclass
class PlannerRun:
    design: m.Design  # the design with the planner's indexes
    advice: Advice
    server: str  # "PostgreSQL 18.1 (embedded)"
    how: str  # how the declared volumes were stood in for
    sample_rows: int
    declared_rows: int


def plan_indexes(design: m.Design, database_url: str | None = None, *, seed: int = 0, say: Say | None = None,
                 sample_rows: int = SAMPLE_ROWS, stand_in: bool = True) -> PlannerRun:
    """Raises GenerationError, DatabaseError or EmbeddedServerError (the caller says what to do).
    stand_in=False: cost on the sample's own statistics (the proof that the stand-in matters)."""
    tell = say or (lambda _text: None)
    start, first_cut = planner_start(design)
    declared = plan(start, 1.0)
    counts = {table: min(rows, sample_rows) for table, rows in declared.items()}
    with use_server(database_url, tell) as server_url:
        missing = extension_problem(server_url, start.extensions, embedded=database_url is None)
        if missing:
            raise GenerationError(missing)
        with sandboxed_database(server_url, start.extensions + ("hypopg",), run_roles(start)) as box:
            sandboxed = scoped(start, box.database) if start.roles else start
            tell("Loading a sample of every table")
            generate(sandboxed, box.url, 1.0, seed, counts=counts)
            admin_url = with_database(server_url, box.database)
            with Database(admin_url) as admin:
                version = str(admin.query_value("SHOW server_version"))
                why_not = StandIn.unavailable(admin) if stand_in else "the stand-in was switched off"
            standin = None
            if why_not is None:
                standin = StandIn(admin_url, declared, churned=churned_tables(start, CHURN_PER_SECOND))
                standin.prepare(sandboxed)
            tell("Choosing indexes at the declared volumes")
            advice = advise(sandboxed, box.url, whatif="auto", seed=seed, progress=tell, standin=standin)
    how = standin.note() if standin is not None else (
        f"the sample's own statistics ({why_not}): indexes that pay at the declared volume may be missing")
    server = server_label(redact(database_url) if database_url else None, version)
    own = {i.name for i in sandboxed.indexes}
    added = tuple(i for i in advice.design.indexes if i.name not in own)
    new_decisions = advice.design.decisions[len(sandboxed.decisions):]
    advised = start.model_copy(update={"indexes": start.indexes + added,
                                       "decisions": start.decisions + new_decisions})
    advice.design = advised
    result = planned_design(start, advice, first_cut, f"{how}; on {server}")
    return PlannerRun(result, advice, server, how, sum(counts.values()), sum(declared.values()))


def _planned(design: m.Design, database_url: str | None) -> PlannerRun:
    # Off when stderr is not a terminal: a transient bar still leaves an empty line in piped output.
    with Progress(TextColumn("{task.description}"), TimeElapsedColumn(), console=err, transient=True,
                  disable=not err.is_terminal) as bar:
        task = bar.add_task("index planner")
        return plan_indexes(design, database_url, say=lambda text: bar.update(task, description=text))


def with_planned_indexes(design: m.Design, spec: Path, database_url: str | None) -> m.Design:
    """The planner's indexes; the first cut (sound by itself) with a warning when it cannot run."""
    try:
        planned = _planned(design, database_url)
    except (GenerationError, DatabaseError, EmbeddedServerError) as error:
        err.print(f"warning: {spec}: the index planner could not run, so the indexes are the first cut's (rules "
                  f"only): {error}\nPass --database-url for a PostgreSQL server that can run it, or --offline to "
                  "skip it.", markup=False, soft_wrap=True)
        return design.model_copy(update={"decisions": design.decisions + (m.Decision(
            step="indexing", subject=PLANNER, choice="not run: first-cut indexes",
            reason=f"the planner could not run: {error}"),)})
    out.print(f"indexes chosen by the planner of {planned.server} at the declared volumes "
              f"({planned.declared_rows:,} rows, {planned.sample_rows:,} of them sampled): "
              f"{len(planned.advice.chosen)} chosen (report.md says why)", markup=False)
    if err.is_terminal:  # the advisor's own time; not in piped output, which documentation compares
        err.print(f"advisor: {planned.advice.timing.line()}", markup=False)
    return planned.design
