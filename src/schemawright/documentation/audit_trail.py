"""The audit trail as the documentation tells it: one section of the data dictionary (what
is recorded, by whom, how it is protected, how to read a row's history), never a table of
the data model, so no diagram draws it and no table page lists it.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from schemawright.documentation.markdown import code, table, text
from schemawright.integrity.audit_trail import (APPEND_ONLY, AUDIT_TRAIL, audited_tables, trail_indexes,
                                                trail_table)
from schemawright.model import Design, SchemaObject, Trigger
from schemawright.sql.quoting import quote_literal

TRAIL_ANCHOR = "audit-trail"
RECORDING = "record_changes_"  # the functions that write the trail (integrity.audit_trail)


def is_trail(o: SchemaObject) -> bool:
    """The trail itself or one of its indexes and triggers (a kept object)."""
    return (o.kind == "table" and o.name == AUDIT_TRAIL) or o.table == AUDIT_TRAIL


def _has_trail(design: Design) -> bool:
    return any(o.kind == "table" and o.name == AUDIT_TRAIL for o in design.objects)


def trail_as_machinery(design: Design) -> Design:
    """A schema read back from SQL or a database that schemawright designed has the audit
    trail as a table: make it the kept object a designed one has, so no diagram, table page
    or lint finding treats it as an entity.  Only the trail's exact shape is taken for it
    (its columns, with or without one tenant column before old_row)."""
    trail = next((t for t in design.tables if t.name == AUDIT_TRAIL), None)
    if trail is None or trail.foreign_keys or any(fk.ref_table == AUDIT_TRAIL for t in design.tables
                                                  for fk in t.foreign_keys):
        return design
    shape = [(c.name, c.sql_type) for c in trail.columns]
    expected = [(c.name, c.sql_type) for c in trail_table(Design(project=design.project), []).columns]
    if len(shape) == len(expected) + 1:  # the tenant column, between changed_at and old_row
        shape = shape[:6] + shape[7:]
    if shape != expected:
        return design
    return design.model_copy(update={
        "tables": tuple(t for t in design.tables if t is not trail),
        "indexes": tuple(i for i in design.indexes if i.table != AUDIT_TRAIL),
        "objects": design.objects + (SchemaObject(kind="table", name=AUDIT_TRAIL),)})


def trail_section(design: Design, ref: Callable[[str], str], triggers: list[Trigger],
                  trigger_line: Callable[[Trigger], str]) -> list[str]:
    """The data dictionary's section on the trail; `ref` links a table name, `trigger_line`
    writes a trigger as the table sections do."""
    if not _has_trail(design) and not triggers:
        return []
    tables = audited_tables(design)
    names = [t.name for t in tables] or sorted({tr.table for tr in design.triggers
                                                  if tr.function.startswith(RECORDING)}
                                                 | {o.table for o in design.objects if o.kind == "trigger" and o.table
                                                    and o.name.endswith("_audit_trail_insert")})
    audited = ", ".join(ref(n) for n in names) if names else "the audited tables"
    setting = design.security.user_setting
    out = [f'<a id="{TRAIL_ANCHOR}"></a>', "", "## Audit trail", "",
           f"{code(AUDIT_TRAIL)} is the append-only history of every change to {audited}: one entry per row "
           "inserted, updated or deleted (and one per TRUNCATE), with who, when, the row's primary key and the old "
           "and new rows as jsonb. It is machinery, not part of the data model (no diagram draws it).", "",
           "- **Written by** statement-level AFTER triggers on the audited tables, whose functions run as the "
           "trail's owner (SECURITY DEFINER): applications need no privilege on the trail, and no role but the owner "
           "has one to write it. The auditor role reads it.",
           f"- **Who** is the session setting {code(setting)}, which the application sets in each transaction "
           f"({code(f'SELECT set_config({quote_literal(setting)}, <user id>, true)')}), else the login role "
           f"({code('session_user')}).",
           f"- **Append-only**: UPDATE, DELETE and TRUNCATE of it are refused with SQLSTATE `23514` "
           f"(`check_violation`, constraint {code(APPEND_ONLY)}), for its owner too. The owner can still drop or "
           "disable that trigger (DDL, which pgaudit logs) and a superuser can do anything: ship the trail to "
           "another store where it must outlive them.", ""]
    hidden = [f"{t.name}.{c.name}" for t in tables for c in t.columns if c.pii] if design.security.pii != "none" else []
    if hidden:
        out += ["PII columns are left out of `old_row` and `new_row` (the trail would hold them in clear): "
                + ", ".join(code(h) for h in hidden) + ".", ""]
    trail = trail_table(design, tables)
    out += ["**Columns**", ""]
    out += table(["Column", "Type", "Nullable", "Default", "Description"],
                 [[code(c.name), code(c.sql_type), "yes" if c.nullable else "no",
                   "identity (generated always)" if c.identity else (code(c.default) if c.default else ""),
                   text(c.description or "")] for c in trail.columns])
    out += ["", "**Indexes**", ""]
    out += table(["Index", "Definition", "Why"],
                 [[code(i.name), f"{'BRIN' if i.method == 'brin' else 'B-tree'} ("
                   + ", ".join(code(c.expression) for c in i.columns) + ")", text(i.reason)] for i in trail_indexes()])
    out.append("")
    if triggers:
        out += ["**Triggers**", "", *(trigger_line(tr) for tr in triggers), ""]
    example = tables[0] if tables else None
    key = example.primary_key.columns if example and example.primary_key else ("id",)
    out += ["The history of one row, oldest change first:", "", "```sql",
            "SELECT changed_at, changed_by, action, old_row, new_row",
            f"FROM {AUDIT_TRAIL}",
            f"WHERE table_name = {quote_literal(example.name if example else names[0] if names else 'orders')} "
            f"AND row_key = {quote_literal(json.dumps({c: 42 for c in key}))}",
            "ORDER BY id;", "```", ""]
    return out
