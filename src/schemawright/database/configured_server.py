"""A throw-away server of the machine's PostgreSQL binaries, started with given configuration files.

For proofs of server configuration (TLS, pg_hba.conf, pgaudit) that the embedded server
cannot give: its binaries are built without OpenSSL and ship no pgaudit.  The server lives
in a fresh temporary directory, listens on 127.0.0.1 at a free port and on a Unix socket in
that directory, and is stopped and deleted on every way out: an error, Ctrl-C or SIGTERM
(interrupts.py), or a kill (the directory is named as embedded.py's are, so the next run's
leftovers.py stops and deletes it).

Roles and databases are made before the server starts, in single-user mode, so the proof
needs no administrator login: the pg_hba.conf under test may allow none.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from schemawright.database.leftovers import embedded_dir_prefix, remove_dead_embedded_dirs, stop_postmaster
from schemawright.interrupts import shielded

DEBIAN_ROOT = Path("/usr/lib/postgresql")  # Debian's layout: /usr/lib/postgresql/<major>/{bin,lib}
SERVER_USER = "postgres"  # initdb refuses to run as root; Debian's packages create this account
TIMEOUT_S = 60
_SCRAM_ITERATIONS = 4096  # PostgreSQL's default


class ServerError(RuntimeError):
    """The server could not be set up or started; the message says why (no secrets in it)."""


@dataclass(frozen=True)
class Binaries:
    bindir: Path
    version: int


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    directory: Path  # its Unix socket lives here
    log: Path  # the server's stderr: every log line
    filled_in_s: float | None = None  # copied_server: how long the program filling its data directory ran

    @property
    def pgdata(self) -> Path:
        return self.directory / "pg"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def debian_binaries(library: str | None = None, root: Path = DEBIAN_ROOT, major: int | None = None) -> Binaries | None:
    """The newest installed PostgreSQL (of `major`, when given) whose lib directory holds
    `library`.so (when given)."""
    found = []
    for directory in root.glob("*") if root.is_dir() else ():
        if not directory.name.isdigit() or not (directory / "bin" / "initdb").exists():
            continue
        if major is not None and int(directory.name) != major:
            continue
        if library and not (directory / "lib" / f"{library}.so").exists():
            continue
        found.append(Binaries(directory / "bin", int(directory.name)))
    return max(found, key=lambda b: b.version, default=None)


def scram_verifier(password: str, salt: bytes | None = None) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores for `password` (RFC 5802, 7677): given to
    CREATE ROLE ... PASSWORD, it keeps the password itself out of every statement and log."""
    salt = salt or secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, _SCRAM_ITERATIONS)
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()
    b64 = lambda data: base64.b64encode(data).decode()  # noqa: E731
    return (f"SCRAM-SHA-256${_SCRAM_ITERATIONS}:{b64(salt)}$"
            f"{b64(hashlib.sha256(client_key).digest())}:{b64(server_key)}")


@contextmanager
def configured_server(binaries: Binaries, files: Mapping[str, bytes], *, include: str,
                      bootstrap: Sequence[tuple[str, str]] = (), env: Mapping[str, str] | None = None) -> Iterator[Server]:
    """initdb, write `files` into the data directory (private: mode 0600), include the file
    named `include` at the end of postgresql.conf, run each (database, SQL line) of
    `bootstrap` in single-user mode, start (with `env` added to the server's environment:
    what its archive_command reads); yield the server; stop and delete it."""
    with private_directory(binaries) as (directory, user):
        with shielded():  # a half-started server is stopped by the directory's cleanup, never orphaned
            server = _start(binaries, directory, user, files, include, bootstrap, env)
        yield server


@contextmanager
def copied_server(binaries: Binaries, make_data: Callable[[Path], Sequence[str]], files: Mapping[str, bytes], *,
                  include: str, env: Mapping[str, str] | None = None,
                  timeout_s: float = TIMEOUT_S) -> Iterator[Server]:
    """A server whose data directory another program fills: `make_data(pgdata)` gives the command
    (run as the server's account), e.g. pg_basebackup of a primary (a standby) or pgbackrest restore
    (a recovered copy).  Then as configured_server: `files` written, `include` included, started on
    its own port and socket; stopped and deleted on every way out."""
    with private_directory(binaries) as (directory, user):
        argv = list(make_data(directory / "pg"))
        # Not shielded: a long restore must stay interruptible; subprocess kills the tool on Ctrl-C and the
        # directory's cleanup deletes what it wrote.
        started = time.monotonic()
        run_as_server(argv, what=Path(argv[0]).name, env=env, timeout_s=timeout_s)
        filled_in = time.monotonic() - started
        with shielded():
            server = replace(_configure_and_start(binaries, directory, user, files, include, env),
                             filled_in_s=filled_in)
        yield server


def stop_immediately(binaries: Binaries, server: Server) -> None:
    """Stop `server` as a crash does (`pg_ctl stop -m immediate`: no shutdown checkpoint, no WAL sent
    after); its directory stays until its context ends."""
    run_as_server([str(binaries.bindir / "pg_ctl"), "stop", "-D", str(server.pgdata), "-m", "immediate", "-w"],
                  what="pg_ctl stop")


def write_for_server(path: Path, content: bytes) -> None:
    """A file only the server's account reads (mode 0600): a tool's configuration holding a secret."""
    _write_private(path, content, _server_user())


def run_as_server(argv: Sequence[str], *, what: str = "", env: Mapping[str, str] | None = None,
                  timeout_s: float = TIMEOUT_S) -> subprocess.CompletedProcess[bytes]:
    """Run a PostgreSQL tool (pg_basebackup, pgbackrest ...) as the server's account; ServerError
    with its last line of stderr when it fails."""
    return _run(list(argv), _server_user(), what=what, env=env, timeout_s=timeout_s)


@contextmanager
def private_directory(binaries: Binaries) -> Iterator[tuple[Path, pwd.struct_passwd | None]]:
    """A fresh directory for one server, owned by its account; whatever runs in it is stopped and the
    directory deleted on every way out."""
    user = _server_user()
    tmp = _base_directory(user)
    remove_dead_embedded_dirs(tmp)
    directory: Path | None = None
    try:
        with shielded():  # a half-made directory or half-started server must reach the finally
            directory = Path(tempfile.mkdtemp(prefix=embedded_dir_prefix(), dir=tmp))
            if user is not None:
                os.chown(directory, user.pw_uid, user.pw_gid)
        yield directory, user
    finally:
        with shielded():
            if directory is not None:
                try:
                    _run([str(binaries.bindir / "pg_ctl"), "stop", "-D", str(directory / "pg"), "-m", "immediate",
                          "-w"], user, check=False)
                except ServerError:
                    pass  # pg_ctl hung or is gone: stop_postmaster below does it by signals
                finally:
                    stop_postmaster(directory / "pg")  # pg_ctl failed, or a child outlived the postmaster
                    shutil.rmtree(directory, ignore_errors=True)


def _start(binaries: Binaries, directory: Path, user: pwd.struct_passwd | None, files: Mapping[str, bytes],
           include: str, bootstrap: Sequence[tuple[str, str]], env: Mapping[str, str] | None) -> Server:
    pgdata = directory / "pg"
    _run([str(binaries.bindir / "initdb"), "-D", str(pgdata), "-U", SERVER_USER, "-E", "UTF8", "--locale=C",
          "--no-sync", "--no-instructions", "--auth=reject"], user, what="initdb")
    return _configure_and_start(binaries, directory, user, files, include, env, bootstrap)


def _configure_and_start(binaries: Binaries, directory: Path, user: pwd.struct_passwd | None,
                         files: Mapping[str, bytes], include: str, env: Mapping[str, str] | None,
                         bootstrap: Sequence[tuple[str, str]] = ()) -> Server:
    pgdata = directory / "pg"
    for name, content in files.items():
        _write_private(pgdata / name, content, user)
    port = _free_port()
    # Appended last, so these win over a copied primary's own port and socket (a standby, a restore).
    with open(pgdata / "postgresql.conf", "a", encoding="utf-8") as conf:
        conf.write(f"\n# A private server for one proof: loopback and a socket in its own directory; nothing in\n"
                   f"# it outlives the proof, so nothing needs to survive a crash (fsync off).\n"
                   f"listen_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{directory}'\n"
                   f"fsync = off\ninclude '{include}'\n")
    for database, sql in bootstrap:
        _single_user(binaries, pgdata, user, database, sql)
    log = directory / "server.log"
    try:
        _run([str(binaries.bindir / "pg_ctl"), "start", "-D", str(pgdata), "-l", str(log), "-w", "-t", "30"],
             user, what="pg_ctl start", env=env)
    except ServerError as error:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-5:]) if log.exists() else ""
        raise ServerError(f"{error}\n{tail}".rstrip()) from None
    return Server("127.0.0.1", port, directory, log)


def _single_user(binaries: Binaries, pgdata: Path, user: pwd.struct_passwd | None, database: str, sql: str) -> None:
    # One statement per line; each is its own transaction (CREATE DATABASE needs that).
    done = _run([str(binaries.bindir / "postgres"), "--single", "-D", str(pgdata), database], user,
                stdin=sql.encode(), check=False)
    errors = [line for line in done.stderr.decode(errors="replace").splitlines()
              if re.search(r"\b(ERROR|FATAL|PANIC):", line)]  # never the STATEMENT lines: they hold verifiers
    if done.returncode or errors:
        raise ServerError(f"setup in database {database} failed: " + ("; ".join(errors) or f"exit {done.returncode}"))


def _run(argv: list[str], user: pwd.struct_passwd | None, *, what: str = "", stdin: bytes | None = None,
         check: bool = True, env: Mapping[str, str] | None = None,
         timeout_s: float = TIMEOUT_S) -> subprocess.CompletedProcess[bytes]:
    try:
        done = subprocess.run(argv, input=stdin, capture_output=True, timeout=timeout_s, check=False,
                              env={**os.environ, **env} if env else None,
                              user=user.pw_uid if user else None, group=user.pw_gid if user else None,
                              cwd="/")  # the server's user may not enter our working directory
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ServerError(f"{what or argv[0]}: {error}") from None
    if check and done.returncode:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise ServerError(f"{what or argv[0]} failed: {message[-1] if message else f'exit {done.returncode}'}")
    return done


def _server_user() -> pwd.struct_passwd | None:
    """None: run as ourselves; as root, PostgreSQL's own account (initdb refuses root)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SERVER_USER)
    except KeyError:
        raise ServerError(f"running as root and there is no {SERVER_USER!r} account to run the server as "
                          "(initdb refuses root)") from None


def _base_directory(user: pwd.struct_passwd | None) -> Path:
    """The temporary directory, or /tmp when the server's account cannot reach it (a private TMPDIR
    of root's): the server must enter its own data directory."""
    tmp = Path(tempfile.gettempdir())
    for candidate in (tmp, Path("/tmp")):
        if user is None or _reachable(candidate, user):
            return candidate
    raise ServerError(f"the {SERVER_USER!r} account cannot reach {tmp} (nor /tmp) to run the server in it")


def _reachable(directory: Path, user: pwd.struct_passwd) -> bool:
    """`user` may pass through every directory down to `directory` (owner, group or other x bit)."""
    for path in (*reversed(directory.resolve().parents), directory.resolve()):
        try:
            status = path.stat()
        except OSError:
            return False
        bit = 0o100 if status.st_uid == user.pw_uid else 0o010 if status.st_gid == user.pw_gid else 0o001
        if not status.st_mode & bit:
            return False
    return True


def _write_private(path: Path, content: bytes, user: pwd.struct_passwd | None) -> None:
    """Mode 0600 from the first byte (a key must never be readable by others, even briefly)."""
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(content)
    if user is not None:
        os.chown(path, user.pw_uid, user.pw_gid)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
