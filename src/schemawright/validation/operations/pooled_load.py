"""The access patterns run through PgBouncer by more clients than it has server connections.

Each client is its own connection to PgBouncer and runs, back to back, one transaction at a
time as the application does: BEGIN, the pattern's group role and the design's settings
(tenant, user, PII key) set for this transaction only (`SET LOCAL ROLE`, `set_config(...,
true)`), the statement (unnamed: transaction pooling cannot keep a prepared one), COMMIT.
Patterns are drawn in proportion to their declared rates, from parameter sets drawn from the
loaded rows (performance/draws.py), so tenants interleave on every server connection.

Every PROBE_EVERY-th transaction of a client is a probe instead:
- a *bare* probe sets nothing and reads each setting the design reads, and, with row-level
  security, counts a tenant-owned table's rows as a group role: a setting left on the server
  connection by an earlier client's session-level SET shows up here (it must be empty and the
  count 0: no tenant set, no row);
- a *tenant* probe sets one tenant and counts that table's rows of any other tenant (must be 0).
Each transaction also records its server connection (pg_backend_pid()), and which tenant last
used that connection, so the report says how often tenants really shared one.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg
from psycopg import errors as pg_errors

from schemawright.sql.quoting import quote_ident

PROBE_EVERY = 4  # every 4th transaction of a client is a probe
RETRYABLE = (pg_errors.SerializationFailure, pg_errors.DeadlockDetected)


@dataclass
class Runnable:
    """One access pattern ready to run: SQL with $n and its parameter sets, each with its tenant."""

    name: str
    sql: str
    role: str | None  # SET LOCAL ROLE (row-level security)
    bindings: list[list[str | None]]
    tenants: list[str | None]
    weight: float


@dataclass(frozen=True)
class TenantProbe:
    table: str
    column: str  # the tenant column
    role: str  # a group role that reads the table
    tenants: tuple[str, ...]  # tenants that own rows of it


@dataclass
class LoadFigures:
    clients: int
    seconds: float = 0.0
    runs: Counter[str] = field(default_factory=Counter)  # committed, per pattern
    refused: Counter[str] = field(default_factory=Counter)  # integrity errors: the data refused the draw
    retried: int = 0
    errors: dict[str, str] = field(default_factory=dict)  # pattern -> first error
    bare_probes: int = 0
    leaks: list[str] = field(default_factory=list)  # what a bare probe found left on its server connection
    tenant_probes: int = 0
    crossings: list[str] = field(default_factory=list)  # rows of another tenant a tenant probe saw
    backends: set[int] = field(default_factory=set)  # server connections the transactions ran on
    shared_with_other_tenant: int = 0  # transactions on a server connection another tenant used last
    busy_seconds: float = 0.0  # summed over committed pattern transactions, BEGIN to COMMIT

    @property
    def committed(self) -> int:
        return sum(self.runs.values())

    @property
    def throughput(self) -> float:
        return self.committed / self.seconds if self.seconds else 0.0

    @property
    def mean_ms(self) -> float:
        return self.busy_seconds / self.committed * 1000 if self.committed else 0.0

    @property
    def in_flight(self) -> float:
        """Little's law on the run itself: throughput x mean time a transaction held a server connection."""
        return self.throughput * self.mean_ms / 1000


@dataclass(frozen=True)
class Settings:
    """What each transaction sets, and how: LOCAL (the design's rule) or, to show the failure, the session."""

    tenant: str | None  # the tenant setting's name (row-level security), else None
    others: dict[str, str]  # user and key settings: name -> value for every transaction
    read: tuple[str, ...]  # settings a bare probe must find empty
    local: bool = True


def run_pooled(url: str, runnables: list[Runnable], settings: Settings, probe: TenantProbe | None, *,
               clients: int, seconds: float, seed: int, stop_early: Callable[[], bool] = lambda: False,
               prepare_threshold: int | None = None) -> LoadFigures:
    """`prepare_threshold`: psycopg's (None: never prepare, as transaction pooling needs; 0: always)."""
    figures = LoadFigures(clients)
    lock = threading.Lock()
    last_tenant: dict[int, str | None] = {}  # server connection -> tenant of its last transaction
    deadline = time.monotonic() + seconds
    unrun = list(reversed(runnables))

    def note_backend(pid: int, tenant: str | None) -> None:
        with lock:
            figures.backends.add(pid)
            before = last_tenant.get(pid)
            if before is not None and tenant is not None and before != tenant:
                figures.shared_with_other_tenant += 1
            last_tenant[pid] = tenant

    def client(number: int) -> None:
        rng = random.Random(f"{seed}:{number}")  # noqa: S311 - draws, not secrets
        weights = [r.weight for r in runnables]
        with psycopg.connect(url, prepare_threshold=prepare_threshold, connect_timeout=10) as conn:
            cursor = psycopg.RawCursor(conn)  # $n placeholders as the patterns have them
            turn = 0
            while time.monotonic() < deadline and not stop_early():
                turn += 1
                if turn % PROBE_EVERY == 0:
                    _probe(conn, cursor, settings, probe, rng, figures, lock, note_backend)
                    continue
                with lock:  # each pattern once first: a rare one (a nightly report) would never be drawn
                    r = unrun.pop() if unrun else rng.choices(runnables, weights)[0]
                _one_run(conn, cursor, r, rng.randrange(len(r.bindings)), settings, figures, lock, note_backend)

    started = time.monotonic()
    threads = [threading.Thread(target=_guarded(client, figures, lock), args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    figures.seconds = time.monotonic() - started
    return figures


def _one_run(conn: psycopg.Connection, cursor: psycopg.RawCursor, r: Runnable, turn: int, settings: Settings,
             figures: LoadFigures, lock: threading.Lock, note_backend: Callable[[int, str | None], None]) -> None:
    tenant = r.tenants[turn]
    for attempt in range(4):
        try:
            started = time.perf_counter()
            with conn.transaction():
                _set(cursor, r.role, settings, tenant)
                pid = cursor.execute("SELECT pg_backend_pid()").fetchone()[0]  # type: ignore[index]
                cursor.execute(r.sql, r.bindings[turn])
            took = time.perf_counter() - started
            note_backend(pid, tenant)
            with lock:
                figures.runs[r.name] += 1
                figures.busy_seconds += took
            return
        except RETRYABLE:
            with lock:
                figures.retried += 1
            time.sleep(0.002 * (attempt + 1))
        except psycopg.errors.IntegrityError:
            with lock:
                figures.refused[r.name] += 1
            return
        except psycopg.Error as error:
            with lock:
                figures.errors.setdefault(r.name, str(error).strip().splitlines()[0])
            return


def _set(cursor: psycopg.RawCursor, role: str | None, settings: Settings, tenant: str | None) -> None:
    if role is not None:
        cursor.execute(f"SET LOCAL ROLE {quote_ident(role)}" if settings.local else f"SET ROLE {quote_ident(role)}")
    values = dict(settings.others)
    if settings.tenant is not None and tenant is not None:
        values[settings.tenant] = tenant
    for name, value in values.items():
        cursor.execute(f"SELECT set_config($1, $2, {'true' if settings.local else 'false'})", [name, value])


def _probe(conn: psycopg.Connection, cursor: psycopg.RawCursor, settings: Settings, probe: TenantProbe | None,
           rng: random.Random, figures: LoadFigures, lock: threading.Lock,
           note_backend: Callable[[int, str | None], None]) -> None:
    tenant = rng.choice(probe.tenants) if probe and rng.random() < 0.5 else None
    try:
        with conn.transaction():
            pid = cursor.execute("SELECT pg_backend_pid()").fetchone()[0]  # type: ignore[index]
            if tenant is None:  # bare: nothing set; whatever is set was left by an earlier transaction
                found = []
                role = cursor.execute("SELECT current_user::text, session_user::text").fetchone()
                if role and role[0] != role[1]:
                    found.append(f"role {role[0]}")
                for name in settings.read:
                    value = cursor.execute("SELECT current_setting($1, true)", [name]).fetchone()[0]  # type: ignore[index]
                    if value:
                        found.append(f"{name} = {value!r}")
                if probe is not None:
                    cursor.execute(f"SET LOCAL ROLE {quote_ident(probe.role)}")
                    seen = cursor.execute(f"SELECT count(*) FROM {quote_ident(probe.table)}").fetchone()[0]  # type: ignore[index]
                    if seen:
                        found.append(f"{seen} rows of {probe.table} with no tenant set")
                with lock:
                    figures.bare_probes += 1
                    if found:
                        figures.leaks.append(f"server connection {pid}: " + ", ".join(found))
            else:
                assert probe is not None
                cursor.execute(f"SET LOCAL ROLE {quote_ident(probe.role)}")
                cursor.execute("SELECT set_config($1, $2, true)", [settings.tenant, tenant])
                column = quote_ident(probe.column)
                other = cursor.execute(f"SELECT count(*) FROM {quote_ident(probe.table)} WHERE {column}::text "
                                       "IS DISTINCT FROM $1", [tenant]).fetchone()[0]  # type: ignore[index]
                with lock:
                    figures.tenant_probes += 1
                    if other:
                        figures.crossings.append(f"tenant {tenant} saw {other} rows of another tenant in {probe.table}")
        note_backend(pid, tenant)
    except psycopg.Error as error:
        with lock:
            figures.errors.setdefault("(probe)", str(error).strip().splitlines()[0])


def _guarded(target: Callable[[int], None], figures: LoadFigures, lock: threading.Lock) -> Callable[[int], None]:
    def run(number: int) -> None:
        try:
            target(number)
        except psycopg.Error as error:  # a client that could not connect at all
            with lock:
                figures.errors.setdefault("(client)", str(error).strip().splitlines()[0])
    return run
