"""Candidate indexes proposed from what each access pattern asks of a table.

Rules, each one a candidate the planner later judges (nothing here is chosen):

- single-key B-trees on every filter, join, sort and group key: the atoms the Extend search
  starts from and extends one key at a time;
- multi-column B-trees ordered equality -> one prefix/range -> sort (with ASC/DESC), so one
  range scan returns rows in order; GROUP BY keys after the equality keys; join keys first,
  then equality and range keys (the lookups of a nested loop or a correlated subquery);
- covering indexes (INCLUDE the projected columns when there are at most `MAX_INCLUDE`);
- partial indexes when the query compares a column with a constant (`status = 'open'`): the
  constant moves to WHERE and the index keeps only those rows; also on the join keys alone
  (the inner side of a nested loop over those rows);
- expression indexes: keys such as `(lower(email))` come from the predicates as written;
- GIN for full-text, JSON and array operators;
- BRIN for range keys on large tables that only grow (no UPDATE/DELETE pattern) and whose
  physical order follows the column (pg_stats.correlation);
- foreign-key indexes (joins from the parent, and the check on parent deletes).

Candidates equal to an existing index, or that are a prefix of one, are dropped (with a
reason); composite candidates that are a prefix of another are merged into it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from schemawright import model as m
from schemawright.indexing.predicates import QueryAccess, TableAccess
from schemawright.naming import constraint

MAX_INCLUDE = 3  # covering index only when the query reads at most this many other columns
MAX_KEYS = 4  # longer B-tree keys rarely pay for their size
BRIN_MIN_ROWS = 100_000  # below this a B-tree (or a scan) is as cheap as BRIN
BRIN_MIN_CORRELATION = 0.9


@dataclass(frozen=True)
class Candidate:
    table: str
    keys: tuple[tuple[str, bool], ...]  # (column or "(expression)", descending)
    method: str = "btree"
    where: str | None = None
    include: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # A column that became a key (extended, or merged) is no longer an included payload.
        keys = {k for k, _ in self.keys}
        if any(c in keys for c in self.include):
            object.__setattr__(self, "include", tuple(c for c in self.include if c not in keys))

    @property
    def key_names(self) -> tuple[str, ...]:
        return tuple(k for k, _ in self.keys)

    def extended(self, key: str, descending: bool = False) -> Candidate:
        return Candidate(self.table, self.keys + ((key, descending),), self.method, self.where, self.include)

    def label(self) -> str:
        cols = ", ".join(k + (" DESC" if d else "") for k, d in self.keys)
        text = f"{self.table} {'' if self.method == 'btree' else 'USING ' + self.method + ' '}({cols})"
        if self.include:
            text += f" INCLUDE ({', '.join(self.include)})"
        if self.where:
            text += f" WHERE {self.where}"
        return text

    def name(self) -> str:
        parts = [_name_part(k) for k in self.key_names]
        if self.where:
            parts.append("partial")
        return constraint("ix", self.table, *parts)

    def to_index(self, name: str | None = None, reason: str = "", patterns: tuple[str, ...] = ()) -> m.Index:
        return m.Index(name=name or self.name(), table=self.table, method=self.method, where=self.where,
                       include=self.include, reason=reason, patterns=patterns,
                       columns=tuple(m.IndexColumn(expression=k, descending=d) for k, d in self.keys))

    def columns(self) -> set[str]:
        """Plain column names the index reads (keys, INCLUDE, WHERE), for update maintenance."""
        import re

        words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", " ".join(self.key_names) + " " + (self.where or "")))
        return words | set(self.include)


def _name_part(key: str) -> str:
    import re

    return "_".join(re.findall(r"[A-Za-z0-9]+", key.lower())) or "expr"


@dataclass
class Proposal:
    """A candidate with the patterns and rules that proposed it."""

    candidate: Candidate
    patterns: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)

    def note(self, pattern: str | None, rule: str) -> None:
        if pattern and pattern not in self.patterns:
            self.patterns.append(pattern)
        if rule not in self.rules:
            self.rules.append(rule)


@dataclass
class TableFacts:
    """What the database says about a table (from pg_class/pg_stats after ANALYZE)."""

    rows: float = 0.0
    correlation: dict[str, float] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)  # column -> format_type


@dataclass
class CandidateSet:
    atoms: dict[Candidate, Proposal] = field(default_factory=dict)  # single-key B-trees (Extend's start)
    composites: dict[Candidate, Proposal] = field(default_factory=dict)  # multi-key, partial, covering, GIN, BRIN
    existing: list[tuple[Candidate, str]] = field(default_factory=list)  # dropped: (candidate, index that covers it)
    extension_keys: dict[str, list[str]] = field(default_factory=dict)  # table -> keys Extend may append

    def all(self) -> dict[Candidate, Proposal]:
        return {**self.atoms, **self.composites}


def existing_indexes(design: m.Design) -> list[tuple[str, Candidate]]:
    """Primary keys, unique constraints and indexes already in the design, as candidates."""
    out: list[tuple[str, Candidate]] = []
    for table in design.tables:
        if table.primary_key:
            out.append((table.primary_key.name, Candidate(table.name, tuple((c, False) for c in table.primary_key.columns))))
        for uq in table.uniques:
            out.append((uq.name, Candidate(table.name, tuple((c, False) for c in uq.columns))))
    for index in design.indexes:
        out.append((index.name, Candidate(index.table, tuple((c.expression, c.descending) for c in index.columns),
                                          index.method, index.where, index.include)))
    return out


def propose(design: m.Design, accesses: dict[str, QueryAccess], facts: dict[str, TableFacts] | None = None) -> CandidateSet:
    """Every candidate for the patterns in `accesses` (pattern name -> analysis)."""
    facts = facts or {}
    out = CandidateSet()
    written = {a.target for a in accesses.values() if a.statement in ("update", "delete") and a.target}

    def add(pool: dict[Candidate, Proposal], cand: Candidate, pattern: str | None, rule: str) -> None:
        if not cand.keys:
            return
        pool.setdefault(cand, Proposal(cand)).note(pattern, rule)

    for pattern, access in accesses.items():
        for use in access.tables.values():
            extension = out.extension_keys.setdefault(use.table, [])
            for key in use.filter_keys() + use.join + use.group + [k for k, _ in use.sort]:
                TableAccess.add(extension, key)
                add(out.atoms, Candidate(use.table, ((key, False),)), pattern, "single key of a predicate, join or sort")
            for cand, rule in _composites(use, access, facts.get(use.table), use.table not in written):
                add(out.composites, cand, pattern, rule)
    for table in design.tables:
        for fk in table.foreign_keys:
            add(out.composites if len(fk.columns) > 1 else out.atoms,
                Candidate(table.name, tuple((c, False) for c in fk.columns)), None,
                f"foreign key to {fk.ref_table}: joins from it and the check on its deletes")
    # Already there: an existing index whose leading keys are the candidate's (same method, WHERE).
    present = existing_indexes(design)
    unique = _unique_keys(design)
    for pool in (out.atoms, out.composites):
        for cand in list(pool):
            owner = next((name for name, ex in present if covers(ex, cand)), None) or _unique_lead(cand, unique)
            if owner is not None:
                out.existing.append((cand, owner))
                del pool[cand]
    _merge_prefixes(out.composites)
    return out


def _unique_keys(design: m.Design) -> dict[str, list[tuple[str, frozenset[str]]]]:
    """table -> (constraint or index name, columns) of every full unique B-tree."""
    out: dict[str, list[tuple[str, frozenset[str]]]] = {}
    for table in design.tables:
        keys = out.setdefault(table.name, [])
        if table.primary_key:
            keys.append((table.primary_key.name, frozenset(table.primary_key.columns)))
        keys += [(u.name, frozenset(u.columns)) for u in table.uniques]
        keys += [(i.name, frozenset(c.expression for c in i.columns)) for i in design.indexes_on(table.name)
                 if i.unique and not i.where and i.method == "btree"]
    return out


def _unique_lead(cand: Candidate, unique: dict[str, list[tuple[str, frozenset[str]]]]) -> str | None:
    """A partial B-tree led by a unique key finds the same one row as the unique index does:
    the partial copy only adds upkeep (an INCLUDE list, for index-only scans, is kept)."""
    if cand.method != "btree" or cand.where is None or cand.include:
        return None
    for name, columns in unique.get(cand.table, []):
        if columns and columns == frozenset(cand.key_names[:len(columns)]):
            return name
    return None


def _composites(use: TableAccess, access: QueryAccess, facts: TableFacts | None, append_only: bool):
    equality = use.equality[:MAX_KEYS]
    seek = (use.prefix + use.range)[:1]
    sort = _normalised(use.sort)
    keys = [(k, False) for k in equality]
    if sort and (not seek or sort[0][0] == seek[0]) and not _sort_done(sort, equality):
        ordered = keys + [(k, d) for k, d in sort if k not in equality]
    else:
        ordered = keys + [(k, False) for k in seek]
    ordered = ordered[:MAX_KEYS]
    rules = []
    if len(ordered) > 1:
        rules.append((Candidate(use.table, tuple(ordered)), "equality, then range/prefix, then sort"))
    if use.join and len(use.join) + len(equality) + len(seek) > 1:
        # The inner side of a nested loop (or a correlated subquery) looks rows up by its join
        # keys, which then act as equality keys: join keys, the other equality keys, one range.
        looked_up = [(k, False) for k in use.join] + [(k, False) for k in equality + seek if k not in use.join]
        rules.append((Candidate(use.table, tuple(looked_up[:MAX_KEYS])), "join keys, then equality, then range"))
    if use.group and len(equality) + len(use.group) > 1:
        grouped = keys + [(k, False) for k in use.group if k not in equality]
        rules.append((Candidate(use.table, tuple(grouped[:MAX_KEYS])), "equality, then GROUP BY keys"))
    base = Candidate(use.table, tuple(ordered)) if ordered else None
    if base is not None and not use.star:
        extra = [c for c in use.projected if c not in base.key_names]
        if 0 < len(extra) <= MAX_INCLUDE:
            rules.append((Candidate(use.table, base.keys, include=tuple(extra)),
                          f"covering: INCLUDE the {len(extra)} other column(s) the query reads (index-only scan)"))
    if use.constants:
        constant_keys = {c.split(" ", 1)[0] for c in use.constants}
        rest = [(k, d) for k, d in ordered if k not in constant_keys]
        if not rest and sort:
            rest = [(k, d) for k, d in sort if k not in constant_keys]
        if not rest:
            rest = [(k, False) for k in use.join if k not in constant_keys][:1]
        if rest:
            rules.append((Candidate(use.table, tuple(rest), where=" AND ".join(sorted(use.constants))),
                          "partial: the constant predicate becomes the index's WHERE"))
        joined = [(k, False) for k in use.join if k not in constant_keys][:MAX_KEYS]
        if joined and joined != rest:
            # The inner side of a nested loop, over only the rows the constants keep (TPC-H Q19:
            # lineitem (l_partkey) WHERE l_shipinstruct = ... AND l_shipmode IN ..., a tenth of the bytes).
            rules.append((Candidate(use.table, tuple(joined), where=" AND ".join(sorted(use.constants))),
                          "partial lookup: join keys, the constant predicate as the index's WHERE"))
    for key, kind in use.gin:
        rules.append((Candidate(use.table, ((key, False),), method="gin"), f"GIN for the {kind} operator"))
    if append_only and facts is not None and facts.rows >= BRIN_MIN_ROWS:
        for key in use.range:
            if abs(facts.correlation.get(key, 0.0)) >= BRIN_MIN_CORRELATION:
                rules.append((Candidate(use.table, ((key, False),), method="brin"),
                              f"BRIN: {use.table} only grows and its rows are stored in {key} order"))
    return rules


def _normalised(sort: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    """A B-tree scans both ways: (a DESC, b DESC) is served by (a, b); flip so the first key ascends."""
    if sort and sort[0][1]:
        return [(k, not d) for k, d in sort]
    return list(sort)


def _sort_done(sort: list[tuple[str, bool]], equality: list[str]) -> bool:
    return all(k in equality for k, _ in sort)


def covers(existing: Candidate, cand: Candidate) -> bool:
    if existing.table != cand.table or existing.method != cand.method or existing.where != cand.where:
        return False
    if cand.method != "btree":
        return existing.keys == cand.keys
    n = len(cand.keys)
    if existing.keys[:n] != cand.keys and tuple((k, not d) for k, d in existing.keys[:n]) != cand.keys:
        return False
    return set(cand.include) <= set(existing.key_names) | set(existing.include)


def _merge_prefixes(pool: dict[Candidate, Proposal]) -> None:
    """A B-tree candidate whose keys are a prefix of another's (same WHERE, no extra INCLUDE)
    is served by the longer one: merge its patterns and rules into it."""
    for cand in sorted(pool, key=lambda c: len(c.keys)):
        longer = next((o for o in pool if o is not cand and len(o.keys) > len(cand.keys) and covers(o, cand)), None)
        if longer is not None:
            proposal = pool.pop(cand)
            for pattern in proposal.patterns:
                pool[longer].note(pattern, f"merged prefix candidate {cand.label()}")
