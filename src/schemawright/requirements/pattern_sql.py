"""The SQL of a structured access pattern (entity, where, order_by, limit), with :params.

Read by the conceptual stage (the pattern's SQL) and by the spec checks (is it one query?),
so it lives here, beside the spec it reads."""

from __future__ import annotations

import re

from schemawright.naming import Namer
from schemawright.requirements import spec as s
from schemawright.sql.quoting import quote_ident

_DIRECTION = re.compile(r"^(.*?)\s+(asc|desc)\s*$", re.IGNORECASE | re.DOTALL)
_OPERATORS = {"=": "=", "==": "=", "eq": "=", "<": "<", "<=": "<=", ">": ">", ">=": ">=",
              "!=": "<>", "<>": "<>", "in": "IN", "like": "LIKE", "ilike": "ILIKE",
              "is null": "IS NULL", "is not null": "IS NOT NULL", "between": "BETWEEN"}


def structured_sql(p: s.AccessPattern, spec: s.Spec, namer: Namer) -> str:
    """Compile the structured form (entity, where, order_by, limit) to SQL with :params."""
    assert p.entity is not None
    entity = spec.entities.get(p.entity)
    table = namer.table(p.entity, entity.table if entity else None)
    clauses: list[str] = []
    params: set[str] = set()
    for n, (column, op) in enumerate((p.where or {}).items(), start=1):
        operator = _OPERATORS.get(op.strip().lower(), op.strip().upper())
        col = quote_ident(column)
        # the parameter is named after the column when that is a plain, non-reserved name
        param = column if col == column and re.fullmatch(r"[a-z_][a-z0-9_]*", column) else f"p{n}"
        while param in params:  # never two predicates on one parameter
            param += "_"
        params.add(param)
        if operator in ("IS NULL", "IS NOT NULL"):
            clauses.append(f"{col} {operator}")
        elif operator == "IN":
            clauses.append(f"{col} = ANY(:{param})")
        elif operator == "BETWEEN":
            clauses.append(f"{col} BETWEEN :{param}_from AND :{param}_to")
        else:
            clauses.append(f"{col} {operator} :{param}")
    sql = f"SELECT * FROM {quote_ident(table)}"
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    if p.order_by:
        parts = []
        columns = {namer.column(a, attr.column) for a, attr in entity.attributes.items()} if entity else set()
        for item in p.order_by:
            name, desc = _sort_item(item, columns)
            parts.append(quote_ident(name) + (" DESC" if desc else ""))
        sql += " ORDER BY " + ", ".join(parts)
    if p.limit:
        sql += f" LIMIT {p.limit}"
    return sql


def _sort_item(item: str, columns: set[str]) -> tuple[str, bool]:
    """`name desc` -> (name, True), keeping the name exactly as written: a column whose
    name ends in spaces (`"padded "`) is matched against the entity's columns first."""
    for cut in range(len(item), 0, -1):
        rest = item[cut:].strip().lower()
        if item[:cut] in columns and rest in ("", "asc", "desc"):
            return item[:cut], rest == "desc"
    found = _DIRECTION.match(item)
    return (found.group(1), found.group(2).lower() == "desc") if found else (item, False)
