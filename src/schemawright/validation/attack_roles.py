"""The attacks on each design role: what it must not do is refused, what it must do goes through.

What a role may do is worked out again from the spec (security.roles.intended_grants for a
group role; every table for the operator; the audit trail for the auditor), never read from
the design's grants or the database: a grant either of them added on top is an attack that
succeeds.  The relations attacked are the database's own (the catalog), so partitions and the
machinery's tables (the audit trail, the rules' queue) are attacked too.

For each role, with the tenant setting set to a tenant that has rows everywhere:
- privileges: SELECT, INSERT, UPDATE, DELETE, TRUNCATE on every relation it has no grant for
  (TRUNCATE on all: no role is given it, and it would empty every tenant at once); the columns
  a column grant leaves out; reading PII in clear (a PII column it may not read, or
  EXECUTE of the decrypting function);
- DDL: CREATE TABLE, CREATE FUNCTION, CREATE SCHEMA, ALTER TABLE, DROP TABLE;
- GRANT: a privilege it holds to a role that lacks it, and its own role to another;
- switching tenant by another route than the tenant setting: SET ROLE to the operator, the
  owner or the rules' role (checker), SET SESSION AUTHORIZATION, ALTER TABLE ... DISABLE /
  NO FORCE ROW LEVEL SECURITY, DROP POLICY, and reading with `row_security = off` (an error,
  never rows);
- allowed: SELECT, INSERT, UPDATE and DELETE on a real row of its tenant, per granted table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from schemawright import model as m
from schemawright.database import Database
from schemawright.security.roles import DECRYPTING, intended_grants, reads_pii_in_clear
from schemawright.sql.quoting import dollar_quote, quote_literal
from schemawright.sql.quoting import quote_ident as q
from schemawright.validation.acting import tenant_filter
from schemawright.validation.attack import ACCEPTED, EMPTY, OWNER, PERMISSION, ROW_SECURITY, Attack
from schemawright.validation.attempts import NOTHING

WRITES = ("INSERT", "UPDATE", "DELETE")
ALL = ("SELECT", *WRITES)
AUDIT_TRAIL = "audit_trail"  # integrity/audit_trail.py's table: the operator and the auditor read it
PROBE = "sw_attack_probe"  # the name of the objects the DDL attacks try to create
CANDIDATE_ROWS = 20  # rows a DELETE tries before it gives up (a row other rows still reference is refused)

_RELATIONS = """
SELECT c.relname::text, c.relkind::text,
       CASE WHEN c.relispartition THEN (SELECT r.relname::text FROM pg_catalog.pg_class r
                                        WHERE r.oid = pg_catalog.pg_partition_root(c.oid)) END
FROM pg_catalog.pg_class c
WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                  AND d.deptype = 'e')
ORDER BY c.relname
"""
_COLUMNS = """
SELECT c.relname::text, a.attname::text, a.attgenerated <> '', a.attidentity <> ''
FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
WHERE c.relnamespace = current_schema()::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY c.relname, a.attnum
"""


@dataclass
class Catalog:
    """The scratch database's relations, as the attacks need them."""

    kinds: dict[str, str] = field(default_factory=dict)  # relation -> relkind
    partitions: dict[str, str] = field(default_factory=dict)  # partition -> the partitioned table it is part of
    columns: dict[str, list[str]] = field(default_factory=dict)
    computed: dict[str, set[str]] = field(default_factory=dict)  # GENERATED ALWAYS AS (...): never inserted
    identity: dict[str, set[str]] = field(default_factory=dict)  # identity columns (ALWAYS or BY DEFAULT)

    @classmethod
    def read(cls, db: Database) -> Catalog:
        found = cls()
        for name, kind, root in db.query(_RELATIONS):
            found.kinds[name] = kind
            if root:
                found.partitions[name] = root
        for table, column, computed, identity in db.query(_COLUMNS):
            if table in found.kinds:
                found.columns.setdefault(table, []).append(column)
                if computed:
                    found.computed.setdefault(table, set()).add(column)
                if identity:
                    found.identity.setdefault(table, set()).add(column)
        return found

    def insertable(self, table: str) -> list[str]:
        """Columns an INSERT may give (with OVERRIDING SYSTEM VALUE for identity columns)."""
        return [c for c in self.columns.get(table, []) if c not in self.computed.get(table, set())]

    def settable(self, table: str) -> list[str]:
        return [c for c in self.insertable(table) if c not in self.identity.get(table, set())]

    def is_table(self, name: str) -> bool:
        return self.kinds.get(name) in ("r", "p")


@dataclass(frozen=True)
class Rights:
    """What a role may do to one relation: table privileges, and the columns a column grant gives."""

    privileges: frozenset[str] = frozenset()
    columns: frozenset[str] = frozenset()

    def selects(self, column: str) -> bool:
        return "SELECT" in self.privileges or column in self.columns


@dataclass(frozen=True)
class RoleRights:
    role: m.DatabaseRole
    label: str
    relations: dict[str, Rights]
    functions: frozenset[str]  # functions it may EXECUTE, by name
    clear_pii: frozenset[str]  # tables whose PII it may read in clear


def role_label(role: m.DatabaseRole) -> str:
    return role.spec_role or role.kind


def intended_rights(design: m.Design) -> list[RoleRights]:
    """Every design role but the owner, with what the spec says it may do."""
    out = []
    tables = [t.name for t in design.tables]
    for role in design.roles:
        grants: list[m.Grant] = []
        clear: set[str] = set()
        if role.kind == "group":
            spec_role = next((r for r in design.security.roles if r.name == role.spec_role), None)
            if spec_role is None:
                continue
            grants = intended_grants(design, spec_role, role.name)
            writes = {g.target for g in grants if "UPDATE" in g.privileges}
            clear = {t for t in tables if reads_pii_in_clear(spec_role, writes, t)}
        elif role.kind == "operator":
            grants = [m.Grant(role=role.name, privileges=ALL, on="table", target=t) for t in tables]
            grants.append(m.Grant(role=role.name, privileges=("SELECT",), on="table", target=AUDIT_TRAIL))
            clear = set(tables)  # the operator supports every tenant's rows; it is given no decryption
        elif role.kind == "auditor":
            grants = [m.Grant(role=role.name, privileges=("SELECT",), on="table", target=AUDIT_TRAIL)]
        else:
            continue
        relations: dict[str, Rights] = {}
        functions = set()
        for grant in grants:
            if grant.on == "function":
                functions.add(grant.target.split("(")[0])
                continue
            if grant.on != "table":
                continue
            had = relations.get(grant.target, Rights())
            if grant.columns:
                relations[grant.target] = Rights(had.privileges, had.columns | frozenset(grant.columns))
            else:
                relations[grant.target] = Rights(had.privileges | frozenset(grant.privileges), had.columns)
        out.append(RoleRights(role, role_label(role), relations, frozenset(functions), frozenset(clear)))
    return out


class RoleAttacks:
    """Builds the attacks on one role.  `tenant`: the tenant its transactions set (None: no tenancy)."""

    def __init__(self, db: Database, design: m.Design, catalog: Catalog, rights: RoleRights,
                 everyone: list[RoleRights], tenant: str | None):
        self.db, self.design, self.catalog, self.rights = db, design, catalog, rights
        self.everyone, self.tenant = everyone, tenant
        self.out: list[Attack] = []

    def attack(self, kind: str, subject: str, sql: str, **more: object) -> None:
        self.out.append(Attack(self.rights.role.name, self.rights.label, kind, subject, sql, tenant=self.tenant,
                               **more))  # type: ignore[arg-type]

    def allowed(self, kind: str, subject: str, sql: str) -> None:
        self.attack(kind, subject, sql, allowed=True)

    def build(self) -> list[Attack]:
        self.privileges()
        self.pii()
        self.ddl()
        self.grants()
        if self.design.row_security and not self.rights.role.bypass_rls:
            self.tenant_switches()
        else:
            self.role_switches()
        self.allowed_operations()
        return self.out

    # -- privileges it has not been given

    def privileges(self) -> None:
        for relation, kind in self.catalog.kinds.items():
            rights = self.rights.relations.get(relation, Rights())
            columns = self.catalog.columns.get(relation, [])
            label, why = "privilege", ""
            root = self.catalog.partitions.get(relation)
            if root is not None and self.rights.role.bypass_rls:
                rights = self.rights.relations.get(root, Rights())  # it sees every tenant through the parent too
            elif root is not None:
                label = "partition"
                if root in self.design.row_security:
                    why = f" (a partition of {root}: {root}'s row-level security does not apply to it)"
            if "SELECT" not in rights.privileges:
                if rights.columns:
                    for column in columns:
                        if column not in rights.columns:
                            pii = self._is_pii(relation, column)
                            self.attack("PII" if pii else "column", f"SELECT of {relation}.{column}"
                                        + (" (PII)" if pii else ""), f"SELECT {q(column)} FROM {q(relation)} LIMIT 1")
                else:
                    self.attack(label, f"SELECT on {relation}{why}", f"SELECT 1 FROM {q(relation)} LIMIT 1")
            if kind not in ("r", "p"):
                continue
            settable = self.catalog.settable(relation)
            first = q(settable[0]) if settable else None
            for privilege in WRITES:
                if privilege in rights.privileges:
                    continue
                sql = {"INSERT": f"INSERT INTO {q(relation)} DEFAULT VALUES",
                       "UPDATE": f"UPDATE {q(relation)} SET {first} = {first} WHERE false" if first else None,
                       "DELETE": f"DELETE FROM {q(relation)} WHERE false"}[privilege]
                if sql:
                    self.attack(label, f"{privilege} on {relation}{why}", sql)
            if relation not in self.catalog.partitions:
                self.attack("privilege", f"TRUNCATE {relation} (it ignores row-level security)",
                            f"TRUNCATE {q(relation)}")

    def _is_pii(self, relation: str, column: str) -> bool:
        table = self.design.table(relation)
        found = table.column(column) if table else None
        return bool(found and found.pii)

    # -- PII in clear

    def pii(self) -> None:
        if self.design.security.pii == "none":
            return
        for function in self.design.functions:
            if function.name in DECRYPTING and function.name not in self.rights.functions:
                nulls = ", ".join(f"NULL::{a.type}" for a in function.arguments)
                self.attack("PII", f"EXECUTE {function.name}() (reads PII in clear)",
                            f"SELECT {q(function.name)}({nulls})")
        for table in self.design.tables:
            rights = self.rights.relations.get(table.name)
            if rights is None or table.name in self.rights.clear_pii:
                continue
            for column in table.columns:
                if column.pii and column.plaintext_type is None and rights.selects(column.name):
                    # The role may read the column, and it holds the value itself: PII in clear.
                    self.attack("PII", f"SELECT of {table.name}.{column.name} (PII in clear)",
                                f"SELECT {q(column.name)} FROM {q(table.name)} LIMIT 1")

    # -- DDL

    def ddl(self) -> None:
        table = self._some_table()
        if self.rights.role.kind == "owner":
            return
        self.attack("DDL", "CREATE TABLE", f"CREATE TABLE {PROBE} (id int)")
        self.attack("DDL", "CREATE FUNCTION", f"CREATE FUNCTION {PROBE}() RETURNS int LANGUAGE sql AS 'SELECT 1'")
        self.attack("DDL", "CREATE SCHEMA", f"CREATE SCHEMA {PROBE}")
        if table:
            self.attack("DDL", f"ALTER TABLE {table} ADD COLUMN", f"ALTER TABLE {q(table)} ADD COLUMN {PROBE} int",
                        refusals=OWNER)
            self.attack("DDL", f"DROP TABLE {table}", f"DROP TABLE {q(table)}", refusals=OWNER)

    def _some_table(self) -> str | None:
        """A table the role may write (else read, else any): where DDL would hurt it most."""
        names = [t.name for t in self.design.tables if self.catalog.is_table(t.name)]
        for wanted in (set(WRITES), {"SELECT"}):
            for name in names:
                if wanted & self.rights.relations.get(name, Rights()).privileges:
                    return name
        return names[0] if names else None

    # -- GRANT to others

    def grants(self) -> None:
        others = [r for r in self.everyone if r.role.name != self.rights.role.name]
        for relation, rights in self.rights.relations.items():
            if "SELECT" not in rights.privileges or relation not in self.catalog.kinds:
                continue
            lacking = next((o for o in others if "SELECT" not in o.relations.get(relation, Rights()).privileges
                            and not o.relations.get(relation, Rights()).columns), None)
            if lacking is None:
                continue
            body = (f"BEGIN\n    GRANT SELECT ON {q(relation)} TO {q(lacking.role.name)};\n"
                    f"    IF has_table_privilege({quote_literal(lacking.role.name)}, {quote_literal(q(relation))}, "
                    f"'SELECT') THEN\n        RAISE EXCEPTION 'SELECT on {relation} granted to {lacking.label}' "
                    f"USING ERRCODE = '{ACCEPTED}';\n    END IF;\n"
                    f"    RAISE EXCEPTION 'no privileges were granted' USING ERRCODE = '42501';\nEND")
            self.attack("grant", f"GRANT SELECT ON {relation} TO {lacking.label}", f"DO {dollar_quote(body)}",
                        refusals=("permission denied", "no privileges were granted"))
            break
        target = next((o for o in others if o.role.kind == "group"), others[0] if others else None)
        if target is not None:
            self.attack("grant", f"GRANT {self.rights.label} TO {target.label}",
                        f"GRANT {q(self.rights.role.name)} TO {q(target.role.name)}",
                        refusals=("permission denied", "admin option"))

    # -- switching role or tenant by another route than the tenant setting

    def role_switches(self) -> None:
        for role in self.design.roles:  # the roles with more power: the owner, and those that bypass the policies
            if (role.kind in ("operator", "owner", "checker") or role.bypass_rls) and role.name != self.rights.role.name:
                self.attack("tenant switch", f"SET ROLE {role_label(role)}", f"SET ROLE {q(role.name)}",
                            refusals=("permission denied to set role",))
        owner = next((r for r in self.design.roles if r.kind == "owner"), None)
        if owner is not None and owner.name != self.rights.role.name:
            self.attack("tenant switch", f"SET SESSION AUTHORIZATION {role_label(owner)}",
                        f"SET SESSION AUTHORIZATION {q(owner.name)}", refusals=("permission denied",))

    def tenant_switches(self) -> None:
        self.role_switches()
        readable = [t for t in self.design.row_security if t in self.catalog.kinds
                    and self.rights.relations.get(t, Rights()) != Rights()]
        for number, table in enumerate(readable):
            self.attack("tenant switch", f"row_security = off, then read {table}",
                        f"SET LOCAL row_security = off; SELECT 1 FROM {q(table)} LIMIT 1",
                        refusals=("row-level security",))
            self.attack("tenant switch", f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY",
                        f"ALTER TABLE {q(table)} DISABLE ROW LEVEL SECURITY", refusals=OWNER)
            if number == 0:
                self.attack("tenant switch", f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY",
                            f"ALTER TABLE {q(table)} NO FORCE ROW LEVEL SECURITY", refusals=OWNER)
                policy = next((p.name for p in self.design.policies if p.table == table), None)
                if policy:
                    self.attack("tenant switch", f"DROP POLICY {policy}", f"DROP POLICY {q(policy)} ON {q(table)}",
                                refusals=OWNER)

    # -- what it must be able to do

    def allowed_operations(self) -> None:
        tables = {t.name for t in self.design.tables}
        for relation, rights in self.rights.relations.items():  # the machinery's tables: reading is enough
            if relation not in tables and relation in self.catalog.kinds and "SELECT" in rights.privileges:
                self.allowed("allowed", f"SELECT on {relation}", f"SELECT 1 FROM {q(relation)} LIMIT 1")
        for table in self.design.tables:
            rights = self.rights.relations.get(table.name)
            if rights is None or not self.catalog.is_table(table.name):
                continue
            mine = self._mine(table)
            if "SELECT" in rights.privileges or rights.columns:
                columns = [c for c in self.catalog.columns.get(table.name, []) if rights.selects(c)]
                if columns:
                    self.allowed("allowed", f"SELECT on {table.name}", _do(
                        f"PERFORM {', '.join(q(c) for c in columns)} FROM {q(table.name)} LIMIT 1;\n"
                        f"    IF NOT FOUND THEN\n        RAISE EXCEPTION 'no row of {table.name} visible' "
                        f"USING ERRCODE = '{EMPTY}';\n    END IF;"))
            key = table.primary_key.columns if table.primary_key else ()
            if not key or "SELECT" not in rights.privileges:
                if "INSERT" in rights.privileges:
                    self._insert_copy(table, mine)
                continue
            if "UPDATE" in rights.privileges:
                self._update(table, key, mine)
            if "DELETE" in rights.privileges:
                self._delete(table, key, mine)
            if "INSERT" in rights.privileges:
                if "DELETE" in rights.privileges:
                    self._reinsert(table, key, mine)
                else:
                    self._insert_copy(table, mine)

    def _mine(self, table: m.Table) -> str:
        """The WHERE condition of the role's own tenant's rows (TRUE where tenants do not apply)."""
        if self.tenant is None:
            return "true"
        return tenant_filter(self.design, table, quote_literal(self.tenant)) or "true"

    def _update(self, table: m.Table, key: tuple[str, ...], mine: str) -> None:
        settable = [c for c in self.catalog.settable(table.name)
                    if c not in key and c != self.design.security.tenant_column]
        if not settable:
            return
        column = q(settable[0])
        keys = ", ".join(q(k) for k in key)
        self.allowed("allowed", f"UPDATE on {table.name}", _do(
            f"UPDATE {q(table.name)} SET {column} = {column} WHERE ({keys}) IN "
            f"(SELECT {keys} FROM {q(table.name)} WHERE {mine} LIMIT 1);\n"
            f"    GET DIAGNOSTICS sw_n = ROW_COUNT;\n    IF sw_n = 0 THEN\n"
            f"        RAISE EXCEPTION 'no row of {table.name}{self._whose()} updated' USING ERRCODE = '{EMPTY}';\n"
            f"    END IF;", "    sw_n int;\n"))

    def _whose(self) -> str:
        return " of its tenant" if self.tenant is not None else ""

    def _delete(self, table: m.Table, key: tuple[str, ...], mine: str) -> None:
        """DELETE of one of the tenant's rows; where other rows still reference every candidate,
        the foreign key's refusal is raised: the row was deleted (privileges and row-level
        security let it through), then the reference spoke."""
        match = " AND ".join(f"{q(k)} = sw_row.{q(k)}" for k in key)
        self.allowed("allowed", f"DELETE on {table.name}", _do(
            f"FOR sw_row IN SELECT {', '.join(q(k) for k in key)} FROM {q(table.name)} WHERE {mine} "
            f"LIMIT {CANDIDATE_ROWS} LOOP\n"
            f"        BEGIN\n            DELETE FROM {q(table.name)} WHERE {match};\n"
            f"            GET DIAGNOSTICS sw_n = ROW_COUNT;\n            IF sw_n > 0 THEN\n                RETURN;\n"
            f"            END IF;\n        EXCEPTION WHEN foreign_key_violation OR restrict_violation THEN\n"
            f"            GET STACKED DIAGNOSTICS sw_state = RETURNED_SQLSTATE, sw_message = MESSAGE_TEXT;\n"
            f"        END;\n    END LOOP;\n"
            f"    IF sw_state IS NOT NULL THEN\n        RAISE EXCEPTION '%', sw_message USING ERRCODE = sw_state;\n"
            f"    END IF;\n"
            f"    RAISE EXCEPTION 'no row of {table.name}{self._whose()} deleted' USING ERRCODE = '{EMPTY}';",
            "    sw_row record;\n    sw_n int;\n    sw_state text;\n    sw_message text;\n"))

    def _reinsert(self, table: m.Table, key: tuple[str, ...], mine: str) -> None:
        """INSERT proven on a real row: one of the tenant's rows deleted, then inserted back as it
        was; where other rows reference every candidate, a copy of one with new database-made keys."""
        columns = self.catalog.insertable(table.name)
        match = " AND ".join(f"{q(k)} = sw_row.{q(k)}" for k in key)
        names = ", ".join(q(c) for c in columns)
        values = ", ".join(f"sw_row.{q(c)}" for c in columns)
        copied = self._copied_columns(table)
        self.allowed("allowed", f"INSERT on {table.name}", _do(
            f"FOR sw_row IN SELECT * FROM {q(table.name)} WHERE {mine} LIMIT {CANDIDATE_ROWS} LOOP\n"
            f"        sw_seen := true;\n"
            f"        BEGIN\n            DELETE FROM {q(table.name)} WHERE {match};\n"
            f"        EXCEPTION WHEN foreign_key_violation OR restrict_violation THEN\n            CONTINUE;\n"
            f"        END;\n"
            f"        INSERT INTO {q(table.name)} ({names}) OVERRIDING SYSTEM VALUE VALUES ({values});\n"
            f"        RETURN;\n    END LOOP;\n"
            f"    IF NOT sw_seen THEN\n        RAISE EXCEPTION 'no row of {table.name}{self._whose()} to insert again' "
            f"USING ERRCODE = '{EMPTY}';\n    END IF;\n"
            f"    INSERT INTO {q(table.name)} ({', '.join(q(c) for c in copied)}) "
            f"VALUES ({', '.join(f'sw_row.{q(c)}' for c in copied)});",
            "    sw_row record;\n    sw_seen boolean := false;\n"))

    def _copied_columns(self, table: m.Table) -> list[str]:
        """The columns a copy of a row gives: not the ones the database makes (identity, a key's default)."""
        defaulted = {c.name for c in table.columns if c.default and table.primary_key
                     and c.name in table.primary_key.columns}
        return [c for c in self.catalog.settable(table.name) if c not in defaulted]

    def _insert_copy(self, table: m.Table, mine: str) -> None:
        """INSERT for a role that may not read the table: a copy of one of the tenant's rows (read
        here, as the sandbox role), the columns the database fills left to it."""
        columns = self._copied_columns(table)
        row = self.db.query_value(f"SELECT to_jsonb(t)::text FROM {q(table.name)} AS t WHERE {mine} LIMIT 1")
        if row is None or not columns:
            self.allowed("allowed", f"INSERT on {table.name}",
                         _do(f"RAISE EXCEPTION 'a {table.name} row{self._whose()}' USING ERRCODE = '{NOTHING}';"))
            return
        names = ", ".join(q(c) for c in columns)
        self.allowed("allowed", f"INSERT on {table.name}",
                     f"INSERT INTO {q(table.name)} ({names}) SELECT {names} FROM "
                     f"jsonb_populate_record(NULL::{q(table.name)}, {quote_literal(row)})")


def _do(body: str, declare: str = "") -> str:
    text = (f"DECLARE\n{declare}" if declare else "") + f"BEGIN\n    {body}\nEND"
    return f"DO {dollar_quote(text)}"


def role_attacks(db: Database, design: m.Design, catalog: Catalog, tenant: str | None) -> list[Attack]:
    """Every role's attacks and allowed operations, the owner's included."""
    everyone = intended_rights(design)
    out: list[Attack] = []
    for rights in everyone:
        out += RoleAttacks(db, design, catalog, rights, everyone, tenant).build()
    owner = next((r for r in design.roles if r.kind == "owner"), None)
    if owner is not None:
        rights = RoleRights(owner, role_label(owner), {}, frozenset(), frozenset())
        attacks = RoleAttacks(db, design, catalog, rights, everyone, tenant)
        attacks.role_switches()
        if design.row_security:
            for table in design.row_security:  # FORCE: the owner too reads through the policies
                if table in catalog.kinds:
                    attacks.attack("tenant switch", f"row_security = off, then read {table}",
                                   f"SET LOCAL row_security = off; SELECT 1 FROM {q(table)} LIMIT 1",
                                   refusals=ROW_SECURITY)
                    break
        attacks.allowed("allowed", "CREATE TABLE (the owner is the one role allowed DDL)",
                        f"CREATE TABLE {PROBE} (id int)")
        out += attacks.out
    return out


__all__ = ["PERMISSION", "Catalog", "RoleRights", "intended_rights", "role_attacks", "role_label"]
