"""Which of the design's indexes the planner really uses at the measured scale.

The indexing step lists, for each index, the patterns it is meant to serve; `bench` has the
plan of every pattern (one EXPLAIN ANALYZE after its timed runs).  This module sets the two
side by side: an index some plan reads is *used*; one no plan reads is either *kept* for a
reason that is not a query (it enforces a unique key, or serves a foreign key's checks on a
parent's delete or key change, or the spec declared it), or *unused* — it costs every write
and serves nothing at this scale.  A pattern an index is listed for whose plan reads another
index is named too, so "Served by" never claims what the plan does not do.
"""

from __future__ import annotations

from schemawright import model as m
from schemawright.performance.results import BenchIndex, IndexUse, PatternBench


def kept_for(design: m.Design, index: m.Index, used: set[str] | None = None) -> str:
    """Why the index stays even when no pattern's plan reads it: '' when nothing but queries does.
    A foreign key counts only when no other key or index that leads with its columns serves it
    (`used`: the indexes some plan reads; an index both lead with the same columns is redundant)."""
    if index.unique:
        return "enforces a unique key"
    table = design.table(index.table)
    leading = tuple(c.expression for c in index.columns)
    for fk in table.foreign_keys if table else ():
        if leading[:len(fk.columns)] != fk.columns:
            continue
        other = _other_leader(design, table, index, fk.columns, used or set())  # type: ignore[arg-type]
        if other:
            return ""  # the other one serves the foreign key's lookups as well
        return (f"serves foreign key {fk.name}: a delete or key change of {fk.ref_table} looks up its "
                f"{index.table} rows through it")
    entity = next((e for e in design.entities if table is not None and e.name == table.entity), None)
    if entity is not None and any(tuple(d.columns) == leading for d in entity.indexes):
        return "declared in the spec"
    return ""


def _other_leader(design: m.Design, table: m.Table, index: m.Index, columns: tuple[str, ...], used: set[str]) -> str:
    """A primary key, unique constraint or index some plan reads that also leads with `columns`."""
    keys = [table.primary_key.columns] if table.primary_key else []
    keys += [u.columns for u in table.uniques]
    if any(tuple(k[:len(columns)]) == columns for k in keys):
        return "a key"
    for other in design.indexes_on(table.name):
        lead = tuple(c.expression for c in other.columns)[:len(columns)]
        if other.name != index.name and lead == columns and not other.where and other.name in used:
            return other.name
    return ""


def index_use(design: m.Design, indexes: list[BenchIndex], patterns: list[PatternBench]) -> list[IndexUse]:
    """One IndexUse per index of the design (the advisor's own are reported apart)."""
    by_name = {i.name: i for i in design.indexes}
    read = {name for p in patterns if p.plan is not None for name in p.plan.indexes}
    out = []
    for bench_index in indexes:
        index = by_name.get(bench_index.name)
        if bench_index.source != "design" or index is None:
            continue
        used = tuple(p.name for p in patterns if p.plan is not None and index.name in p.plan.indexes)
        kept = "" if used else kept_for(design, index, read)
        instead = "" if used or kept else _serving_instead(design, index, read)
        out.append(IndexUse(index.name, index.table, used, tuple(index.patterns), kept, instead))
    return out


def _serving_instead(design: m.Design, index: m.Index, used: set[str]) -> str:
    """For an unused index that leads with a foreign key's columns: what serves that key instead."""
    table = design.table(index.table)
    leading = tuple(c.expression for c in index.columns)
    for fk in table.foreign_keys if table else ():
        if leading[:len(fk.columns)] == fk.columns:
            return _other_leader(design, table, index, fk.columns, used)  # type: ignore[arg-type]
    return ""
