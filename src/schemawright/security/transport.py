"""Encryption in transit and statement auditing, as two configuration fragments.

`postgresql_conf` is meant for `include_if_exists = 'postgresql.security.conf'` at the end of
postgresql.conf: TLS 1.2 or later, SCRAM password verifiers, pgaudit, connection logging.
`pg_hba_conf` is a whole pg_hba.conf (PostgreSQL 15 has no include there): TLS and SCRAM
for the design's login roles, a refusal for every connection without TLS, no `trust`.
Every setting carries a comment with its reason.  Pure and deterministic: the same design
gives the same bytes.  validation/transport_proof.py starts a server with both and proves
what they promise.
"""

from __future__ import annotations

import re
import textwrap

from schemawright import model as m
from schemawright.security.names import database_name, login_role

# The administrator's operating-system account: the only local (Unix socket) login.
ADMIN = "postgres"
# People log in as themselves, as members of these roles: pg_hba.conf's `+role` admits every member.
_PEOPLE_KINDS = ("operator", "auditor")
# Every address, both families: the lines that refuse plain TCP must leave no gap.
_ANYWHERE = ("0.0.0.0/0", "::/0")
# pg_hba.conf keywords: a role or database of that name must be quoted to mean the name.
_HBA_KEYWORDS = {"all", "sameuser", "samerole", "samegroup", "replication"}


def hba_users(design: m.Design) -> tuple[str, ...]:
    """pg_hba.conf's users: the login role of each group role (a service's), then `+<role>` for the
    operator and auditor roles (people, members of them); () when the design has no roles.  The
    owner has none: migrations run as a member of it, through the administrator's login."""
    logins = sorted(login_role(role.name) for role in design.roles if role.kind == "group")
    return (*logins, *sorted("+" + role.name for role in design.roles if role.kind in _PEOPLE_KINDS))


def audit_classes(design: m.Design) -> tuple[tuple[str, str], ...]:
    """pgaudit statement classes for this design: (class, why)."""
    classes = [("ddl", "every change to the schema, and who made it"),
               ("role", "GRANT, REVOKE and CREATE/ALTER/DROP ROLE: every change of privileges")]
    why = _write_reasons(design)
    if why:
        classes.append(("write", "INSERT, UPDATE, DELETE, TRUNCATE and COPY FROM, since " + "; ".join(why)))
    return tuple(classes)


def _write_reasons(design: m.Design) -> list[str]:
    security, why = design.security, []
    if security.audit_trail:
        why.append("the spec audits " + ", ".join(sorted(security.audit_trail)))
    pii = [f"{table.name}.{column.name}" for table in design.tables for column in table.columns if column.pii]
    if pii:
        shown = ", ".join(pii[:3]) + (f" and {len(pii) - 3} more" if len(pii) > 3 else "")
        holds = "1 column holds" if len(pii) == 1 else f"{len(pii)} columns hold"
        why.append(f"{holds} PII ({shown}; pii: {security.pii})")
    if security.tenant_column:
        why.append(f"rows belong to tenants ({security.tenant_column})")
    return why


def postgresql_conf(design: m.Design) -> str:
    """The postgresql.conf fragment: each setting after a comment that says why."""
    classes = audit_classes(design)
    key_note = (f", and the key the application sets in {design.security.key_setting}"
                if design.security.pii == "encrypt" else "")
    settings = [
        (["Encrypt connections: pg_hba.conf accepts TCP connections over TLS only."], "ssl", "on"),
        (["TLS 1.0 and 1.1 are deprecated (RFC 8996) and open to downgrade attacks."],
         "ssl_min_protocol_version", "'TLSv1.2'"),
        (["The server's certificate (with its chain), issued by your CA or your platform's certificate",
          "manager for the name clients connect to; a relative path is read from the data directory."],
         "ssl_cert_file", "'server.crt'"),
        (["Its private key: owned by the server's operating-system user, mode 0600, never in a repository."],
         "ssl_key_file", "'server.key'"),
        (["Store new passwords as SCRAM verifiers: an md5 hash is as good as the password to whoever",
          "reads it, and md5 is going away. Passwords set before keep their old hash until set again."],
         "password_encryption", "'scram-sha-256'"),
        (["pgaudit hooks into the executor, so it loads at server start (a restart, not a reload).",
          "This replaces the server's list: if postgresql.conf already preloads libraries, name them",
          "all here, e.g. 'pg_stat_statements,pgaudit'. Then run CREATE EXTENSION pgaudit in the",
          "database as a superuser, so that DDL lines name the object they change."],
         "shared_preload_libraries", "'pgaudit'"),
        ([line for name, why in classes for line in _wrapped(f"{name}: {why}.")] + (
            [] if any(name == "write" for name, _ in classes) else
            ["No write: no audited entity, no PII column, no tenants; each write would cost a log line."]) +
         ["No read: a line per SELECT would flood the log."],
         "pgaudit.log", "'" + ", ".join(name for name, _ in classes) + "'"),
        (["Statements that touch only the system catalogs (psql's \\d, drivers' type lookups) are noise."],
         "pgaudit.log_catalog", "off"),
        (["One line per table a statement touches, so a search for a table finds every statement on it."],
         "pgaudit.log_relation", "on"),
        (_wrapped(f"Bound parameter values are the data itself, PII included{key_note}. They must never "
                  "reach the log, which more people read, and for longer, than the data. Lines say <not logged> "
                  "instead. Values written as literals inside the SQL text are logged with the statement: pass "
                  "them as parameters.", indent=""),
         "pgaudit.log_parameter", "off"),
        (["Who connected, from where, and over which TLS version (the line says \"SSL enabled\")."],
         "log_connections", "on"),
        (["Session ends and durations, to pair with log_connections."], "log_disconnections", "on"),
        (["pgaudit's lines do not name the user: the prefix does (time, process, user@database)."],
         "log_line_prefix", "'%m [%p] %q%u@%d '"),
    ]
    lines = [
        f"# postgresql.security.conf for {design.project}: TLS, passwords and statement auditing.",
        "# Generated by schemawright. Include it at the end of postgresql.conf, so that its values win:",
        "#     include_if_exists = 'postgresql.security.conf'",
        "# and restart the server (shared_preload_libraries is read at start only).",
    ]
    for comments, name, value in settings:
        lines += ["", *(f"# {text}" for text in comments), f"{name} = {value}"]
    return "\n".join(lines) + "\n"


def pg_hba_conf(design: m.Design) -> str:
    """The whole pg_hba.conf: the administrator by Unix socket, everyone else by TLS and SCRAM."""
    database = _hba_name(database_name(design))
    users = hba_users(design)
    rows = [("# TYPE", "DATABASE", "USER", "ADDRESS", "METHOD"), ("local", "all", ADMIN, "", "peer")]
    rows += [("hostnossl", "all", "all", address, "reject") for address in _ANYWHERE]
    for user in [_hba_user(name) for name in users] or ["all"]:
        rows += [("hostssl", database, user, address, "scram-sha-256") for address in _ANYWHERE]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    table = ["  ".join(cell.ljust(width) for cell, width in zip(row[:4], widths)) + "  " + row[4] for row in rows]
    head = [
        f"# pg_hba.conf for {design.project}: TLS and a SCRAM password for every network login.",
        "# Generated by schemawright. It replaces the server's pg_hba.conf; PostgreSQL uses the first line",
        "# that matches a connection, and refuses one that matches no line.",
        "#",
        f"# local: the administrator ({ADMIN}) on the database host only, by operating-system identity",
        "#   (peer): no password to steal. Applications connect over TCP with TLS, also on the same host.",
        "# hostnossl ... reject: a connection without TLS is refused before any password is sent.",
    ]
    if users:
        head += ["# hostssl: the login role of each group role, and (+role) every member of the operator and",
                 "#   auditor roles, with a SCRAM password (never md5)."]
    else:
        head.append("# hostssl: the design declares no roles, so any role with a SCRAM password (never md5).")
    head += [
        f"#   Database {database}: the project's name; change it if your database is called otherwise.",
        "#   Narrow 0.0.0.0/0 and ::/0 to your application servers' networks.",
        "",
    ]
    return "\n".join(head + table) + "\n"


def _wrapped(text: str, indent: str = "  ") -> list[str]:
    """A comment's text in lines of at most 96 characters, continuation lines indented by `indent`."""
    return textwrap.wrap(text, 96, subsequent_indent=indent, break_on_hyphens=False)


def _hba_user(user: str) -> str:
    """A user entry: `+` (members of) stays outside the quotes."""
    return "+" + _hba_name(user[1:]) if user.startswith("+") else _hba_name(user)


def _hba_name(name: str) -> str:
    """A role or database name as pg_hba.conf reads it literally."""
    if re.fullmatch(r"[a-z_][a-z0-9_$]*", name) and name not in _HBA_KEYWORDS:
        return name
    return '"' + name.replace('"', '""') + '"'
