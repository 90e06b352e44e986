"""config/pgbouncer.ini and the userlist note, from the pool plan (each setting with its reason)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from schemawright.scaling.pooling import PoolPlan


def pgbouncer_ini(plan: PoolPlan) -> str:
    from schemawright.scaling.pooling import ADMIN_USER

    lines = [
        f"; PgBouncer for {plan.database}: written by schemawright from the access patterns (operations.md#pooling).",
        "; Little's law: transactions in flight = sum of rate x p95 target over the patterns "
        f"= {plan.in_flight:.2f} at peak.",
        "",
        "[databases]",
        "; Clients connect to PgBouncer with this database name; it opens server connections here.",
        f"{plan.database} = host=127.0.0.1 port=5432 dbname={plan.database}",
        "",
        "[pgbouncer]",
        "; loopback: PgBouncer next to the application (one per host); its host's address when shared.",
        "listen_addr = 127.0.0.1",
        "listen_port = 6432",
        "unix_socket_dir = /var/run/postgresql",
        "",
        "; SCRAM secrets copied from pg_authid (see the userlist note); never plain passwords.",
        "auth_type = scram-sha-256",
        "auth_file = /etc/pgbouncer/userlist.txt",
        f"admin_users = {ADMIN_USER}",
        "",
        "; transaction: a server connection per transaction, returned at COMMIT; the design keeps no",
        "; state in a session (tenant and user settings are SET LOCAL: operations.md#pooling).",
        f"pool_mode = {plan.pool_mode}",
        "",
        f"; mean in flight {plan.in_flight:.2f} + 2 standard deviations (Poisson bursts) = {plan.needed},",
        f"; capped at the {plan.machine_limit} transactions {plan.cores} cores run usefully at once (2 x cores + 1).",
        f"default_pool_size = {plan.default_pool_size}",
        "; kept open when idle: the mean in flight, so a burst does not wait for new server connections.",
        f"min_pool_size = {plan.min_pool_size}",
        "; one more standard deviation, opened only when a client has waited reserve_pool_timeout.",
        f"reserve_pool_size = {plan.reserve_pool_size}",
        "; seconds: a client that waited the tightest p95 target has missed it.",
        f"reserve_pool_timeout = {plan.reserve_pool_timeout:g}",
        "; every user's pools together: PostgreSQL's max_connections is sized from this.",
        f"max_db_connections = {plan.server_connections}",
        ("; the application's connections (availability.app_connections)." if plan.clients_given else
         "; application instances keep idle connections in their own pools; ~2 kB each in PgBouncer."),
        f"max_client_conn = {plan.max_client_conn}",
        "",
        "; transaction pooling: no DISCARD ALL between clients (a transaction leaves nothing behind).",
        "server_reset_query =",
        "; drivers send these at connect; PgBouncer would refuse a startup parameter it does not track.",
        "ignore_startup_parameters = extra_float_digits,search_path",
        "; a client that cannot get a server connection in 30 s gets an error instead of hanging.",
        "query_wait_timeout = 30",
        "server_idle_timeout = 600",
        "server_lifetime = 3600",
        "",
    ]
    return "\n".join(lines)


def userlist_note(plan: PoolPlan) -> str:
    from schemawright.scaling.pooling import ADMIN_USER

    return "\n".join([
        f"; PgBouncer auth_file for {plan.database} (install as /etc/pgbouncer/userlist.txt, mode 0640,",
        "; owner postgres). One line per login role: \"name\" \"SCRAM secret\". Copy each secret from the",
        "; server, never a plain password:",
        ";   SELECT format('\"%s\" \"%s\"', rolname, rolpassword) FROM pg_authid",
        ";   WHERE rolcanlogin AND rolpassword LIKE 'SCRAM-SHA-256$%';",
        "; The application's login roles are members of the design's group roles (security.md); one pool",
        "; per (database, login role), max_db_connections caps them together.",
        *[f';"{login}" "SCRAM-SHA-256$4096:<salt>$<stored key>:<server key>"' for login in plan.logins or ("app_login",)],
        f';"{ADMIN_USER}" "SCRAM-SHA-256$4096:<salt>$<stored key>:<server key>"',
        "",
    ])
