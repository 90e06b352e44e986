"""Remove what a killed run left: scratch databases (and their roles), embedded servers.

SIGKILL, an OOM kill or a power cut gives a run no chance to clean up.  Each thing a run
creates is named with its owner (owner.py: host tag and PID), so the next run removes
whatever was made on this host by a process that no longer exists.  Anything else is left
alone: a name that does not match exactly, another host's tag, or an owner still alive.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
from pathlib import Path

import psutil

from schemawright.database.connection import Database, DatabaseError
from schemawright.database.owner import host_tag, is_alive
from schemawright.database.scratch import (
    DESIGN_ROLE_INFIX,
    MEMBER_SUFFIX,
    SANDBOX_SUFFIX,
    SCRATCH_PREFIX,
    drop_database,
    drop_role,
)

EMBEDDED_PREFIX = "schemawright-pg-"
_SCRATCH = re.compile(re.escape(SCRATCH_PREFIX) + r"(?P<host>[0-9a-f]{8})_(?P<pid>[1-9][0-9]{0,9})_[0-9a-f]{12}")
# sandbox.py's role of a scratch database, its member login, and the design's roles made for the run
_ROLE = re.compile(_SCRATCH.pattern + "(?:" + re.escape(SANDBOX_SUFFIX) + "|" + re.escape(MEMBER_SUFFIX) + "|"
                   + re.escape(DESIGN_ROLE_INFIX) + r"\w+)")
# tempfile.mkdtemp adds 8 characters from [a-z0-9_]
_EMBEDDED = re.compile(re.escape(EMBEDDED_PREFIX) + r"(?P<host>[0-9a-f]{8})-(?P<pid>[1-9][0-9]{0,9})-[a-z0-9_]{8}")
STOP_WAIT_S = 5.0


def embedded_dir_prefix() -> str:
    """The prefix for this run's embedded server directory (tempfile.mkdtemp adds the rest)."""
    return f"{EMBEDDED_PREFIX}{host_tag()}-{os.getpid()}-"


def _dead_owner(match: re.Match[str] | None) -> bool:
    return match is not None and match["host"] == host_tag() and not is_alive(int(match["pid"]))


def remove_dead_scratch_databases(admin: Database) -> list[str]:
    """Drop scratch databases and roles on `admin`'s server whose owner died on this host.

    Returns the names dropped.  What this login may not drop (another user's database, a
    role without CREATEROLE) is skipped: it is not ours to force.
    """
    ours = SCRATCH_PREFIX.replace("_", r"\_") + host_tag() + r"\_%"
    databases = [n for (n,) in admin.query("SELECT datname FROM pg_database WHERE datname LIKE %s ORDER BY 1",
                                           [ours]) if _dead_owner(_SCRATCH.fullmatch(n))]
    roles = [n for (n,) in admin.query("SELECT rolname FROM pg_roles WHERE rolname LIKE %s ORDER BY 1",
                                       [ours]) if _dead_owner(_ROLE.fullmatch(n))]
    dropped = []
    for name in databases:  # first: a role cannot be dropped while it owns a database
        try:
            drop_database(admin, name)
            dropped.append(name)
        except DatabaseError:
            continue
    for name in roles:
        try:
            drop_role(admin, name)
            dropped.append(name)
        except DatabaseError:
            continue
    return dropped


def remove_dead_embedded_dirs(directory: Path) -> list[Path]:
    """Stop the server of, and delete, each embedded server directory in `directory` whose
    owner died on this host.  Returns the directories removed."""
    removed = []
    try:
        entries = sorted(directory.iterdir())
    except OSError:
        return removed
    for entry in entries:
        if not _dead_owner(_EMBEDDED.fullmatch(entry.name)) or entry.is_symlink() or not entry.is_dir():
            continue
        stop_postmaster(entry / "pg")
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    return removed


def stop_postmaster(pgdata: Path) -> None:
    """Shut down, at once, any PostgreSQL server running from `pgdata` (pg_ctl -m immediate).

    Found by working directory (a postmaster and its children run in their data
    directory), so it works even after postmaster.pid or the whole directory is gone.
    """
    processes = _postgres_in(pgdata)
    pids = {p.pid for p in processes}
    for process in processes:
        try:
            if process.ppid() not in pids:  # the postmaster; its children follow it
                process.send_signal(signal.SIGQUIT)
        except psutil.Error:
            continue
    _, alive = psutil.wait_procs(processes, timeout=STOP_WAIT_S)
    for process in alive:
        try:
            process.kill()
        except psutil.Error:
            continue
    psutil.wait_procs(alive, timeout=STOP_WAIT_S)


def _postgres_in(pgdata: Path) -> list[psutil.Process]:
    wanted = {str(pgdata), str(pgdata.resolve())}  # psutil drops Linux's " (deleted)" mark
    found = []
    for process in psutil.process_iter(["name", "cwd"]):
        if process.info["name"] == "postgres" and process.info["cwd"] in wanted:
            found.append(process)
    return found
