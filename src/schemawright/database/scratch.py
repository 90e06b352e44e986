"""A uniquely named, throw-away database on a server someone else may own.

The name is random, created here and dropped here: nothing else on the server is ever
touched, so `validate` is safe to point at a shared development server.

Spec SQL runs in such a database as a throw-away role that owns it (database/sandbox.py).
That role is named after the database: `<scratch name>` + SANDBOX_SUFFIX, so whatever finds
stale scratch databases by SCRATCH_PREFIX finds their roles too (roles are cluster-wide).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from schemawright.database.connection import Database, DatabaseError
from schemawright.database.owner import host_tag
from schemawright.database.urls import with_database
from schemawright.interrupts import shielded
from schemawright.sql.quoting import quote_ident

SCRATCH_PREFIX = "schemawright_scratch_"
SANDBOX_SUFFIX = "_sandbox"  # the sandbox role of scratch database N is N + SANDBOX_SUFFIX
# The design's roles (owner, groups, operator) are made for scratch database N as N + DESIGN_ROLE_INFIX + suffix,
# so a run never touches the server's real roles of the same project.
DESIGN_ROLE_INFIX = "_role_"
# The login of scratch database N that validate's attack suite connects as (N + MEMBER_SUFFIX): a member of
# one design role at a time, so SET ROLE can reach nothing else, as for a service's real login.
MEMBER_SUFFIX = "_member"


def scratch_name(*, pid: int | None = None, host: str | None = None) -> str:
    """`schemawright_scratch_<host tag>_<pid>_<12 random hex>`, at most 53 of PostgreSQL's 63 bytes.

    The host tag and PID say whose it is, so the next run can drop it if its owner was
    killed (leftovers.py); the rest of the 63 bytes is room for a suffix (the sandbox role).
    """
    return f"{SCRATCH_PREFIX}{host or host_tag()}_{os.getpid() if pid is None else pid}_{secrets.token_hex(6)}"


@contextmanager
def scratch_database(server_url: str) -> Iterator[str]:
    """CREATE a fresh database on the server at `server_url`, yield its URL, DROP it."""
    name = scratch_name()
    with Database(server_url) as admin:
        create_database(admin, name)
        try:
            yield with_database(server_url, name)
        finally:
            drop_database(admin, name)


def create_database(admin: Database, name: str, owner: str | None = None) -> None:
    # template0: never inherit objects someone added to template1.
    owned = f" OWNER {quote_ident(owner)}" if owner else ""
    try:
        with shielded():  # a signal is held until the database exists...
            admin.execute(f"CREATE DATABASE {quote_ident(name)}{owned} TEMPLATE template0 ENCODING 'UTF8'")
    except KeyboardInterrupt:  # ...and then it is dropped here: the caller's cleanup does not cover it yet
        drop_database(admin, name)
        raise


def drop_database(admin: Database, name: str) -> None:
    """Drop a scratch database, disconnecting anyone still connected to it."""
    if not name.startswith(SCRATCH_PREFIX):  # a guard against ever dropping anything else
        raise ValueError(f"refusing to drop {name!r}: not a schemawright scratch database")
    with shielded(), _live(admin) as db:  # a signal would cancel the DROP and leave the database
        if db.server_version >= 130000:
            db.execute(f"DROP DATABASE IF EXISTS {quote_ident(name)} WITH (FORCE)")
            return
        db.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )
        db.execute(f"DROP DATABASE IF EXISTS {quote_ident(name)}")


def drop_role(admin: Database, role: str) -> None:
    """Drop a sandbox role (after its database: it owns nothing else)."""
    ours = role.endswith((SANDBOX_SUFFIX, MEMBER_SUFFIX)) or DESIGN_ROLE_INFIX in role  # the same guard for roles
    if not (role.startswith(SCRATCH_PREFIX) and ours):
        raise ValueError(f"refusing to drop role {role!r}: not a schemawright sandbox role")
    with shielded(), _live(admin) as db:
        db.execute(f"DROP ROLE IF EXISTS {quote_ident(role)}")


@contextmanager
def _live(admin: Database) -> Iterator[Database]:
    """`admin`, or a new connection to the same place when `admin` was terminated: spec SQL run
    as this same login (no sandbox role) may call pg_terminate_backend on it, and the cleanup
    must still happen."""
    try:
        admin.execute("SELECT 1")
    except DatabaseError:
        if not admin.closed:
            raise
        with Database(admin.url) as again:
            yield again
        return
    yield admin
