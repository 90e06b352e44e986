"""The append-only audit trail of the entities `security.audit_trail` names.

One table, `audit_trail`, holds every INSERT, UPDATE and DELETE of the audited tables (and
each TRUNCATE of one): which table, the row's primary key, who (the session's user setting,
else the login role), when, and the old and new rows as jsonb.  It is machinery, not part of
the data model, like the business rules' queue: a kept object that no diagram draws and the
data dictionary describes in a section of its own.

Written by statement-level AFTER triggers that read the statement's transition tables: one
trigger call and one INSERT ... SELECT per statement, where a row-level trigger costs a bulk
insert twice as much (benchmarks/audit_overhead.py).  Their functions are SECURITY
DEFINER, so writers need no privilege on the trail, and none should hold one (a
trigger function cannot be called directly).  A BEFORE UPDATE OR DELETE OR TRUNCATE
trigger on the trail refuses every change with SQLSTATE 23514, the owner's included.
"""

from __future__ import annotations

from schemawright import model as m
from schemawright.integrity.audit import session_user_sql
from schemawright.naming import constraint, fit
from schemawright.sql.postgresql import PostgresGenerator
from schemawright.sql.quoting import quote_ident as q
from schemawright.sql.quoting import quote_literal

AUDIT_TRAIL = "audit_trail"
APPEND_ONLY = f"{AUDIT_TRAIL}_append_only"  # the constraint name the refusal carries
REFUSE_FUNCTION = f"refuse_{AUDIT_TRAIL}_change"
ACTIONS = ("INSERT", "UPDATE", "DELETE", "TRUNCATE")
_SQL = PostgresGenerator()  # the trail and its indexes are rendered as kept objects, like the rules' queue
_NEW, _OLD = "sw_new_rows", "sw_old_rows"  # transition tables


def audited_tables(design: m.Design) -> list[m.Table]:
    """The tables of the entities (or many-to-many relationships) `security.audit_trail` names, once each."""
    out: dict[str, m.Table] = {}
    for name in design.security.audit_trail:
        table = design.table_for_entity(name) or design.table(name)
        if table is not None and table.primary_key is not None:  # a keyless one is refused by the spec checks
            out.setdefault(table.name, table)
    return list(out.values())


def tenant_type(design: m.Design, tables: list[m.Table]) -> str | None:
    """The tenant column's type in the trail: the audited tables' own (text if they disagree)."""
    tenant = design.security.tenant_column
    types = {c.sql_type for t in tables if tenant and (c := t.column(tenant)) is not None}
    return (types.pop() if len(types) == 1 else "text") if types else None


def trail_table(design: m.Design, tables: list[m.Table]) -> m.Table:
    """The trail as a table (rendered to the kept object's SQL, and described by the data dictionary)."""
    tenant, sql_type = design.security.tenant_column, tenant_type(design, tables)
    columns = [
        m.Column(name="id", semantic="id", sql_type="bigint", nullable=False, identity=True,
                 description="Order of the changes."),
        m.Column(name="table_name", semantic="text", sql_type="text", nullable=False,
                 description="The table that changed."),
        m.Column(name="action", semantic="text", sql_type="text", nullable=False,
                 description="INSERT, UPDATE, DELETE (one entry per row) or TRUNCATE (one entry per table)."),
        m.Column(name="row_key", semantic="json", sql_type="jsonb",
                 description="The row's primary key as a jsonb object (NULL for TRUNCATE)."),
        m.Column(name="changed_by", semantic="text", sql_type="text", nullable=False,
                 description="Who: the application's user from the session setting, else the login role "
                             "(session_user)."),
        m.Column(name="changed_at", semantic="timestamp", sql_type="timestamptz", nullable=False, default="now()",
                 description="When: the start of the transaction that made the change."),
    ]
    if sql_type is not None and tenant:
        columns.append(m.Column(name=tenant, semantic="fk", sql_type=sql_type,
                                description="The tenant the row belongs to, so the trail can be read per tenant."))
    columns += [m.Column(name="old_row", semantic="json", sql_type="jsonb",
                         description="The row before the change (UPDATE, DELETE)."),
                m.Column(name="new_row", semantic="json", sql_type="jsonb",
                         description="The row after the change (INSERT, UPDATE).")]
    actions = ", ".join(quote_literal(a) for a in ACTIONS)
    return m.Table(
        name=AUDIT_TRAIL, kind="entity", columns=tuple(columns),
        description="Append-only history of every change to the audited tables: written by their triggers only, "
                    "never updated or deleted.",
        primary_key=m.PrimaryKey(name=constraint("pk", AUDIT_TRAIL), columns=("id",)),
        checks=(m.Check(name=constraint("ck", AUDIT_TRAIL, "action"), expression=f"action IN ({actions})"),
                m.Check(name=constraint("ck", AUDIT_TRAIL, "row_key"),
                        expression="(row_key IS NULL) = (action = 'TRUNCATE')")))


def trail_indexes() -> tuple[m.Index, ...]:
    return (
        m.Index(name=constraint("ix", AUDIT_TRAIL, "table_name", "row_key"), table=AUDIT_TRAIL,
                columns=(m.IndexColumn(expression="table_name"), m.IndexColumn(expression="row_key")),
                reason="the history of one row: WHERE table_name = ... AND row_key = ..."),
        # Rows arrive in changed_at order and are never updated: a BRIN index is a few pages and
        # costs a bulk write almost nothing, where a B-tree would add a tenth.
        m.Index(name=constraint("ix", AUDIT_TRAIL, "changed_at"), table=AUDIT_TRAIL, method="brin",
                columns=(m.IndexColumn(expression="changed_at"),),
                reason="changes in a period of time (the trail is appended in time order)"))


def add_audit_trail(design: m.Design) -> m.Design:
    tables = audited_tables(design)
    if not tables:
        return design
    trail = trail_table(design, tables)
    sql = _SQL.create_table_sql(trail).removesuffix(";")
    objects = (m.SchemaObject(kind="table", name=AUDIT_TRAIL, sql=sql),
               *(m.SchemaObject(kind="index", name=i.name, table=AUDIT_TRAIL,
                                sql=_SQL.create_index_sql(i).removesuffix(";")) for i in trail_indexes()))
    pii = design.security.pii != "none"
    functions = [m.Function(name=REFUSE_FUNCTION, body=_REFUSE)]
    triggers = [m.Trigger(name=fit(f"trg_{AUDIT_TRAIL}_append_only"), table=AUDIT_TRAIL, function=REFUSE_FUNCTION,
                          timing="before", level="statement",
                          events=tuple(m.TriggerEvent(kind=k) for k in ("update", "delete", "truncate")),
                          reason="the trail is append-only: UPDATE, DELETE and TRUNCATE are refused for every role, "
                                 "its owner included")]
    for table in tables:
        function = fit(f"record_changes_{table.name}")
        functions.append(m.Function(name=function, body=_record_body(design, table, trail, pii),
                                    security_definer=True))
        for kind, old, new in (("insert", None, _NEW), ("update", _OLD, _NEW), ("delete", _OLD, None),
                               ("truncate", None, None)):
            triggers.append(m.Trigger(
                name=fit(f"trg_{table.name}_audit_trail_{kind}"), table=table.name, function=function,
                timing="after", level="statement", events=(m.TriggerEvent(kind=kind),), old_table=old, new_table=new,
                reason=f"records each {kind.upper()} in the audit trail" if kind != "truncate"
                else "records that the table was emptied, in the audit trail"))
    return design.model_copy(update={
        "objects": design.objects + objects,
        "functions": design.functions + tuple(functions),
        "triggers": design.triggers + tuple(triggers),
        "decisions": design.decisions + _decisions(design, tables, pii)})


_REFUSE = ("BEGIN\n"
           "    RAISE EXCEPTION USING ERRCODE = 'check_violation', "
           f"CONSTRAINT = {quote_literal(APPEND_ONLY)}, TABLE = TG_TABLE_NAME,\n"
           f"        MESSAGE = {quote_literal(AUDIT_TRAIL + ' is append-only: ')} || TG_OP || ' refused',\n"
           "        HINT = 'the audit trail is history: nobody, its owner included, may change or remove it';\n"
           "END;")


def _record_body(design: m.Design, table: m.Table, trail: m.Table, pii: bool) -> str:
    """INSERT ... SELECT from the statement's transition tables, one entry per row."""
    assert table.primary_key is not None
    key = table.primary_key.columns
    tenant = design.security.tenant_column or ""
    kept_tenant = trail.column(tenant) if tenant else None
    own_tenant = table.column(tenant) if tenant else None
    hidden = [c.name for c in table.columns if c.pii] if pii else []
    strip = f" - ARRAY[{', '.join(quote_literal(c) for c in hidden)}]" if hidden else ""

    def key_of(*aliases: str) -> str:
        def value(c: str) -> str:
            values = [f"{a}.{q(c)}" for a in aliases]
            return values[0] if len(values) == 1 else f"coalesce({', '.join(values)})"
        return "jsonb_build_object(" + ", ".join(f"{quote_literal(c)}, {value(c)}" for c in key) + ")"

    def tenant_of(*aliases: str) -> str:
        if kept_tenant is None:
            return ""
        if own_tenant is None:
            return "NULL, "
        cast = f"::{kept_tenant.sql_type}" if own_tenant.sql_type != kept_tenant.sql_type else ""
        values = [f"{a}.{q(tenant)}{cast}" for a in aliases]
        return (values[0] if len(values) == 1 else f"coalesce({', '.join(values)})") + ", "

    columns = "table_name, action, row_key, changed_by, " + (f"{q(tenant)}, " if kept_tenant else "")
    insert = f"INSERT INTO {q(AUDIT_TRAIL)} ({columns}old_row, new_row)"

    def entry(key_sql: str, tenant_sql: str, old: str, new: str, source: str) -> str:
        return (f"        {insert}\n        SELECT TG_TABLE_NAME, TG_OP, {key_sql},\n"
                f"               sw_who, {tenant_sql}{old}, {new}\n        FROM {source};\n")

    # An UPDATE pairs each old row with the new row of the same key; one that changed its key
    # has no pair and is recorded as two entries, the old row alone and the new row alone (the
    # other side's columns all NULL, so coalesce takes the key from the side that is there).
    same = " AND ".join(f"n.{q(c)} = o.{q(c)}" for c in key)
    paired = key_of("n", "o")
    return (
        f"DECLARE\n    sw_who text := {session_user_sql(design, 'session_user')};\nBEGIN\n"
        "    IF TG_OP = 'INSERT' THEN\n"
        + entry(key_of("n"), tenant_of("n"), "NULL", f"to_jsonb(n){strip}", f"{_NEW} AS n")
        + "    ELSIF TG_OP = 'UPDATE' THEN\n"
        + entry(paired, tenant_of("n", "o"), f"to_jsonb(o){strip}", f"to_jsonb(n){strip}",
                f"{_OLD} AS o FULL JOIN {_NEW} AS n ON {same}")
        + "    ELSIF TG_OP = 'DELETE' THEN\n"
        + entry(key_of("o"), tenant_of("o"), f"to_jsonb(o){strip}", "NULL", f"{_OLD} AS o")
        + "    ELSE\n"
        f"        INSERT INTO {q(AUDIT_TRAIL)} (table_name, action, changed_by) VALUES (TG_TABLE_NAME, TG_OP, sw_who);\n"
        "    END IF;\n"
        "    RETURN NULL;\nEND;")


def _decisions(design: m.Design, tables: list[m.Table], pii: bool) -> tuple[m.Decision, ...]:
    names = ", ".join(t.name for t in tables)
    setting = design.security.user_setting
    hidden = sorted(f"{t.name}.{c.name}" for t in tables for c in t.columns if c.pii) if pii else []
    out = [
        m.Decision(step="security", subject=f"audit trail {AUDIT_TRAIL}",
                   choice=f"every INSERT, UPDATE, DELETE and TRUNCATE of {names} recorded with who, when, the key "
                          "and the old and new rows as jsonb",
                   reason=f"asked for in security.audit_trail; who is the session setting {setting!r} the "
                          "application sets per transaction, else session_user (the login role: inside the "
                          "SECURITY DEFINER function current_user is the trail's owner, and SET ROLE does not change "
                          "session_user). One table for all audited tables, so one grant lets the auditor read it; "
                          "kept out of the data model (no diagram draws it)"),
        m.Decision(step="security", subject=f"audit trail {AUDIT_TRAIL}: triggers",
                   choice="statement-level AFTER triggers reading the transition tables, one per event and table, "
                          "running SECURITY DEFINER functions",
                   reason="one trigger call and one INSERT ... SELECT per statement: a row-level trigger costs a "
                          "one-statement write of 100,000 rows 2.1 times as much server CPU for INSERT and 1.6 times "
                          "for UPDATE (benchmarks/audit_overhead.py, PostgreSQL 15 and 18). SECURITY "
                          "DEFINER (with a fixed search_path) lets writers record changes without any privilege on "
                          "the trail; a trigger function cannot be called directly, so nobody can forge an entry "
                          "through it. An UPDATE that changes a primary key is recorded as two entries (the old row, "
                          "the new row), since a statement's transition tables are paired by key"),
        m.Decision(step="security", subject=f"audit trail {AUDIT_TRAIL}: append-only",
                   choice=f"trigger refuses UPDATE, DELETE and TRUNCATE of {AUDIT_TRAIL} with SQLSTATE 23514 "
                          f"(constraint {APPEND_ONLY}); no role is granted INSERT, UPDATE or DELETE on it",
                   reason="grants alone would let the owner through; a trigger refuses the owner's DML too. What it "
                          "cannot stop: the owner may still DROP or DISABLE the trigger or the table (DDL, which "
                          "pgaudit's ddl class logs), and a superuser may do anything, including writing with "
                          "session_replication_role = replica (no trigger fires, so changes go unrecorded) or editing "
                          "the files; keep superuser access to a break-glass procedure and ship the trail to a "
                          "separate store (logical replication, pgaudit logs) where it must survive its owner"),
    ]
    if hidden:
        out.append(m.Decision(
            step="security", subject=f"audit trail {AUDIT_TRAIL}: PII",
            choice=f"PII columns left out of old_row and new_row: {', '.join(hidden)}",
            reason=f"security.pii is {design.security.pii!r}: the trail would otherwise hold in clear what the design "
                   "masks or encrypts, readable by the auditor; the trail still records that the row changed"))
    return tuple(out)
