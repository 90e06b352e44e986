"""Debian's PgBouncer run for one proof with the generated pgbouncer.ini.

The generated file is rewritten only where the proof's surroundings differ from production:
the listening address and port (a free loopback port), the Unix socket directory and the
auth file (in a fresh temporary directory), and the [databases] entry (the scratch server's
port and database).  Every other setting (pool mode, pool sizes, timeouts) is as generated.
PgBouncer refuses to run as root, so as root it runs as the PostgreSQL account.  It is
stopped and its directory deleted on every way out (an error, Ctrl-C, SIGTERM).
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

from schemawright.database.configured_server import SERVER_USER
from schemawright.interrupts import shielded

START_TIMEOUT_S = 10
STOP_TIMEOUT_S = 5
_DEBIAN_PATH = "/usr/sbin/pgbouncer"  # not on a non-root user's PATH


class BouncerError(RuntimeError):
    """PgBouncer refused the configuration or did not start; the message has its last log lines."""


@dataclass(frozen=True)
class Bouncer:
    port: int
    directory: Path
    log: Path

    def url(self, user: str, password: str, database: str) -> str:
        return f"postgresql://{user}:{password}@127.0.0.1:{self.port}/{database}"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def pgbouncer_binary() -> str | None:
    found = shutil.which("pgbouncer")
    return found or (_DEBIAN_PATH if os.access(_DEBIAN_PATH, os.X_OK) else None)


def pgbouncer_version(binary: str) -> str:
    done = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10, check=False)
    found = re.search(r"PgBouncer (\S+)", done.stdout)
    return found.group(1) if found else "unknown"


def proof_ini(generated: str, *, port: int, directory: Path, server_port: int, database: str) -> str:
    """`generated` with the proof's address, port, socket directory, auth file and database entry."""
    replaced = {"listen_addr": "127.0.0.1", "listen_port": str(port), "unix_socket_dir": str(directory),
                "auth_file": str(directory / "userlist.txt")}
    out, section, entry_written = [], "", False
    for line in generated.splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            section = stripped.strip("[]").lower()
        elif stripped and not stripped.startswith((";", "#")) and "=" in stripped:
            key = stripped.split("=", 1)[0].strip()
            if section == "databases":
                if not entry_written:  # the generated entry, pointed at the scratch server and database
                    out.append(f"{key} = host=127.0.0.1 port={server_port} dbname={database}")
                    entry_written = True
                continue
            if section == "pgbouncer" and key in replaced:
                out.append(f"{key} = {replaced[key]}")
                continue
        out.append(line)
    return "\n".join(out) + "\n"


def database_alias(generated: str) -> str:
    """The database name clients give PgBouncer (the [databases] entry of the generated file)."""
    section = ""
    for line in generated.splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            section = stripped.strip("[]").lower()
        elif section == "databases" and stripped and not stripped.startswith((";", "#")) and "=" in stripped:
            return stripped.split("=", 1)[0].strip()
    raise BouncerError("the generated pgbouncer.ini has no [databases] entry")


@contextmanager
def running_pgbouncer(binary: str, generated: str, *, server_port: int, database: str,
                      users: Mapping[str, str], admin: tuple[str, str]) -> Iterator[Bouncer]:
    """PgBouncer with `generated` rewritten for this run; `users`: login -> password (the auth file)."""
    account = _account()
    # /tmp when it runs as the PostgreSQL account: it must reach its own directory (not root's private TMPDIR).
    directory = Path(tempfile.mkdtemp(prefix="schemawright-pgbouncer-", dir="/tmp" if account else None))
    process: subprocess.Popen[bytes] | None = None
    try:
        with shielded():  # a started PgBouncer must reach the finally below
            if account is not None:
                os.chown(directory, account.pw_uid, account.pw_gid)
            port = _free_port()
            ini = directory / "pgbouncer.ini"
            _write(ini, proof_ini(generated, port=port, directory=directory, server_port=server_port,
                                  database=database), account)
            _write(directory / "userlist.txt", "".join(f'"{u}" "{p}"\n' for u, p in users.items()), account)
            log = directory / "pgbouncer.log"
            with open(log, "wb") as sink:
                process = subprocess.Popen([binary, str(ini)], stdout=sink, stderr=subprocess.STDOUT, cwd="/",
                                           user=account.pw_uid if account else None,
                                           group=account.pw_gid if account else None)
        bouncer = Bouncer(port, directory, log)
        _wait_ready(process, bouncer, admin)
        yield bouncer
    finally:
        with shielded():
            if process is not None:
                _stop(process)
            shutil.rmtree(directory, ignore_errors=True)


def _wait_ready(process: subprocess.Popen[bytes], bouncer: Bouncer, admin: tuple[str, str]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if process.poll() is not None:
            raise BouncerError(f"pgbouncer exited ({process.returncode}): {_tail(bouncer)}")
        try:
            with psycopg.connect(bouncer.url(*admin, "pgbouncer"), autocommit=True, connect_timeout=2):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise BouncerError(f"pgbouncer did not accept connections in {START_TIMEOUT_S} s: "
                                   f"{_tail(bouncer)}") from None
            time.sleep(0.1)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()  # SIGTERM: immediate shutdown, every connection closed
    try:
        process.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _tail(bouncer: Bouncer) -> str:
    return " | ".join(bouncer.log_text().strip().splitlines()[-3:]) or "no log"


def _account() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SERVER_USER)
    except KeyError:
        raise BouncerError(f"running as root and there is no {SERVER_USER!r} account to run pgbouncer as") from None


def _write(path: Path, text: str, account: pwd.struct_passwd | None) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # the auth file: private from the start
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)
    if account is not None:
        os.chown(path, account.pw_uid, account.pw_gid)


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
