"""Step 5, first cut: indexes from foreign keys and from each access pattern's predicates.

The rule of thumb a DBA applies by hand: equality columns first, then one range column,
then the sort columns, so one B-tree range scan returns rows already in order.  A later
advisor replaces `choose_indexes` with planner-checked choices; it takes and returns the
same Design, so the seam is this one function.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from schemawright import model as m
from schemawright.indexing.analysis import shape
from schemawright.naming import constraint


@dataclass
class Candidate:
    table: str
    columns: list[tuple[str, bool]]  # (column, descending)
    reasons: list[str] = field(default_factory=list)
    patterns: list[str] = field(default_factory=list)

    def names(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.columns)


def declared_indexes(design: m.Design) -> tuple[m.Index, ...]:
    """Indexes written in the spec (imported schemas keep theirs), kept exactly."""
    out = []
    for entity in design.entities:
        table = design.table_for_entity(entity.name)
        for i, idx in enumerate(entity.indexes):
            columns = tuple(_index_column(c) for c in idx.columns)
            name = idx.name or constraint("uq" if idx.unique else "ix", table.name,
                                          *[c.expression.strip("()") for c in columns])
            out.append(m.Index(name=name, table=table.name, columns=columns, unique=idx.unique, method=idx.using,
                               where=idx.where, include=idx.include, reason="declared in the spec"))
    return tuple(out)


def _index_column(text: str) -> m.IndexColumn:
    words = text.rsplit(None, 1)
    if len(words) == 2 and words[1].lower() in ("asc", "desc") and not text.strip().endswith(")"):
        return m.IndexColumn(expression=words[0], descending=words[1].lower() == "desc")
    return m.IndexColumn(expression=text.strip())


def choose_indexes(design: m.Design) -> m.Design:
    design = design.model_copy(update={"indexes": design.indexes + declared_indexes(design)})
    existing = _existing_paths(design)  # table -> list of (name, columns) already indexed
    derive = design.naming.derive_indexes
    candidates: list[Candidate] = []
    for table in design.tables if derive else ():
        for fk in table.foreign_keys:
            candidates.append(Candidate(table.name, [(c, False) for c in fk.columns], reasons=[
                f"foreign key to {fk.ref_table}: joins from {fk.ref_table} and the check run on every delete "
                f"of a {fk.ref_table} row would otherwise scan {table.name}"]))
    patterns, served = [], {}
    tables = {t.name: t for t in design.tables}
    for pattern in design.access_patterns:
        query = shape(pattern.sql, design)
        patterns.append(pattern.model_copy(update={"tables": tuple(query.tables), "kind": pattern.kind}))
        for use in query.uses.values():
            columns = [(c, False) for c in use.equality]
            columns += [(c, False) for c in use.range[:1]]
            sort = [(c, d) for c, d in use.sort if c not in use.equality]
            if sort and (not use.range or sort[0][0] == use.range[0]):
                columns = columns[: len(use.equality)] + sort
            if not columns and use.join:
                columns = [(c, False) for c in use.join[:1]]
            if not columns:
                continue
            owner = _unique_lookup(tables.get(use.table), use.equality) or \
                _served_by(existing.get(use.table, []), [c for c, _ in columns])
            if owner:
                served.setdefault(owner, []).append(pattern.name)
                continue
            if not derive:
                continue
            detail = ", ".join(f"{c}{' DESC' if d else ''}" for c, d in columns)
            candidates.append(Candidate(use.table, columns, [f"access pattern {pattern.name}: ({detail})"
                                                             " — equality columns, then range, then sort"],
                                        [pattern.name]))
    indexes = _merge(candidates, existing)
    decisions = [m.Decision(step="indexing", subject=f"{i.table}.{i.name}", choice=_describe(i), reason=i.reason)
                 for i in indexes]
    for owner, names in sorted(served.items()):
        decisions.append(m.Decision(step="indexing", subject=owner, choice="no new index",
                                    reason=f"already serves access pattern(s) {', '.join(sorted(set(names)))}"))
    serving: dict[str, set[str]] = {}  # pattern -> indexes and keys serving it, built in one pass
    for index in indexes:
        for name in index.patterns:
            serving.setdefault(name, set()).add(index.name)
    for owner, names in served.items():
        for name in names:
            serving.setdefault(name, set()).add(owner)
    patterns = [p.model_copy(update={"served_by": tuple(sorted(serving.get(p.name, ())))}) for p in patterns]
    return design.model_copy(update={"indexes": design.indexes + tuple(indexes), "access_patterns": tuple(patterns),
                                     "decisions": design.decisions + tuple(decisions)})


def _existing_paths(design: m.Design) -> dict[str, list[tuple[str, tuple[str, ...]]]]:
    """Primary keys and unique constraints already give B-tree indexes."""
    paths: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for table in design.tables:
        if table.primary_key:
            paths.setdefault(table.name, []).append((table.primary_key.name, table.primary_key.columns))
        for uq in table.uniques:
            paths.setdefault(table.name, []).append((uq.name, uq.columns))
    for index in design.indexes:
        if index.where:
            continue  # a partial index (a rule's one-open-row index) holds some rows only: no path for all
        paths.setdefault(index.table, []).append((index.name, tuple(c.expression for c in index.columns)))
    return paths


def _unique_lookup(table: m.Table | None, equality: list[str]) -> str | None:
    """A key whose columns are all compared for equality finds at most one row: enough."""
    keys = ([table.primary_key] if table and table.primary_key else []) + list(table.uniques if table else [])
    return next((k.name for k in keys if set(k.columns) <= set(equality)), None)


def _served_by(paths: list[tuple[str, tuple[str, ...]]], columns: list[str]) -> str | None:
    """An existing index whose leading columns are exactly these (in any order for a
    single-column equality on a unique key, where order does not matter)."""
    for name, existing in paths:
        if tuple(existing[: len(columns)]) == tuple(columns):
            return name
    return None


def _merge(candidates: list[Candidate], existing: dict) -> list[m.Index]:
    """Drop a candidate that is a prefix of another on the same table; the longer one serves both."""
    kept: list[Candidate] = []
    twins: dict[tuple[str, tuple[tuple[str, bool], ...]], Candidate] = {}
    by_table: dict[str, list[Candidate]] = {}  # lookups stay per table, so merging is linear in the design
    for cand in candidates:
        twin = twins.get((cand.table, tuple(cand.columns)))
        if twin:
            twin.reasons += [r for r in cand.reasons if r not in twin.reasons]
            twin.patterns += [p for p in cand.patterns if p not in twin.patterns]
        else:
            kept.append(cand)
            twins[(cand.table, tuple(cand.columns))] = cand
            by_table.setdefault(cand.table, []).append(cand)
    result: list[Candidate] = []
    for cand in kept:
        longer = next((k for k in by_table[cand.table] if k is not cand
                       and len(k.columns) > len(cand.columns) and k.columns[: len(cand.columns)] == cand.columns), None)
        if longer:
            longer.reasons += [r for r in cand.reasons if r not in longer.reasons]
            longer.patterns += [p for p in cand.patterns if p not in longer.patterns]
        elif _served_by(existing.get(cand.table, []), list(cand.names())) is None:
            result.append(cand)
    indexes, names = [], set()
    for cand in result:
        name = constraint("ix", cand.table, *cand.names())
        while name in names:
            name = constraint("ix", cand.table, *cand.names(), str(len(names)))
        names.add(name)
        indexes.append(m.Index(name=name, table=cand.table,
                               columns=tuple(m.IndexColumn(expression=c, descending=d) for c, d in cand.columns),
                               reason="; ".join(cand.reasons), patterns=tuple(cand.patterns)))
    return indexes


def _describe(index: m.Index) -> str:
    cols = ", ".join(c.expression + (" DESC" if c.descending else "") for c in index.columns)
    return f"{index.method} ({cols})"
