"""Make generated names unique where PostgreSQL requires it.

Names built by convention (`uq_<table>_<columns>`, `<table>_<column>` for enum types) can
meet: `uq_order_line_sku` is both order.line_sku and order_line.sku.  In PostgreSQL,
tables, views and indexes (including those behind primary keys and unique constraints)
share one namespace per schema; enum types share another with every table's row type; and
constraint names are unique per table.  The first owner keeps a name, later ones get _2, _3.
"""

from __future__ import annotations

from schemawright import model as m
from schemawright.naming import fit
from schemawright.sql.quoting import quote_ident


class _Names:
    def __init__(self, taken: set[str]):
        self.taken = set(taken)

    def claim(self, name: str) -> str:
        new, n = name, 1
        while new in self.taken:
            n += 1
            new = fit(f"{name}_{n}")
        self.taken.add(new)
        return new


def unique_names(design: m.Design) -> m.Design:
    tables = [t.name for t in design.tables] + [v.name for v in design.views]
    relations = _Names(set(tables))
    types = _Names(set(tables))
    renamed: dict[tuple[str, str], str] = {}  # (table, old name) -> new name
    decisions: list[m.Decision] = []

    def rename(table: str, old: str, new: str) -> str:
        if new != old:
            renamed[(table, old)] = new
            decisions.append(m.Decision(step="physical", subject=f"{table}.{old}", choice=f"renamed to {new}",
                                        reason=f"{old} is already the name of another relation or type"))
        return new

    enum_names = {e.name: rename("type", e.name, types.claim(e.name)) for e in design.enums}
    new_tables = []
    for table in design.tables:
        constraints = _Names(set())
        pk = table.primary_key
        if pk:
            pk = pk.model_copy(update={"name": constraints.claim(rename(table.name, pk.name, relations.claim(pk.name)))})
        uniques = tuple(u.model_copy(update={"name": constraints.claim(rename(table.name, u.name, relations.claim(u.name)))})
                        for u in table.uniques)
        checks = tuple(c.model_copy(update={"name": rename(table.name, c.name, constraints.claim(c.name))})
                       for c in table.checks)
        fks = tuple(f.model_copy(update={"name": rename(table.name, f.name, constraints.claim(f.name))})
                    for f in table.foreign_keys)
        columns = tuple(_retype(c, enum_names) for c in table.columns)
        new_tables.append(table.model_copy(update={"primary_key": pk, "uniques": uniques, "checks": checks,
                                                   "foreign_keys": fks, "columns": columns}))
    indexes = tuple(i.model_copy(update={"name": rename(i.table, i.name, relations.claim(i.name))})
                    for i in design.indexes)
    if not decisions:
        return design
    patterns = tuple(p.model_copy(update={"served_by": tuple(sorted(
        next((renamed[(t, s)] for t in p.tables if (t, s) in renamed), s) for s in p.served_by))})
        for p in design.access_patterns)
    enums = tuple(e.model_copy(update={"name": enum_names[e.name]}) for e in design.enums)
    return design.model_copy(update={"tables": tuple(new_tables), "indexes": indexes, "enums": enums,
                                     "access_patterns": patterns, "decisions": design.decisions + tuple(decisions)})


def _retype(column: m.Column, enum_names: dict[str, str]) -> m.Column:
    for old, new in enum_names.items():
        if new != old and column.sql_type == quote_ident(old):
            return column.model_copy(update={"sql_type": quote_ident(new)})
    return column
