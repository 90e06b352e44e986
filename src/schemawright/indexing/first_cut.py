"""Step 5, first cut: indexes from foreign keys and from each access pattern's predicates.

The rule of thumb a DBA applies by hand: equality columns first, then one range column,
then the sort columns, so one B-tree range scan returns rows already in order.  No database
is asked, so every rule is one the planner would agree with at the declared volumes:

- keys come only from sargable predicates (`predicates.sargable`: not a CASE inside an
  aggregate, a FILTER clause, NOT IN, `<>`, a constant in a JOIN's ON clause, the select list);
- a column with few distinct values (enum, boolean, `data: {distinct: 3}`) never leads a
  B-tree on a large table: it goes after a selective column, becomes a partial index's WHERE
  when the pattern reads one literal subset (`status = 'open'`), or is left out;
- an ORDER BY gives an index only with a filter, a join key or a LIMIT to stop early, and a
  range key never displaces a sort that an existing key already delivers;
- GIN for full-text, JSON containment and arrays, trigram GIN for infix LIKE/ILIKE, and
  expression keys as written (`(lower(last_name))`);
- write cost: a foreign key to a tiny lookup table nothing deletes from gets no index, and an
  index on a column updated many times a second is held back on a table with many indexes
  (every such update would lose HOT and write every index).

Every index made and every one held back is a Decision with its reason.  A later advisor
replaces `choose_indexes` with planner-checked choices; it takes and returns the same Design.
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from schemawright import model as m
from schemawright.indexing.candidates import Candidate, Proposal, covers
from schemawright.indexing.analysis import parsed
from schemawright.indexing.cardinality import FEW_ROWS, TINY_PARENT_ROWS, Cardinality
from schemawright.indexing.predicates import QueryAccess, TableAccess, analyse, normalise_parameters
from schemawright.naming import constraint

HOT_UPDATES_PER_SECOND = 100.0  # updates of one column per second that make losing HOT updates costly
MANY_INDEXES = 5  # a table with this many indexes already pays for each more on every non-HOT update
TRIGRAM = "pg_trgm"


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


# The start of a foreign key's comment when design leaves it unindexed on purpose (lint SW301 reads it).
NO_INDEX_ON_PURPOSE = "No index on purpose:"


class _Plan:
    """The first cut's working state: proposals, what already serves, what was held back."""

    def __init__(self, design: m.Design) -> None:
        self.design = design
        self.card = Cardinality(design)
        self.present = _present(design)
        self.proposals: dict[Candidate, Proposal] = {}
        self.fk_reasons: dict[Candidate, str] = {}
        self.served: dict[str, set[str]] = {}  # existing index or key -> patterns it serves
        self.held: dict[str, str] = {}  # subject -> reason (a Decision each)
        self.unindexed: dict[tuple[str, tuple[str, ...]], str] = {}  # foreign keys left without an index on purpose

    def propose(self, cand: Candidate, pattern: str | None, rule: str, equal: int = 0) -> None:
        """`equal`: how many leading keys the pattern compares for equality (their direction is free)."""
        owner = self.owner(cand, equal)
        if owner is not None:
            if pattern:
                self.served.setdefault(owner, set()).add(pattern)
            return
        self.proposals.setdefault(cand, Proposal(cand)).note(pattern, rule)

    def owner(self, cand: Candidate, equal: int = 0) -> str | None:
        """The existing index or key that already gives this candidate's scan."""
        return next((name for name, ex in self.present if _serves(ex, cand, equal)), None)

    def hold(self, subject: str, reason: str) -> None:
        self.held.setdefault(subject, reason)


def choose_indexes(design: m.Design) -> m.Design:
    design = design.model_copy(update={"indexes": design.indexes + declared_indexes(design)})
    plan = _Plan(design)
    patterns, accesses = [], {}
    for pattern in design.access_patterns:
        try:
            access = analyse(normalise_parameters(pattern.sql), design, sargable_only=True)
        except (ParseError, TokenError):
            patterns.append(pattern)
            continue
        accesses[pattern.name] = access
        patterns.append(pattern.model_copy(update={"tables": tuple(access.tables), "kind": pattern.kind}))
        for use in access.tables.values():
            _plan_use(plan, pattern.name, use, access, _written_order(pattern.sql))
    writes = _Writes(design, accesses)
    if design.naming.derive_indexes:
        _foreign_keys(plan, writes)
    indexes = _merge(plan) if design.naming.derive_indexes else []
    indexes = _hold_back_hot(plan, writes, indexes)
    extensions = design.extensions
    if any(c.expression.endswith(" gin_trgm_ops") for i in indexes for c in i.columns) and TRIGRAM not in extensions:
        extensions = tuple(sorted((*extensions, TRIGRAM)))
    decisions = [m.Decision(step="indexing", subject=f"{i.table}.{i.name}", choice=_describe(i), reason=i.reason)
                 for i in indexes]
    for owner, names in sorted(plan.served.items()):
        decisions.append(m.Decision(step="indexing", subject=owner, choice="no new index",
                                    reason=f"already serves access pattern(s) {', '.join(sorted(names))}"))
    for subject, reason in sorted(plan.held.items()):
        decisions.append(m.Decision(step="indexing", subject=subject, choice="no index", reason=reason))
    serving: dict[str, set[str]] = {}  # pattern -> indexes and keys serving it, built in one pass
    for index in indexes:
        for name in index.patterns:
            serving.setdefault(name, set()).add(index.name)
    for owner, names in plan.served.items():
        for name in names:
            serving.setdefault(name, set()).add(owner)
    patterns = [p.model_copy(update={"served_by": tuple(sorted(serving.get(p.name, ())))}) for p in patterns]
    return design.model_copy(update={"indexes": design.indexes + tuple(indexes), "access_patterns": tuple(patterns),
                                     "decisions": design.decisions + tuple(decisions), "extensions": extensions,
                                     "tables": _noted_foreign_keys(design.tables, plan.unindexed)})


def _noted_foreign_keys(tables: tuple[m.Table, ...], unindexed: dict[tuple[str, tuple[str, ...]], str]
                        ) -> tuple[m.Table, ...]:
    """Foreign keys left without an index on purpose carry the reason (a comment in the DDL)."""
    if not unindexed:
        return tables
    noted = {name for name, _ in unindexed}
    return tuple(t.model_copy(update={"foreign_keys": tuple(
        fk.model_copy(update={"reason": unindexed[(t.name, fk.columns)]}) if (t.name, fk.columns) in unindexed else fk
        for fk in t.foreign_keys)}) if t.name in noted else t for t in tables)


# ---------------------------------------------------------------- one pattern on one table


def _written_order(sql: str) -> dict[str, int]:
    """Column name -> where it is first written in a WHERE or ON clause, so equality keys keep
    the order a reader wrote (the select list does not count)."""
    order: dict[str, int] = {}
    for i, node in enumerate(parsed(sql).tree.walk(bfs=False)):
        if isinstance(node, exp.Column) and node.find_ancestor(exp.Where, exp.Join) is not None:
            order.setdefault(node.name, i)
    return order


def _plan_use(plan: _Plan, pattern: str, use: TableAccess, access: QueryAccess, order: dict[str, int]) -> None:
    table = use.table
    found = plan.design.table(table)
    equality = use.equality + [k for k, is_not in use.null if not is_not and k not in use.equality]
    equality = sorted(equality, key=lambda k: order.get(k, len(order)))
    lows = {k: why for k in equality if (why := plan.card.low(table, k))}
    selective = [k for k in equality if k not in lows]
    unique = _unique_lookup(found, use.equality)
    driven = any(u.equality for t, u in access.tables.items() if t != table)  # another table leads the plan
    if unique is None and use.join and not selective and (driven or not use.range and not use.prefix):
        # Looked up by a unique join key from the table that leads: one row per outer row, whose
        # range predicates are checked on that row.
        unique = _unique_lookup(found, use.join)
    if unique is not None:  # at most one row: no other index helps
        plan.served.setdefault(unique, set()).add(pattern)
        return
    for key, kind in use.gin:
        plan.propose(Candidate(table, ((key, False),), method="gin"), pattern,
                     f"access pattern {pattern}: GIN for the {_GIN_WORDS.get(kind, kind)} on {key}")
    # A literal subset (status = 'open') becomes a partial index's WHERE only where the column
    # would otherwise lead; after a selective column it stays a key (one index serves more).
    literal = {} if selective else {c.split(" ", 1)[0]: c for c in use.constants if c.split(" ", 1)[0] in lows}
    where_parts = [literal[k] for k in lows if k in literal]
    for key, why in lows.items():
        if key in literal:
            continue
        if selective:
            continue  # it follows the selective keys below
        plan.hold(f"{table}.{key} ({pattern})", f"access pattern {pattern} compares {key} with a parameter, but {why}: "
                                                "it leads no index (a partial index needs a literal value)")
    keys: list[tuple[str, bool]] = [(k, False) for k in selective]
    keys += [(k, False) for k in lows if k not in literal and selective]
    equal = len(keys)
    seek = [k for k in (use.prefix + use.range) if not plan.card.low(table, k)][:1]
    sort = [(k, d) for k, d in use.sort if k not in equality]
    few = plan.card.rows_per_lookup(table, selective) if selective else None
    if few is not None and few[0] <= FEW_ROWS and (sort or seek or len(keys) > len(selective)):
        # The lookup finds a handful of rows: filtering and sorting them costs less than
        # carrying the range and sort columns in an index (the planner reads the shorter one).
        dropped = [k for k in keys[len(selective):]] + [k for k, _ in sort] + seek
        plan.hold(f"{table}.{', '.join(dict.fromkeys(k if isinstance(k, str) else k[0] for k in dropped))} ({pattern})",
                  f"access pattern {pattern} finds about {few[0]:.3g} row(s) per {', '.join(selective)} "
                  f"({few[1]}): it sorts or filters them after the lookup, so the index stops at the selective columns")
        seek, sort = [], []
        keys, equal, lows = keys[:len(selective)], len(selective), {k: w for k, w in lows.items() if k in literal}
    if driven and use.join and not selective and not seek and (sort or where_parts):
        # The inner side of a join another table leads: rows are looked up by the join key for
        # each outer row, and its sort and literal subset apply to those rows only.
        sort, where_parts = [], []
    stops_early = access.limit is not None and len(access.tables) == 1
    if sort and (not seek or sort[0][0] == seek[0]):
        keys += sort
        rule = "equality columns, then the sort columns (rows come in order)"
    elif seek:
        in_order = Candidate(table, tuple(keys + sort))
        if sort and plan.owner(in_order, len(keys)):
            # The existing key returns rows already in order; the range only filters them.
            plan.propose(in_order, pattern, "", len(keys))
            return
        keys += [(seek[0], False)]
        rule = "equality columns, then one range column"
    else:
        rule = "equality columns"
    trigram = [k for k, infix in use.trigram if infix or not keys]
    for key in trigram:
        column = key if key.startswith("(") else f"({key})"
        plan.propose(Candidate(table, ((f"{column} gin_trgm_ops", False),), method="gin"), pattern,
                     f"access pattern {pattern}: trigram GIN for the LIKE/ILIKE on {key} (a B-tree cannot "
                     "seek a pattern that starts with a wildcard or ignores case)")
    only_sort = keys and not selective and not where_parts and len(keys) == len(sort) and not seek
    if only_sort and use.join:
        keys = [(use.join[0], False)] + [k for k in keys if k[0] != use.join[0]]
        rule = "the join key, then the sort columns"
    elif only_sort and not stops_early:
        plan.hold(f"{table}.{keys[0][0]} ({pattern})",
                  f"access pattern {pattern} sorts {table} by {', '.join(k for k, _ in keys)} with no filter, join key "
                  "or LIMIT on it: the plan sorts the rows it has found, an index on the sort columns is not read")
        return
    if not keys and where_parts:
        keys = [(k, False) for k in use.join[:1]] or _primary_lead(plan.design.table(table))
        rule = "the rows of the subset only"
    if not keys and use.join:
        keys, rule = [(use.join[0], False)], "the join key (the inner side of a nested loop)"
    if not keys:
        return
    where = " AND ".join(sorted(where_parts)) or None
    detail = ", ".join(f"{k}{' DESC' if d else ''}" for k, d in keys)
    note = f"access pattern {pattern}: ({detail})"
    if where:
        note += f" WHERE {where} — partial: " + "; ".join(lows[k] for k in lows if k in literal) + \
                f", so the index keeps only the rows the pattern reads; {rule}"
    else:
        note += f" — {rule}"
        moved = [k for k in lows if k not in literal and selective]
        if moved:
            note += f"; {', '.join(moved)} after the selective column(s): " + "; ".join(lows[k] for k in moved)
    plan.propose(Candidate(table, tuple(keys), where=where), pattern, note, equal)


_GIN_WORDS = {"fulltext": "full-text search (@@)", "contains": "containment operator (@>)",
              "contained": "contained-by operator (<@)", "overlaps": "overlap operator (&&)",
              "json_key": "JSON key operators (?, ?|, ?&)"}


def _primary_lead(table: m.Table | None) -> list[tuple[str, bool]]:
    return [(table.primary_key.columns[0], False)] if table is not None and table.primary_key else []


# ---------------------------------------------------------------- writes


class _Writes:
    """What the write patterns change: per-column update rates, deleted tables, re-keyed columns."""

    def __init__(self, design: m.Design, accesses: dict[str, QueryAccess]) -> None:
        frequency = {p.name: p.frequency for p in design.access_patterns}
        self.updates: dict[tuple[str, str], float] = {}  # (table, column) -> updates per second
        self.deleted: dict[str, list[str]] = {}  # table -> patterns deleting from it
        for name, access in accesses.items():
            if access.target is None:
                continue
            if access.statement == "delete":
                self.deleted.setdefault(access.target, []).append(name)
            for column in access.set_columns if access.statement == "update" else ():
                key = (access.target, column)
                self.updates[key] = self.updates.get(key, 0.0) + frequency.get(name, 1.0)

    def rekeyed(self, table: str, columns: tuple[str, ...]) -> bool:
        return any((table, c) in self.updates for c in columns)


def _foreign_key_need(card: Cardinality, writes: _Writes, table: m.Table, fk: m.ForeignKey) -> str | None:
    """Why the foreign key's columns need an index, or None for a tiny lookup table that no
    pattern deletes from or re-keys (its delete check never runs; joins read the child by other keys)."""
    deleting = writes.deleted.get(fk.ref_table)
    if deleting:
        return f"rows of {fk.ref_table} are deleted (access pattern {', '.join(deleting)}): the foreign " \
               f"key's ON DELETE {fk.on_delete.upper()} check reads {table.name} by {', '.join(fk.columns)}"
    if writes.rekeyed(fk.ref_table, fk.ref_columns):
        return f"{fk.ref_table}'s key is updated: the foreign key's check reads {table.name} by {', '.join(fk.columns)}"
    parent_rows = card.rows(fk.ref_table)
    if parent_rows is None or parent_rows > TINY_PARENT_ROWS:
        return f"joins from {fk.ref_table} and the check run on every delete of a {fk.ref_table} row " \
               f"would otherwise scan {table.name}"
    return None


def write_needed_foreign_keys(design: m.Design) -> dict[tuple[str, tuple[str, ...]], str]:
    """(table, columns) -> why a write needs this foreign key indexed: a pattern deletes its
    parent's rows or updates the parent's key, so the key's check reads the child by it."""
    card, writes = Cardinality(design), _Writes(design, _accesses(design))
    return {(table.name, fk.columns): _foreign_key_need(card, writes, table, fk) or "" for table in design.tables
            for fk in table.foreign_keys
            if writes.deleted.get(fk.ref_table) or writes.rekeyed(fk.ref_table, fk.ref_columns)}


def lookup_foreign_keys(design: m.Design) -> dict[tuple[str, tuple[str, ...]], str]:
    """(table, columns) -> why the first cut gives this foreign key no index (a tiny lookup table
    nothing deletes from), judged again from the design's volumes; lint's SW301 accepts these."""
    card, writes = Cardinality(design), _Writes(design, _accesses(design))
    return {(table.name, fk.columns): _lookup_reason(card, table, fk) for table in design.tables
            for fk in table.foreign_keys if _foreign_key_need(card, writes, table, fk) is None}


def _accesses(design: m.Design) -> dict[str, QueryAccess]:
    """Each pattern's sargable analysis (patterns sqlglot cannot read are left out)."""
    out = {}
    for pattern in design.access_patterns:
        try:
            out[pattern.name] = analyse(normalise_parameters(pattern.sql), design, sargable_only=True)
        except (ParseError, TokenError):
            continue
    return out


def _lookup_reason(card: Cardinality, table: m.Table, fk: m.ForeignKey) -> str:
    return f"{fk.ref_table} is a lookup table of about {card.rows(fk.ref_table):,} rows that no access pattern " \
           f"deletes from or re-keys: the foreign key's delete check never runs, so an index would only cost " \
           f"upkeep on every write of {table.name}"


def _foreign_keys(plan: _Plan, writes: _Writes) -> None:
    for table in plan.design.tables:
        for fk in table.foreign_keys:
            cand = Candidate(table.name, tuple((c, False) for c in fk.columns))
            why = _foreign_key_need(plan.card, writes, table, fk)
            joined = any(cand.key_names == c.key_names[:len(fk.columns)] for c in plan.proposals if c.table == table.name)
            if why is None and joined:
                why = f"joins from {fk.ref_table}"
            if why is None:
                if plan.owner(cand) is None:
                    reason = _lookup_reason(plan.card, table, fk)
                    plan.hold(f"{table.name}.{'_'.join(fk.columns)} (foreign key to {fk.ref_table})", reason)
                    plan.unindexed[(table.name, fk.columns)] = f"{NO_INDEX_ON_PURPOSE} {reason}"
                continue
            plan.propose(cand, None, f"foreign key to {fk.ref_table}: {why}")


def _hold_back_hot(plan: _Plan, writes: _Writes, indexes: list[m.Index]) -> list[m.Index]:
    """An index on a column updated many times a second, on a table with many indexes: each
    such update stops being HOT and writes every index of the table; held back with its benefit."""
    kept = []
    for index in indexes:
        count = _index_count(plan.design, index.table) + sum(1 for i in indexes if i.table == index.table)
        touched = Candidate(index.table, tuple((c.expression, c.descending) for c in index.columns),
                            where=index.where, include=index.include).columns()
        hot = sorted((rate, c) for c in touched if (rate := writes.updates.get((index.table, c), 0.0)) > 0)
        rate = sum(r for r, _ in hot)
        foreign = index.reason.startswith("foreign key") or "; foreign key" in index.reason
        if rate >= HOT_UPDATES_PER_SECOND and count > MANY_INDEXES and not foreign:
            plan.hold(f"{index.table}.{index.name}",
                      f"held back: it would serve {', '.join(index.patterns) or 'no pattern'}, but "
                      f"{', '.join(c for _, c in hot)} is updated {rate:g} times a second and {index.table} has "
                      f"{count - 1} other indexes: each such update would stop being HOT and write all of them")
            continue
        kept.append(index)
    return kept


def _index_count(design: m.Design, table: str) -> int:
    found = design.table(table)
    keys = (1 if found is not None and found.primary_key else 0) + (len(found.uniques) if found is not None else 0)
    return keys + len(design.indexes_on(table))


# ---------------------------------------------------------------- merging and naming


def _present(design: m.Design) -> list[tuple[str, Candidate]]:
    """Primary keys, unique constraints and indexes already in the design, as candidates."""
    out: list[tuple[str, Candidate]] = []
    for table in design.tables:
        for name, columns in ([(table.primary_key.name, table.primary_key.columns)] if table.primary_key else []) + \
                [(u.name, u.columns) for u in table.uniques]:
            out.append((name, Candidate(table.name, tuple((c, False) for c in columns))))
    for index in design.indexes:
        out.append((index.name, Candidate(index.table, tuple((c.expression, c.descending) for c in index.columns),
                                          index.method, index.where, index.include)))
    return out


def _unique_lookup(table: m.Table | None, equality: list[str]) -> str | None:
    """A key whose columns are all compared for equality finds at most one row: enough."""
    keys = ([table.primary_key] if table and table.primary_key else []) + list(table.uniques if table else [])
    return next((k.name for k in keys if set(k.columns) <= set(equality)), None)


def _serves(existing: Candidate, cand: Candidate, equal: int = 0) -> bool:
    """`covers`, where a B-tree read backwards also counts: (a, b) gives a = :x ORDER BY b DESC,
    so past the `equal` leading equality keys (in any order) directions all agree or all differ."""
    if covers(existing, cand):
        return True
    if cand.method != "btree" or (existing.table, existing.method, existing.where) != (cand.table, "btree", cand.where):
        return False
    head = existing.keys[:len(cand.keys)]
    if len(head) < len(cand.keys) or not set(cand.include) <= set(existing.key_names) | set(existing.include):
        return False
    if {k for k, _ in head[:equal]} != {k for k, _ in cand.keys[:equal]}:
        return False
    if tuple(k for k, _ in head[equal:]) != cand.key_names[equal:]:
        return False
    same = {d == e for (_, d), (_, e) in zip(head[equal:], cand.keys[equal:])}
    return len(same) <= 1


def _merge(plan: _Plan) -> list[m.Index]:
    """A B-tree candidate whose keys lead another's (same WHERE) is served by the longer one."""
    pool = plan.proposals
    for cand in sorted(pool, key=lambda c: len(c.keys)):
        longer = next((o for o in pool if o is not cand and len(o.keys) > len(cand.keys) and _serves(o, cand)), None)
        if longer is not None:
            proposal = pool.pop(cand)
            for pattern in proposal.patterns:
                pool[longer].note(pattern, "")
            for rule in proposal.rules:
                pool[longer].note(None, rule)
    indexes, names = [], {i.name for i in plan.design.indexes}
    for cand, proposal in pool.items():
        name = cand.name()
        while name in names:
            name = constraint("ix", cand.table, *[k for k in cand.key_names], str(len(names)))
        names.add(name)
        reason = "; ".join(r for r in proposal.rules if r)
        indexes.append(cand.to_index(name=name, reason=reason, patterns=tuple(proposal.patterns)))
    return indexes


def _describe(index: m.Index) -> str:
    cols = ", ".join(c.expression + (" DESC" if c.descending else "") for c in index.columns)
    text = f"{index.method} ({cols})"
    return text + (f" WHERE {index.where}" if index.where else "")
