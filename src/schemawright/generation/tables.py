"""One table's rows as numpy arrays: keys, foreign keys, unique keys, then the rest.

Order of work for a table of n rows:
1. single-column surrogate keys (identity, serial, uuid) are 1..n (or n distinct codes);
2. foreign keys pick a row of the parent among the rows already loaded (uniformly, or
   with the column's `data.skew`); a foreign key that is itself unique (one-to-one) picks
   n distinct parents, the columns of a junction key n distinct combinations;
3. every other unique key is made unique by construction: when it contains foreign-key
   columns, one of its other columns is numbered within each parent (line_number 1, 2,
   3 ... per order); otherwise one of its columns gets n distinct values;
4. the remaining columns are drawn at random from their rules and `data:`.
Rows that cannot be made unique (a small domain exhausted) are dropped and counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import sqlglot
from sqlglot import exp

from schemawright import model as m
from schemawright.generation.columns import ColumnGen, GenerationError, build_column
from schemawright.generation.computed import computable, defining_checks, evaluate, stored
from schemawright.generation.distributions import (
    distinct_count,
    draw_codes,
    null_mask,
    rng_for,
)
from schemawright.validation.falsify import falsify
from schemawright.validation.rules import check_columns, column_name, column_rules, derived_columns
from schemawright.validation.values import profile


@dataclass
class Loaded:
    """What children need from a loaded table: the raw values of referenced columns."""

    rows: int
    raw: dict[str, np.ndarray]
    nulls: dict[str, np.ndarray | None]
    gens: dict[str, ColumnGen]


@dataclass
class TableData:
    table: m.Table
    columns: list[str]  # supplied columns, in table order
    gens: dict[str, ColumnGen]
    raw: dict[str, np.ndarray]
    nulls: dict[str, np.ndarray | None]
    rows: int
    fixed: set[str] = field(default_factory=set)  # key and foreign-key columns: never redrawn
    dropped: int = 0
    row_time: np.ndarray | None = None

    def render_rows(self, start: int, stop: int, indices: np.ndarray | None = None) -> list[list[str | None]]:
        """Rendered columns (text values, None for NULL) for rows [start, stop) or the given rows."""
        out = []
        for name in self.columns:
            raw = self.raw[name]
            nulls = self.nulls.get(name)
            if indices is not None:
                raw, nulls = raw[indices], (nulls[indices] if nulls is not None else None)
            else:
                raw, nulls = raw[start:stop], (nulls[start:stop] if nulls is not None else None)
            out.append(self.gens[name].render(raw, nulls))
        return out

    def keep(self, mask: np.ndarray) -> None:
        """Keep only the rows where `mask` is true."""
        self.dropped += int((~mask).sum())
        self.rows = int(mask.sum())
        self.raw = {k: v[mask] for k, v in self.raw.items()}
        self.nulls = {k: (v[mask] if v is not None else None) for k, v in self.nulls.items()}
        self.row_time = self.row_time[mask] if self.row_time is not None else None

    def loaded(self) -> Loaded:
        return Loaded(self.rows, self.raw, self.nulls, self.gens)


def generated_by_database(column: m.Column) -> bool:
    return column.generated is not None


def derived_sql(table: m.Table, supplied: set[str]) -> dict[str, str]:
    """Columns a CHECK defines from other supplied columns, as SQL over them (one level)."""
    found = {}
    for name, expression in derived_columns(table).items():
        inputs = {column_name(c) for c in expression.find_all(exp.Column)}
        if name in supplied and inputs <= supplied - {name}:
            found[name] = (inputs, expression.sql(dialect="postgres"))
    return {n: sql for n, (inputs, sql) in found.items() if not inputs & set(found)}


def data_profiles(design: m.Design) -> dict[str, m.DataProfile]:
    """`data:` of every attribute, by its source name (Entity.attribute / relationship.attribute)."""
    out: dict[str, m.DataProfile] = {}
    for entity in design.entities:
        for attribute in entity.attributes:
            if attribute.data is not None:
                out[f"{entity.name}.{attribute.name}"] = attribute.data
    for relationship in design.relationships:
        for attribute in relationship.attributes:
            if attribute.data is not None:
                out[f"{relationship.name}.{attribute.name}"] = attribute.data
    return out


class TableGenerator:
    def __init__(self, design: m.Design, table: m.Table, rows: int, *, seed: int, anchor: date,
                 enums: dict[str, tuple[str, ...]], profiles: dict[str, m.DataProfile], parents: dict[str, Loaded],
                 defaulted: frozenset[str] = frozenset()):
        """`defaulted`: columns left to their DEFAULT (the audit columns while the audit trigger is off)."""
        self.design, self.table, self.rows, self.seed, self.anchor = design, table, rows, seed, anchor
        self.parents = parents
        rules = column_rules(table)
        supplied = [c for c in table.columns if not generated_by_database(c) and c.name not in defaulted]
        self.derived = derived_sql(table, {c.name for c in supplied}) if all(c.sql_type for c in supplied) else {}
        self.columns = [c for c in supplied if c.name not in self.derived]
        self.gens: dict[str, ColumnGen] = {}
        temporal = 0
        keyish = {c for k in design.unique_keys(table) for c in k} | {c for fk in table.foreign_keys for c in fk.columns}
        for position, column in enumerate(table.columns):
            if column not in self.columns:
                continue
            prof = profile(column.name, column.sql_type or "text", semantic=column.semantic, position=position,
                           rules=rules.get(column.name), enums=enums)
            gen = build_column(column, prof, profiles.get(column.source or ""), anchor=anchor, temporal_position=None,
                               seed_key=f"{seed}:{table.name}:{column.name}", rows=rows)
            if gen.kind in ("date", "timestamp") and column.name not in keyish:
                gen.temporal_position = temporal
                temporal += 1
            self.gens[column.name] = gen
        self.computed = self._computed_columns(rules, enums, profiles)
        self.columns = [c for c in supplied if c.name not in self.derived]
        self.computed_checks = defining_checks(table, set(self.computed))
        self.fk_columns = {c for fk in table.foreign_keys for c in fk.columns}
        self.keys = design.unique_keys(table) + self._partial_keys()
        self.periods: set[str] = set()  # no_overlap rules whose periods are laid out by construction
        # columns a CHECK ties to others (status and its timestamps): their NULLs follow the states
        self.tied = {c for check in table.checks if (cs := check_columns(check)) is None or len(cs) > 1
                     for c in (cs or ()) if c in self.gens}
        self.orders = comparison_orders(table, self.gens)
        self.escapes = self._escapes()

    def _computed_columns(self, rules: dict, enums: dict, profiles: dict) -> dict[str, exp.Expression]:
        """Derived columns computed here (generation/computed.py) rather than by the staging table."""
        trees = derived_columns(self.table)
        out = {}
        for name in list(self.derived):
            column, tree = self.table.column(name), trees.get(name)
            if column is None or tree is None or not computable(tree, self.gens):
                continue
            position = [c.name for c in self.table.columns].index(name)
            prof = profile(name, column.sql_type or "text", semantic=column.semantic, position=position,
                           rules=rules.get(name), enums=enums)
            gen = build_column(column, prof, profiles.get(column.source or ""), anchor=self.anchor,
                               temporal_position=None, seed_key=f"{self.seed}:{self.table.name}:{name}", rows=self.rows)
            if gen.kind in ("int", "numeric"):
                self.gens[name] = gen
                out[name] = tree
                del self.derived[name]
        return out

    def _compute(self, data: TableData, rows: np.ndarray) -> np.ndarray:
        """The computed columns for `rows`; returns the rows whose values a column cannot hold."""
        bad = np.zeros(rows.size, dtype=bool)
        for name, tree in self.computed.items():
            value = evaluate(tree, data.raw, data.nulls, self.gens, rows)
            if value is None:  # beyond 64-bit integers: these rows go
                value = (np.zeros(rows.size, dtype=np.int64), 0, None)
                bad[:] = True
            units, refused = stored(value, self.gens[name])
            bad |= refused
            nulls = value[2] if self.gens[name].column.nullable else None
            if name not in data.raw or rows.size == data.rows:
                data.raw[name], data.nulls[name] = units, nulls
            else:
                data.raw[name][rows] = units
                if nulls is not None or data.nulls.get(name) is not None:
                    current = data.nulls.get(name)
                    current = np.zeros(data.rows, dtype=bool) if current is None else current
                    current[rows] = nulls if nulls is not None else False
                    data.nulls[name] = current
        return bad

    def _settle_computed(self, data: TableData, rounds: int = 20) -> np.ndarray:
        """Rows whose computed value is out of its column's bounds draw their inputs again, a few
        rounds; returns the rows still out."""
        bad = np.zeros(data.rows, dtype=bool)
        if not self.computed:
            return bad
        bad = self._compute(data, np.arange(data.rows))
        for round_ in range(1, rounds + 1):
            rows = np.flatnonzero(bad)
            if not rows.size:
                break
            self.fill_free(data, rows, round_)
            bad[rows] = self._compute(data, rows)
        return bad

    def _partial_keys(self) -> list[tuple[str, ...]]:
        """Partial unique indexes on plain columns, kept unique over every row (which satisfies
        the index whatever its predicate), unless all their columns are foreign keys (one open
        shift per driver): those rows are drawn again until the predicate spares them (loader)."""
        out = []
        for index in self.design.indexes_on(self.table.name):
            columns = tuple(c.expression for c in index.columns)
            if index.unique and index.where and all(self.table.column(c) for c in columns) \
                    and not set(columns) <= self.fk_columns:
                out.append(columns)
        return out

    def rng(self, *parts: str | int) -> np.random.Generator:
        return rng_for(self.seed, self.table.name, *parts)

    # ------------------------------------------------------------------ main

    def generate(self) -> TableData:
        n = self.rows
        data = TableData(self.table, [c.name for c in self.columns], self.gens, {}, {}, n)
        drop = np.zeros(n, dtype=bool)
        self._surrogate_keys(data)
        guaranteed: list[set[str]] = [set(k) for k in self.keys if len(k) == 1 and k[0] in data.raw]
        self._foreign_keys(data, drop, guaranteed)
        self._unique_keys(data, drop, guaranteed)
        self._periods(data, drop)
        data.fixed = set(data.raw)
        self.fill_free(data, np.arange(n), round_=0)
        drop |= self._settle_computed(data)
        if drop.any():
            data.keep(~drop)
        self._kept_dependencies(data)
        return data

    def _no_overlap_rules(self) -> list[m.Rule]:
        exclusions = {e.name for e in self.table.exclusions}
        return [r for r in self.design.rules if r.kind == "no_overlap" and len(r.period) == 2
                and exclusions & set(r.enforced_by)]

    def _periods(self, data: TableData, drop: np.ndarray) -> None:
        """Periods that never overlap within their group (EXCLUDE ... WITH &&): the rows of each
        group numbered 0, 1, 2 ... get consecutive slots of the start column's range, each period
        inside its slot; the row's other times follow its start (data.row_time)."""
        n = data.rows
        for rule in self._no_overlap_rules():
            start, end = rule.period
            gens = [self.gens.get(c) for c in (start, end)]
            if not n or gens[0] is None or gens[1] is None or start in data.raw or end in data.raw \
                    or gens[0].kind not in ("int", "numeric", "date", "timestamp") or gens[0].kind != gens[1].kind:
                continue
            rng = self.rng("period", rule.name)
            for c in rule.columns:  # group columns no key set: drawn now, so the slots can follow them
                if c not in data.raw and c in self.gens:
                    data.raw[c] = self.gens[c].draw(self.rng("column", c, 0), n, n)
                    data.nulls[c] = None
            per = [c for c in rule.columns if c in data.raw]
            ranks = _ranks_within(data, per) if per else np.arange(n, dtype=np.int64)
            gen = gens[0]
            lo, hi = int(gen.lo), int(gen.hi)
            cap = int(gen.cap if gen.cap is not None else gen.hi)
            slots = int(ranks.max()) + 1
            slot = max(2, (hi - lo + 1) // slots)
            drop |= lo + ranks * slot + slot - 1 > cap  # more periods than the column's range holds
            longest = {"timestamp": 7 * 86_400, "date": 7}.get(gen.kind, slot)  # a week at most
            offset = rng.integers(0, slot // 2, n) if slot >= 4 else np.zeros(n, dtype=np.int64)
            length = rng.integers(1, max(2, min(slot // 2, longest) + 1), n)
            starts = np.minimum(lo + ranks * slot + offset, cap - 1)
            data.raw[start], data.nulls[start] = starts, None
            data.raw[end], data.nulls[end] = np.minimum(starts + length, cap), None
            if gen.kind in ("date", "timestamp"):
                seconds = starts * (86_400 if gen.kind == "date" else 1)
                gap = 86_400 * (gen.temporal_position or 0)
                data.row_time = seconds - gap
            self.periods.add(rule.name)

    def _kept_dependencies(self, data: TableData) -> None:
        """Rows that share a determinant get the same dependent values: a dependency kept in
        the table on purpose (`denormalized:`) is enforced by a trigger that refuses anything else."""
        unique = {c for k in self.keys for c in k}
        for rule in self.design.rules:
            if rule.kind != "depends" or not rule.denormalized or rule.entity != self.table.entity or not data.rows:
                continue
            dependent = [c for c in rule.dependent if c in data.raw and c not in rule.columns and c not in unique]
            if not dependent or not all(c in data.raw for c in rule.columns):
                continue
            ids = _group_ids(data, list(rule.columns))
            _, first = np.unique(ids, return_index=True)  # ids are 0..k-1: first row of each group
            source = first[ids]
            for c in dependent:
                data.raw[c] = data.raw[c][source]
                if data.nulls.get(c) is not None:
                    data.nulls[c] = data.nulls[c][source]

    def _surrogate_keys(self, data: TableData) -> None:
        """Single-column keys of integer or uuid type that no foreign key sets: 1..n."""
        n = data.rows
        for key in self.keys:
            if len(key) != 1 or key[0] in self.fk_columns or key[0] not in self.gens:
                continue
            gen = self.gens[key[0]]
            column = gen.column
            surrogate = column.identity or "nextval(" in (column.default or "").lower() or gen.kind == "uuid"
            if gen.kind == "int" and surrogate:
                data.raw[key[0]] = np.arange(1, n + 1, dtype=np.int64)
                data.nulls[key[0]] = None
            elif gen.kind == "uuid":
                data.raw[key[0]] = np.arange(n, dtype=np.int64)
                data.nulls[key[0]] = None

    def _parent(self, fk: m.ForeignKey, data: TableData) -> Loaded | None:
        if fk.ref_table == self.table.name:
            return Loaded(data.rows, data.raw, data.nulls, self.gens)
        return self.parents.get(fk.ref_table)

    def _foreign_keys(self, data: TableData, drop: np.ndarray, guaranteed: list[set[str]]) -> None:
        n = data.rows
        table = self.table
        handled: set[str] = set()
        # Unique keys made only of foreign-key columns: distinct parents or distinct combinations.
        for key in self.keys:
            fks = [fk for fk in table.foreign_keys if set(fk.columns) & set(key)]
            if not set(key) <= self.fk_columns or any(c in handled for c in key) or not fks:
                continue
            if not all(set(fk.columns) <= set(key) for fk in fks) or any(fk.ref_table == table.name for fk in fks):
                continue
            parents = [self._parent(fk, data) for fk in fks]
            if any(p is None for p in parents):
                continue
            sizes = [p.rows for p in parents]  # type: ignore[union-attr]
            total = int(np.prod(np.array(sizes, dtype=object)))
            if total < n:
                drop[total:] = True
            if total == 0:
                for fk in fks:
                    self._set_fk(data, fk, np.zeros(n, dtype=np.int64), None, parents[fks.index(fk)])
                    handled.update(fk.columns)
                continue
            rng = self.rng("key", *key)
            picks = _distinct_integers(rng, min(n, total), total)
            if total < n:
                picks = np.concatenate([picks, np.zeros(n - total, dtype=np.int64)])
            for fk, parent, size in zip(fks, parents, sizes):
                picks, index = np.divmod(picks, size)
                self._set_fk(data, fk, index, None, parent)
                handled.update(fk.columns)
            guaranteed.append(set(key))
        # Composite keys first: a `matches` key to (id, item_id) picks a parent row, and the
        # single-column keys then agree with it, instead of drawing each column alone.
        for fk in sorted(table.foreign_keys, key=lambda f: -len(f.columns)):
            if set(fk.columns) <= handled:
                continue
            parent = self._parent(fk, data)
            if not all(c in self.gens for c in fk.columns):
                continue  # a generated column: the database computes it
            nullable = all(self.gens[c].column.nullable for c in fk.columns)
            if parent is None or not all(rc in parent.raw for rc in fk.ref_columns):
                if fk.ref_table == table.name:
                    raise GenerationError(f"table {table.name}: foreign key {fk.name} references its own columns "
                                          f"({', '.join(fk.ref_columns)}), which are not keys generated here")
                if not nullable:
                    raise GenerationError(
                        f"table {table.name}: foreign key {fk.name} references {fk.ref_table}, which is filled later "
                        "(a cycle of NOT NULL foreign keys) or whose referenced columns are not generated")
                for c in fk.columns:  # a cycle broken here: the reference stays NULL
                    data.raw[c] = np.zeros(n, dtype=np.int64)
                    data.nulls[c] = np.ones(n, dtype=bool)
                continue
            rng = self.rng("fk", fk.name)
            # Columns an earlier foreign key set (a tenant column shared by composite keys) keep
            # their values: the parent is matched on them, and a reference that stays NULL
            # leaves them as they are (MATCH SIMPLE: one NULL column and the key is not checked).
            kept = {c for c in fk.columns if c in data.raw}
            gen = self.gens[next((c for c in fk.columns if c not in kept), fk.columns[0])]
            nullable = all(self.gens[c].column.nullable for c in fk.columns if c not in kept) if kept else nullable
            nulls = null_mask(rng, n, gen.null_fraction) if nullable else None
            if fk.ref_table == table.name and kept:
                # self reference within the rows that share the kept columns (a parent task of the
                # same tenant): an earlier such row, or NULL for the first of each group
                index, missing = _earlier_matching(rng, data, [(c, rc) for c, rc in zip(fk.columns, fk.ref_columns)
                                                               if c in kept], n)
                nulls = missing if nulls is None else (nulls | missing)
                if not nullable:
                    drop |= missing
                    nulls = None
            elif fk.ref_table == table.name and len(fk.columns) == 1 and (fk.columns[0],) in self.keys:
                # one-to-one self reference (a successor): each row the one before it, so no row is
                # referenced twice; the first row is a root
                index = np.maximum(np.arange(n, dtype=np.int64) - 1, 0)
                first = np.zeros(n, dtype=bool)
                first[:1] = True
                nulls = first if nulls is None else (nulls | first)
                guaranteed.append({fk.columns[0]})
            elif fk.ref_table == table.name:
                # self reference: a parent among the earlier rows; the first row is a root
                index = np.floor(rng.random(n) * np.arange(n)).astype(np.int64)
                first = np.zeros(n, dtype=bool)
                first[:1] = True
                nulls = first if nulls is None else (nulls | first)
                if not nullable:
                    nulls = None  # the first row references itself
            elif parent.rows == 0:
                if not nullable:
                    raise GenerationError(f"table {table.name}: no rows in {fk.ref_table} to reference ({fk.name})")
                index, nulls = np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool)
            elif len(fk.columns) == 1 and (fk.columns[0],) in self.keys:
                # one-to-one: distinct parents
                if parent.rows < n:
                    drop[parent.rows:] = True
                index = rng.permutation(parent.rows)[:n]
                if index.size < n:
                    index = np.concatenate([index, np.zeros(n - index.size, dtype=np.int64)])
                guaranteed.append({fk.columns[0]})
            else:
                shared = [(c, rc) for c, rc in zip(fk.columns, fk.ref_columns) if c in data.raw]
                if shared:
                    index, missing = _matching_parents(rng, data, parent, shared, n)
                    if missing.any():
                        if nullable:
                            nulls = missing if nulls is None else (nulls | missing)
                        else:
                            drop |= missing
                elif (least := self._least_children(fk)) > 1:
                    # an aggregate rule needs `count(*) >= k` per parent: n // k parents, k or more rows each
                    groups = max(1, min(parent.rows, n // least))
                    index = rng.permutation(parent.rows)[:groups][rng.permutation(np.arange(n) % groups)]
                else:
                    profile_ = gen.data
                    if profile_ is not None and (profile_.zipf or profile_.distinct):
                        d = min(distinct_count(profile_, n) or parent.rows, parent.rows)
                        index = draw_codes(rng, n, d, profile_.zipf)
                        # the popular parents are spread over the table, not its first rows
                        index = rng.permutation(parent.rows)[:d][index]
                    else:
                        index = rng.integers(0, parent.rows, n, dtype=np.int64)
            self._set_fk(data, fk, index, nulls, parent, kept)

    def _least_children(self, fk: m.ForeignKey) -> int:
        """The fewest rows per parent an aggregate rule over this foreign key's groups asks for
        (`count(*) >= 2` of a journal entry's lines), 1 without one."""
        least = 1
        for rule in self.design.rules:
            if rule.kind == "aggregate" and rule.entity == self.table.entity and set(rule.columns) == set(fk.columns):
                least = max(least, least_count(rule.expression or ""))
        return least

    def _set_fk(self, data: TableData, fk: m.ForeignKey, index: np.ndarray, nulls: np.ndarray | None,
                parent: Loaded | None, kept: set[str] | None = None) -> None:
        assert parent is not None
        for c, rc in zip(fk.columns, fk.ref_columns):
            if kept and c in kept:
                continue  # set by an earlier foreign key, and the parent was matched on it
            source = parent.raw[rc]
            data.raw[c] = source[index] if source.size else np.zeros(index.size, dtype=np.int64)
            parent_nulls = parent.nulls.get(rc)
            combined = nulls
            if parent_nulls is not None and source.size:
                combined = parent_nulls[index] if combined is None else (combined | parent_nulls[index])
            data.nulls[c] = combined
            # a foreign key column is rendered like the column it references
            self.gens[c] = _adopt(self.gens[c], parent.gens[rc])

    def _unique_keys(self, data: TableData, drop: np.ndarray, guaranteed: list[set[str]]) -> None:
        n = data.rows
        for key in self.keys:
            columns = set(key)
            if any(g <= columns for g in guaranteed) or not all(c in self.gens for c in key):
                continue
            fk_part = [c for c in key if c in data.raw]
            free = [c for c in key if c not in data.raw]
            if not free:
                # Every column came from foreign keys drawn one by one (a junction whose keys also
                # carry the tenant column): repeated combinations draw again, then those left go.
                drop |= self._redraw_repeats(data, key)
                continue
            if not n:
                continue
            if fk_part:  # numbered within each parent: line_number 1, 2, 3 ... per order
                codes = _ranks_within(data, fk_part)
                targets = _radix_columns(free, self.gens, int(codes.max()) + 1)
            else:
                targets = _radix_columns(free, self.gens, n)
                codes = self.rng("unique", targets[0]).permutation(n).astype(np.int64)
            capacity = _product(self.gens[c].capacity() for c in targets)
            if capacity is not None:
                drop |= codes >= capacity
                codes = np.minimum(codes, capacity - 1)
            for target in targets:  # the key's code in mixed radix over its columns, most room first
                gen = self.gens[target]
                room = gen.capacity()
                digits = codes if room is None or target == targets[-1] else codes % room
                codes = codes if room is None else codes // room
                data.raw[target] = self._key_values(gen, digits, fk_part, len(targets) == 1)
                data.nulls[target] = None
            guaranteed.append(set(targets))

    def _key_values(self, gen: ColumnGen, codes: np.ndarray, numbered: bool, alone: bool) -> np.ndarray:
        """Distinct raw values for distinct codes; numbered times an hour (a day) apart, others
        spread over the column's range when the key has this one column."""
        if numbered and gen.kind in ("timestamp", "date"):
            values = gen.lo + codes * (3600 if gen.kind == "timestamp" else 1)
            return np.minimum(values, gen.cap if gen.cap is not None else gen.hi)
        spread = int(codes.max()) + 1 if alone and not numbered and codes.size and gen.kind in ("timestamp", "date") \
            else None
        return gen.from_codes(codes, spread)

    def _redraw_repeats(self, data: TableData, key: tuple[str, ...], rounds: int = 8) -> np.ndarray:
        """Rows repeating `key` (made only of foreign-key columns) get another parent for the last
        foreign key that sets it, among the parents with the same values in its other columns (the
        tenant), a few rounds; returns the rows that still repeat one."""
        fks = [fk for fk in self.table.foreign_keys if set(fk.columns) & set(key) and fk.ref_table != self.table.name]
        target = fks[-1] if fks else None
        parent = self._parent(target, data) if target else None
        own = [(c, rc) for c, rc in zip(target.columns, target.ref_columns) if c in key] if target else []
        shared = [(c, rc) for c, rc in zip(target.columns, target.ref_columns) if c not in key] if target else []
        groups: dict[tuple, list[int]] = {}
        if parent is not None and parent.rows and all(rc in parent.raw for _, rc in own + shared):
            columns = [parent.raw[rc].tolist() for _, rc in shared]
            for i in range(parent.rows):
                groups.setdefault(tuple(col[i] for col in columns), []).append(i)
        rng = self.rng("repeats", *key)
        for round_ in range(rounds + 1):
            ids = _group_ids(data, list(key))
            first = np.zeros(data.rows, dtype=bool)
            first[np.unique(ids, return_index=True)[1]] = True
            if first.all() or not groups or round_ == rounds:
                return ~first
            for i in np.flatnonzero(~first):
                members = groups.get(tuple(data.raw[c][i] for c, _ in shared))
                if members:
                    pick = members[int(rng.integers(len(members)))]
                    for c, rc in own:
                        data.raw[c][i] = parent.raw[rc][pick]  # type: ignore[union-attr]
        return ~first

    # ------------------------------------------------------------------ free columns

    def fill_free(self, data: TableData, rows: np.ndarray, round_: int, passed: np.ndarray | None = None,
                  escape: np.ndarray | None = None) -> None:
        """Draw every column not fixed by a key, for the given rows (all rows in round 0;
        the rows a CHECK refused in later rounds, with more NULLs and unordered times).  With
        `passed` (the rows the table's rules accepted), a redrawn row takes which of its tied
        columns are NULL from an accepted row with the same states (see _null_shapes).  Rows in
        `escape` (a key a partial unique index or exclusion takes once) are, from the second redraw
        on, given values outside the index's predicate (a second ticket for a seat comes back voided)."""
        count = rows.size
        time_rng = self.rng("row time", round_)
        low = int(np.datetime64(self.anchor, "s").astype(np.int64)) - 730 * 86_400
        if data.row_time is None:
            data.row_time = time_rng.integers(low, low + 700 * 86_400, data.rows, dtype=np.int64)
        # a row's times in column order, except every other redraw (a CHECK may want another order)
        row_time = data.row_time[rows] if round_ % 2 == 0 else None
        for name in data.columns:
            if name in data.fixed or name in self.computed:
                continue
            gen = self.gens[name]
            rng = self.rng("column", name, round_)
            times = None
            if row_time is not None and gen.kind in ("date", "timestamp"):
                times = row_time // 86_400 if gen.kind == "date" else row_time
            values = gen.draw(rng, count, data.rows, times)
            fraction = gen.null_fraction if round_ == 0 else (0.5 if gen.column.nullable else 0.0)
            nulls = null_mask(rng, count, fraction) if gen.column.nullable else None
            if round_ == 0:
                data.raw[name] = values
                data.nulls[name] = nulls
            else:
                data.raw[name][rows] = values.astype(data.raw[name].dtype, copy=False)
                current = data.nulls.get(name)
                if nulls is not None:
                    if current is None:
                        current = np.zeros(data.rows, dtype=bool)
                    current[rows] = nulls
                elif current is not None:
                    current[rows] = False
                data.nulls[name] = current
        self._ordered(data, rows)
        if escape is not None and escape.size and round_ >= 2:
            self._escape(data, escape)
        if round_ and passed is not None:
            self._null_shapes(data, rows, passed, self.rng("shapes", round_))
        if self.computed and round_:
            self._compute(data, rows)  # redrawn inputs: their computed columns follow

    def _ordered(self, data: TableData, rows: np.ndarray) -> None:
        """Columns a CHECK compares (`min_value <= avg_value AND avg_value <= max_value`) get each
        row's drawn values sorted into the order the comparisons ask for."""
        for columns in self.orders:
            if any(c in data.fixed for c in columns) or not rows.size:
                continue
            values = np.sort(np.stack([data.raw[c][rows] for c in columns], axis=1), axis=1)
            for i, c in enumerate(columns):
                data.raw[c][rows] = values[:, i]

    def _escape(self, data: TableData, rows: np.ndarray) -> None:
        for column, value in self.escapes.items():
            gen, nulls = self.gens.get(column), data.nulls.get(column)
            if gen is None or column in data.fixed:
                continue
            if value.upper() == "NULL" and gen.column.nullable:
                nulls = np.zeros(data.rows, dtype=bool) if nulls is None else nulls
                nulls[rows] = True
                data.nulls[column] = nulls
                continue
            text = value.strip("'")
            if gen.kind == "choice" and text in gen.choices:
                data.raw[column][rows] = gen.choices.index(text)
            elif gen.kind == "bool" and text.lower() in ("true", "false"):
                data.raw[column][rows] = int(text.lower() == "true")
            else:
                continue
            if nulls is not None:
                nulls[rows] = False

    def _escapes(self) -> dict[str, str]:
        """Values that put a row outside the predicate of each partial unique index or exclusion
        whose keys generation cannot keep apart (validation/falsify.py reads the predicate)."""
        conditions = [i.where for i in self.design.indexes_on(self.table.name) if i.unique and i.where]
        conditions += [r.condition for r in self._no_overlap_rules() if r.condition]
        out: dict[str, str] = {}
        for condition in conditions:
            for column, value in (falsify(condition, self.table, own_only=True) or {}).items():
                out.setdefault(column, value)
        return out

    def _null_shapes(self, data: TableData, rows: np.ndarray, passed: np.ndarray, rng: np.random.Generator) -> None:
        """Life-cycle CHECKs tie NULLs to states (`status = 'done'` needs `done_at`, a booked row
        has none): each redrawn row copies the NULLs of the columns such CHECKs tie together from a
        random accepted row in the same states, keeping its own states; rows whose states no
        accepted row has keep their random NULLs."""
        states = [c for c in self.tied if c not in data.fixed and self.gens[c].kind in ("choice", "bool")]
        nullable = [c for c in self.tied if c not in data.fixed and self.gens[c].column.nullable]
        donors = np.flatnonzero(passed)
        if not nullable or not donors.size or not rows.size:
            return
        if states:
            stacked = np.stack([data.raw[c] for c in states], axis=1)
            _, ids = np.unique(stacked, axis=0, return_inverse=True)
            ids = ids.reshape(-1)
        else:
            ids = np.zeros(data.rows, dtype=np.int64)
        order = donors[np.argsort(ids[donors], kind="stable")]
        keys = ids[order]
        first = np.searchsorted(keys, ids[rows], side="left")
        count = np.searchsorted(keys, ids[rows], side="right") - first
        has = count > 0
        pick = order[np.minimum(first + (rng.random(rows.size) * count).astype(np.int64), order.size - 1)]
        for c in nullable:
            nulls = data.nulls.get(c)
            if nulls is None:
                nulls = np.zeros(data.rows, dtype=bool)
            nulls[rows[has]] = nulls[pick[has]]
            data.nulls[c] = nulls


def _adopt(own: ColumnGen, parent: ColumnGen) -> ColumnGen:
    from dataclasses import replace

    return replace(parent, column=own.column, null_fraction=own.null_fraction, data=own.data, temporal_position=None)


def _radix_columns(columns: list[str], gens: dict[str, ColumnGen], needed: int) -> list[str]:
    """The key columns that take its distinct codes: the one with most room, and the next ones
    while their room together is under `needed` (a two-letter country code and a number)."""
    def room(name: str) -> int:
        capacity = gens[name].capacity()
        return 10**18 if capacity is None else capacity
    ordered = sorted(columns, key=lambda c: (-room(c), columns.index(c)))
    chosen, total = [], 1
    for name in ordered:
        chosen.append(name)
        total *= room(name)
        if total >= needed:
            break
    return chosen


def _product(capacities) -> int | None:  # type: ignore[no-untyped-def]
    total = 1
    for capacity in capacities:
        if capacity is None:
            return None
        total *= capacity
    return total


def _group_ids(data: TableData, columns: list[str]) -> np.ndarray:
    stacked = []
    for c in columns:
        raw = data.raw[c]
        nulls = data.nulls.get(c)
        if nulls is not None:
            raw = np.where(nulls, np.iinfo(np.int64).min, raw) if raw.dtype.kind in "iu" else raw
        stacked.append(raw)
    if len(stacked) == 1:
        _, ids = np.unique(stacked[0], return_inverse=True)
    else:
        _, ids = np.unique(np.stack(stacked, axis=1), axis=0, return_inverse=True)
    return ids.reshape(-1)


def _ranks_within(data: TableData, columns: list[str]) -> np.ndarray:
    """0, 1, 2 ... numbering the rows of each group of equal values of `columns`."""
    ids = _group_ids(data, columns)
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    starts = np.flatnonzero(np.r_[True, sorted_ids[1:] != sorted_ids[:-1]])
    lengths = np.diff(np.r_[starts, sorted_ids.size])
    ranks_sorted = np.arange(sorted_ids.size) - np.repeat(starts, lengths)
    ranks = np.empty_like(ranks_sorted)
    ranks[order] = ranks_sorted
    return ranks.astype(np.int64)


def _matching_parents(rng: np.random.Generator, data: TableData, parent: Loaded, shared: list[tuple[str, str]],
                      n: int) -> tuple[np.ndarray, np.ndarray]:
    """For each row, a random parent row whose referenced columns equal the row's values
    in `shared` (columns an earlier foreign key already set); `missing` where none does."""
    groups: dict[tuple, list[int]] = {}
    parent_cols = [parent.raw[rc].tolist() for _, rc in shared]
    for i, values in enumerate(zip(*parent_cols)):
        groups.setdefault(values, []).append(i)
    child_cols = [data.raw[c].tolist() for c, _ in shared]
    index = np.zeros(n, dtype=np.int64)
    missing = np.zeros(n, dtype=bool)
    draws = rng.random(n)
    for i, values in enumerate(zip(*child_cols)):
        members = groups.get(values)
        if not members:
            missing[i] = True
        else:
            index[i] = members[int(draws[i] * len(members))]
    return index, missing


def _earlier_matching(rng: np.random.Generator, data: TableData, shared: list[tuple[str, str]],
                      n: int) -> tuple[np.ndarray, np.ndarray]:
    """For each row, a random earlier row of the same table with the same values in `shared`
    (row columns, referenced columns); `missing` for the first row of each such group."""
    seen: dict[tuple, list[int]] = {}
    ref_cols = [data.raw[rc].tolist() for _, rc in shared]
    child_cols = [data.raw[c].tolist() for c, _ in shared]
    index = np.zeros(n, dtype=np.int64)
    missing = np.zeros(n, dtype=bool)
    draws = rng.random(n)
    for i in range(n):
        members = seen.get(tuple(col[i] for col in child_cols))
        if members:
            index[i] = members[int(draws[i] * len(members))]
        else:
            missing[i] = True
        seen.setdefault(tuple(col[i] for col in ref_cols), []).append(i)
    return index, missing


def _distinct_integers(rng: np.random.Generator, count: int, total: int) -> np.ndarray:
    """`count` distinct integers from [0, total), in random order."""
    if total <= 4 * count or total <= 1_000_000:
        return rng.permutation(total)[:count].astype(np.int64)
    picked = np.unique(rng.integers(0, total, int(count * 1.1) + 16, dtype=np.int64))
    while picked.size < count:
        picked = np.unique(np.concatenate([picked, rng.integers(0, total, count, dtype=np.int64)]))
    return rng.permutation(picked)[:count]


def least_count(expression: str) -> int:
    """k of a `count(*) >= k` (or `> k - 1`) conjunct of an aggregate condition, else 1."""
    try:
        tree = sqlglot.parse_one(expression, read="postgres")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
        return 1
    least = 1
    for node in tree.find_all(exp.GTE, exp.GT):
        if isinstance(node.this, exp.Count) and isinstance(node.expression, exp.Literal) \
                and not node.expression.is_string:
            try:
                k = int(node.expression.this) + (1 if isinstance(node, exp.GT) else 0)
            except ValueError:
                continue
            least = max(least, k)
    return least


def comparison_orders(table: m.Table, gens: dict[str, ColumnGen]) -> list[list[str]]:
    """Groups of columns of one kind that CHECKs compare (a <= b, b < c), each in an order that
    satisfies every comparison (smallest first); groups with a cycle are left out."""
    after: dict[str, set[str]] = {}
    for check in table.checks:
        try:
            tree = sqlglot.parse_one(check.expression, read="postgres")
        except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
            continue
        for node in tree.find_all(exp.LT, exp.LTE, exp.GT, exp.GTE):
            if node.find_ancestor(exp.Not) or not (isinstance(node.this, exp.Column)
                                                   and isinstance(node.expression, exp.Column)):
                continue
            small, large = column_name(node.this), column_name(node.expression)
            if isinstance(node, (exp.GT, exp.GTE)):
                small, large = large, small
            a, b = gens.get(small), gens.get(large)
            if a is None or b is None or small == large or a.kind != b.kind or a.scale != b.scale \
                    or a.kind not in ("int", "numeric", "float", "date", "timestamp"):
                continue
            after.setdefault(small, set()).add(large)
            after.setdefault(large, set())
    groups: list[list[str]] = []
    seen: set[str] = set()
    for start in after:
        if start in seen:
            continue
        component, stack = set(), [start]
        while stack:  # the connected component, edges taken both ways
            c = stack.pop()
            if c not in component:
                component.add(c)
                stack += list(after[c]) + [k for k, v in after.items() if c in v]
        seen |= component
        order, indegree = [], {c: sum(c in after[k] for k in component) for c in component}
        ready = sorted(c for c in component if not indegree[c])
        while ready:
            c = ready.pop(0)
            order.append(c)
            for d in sorted(after[c]):
                indegree[d] -= 1
                if not indegree[d]:
                    ready.append(d)
        if len(order) == len(component) and len(order) > 1:
            groups.append(order)
    return groups
