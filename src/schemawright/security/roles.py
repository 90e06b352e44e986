"""Roles and least privilege, from the spec's `security.roles`.

An owner role owns every object and is the only one allowed DDL; each spec role becomes a
NOLOGIN group role with exactly the privileges its `read`, `write`, `append` and
`read_columns` give; an operator role bypasses row-level security for support work; an
auditor role reads the audit trail.  Nobody logs in as a group: a login role per group is
documented (security.md) and created by the platform team with its password.
"""

from __future__ import annotations

from collections.abc import Iterable

from schemawright import model as m
from schemawright.security.names import auditor_role, operator_role, owner_role, role_name

WRITE = ("SELECT", "INSERT", "UPDATE", "DELETE")
AUDIT_TRAIL = "audit_trail"  # the audit stage's table (integrity/audit.py)
RULE_QUEUE = "rule_checks_pending"  # the business rules' queue (integrity/invariants.py)
# Functions that decrypt PII: only roles that read PII in clear may run them.
DECRYPTING = frozenset({"pii_decrypt"})


def wants_security(design: m.Design) -> bool:
    """The stage designs roles when the spec gives roles or a tenant column."""
    return bool(design.security.roles or design.security.tenant_column)


def grant_privileges(design: m.Design) -> m.Design:
    if not wants_security(design):
        return design
    roles = [m.DatabaseRole(name=owner_role(design), kind="owner",
                            description="Owns every table, view and function; the only role allowed DDL. Migrations "
                                        "run as a member of it (SET ROLE); nobody logs in as it.")]
    grants: list[m.Grant] = []
    for spec_role in design.security.roles:
        name = role_name(design, spec_role.name)
        roles.append(m.DatabaseRole(name=name, kind="group", spec_role=spec_role.name,
                                    description=spec_role.description or f"The spec's role {spec_role.name}."))
        grants += _role_grants(design, spec_role, name)
    operator = operator_role(design)
    roles.append(m.DatabaseRole(name=operator, kind="operator", bypass_rls=True,
                                description="Support and maintenance across tenants: reads and writes every table, "
                                            "row-level security does not apply (BYPASSRLS). Grant it to people, "
                                            "never to a service."))
    grants += [m.Grant(role=operator, privileges=WRITE, on="table", target=t.name,
                       reason="the operator works across tenants") for t in design.tables]
    if _has_table(design, AUDIT_TRAIL):
        auditor = auditor_role(design)
        roles.append(m.DatabaseRole(name=auditor, kind="auditor", description="Reads the audit trail, nothing else."))
        grants.append(m.Grant(role=auditor, privileges=("SELECT",), on="table", target=AUDIT_TRAIL,
                              reason="reads who changed what; nobody may write the trail but its trigger"))
        grants.append(m.Grant(role=operator, privileges=("SELECT",), on="table", target=AUDIT_TRAIL,
                              reason="operators read the history of a row they support"))
    decision = m.Decision(
        step="security", subject="roles",
        choice=f"owner {roles[0].name}, {len(design.security.roles)} group role(s), operator {operator}",
        reason="least privilege: each service gets exactly the tables and columns its spec role lists, PUBLIC gets "
               "nothing, only the owner may change the schema, and default privileges keep future objects the same")
    return design.model_copy(update={"roles": tuple(roles), "grants": tuple(grants),
                                     "decisions": design.decisions + (decision,)})


def _has_table(design: m.Design, name: str) -> bool:
    return design.table(name) is not None or any(o.name == name and o.kind == "table" for o in design.objects)


def _tables(design: m.Design, entities: Iterable[str]) -> set[str]:
    """Tables of the named entities (or relationships), with their list tables; '*' is every table."""
    names = set(entities)
    if "*" in names:
        return {t.name for t in design.tables}
    tables = {t.name for e in names if (t := design.table_for_entity(e) or design.table(e))}
    return tables | {t.name for t in design.tables if t.kind == "list" and t.entity in names}


def _junctions(design: m.Design, ends: set[str], either: set[str]) -> set[str]:
    """Junction tables whose referenced tables are all in `ends` and at least one in `either`."""
    out = set()
    for table in design.tables:
        refs = {fk.ref_table for fk in table.foreign_keys}
        if table.kind == "junction" and refs and refs <= ends and refs & either:
            out.add(table.name)
    return out


def reads_pii_in_clear(role: m.Role, writes: set[str], table: str) -> bool:
    """A role that writes a table knows its values; a read-only role sees PII only when `pii: true`."""
    return role.pii if role.pii is not None else table in writes


def intended_grants(design: m.Design, role: m.Role, name: str) -> list[m.Grant]:
    """What the spec role's lists give its group role `name`, worked out again from the spec:
    validate's attacks (validation/attack_roles.py) hold the database to it, so a grant the
    design or the database added on top is an attack that succeeds."""
    return _role_grants(design, role, name)


def _role_grants(design: m.Design, role: m.Role, name: str) -> list[m.Grant]:
    writes = _tables(design, role.write)
    reads = _tables(design, role.read) | writes
    writes |= _junctions(design, reads, writes)
    reads |= _junctions(design, reads, reads)
    appends = _tables(design, role.append) - writes
    grants = []
    for table in design.tables:
        if table.name not in reads and table.name not in appends:
            continue
        privileges = WRITE if table.name in writes else ("SELECT",) if table.name in reads else ("INSERT",)
        hidden = _masked_columns(design, role, writes, table) if table.name in reads else ()
        if hidden:
            visible = tuple(c.name for c in table.columns if c.name not in hidden)
            grants.append(m.Grant(role=name, privileges=("SELECT",), on="table", target=table.name, columns=visible,
                                  reason=f"every column but the PII ({', '.join(hidden)}), read masked in the view"))
            grants.append(m.Grant(role=name, privileges=("SELECT",), on="table", target=f"{table.name}_masked",
                                  reason="PII masked"))
            privileges = tuple(p for p in privileges if p != "SELECT")
        if privileges:
            grants.append(m.Grant(role=name, privileges=privileges, on="table", target=table.name,
                                  reason=_why(table.name, writes, reads)))
    grants += _column_grants(design, role, name, reads)
    if writes and _has_table(design, RULE_QUEUE):
        grants.append(m.Grant(role=name, privileges=("SELECT", "INSERT", "DELETE"), on="table", target=RULE_QUEUE,
                              reason="the business rules' triggers queue the groups a write changes"))
    for function in design.functions:
        if function.returns == "trigger":
            continue  # a trigger's function runs for whoever fires it; nobody calls it
        clear = any(reads_pii_in_clear(role, writes, t.name) for t in design.tables if t.name in reads)
        if function.name in DECRYPTING and not clear:
            continue
        types = ", ".join(a.type for a in function.arguments)
        grants.append(m.Grant(role=name, privileges=("EXECUTE",), on="function", target=f"{function.name}({types})",
                              reason="decrypts PII it may read" if function.name in DECRYPTING
                              else "a function of the design its statements call"))
    return grants


def _masked_columns(design: m.Design, role: m.Role, writes: set[str], table: m.Table) -> tuple[str, ...]:
    """PII columns this role reads masked: only where the design has the masked view."""
    if design.security.pii != "mask" or reads_pii_in_clear(role, writes, table.name):
        return ()
    if not any(v.name == f"{table.name}_masked" for v in design.views):
        return ()
    return tuple(c.name for c in table.columns if c.pii)


def _column_grants(design: m.Design, role: m.Role, name: str, reads: set[str]) -> list[m.Grant]:
    by_table: dict[str, list[str]] = {}
    for item in role.read_columns:
        entity, _, attribute = item.partition(".")
        table = design.table_for_entity(entity) or design.table(entity)
        if table is None or table.name in reads:
            continue
        column = next((c.name for c in table.columns if c.source == item or c.name == attribute), attribute)
        by_table.setdefault(table.name, []).append(column)
    return [m.Grant(role=name, privileges=("SELECT",), on="table", target=table, columns=tuple(columns),
                    reason="only these columns (read_columns)") for table, columns in sorted(by_table.items())]


def _why(table: str, writes: set[str], reads: set[str]) -> str:
    if table in writes:
        return "listed in write (or a junction of tables it writes)"
    if table in reads:
        return "listed in read"
    return "append only: it adds rows and may not read, change or delete them"
