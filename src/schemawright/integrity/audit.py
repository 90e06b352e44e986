"""Step 8: audit columns and the trigger that keeps updated_at honest."""

from __future__ import annotations

from schemawright import model as m
from schemawright.naming import fit

UPDATED_AT_FUNCTION = "set_updated_at"

_BODY = """BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;"""

_AUDIT = (
    m.Column(name="created_at", semantic="timestamp", sql_type="timestamptz", nullable=False, default="now()",
             description="When the row was created."),
    m.Column(name="updated_at", semantic="timestamp", sql_type="timestamptz", nullable=False, default="now()",
             description="When the row was last changed (set by trigger)."),
    m.Column(name="created_by", semantic="text", sql_type="text", nullable=True,
             description="Who created the row (application user)."),
    m.Column(name="updated_by", semantic="text", sql_type="text", nullable=True,
             description="Who last changed the row (application user)."),
)


def add_audit(design: m.Design) -> m.Design:
    audited = {e.name for e in design.entities if e.audit}
    tables, triggers = [], list(design.triggers)
    for table in design.tables:
        if table.kind == "entity" and table.entity in audited:
            table = table.model_copy(update={"columns": table.columns + _AUDIT})
            triggers.append(m.Trigger(name=fit(f"trg_{table.name}_updated_at"), table=table.name,
                                      function=UPDATED_AT_FUNCTION, timing="before",
                                      events=(m.TriggerEvent(kind="update"),),
                                      reason="keeps updated_at correct whatever client writes the row"))
        tables.append(table)
    if not audited:
        return design
    decision = m.Decision(
        step="integrity", subject="audit columns",
        choice=f"created_at, updated_at, created_by, updated_by on {len(audited)} table(s)",
        reason="asked for in the spec; updated_at is maintained by a BEFORE UPDATE trigger, "
               "created_by/updated_by are set by the application (it knows the end user)")
    return design.model_copy(update={
        "tables": tuple(tables),
        "triggers": tuple(triggers),
        "functions": design.functions + (m.Function(name=UPDATED_AT_FUNCTION, body=_BODY),),
        "decisions": design.decisions + (decision,),
    })


