"""Server connections in use while the pooled load runs, seen from both ends.

PgBouncer's admin console (SHOW SERVERS: one row per server connection it holds; SHOW POOLS:
clients waiting) and PostgreSQL itself (pg_stat_activity: backends of the login in the
scratch database), sampled every INTERVAL_S; the largest of each is kept.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import psycopg

INTERVAL_S = 0.05


@dataclass
class PoolPeak:
    servers: int = 0  # SHOW SERVERS rows for the database
    backends: int = 0  # pg_stat_activity rows of the login in the database
    clients_waiting: int = 0  # SHOW POOLS cl_waiting, summed over the database's pools
    samples: int = 0
    error: str | None = None


class PoolWatch:
    def __init__(self, admin_url: str, server_url: str, database: str, alias: str, login: str) -> None:
        self.peak = PoolPeak()
        self._stop = threading.Event()
        self._args = (admin_url, server_url, database, alias, login)
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PoolWatch:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        admin_url, server_url, database, alias, login = self._args
        try:
            # The admin console speaks the simple query protocol only: ClientCursor sends the text as it is.
            with psycopg.connect(admin_url, autocommit=True, cursor_factory=psycopg.ClientCursor) as admin, \
                    psycopg.connect(server_url, autocommit=True) as server:
                while True:
                    self._sample(admin, server, database, alias, login)
                    if self._stop.wait(INTERVAL_S):
                        self._sample(admin, server, database, alias, login)
                        return
        except psycopg.Error as error:
            self.peak.error = str(error).strip().splitlines()[0]

    def _sample(self, admin: psycopg.Connection, server: psycopg.Connection, database: str, alias: str,
                login: str) -> None:
        servers = _rows(admin, "SHOW SERVERS")
        pools = _rows(admin, "SHOW POOLS")
        backends = server.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND usename = %s",
                                  [database, login]).fetchone()[0]  # type: ignore[index]
        peak = self.peak
        peak.servers = max(peak.servers, sum(1 for r in servers if r["database"] == alias))
        peak.clients_waiting = max(peak.clients_waiting,
                                   sum(int(r["cl_waiting"]) for r in pools if r["database"] == alias))
        peak.backends = max(peak.backends, int(backends))
        peak.samples += 1


def _rows(admin: psycopg.Connection, command: str) -> list[dict[str, object]]:
    cursor = admin.execute(command)
    names = [d.name for d in cursor.description or ()]
    return [dict(zip(names, row)) for row in cursor.fetchall()]
