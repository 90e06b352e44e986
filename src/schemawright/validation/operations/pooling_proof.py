"""Proof of the pooling plan: Debian's PgBouncer, with the generated pgbouncer.ini, in front of a
scratch PostgreSQL 15 loaded with synthetic rows, runs the access patterns concurrently.

Checked: PgBouncer accepts the generated file; every pattern runs through it in transaction
mode (settings with SET LOCAL, unnamed statements); nothing a transaction sets (role, tenant,
user, key) is found by a later transaction on the same server connection; with row-level
security, a tenant's transaction never sees another tenant's rows while tenants share the
server connections; the server connections in use, seen by PgBouncer (SHOW SERVERS) and by
PostgreSQL (pg_stat_activity), never exceed the plan's.  Pooled throughput is reported.
Without PgBouncer or the PostgreSQL binaries the proof is NOT TRIED.

Loading the data and drawing the patterns' parameters is performance/pooled_proof.py's part
(this package must not import performance/); it calls `run_case` here for each case.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from psycopg.conninfo import conninfo_to_dict

from schemawright import model as m
from schemawright.database import Database
from schemawright.database.sandbox import Sandbox
from schemawright.scaling.pooling import ADMIN_USER, PoolPlan
from schemawright.scaling.session_state import settings_read
from schemawright.sql.quoting import quote_ident
from schemawright.validation.acting import tenant_tables
from schemawright.validation.operations.pgbouncer_process import BouncerError, database_alias, running_pgbouncer
from schemawright.validation.operations.pool_watch import PoolPeak, PoolWatch
from schemawright.validation.operations.pooled_load import LoadFigures, Runnable, Settings, TenantProbe, run_pooled
from schemawright.validation.plaintext import has_encryption, run_key
from schemawright.validation.report import FAIL, PASS, Check

NAME = "operations: pooling"
DURATION_S = 10.0
CLIENTS_PER_SERVER = 2  # more clients than server connections: they must share them
DRAWS = 200  # parameter sets per pattern
HBA = b"local all all trust\nhost all all 127.0.0.1/32 trust\n"  # the proof's own server; PgBouncer checks SCRAM
CONF = "pooling_proof.conf"


@dataclass
class PoolingProof:
    checks: list[Check] = field(default_factory=list)
    figures: LoadFigures | None = None
    peak: PoolPeak | None = None
    planned: PoolPlan | None = None
    version: str = ""


@dataclass(frozen=True)
class Case:
    """One pooled run: the generated file (or `ini` instead) with settings LOCAL (or, to show the
    failure the design forbids, for the session)."""

    ini: str | None = None
    local: bool = True
    prepared: bool = False  # the driver prepares every statement on the server (PgBouncer 1.18 cannot carry it)
    seconds: float | None = None  # this case's run, else the proof's


def run_case(proof: PoolingProof, case: Case, *, binary: str, generated: str, box: Sandbox, design: m.Design,
             runnables: list[Runnable], skipped: list[str], server_url: str, server_port: int, seed: int,
             seconds: float, say: Callable[[str], None]) -> None:
    """One pooled run on the loaded scratch database `box` (its design `design`); checks added to `proof`."""
    planned = proof.planned
    assert planned is not None
    generated = case.ini or generated
    login, password = _login(box, server_url)
    probe = _tenant_probe(design, box.url)
    _grant(box, login, {r.role for r in runnables if r.role} | ({probe.role} if probe else set()))
    settings = _settings(design, case.local)
    admin_password = secrets.token_hex(16)
    alias = database_alias(generated)
    clients = max(8, CLIENTS_PER_SERVER * planned.server_connections)
    try:
        with running_pgbouncer(binary, generated, server_port=server_port, database=box.database,
                               users={login: password, ADMIN_USER: admin_password},
                               admin=(ADMIN_USER, admin_password)) as bouncer:
            proof.checks.append(Check(f"{NAME}: PgBouncer {proof.version} accepts the generated pgbouncer.ini",
                                      PASS, f"pool_mode {planned.pool_mode}, default_pool_size "
                                      f"{planned.default_pool_size}, max_db_connections {planned.server_connections}"))
            say(f"Running the patterns through PgBouncer from {clients} clients for {case.seconds or seconds:g} s")
            with PoolWatch(bouncer.url(ADMIN_USER, admin_password, "pgbouncer"), server_url, box.database,
                           alias, login) as watch:
                figures = run_pooled(bouncer.url(login, password, alias), runnables, settings, probe,
                                     clients=clients, seconds=case.seconds or seconds, seed=seed,
                                     prepare_threshold=0 if case.prepared else None)
    except BouncerError as error:
        proof.checks.append(Check(f"{NAME}: PgBouncer accepts the generated pgbouncer.ini", FAIL, str(error)))
        return
    proof.figures, proof.peak = figures, watch.peak
    proof.checks += _verdicts(figures, watch.peak, planned, runnables, skipped, settings, probe)


def has_row_security(design: m.Design) -> bool:
    return bool(design.row_security and design.security.tenant_column)


def _verdicts(figures: LoadFigures, peak: PoolPeak, planned: PoolPlan, runnables: list[Runnable],
              skipped: list[str], settings: Settings, probe: TenantProbe | None) -> list[Check]:
    out = []
    idle = [r.name for r in runnables if not figures.runs[r.name] and not figures.refused[r.name]]
    problems = [f"{name}: {error}" for name, error in sorted(figures.errors.items())]
    problems += [f"{name}: never ran" for name in idle if name not in figures.errors]
    refused = sum(figures.refused.values())
    out.append(Check(f"{NAME}: the patterns run through PgBouncer in transaction mode", FAIL if problems else PASS,
                     "; ".join(problems) if problems else
                     f"{figures.committed:,} transactions of {len(runnables)} patterns committed in "
                     f"{figures.seconds:.1f} s from {figures.clients} clients over {len(figures.backends)} server "
                     f"connections: {figures.throughput:,.0f} transactions/s pooled, {figures.mean_ms:.1f} ms each "
                     f"(BEGIN to COMMIT, queueing in PgBouncer included): {figures.in_flight:.1f} in flight by "
                     f"Little's law, against {planned.in_flight:.2f} planned at the declared rates"
                     + (f"; {refused} refused by a key (a drawn value already taken)" if refused else "")
                     + (f"; {figures.retried} retried (serialization)" if figures.retried else "")
                     + (f"; not run: {', '.join(skipped)}" if skipped else "")))
    watched = ", ".join(["the role"] + list(settings.read))
    if figures.leaks or not figures.bare_probes:
        out.append(Check(f"{NAME}: nothing a transaction sets outlives it on a shared server connection", FAIL,
                         f"{len(figures.leaks)} of {figures.bare_probes} transactions that set nothing found "
                         f"({watched}) set: " + "; ".join(sorted(set(figures.leaks))[:3]) if figures.bare_probes else
                         "no probe ran"))
    else:
        out.append(Check(f"{NAME}: nothing a transaction sets outlives it on a shared server connection", PASS,
                         f"{figures.bare_probes} transactions that set nothing found {watched} unset"
                         + (f" and no row of {probe.table}" if probe else "")))
    if probe is not None:
        shared = figures.shared_with_other_tenant
        bad = figures.crossings or figures.leaks or not figures.tenant_probes or not shared
        detail = (f"{figures.tenant_probes} transactions of {len(probe.tenants)} tenants counted {probe.table}'s rows "
                  f"of other tenants: " + ("; ".join(figures.crossings[:3]) if figures.crossings else "none")
                  + f"; {shared} transactions ran on a server connection another tenant used last")
        if figures.leaks:
            detail += f"; a transaction with no tenant set saw rows: {figures.leaks[0]}"
        out.append(Check(f"{NAME}: tenant isolation holds through the pooler", FAIL if bad else PASS, detail))
    limit = planned.server_connections
    over = peak.error or max(peak.servers, peak.backends) > limit or not peak.samples
    out.append(Check(f"{NAME}: server connections stay within the plan's {limit}", FAIL if over else PASS,
                     peak.error or f"at most {peak.servers} server connections in PgBouncer (SHOW SERVERS), "
                     f"{peak.backends} backends in PostgreSQL (pg_stat_activity), for {figures.clients} clients "
                     f"({peak.clients_waiting} waiting at most); {peak.samples} samples"))
    return out


def _login(box: Sandbox, server_url: str) -> tuple[str, str]:
    """The login the pooled clients use: the member login (as a service's login role) when the design has
    roles, else the sandbox role; its connection limit lifted so only PgBouncer's settings bound it."""
    url = box.member_url or box.url
    params = conninfo_to_dict(url)
    login, password = str(params["user"]), str(params.get("password", ""))
    with Database(server_url) as admin:
        admin.execute(f"ALTER ROLE {quote_ident(login)} CONNECTION LIMIT -1")
    return login, password


def _grant(box: Sandbox, login: str, roles: set[str]) -> None:
    if not roles or box.member_url is None:
        return
    with Database(box.url) as owner:  # the sandbox role holds the design's roles WITH ADMIN OPTION
        for role in sorted(roles):
            owner.execute(f"GRANT {quote_ident(role)} TO {quote_ident(login)}")


def _tenant_probe(design: m.Design, owner_url: str) -> TenantProbe | None:
    """A tenant-owned table with rows of several tenants, and a group role that reads it."""
    if not has_row_security(design):
        return None
    column = design.security.tenant_column
    assert column is not None
    readers = {(g.role, g.target) for g in design.grants if g.on == "table" and "SELECT" in g.privileges}
    groups = [r.name for r in design.roles if r.kind == "group"]
    with Database(owner_url) as db:
        for table in sorted(tenant_tables(design), key=lambda t: t.name):
            role = next((g for g in groups if (g, table.name) in readers), None)
            if role is None or table.name not in design.row_security:
                continue
            tenants = [str(v[0]) for v in db.query(f"SELECT DISTINCT {quote_ident(column)}::text FROM "
                                                   f"{quote_ident(table.name)} WHERE {quote_ident(column)} IS NOT "
                                                   "NULL ORDER BY 1 LIMIT 8")]
            if len(tenants) >= 2:
                return TenantProbe(table.name, column, role, tuple(tenants))
    return None


def _settings(design: m.Design, local: bool) -> Settings:
    security = design.security
    read = {s.setting for s in settings_read(design)}
    tenant = security.tenant_setting if has_row_security(design) else None
    others = {}
    if security.user_setting in read:
        others[security.user_setting] = "pooling-proof-user"
    if has_encryption(design):
        others[security.key_setting] = run_key()
    shown = tuple(sorted(read - {security.key_setting}))  # the key's value is never shown in a finding
    return Settings(tenant, others, shown, local)


__all__ = ["Case", "PoolingProof", "has_row_security", "run_case"]
