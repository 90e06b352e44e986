"""Step 8: audit columns, kept by one trigger so no client can forget or forge them.

`created_by` and `updated_by` come from the session: the setting the application sets in
each transaction (`security.user_setting`, `app.user_id` by default, with SET LOCAL or
set_config(..., true)), else `current_user` (the role in effect).  On UPDATE the trigger
puts back `created_at` and `created_by` as they were and sets `updated_at` and
`updated_by`, so the history of a row cannot be rewritten through its audit columns.
"""

from __future__ import annotations

from schemawright import model as m
from schemawright.naming import fit
from schemawright.sql.quoting import quote_literal

AUDIT_COLUMNS_FUNCTION = "set_audit_columns"


def session_user_sql(design: m.Design, fallback: str = "current_user") -> str:
    """Who is writing, as SQL: the application's end user from the session setting (an empty
    value counts as unset), else `fallback`."""
    return f"coalesce(nullif(current_setting({quote_literal(design.security.user_setting)}, true), ''), {fallback})"


def _body(design: m.Design) -> str:
    return ("DECLARE\n"
            f"    sw_user text := {session_user_sql(design)};\n"
            "BEGIN\n"
            "    IF TG_OP = 'INSERT' THEN\n"
            "        NEW.created_by := sw_user;\n"
            "    ELSE\n"
            "        NEW.created_at := OLD.created_at;\n"
            "        NEW.created_by := OLD.created_by;\n"
            "        NEW.updated_at := now();\n"
            "    END IF;\n"
            "    NEW.updated_by := sw_user;\n"
            "    RETURN NEW;\n"
            "END;")


def _columns(design: m.Design) -> tuple[m.Column, ...]:
    # created_by/updated_by: NOT NULL, with the trigger's own expression as their default, so
    # a schema reader (an ORM) sees a value the database supplies, and a write the trigger does
    # not see (an inheritance child, a load with triggers off) is still filled the same way.
    who, setting = session_user_sql(design), design.security.user_setting
    return (
        m.Column(name="created_at", semantic="timestamp", sql_type="timestamptz", nullable=False, default="now()",
                 description="When the row was created (unchanged by updates)."),
        m.Column(name="updated_at", semantic="timestamp", sql_type="timestamptz", nullable=False, default="now()",
                 description="When the row was last changed (set by trigger)."),
        m.Column(name="created_by", semantic="text", sql_type="text", nullable=False, default=who,
                 description=f"Who created the row ({setting}, else current_user)."),
        m.Column(name="updated_by", semantic="text", sql_type="text", nullable=False, default=who,
                 description=f"Who last changed the row ({setting}, else current_user)."),
    )


def add_audit(design: m.Design) -> m.Design:
    audited = {e.name for e in design.entities if e.audit}
    tables, triggers, columns = [], list(design.triggers), _columns(design)
    for table in design.tables:
        if table.kind == "entity" and table.entity in audited:
            table = table.model_copy(update={"columns": table.columns + columns})
            triggers.append(m.Trigger(name=fit(f"trg_{table.name}_audit_columns"), table=table.name,
                                      function=AUDIT_COLUMNS_FUNCTION, timing="before",
                                      events=(m.TriggerEvent(kind="insert"), m.TriggerEvent(kind="update")),
                                      reason="fills created_by, updated_by and updated_at, and keeps created_at and "
                                             "created_by, whatever client writes the row"))
        tables.append(table)
    if not audited:
        return design
    setting = design.security.user_setting
    decision = m.Decision(
        step="integrity", subject="audit columns",
        choice=f"created_at, updated_at, created_by, updated_by on {len(audited)} table(s), kept by the BEFORE "
               f"INSERT OR UPDATE trigger function {AUDIT_COLUMNS_FUNCTION}",
        reason=f"asked for in the spec; who writes is taken from the session setting {setting!r} (the application "
               f"sets it per transaction: SELECT set_config({setting!r}, <user id>, true)), else the database role "
               "(current_user), so created_by and updated_by are never empty (NOT NULL) and no client can forge "
               "them; on UPDATE created_at and created_by are put back as they were. A trigger, not only a default: "
               "a default can be overridden by the client and does not run on UPDATE; the default (the same "
               "expression) tells ORMs the database fills the columns and covers writes no trigger sees (an "
               "inheritance child)")
    return design.model_copy(update={
        "tables": tuple(tables),
        "triggers": tuple(triggers),
        "functions": design.functions + (m.Function(name=AUDIT_COLUMNS_FUNCTION, body=_body(design)),),
        "decisions": design.decisions + (decision,),
    })
