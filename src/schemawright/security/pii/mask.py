"""`pii: mask`: a view per table with PII, every column, the PII ones masked.

Roles that may not read PII in clear get SELECT on the table's other columns and on this
view (security/roles.py).  The view belongs to the owner, so it reads the PII columns its
readers may not; row-level security still applies through it, because the tables FORCE it
and the policies read the session's tenant setting, not the current role.  `security_barrier`
keeps a caller's conditions (a leaky function in WHERE) from running before the masking.
"""

from __future__ import annotations

from schemawright import model as m
from schemawright.naming import fit
from schemawright.sql import types
from schemawright.sql.quoting import quote_ident as q

STEP = "security"


def masked_view(table_name: str) -> str:
    """The masking view of a table (the grants name it too)."""
    return fit(f"{table_name}_masked")


def masked(column: m.Column) -> tuple[str, str]:
    """(SQL of the masked value, how it reads in words) for one PII column."""
    name = q(column.name)
    text = f"{name}::text"
    if column.semantic == "email":
        return f"left({text}, 1) || '***@' || split_part({text}, '@', 2)", "first letter and domain"
    if column.semantic == "phone":
        return f"'***' || right({text}, 2)", "last two digits"
    family = types.family(column.sql_type) if column.sql_type else None
    if family == "text" or column.semantic in ("string", "text", "url"):
        return f"left({text}, 1) || '***'", "first letter"
    return f"NULL::{column.sql_type or 'text'}", "hidden (NULL)"


def mask_pii(design: m.Design) -> m.Design:
    if design.security.pii != "mask" or not design.security.declared("pii"):
        return design
    views, decisions = [], []
    for table in design.tables:
        pii = [c for c in table.columns if c.pii]
        if not pii:
            continue
        items, said = [], []
        for column in table.columns:
            if column.pii:
                sql, words = masked(column)
                items.append(f"{sql} AS {q(column.name)}")
                said.append(f"{column.name}: {words}")
            else:
                items.append(q(column.name))
        name = masked_view(table.name)
        listed = ",\n    ".join(items)
        views.append(m.View(name=name, sql=f"SELECT\n    {listed}\nFROM {q(table.name)}", security_barrier=True,
                            description=f"{table.name} with its PII masked ({', '.join(c.name for c in pii)}), for "
                                        "roles that may not read it in clear."))
        decisions.append(m.Decision(
            step=STEP, subject=name, choice="masked view: " + "; ".join(said),
            reason="roles without PII access read the table through this view (SELECT on the other columns of the "
                   "table, none on the PII columns), so the values they see are masked by the database, not by "
                   "each application"))
    if not views:
        return design
    return design.model_copy(update={"views": design.views + tuple(views),
                                     "decisions": design.decisions + tuple(decisions)})
