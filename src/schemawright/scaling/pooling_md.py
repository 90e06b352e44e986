"""The pooling section of operations.md: Little's law per pattern, the sizes, what the mode forbids."""

from __future__ import annotations

from typing import TYPE_CHECKING

from schemawright.scaling.session_state import FEATURES

if TYPE_CHECKING:
    from schemawright.scaling.pooling import PoolPlan


def pooling_markdown(plan: PoolPlan) -> list[str]:
    from schemawright.scaling.pooling import BURST_DEVIATIONS, ESTIMATED_SERVICE_MS, PGBOUNCER_INI, USERLIST_NOTE

    out = [f"PgBouncer in **{plan.pool_mode} mode** in front of PostgreSQL (`{PGBOUNCER_INI}`; login roles "
           f"and their SCRAM secrets as `{USERLIST_NOTE}` explains, no password in it). A client holds a server "
           "connection for one transaction, so a few server connections serve many application connections.", "",
           "**Little's law** (transactions in flight = arrival rate x time each holds a server connection), "
           "each pattern at its peak rate with its p95 target as its time (an upper bound on the mean, so the "
           f"pool holds the targets the spec promises; a pattern with no target counts {ESTIMATED_SERVICE_MS:g} ms):",
           "", "| Pattern | Runs/s | Time (ms) | In flight |", "|---|---:|---:|---:|"]
    for load in sorted(plan.loads, key=lambda x: (-x.in_flight, x.pattern)):
        time = f"{load.service_ms:g}" + ("" if load.from_target else " (estimate)")
        out.append(f"| {load.pattern} | {load.frequency:g} | {time} | {load.in_flight:.3f} |")
    out += [f"| **Total** | {sum(x.frequency for x in plan.loads):g} | | **{plan.in_flight:.2f}** |", ""]
    capped = plan.needed > plan.machine_limit
    out += [
        "| Setting | Value | Reason |", "|---|---:|---|",
        f"| `pool_mode` | {plan.pool_mode} | The design keeps nothing in a session that has no per-transaction "
        "form (below), so server connections are shared per transaction. |",
        f"| `default_pool_size` | {plan.default_pool_size} | Mean in flight {plan.in_flight:.2f} + "
        f"{BURST_DEVIATIONS} x sqrt({plan.in_flight:.2f}) (arrivals come in Poisson bursts) = {plan.needed}"
        + (f", capped at {plan.machine_limit}: {plan.cores} cores run about 2 x cores + 1 transactions usefully "
           "at once; more connections add contention, not throughput, so the excess waits in PgBouncer's queue"
           if capped else f", under the {plan.machine_limit} that {plan.cores} cores run usefully (2 x cores + 1)")
        + ". |",
        f"| `min_pool_size` | {plan.min_pool_size} | The mean in flight stays open when idle: a burst after a "
        "quiet spell does not wait for new server connections (a fork and authentication each). |",
        f"| `reserve_pool_size` | {plan.reserve_pool_size} | One more standard deviation (sqrt of the mean in "
        "flight) for bursts the pool does not cover, opened only when needed. |",
        f"| `reserve_pool_timeout` | {plan.reserve_pool_timeout:g} s | A client that has waited the tightest p95 "
        "target has missed it: the reserve opens then. |",
        f"| `max_db_connections` | {plan.server_connections} | The pool plus the reserve: PgBouncer never opens "
        "more to this database, whatever login roles connect. PostgreSQL's `max_connections` is sized from "
        "it (configuration). |",
        f"| `max_client_conn` | {plan.max_client_conn} | "
        + ("The spec's `availability.app_connections`. |" if plan.clients_given else
           f"Not given (`availability.app_connections`): {10} x the mean in flight, at least 100; application "
           "instances keep idle connections in their own pools and each costs PgBouncer about 2 kB. |"),
        "",
    ]
    if capped:
        out += [f"At the p95 targets the patterns could keep {plan.in_flight:.2f} transactions in flight, more "
                f"than {plan.cores} cores serve well: the targets hold only if the patterns' real times are "
                "shorter (measure them with `schemawright bench --concurrent`), or on a larger machine.", ""]
    if plan.tenant_setting:
        out += [f"Row-level security reads the tenant from `{plan.tenant_setting}`: the application sets it in each "
                f"transaction with `SELECT set_config('{plan.tenant_setting}', $1, true)` (SET LOCAL with a bound "
                "parameter, security.md#tenant-isolation), so it ends at COMMIT and the next transaction on the same "
                "server connection, maybe another tenant's, starts without it. A session-level `SET` would hand this "
                "tenant to whichever client gets the connection next (`validate --operations` shows both).", ""]
    out += _forbidden(plan)
    return out


def _forbidden(plan: PoolPlan) -> list[str]:
    out = ["**What transaction pooling forbids**, and what this design does about each:", "",
           "| Session feature | Use instead | This design |", "|---|---|---|"]
    for feature in FEATURES:
        where = [u.where for u in plan.session_uses if u.feature == feature.key]
        used = ("**uses it:** " + ", ".join(where) + " (must change)") if where else "does not use it"
        if feature.key == "session_setting" and plan.settings:
            read = "; ".join(f"`{s.setting}` ({_readers(s.readers)})" for s in plan.settings)
            used += f"; reads settings the application must set with SET LOCAL per transaction: {read}"
        if feature.key == "prepared_statement":
            used += ("; drivers prepare on their own (psycopg after 5 runs of a statement, JDBC after 5): turn it "
                     "off, since PgBouncer 1.18 (Debian 12) has no `max_prepared_statements`")
        out.append(f"| {feature.name} | {feature.rule} | {used} |")
    out.append("")
    if plan.session_uses:
        out += ["Change what the table marks before putting the pooler in front, or give the clients that need a "
                "session a second `[databases]` entry with `pool_mode = session` (each of them then holds a server "
                "connection for as long as it is connected).", ""]
    return out


def _readers(readers: tuple[str, ...]) -> str:
    shown = ", ".join(readers[:3])
    return shown + (f" and {len(readers) - 3} more" if len(readers) > 3 else "")
