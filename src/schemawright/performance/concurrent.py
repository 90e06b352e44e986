"""`bench --concurrent`: every access pattern at once, at its declared rate, from several
connections, for a fixed time (issue 14: "nobody knows whether the design sustains 4,500
inserts a second next to its reads").

- Each pattern is PREPAREd on every connection and gets parameter sets drawn from the data
  as single-pattern timing draws them (performance/draws.py), one per scheduled run.
- The rates are the spec's `frequency` (runs per second) times a rate scale: the machine
  running both the server and this client rarely offers the declared mix, so a short
  closed-loop calibration (every connection running the mix as fast as it can, writes
  committed) measures what it sustains, and the load asks for HEADROOM of that, at most
  the declared rates (a queue at saturation would measure the queue, not the design).
  `--rate-scale` fixes the scale instead.
- Runs are scheduled ahead, evenly spaced per pattern from a seeded phase, and taken in
  time order by whichever connection is free; a run starts late when all are busy (its
  delay is reported), and runs still waiting when the time is up are dropped and counted.
- Each run is its own transaction and COMMITs, as the application's would: conflicts
  between concurrent writers are real only when the other writer commits.  The statement
  is timed apart from its COMMIT (the WAL flush), whose p95 is reported beside it: the
  target is the statement's, as in single-pattern timing, and an application's
  transaction commits once for many statements (TPC-C's New-Order: about 23).  A
  serialization failure (40001) or deadlock (40P01) is retried, as an application
  retries it, up to MAX_RETRIES times with a short random back-off, and counted; the
  latency of such a run runs from its first attempt to its statement's success.
- With row-level security, each run's transaction sets the pattern's group role and the
  tenant its parameters belong to with SET LOCAL (untimed, as performance/row_security.py
  does), and the statement is prepared as that role, so the policies are in the plan.
- Every connection uses the design's transaction isolation (`transactions: isolation`).
"""

from __future__ import annotations

import itertools
import math
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from schemawright import model as m
from schemawright.database import Database, DatabaseError
from schemawright.gcpause import paused_gc
from schemawright.performance.concurrent_results import LoadLatency, LoadResult, PatternLoad
from schemawright.performance.draws import draw_bindings
from schemawright.performance.row_security import first_tenant, has_row_security
from schemawright.performance.stats import nearest_rank
from schemawright.sql.quoting import quote_ident, quote_literal
from schemawright.validation.acting import binding_tenant, pattern_role
from schemawright.validation.params import Use, positional, uses
from schemawright.validation.patterns import p95
from schemawright.validation.plaintext import use_test_key
from schemawright.validation.run import STATEMENT_TIMEOUT_MS

HEADROOM = 0.7  # share of the calibrated capacity asked for: busy, short of a standing queue
MIN_SCALE = 0.001  # a calibration that finished nothing still schedules each pattern once
MAX_RETRIES = 5  # an application's retry loop for serialization failures and deadlocks
MAX_DRAWS = 20_000  # parameter sets per read pattern; a longer run reuses them in turn
# A write's committed run uses its keys up: reused, a parameter set breaks the key it wrote
# (ticketing at full volume: 40,065 of 60,000 seat holds refused as repeats of 20,000 draws).
MAX_WRITE_DRAWS = 150_000
APPLICATION = "schemawright-load"  # application_name of the load's connections, to count them
SERIALIZATION_FAILURE, DEADLOCK = "40001", "40P01"
MONITOR_INTERVAL = 0.05  # seconds between two looks at pg_stat_activity

Say = Callable[[str], None]


@dataclass(frozen=True)
class LoadOptions:
    duration: float = 30.0  # seconds of timed load
    # A connection waits for each commit's WAL flush: with few of them the pool, not the
    # server, caps the rate.  TPC-C at full volume: 8 connections calibrated to 58 % of the
    # declared 2,479 runs/s with runs waiting 100 ms (p95) for a free one; 16 ran all of
    # them, waiting 4 ms.
    connections: int = 16
    rate_scale: float | None = None  # None: calibrate

    def __post_init__(self) -> None:
        if self.duration <= 0 or self.connections < 1:
            raise ValueError("the load needs a duration above 0 s and at least 1 connection")
        if self.rate_scale is not None and self.rate_scale <= 0:
            raise ValueError("the rate scale must be above 0")

    @property
    def calibration(self) -> float:
        """Seconds of closed-loop calibration: long enough to fill caches, short beside the load."""
        return min(3.0, max(1.0, self.duration / 5))


@dataclass
class _Ready:
    """A pattern prepared on every connection, with one call per parameter set."""

    index: int
    pattern: m.AccessPattern
    sql: str  # with $1.. for the parameters `names`
    names: tuple[str, ...]
    role: str | None  # SET LOCAL ROLE to this (row-level security)
    types: list[str] = field(default_factory=list)  # of the parameters, as PostgreSQL prepared them
    calls: list[str] = field(default_factory=list)  # EXECUTE with one drawn parameter set each
    tenants: list[str | None] = field(default_factory=list)  # the tenant each parameter set belongs to
    turn: itertools.count = field(default_factory=itertools.count)  # next parameter set (shared by connections)
    drawn: int = 0  # parameter sets drawn so far (calibration and load)
    draw_failures: list[str] = field(default_factory=list)  # draws PostgreSQL refused (draws.py)

    @property
    def statement(self) -> str:
        return f"sw_load_{self.index}"


@dataclass
class _Tally:
    """One connection's counts for one pattern (merged after the run: no lock while timing)."""

    samples: list[float] = field(default_factory=list)
    commits: list[float] = field(default_factory=list)
    rows: int = 0  # returned or written by the successful runs
    delays: list[float] = field(default_factory=list)
    serialization_failures: int = 0
    deadlocks: int = 0
    gave_up: int = 0
    refused: int = 0
    errors: int = 0
    error: str | None = None


def run_load(url: str, design: m.Design, options: LoadOptions, *, seed: int, enums: dict[str, tuple[str, ...]],
             say: Say | None = None) -> LoadResult:
    """Run the access patterns of `design` together on the database at `url` (its data loaded)."""
    tell = say or (lambda _text: None)
    scaled = [p for p in design.access_patterns if p.frequency > 0]
    result = LoadResult(options.connections, options.duration, design.transactions.isolation,
                        options.rate_scale or 1.0, "given" if options.rate_scale else "calibrated")
    loads = {p.name: PatternLoad(p.name, p.kind, p.frequency, p.frequency * result.rate_scale, p.latency_p95_ms,
                                 meant_to_find_nothing=p.returns == 0) for p in scaled}
    result.patterns = list(loads.values())
    with Database(url, statement_timeout_ms=STATEMENT_TIMEOUT_MS) as db:
        use_test_key(db, design)
        ready = [r for i, p in enumerate(scaled) if (r := _prepare(db, design, p, i, loads[p.name])) is not None]
        if not ready:
            return result
        tell(f"Opening {options.connections} connections")
        workers = [_Worker(url, design, ready) for _ in range(options.connections)]
        try:
            with paused_gc():
                if options.rate_scale is None:
                    # Its own parameter sets, for up to twice the declared rates (beyond that the
                    # scale is 1 anyway); drawn with another seed, so it does not warm the load's rows.
                    tell("Drawing parameters for the calibration")
                    for r in ready:
                        _draw(db, design, r, math.ceil(r.pattern.frequency * 2 * options.calibration) + 5, enums,
                              seed + 1)
                    tell(f"Calibrating: the mix as fast as {options.connections} connections run it")
                    result.capacity = _calibrate(workers, ready, options.calibration, seed)
                    declared = sum(p.frequency for p in scaled)
                    result.rate_scale = min(1.0, max(MIN_SCALE, HEADROOM * result.capacity / declared))
                    for load in result.patterns:
                        load.target_rate = load.frequency * result.rate_scale
                # Drawn after the calibration, whose writes committed: new keys continue after its rows.
                tell("Drawing parameters for the concurrent load")
                for r in ready:
                    runs = loads[r.pattern.name].target_rate * options.duration
                    most = MAX_DRAWS if r.pattern.kind == "read" else MAX_WRITE_DRAWS
                    _draw(db, design, r, min(most, math.ceil(runs * 1.05) + 5), enums, seed)
                tell(f"Running the mix at {result.rate_scale:.1%} of the declared rates for {options.duration:g} s")
                _run(workers, ready, result, options.duration, seed, db)
                for r in ready:
                    loads[r.pattern.name].draw_failures = tuple(dict.fromkeys(r.draw_failures))
        finally:
            for worker in workers:
                worker.close()
    return result


def _prepare(db: Database, design: m.Design, pattern: m.AccessPattern, index: int, load: PatternLoad) -> _Ready | None:
    """`pattern` ready to be prepared on each connection; None (and `load.error`) when it cannot run."""
    try:
        bound = positional(pattern.sql)
    except Exception as error:  # sqlglot tokenizer errors, or more than one statement
        load.error = f"could not read the SQL: {error}"
        return None
    role = pattern_role(design, pattern) if has_row_security(design) else None
    if role is not None:
        load.runs_as = next((r.spec_role or r.kind for r in design.roles if r.name == role), role)
    ready = _Ready(index, pattern, bound.sql, bound.names, role)
    try:
        db.execute(f"PREPARE {ready.statement} AS {bound.sql}")
        ready.types = list(db.query_value("SELECT parameter_types::text[] FROM pg_prepared_statements "
                                          "WHERE name = %s", [ready.statement]) or [])
    except DatabaseError as error:
        load.error = f"does not prepare: {error}"
        return None
    return ready


def _draw(db: Database, design: m.Design, r: _Ready, count: int, enums: dict[str, tuple[str, ...]],
          seed: int) -> None:
    """`count` parameter sets for `r`'s next runs, drawn from the data as it is now."""
    bindings = draw_bindings(db, design, r.pattern, r.names, r.types, count, enums=enums, seed=seed,
                             failures=r.draw_failures)
    usage = uses(r.pattern.sql, design)
    bindings = distinct_keys(design, usage, r.names, bindings, start=r.drawn)
    r.drawn += len(bindings)
    r.tenants = [None] * len(bindings)
    if r.role is not None:
        fallback = first_tenant(db, design)
        r.tenants = [binding_tenant(db, design, usage, r.names, b) or fallback for b in bindings]
    r.calls = [_call(r.statement, values) for values in bindings]
    r.turn = itertools.count()


def distinct_keys(design: m.Design, usage: dict[str, Use], names: tuple[str, ...],
                  bindings: list[list[str | None]], start: int = 0) -> list[list[str | None]]:
    """The parameter sets with a distinct value in each run for every text or timestamp parameter
    inserted into a column of a key (`order_number`, `(sensor_id, recorded_at)`): single-pattern
    timing rolls each run back, so one value serves every run, but the load commits, and the
    second run would break the key (or, with ON CONFLICT DO NOTHING, write nothing).  A text
    value ends in the run's number, a timestamp moves by as many microseconds (the same
    partition).  (Integer key columns already continue after the table's largest value,
    performance/draws.py.)  Runs are numbered from `start`, so a later draw does not repeat an
    earlier one's values."""
    keyed = []
    for position, name in enumerate(names):
        use = usage.get(name)
        table = design.table(use.table) if use and use.role == "insert" and use.table else None
        column = table.column(use.column) if table and use and use.column else None
        if table is None or column is None:
            continue
        keys = ([table.primary_key.columns] if table.primary_key else []) + [u.columns for u in table.uniques]
        referencing = {c for fk in table.foreign_keys for c in fk.columns}
        sql_type = column.sql_type.lower()
        kind = "timestamp" if "timestamp" in sql_type else "text" if "char" in sql_type or "text" in sql_type else ""
        if kind and column.name not in referencing and any(column.name in key for key in keys):
            keyed.append((position, kind, _max_length(sql_type)))
    for position, kind, limit in keyed:
        values = [b[position] for b in bindings]
        if len(set(values)) == len(values):
            continue
        for number, binding in enumerate(bindings):
            value = binding[position]
            if value is not None:
                binding[position] = _later(value, start + number) if kind == "timestamp" else \
                    _numbered(value, f"-{start + number}", limit)
    return bindings


def _later(value: str, microseconds: int) -> str:
    try:
        moved = datetime.fromisoformat(value) + timedelta(microseconds=microseconds)
    except ValueError:  # 'infinity', or a form Python does not read: keep it
        return value
    return moved.isoformat(sep=" ")


def _max_length(sql_type: str) -> int | None:
    found = re.search(r"\((\d+)\)", sql_type)
    return int(found.group(1)) if found else None


def _numbered(value: str, suffix: str, limit: int | None) -> str:
    """`value` made distinct by `suffix` in place of its last characters, so it keeps its length
    (a length CHECK that passed the drawn value passes it) within the type's `limit`; an
    e-mail keeps its domain."""
    local, at, domain = value.rpartition("@") if "@" in value else (value, "", "")
    keep = len(local) - len(suffix) if len(local) > len(suffix) else len(local)
    if limit is not None:
        keep = min(keep, max(0, limit - len(suffix) - len(at) - len(domain)))
    return local[:keep] + suffix + at + domain


def _call(statement: str, values: list[str | None]) -> str:
    if not values:
        return f"EXECUTE {statement}"
    return f"EXECUTE {statement}(" + ", ".join("NULL" if v is None else quote_literal(v) for v in values) + ")"


class _Worker:
    """One connection of the load, with every pattern prepared on it."""

    def __init__(self, url: str, design: m.Design, ready: list[_Ready]) -> None:
        self.db = Database(url, statement_timeout_ms=STATEMENT_TIMEOUT_MS)
        self.setting = design.security.tenant_setting
        self.tallies = {r.index: _Tally() for r in ready}
        self.db.execute("SELECT set_config('application_name', %s, false)", [APPLICATION])
        isolation = design.transactions.isolation
        self.db.execute(f"SET default_transaction_isolation = {quote_literal(isolation)}")
        use_test_key(self.db, design)
        for r in ready:
            try:
                if r.role:
                    with self.db.transaction():  # the plan holds the role's policies; PREPARE outlives it
                        self.db.execute(f"SET LOCAL ROLE {quote_ident(r.role)}")
                        self.db.execute(f"PREPARE {r.statement} AS {r.sql}")
                else:
                    self.db.execute(f"PREPARE {r.statement} AS {r.sql}")
            except DatabaseError as error:
                self.tallies[r.index].errors += 1
                self.tallies[r.index].error = f"does not prepare: {error}"

    def close(self) -> None:
        self.db.close()

    def execute(self, r: _Ready, tally: _Tally | None) -> None:
        """One run of `r` with its next parameter set, committed, retried after a serialization
        failure or deadlock, and counted in `tally` (None: a calibration run, not counted)."""
        turn = next(r.turn) % len(r.calls)
        call, tenant = r.calls[turn], r.tenants[turn]
        first = None
        for attempt in range(MAX_RETRIES + 1):
            try:
                with self.db.transaction():  # BEGIN .. COMMIT, so the statement and its commit are timed apart
                    if r.role:  # SET LOCAL lasts until the transaction's end
                        self.db.execute(f"SET LOCAL ROLE {quote_ident(r.role)}")
                        if tenant is not None:
                            self.db.execute("SELECT set_config(%s, %s, true)", [self.setting, tenant])
                    first = first or time.perf_counter()
                    rows = self.db.execute(call)
                    done = time.perf_counter()
                committed = time.perf_counter()
            except DatabaseError as error:
                if error.sqlstate in (SERIALIZATION_FAILURE, DEADLOCK):
                    if tally is not None:
                        tally.serialization_failures += error.sqlstate == SERIALIZATION_FAILURE
                        tally.deadlocks += error.sqlstate == DEADLOCK
                    if attempt < MAX_RETRIES:
                        time.sleep(random.uniform(0.001, 0.005) * (attempt + 1))  # noqa: S311 - back-off jitter
                        continue
                    if tally is not None:
                        tally.gave_up += 1
                if tally is not None:
                    if error.is_integrity_error:
                        tally.refused += 1
                    else:
                        tally.errors += 1
                    tally.error = tally.error or str(error)
                return
            if tally is not None:
                tally.samples.append((done - first) * 1000)
                tally.commits.append((committed - done) * 1000)
                tally.rows += max(rows, 0)
            return


def _calibrate(workers: list[_Worker], ready: list[_Ready], seconds: float, seed: int) -> float:
    """Runs per second the connections sustain running the mix back to back (a closed loop)."""
    weights = [r.pattern.frequency for r in ready]
    done = [0] * len(workers)
    stop = time.perf_counter() + seconds

    def loop(number: int) -> None:
        pick = random.Random(f"{seed}:{number}")  # noqa: S311 - a workload mix, not a secret
        while time.perf_counter() < stop:
            workers[number].execute(pick.choices(ready, weights)[0], None)
            done[number] += 1

    start = time.perf_counter()
    _in_threads(loop, len(workers))
    return sum(done) / (time.perf_counter() - start)


def _schedule(ready: list[_Ready], rates: dict[str, float], duration: float, seed: int) -> list[tuple[float, _Ready]]:
    """(seconds from the start, pattern) of every run: evenly spaced per pattern from a seeded
    phase, at least one run each, in time order."""
    phase = random.Random(seed)  # noqa: S311
    runs = []
    for r in ready:
        rate = rates[r.pattern.name]
        gap = 1 / rate
        at = phase.random() * min(gap, duration)
        while at < duration:
            runs.append((at, r))
            at += gap
    return sorted(runs, key=lambda run: (run[0], run[1].index))


def _run(workers: list[_Worker], ready: list[_Ready], result: LoadResult, duration: float, seed: int,
         monitor: Database) -> None:
    """The timed load; fills `result`."""
    loads = {p.name: p for p in result.patterns}
    schedule = _schedule(ready, {name: p.target_rate for name, p in loads.items()}, duration, seed)
    scheduled = {r.index: 0 for r in ready}
    for _at, r in schedule:
        scheduled[r.index] += 1
    taken = itertools.count()  # the next run of the schedule (shared by the connections)
    dropped = [0] * len(workers)
    start = time.perf_counter() + 0.05  # every thread started before the first run is due
    stop = start + duration
    finished = threading.Event()

    def loop(number: int) -> None:
        worker = workers[number]
        while (turn := next(taken)) < len(schedule):
            at, r = schedule[turn]
            due = start + at
            now = time.perf_counter()
            if now >= stop:
                dropped[number] += 1
                continue
            if due > now:
                time.sleep(due - now)
            tally = worker.tallies[r.index]
            tally.delays.append(max(0.0, time.perf_counter() - due) * 1000)
            worker.execute(r, tally)

    watcher = threading.Thread(target=_watch, args=(monitor, result, finished), daemon=True)
    watcher.start()
    try:
        _in_threads(loop, len(workers))
    finally:
        finished.set()
        watcher.join()
    result.elapsed = time.perf_counter() - start
    result.not_started = sum(dropped)
    for r in ready:
        _merge(loads[r.pattern.name], [w.tallies[r.index] for w in workers], duration)


def _watch(monitor: Database, result: LoadResult, finished: threading.Event) -> None:
    """Count the load's connections in pg_stat_activity (the server's own view) while it runs."""
    while not finished.wait(MONITOR_INTERVAL):
        try:
            seen, active = monitor.query(
                "SELECT count(*), count(*) FILTER (WHERE state <> 'idle') FROM pg_stat_activity "
                "WHERE application_name = %s AND datname = current_database()", [APPLICATION])[0]
        except DatabaseError:
            return
        result.connections_seen = max(result.connections_seen, int(seen))
        result.most_active = max(result.most_active, int(active))


def _merge(load: PatternLoad, tallies: list[_Tally], duration: float) -> None:
    samples = [s for t in tallies for s in t.samples]
    delays = [d for t in tallies for d in t.delays]
    load.completed = len(samples)
    load.achieved_rate = len(samples) / duration
    load.serialization_failures = sum(t.serialization_failures for t in tallies)
    load.deadlocks = sum(t.deadlocks for t in tallies)
    load.gave_up = sum(t.gave_up for t in tallies)
    load.refused = sum(t.refused for t in tallies)
    load.errors = sum(t.errors for t in tallies)
    load.error = load.error or next((t.error for t in tallies if t.error), None)
    if samples:
        load.rows = sum(t.rows for t in tallies) / len(samples)
        load.latency = LoadLatency(p50=nearest_rank(samples, 0.5), p95=p95(samples),
                                   p99=nearest_rank(samples, 0.99), max=max(samples), runs=len(samples))
    if delays:
        load.start_delay_p95 = p95(delays)
    commits = [c for t in tallies for c in t.commits]
    if commits:
        load.commit_p95 = p95(commits)


def _in_threads(target: Callable[[int], None], count: int) -> None:
    """`target(0)` .. `target(count - 1)` in threads, each on its own connection; the first
    exception raised in one of them is raised here once all have ended."""
    failures: list[BaseException] = []

    def guarded(number: int) -> None:
        try:
            target(number)
        except BaseException as error:  # noqa: BLE001 - re-raised in the calling thread
            failures.append(error)

    threads = [threading.Thread(target=guarded, args=(n,), name=f"{APPLICATION}-{n}") for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
