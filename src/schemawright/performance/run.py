"""`bench`: generate data at a scale, apply the indexes, time every access pattern.

Which indexes are measured: the design's own, as its DDL creates them.  When `design` chose
them with the planner at the declared volumes (commands/planned_indexes.py), nothing is added:
bench measures the DDL.  A first-cut design (`--offline`, or a design built in code) is improved
by the planner-checked advisor run on the generated data (indexing.select.advise): the indexes it
chooses are built for real before timing, and the result lists both.

A write on a table that business-rule triggers guard is timed a second time with those
triggers off (performance/rules.py), so the report shows what the rules cost it.  With
row-level security, every pattern is timed again as its group role with the tenant set
(performance/row_security.py): the report shows what the policies cost it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from schemawright import model as m
from schemawright.database import Database, redact, sandboxed_database
from schemawright.generation.run import generate
from schemawright.indexing.planner_mark import chosen_by_planner
from schemawright.indexing.select import Chosen, advise
from schemawright.performance.concurrent import LoadOptions, run_load
from schemawright.performance.index_use import index_use
from schemawright.performance.partition_compare import compare_partitioning, for_generated_rows
from schemawright.performance.results import BenchIndex, BenchResult
from schemawright.performance.row_security import has_row_security, time_with_policies
from schemawright.performance.rules import guarding_triggers, has_commit_checks, time_without_rules
from schemawright.performance.timing import time_pattern
from schemawright.security.names import run_roles, scoped
from schemawright.sql.postgresql import create_index
from schemawright.sql.quoting import quote_ident
from schemawright.generation.columns import GenerationError
from schemawright.validation.plaintext import use_test_key
from schemawright.validation.run import STATEMENT_TIMEOUT_MS, extension_problem, use_server
from schemawright.validation.synthetic import design_enums

RUNS = 100
WARMUP = 5
WHATIF = ("auto", "hypopg", "build")

Say = Callable[[str], None]
# rows(table, rows loaded so far in it, rows planned for it), as generation reports it
RowProgress = Callable[[str, int, int], None]
# step(pattern name, patterns done, patterns in all)
PatternProgress = Callable[[str, int, int], None]


def bench(design: m.Design, scale: float, *, database_url: str | None = None, runs: int = RUNS,
          warmup: int = WARMUP, seed: int = 0, whatif: str = "auto", say: Say | None = None,
          rows: RowProgress | None = None, patterns: PatternProgress | None = None,
          concurrent: LoadOptions | None = None) -> BenchResult:
    """Measure `design` on a scratch database (on `database_url`'s server, or the embedded
    PostgreSQL), dropped at the end.  With `concurrent`, the patterns then also run together
    at their declared rates (performance/concurrent.py).  Raises GenerationError, DatabaseError,
    EmbeddedServerError or ValueError (a what-if mode the server cannot do)."""
    if whatif not in WHATIF:
        raise ValueError(f"unknown what-if mode {whatif!r}; use auto, hypopg or build")
    if runs < 1 or warmup < 0:
        raise ValueError("runs must be at least 1 and warm-up runs at least 0")
    tell = say or (lambda _text: None)
    result = BenchResult(design.project, scale, seed, runs, warmup,
                         server=redact(database_url) if database_url else "embedded PostgreSQL")
    with use_server(database_url, tell) as server_url:
        tell("Creating a scratch database")
        # The spec's SQL runs as a throw-away role (database/sandbox.py); HypoPG is not a
        # trusted extension, so the user's login creates it for the advisor beforehand.
        hypopg = ("hypopg",) if whatif != "build" else ()
        missing = extension_problem(server_url, design.extensions, embedded=database_url is None)
        if missing:
            raise GenerationError(missing)
        # The design's roles are made for this scratch database only, as validate makes them.
        with sandboxed_database(server_url, design.extensions + hypopg, run_roles(design)) as box:
            if design.roles:
                design = scoped(design, box.database)
            url = box.url
            result.sandbox_note = box.note or ""
            design = for_generated_rows(design)  # range partitions where the rows fall, as maintenance makes them
            tell("Generating data")
            generated = generate(design, url, scale, seed, rows)
            result.rows_loaded, result.generation_seconds = generated.rows, generated.seconds
            result.tables = generated.tables
            if chosen_by_planner(design):  # chosen at the declared volumes: measured as the DDL has them
                advised, chosen = design, []
                result.whatif = "none: the design's indexes were chosen by the planner at the declared volumes"
            else:
                tell("Choosing indexes on the generated data")
                advice = advise(design, url, whatif=whatif, seed=seed, progress=tell)
                result.whatif, result.advisor_seconds = advice.whatif, advice.seconds
                advised, chosen = advice.design, advice.chosen
            with Database(url, statement_timeout_ms=STATEMENT_TIMEOUT_MS) as db:
                use_test_key(db, design)  # the key the rows were generated with (pii: encrypt)
                result.server_version = str(db.query_value("SHOW server_version"))
                with db.untimed():  # index builds and VACUUM grow with the data: minutes at full volume
                    result.indexes = _apply_indexes(db, design, advised, chosen, tell)
                    tell("Vacuuming and analysing")
                    # Production tables are vacuumed (visibility map set, so index-only scans skip
                    # the heap) and analysed with their indexes; bulk-loaded ones are not yet.
                    db.execute("VACUUM (ANALYZE) " + ", ".join(quote_ident(t.name) for t in design.tables))
                enums = design_enums(design)
                commit_checks = has_commit_checks(design)
                for i, pattern in enumerate(design.access_patterns):
                    if patterns:
                        patterns(pattern.name, i, len(design.access_patterns))
                    timing = dict(runs=runs, warmup=warmup, enums=enums, seed=seed, statement=f"sw_bench_{i}")
                    guards = guarding_triggers(design, pattern)
                    measured = time_pattern(db, design, pattern, **timing,  # type: ignore[arg-type]
                                            commit_checks=bool(guards) and commit_checks)
                    result.patterns.append(measured)
                    if guards and measured.latency is not None:
                        measured.rule_triggers = guards
                        time_without_rules(db, design, pattern, measured, **timing, commit_checks=commit_checks)
                    if has_row_security(design) and measured.latency is not None:
                        time_with_policies(db, design, pattern, measured, runs=runs, warmup=warmup, enums=enums,
                                           seed=seed, statement=f"sw_bench_rls_{i}",
                                           commit_checks=bool(guards) and commit_checks)
                if patterns:
                    patterns("", len(design.access_patterns), len(design.access_patterns))
                result.index_use = index_use(design, result.indexes, result.patterns)
                result.partitioning = compare_partitioning(db, design, server_url, scale, seed=seed, runs=runs,
                                                           warmup=warmup, indexes=result.indexes,
                                                           measured=result.patterns, say=tell)
            if concurrent is not None:  # after the single-pattern timing: its writes commit
                result.concurrent = run_load(url, design, concurrent, seed=seed, enums=enums, say=tell)
            tell("Dropping the scratch database")
    return result


def _apply_indexes(db: Database, design: m.Design, advised: m.Design, chosen: list[Chosen],
                   say: Say) -> list[BenchIndex]:
    """Build the advisor's indexes (its what-if copies are gone); list them after the design's."""
    out = [BenchIndex(i.name, i.table, create_index(i), "design", tuple(i.patterns)) for i in design.indexes]
    sizes = {c.name: c.size for c in chosen}
    own = {i.name for i in design.indexes}
    for index in advised.indexes:
        if index.name in own:
            continue
        say(f"Building advised index {index.name}")
        db.execute(create_index(index))
        out.append(BenchIndex(index.name, index.table, create_index(index), "advisor", tuple(index.patterns),
                              sizes.get(index.name)))
    return out
