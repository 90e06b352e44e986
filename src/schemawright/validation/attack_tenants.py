"""Tenant isolation, attacked: with rows for at least MIN_TENANTS tenants, no tenant reads,
changes or references another's rows, whatever the statement.

- data: the tenants with rows in every tenant-owned table (the loader deals rows out so the
  first ones have some, validation/synthetic.py); fewer than MIN_TENANTS is a failure, not a pass;
- reads per table: as each role row-level security applies to (the owner too: FORCE), with the
  tenant set, a table shows no more rows than that tenant has; with no tenant set, none;
- access patterns: each one, as the group role that runs it, for each of MIN_TENANTS tenants,
  with parameters drawn from each of those tenants' rows in turn (a tenant's own, and the
  other tenants': a key of another tenant is what a leak would answer), compared with the
  ground truth: the same statement run by the sandbox role (BYPASSRLS) with every tenant table
  replaced by a view of that tenant's rows (schema TRUTH_SCHEMA first on the search_path).
  The views filter on the tenant column itself, never on the policies; WITH CHECK OPTION makes
  them refuse a write of another tenant's row as the policies must.  A row, or a changed row,
  that row-level security lets through and the truth does not is a leak; zero is the only pass;
- writes: as tenant A, UPDATE and DELETE of tenant B's rows change nothing, an INSERT of a row
  of B and an UPDATE moving a row of A to B are refused;
- foreign keys: a row of A pointing at B's parent row is refused (23503), business-rule
  triggers switched off so that the key itself answers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from schemawright import model as m
from schemawright.database import Database, DatabaseError
from schemawright.security.tenancy import tenant_root
from schemawright.sql.quoting import quote_ident as q
from schemawright.sql.quoting import quote_literal
from schemawright.validation.acting import acting, binding_tenant, pattern_role, role_privileges, tenant_filter, \
    tenant_tables
from schemawright.validation.attack import ACCEPTED, DENIED, ROW_SECURITY, Attack
from schemawright.validation.attack_roles import Catalog, intended_rights, role_label
from schemawright.validation.params import positional, uses
from schemawright.validation.patterns import Binder
from schemawright.validation.table_reads import WholeTables

MIN_TENANTS = 5
TRUTH_SCHEMA = "sw_tenant_truth"
TRUTH_SETTING = "sw.truth_tenant"
_STATEMENT = "sw_tenant_probe"


# ---------------------------------------------------------------- which tenants have data


def complete_tenants(db: Database, design: m.Design) -> tuple[list[str], list[str]]:
    """(tenants with rows in every tenant-owned table, in the tenant table's order; the tables
    some of the first MIN_TENANTS tenants have no row in)."""
    tenant = design.security.tenant_column
    tables = tenant_tables(design)
    if not tenant or not tables:
        return [], []
    root = tenant_root(design)
    if root is not None and root.primary_key:
        key = q(root.primary_key.columns[0])
        order = [v for (v,) in db.query(f"SELECT {key}::text FROM {q(root.name)} ORDER BY {key}")]
    else:
        order = [v for (v,) in db.query(f"SELECT DISTINCT {q(tenant)}::text FROM {q(tables[0].name)} "
                                        f"WHERE {q(tenant)} IS NOT NULL ORDER BY 1")]
    present = {t.name: {v for (v,) in db.query(f"SELECT DISTINCT {q(tenant)}::text FROM {q(t.name)}")}
               for t in tables}
    complete = [v for v in order if all(v in found for found in present.values())]
    first = order[:MIN_TENANTS]
    short = [name for name, found in present.items() if not all(v in found for v in first)]
    return complete, short


class TenantRows(WholeTables):
    """The binder reads one tenant's rows: each tenant table becomes a view of that tenant's rows."""

    def __init__(self, design: m.Design, tenant: str):
        super().__init__()
        self.design, self.tenant = design, tenant

    def relation(self, db: Database, table: str) -> str:
        found = self.design.table(table)
        condition = tenant_filter(self.design, found, quote_literal(self.tenant)) if found else None
        if condition is None:
            return q(table)
        return f"(SELECT * FROM {q(table)} WHERE {condition}) AS {q(table)}"


# ---------------------------------------------------------------- the ground truth


@contextmanager
def truth_views(db: Database, design: m.Design) -> Iterator[str]:
    """Views of one tenant's rows (the tenant is the setting TRUTH_SETTING) named like the tables,
    in TRUTH_SCHEMA; yields the search_path that puts them first.  Dropped after."""
    schema = db.query_value("SELECT current_schema()::text")
    path = db.query_value("SHOW search_path")
    db.execute(f"CREATE SCHEMA {TRUTH_SCHEMA}")
    try:
        setting = f"current_setting({quote_literal(TRUTH_SETTING)})"
        for table in design.tables:
            condition = tenant_filter(design, table, setting)
            if condition is not None:
                db.execute(f"CREATE VIEW {TRUTH_SCHEMA}.{q(table.name)} AS SELECT * FROM {q(schema)}.{q(table.name)} "
                           f"WHERE {condition} WITH CASCADED CHECK OPTION")
        yield f"{TRUTH_SCHEMA}, {path}"
    finally:
        db.execute(f"DROP SCHEMA IF EXISTS {TRUTH_SCHEMA} CASCADE")


@dataclass
class Run:
    rows: Counter | None = None  # a read's rows
    count: int | None = None  # a write's rows changed
    error: DatabaseError | None = None

    def describe(self) -> str:
        if self.error is not None:
            return f"refused ({self.error.sqlstate})"
        if self.rows is not None:
            return f"{sum(self.rows.values())} row(s)"
        return f"{self.count} row(s) changed"


def execute(db: Database, sql: str, values: list[str | None], *, read: bool, role: str | None,
            setting: str, tenant: str, path: str | None = None) -> Run:
    """One run of a pattern (`sql` with $n parameters), rolled back."""
    call = f"EXECUTE {_STATEMENT}" + (
        "(" + ", ".join("NULL" if v is None else quote_literal(v) for v in values) + ")" if values else "")
    run = Run()
    try:
        with acting(db, role, setting, tenant):
            if path is not None:
                db.execute("SELECT set_config('search_path', %s, true), set_config(%s, %s, true)",
                           [path, TRUTH_SETTING, tenant])
            db.execute(f"PREPARE {_STATEMENT} AS {sql}")
            if read:
                run.rows = Counter(tuple(str(v) for v in row) for row in db.query(call))
            else:
                run.count = db.execute(call)
    except DatabaseError as error:
        run.error = error
    finally:
        try:
            db.execute(f"DEALLOCATE {_STATEMENT}")
        except DatabaseError:
            pass  # PREPARE itself failed
    return run


def compare(policies: Run, truth: Run) -> tuple[str, str]:
    """("same" | "leak" | "hidden", what differs)."""
    if policies.error is not None and truth.error is not None:
        return "same", ""
    if policies.error is None and truth.error is not None:
        changed = sum(policies.rows.values()) if policies.rows is not None else policies.count
        if changed:
            return "leak", f"row-level security let through what the tenant's rows refuse ({truth.error.message})"
        return "same", ""
    if policies.error is not None:
        return "hidden", f"refused under row-level security: {policies.error.sqlstate} {policies.error.message}"
    if policies.rows is not None and truth.rows is not None:
        extra, missing = policies.rows - truth.rows, truth.rows - policies.rows
        if extra:
            return "leak", f"{sum(extra.values())} row(s) that are not the tenant's"  # counted, never printed
        if missing:
            return "hidden", f"{sum(missing.values())} row(s) of the tenant not returned"
        return "same", ""
    if (policies.count or 0) > (truth.count or 0):
        return "leak", f"{policies.count} row(s) changed where the tenant has {truth.count}"
    if (policies.count or 0) < (truth.count or 0):
        return "hidden", f"{policies.count} row(s) changed where the tenant has {truth.count}"
    return "same", ""


@dataclass
class PatternIsolation:
    pattern: str
    role: str | None
    runs: int = 0
    found: int = 0  # runs as a tenant with its own parameters that found (or changed) rows
    leaks: list[str] = field(default_factory=list)
    hidden: list[str] = field(default_factory=list)
    problem: str | None = None  # why it could not be compared

    @property
    def passed(self) -> bool:
        return self.problem is None and not self.leaks and not self.hidden


def isolate_pattern(db: Database, member: Database, design: m.Design, pattern: m.AccessPattern, tenants: list[str],
                    path: str, *, enums: dict[str, tuple[str, ...]], seed: int) -> PatternIsolation:
    """The pattern as each tenant with each tenant's parameters, against the ground truth (`member`
    already holds the pattern's role)."""
    role = pattern_role(design, pattern)
    result = PatternIsolation(pattern.name, next((role_label(r) for r in design.roles if r.name == role), None))
    if role is None:
        result.problem = "no group role has every privilege it needs, so no application role can run it"
        return result
    try:
        bound = positional(pattern.sql)
        db.execute(f"PREPARE {_STATEMENT} AS {bound.sql}")
    except (ValueError, DatabaseError) as error:
        result.problem = f"does not prepare: {error}"
        return result
    try:
        types = db.query_value("SELECT parameter_types::text[] FROM pg_prepared_statements WHERE name = %s",
                               [_STATEMENT]) or []
    finally:
        db.execute(f"DEALLOCATE {_STATEMENT}")
    usage = uses(pattern.sql, design)
    setting = design.security.tenant_setting
    read = pattern.kind != "write"
    for source in tenants:
        binder = Binder(db, design, enums, f"{seed}:{pattern.name}:{source}", pattern.sql,
                        reads=TenantRows(design, source))
        values = binder.values(bound.names, list(types), usage, 0)
        owner = binding_tenant(db, design, usage, bound.names, values) or source
        for tenant in tenants:
            policies = execute(member, bound.sql, values, read=read, role=role, setting=setting, tenant=tenant)
            truth = execute(db, bound.sql, values, read=read, role=None, setting=setting, tenant=tenant, path=path)
            result.runs += 1
            if tenant == owner and truth.error is None and (sum(truth.rows.values()) if truth.rows is not None
                                                            else truth.count):
                result.found += 1
            verdict, why = compare(policies, truth)
            where = f"as tenant {tenant} with tenant {owner}'s parameters"
            if verdict == "leak":
                result.leaks.append(f"{where}: {why}")
            elif verdict == "hidden":
                result.hidden.append(f"{where}: {why}")
    return result


# ---------------------------------------------------------------- per-table attacks


class TenantAttacks:
    def __init__(self, db: Database, design: m.Design, catalog: Catalog, tenants: list[str]):
        self.db, self.design, self.catalog, self.tenants = db, design, catalog, tenants
        self.tenant = design.security.tenant_column
        self.root = tenant_root(design)
        self.out: list[Attack] = []

    def build(self) -> list[Attack]:
        if len(self.tenants) < 2:
            return []
        self.reads()
        self.writes()
        self.references()
        return self.out

    def _own_rows(self, table: m.Table, tenant: str) -> int:
        condition = tenant_filter(self.design, table, quote_literal(tenant)) or "true"
        return int(self.db.query_value(f"SELECT count(*) FROM {q(table.name)} WHERE {condition}"))

    def reads(self) -> None:
        """Each role row-level security applies to, each secured table it may read: as tenant A no
        more rows than A has, and none with no tenant set."""
        a = self.tenants[0]
        readers = [(r.role.name, r.label, set(r.relations)) for r in intended_rights(self.design)
                   if not r.role.bypass_rls]
        owner = next((r for r in self.design.roles if r.kind == "owner"), None)
        if owner is not None:
            readers.append((owner.name, role_label(owner), set(self.design.row_security)))
        for name, label, readable in readers:
            for table_name in self.design.row_security:
                table = self.design.table(table_name)
                if table is None or table_name not in readable or table_name not in self.catalog.kinds:
                    continue
                sql = f"SELECT count(*) FROM {q(table_name)}"
                self.out.append(Attack(name, label, "tenant read", f"rows of {table_name} visible as tenant {a}",
                                       sql, at_most=self._own_rows(table, a), tenant=a))
                self.out.append(Attack(name, label, "tenant read", f"rows of {table_name} visible with no tenant set",
                                       sql, at_most=0, tenant=None))

    def _writer(self, table: str, privilege: str) -> m.DatabaseRole | None:
        for role in self.design.roles:
            if role.kind == "group" and privilege in role_privileges(self.design, role.name).get(table, set()):
                return role
        return None

    def writes(self) -> None:
        a, b = self.tenants[0], self.tenants[1]
        for table in self.design.tables:
            if table.name not in self.design.row_security or (self.root and table.name == self.root.name):
                continue
            theirs = tenant_filter(self.design, table, quote_literal(b))
            mine = tenant_filter(self.design, table, quote_literal(a))
            if theirs is None or mine is None or not self.tenant:
                continue
            settable = [c for c in self.catalog.settable(table.name) if c != self.tenant]
            for privilege in ("UPDATE", "DELETE"):
                writer = self._writer(table.name, privilege)
                if writer is None or (privilege == "UPDATE" and not settable):
                    continue
                change = (f"UPDATE {q(table.name)} SET {q(settable[0])} = {q(settable[0])}" if privilege == "UPDATE"
                          else f"DELETE FROM {q(table.name)}")
                self.out.append(Attack(writer.name, role_label(writer), "tenant write",
                                       f"{privilege} of tenant {b}'s {table.name} rows as tenant {a}",
                                       _none_changed(f"{change} WHERE {theirs}", f"{table.name} rows of tenant {b}"),
                                       refusals=("changed no row",), tenant=a))
            writer = self._writer(table.name, "INSERT")
            row = self.db.query_value(f"SELECT to_jsonb(t)::text FROM {q(table.name)} AS t WHERE {theirs} LIMIT 1")
            columns = ", ".join(q(c) for c in self.catalog.insertable(table.name))
            if writer is not None and row is not None:
                self.out.append(Attack(
                    writer.name, role_label(writer), "tenant write", f"INSERT of a {table.name} row of tenant {b} "
                    f"as tenant {a}", f"INSERT INTO {q(table.name)} ({columns}) OVERRIDING SYSTEM VALUE SELECT "
                    f"{columns} FROM jsonb_populate_record(NULL::{q(table.name)}, {quote_literal(row)})",
                    refusals=ROW_SECURITY, tenant=a))
            writer = self._writer(table.name, "UPDATE")
            key = table.primary_key.columns if table.primary_key else ()
            if writer is not None and key:
                keys = ", ".join(q(k) for k in key)
                self.out.append(Attack(
                    writer.name, role_label(writer), "tenant write", f"UPDATE moving a {table.name} row of tenant "
                    f"{a} to tenant {b}", f"UPDATE {q(table.name)} SET {q(self.tenant)} = {quote_literal(b)} "
                    f"WHERE ({keys}) IN (SELECT {keys} FROM {q(table.name)} WHERE {mine} LIMIT 1)",
                    refusals=(*ROW_SECURITY, "foreign key"), states=(DENIED, "23503"), tenant=a))

    def references(self) -> None:
        """A row of tenant A pointing at tenant B's parent row, for every foreign key between two
        tenant-owned tables (as the group that may update the row; the sandbox role if none)."""
        a, b = self.tenants[0], self.tenants[1]
        owned = {t.name for t in tenant_tables(self.design)}
        for table in self.design.tables:
            key = table.primary_key.columns if table.primary_key else ()
            if table.name not in owned or not key:
                continue
            for fk in table.foreign_keys:
                parent = self.design.table(fk.ref_table)
                if parent is None or parent.name not in owned or fk.columns == (self.tenant,):
                    continue
                pairs = [(c, r) for c, r in zip(fk.columns, fk.ref_columns) if c != self.tenant]
                theirs = tenant_filter(self.design, parent, quote_literal(b))
                mine = tenant_filter(self.design, table, quote_literal(a))
                if not pairs or theirs is None or mine is None:
                    continue
                values = self.db.query(f"SELECT {', '.join(f'{q(r)}::text' for _, r in pairs)} FROM {q(parent.name)} "
                                       f"WHERE {theirs} LIMIT 1")
                if not values:
                    continue
                sets = ", ".join(f"{q(c)} = {quote_literal(v)}" for (c, _), v in zip(pairs, values[0]))
                keys = ", ".join(q(k) for k in key)
                writer = self._writer(table.name, "UPDATE")
                self.out.append(Attack(
                    writer.name if writer else None, role_label(writer) if writer else "sandbox", "foreign key",
                    f"{table.name} row of tenant {a} pointing at tenant {b}'s {parent.name} ({fk.name})",
                    f"UPDATE {q(table.name)} SET {sets} WHERE ({keys}) IN "
                    f"(SELECT {keys} FROM {q(table.name)} WHERE {mine} LIMIT 1)",
                    refusals=("foreign key",), states=("23503",), tenant=a,
                    connection="member" if writer else "sandbox"))


def _none_changed(statement: str, what: str) -> str:
    body = (f"DECLARE\n    sw_n int;\nBEGIN\n    {statement};\n    GET DIAGNOSTICS sw_n = ROW_COUNT;\n"
            f"    IF sw_n > 0 THEN\n        RAISE EXCEPTION '% {what} changed', sw_n USING ERRCODE = '{ACCEPTED}';\n"
            f"    END IF;\n    RAISE EXCEPTION 'changed no row' USING ERRCODE = '{DENIED}';\nEND")
    return f"DO $sw$\n{body}\n$sw$"
