"""Acting as one of the design's roles, for one tenant, as the application does.

A service logs in as a member of its group role and, in each transaction, sets the tenant
with `set_config(<tenant setting>, <id>, true)` (SET LOCAL).  Here the member login is
sandbox.py's (`Sandbox.member_url`): the sandbox role grants it one design role at a time, so
inside `acting()` the session can reach that role and nothing else, and has no BYPASSRLS.
Everything runs in a transaction that is rolled back.

Also here: which group role runs an access pattern (the first whose grants cover the tables
it reads and writes), and which tenant a pattern's parameter values belong to.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlglot
from sqlglot import exp

from schemawright import model as m
from schemawright.database import Database, DatabaseError
from schemawright.security.tenancy import tenant_root
from schemawright.sql.quoting import quote_ident as q
from schemawright.validation.params import Use

STATEMENT_TIMEOUT_MS = 60_000


@contextmanager
def member_login(member_url: str) -> Iterator[Database]:
    """The member login's connection (its role name: `session_user`)."""
    with Database(member_url, statement_timeout_ms=STATEMENT_TIMEOUT_MS) as member:
        yield member


@contextmanager
def granted(db: Database, member: Database, role: str) -> Iterator[None]:
    """`role` granted to the member login for the duration (`db` is the sandbox role, which
    holds every design role WITH ADMIN OPTION)."""
    login = member.query_value("SELECT session_user::text")
    db.execute(f"GRANT {q(role)} TO {q(login)}")
    try:
        yield
    finally:
        db.execute(f"REVOKE {q(role)} FROM {q(login)}")


@contextmanager
def acting(db: Database, role: str | None, setting: str | None, tenant: str | None) -> Iterator[Database]:
    """A rolled-back transaction on `db` as `role` (SET LOCAL ROLE; None: the connection's own
    role), with the tenant setting set to `tenant` (None: not set)."""
    with db.transaction(rollback=True):
        if role is not None:
            db.execute(f"SET LOCAL ROLE {q(role)}")
        if setting is not None and tenant is not None:
            db.execute("SELECT set_config(%s, %s, true)", [setting, tenant])
        yield db


def tenant_tables(design: m.Design) -> list[m.Table]:
    """Tables that belong to a tenant: those with the tenant column."""
    tenant = design.security.tenant_column
    return [t for t in design.tables if tenant and t.column(tenant) is not None]


def tenant_filter(design: m.Design, table: m.Table, value_sql: str) -> str | None:
    """The condition that keeps `table`'s rows of the tenant `value_sql` (an SQL expression of
    type text), written from the tenant column itself and never from the policies, so it is a
    ground truth the policies are compared with.  None: the table belongs to no tenant."""
    tenant = design.security.tenant_column
    root = tenant_root(design)
    column = table.column(tenant) if tenant else None
    if column is not None:
        mine = f"{q(tenant)}::text = {value_sql}"  # type: ignore[arg-type]
        shared = {t.name for e in design.security.shared if (t := design.table_for_entity(e) or design.table(e))}
        return f"({mine} OR {q(tenant)} IS NULL)" if table.name in shared else mine  # type: ignore[arg-type]
    if root is not None and table.name == root.name and root.primary_key:
        return f"{q(root.primary_key.columns[0])}::text = {value_sql}"
    return None


# ---------------------------------------------------------------- the role that runs a pattern


def needed_privileges(sql: str, design: m.Design) -> dict[str, set[str]] | None:
    """Design table or view -> the privileges the statement needs on it; None if it does not parse."""
    try:
        tree = sqlglot.parse_one(sql, read="postgres")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
        return None
    if tree is None:
        return None
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    relations = {t.name for t in design.tables} | {v.name for v in design.views}
    needed: dict[str, set[str]] = {}
    written: set[int] = set()
    for node, privilege in ((n, p) for kind, p in ((exp.Insert, "INSERT"), (exp.Update, "UPDATE"),
                                                   (exp.Delete, "DELETE")) for n in tree.find_all(kind)):
        target = node.this.this if isinstance(node.this, exp.Schema) else node.this
        if isinstance(target, exp.Table) and target.name in relations:
            needed.setdefault(target.name, set()).add(privilege)
            reads_target = privilege != "INSERT" or node.args.get("returning") or node.args.get("conflict")
            if reads_target:
                needed[target.name].add("SELECT")
            written.add(id(target))
    for table in tree.find_all(exp.Table):
        if id(table) not in written and table.name in relations and table.name not in ctes:
            needed.setdefault(table.name, set()).add("SELECT")
    return needed


def role_privileges(design: m.Design, role: str) -> dict[str, set[str]]:
    """Table or view -> privileges the design grants `role` on it (a column grant counts)."""
    out: dict[str, set[str]] = {}
    for grant in design.grants:
        if grant.role == role and grant.on == "table":
            out.setdefault(grant.target, set()).update(grant.privileges)
    return out


def pattern_role(design: m.Design, pattern: m.AccessPattern) -> str | None:
    """The first group role whose grants cover what `pattern` reads and writes (None: no group may run it)."""
    needed = needed_privileges(pattern.sql, design)
    if needed is None:
        return None
    for role in design.roles:
        if role.kind != "group":
            continue
        has = role_privileges(design, role.name)
        if all(privileges <= has.get(table, set()) for table, privileges in needed.items()):
            return role.name
    return None


# ---------------------------------------------------------------- the tenant of a binding


def binding_tenant(db: Database, design: m.Design, usage: dict[str, Use], names: tuple[str, ...],
                   values: list[str | None]) -> str | None:
    """The tenant whose rows `values` (for the parameters `names`) come from: a parameter of the
    tenant column or of the tenant table's key, else the tenant of the first row a parameter
    compared with (or inserted into) a tenant-owned column names.  None: no tenant to tell."""
    tenant = design.security.tenant_column
    root = tenant_root(design)
    if not tenant:
        return None
    owned = {t.name for t in tenant_tables(design)}
    bound = dict(zip(names, values))
    lookups = []
    for name, use in usage.items():
        value = bound.get(name)
        if value is None or use.table is None or use.column is None or use.role not in ("eq", "insert", "set"):
            continue
        if use.table in owned and use.column == tenant:
            return value
        if root is not None and use.table == root.name and root.primary_key and \
                use.column == root.primary_key.columns[0]:
            return value
        if use.table in owned:
            lookups.append((use.table, use.column, value))
    for table_name, column_name, value in lookups:
        table = design.table(table_name)
        column = table.column(column_name) if table else None
        if column is None or not column.sql_type:
            continue
        try:
            found = db.query_value(f"SELECT {q(tenant)}::text FROM {q(table_name)} "
                                   f"WHERE {q(column_name)} = CAST(%s AS {column.sql_type}) LIMIT 1", [value])
        except DatabaseError:
            continue
        if found is not None:
            return str(found)
    return None
