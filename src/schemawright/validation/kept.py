"""Inserted values that agree with the dependencies kept on purpose.

A `depends` rule marked `denormalized:` keeps X -> Y inside one table, and its trigger refuses
a row whose Y differs from the other rows of the same X (integrity/copies.py).  A pattern that
inserts X and Y from parameters gets X from the data (a parent row, the most common value)
and Y freshly generated, so the binding contradicts the rows already there: an insert the
application would never send, refused by a trigger that is right to refuse it.  Here Y is
read from a row of that X instead, as the application would; a new X keeps the drawn Y.
"""

from __future__ import annotations

from schemawright import model as m
from schemawright.database import Database, DatabaseError
from schemawright.sql.quoting import quote_ident
from schemawright.validation.params import Use


def kept_dependencies(design: m.Design) -> list[tuple[m.Table, tuple[str, ...], tuple[str, ...]]]:
    """(table, determinant, dependent) of every dependency kept on purpose."""
    found = []
    for rule in design.rules:
        table = design.table_for_entity(rule.entity) if rule.kind == "depends" and rule.denormalized else None
        if table is not None:
            found.append((table, rule.columns, tuple(c for c in rule.dependent if c not in rule.columns)))
    return found


def agree_with_kept(db: Database, design: m.Design, usage: dict[str, Use], names: tuple[str, ...],
                    types: list[str], values: list[str | None]) -> list[str | None]:
    """`values` (one per name in `names`, PostgreSQL types `types`) with every inserted
    dependent of a kept dependency taken from an existing row of the inserted determinant."""
    inserted = {(u.table, u.column): n for n, u in usage.items()
                if u.role == "insert" and u.table and u.column and n in names}
    if not inserted:
        return values
    bound = dict(zip(names, values))
    type_of = dict(zip(names, types))
    for table, determinant, dependent in kept_dependencies(design):
        xs = [inserted.get((table.name, c)) for c in determinant]
        ys = {c: inserted[(table.name, c)] for c in dependent if (table.name, c) in inserted}
        if not ys or not all(xs) or any(bound[x] is None for x in xs):  # type: ignore[index]
            continue
        selects = ", ".join(f"{quote_ident(c)}::text" for c in ys)
        where = " AND ".join(_equals(c, type_of.get(x)) for c, x in zip(determinant, xs))  # type: ignore[arg-type]
        try:
            rows = db.query(f"SELECT {selects} FROM {quote_ident(table.name)} WHERE {where} LIMIT 1",
                            [bound[x] for x in xs])  # type: ignore[index]
        except DatabaseError:
            continue  # a value that does not cast: the insert reports it
        if rows:
            bound.update(zip(ys.values(), rows[0]))
    return [bound[n] for n in names]


def _equals(column: str, pg_type: str | None) -> str:
    """Compared in the parameter's own type (PostgreSQL named it), so the lookup index serves it."""
    if pg_type is None or pg_type == "unknown":
        return f"{quote_ident(column)}::text = %s"
    return f"{quote_ident(column)} = CAST(%s AS {pg_type})"
