"""Tenant isolation: row-level security keyed on a transaction-local setting, and foreign
keys that carry the tenant column so no row can point into another tenant.

Three parts, in this order:

1. Every table that reaches a tenant-owned table by a foreign key but has no tenant column
   (a junction such as issue_labels, a list table such as api_token_scopes) gets one.  Its
   default reads the tenant setting, so an application that does not name it still writes
   the right value, and the composite key below refuses a wrong one.
2. A foreign key between two tenant-owned tables becomes (tenant, column) -> (tenant, key):
   the database itself refuses a reference across tenants.  ON DELETE SET NULL names the
   reference column only, so the tenant column keeps its value.
3. ENABLE and FORCE ROW LEVEL SECURITY (FORCE: the owner too; superusers and the operator
   role, which has BYPASSRLS, are the only ways around), and one policy per command.
"""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp

from schemawright import model as m
from schemawright.naming import constraint, fit
from schemawright.sql.quoting import quote_ident as q
from schemawright.sql.quoting import quote_literal


def tenant_value(design: m.Design, sql_type: str) -> str:
    """The current tenant as SQL: NULL (no row matches) when the application did not set it."""
    setting = quote_literal(design.security.tenant_setting)
    return f"NULLIF(current_setting({setting}, true), '')::{sql_type}"


def tenant_root(design: m.Design) -> m.Table | None:
    """The table the tenant column references (organizations), if it is one foreign key."""
    tenant = design.security.tenant_column
    for table in design.tables:
        for fk in table.foreign_keys:
            if fk.columns == (tenant,) and design.table(fk.ref_table):
                return design.table(fk.ref_table)
    return None


def isolate_tenants(design: m.Design) -> m.Design:
    tenant = design.security.tenant_column
    if not tenant or not any(t.column(tenant) for t in design.tables):
        return design
    decisions: list[m.Decision] = []
    tables = _spread_tenant_column(design, decisions)
    design = design.model_copy(update={"tables": tables})
    design = design.model_copy(update={"tables": _tenant_keys(design, decisions)})
    return _policies(design, decisions)


def _spread_tenant_column(design: m.Design, decisions: list[m.Decision]) -> tuple[m.Table, ...]:
    tenant = design.security.tenant_column
    assert tenant is not None
    root = tenant_root(design)
    by_name = {t.name: t for t in design.tables}
    owned = {t.name for t in design.tables if t.column(tenant)}
    changed = True
    while changed:  # a list table of a junction table reaches the tenant through both
        changed = False
        for table in list(by_name.values()):
            if table.name in owned or (root and table.name == root.name):
                continue
            parents = [fk for fk in table.foreign_keys if fk.ref_table in owned]
            if not parents:
                continue
            kind = by_name[parents[0].ref_table].column(tenant)
            assert kind is not None
            required = any(all(not table.column(col).nullable for col in fk.columns)  # type: ignore[union-attr]
                           for fk in parents)
            column = m.Column(name=tenant, semantic="fk", sql_type=kind.sql_type, nullable=not required,
                              default=tenant_value(design, kind.sql_type),
                              description=f"Tenant of the row, the same as its {parents[0].ref_table} row's "
                                          "(composite foreign key); defaults to the current tenant.")
            by_name[table.name] = table.model_copy(update={"columns": table.columns + (column,)})
            owned.add(table.name)
            changed = True
            decisions.append(m.Decision(
                step="security", subject=f"{table.name}.{tenant}",
                choice=f"tenant column added to {table.name}",
                reason=f"it references {', '.join(sorted({fk.ref_table for fk in parents}))}, which belong to a "
                       "tenant: with its own tenant column row-level security can filter it and its foreign keys "
                       "can include the tenant"))
    return tuple(by_name[t.name] for t in design.tables)


def _tenant_keys(design: m.Design, decisions: list[m.Decision]) -> tuple[m.Table, ...]:
    tenant = design.security.tenant_column
    assert tenant is not None
    by_name = {t.name: t for t in design.tables}
    owned = {t.name for t in design.tables if t.column(tenant)}
    for name in list(by_name):
        table = by_name[name]
        if name not in owned:
            continue
        keys = []
        for fk in table.foreign_keys:
            parent = by_name[fk.ref_table]
            if fk.ref_table not in owned or tenant in fk.columns or len(fk.columns) != 1 or not parent.primary_key:
                keys.append(fk)
                continue
            ref = fk.ref_columns or parent.primary_key.columns
            target = (tenant, *ref)
            if target not in {tuple(k) for k in design.unique_keys(parent)} | {u.columns for u in parent.uniques}:
                unique = m.Unique(name=constraint("uq", parent.name, *target), columns=target,
                                  reason="referenced by the tenant-keyed foreign keys: a reference can only point "
                                         "into its own tenant")
                parent = parent.model_copy(update={"uniques": parent.uniques + (unique,)})
                by_name[parent.name] = parent
                if parent.name == name:
                    table = parent
            set_null = fk.columns if fk.on_delete.lower() == "set null" else ()
            keys.append(fk.model_copy(update={"columns": (tenant, *fk.columns), "ref_columns": target,
                                              "set_null": set_null}))
            decisions.append(m.Decision(
                step="security", subject=f"{name}.{fk.name}",
                choice=f"({tenant}, {', '.join(fk.columns)}) -> {parent.name} ({', '.join(target)})",
                reason="both tables belong to a tenant: with the tenant column in the key, a row can never "
                       "reference another tenant's row, whatever the application sends"))
        by_name[name] = table.model_copy(update={"foreign_keys": tuple(keys)})
    return tuple(by_name[t.name] for t in design.tables)


def _policies(design: m.Design, decisions: list[m.Decision]) -> m.Design:
    tenant = design.security.tenant_column
    assert tenant is not None
    root = tenant_root(design)
    shared = {t.name for e in design.security.shared if (t := design.table_for_entity(e) or design.table(e))}
    policies, secured = [], []
    for table in design.tables:
        column = table.column(tenant)
        is_root = root is not None and table.name == root.name
        if column is None and not is_root:
            continue
        if is_root:
            assert root is not None and root.primary_key
            key = root.primary_key.columns[0]
            mine = f"{q(key)} = {tenant_value(design, root.column(key).sql_type)}"  # type: ignore[union-attr]
        else:
            mine = f"{q(tenant)} = {tenant_value(design, column.sql_type)}"  # type: ignore[union-attr]
        seen = f"{q(tenant)} IS NULL OR {mine}" if table.name in shared else mine
        secured.append(table.name)
        policies += [
            m.Policy(name=fit(f"{table.name}_tenant_select"), table=table.name, command="select", using=seen,
                     reason="a tenant reads its own rows" + (" and the shared ones (no tenant)"
                                                            if table.name in shared else "")),
            m.Policy(name=fit(f"{table.name}_tenant_insert"), table=table.name, command="insert",
                     check="true" if is_root else mine,
                     reason="anyone may create a tenant (sign-up)" if is_root
                     else "a tenant writes rows of its own only"),
            m.Policy(name=fit(f"{table.name}_tenant_update"), table=table.name, command="update", using=mine,
                     check=mine, reason="a tenant changes its own rows, and cannot move one to another tenant"),
            m.Policy(name=fit(f"{table.name}_tenant_delete"), table=table.name, command="delete", using=mine,
                     reason="a tenant deletes its own rows only"),
        ]
    unscoped = _unscoped_patterns(design, set(secured), root)
    if unscoped:
        decisions.append(m.Decision(
            step="security", subject="patterns that do not name the tenant",
            choice=", ".join(unscoped),
            reason="they filter no table on the tenant, so under row-level security they read the current "
                   "tenant's rows only (the policies add the filter): right for a read within one tenant; one meant "
                   "to cross tenants (an organization switcher) or to run before the tenant is known (an API token "
                   "or login lookup) returns nothing without the setting: run it as the operator role or through a "
                   "SECURITY DEFINER function of its own"))
    decisions.append(m.Decision(
        step="security", subject="row-level security",
        choice=f"ENABLE and FORCE on {len(secured)} table(s), four policies each, keyed on "
               f"current_setting('{design.security.tenant_setting}')",
        reason="the database adds the tenant filter to every statement, so one query that forgets it leaks "
               "nothing; the setting is set with SET LOCAL in each transaction, which works behind a "
               "transaction-mode pooler; FORCE subjects the owner too; with no setting no row is visible"))
    return design.model_copy(update={"row_security": tuple(secured), "policies": design.policies + tuple(policies),
                                     "decisions": design.decisions + tuple(decisions)})


def _unscoped_patterns(design: m.Design, secured: set[str], root: m.Table | None) -> list[str]:
    """Read patterns on tables under row-level security that compare no tenant column (nor the
    tenant table's key) with a value: the policies, not the query, then choose the tenant."""
    tenant = design.security.tenant_column
    root_key = root.primary_key.columns[0] if root is not None and root.primary_key else None
    out = []
    for pattern in design.access_patterns:
        if pattern.kind != "read":
            continue
        try:  # :name parameters become values: only whether a column meets a value matters here
            tree = sqlglot.parse_one(_PARAMETER.sub("0", pattern.sql), read="postgres")
        except sqlglot.errors.ParseError:
            continue
        tables = {t.alias_or_name: t.name for t in tree.find_all(exp.Table)}
        if not set(tables.values()) & secured:
            continue
        named = False
        for eq in tree.find_all(exp.EQ):
            for column, value in ((eq.left, eq.right), (eq.right, eq.left)):
                if not isinstance(column, exp.Column) or value.find(exp.Column) is not None:
                    continue
                table = tables.get(column.table) if column.table else (next(iter(tables.values()))
                                                                       if len(tables) == 1 else None)
                named |= column.name == tenant or (root is not None and column.name == root_key and table == root.name)
        if not named:
            out.append(pattern.name)
    return out


# Not requirements.placeholders (token-exact): importing requirements from here closes a package cycle,
# and a `:name` that is really inside a string literal only makes a pattern look named, never unscoped.
_PARAMETER = re.compile(r"(?<!:):([A-Za-z_]\w*)")
