"""Connection pooling: PgBouncer sized from the access patterns with Little's law.

Little's law: the transactions in flight at once = arrival rate x time each holds a server
connection.  Summed over the patterns at their peak rates, with each pattern's p95 target as
its time (an upper bound on the mean: the pool is sized for the targets the spec promises),
it gives the server connections busy on average.  Arrivals are bursty (roughly Poisson, whose
standard deviation is the square root of the mean), so the pool covers mean + 2 standard
deviations (~98 % of instants) and the reserve pool one more.  A server runs only so many
transactions usefully at once (about two per core plus one waiting on I/O, the PostgreSQL
wiki's formula); beyond that more connections add contention, not throughput, so the pool is
capped there and clients wait in PgBouncer's queue instead.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from schemawright import model as m
from schemawright.naming import fit
from schemawright.scaling.session_state import FEATURES, SessionUse, SettingUse, session_uses, settings_read

if TYPE_CHECKING:
    from schemawright.scaling.plan import OperationsPlan

PGBOUNCER_INI = "config/pgbouncer.ini"
USERLIST_NOTE = "config/pgbouncer-userlist.txt"
ESTIMATED_SERVICE_MS = 10.0  # a pattern with no p95 target: an indexed statement plus its round trips
BURST_DEVIATIONS = 2  # the pool covers the mean in flight + 2 standard deviations of a Poisson count
MIN_CLIENTS = 100  # client connections cost PgBouncer ~2 kB each: generous is cheap
CLIENTS_PER_BUSY = 10  # application instances keep idle connections in their own pools
ADMIN_USER = "pgbouncer_admin"  # SHOW POOLS / SHOW SERVERS on the admin console (monitoring, the proof)


@dataclass(frozen=True)
class PatternLoad:
    pattern: str
    frequency: float  # runs per second at peak
    service_ms: float  # time it holds a server connection
    from_target: bool  # service_ms is the p95 target (else ESTIMATED_SERVICE_MS)

    @property
    def in_flight(self) -> float:
        return self.frequency * self.service_ms / 1000


@dataclass(frozen=True)
class PoolPlan:
    database: str  # as clients name it to PgBouncer (the project's name, as security.md's pg_hba.conf has it)
    loads: tuple[PatternLoad, ...]
    cores: int
    default_pool_size: int  # server connections per (database, user) pool
    min_pool_size: int  # kept open while idle, so a burst after a quiet spell does not wait for new ones
    reserve_pool_size: int  # opened when a client waited reserve_pool_timeout
    reserve_pool_timeout: float  # seconds
    server_connections: int  # at most this many to PostgreSQL (max_db_connections): size max_connections from it
    max_client_conn: int
    clients_given: bool  # max_client_conn is the spec's availability.app_connections
    session_uses: tuple[SessionUse, ...]
    settings: tuple[SettingUse, ...]  # custom settings the design reads: set with SET LOCAL
    logins: tuple[str, ...] = ()  # the services' login roles (security.md), one pool each
    tenant_setting: str | None = None  # row-level security's setting, when the design isolates tenants
    title: str = "Connection pooling"
    anchor: str = "pooling"

    @property
    def in_flight(self) -> float:
        """Little's law: transactions in flight on average at the peak rates."""
        return sum(load.in_flight for load in self.loads)

    @property
    def needed(self) -> int:
        """Server connections that cover the bursts: mean + BURST_DEVIATIONS standard deviations."""
        return _burst(self.in_flight, BURST_DEVIATIONS)

    @property
    def machine_limit(self) -> int:
        return useful_connections(self.cores)

    @property
    def pool_mode(self) -> str:
        # Every session feature found has a transaction-scoped form (session_state.FEATURES):
        # the plan asks for those instead of giving up the pooler's multiplexing.
        return "transaction"

    def markdown(self) -> list[str]:
        from schemawright.scaling.pooling_md import pooling_markdown

        return pooling_markdown(self)

    def files(self) -> dict[str, str]:
        from schemawright.scaling.pooling_ini import pgbouncer_ini, userlist_note

        return {PGBOUNCER_INI: pgbouncer_ini(self), USERLIST_NOTE: userlist_note(self)}


def useful_connections(cores: int) -> int:
    """Transactions a server runs usefully at once: ((cores * 2) + effective spindles), one spindle."""
    return cores * 2 + 1


def plan(design: m.Design, earlier: OperationsPlan) -> PoolPlan:
    loads = tuple(PatternLoad(p.name, p.frequency, p.latency_p95_ms or ESTIMATED_SERVICE_MS,
                              p.latency_p95_ms is not None) for p in design.access_patterns)
    in_flight = sum(load.in_flight for load in loads)
    pool = max(2, min(_burst(in_flight, BURST_DEVIATIONS), useful_connections(design.machine.cores)))
    reserve = max(1, math.ceil(math.sqrt(in_flight)))  # one more standard deviation
    targets = [p.latency_p95_ms for p in design.access_patterns if p.latency_p95_ms]
    # A client that waited the tightest p95 target has missed it: open the reserve then (at least 0.1 s,
    # so a momentary queue does not open connections that then idle).
    reserve_timeout = max(0.1, round(min(targets, default=1000) / 1000, 1))
    given = design.operations.app_connections
    clients = given or max(MIN_CLIENTS, _round_up(in_flight * CLIENTS_PER_BUSY, 50))
    logins = tuple(fit(f"{r.name}_login") for r in design.roles if r.kind == "group")  # security.md's names
    tenant = design.security.tenant_setting if design.row_security and design.security.tenant_column else None
    return PoolPlan(database=fit(_slug(design.project)), loads=loads, logins=logins, tenant_setting=tenant, cores=design.machine.cores, default_pool_size=pool,
                    min_pool_size=min(pool, max(1, math.ceil(in_flight))), reserve_pool_size=reserve,
                    reserve_pool_timeout=reserve_timeout, server_connections=pool + reserve,
                    max_client_conn=clients, clients_given=given is not None,
                    session_uses=session_uses(design), settings=settings_read(design))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9_]+", "_", text.lower()).strip("_") or "app"


def _burst(mean: float, deviations: float) -> int:
    return math.ceil(mean + deviations * math.sqrt(mean))


def _round_up(value: float, step: int) -> int:
    return int(math.ceil(value / step) * step)


__all__ = ["FEATURES", "PoolPlan", "PatternLoad", "plan", "useful_connections"]
