"""security.md: what the database enforces, against whom, and what the application must do.

Written for a newcomer: a platform engineer who provisions the server and the login roles,
an application developer who connects to it.  Everything is read from the design (roles,
grants, policies, the tenant column, encrypted and masked PII, the audit columns and trail),
so the page describes whatever the security stage produced; the configuration fragments
(TLS, SCRAM, pgaudit) are named when the deliverables include them.  Pure and deterministic.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass

from schemawright.documentation.markdown import code, table, text
from schemawright.model import DatabaseRole, Design, Grant, Policy, Table
from schemawright.security.names import login_role
from schemawright.security.pii import masked_view
from schemawright.security.pii.functions import DECRYPT_FUNCTION, ENCRYPT_FUNCTION, blind_sql
from schemawright.security.roles import AUDIT_TRAIL, DECRYPTING, RULE_QUEUE
from schemawright.security.tenancy import tenant_root, tenant_value
from schemawright.security.transport import hba_users
from schemawright.sql.quoting import quote_ident, quote_literal

HBA_CONF = "config/pg_hba.conf"
SERVER_CONF = "config/postgresql.security.conf"
_KIND_WORDS = {"owner": "owner", "group": "service", "operator": "operator", "auditor": "auditor"}
_WRITE = {"INSERT", "UPDATE", "DELETE"}
_MANY = 8  # a list of more tables than this reads better as a count
_PEOPLE = ("jane_doe", "sam_lee", "ana_diaz", "li_wei", "tom_berg")  # example logins of people, one per role


def has_security(design: Design) -> bool:
    """Whether the design protects anything: roles, row-level security, PII or the audit trail."""
    return bool(design.roles or design.row_security or design.policies or _pii_columns(design)
                or _masked_views(design) or _has_trail(design))


def to_security_md(design: Design, files: Collection[str] = ()) -> str:
    """`files`: the paths of the other deliverables (the configuration fragments are named when present)."""
    out = [f"# Security: {text(design.project)}", ""]
    if not has_security(design):
        out += _nothing_declared(design)
        if HBA_CONF in files:
            out += [f"Whatever the spec says, {code(SERVER_CONF)} and {code(HBA_CONF)} require TLS and SCRAM "
                    "passwords for every connection over the network and set up pgaudit: install them as their "
                    "comments say.", ""]
        return "\n".join(out).rstrip() + "\n"
    facts = _Facts.of(design)
    out += ["What the database itself enforces, against whom, and what the application must do. Written for the "
            "platform engineer who provisions the server and its login roles and for the application developer "
            "who connects to it. Every statement named here is in `schema.sql`; the reasons are in `report.md` "
            "(automatic decisions, step *security*).", ""]
    sections = [("Who is protected against what", "threats", _threats(design, facts, files)),
                ("Roles", "roles", _roles(design, facts)),
                ("Privileges", "privileges", _privileges(design, facts)),
                ("Tenant isolation", "tenant-isolation", _tenants(design, facts)),
                ("Personal data (PII)", "pii", _pii(design, facts)),
                ("Audit", "audit", _audit(design, facts, files)),
                ("In transit and at rest", "transit-and-rest", _transit(design, facts, files)),
                ("What validate proves", "validate", _validate(design, facts, files))]
    sections = [s for s in sections if s[2]]
    out += [f"- [{title}](#{anchor})" for title, anchor, _ in sections] + [""]
    for title, anchor, lines in sections:
        out += [f'<a id="{anchor}"></a>', "", f"## {title}", "", *lines]
    return "\n".join(out).rstrip() + "\n"


# ------------------------------------------------------------------ what the design holds


@dataclass
class _Facts:
    """What the sections read, gathered once."""

    roles: dict[str, DatabaseRole]
    grants: dict[str, list[Grant]]  # by role
    tenant: str | None
    root: Table | None
    secured: list[Table]
    pii: list[tuple[Table, str]]  # (table, column) flagged PII, before or after encryption
    encrypted: list[tuple[Table, str]]
    masked: dict[str, str]  # table -> its masking view
    decrypting: list[str]  # roles that may run the decryption function
    hba_users: tuple[str, ...]  # who pg_hba.conf admits: services' login roles, +role for people

    @classmethod
    def of(cls, design: Design) -> _Facts:
        grants: dict[str, list[Grant]] = defaultdict(list)
        for g in design.grants:
            grants[g.role].append(g)
        tenant = design.security.tenant_column if design.row_security else None
        secured = [t for t in design.tables if t.name in set(design.row_security)]
        decrypting = sorted({g.role for g in design.grants if g.on == "function"
                             and g.target.partition("(")[0] in DECRYPTING})
        return cls(roles={r.name: r for r in design.roles}, grants=grants, tenant=tenant,
                   root=tenant_root(design) if tenant else None, secured=secured, pii=_pii_columns(design),
                   encrypted=[(t, c.name) for t in design.tables for c in t.columns if c.plaintext_type],
                   masked=_masked_views(design), decrypting=decrypting, hba_users=hba_users(design))

    def logins(self) -> list[DatabaseRole]:
        """The roles a service logs in through, with one login role each (pg_hba.conf names it)."""
        return [r for r in self.roles.values() if login_role(r.name) in self.hba_users]

    def people(self) -> list[DatabaseRole]:
        """The roles people log in as members of, each with a login of their own (pg_hba.conf: +role)."""
        return [r for r in self.roles.values() if "+" + r.name in self.hba_users]


def _pii_columns(design: Design) -> list[tuple[Table, str]]:
    return [(t, c.name) for t in design.tables for c in t.columns if c.pii]


def _masked_views(design: Design) -> dict[str, str]:
    """table -> the view that shows it with its PII masked (`pii: mask`, security/pii/mask.py)."""
    views = {v.name for v in design.views if v.security_barrier}
    return {t.name: masked_view(t.name) for t in design.tables if masked_view(t.name) in views}


def _has_trail(design: Design) -> bool:
    return any(o.kind == "table" and o.name == AUDIT_TRAIL for o in design.objects)


def _audited(design: Design) -> list[Table]:
    """Tables whose rows carry who created and last changed them."""
    return [t for t in design.tables if t.column("created_by") and t.column("updated_by")]


def _names(names: list[str], noun: str = "table") -> str:
    """`a`, `b` and `c`, or `N tables` when the list is long."""
    if len(names) > _MANY:
        return f"{len(names)} {noun}s"
    quoted = [code(n) for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


# ------------------------------------------------------------------ the page without security


def _nothing_declared(design: Design) -> list[str]:
    return [
        "The spec declares no security needs: no roles, no tenant column, no personal data. `schema.sql` creates "
        "no role and grants nothing, so whoever can connect to the database and owns or is granted its tables can "
        "read and change every row.", "",
        "To have the design protect the data, add a `security:` section to the spec and run `schemawright design` "
        "again:", "",
        "```yaml",
        "security:",
        "  tenant_column: organization_id   # row-level security: each tenant sees its own rows only",
        "  pii: encrypt                     # or mask: columns flagged `pii: true` are encrypted or masked",
        "  roles:                           # one group role per service, with exactly these privileges",
        "    - name: app",
        "      read: [\"*\"]",
        "      write: [\"*\"]",
        "    - name: analytics",
        "      read: [Order, Product]",
        "```", "",
        "Flag personal data on the attributes that hold it (`email: {type: email, pii: true}`). "
        "docs/spec.md describes every key of the section.", ""]


# ------------------------------------------------------------------ threats


def _threats(design: Design, f: _Facts, files: Collection[str]) -> list[str]:
    rows = []
    if f.tenant:
        rows.append([f"Another tenant: a query that forgets `WHERE {f.tenant} = ...`, or a row that points into "
                     "another tenant's data",
                     f"Row-level security on {_names([t.name for t in f.secured])}, forced for the tables' owner "
                     f"too; foreign keys that include {code(f.tenant)}", "[Tenant isolation](#tenant-isolation)"])
    groups = [r for r in f.roles.values() if r.kind == "group"]
    if groups:
        rows.append(["A compromised or buggy service, or a leaked login of one",
                     "Each service's role reaches only the tables and columns its spec role lists; PUBLIC has no "
                     "rights; only the owner may change the schema", "[Roles](#roles), [Privileges](#privileges)"])
    if f.encrypted:
        rows.append(["A stolen disk, backup or dump; an administrator who reads the tables but has no key",
                     f"{len(f.encrypted)} PII column(s) hold pgcrypto ciphertext; the key is never stored in the "
                     "database", "[Personal data](#pii)"])
    if any(g.target in f.masked.values() for g in design.grants):
        rows.append(["A colleague who needs the rows but not the personal data in them (support, analytics)",
                     f"Masked views ({_names(sorted(f.masked.values()), 'view')}): roles without PII access read "
                     "masked values", "[Personal data](#pii)"])
    if _audited(design) or _has_trail(design):
        rows.append(["A change nobody can account for",
                     "Who created and last changed each row, set by a trigger"
                     + ("; an append-only audit trail of every change" if _has_trail(design) else ""),
                     "[Audit](#audit)"])
    if HBA_CONF in files:
        rows.append(["Someone on the network between the application and the server",
                     "TLS 1.2 or later required for every TCP connection; SCRAM passwords",
                     "[In transit and at rest](#transit-and-rest)"])
    out = table(["Against", "What stops it", "Read more"], rows) + [""] if rows else []
    limits = []
    if f.tenant:
        limits.append(f"The database trusts the tenant the application sets ({code(design.security.tenant_setting)}): "
                      "row-level security protects against a query that forgets the tenant, not against an "
                      "application that is itself compromised, which can set any tenant. Its role still limits what "
                      "it can reach, and the audit records what it did.")
    if f.encrypted:
        limits.append("Whoever has the PII key and a role that may decrypt reads PII in clear: keep the key in the "
                      "application's secret store, never in the database, its configuration or a log. The key "
                      "reaches the server with each transaction, so a superuser of the running server can catch it: "
                      "column encryption protects the data on disk and in backups, not from the server's superuser.")
    limits.append("A superuser can read and change everything (row-level security does not apply to it): keep "
                  "superuser logins to the few people who run the server, and give nobody else one.")
    if not f.encrypted:
        limits.append("Data at rest is as safe as the disks and backups: PostgreSQL does not encrypt its files "
                      "(see [In transit and at rest](#transit-and-rest)).")
    return out + ["What it does not protect against:", "", *(f"- {line}" for line in limits), ""]


# ------------------------------------------------------------------ roles


def _roles(design: Design, f: _Facts) -> list[str]:
    if not f.roles:
        return ["The spec declares no roles, so `schema.sql` creates none: every role that can connect and is "
                "granted the tables reads and writes all of them. Add `security.roles` to the spec (one per "
                "service) to get least-privilege group roles.", ""]
    out = ["Every role the design creates is a group role (NOLOGIN): nobody logs in as it. People and services log "
           "in as a *login role* that is a member of one, which the platform team creates with its password (the "
           "design never holds a password). A member has its group's privileges and nothing else.", ""]
    rows = []
    logins, people = f.logins(), f.people()
    for role in f.roles.values():
        login = (code(login_role(role.name)) if role in logins else "one per person, a member" if role in people
                 else "— (see below)" if role.kind == "owner" else "—")
        rows.append([code(role.name), _kind(role), _may(design, f, role), login])
    out += table(["Role", "Kind", "What it may do", "Login role"], rows) + [""]
    if logins or people:
        out += ["Create the login roles once per server, as a role with CREATEROLE, with a password from your "
                "secret store in place of `<password>`: one for each service, and one for each person who needs "
                "an operator's or auditor's rights, named after them (`jane_doe` and the like below).", "", "```sql"]
        out += [f"CREATE ROLE {quote_ident(login_role(r.name))} LOGIN PASSWORD '<password>' IN ROLE "
                f"{quote_ident(r.name)};" for r in logins]
        out += [f"CREATE ROLE {person} LOGIN PASSWORD '<password>' IN ROLE {quote_ident(r.name)};  -- a person"
                for r, person in zip(people, (f"{_PEOPLE[i % len(_PEOPLE)]}{i // len(_PEOPLE) or ''}"
                                               for i in range(len(people))))]
        out += ["```", "",
                "Better, in psql: leave out `PASSWORD '<password>'` and set it with `\\password <login role>`, which "
                "asks for the password and sends only its SCRAM verifier, so the password never appears in a "
                "statement, the server's log (pgaudit logs role statements) or your shell history. Give the "
                "service its login role's name and password through its secret store; rotate a password with "
                "`\\password` again.", ""]
    owner = next((r for r in f.roles.values() if r.kind == "owner"), None)
    if owner is not None:
        out += [f"{code(owner.name)} owns every object. Migrations are run by an administrator: `schema.sql` makes "
                f"the role that runs it a member of {code(owner.name)} and creates everything after `SET ROLE "
                f"{quote_ident(owner.name)}`, so the objects belong to the owner, not to a person. At its end, "
                "`ALTER DEFAULT PRIVILEGES` gives the tables the owner creates later to the roles that have every "
                "table (`*` in the spec) and to the operator, and keeps PUBLIC from running new functions; any "
                "other role reaches a new table only through a GRANT in the migration that creates it.", ""]
    return out


def _kind(role: DatabaseRole) -> str:
    words = _KIND_WORDS.get(role.kind, role.kind)
    if role.spec_role:
        words += f" (spec role {code(role.spec_role)})"
    return words + (", BYPASSRLS" if role.bypass_rls else "")


def _may(design: Design, f: _Facts, role: DatabaseRole) -> str:
    """What a role may do, in words: its description, then its privileges summarised."""
    said = [text(role.description).rstrip(".") + "." if role.description else ""]
    if role.kind != "group":  # the owner's, operator's and auditor's descriptions say it all
        return said[0]
    by_kind: dict[str, list[str]] = defaultdict(list)
    for g in f.grants.get(role.name, []):
        if g.on != "table":
            continue
        privileges = set(g.privileges)
        if g.columns:
            by_kind["some columns of"].append(g.target)
        elif g.target in f.masked.values():
            by_kind["masked"].append(g.target)
        elif _WRITE <= privileges:
            by_kind["writes"].append(g.target)
        elif privileges == {"INSERT"}:
            by_kind["appends"].append(g.target)
        elif "SELECT" in privileges:
            by_kind["reads"].append(g.target)
    everything = len(design.tables)
    for kind, phrase in (("writes", "Reads and writes {}"), ("reads", "Reads {}"),
                         ("appends", "Only adds rows to {} (cannot read, change or delete them)"),
                         ("some columns of", "Reads only some columns of {}"), ("masked", "Reads PII masked through {}")):
        names = [n for n in by_kind.get(kind, []) if n not in (RULE_QUEUE,)]
        if not names:
            continue
        tables = [n for n in names if design.table(n)]
        whole = kind in ("writes", "reads") and len(tables) == everything and everything > _MANY
        said.append(phrase.format("every table" if whole else _names(names)) + ".")
    if role.name in f.decrypting:
        said.append("Decrypts PII (with the key).")
    elif f.encrypted:
        said.append("Cannot decrypt PII.")
    return " ".join(s for s in said if s)


# ------------------------------------------------------------------ privileges


def _privileges(design: Design, f: _Facts) -> list[str]:
    roles = [r for r in f.roles.values() if r.kind != "owner"]
    if not roles or not design.grants:
        return []
    cells: dict[tuple[str, str], set[str]] = defaultdict(set)
    partial: dict[tuple[str, str], tuple[str, ...]] = {}
    functions: dict[str, list[str]] = defaultdict(list)
    for g in design.grants:
        if g.on == "function":
            functions[g.target].append(g.role)
            continue
        if g.on != "table":
            continue
        cells[(g.target, g.role)].update(g.privileges)
        if g.columns and "SELECT" in g.privileges:
            partial[(g.target, g.role)] = g.columns
    targets = [t.name for t in design.tables]
    targets += sorted({target for target, _ in cells} - set(targets))
    notes: list[str] = []
    rows = []
    for target in targets:
        row = [_target(design, target, f)]
        for role in roles:
            row.append(_cell(cells.get((target, role.name), set()), partial.get((target, role.name)), target,
                             design, notes))
        rows.append(row)
    out = ["Who may do what to each table (the owner, not shown, owns them all). **R** reads, **W** inserts, "
           "updates and deletes, **A** only adds rows, **R\\*** reads only the columns listed under the table, "
           "— nothing." + (" Row-level security then narrows every role but the operator to its tenant's rows."
                           if f.tenant else ""), ""]
    out += table(["Table", *(code(r.name) for r in roles)], rows, align="l" + "c" * len(roles)) + [""]
    if notes:
        out += ["\\* Columns it may read:", "", *notes, ""]
    if functions:
        out += ["Functions a role may run (EXECUTE; PUBLIC may run none):", ""]
        out += table(["Function", "Roles"], [[code(name), ", ".join(code(r) for r in sorted(who))]
                                             for name, who in sorted(functions.items())]) + [""]
    return out


def _target(design: Design, name: str, f: _Facts) -> str:
    if design.table(name) is not None:
        return code(name)
    if name in f.masked.values():
        return f"{code(name)} (view)"
    if name == AUDIT_TRAIL:
        return f"{code(name)} (audit trail)"
    if name == RULE_QUEUE:
        return f"{code(name)} (business rules' queue)"
    return code(name)


def _cell(privileges: set[str], columns: tuple[str, ...] | None, target: str, design: Design,
          notes: list[str]) -> str:
    if not privileges:
        return "—"
    read = ""
    if "SELECT" in privileges:
        read = "R*" if columns else "R"
    if _WRITE <= privileges:
        write = "W"
    elif privileges & _WRITE == {"INSERT"}:
        write = "A"
    else:
        write = "".join(p[0] for p in ("INSERT", "UPDATE", "DELETE") if p in privileges)
    if columns:
        t = design.table(target)
        hidden = [c.name for c in t.columns if c.name not in columns] if t else []
        which = (f"every column but {_names(hidden, 'column')}" if hidden and len(hidden) <= len(columns)
                 else _names(list(columns), "column"))
        note = f"- {code(target)}: {which}"
        if note not in notes:
            notes.append(note)
    return (read.replace("*", "\\*") + write) or "—"


# ------------------------------------------------------------------ tenants


def _tenants(design: Design, f: _Facts) -> list[str]:
    if not f.tenant:
        return []
    tenant, setting = f.tenant, design.security.tenant_setting
    root = f.root
    out = [f"Rows belong to a tenant through {code(tenant)}"
           + (f" (a row of {code(root.name)})" if root else "") + ". Row-level security is enabled **and forced** on "
           f"{len(f.secured)} tables: the database adds the tenant filter to every statement, so a query that "
           "forgets it returns or changes nothing of another tenant. FORCE subjects the tables' owner too; only a "
           "superuser and the operator role (BYPASSRLS) are not filtered.", ""]
    example = next((t for t in f.secured if root is None or t.name != root.name), None)
    if example is not None:
        column = example.column(tenant)
        value = tenant_value(design, column.sql_type if column else "bigint")
        out += [f"The current tenant is the setting {code(setting)}, read as {code(value)}: when the application "
                "did not set it, it is NULL and no row matches. Each table has one policy per command, for "
                f"example {code(example.name)} (*current tenant* stands for that expression):", ""]
        out += table(["Policy", "Command", "Rows it may see or change (USING)", "Rows it may write (WITH CHECK)"],
                     [_policy_row(p, value) for p in design.policies if p.table == example.name]) + [""]
    if root is not None:
        out += [f"{code(root.name)} is the tenants' own table: a tenant sees and changes its own row (its "
                f"{code(root.primary_key.columns[0] if root.primary_key else 'id')} is the setting), and any role "
                "with INSERT may create a new tenant (sign-up), which the creator then sees only once it sets the "
                "new tenant.", ""]
    shared = [t.name for e in design.security.shared if (t := design.table_for_entity(e) or design.table(e))]
    if shared:
        out += [f"Shared rows: in {_names(shared)}, rows whose {code(tenant)} is NULL are platform-wide data every "
                "tenant may read (but not change).", ""]
    out += ["**The application side.** Set the tenant inside each transaction, before its first statement:", "",
            "```sql", "BEGIN;",
            f"SELECT set_config({quote_literal(setting)}, $1, true);  -- $1: the tenant's id as text; true: this "
            "transaction only", "-- ... the transaction's statements ...", "COMMIT;", "```", "",
            "With psycopg (any driver is the same: a bound parameter, inside the transaction):", "",
            "```python", "with conn.transaction():",
            f"    conn.execute(\"SELECT set_config({quote_literal(setting)}, %s, true)\", [str(tenant_id)])",
            "    conn.execute(...)  # every statement of the transaction sees this tenant only", "```", "",
            "`set_config(..., true)` is `SET LOCAL` with a bound parameter (`SET` takes no parameters, and a tenant "
            "id pasted into SQL text is an injection risk). The value ends with the transaction, which is what "
            "makes it safe behind a connection pooler in transaction mode (PgBouncer `pool_mode = transaction`): "
            "the next transaction on the same server connection, maybe another tenant's request, starts without it. "
            "A plain `SET` would stay on the connection and hand this tenant to whoever gets it next. Outside a "
            "transaction block (autocommit) the setting lasts for one statement only.", "",
            f"Without the setting, reads return no rows and writes are refused (SQLSTATE `42501`, *new row violates "
            f"row-level security policy*). A row cannot be moved to another tenant: UPDATE checks the new "
            f"{code(tenant)} too.", ""]
    added = _added_tenant_columns(design, tenant)
    if added:
        out += [f"{_names(added)} {'have' if len(added) > 1 else 'has'} no tenant in the spec but reference "
                f"tenant-owned rows, so the design added the tenant column {code(tenant)} to "
                f"{'each' if len(added) > 1 else 'it'}, with the current tenant as its default: row-level security "
                "can filter these rows too, and their foreign keys can include the tenant.", ""]
    keys = _tenant_keys(design, tenant)
    if keys:
        out += [f"**Composite foreign keys.** A foreign key between two tenant-owned tables includes {code(tenant)}, "
                "so the database refuses a row that points into another tenant, whatever the application sends "
                "(SQLSTATE `23503`):", ""]
        out += table(["Table", "Foreign key", "References"],
                     [[code(t), code(name), f"{code(ref)} ({', '.join(code(c) for c in refs)})"]
                      for t, name, _cols, ref, refs in keys]) + [""]
    unscoped = next((d for d in design.decisions if d.subject == "patterns that do not name the tenant"), None)
    if unscoped is not None:
        names = ", ".join(code(n) for n in unscoped.choice.split(", "))
        out += [f"**Access patterns that leave the tenant to the policies:** {names}. They compare no "
                f"{code(tenant)} with a value, so they read the current tenant's rows only. That is right for a read "
                "inside one tenant (the comments of an issue the user opened). A read meant to cross tenants (the "
                "organizations a user belongs to) or to run before the tenant is known (looking up an API token or "
                "a login) returns nothing without the setting, or only the current tenant's rows: run it as the "
                "operator role, or give it a SECURITY DEFINER function of its own that checks what it may return.",
                ""]
    operator = next((r for r in f.roles.values() if r.kind == "operator"), None)
    if operator is not None:
        out += [f"**The bypass.** {code(operator.name)} has BYPASSRLS: its members see and change every tenant's "
                "rows, for support and maintenance. Grant it to people for the time they need it, never to a "
                "service; pgaudit and the audit columns record what they do.", ""]
    return out


def _policy_row(p: Policy, tenant_sql: str) -> list[str]:
    def said(expression: str | None) -> str:
        if not expression:
            return "—"
        parts = [part.strip() for part in expression.split(tenant_sql)]
        return " *current tenant* ".join(code(part) if part else "" for part in parts).strip()

    return [code(p.name), p.command.upper(), said(p.using), said(p.check)]


def _added_tenant_columns(design: Design, tenant: str) -> list[str]:
    """Tables the security stage gave a tenant column (its default reads the tenant setting)."""
    out = []
    for t in design.tables:
        column = t.column(tenant)
        if column is not None and column.default == tenant_value(design, column.sql_type):
            out.append(t.name)
    return out


def _tenant_keys(design: Design, tenant: str) -> list[tuple[str, str, tuple[str, ...], str, tuple[str, ...]]]:
    return [(t.name, fk.name, fk.columns, fk.ref_table, fk.ref_columns) for t in design.tables
            for fk in t.foreign_keys
            if len(fk.columns) > 1 and fk.columns[0] == tenant and fk.ref_columns[:1] == (tenant,)]


# ------------------------------------------------------------------ PII


def _pii(design: Design, f: _Facts) -> list[str]:
    if not f.pii and not f.encrypted:
        return []
    mode = design.security.pii
    out: list[str] = []
    if f.encrypted:
        key = design.security.key_setting
        hashes = {(t.name, c.blind_index_of): c.name for t in design.tables for c in t.columns if c.blind_index_of}
        out += ["`pii: encrypt`: each PII column holds pgcrypto ciphertext (`pgp_sym_encrypt`, AES-256), so the "
                "table's files, the WAL, replicas, backups and dumps hold no PII in clear. The key is never in the "
                f"database: the application sets it in each transaction, in the setting {code(key)}, as it sets the "
                "tenant.", ""]
        out += table(["Column", "Holds", "Lookups and uniqueness"],
                     [[code(f"{t.name}.{c}"), f"ciphertext of a {code(t.column(c).plaintext_type)} value",  # type: ignore[union-attr]
                       f"blind index {code(hashes[(t.name, c)])}" if (t.name, c) in hashes else "none needed"]
                      for t, c in f.encrypted]) + [""]
        readers = ", ".join(code(r) for r in f.decrypting) or "no role"
        out += ["**The application side**, inside the transaction (with a column of this design):", "", "```sql",
                *_pii_example(design, f, key), "```", "",
                "The spec's access patterns that look such a value up are rewritten to the blind index already "
                "(report.md, step *security*).", "",
                f"Roles that may decrypt: {readers}; the others read ciphertext only. A blind index is a keyed hash "
                "(HMAC) of the value: equal values give equal hashes, so it serves `=` lookups and unique keys, "
                "while nobody without the key can test a guess. A value that is not ciphertext under the session's "
                "key is refused on write (the table's PII trigger decrypts it), so no plaintext lands on disk by "
                "mistake. Without the key set, reading or writing a PII value raises an error; the other columns "
                "work as usual.", "",
                "Rotating the key means decrypting and re-encrypting every PII value (and recomputing the blind "
                "indexes) in one maintenance job: plan for it before the first key leaks.", ""]
    if f.masked:
        out += ["`pii: mask`: roles that may not read PII in clear read it masked. For each table with PII the "
                "design creates a view `<table>_masked` with every column, the PII ones masked "
                "(`security_barrier`, so a caller's condition cannot run before the masking); such roles get "
                "SELECT on the table's other columns and on the view, never on the PII columns.", ""]
        out += table(["Table", "PII columns", "Masked view", "Read masked by", "Read in clear by"],
                     [[code(t), _names([c for tb, c in f.pii if tb.name == t], "column"), code(view),
                       _roles_of(design, view, whole=True), _roles_of(design, t, whole=True)]
                      for t, view in sorted(f.masked.items())]) + [""]
        if f.roles:
            out += ["A role that writes a table reads its PII in clear (it supplies the values anyway); a read-only "
                    "role reads them masked unless its spec role says `pii: true`.", ""]
        else:
            out += ["The spec declares no roles, so nobody is held to the masked views yet: whoever may read the "
                    "tables reads the PII in clear. Declare the services as `security.roles` and the read-only "
                    "ones get the masked views instead of the PII columns.", ""]
    plain = [(t, c) for t, c in f.pii if (t, c) not in f.encrypted and t.name not in f.masked]
    if plain:
        why = ("`pii: none`: the spec asks for no protection" if mode == "none"
               else "no role is declared that must not read them" if not f.roles else "no masked view applies")
        out += [f"Stored in clear ({why}): " + ", ".join(code(f"{t.name}.{c}") for t, c in plain) + ".", ""]
    return out


def _pii_example(design: Design, f: _Facts, key: str) -> list[str]:
    """Setting the key, writing, reading and looking up one encrypted column of the design."""
    hashes = {(t.name, c.blind_index_of): c.name for t in design.tables for c in t.columns if c.blind_index_of}
    table, column = next(((t, c) for t, c in f.encrypted if (t.name, c) in hashes), f.encrypted[0])
    name, col = quote_ident(table.name), quote_ident(column)
    key_column = quote_ident(table.primary_key.columns[0]) if table.primary_key else "id"
    lines = [f"SELECT set_config({quote_literal(key)}, $1, true);  -- $1: the key, from the secret store",
             f"-- write: pass the plaintext through {ENCRYPT_FUNCTION}()",
             f"INSERT INTO {name} ({col}, ...) VALUES ({ENCRYPT_FUNCTION}($2), ...);",
             f"-- read: {DECRYPT_FUNCTION}() gives it back (to the roles that may decrypt)",
             f"SELECT {DECRYPT_FUNCTION}({col}) AS {col} FROM {name} WHERE {key_column} = $3;"]
    if (table.name, column) in hashes:
        semantic = table.column(column).semantic  # type: ignore[union-attr]
        lines += ["-- look up by value: compare the blind index, never the ciphertext",
                  f"SELECT {key_column} FROM {name} WHERE {quote_ident(hashes[(table.name, column)])} = "
                  f"{blind_sql(semantic, '$4')};"]
    return lines


def _roles_of(design: Design, target: str, *, whole: bool) -> str:
    """The roles that may SELECT `target` (`whole`: every column of it)."""
    names = sorted({g.role for g in design.grants if g.target == target and "SELECT" in g.privileges
                    and not (whole and g.columns)})
    return ", ".join(code(n) for n in names) or "—"


# ------------------------------------------------------------------ audit


def _audit(design: Design, f: _Facts, files: Collection[str]) -> list[str]:
    audited = _audited(design)
    out: list[str] = []
    if audited:
        out += [f"`created_by` and `updated_by` on {_names([t.name for t in audited])} are set by a trigger, "
                "whatever the client sends: the application's end user from the setting "
                f"{code(design.security.user_setting)} (set in each transaction with `set_config(..., true)`"
                f"{', like the tenant' if f.tenant else ''}), else the database role. On UPDATE the trigger keeps `created_at` and `created_by` as they were, so a row's "
                "history cannot be rewritten through them.", ""]
    if _has_trail(design):
        entities = ", ".join(code(e) for e in design.security.audit_trail)
        auditor = next((r.name for r in f.roles.values() if r.kind == "auditor"), None)
        out += [f"The audit trail {code(AUDIT_TRAIL)} records every change to {entities or 'the audited entities'}: "
                "who, when, the row's key, and the old and new rows as jsonb. It is append-only: UPDATE, DELETE and "
                "TRUNCATE of it are refused, for its owner too; it is written by triggers only, so no application "
                "role may write it."
                + (f" {code(auditor)} reads it." if auditor else "")
                + " The data dictionary describes its columns and how to read a row's history.", ""]
    if SERVER_CONF in files:
        out += [f"Statement auditing: {code(SERVER_CONF)} loads pgaudit, which logs every change to the schema and "
                "to privileges (and, where the data calls for it, every write) with the role that ran it. Bound "
                "parameter values are not logged, so PII and keys passed as parameters stay out of the log.", ""]
    return out


# ------------------------------------------------------------------ transit and rest


def _transit(design: Design, f: _Facts, files: Collection[str]) -> list[str]:
    out = []
    if HBA_CONF in files or SERVER_CONF in files:
        who = ("admits only this design's login roles, each with a SCRAM password" if f.hba_users
               else "asks every login for a SCRAM password")
        out += [f"In transit: {code(SERVER_CONF)} turns TLS on (1.2 at least) and stores passwords as SCRAM "
                f"verifiers; {code(HBA_CONF)} refuses every TCP connection without TLS and {who} (never `trust`, "
                "never md5). Install the server's certificate and key, include "
                "the first file at the end of postgresql.conf, put the second in place of pg_hba.conf, and restart. "
                "Clients should connect with `sslmode=verify-full` so they also check the server's name.", ""]
    else:
        out += ["In transit: turn TLS on (`ssl = on`, `ssl_min_protocol_version = 'TLSv1.2'`), accept TCP "
                "connections with `hostssl ... scram-sha-256` lines only in pg_hba.conf, and connect with "
                "`sslmode=verify-full`.", ""]
    covered = (f"What the design itself covers: the {len(f.encrypted)} PII column(s) are encrypted with the "
               "application's key before they are stored, so their values stay safe on a stolen disk or backup "
               "even without the measures above; every other column is stored in clear." if f.encrypted else
               "The design encrypts no column (the spec's `pii` is not `encrypt`), so every value is stored in "
               "clear in the data files.")
    out += ["At rest: **PostgreSQL has no built-in transparent data encryption.** Its data files, WAL, temporary "
            "files and base backups hold the data as written. What covers them:", "",
            "- encryption of the volume or disk the data directory and WAL live on (LUKS/dm-crypt, or your cloud's "
            "encrypted volumes, which managed databases turn on by default);",
            "- encrypted backups: pgBackRest's `repo1-cipher-type = aes-256-cbc`, or a storage bucket with "
            "server-side encryption and keys you control; a `pg_dump` file is plaintext until you encrypt it.", "",
            covered, ""]
    return out


# ------------------------------------------------------------------ validate


def _validate(design: Design, f: _Facts, files: Collection[str]) -> list[str]:
    proofs = []
    if f.roles:
        proofs.append("**Roles.** Acting as each role in turn (through a login that is a member of it, in a "
                      "transaction rolled back after each statement), validate tries what the role must not do and "
                      "expects a refusal: read, write or TRUNCATE a table or column it was not granted, read PII in "
                      "clear (a PII column, or the decrypting function), CREATE, ALTER or DROP anything, GRANT what "
                      "it holds, and switch tenant or role by another route than the tenant setting (SET ROLE, SET "
                      "SESSION AUTHORIZATION, DISABLE or NO FORCE ROW LEVEL SECURITY, DROP POLICY, row_security = "
                      "off). It also does what the role must be able to do, on a real row of its tenant, and expects "
                      "it to succeed. What a role may do is worked out again from the spec, not read from the "
                      "grants, so a grant too many is an attack that succeeds.")
    if f.tenant:
        proofs.append("**Tenants.** With synthetic rows for at least five tenants, each table shows a tenant no "
                      "more rows than it has, and none without the setting; every access pattern, run for each "
                      "tenant with parameters drawn from its own rows and from the others', returns exactly what "
                      "the same statement returns over that tenant's rows alone (a row more is a leak); UPDATE and "
                      "DELETE of another tenant's rows change nothing, an INSERT or a move into another tenant is "
                      "refused, and a row pointing at another tenant's row is refused by its foreign key.")
    if HBA_CONF in files:
        proofs.append(f"**Transport.** A throw-away server started with {code(SERVER_CONF)}, {code(HBA_CONF)} and a "
                      "self-signed certificate refuses a connection without TLS, accepts one with TLS and the SCRAM "
                      "password and refuses a wrong password, requires TLS 1.2, and pgaudit logs each class the "
                      "settings promise without a bound value or the password.")
    if not proofs:
        return []
    return ["`schemawright validate` applies `schema.sql` to a scratch database, loads synthetic rows and attacks "
            "it; each outcome is counted in its report, and one accepted attack or one leaked row fails it.", "",
            *(f"- {p}" for p in proofs), ""]


# ------------------------------------------------------------------ the report's summary


def security_summary(design: Design) -> list[str]:
    """report.md's security section: what the design enforces, in a few lines, pointing to security.md."""
    if not has_security(design):
        return ["The spec declares no security needs (no roles, no tenant column, no personal data), so the design "
                "creates no role and no policy.", ""]
    f = _Facts.of(design)
    groups = [r for r in f.roles.values() if r.kind == "group"]
    out = []
    if f.roles:
        others = [_KIND_WORDS.get(r.kind, r.kind) for r in f.roles.values() if r.kind not in ("group", "owner")]
        out.append(f"- **Roles:** {len(groups)} service role(s) ({', '.join(code(r.name) for r in groups) or 'none'})"
                   f" with exactly the privileges their spec role lists, an owner that alone may change the schema"
                   + (f", and the {' and '.join(others)}" if others else "") + "; PUBLIC has no rights.")
    elif design.security.roles:
        out.append("- **Roles:** none created (the spec's roles were not designed).")
    else:
        out.append("- **Roles:** none declared, so none are created.")
    if f.tenant:
        keys = len(_tenant_keys(design, f.tenant))
        out.append(f"- **Tenant isolation:** row-level security, enabled and forced, on {len(f.secured)} tables, "
                   f"keyed on the setting {code(design.security.tenant_setting)}; {keys} foreign key(s) include "
                   f"{code(f.tenant)}.")
    else:
        out.append("- **Tenant isolation:** none (single tenant).")
    if f.encrypted:
        hashes = sum(1 for t in design.tables for c in t.columns if c.blind_index_of)
        out.append(f"- **PII:** {len(f.encrypted)} column(s) encrypted with pgcrypto, {hashes} blind index(es); the "
                   f"key comes from the application in {code(design.security.key_setting)}.")
    elif f.masked:
        out.append(f"- **PII:** {len(f.pii)} column(s), masked through {_names(sorted(f.masked.values()), 'view')} "
                   "for the roles that may not read them in clear.")
    elif f.pii:
        out.append(f"- **PII:** {len(f.pii)} column(s), stored in clear.")
    else:
        out.append("- **PII:** none flagged.")
    audited = _audited(design)
    if audited or _has_trail(design):
        out.append("- **Audit:** " + "; ".join(
            ([f"`created_by`/`updated_by` set by trigger on {len(audited)} table(s)"] if audited else [])
            + ([f"append-only {code(AUDIT_TRAIL)} of " + ", ".join(code(e) for e in design.security.audit_trail)]
               if _has_trail(design) else [])) + ".")
    return out + ["", "[security.md](security.md) tells what each role may do, how the application sets the tenant "
                  "and the key, how to create the login roles, and what protects the data in transit and at rest.",
                  ""]
