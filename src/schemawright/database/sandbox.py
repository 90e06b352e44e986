"""A scratch database handed to a throw-away role that owns it and has no other privilege.

Spec SQL (checks, defaults, access patterns, views, kept objects) is whatever the spec's
author wrote, and valid SQL can still be hostile: `pg_terminate_backend()`, `DROP ROLE`,
reading `pg_authid`.  So it never runs with the user's privileges.  The user's login (the
admin) makes, for each run:

- a role `<scratch name>` + SANDBOX_SUFFIX: LOGIN with a random password (sent as a SCRAM
  verifier, valid for a day) and no other attribute;
- the scratch database, owned by that role, with CONNECT and TEMP revoked from PUBLIC;
- the design's extensions that the role may not create itself (not trusted), before the
  role gets the database, so they are part of its starting state.

Everything that runs spec SQL then logs in as that role: `SET ROLE` would not do, since the
SQL could RESET ROLE.  After handing over, the admin never runs anything inside the scratch
database (a trigger or operator planted there would run with the admin's rights); it drops
the database from its own connection, then the role.

A login that may create no role (neither superuser nor CREATEROLE) still gets a scratch
database, and the spec SQL runs as that login: its own privileges are then the bound, and
`Sandbox.note` says so for the report.  A login that could make the role but cannot log in
with it (pg_hba.conf) is an error: running as a superuser instead would defeat the point.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pglast

from schemawright.database.connection import Database, DatabaseError
from schemawright.database.leftovers import remove_dead_scratch_databases
from schemawright.database.scratch import (
    MEMBER_SUFFIX,
    SANDBOX_SUFFIX,
    create_database,
    drop_database,
    drop_role,
    scratch_name,
)
from schemawright.database.urls import with_database, with_user
from schemawright.sql.quoting import quote_ident, quote_literal

__all__ = ["SANDBOX_SUFFIX", "Sandbox", "sandboxed_database", "without_statements_on"]

CONNECTION_LIMIT = 20  # bench opens a few connections at once; nothing needs more
PASSWORD_LIFETIME = timedelta(days=1)  # a role left by a killed run cannot log in for long


@dataclass(frozen=True)
class Sandbox:
    database: str  # the scratch database's name
    url: str  # where spec SQL runs: the sandbox role's login (the user's when `role` is None)
    role: str | None  # the throw-away role; None when the user may not create roles
    user: str  # the user's own login, which created everything
    preinstalled: tuple[str, ...] = ()  # extensions the user's login created before handing over
    note: str | None = None  # why the spec SQL did not run in a sandbox, for the report
    # With design roles: a second login, a member of nothing until the sandbox role grants it one design
    # role (it has ADMIN OPTION on them), so an attack acting as that role can SET ROLE to nothing else.
    member_url: str | None = None


@contextmanager
def sandboxed_database(server_url: str, extensions: Iterable[str] = (),
                       roles: Callable[[str], Iterable[tuple[str, bool]]] | None = None) -> Iterator[Sandbox]:
    """A fresh scratch database on `server_url`'s server, owned by a fresh role; both dropped
    on every exit path.  `extensions`: those the design (or the caller) needs in it.  `roles`:
    given the scratch database's name, the design's roles as (name, bypasses row-level
    security); the admin creates them, NOLOGIN, and hands them to the sandbox role WITH ADMIN
    OPTION (the up migration grants them and SETs ROLE to the owner), and drops them after; it also
    makes the member login (`Sandbox.member_url`) for validate's attacks."""
    name = scratch_name()
    wanted_roles = list(roles(name)) if roles else []
    with Database(server_url) as admin:
        remove_dead_scratch_databases(admin)  # what runs killed on this host (SIGKILL) left on the server
        user, may_create_roles = admin.query(
            "SELECT current_user, rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user")[0]
        role = name + SANDBOX_SUFFIX if may_create_roles else None
        member = name + MEMBER_SUFFIX if role and wanted_roles else None
        password, member_password = secrets.token_hex(24), secrets.token_hex(24)
        try:
            if role:
                _create_role(admin, role, password)
                _create_design_roles(admin, role, wanted_roles)
            if member:
                _create_member(admin, member, member_password)
            create_database(admin, name, owner=role)
            try:
                url = with_database(server_url, name)
                preinstalled = _hand_over(admin, url, name, role, extensions) if role else ()
                member_url = None
                if member:
                    admin.execute(f"GRANT CONNECT ON DATABASE {quote_ident(name)} TO {quote_ident(member)}")
                    member_url = with_user(url, member, member_password)
                    _check_login(member_url, member)
                if role:
                    url = with_user(url, role, password)
                    _check_login(url, role)
                note = None if role else (f"spec SQL ran as {user}: no CREATEROLE to create a sandbox role, so it "
                                          f"had all of {user}'s privileges")
                yield Sandbox(name, url, role, user, preinstalled, note, member_url)
            finally:
                drop_database(admin, name)
        finally:
            if member:
                drop_role(admin, member)
            if role:
                for design_role, _bypass in reversed(wanted_roles):
                    drop_role(admin, design_role)
                drop_role(admin, role)


def _create_design_roles(admin: Database, sandbox: str, roles: list[tuple[str, bool]]) -> None:
    """The design's roles for this run.  Row-level security would hide the rows the run loads
    from the sandbox role (FORCE applies to the tables' owner too): BYPASSRLS, granted by a
    superuser only, lets it load and check them; the attacks run as the group roles, which
    have no such attribute."""
    if not roles:
        return
    superuser = admin.query_value("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    for name, bypass in roles:
        admin.execute(f"CREATE ROLE {quote_ident(name)} NOLOGIN" + (" BYPASSRLS" if bypass and superuser else ""))
        admin.execute(f"GRANT {quote_ident(name)} TO {quote_ident(sandbox)} WITH ADMIN OPTION")
    if superuser:
        admin.execute(f"ALTER ROLE {quote_ident(sandbox)} BYPASSRLS")


def _create_member(admin: Database, member: str, password: str) -> None:
    """The member login: no attribute at all (no BYPASSRLS), a SCRAM verifier valid for a day."""
    until = (datetime.now(timezone.utc) + PASSWORD_LIFETIME).isoformat(timespec="seconds")
    verifier = admin.password_verifier(member, password)
    admin.execute(f"CREATE ROLE {quote_ident(member)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION "
                  f"NOBYPASSRLS CONNECTION LIMIT {CONNECTION_LIMIT} PASSWORD {quote_literal(verifier)} "
                  f"VALID UNTIL {quote_literal(until)}")


def _create_role(admin: Database, role: str, password: str) -> None:
    until = (datetime.now(timezone.utc) + PASSWORD_LIFETIME).isoformat(timespec="seconds")
    verifier = admin.password_verifier(role, password)
    # Not NOINHERIT: on PostgreSQL 15 that would also withhold pg_database_owner's rights
    # (CREATE on schema public); the role is granted no other role, so it inherits nothing else.
    admin.execute(f"CREATE ROLE {quote_ident(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
                  f"NOREPLICATION NOBYPASSRLS CONNECTION LIMIT {CONNECTION_LIMIT} "
                  f"PASSWORD {quote_literal(verifier)} VALID UNTIL {quote_literal(until)}")
    if not admin.query_value("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"):
        # CREATE DATABASE ... OWNER needs the creator to be a member of the owner (PostgreSQL 15+:
        # able to SET ROLE to it).  The membership gives the user the role's rights, never the reverse.
        admin.execute(f"GRANT {quote_ident(role)} TO CURRENT_USER")


def _hand_over(admin: Database, admin_url: str, name: str, role: str, extensions: Iterable[str]) -> tuple[str, ...]:
    """Prepare the database as the admin, before the role gets it; the extensions created."""
    admin.execute(f"REVOKE ALL ON DATABASE {quote_ident(name)} FROM PUBLIC")
    wanted = list(dict.fromkeys(extensions))
    untrusted = _untrusted_available(admin, wanted)
    if not untrusted and admin.server_version >= 150000:
        return ()
    created = []
    with Database(admin_url) as db:
        if admin.server_version < 150000:  # before 15, public belongs to the bootstrap superuser
            db.execute(f"ALTER SCHEMA public OWNER TO {quote_ident(role)}")
        for extension in untrusted:
            try:
                db.execute(f"CREATE EXTENSION IF NOT EXISTS {quote_ident(extension)}")
            except DatabaseError:
                continue  # e.g. not a superuser: the up migration reports PostgreSQL's refusal
            created.append(extension)
    return tuple(created)


def _untrusted_available(admin: Database, names: list[str]) -> list[str]:
    """Of `names`, the extensions the server has that a database owner may not create itself."""
    if not names:
        return []
    trusted = "e.trusted" if admin.server_version >= 130000 else "false"  # trusted extensions came in 13
    rows = admin.query(f"SELECT a.name, {trusted} FROM pg_available_extensions a "
                       "JOIN pg_available_extension_versions e ON e.name = a.name AND e.version = a.default_version "
                       "WHERE a.name = ANY(%s)", [names])
    untrusted = {name for name, is_trusted in rows if not is_trusted}
    return [n for n in names if n in untrusted]


def _check_login(url: str, role: str) -> None:
    try:
        with Database(url) as db:
            db.query_value("SELECT 1")
    except DatabaseError as error:
        raise DatabaseError(
            f"cannot log in as the sandbox role {role} that runs the spec's SQL: {error.message}",
            sqlstate=error.sqlstate,
            hint="let it log in with a password from this host in pg_hba.conf (e.g. `host all all 127.0.0.1/32 "
                 "scram-sha-256`), or connect over TCP rather than a peer-authenticated socket; the spec's SQL is "
                 "never run with a login that can create roles",
        ) from None


def without_statements_on(sql: str, extensions: Iterable[str]) -> str:
    """`sql` with its DROP EXTENSION and COMMENT ON EXTENSION statements for `extensions`
    blanked out (lines kept, so later errors keep their line numbers): those extensions
    belong to the user's login (`Sandbox.preinstalled`), and the sandbox role may not touch them."""
    names = set(extensions)
    if not names:
        return sql
    try:
        pieces = pglast.split(sql, with_parser=True, only_slices=True)
    except pglast.parser.ParseError:
        return sql  # whoever runs it reports the parse error
    for piece in reversed(pieces):
        if _on_extensions(pglast.parse_sql(sql[piece])[0].stmt) <= names:
            sql = sql[: piece.start] + re.sub(r"[^\n]", " ", sql[piece]) + sql[piece.stop :]
    return sql


def _on_extensions(stmt: object) -> set[str]:
    """The extensions a DROP or COMMENT statement is about; {""} for any other statement."""
    extension = pglast.enums.ObjectType.OBJECT_EXTENSION
    if isinstance(stmt, pglast.ast.DropStmt) and stmt.removeType == extension:
        return {o.sval for o in stmt.objects}
    if isinstance(stmt, pglast.ast.CommentStmt) and stmt.objtype == extension:
        return {stmt.object.sval}
    return {""}
