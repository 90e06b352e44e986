"""Compare two models table by table, ignoring constraint names and column order.

Used for round trips (an existing schema -> spec -> design -> database): the question is
whether the same tables, columns, types, nullability, defaults, keys, foreign keys, unique
and check constraints and indexes came back, not whether they were named the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from schemawright import model as m


@dataclass(frozen=True, order=True)
class Difference:
    table: str
    aspect: str  # column, primary key, foreign key, unique, check, index, table
    detail: str


def _norm(text: str | None) -> str | None:
    return None if text is None else re.sub(r"\s+", " ", text.strip())


def _columns(t: m.Table) -> dict[str, tuple]:
    return {c.name: (_norm(c.sql_type), c.nullable, _norm(c.default), c.identity, _norm(c.generated)) for c in t.columns}


def _fks(t: m.Table) -> set[tuple]:
    return {(fk.columns, fk.ref_table, fk.ref_columns, fk.on_delete) for fk in t.foreign_keys}


def _indexes(design: m.Design, table: str) -> set[tuple]:
    return {(tuple((_norm(c.expression), c.descending) for c in i.columns), i.unique, i.method, _norm(i.where),
             i.include) for i in design.indexes if i.table == table}


def compare_designs(before: m.Design, after: m.Design) -> list[Difference]:
    out: list[Difference] = []
    for name in sorted({t.name for t in before.tables} | {t.name for t in after.tables}):
        a, b = before.table(name), after.table(name)
        if a is None or b is None:
            out.append(Difference(name, "table", "only in the " + ("result" if a is None else "original")))
            continue
        ca, cb = _columns(a), _columns(b)
        for col in sorted(set(ca) | set(cb)):
            if ca.get(col) != cb.get(col):
                out.append(Difference(name, "column", f"{col}: {_describe(ca.get(col))} -> {_describe(cb.get(col))}"))
        if _partitions(a) != _partitions(b):
            out.append(Difference(name, "partitioning", f"{_partitions(a)} -> {_partitions(b)}"))
        pa = a.primary_key.columns if a.primary_key else ()
        pb = b.primary_key.columns if b.primary_key else ()
        if pa != pb:
            out.append(Difference(name, "primary key", f"{pa} -> {pb}"))
        for kind, sa, sb in (("foreign key", _fks(a), _fks(b)),
                             ("unique", {u.columns for u in a.uniques}, {u.columns for u in b.uniques}),
                             ("check", {_norm(c.expression) for c in a.checks}, {_norm(c.expression) for c in b.checks}),
                             ("index", _indexes(before, name), _indexes(after, name))):
            out += [Difference(name, kind, f"missing: {x}") for x in sorted(sa - sb, key=repr)]
            out += [Difference(name, kind, f"added: {x}") for x in sorted(sb - sa, key=repr)]
    return sorted(out)


def _partitions(t: m.Table) -> tuple | None:
    scheme = t.partitioning
    if scheme is None:
        return None
    partitions = sorted(((p.name, p.bound) for p in scheme.partitions), key=lambda p: p[0])
    return scheme.method, scheme.columns, tuple(partitions)


def _describe(column: tuple | None) -> str:
    if column is None:
        return "absent"
    sql_type, nullable, default, identity, generated = column
    text = f"{sql_type}{'' if nullable else ' NOT NULL'}"
    text += f" DEFAULT {default}" if default else ""
    text += " IDENTITY" if identity else ""
    text += f" GENERATED ({generated})" if generated else ""
    return text
