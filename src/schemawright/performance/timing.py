"""Run one access pattern many times, each run with its own parameters, and time it.

The pattern is PREPAREd once (as an application's driver would), so the runs measure
execution with the plan PostgreSQL settles on, not parsing; parameters PostgreSQL cannot
type take their column's type (validation/prepare.py).  Every run is a transaction
that is rolled back, so write patterns leave the data as it was for the next run.  The
first `warmup` runs fill caches and are not counted.  Drawn parameter sets that find no
row are set aside before timing while others hit (validation/hits.py).  A drawn binding
that breaks a constraint (an insert whose key exists already) is skipped and another one
is used.

With `commit_checks`, each run also fires the checks deferred to commit (`SET CONSTRAINTS
ALL IMMEDIATE`, timed with the statement): a rolled-back transaction never reaches COMMIT,
so a business rule's group check would otherwise cost nothing.  A check that refuses the
rows one run wrote alone (a single line of an entry that must balance) still did its work:
the run is timed and counted in `checks_refused`.
"""

from __future__ import annotations

import time

from schemawright import model as m
from schemawright.database import Database, DatabaseError
from schemawright.gcpause import paused_gc
from schemawright.performance.draws import Binding, draw_bindings
from schemawright.validation.hits import not_measured, screen
from schemawright.performance.plans import explain_run
from schemawright.performance.results import PatternBench
from schemawright.performance.stats import latency
from schemawright.sql.quoting import quote_literal
from schemawright.validation.patterns import MAX_BINDINGS
from schemawright.validation.prepare import prepare

MAX_SKIPPED_FRACTION = 0.5  # more refused bindings than this: report the error instead of timing


def _call(statement: str, values: Binding) -> str:
    if not values:
        return f"EXECUTE {statement}"
    return f"EXECUTE {statement}(" + ", ".join("NULL" if v is None else quote_literal(v) for v in values) + ")"


COMMIT_CHECKS = "SET CONSTRAINTS ALL IMMEDIATE"


def time_pattern(db: Database, design: m.Design, pattern: m.AccessPattern, *, runs: int, warmup: int,
                 enums: dict[str, tuple[str, ...]], seed: int, statement: str = "sw_bench",
                 commit_checks: bool = False) -> PatternBench:
    result = PatternBench(pattern.name, pattern.kind, pattern.frequency, pattern.latency_p95_ms)
    try:
        prepared = prepare(db, statement, pattern.sql, design)
    except DatabaseError as error:
        result.error = f"does not prepare: {error}"
        return result
    except Exception as error:  # sqlglot tokenizer errors: unterminated strings and the like
        result.error = f"could not read the SQL: {error}"
        return result
    bound, types = prepared.bound, prepared.types
    try:
        needed = runs + warmup
        for attempt in range(MAX_BINDINGS):  # later attempts: freshly generated values (validation's Binder)
            # Twice as many as needed: spares for bindings a constraint refuses.
            failures: list[str] = []
            bindings = draw_bindings(db, design, pattern, bound.names, list(types), 2 * needed, enums=enums,
                                     seed=seed, attempt=attempt, returns=pattern.returns, failures=failures)
            result.draw_failures += tuple(f for f in failures if f not in result.draw_failures)
            if pattern.returns != 0:  # `returns: 0`: finding nothing is what it is for
                bindings, aside = screen(bindings, lambda values: _once(db, statement, values))
                result.misses_replaced += aside
            with paused_gc():  # a collection inside a timed run would be the client's pause, not the server's
                samples, rows, used, error, skipped, checked = _timed(db, statement, bindings, needed, commit_checks)
            result.refused += skipped
            result.checks_refused += checked
            if len(samples) == needed:
                break
        if len(samples) < needed:
            result.error = f"fails with the values drawn from the data: {error}"
            return result
        result.latency = latency(samples[warmup:])
        result.rows = sum(rows[warmup:]) / len(rows[warmup:])
        result.returns = pattern.returns
        result.empty_runs = sum(1 for r in rows[warmup:] if r == 0)
        result.not_measured = not_measured(db, design, pattern, rows[warmup:], declared=True)
        result.bindings = len({tuple(b) for b in used[warmup:]})
        result.plan = explain_run(db, _call(statement, used[-1]))
    except DatabaseError as error:
        result.error = f"fails: {error}"
    finally:
        db.execute(f"DEALLOCATE {statement}")
    return result


def _once(db: Database, statement: str, values: Binding) -> int:
    """Rows one run returns or changes, rolled back."""
    with db.transaction(rollback=True):
        return max(db.execute(_call(statement, values)), 0)


def _timed(db: Database, statement: str, bindings: list[Binding], needed: int,  # noqa: ANN202
           commit_checks: bool = False):
    samples: list[float] = []
    rows: list[int] = []
    used: list[Binding] = []
    error: DatabaseError | None = None
    skipped = checked = 0
    for values in bindings:
        if len(samples) == needed:
            break
        call = _call(statement, values)
        try:
            with db.transaction(rollback=True):
                start = time.perf_counter()
                count = db.execute(call)
                if commit_checks:
                    try:
                        db.execute(COMMIT_CHECKS)
                    except DatabaseError as exc:
                        if not exc.is_integrity_error:
                            raise
                        checked += 1
                elapsed = (time.perf_counter() - start) * 1000
        except DatabaseError as exc:
            if not (exc.is_integrity_error or exc.is_data_error):
                raise
            error, skipped = exc, skipped + 1
            if skipped > MAX_SKIPPED_FRACTION * len(bindings):
                break
            continue
        samples.append(elapsed)
        rows.append(max(count, 0))
        used.append(values)
    return samples, rows, used, error, skipped, checked
