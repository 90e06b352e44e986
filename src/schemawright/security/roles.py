"""Roles and least privilege, from the spec's `security.roles`.

An owner role owns every object and is the only one allowed DDL; each spec role becomes a
NOLOGIN group role with exactly the privileges its `read`, `write`, `append` and
`read_columns` give; an operator role bypasses row-level security for support work; an
auditor role reads the audit trail.  Nobody logs in as a group: a login role per group is
documented (security.md) and created by the platform team with its password.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from schemawright import model as m
from schemawright.integrity.audit import AUDIT_COLUMNS_FUNCTION
from schemawright.integrity.audit_trail import REFUSE_FUNCTION
from schemawright.security.pii.functions import (
    BLIND_FUNCTION,
    DECRYPT_FUNCTION,
    ENCRYPT_FUNCTION,
    KEY_FUNCTION,
    guard_name,
)
from schemawright.sql.quoting import quote_ident as q
from schemawright.security.names import auditor_role, checker_role, operator_role, owner_role, role_name

WRITE = ("SELECT", "INSERT", "UPDATE", "DELETE")
AUDIT_TRAIL = "audit_trail"  # the audit stage's table (integrity/audit.py)
RULE_QUEUE = "rule_checks_pending"  # the business rules' queue (integrity/invariants.py)
DECRYPTING = frozenset({DECRYPT_FUNCTION})  # only roles that read PII in clear may run it
MAINTENANCE_SUFFIX = "_partition_maintenance"  # partitioning/maintenance.py: the operator's (or a job's)


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
    tenants = bool(design.row_security)
    roles.append(m.DatabaseRole(name=operator, kind="operator", bypass_rls=tenants,
                                description="Support and maintenance" + (" across tenants" if tenants else "") +
                                            ": reads and writes every table" + (", row-level security does not "
                                            "apply (BYPASSRLS)" if tenants else "") + ", runs partition "
                                            "maintenance. Grant it to people, never to a service."))
    grants += [m.Grant(role=operator, privileges=WRITE, on="table", target=t.name,
                       reason="support and maintenance" + (" across tenants" if design.row_security else ""))
               for t in design.tables]
    everything = {t.name for t in design.tables}
    grants += function_grants(design, operator, everything, everything, clear=False)
    grants += [m.Grant(role=operator, privileges=("EXECUTE",), on="function", target=f"{f.name}()",
                       reason="keeps the partitions ahead of time (or a scheduled job that is a member)")
               for f in design.functions if f.name.endswith(MAINTENANCE_SUFFIX) and not f.arguments]
    if _has_table(design, AUDIT_TRAIL):
        auditor = auditor_role(design)
        roles.append(m.DatabaseRole(name=auditor, kind="auditor", description="Reads the audit trail, nothing else."))
        grants.append(m.Grant(role=auditor, privileges=("SELECT",), on="table", target=AUDIT_TRAIL,
                              reason="reads who changed what; nobody may write the trail but its trigger"))
        grants.append(m.Grant(role=operator, privileges=("SELECT",), on="table", target=AUDIT_TRAIL,
                              reason="operators read the history of a row they support"))
    design, checker_grants = _rule_checker(design, roles)
    grants += checker_grants
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
    clear = any(reads_pii_in_clear(role, writes, t) for t in reads)
    grants += function_grants(design, name, reads, writes, clear)
    return grants


def function_grants(design: m.Design, role: str, reads: set[str], writes: set[str], clear: bool) -> list[m.Grant]:
    """EXECUTE on the functions the role's statements need: never a trigger's function (it runs
    for whoever fires it), partition maintenance only for the operator, and the PII functions
    by what the role does: encrypt what it writes, look up by keyed hash what it reads or
    writes, decrypt only what it may read in clear."""
    encrypted = {t.name for t in design.tables if any(c.plaintext_type for c in t.columns)}
    hashed = {t.name for t in design.tables if any(c.blind_index_of for c in t.columns)}
    needs = {ENCRYPT_FUNCTION: "encrypts the PII it writes" if writes & encrypted else "",
             DECRYPT_FUNCTION: "decrypts the PII it may read in clear" if clear and reads & encrypted else "",
             BLIND_FUNCTION: "looks PII up by its keyed hash" if (reads | writes) & hashed else ""}
    grants = []
    for function in design.functions:
        if function.returns == "trigger" or function.name.endswith(MAINTENANCE_SUFFIX):
            continue
        if function.name == KEY_FUNCTION:
            why = "the PII functions it may run read the key the application set" if any(needs.values()) else ""
        else:
            why = needs.get(function.name, "a function of the design its statements may call")
        if why:
            types = ", ".join(a.type for a in function.arguments)
            grants.append(m.Grant(role=role, privileges=("EXECUTE",), on="function",
                                  target=f"{function.name}({types})", reason=why))
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


def _rule_checker(design: m.Design, roles: list[m.DatabaseRole]) -> tuple[m.Design, list[m.Grant]]:
    """The functions that keep the data consistent (business rules, copied columns, declared
    dependencies) run with the rights of a role of their own (SECURITY DEFINER), not their
    caller's: a rule must see every row of a group whichever tenant, role or operator writes,
    lock a parent row FOR SHARE (which takes UPDATE privilege) for a role that may only read
    it, fill a copied column from a table the writer may not read, and queue its checks without
    any role being granted the queue, check written PII is ciphertext under the session's key.
    Left to their caller: the audit columns' function (it names the caller) and the functions
    that already run as their owner (the audit trail)."""
    fired = {t.function for t in design.triggers}
    functions = {f.name for f in design.functions if f.name in fired and not f.security_definer
                 and f.name not in (AUDIT_COLUMNS_FUNCTION, REFUSE_FUNCTION)}
    if not functions:
        return design, []
    checker = checker_role(design)
    roles.append(m.DatabaseRole(name=checker, kind="checker", bypass_rls=True,
                                description="Owns the functions that keep the data consistent (rules, copies), "
                                            "which run with its rights; nobody logs in as it or is granted it."))
    bodies = " ".join(f.body for f in design.functions if f.name in functions)
    changed = {t.name for t in design.tables if re.search(rf"\bUPDATE\s+{re.escape(q(t.name))}\s", bodies)}
    locked = {t.name for t in design.tables if re.search(rf"FROM\s+{re.escape(q(t.name))}\s[^;]*FOR SHARE", bodies)}
    grants = []
    for table in design.tables:
        privileges = ("SELECT", "UPDATE") if table.name in changed | locked else ("SELECT",)
        reason = ("its functions change copied columns in it" if table.name in changed
                  else "a rule locks its rows FOR SHARE (which takes UPDATE privilege)" if table.name in locked
                  else "the rules read it")
        grants.append(m.Grant(role=checker, privileges=privileges, on="table", target=table.name, reason=reason))
    if _has_table(design, RULE_QUEUE):
        grants.append(m.Grant(role=checker, privileges=("SELECT", "INSERT", "DELETE"), on="table", target=RULE_QUEUE,
                              reason="the rules queue the groups a write changes and check them at commit"))
    # The PII guards check a written value is ciphertext under the session's key (set by the
    # caller, read from the setting), and fill the blind index: with the checker's EXECUTE.
    everything = {t.name for t in design.tables}
    guards = {guard_name(t.name) for t in design.tables} & functions
    grants += function_grants(design, checker, everything, everything, clear=True) if guards else []
    owned = tuple(f.model_copy(update={"security_definer": True, "owner": checker}) if f.name in functions else f
                  for f in design.functions)
    return design.model_copy(update={"functions": owned}), grants
