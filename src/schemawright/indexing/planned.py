"""The DDL's indexes decided by the planner at the declared volumes (what `design` writes).

The first cut (first_cut.py) is rules without a database; `design` then hands its design to
the planner-checked advisor (select.advise) on a scratch database whose sample stands in for
the declared volumes (standin.py).  This module is the design side of that hand-over:

- `planner_start`: what the advisor starts from — the indexes the spec declares, and a
  foreign key's index where a write needs it (a parent delete or key update runs the key's
  check, which EXPLAIN of the pattern does not show); every other first-cut index is left for
  the planner to choose again;
- `planned_design`: the advisor's chosen indexes in the design, each pattern "served by"
  exactly the indexes its plan uses at the declared volume, the first cut's indexes the
  planner did not choose listed with why, and a foreign key left unindexed on purpose saying so.
"""

from __future__ import annotations

from sqlglot.errors import ParseError, TokenError

from schemawright import model as m
from schemawright.indexing.first_cut import NO_INDEX_ON_PURPOSE, write_needed_foreign_keys
from schemawright.indexing.planner_mark import CHOSEN, PLANNER
from schemawright.indexing.predicates import analyse, normalise_parameters
from schemawright.indexing.select import Advice
from schemawright.naming import constraint


def planner_start(design: m.Design) -> tuple[m.Design, tuple[m.Index, ...]]:
    """(the design the advisor starts from, the first-cut indexes it must choose again)."""
    needed = write_needed_foreign_keys(design)
    kept, left = [], []
    for index in design.indexes:
        (kept if index.reason == "declared in the spec" or index.unique else left).append(index)
    for (table, columns), why in sorted(needed.items()):
        if any(i.table == table and tuple(c.expression for c in i.columns[:len(columns)]) == columns for i in kept):
            continue
        kept.append(m.Index(name=constraint("ix", table, *columns), table=table,
                            columns=tuple(m.IndexColumn(expression=c) for c in columns),
                            reason=f"foreign key: {why}"))
    chosen_names = {i.name for i in kept}
    patterns = tuple(p.model_copy(update={"served_by": ()}) for p in design.access_patterns)
    decisions = tuple(d for d in design.decisions if d.step != "indexing")
    decisions += tuple(m.Decision(step="indexing", subject=f"{i.table}.{i.name}", choice="create index (kept)",
                                  reason=i.reason) for i in kept)
    start = design.model_copy(update={"indexes": tuple(kept), "access_patterns": patterns, "decisions": decisions})
    return start, tuple(i for i in left if i.name not in chosen_names)


def churned_tables(design: m.Design, per_second: float) -> set[str]:
    """Tables the write patterns update or delete from at `per_second` or more in all."""
    rates: dict[str, float] = {}
    for pattern in design.access_patterns:
        try:
            access = analyse(normalise_parameters(pattern.sql), design)
        except (ParseError, TokenError):
            continue
        if access.target and access.statement in ("update", "delete"):
            rates[access.target] = rates.get(access.target, 0.0) + pattern.frequency
    return {table for table, rate in rates.items() if rate >= per_second}


def planned_design(start: m.Design, advice: Advice, first_cut: tuple[m.Index, ...], how: str) -> m.Design:
    """The design `design` writes: `start` with the advisor's indexes; `how` says how the
    volumes were stood in for (a Decision)."""
    design = advice.design
    final = {p.name: p for p in advice.patterns}
    patterns = tuple(p.model_copy(update={"served_by": tuple(sorted(set(final[p.name].indexes)))})
                     if p.name in final else p for p in design.access_patterns)
    decisions = list(design.decisions)
    decisions.append(m.Decision(
        step="indexing", subject=PLANNER,
        choice=f"{CHOSEN} by PostgreSQL's planner ({advice.whatif} what-if indexes)",
        reason=f"{how}; storage budget {advice.budget_bytes:,} bytes of {advice.data_bytes:,} bytes of table data, "
               f"chosen {advice.size_bytes:,} bytes; workload cost (frequency-weighted) {advice.cost_before:,.1f} -> "
               f"{advice.cost_after:,.1f}"))
    chosen = {(i.table, _shape(i)) for i in design.indexes}
    for index in first_cut:
        if (index.table, _shape(index)) in chosen:
            continue
        decisions.append(m.Decision(step="indexing", subject=f"{index.table}.{index.name}",
                                    choice=f"no index (first cut proposed {_label(index)})",
                                    reason="at the declared volume the planner's plans do not use it enough to pay "
                                           "for its size and writes (see the advisor's rejections)"))
    design = design.model_copy(update={"access_patterns": patterns, "decisions": tuple(decisions)})
    design = _folded_into_keys(design)
    return design.model_copy(update={"tables": _unindexed_foreign_keys(design)})


def _folded_into_keys(design: m.Design) -> m.Design:
    """A chosen covering index whose keys are exactly a unique key's (same columns, same order)
    becomes that key's INCLUDE: one index on the key instead of two (PostgreSQL 11+)."""
    tables = {t.name: t for t in design.tables}
    folded: dict[str, str] = {}  # index -> the unique key that takes its INCLUDE
    decisions = list(design.decisions)
    for index in design.indexes:
        table = tables[index.table]
        keys = tuple(c.expression for c in index.columns)
        if (not index.include or index.unique or index.where or index.method != "btree"
                or any(c.descending for c in index.columns) or not index.reason.startswith("planner-checked")):
            continue
        unique = next((u for u in table.uniques if u.columns == keys and not u.include), None)
        if unique is None:
            continue
        include = tuple(dict.fromkeys(unique.include + index.include))
        tables[table.name] = table.model_copy(update={"uniques": tuple(
            u.model_copy(update={"include": include}) if u.name == unique.name else u for u in table.uniques)})
        folded[index.name] = unique.name
        decisions.append(m.Decision(step="indexing", subject=f"{table.name}.{unique.name}",
                                    choice=f"INCLUDE ({', '.join(include)}) on the unique key",
                                    reason=f"the planner chose {index.name}, a covering index on the same columns as "
                                           f"the key: the key's own index carries the columns instead, so the table "
                                           f"has one index on ({', '.join(keys)}), not two"))
    if not folded:
        return design
    gone = {f"{i.table}.{i.name}" for i in design.indexes if i.name in folded}
    decisions = [d for d in decisions if d.subject not in gone]  # its "create": it is not created
    patterns = tuple(p.model_copy(update={"served_by": tuple(sorted({folded.get(n, n) for n in p.served_by}))})
                     for p in design.access_patterns)
    return design.model_copy(update={
        "tables": tuple(tables[t.name] for t in design.tables), "access_patterns": patterns,
        "indexes": tuple(i for i in design.indexes if i.name not in folded), "decisions": tuple(decisions)})


def _shape(index: m.Index) -> tuple:
    return (tuple((c.expression, c.descending) for c in index.columns), index.method, index.where, index.include)


def _label(index: m.Index) -> str:
    keys = ", ".join(c.expression + (" DESC" if c.descending else "") for c in index.columns)
    return f"{index.method} ({keys})" + (f" WHERE {index.where}" if index.where else "")


def _unindexed_foreign_keys(design: m.Design) -> tuple[m.Table, ...]:
    """A foreign key no whole index leads with, and that no write needs indexed, says so in the
    DDL (a partial index does not serve the key's check, which reads every row)."""
    out = []
    for table in design.tables:
        fks = []
        for fk in table.foreign_keys:
            leading = [i for i in design.indexes if i.table == table.name
                       and tuple(c.expression for c in i.columns[:len(fk.columns)]) == fk.columns]
            keyed = any(tuple(k[:len(fk.columns)]) == fk.columns for k in
                        ([table.primary_key.columns] if table.primary_key else []) + [u.columns for u in table.uniques])
            if keyed or fk.reason or any(i.where is None for i in leading):
                fks.append(fk)
                continue
            reads = (f"the reads of {table.name} by {', '.join(fk.columns)} that the patterns make are served by "
                     f"{', '.join(i.name for i in leading)} (partial)" if leading else
                     f"at the declared volume no pattern's plan reads {table.name} by {', '.join(fk.columns)}")
            fks.append(fk.model_copy(update={"reason": (
                f"{NO_INDEX_ON_PURPOSE} no access pattern deletes from or re-keys {fk.ref_table}, so the key's "
                f"check never runs, and {reads} (planner-checked)")}))
        out.append(table.model_copy(update={"foreign_keys": tuple(fks)}))
    return tuple(out)
