"""Run each access pattern on the scratch database: bind, EXPLAIN, execute, time.

Each pattern is PREPAREd with `$n` parameters, which both checks it against the real
schema and tells us each parameter's type (pg_prepared_statements.parameter_types).
Values come from the synthetic rows where the parameter is compared with a column (so
the query finds rows), and are generated from the type otherwise.  Every run happens in a
transaction that is rolled back, so write patterns leave the data as it was.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from random import Random

from schemawright import model as m
from schemawright.database import Database, DatabaseError
from schemawright.sql.quoting import quote_ident, quote_literal
from schemawright.integrity.invariants import table_of
from schemawright.sql.qualify import qualified
from schemawright.validation.falsify import satisfy
from schemawright.validation.kept import agree_with_kept
from schemawright.validation.hits import not_measured
from schemawright.validation.params import Use, anchor_query, uses
from schemawright.validation.prepare import prepare
from schemawright.validation.plaintext import plaintext_design, plaintext_sql, readable
from schemawright.validation.report import ERROR, FAIL, NOT_MEASURED, PASS, PatternResult, PlanSummary
from schemawright.validation.rules import column_rules
from schemawright.validation.table_reads import WholeTables
from schemawright.validation.values import generate, parse_type, profile

RUNS = 20
LIMIT_VALUE = "10"
MAX_BINDINGS = 4  # sampled values first, then freshly generated ones
FRESH_SERIAL = 10_000_000  # fresh values for inserted unique columns start here at least (Binder._fresh_from)
PARENTS_TRIED = 50  # first parents an inserted row's composite keys are tried from


def p95(samples: list[float]) -> float:
    """95th percentile by nearest rank (no interpolation: it is a measured run)."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def plan_summary(explain: object) -> PlanSummary:
    """Top node, indexes used and sequentially scanned tables from EXPLAIN (FORMAT JSON)."""
    root = explain[0]["Plan"] if isinstance(explain, list) else explain["Plan"]  # type: ignore[index]
    indexes: list[str] = []
    seq: list[str] = []

    def walk(node: dict) -> None:
        if "Index Name" in node:
            indexes.append(node["Index Name"])
        if node.get("Node Type") == "Seq Scan" and "Relation Name" in node:
            seq.append(node["Relation Name"])
        for child in node.get("Plans", ()):
            walk(child)

    walk(root)
    top = root.get("Node Type", "?")
    if top == "ModifyTable" and "Operation" in root:
        top = f"{root['Operation']} on {root.get('Relation Name', '?')}"
    return PlanSummary(top, tuple(dict.fromkeys(indexes)), tuple(dict.fromkeys(seq)))


class Binder:
    """Chooses a value for each parameter of one pattern.  `reads` says how the tables may be
    read (table_reads: whole tables by default; statistics and samples on a live database)."""

    def __init__(self, db: Database, design: m.Design, enums: dict[str, tuple[str, ...]], seed: str, sql: str,
                 reads: WholeTables | None = None):
        # Encrypted columns are drawn from as plaintext: the tables read through a decrypting
        # relation, a rewritten pattern read back as written (validation/plaintext.py).
        self.db, self.design, self.enums = db, plaintext_design(design), enums
        self.sql = plaintext_sql(sql, design)
        self.reads = readable(reads, design)
        self.rng = Random(seed)
        self.anchored: dict[str, str | None] = {}
        self.parents: dict[str, str | None] = {}
        self.no_free_key: str | None = None  # why no inserted row could leave the unique keys free
        self.kept_free: dict[str, None] = {}  # the unique keys an inserted row's parents are chosen to leave free

    def values(self, names: tuple[str, ...], types: list[str], usage: dict[str, Use], attempt: int) -> list[str | None]:
        self.anchored = {}
        self.parents = self._inserted_parents(names, usage, attempt)
        if attempt == 0:
            self.anchored = self._from_statistics(names, types, usage)
            if any(n not in self.anchored and (usage.get(n) is None or usage[n].role in ("eq", "low", "high"))
                   for n in names):
                found = self._from_pattern(names)
                self.anchored.update({n: v for n, v in found.items() if n not in self.anchored})
            rest = tuple(n for n in names if n not in self.anchored)
            self.anchored.update(self._anchors(rest, [t for n, t in zip(names, types) if n in rest], usage))
        values = [self.value(n, t, usage.get(n), attempt, k) for k, (n, t) in enumerate(zip(names, types))]
        return agree_with_kept(self.db, self.design, usage, names, types, values)

    def _from_statistics(self, names: tuple[str, ...], types: list[str], usage: dict[str, Use]) -> dict[str, str | None]:
        """Values the reads know without reading a table (none for whole-table reads)."""
        found: dict[str, str | None] = {}
        for name, pg_type in zip(names, types):
            use, column = usage.get(name), self._column(usage.get(name))
            if use is None or use.role not in ("eq", "low", "high") or use.table is None or column is None:
                continue
            element = bool(parse_type(column.sql_type)[2] and not parse_type(pg_type)[2])
            value = self.reads.value(self.db, use.table, column.name, use.role, element)
            if value is not None:
                found[name] = self._adapt(value, column, pg_type)
        return found

    def _relation(self, table: str) -> str | None:
        return self.reads.relation(self.db, table) if self.design.table(table) is not None else None

    def _from_pattern(self, names: tuple[str, ...]) -> dict[str, str | None]:
        """Values from one row that the pattern's own joins and constant conditions accept."""
        anchor = anchor_query(self.sql, self._relation)
        if anchor is None:
            return {}
        try:
            rows = self.db.query(anchor.sql)
        except DatabaseError:
            return {}  # sqlglot rewrote something PostgreSQL reads differently: sample per table
        return dict(zip(anchor.names, rows[0])) if rows else {}

    def _inserted_parents(self, names: tuple[str, ...], usage: dict[str, Use], attempt: int = 0) -> dict[str, str | None]:
        """Inserted columns of a composite foreign key take their values from one parent row,
        so `(w_id, d_id, c_id)` names a row that exists; sampled one by one they might not.
        A parent a `parent_check` rule reads is one the rule accepts (a performance on sale),
        and keys sharing a column agree on it (a ticket's performance and seat in one venue).
        Each attempt takes the next such parent, so a refused row is not tried again."""
        inserted = {(u.table, u.column): n for n, u in usage.items()
                    if u.role == "insert" and u.table and u.column and n in names}
        keys = []
        for table in self.design.tables:
            for fk in table.foreign_keys:
                params = [inserted.get((table.name, c)) for c in fk.columns]
                if not all(params):
                    continue
                checks = [r.expression for r in self.design.rules if r.kind == "parent_check"
                          and r.columns == fk.columns and table_of(self.design, r.entity) is table and r.expression]
                if len(params) >= 2 or checks:
                    keys.append((not checks, len(params), fk, params, checks, table))
        keys = sorted(keys, key=lambda k: (k[0], k[1]))
        # A first parent whose later keys find rows that agree (an on-sale performance whose venue
        # has a seat still free for it), searched from the attempt's own start.
        first, _ = self._parent_chain(keys, inserted, int(attempt))
        for start in range(int(attempt), int(attempt) + PARENTS_TRIED):
            found, complete = self._parent_chain(keys, inserted, start)
            if complete:
                return found
        if self._parent_chain(keys, inserted, int(attempt), keep_free=False)[1]:
            tables = ", ".join(dict.fromkeys(k[5].name for k in keys))
            self.no_free_key = (f"every {tables} row it could write repeats {' or '.join(self.kept_free)} of a row "
                                f"already there ({PARENTS_TRIED} parents tried): the synthetic rows leave no key free")
        return first

    def _parent_chain(self, keys: list, inserted: dict, start: int,
                      keep_free: bool = True) -> tuple[dict[str, str | None], bool]:
        """The parents of `keys` in turn, each agreeing with those before (and leaving the row's
        unique keys free); the first key nothing chosen decides takes its `start`-th row.  False
        when a key found no row that agrees."""
        found: dict[str, str | None] = {}
        complete = True
        for _, _, fk, params, checks, table in keys:
            alias = "sw_parent_row"
            conditions = [f"{alias}.{quote_ident(r)} = {quote_literal(found[n])}"  # type: ignore[arg-type]
                          for n, r in zip(params, fk.ref_columns) if found.get(n) is not None]
            # The next parent each attempt where nothing chosen already decides it; where something
            # does (a performance's venue), the first that agrees, or none would be left.
            offset = 0 if conditions else start
            for check in checks:
                text = qualified(check, "sw_written_row", alias)
                if text and "sw_written_row." not in text:  # only what the parent alone decides
                    conditions.append(f"({text}) IS TRUE")
            conditions += self._keys_left_free(table, fk, params, found, inserted, alias) if keep_free else []
            columns = ", ".join(f"{alias}.{quote_ident(c)}::text" for c in fk.ref_columns)
            order = ", ".join(f"{alias}.{quote_ident(c)}" for c in fk.ref_columns)
            where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
            try:
                rows = self.db.query(f"SELECT {columns} FROM {quote_ident(fk.ref_table)} AS {alias}{where} "
                                     f"ORDER BY {order} LIMIT 1 OFFSET {offset}")
            except DatabaseError:
                continue
            if not rows:
                complete = False
                continue
            found.update(zip(params, rows[0]))  # type: ignore[arg-type]
            found.update(self._agreeing(table, fk, params, rows[0], checks, inserted))
        return found, complete

    def _keys_left_free(self, table: m.Table, fk: m.ForeignKey, params: list, found: dict[str, str | None],
                        inserted: dict, alias: str) -> list[str]:
        """Conditions on the parent row `alias`: the inserted row does not repeat a unique key
        (partial ones too) that this key completes with values chosen already (a seat not yet
        sold for the chosen performance)."""
        out = []
        mine = dict(zip(params, fk.ref_columns))
        keys = [(u.name, u.columns, None) for u in table.uniques]
        keys += [(i.name, tuple(c.expression for c in i.columns), i.where) for i in self.design.indexes_on(table.name)
                 if i.unique]
        for name, key, where in keys:
            names = [inserted.get((table.name, c)) for c in key]
            if not all(names) or not set(names) & set(mine) or \
                    not all(n in mine or found.get(n) is not None for n in names):
                continue
            same = [f"y.{quote_ident(c)} = " + (f"{alias}.{quote_ident(mine[n])}" if n in mine
                                                 else quote_literal(found[n]))  # type: ignore[arg-type]
                    for c, n in zip(key, names)]
            if where:  # a partial key: only the rows it covers hold it (a voided ticket frees its seat)
                same.append(f"({qualified(where, 'y') or 'true'})")
            out.append(f"NOT EXISTS (SELECT 1 FROM {quote_ident(table.name)} AS y WHERE {' AND '.join(same)})")
            self.kept_free.setdefault(name)
        return out

    def _agreeing(self, table: m.Table, fk: m.ForeignKey, params: list, parent_key: tuple, checks: list[str],
                  inserted: dict) -> dict[str, str | None]:
        """Inserted columns a parent_check ties to the chosen parent (`moved_on >= parent.opened_on`):
        the value that makes the rule hold, read from that parent row."""
        found: dict[str, str | None] = {}
        where = " AND ".join(f"parent.{quote_ident(r)} = {quote_literal(v)}" for r, v in zip(fk.ref_columns, parent_key))
        for check in checks:
            for column, value in (satisfy(check, table) or {}).items():
                param = inserted.get((table.name, column))
                if param is None or "parent." not in value:
                    continue
                try:
                    found[param] = self.db.query_value(
                        f"SELECT ({value})::text FROM {quote_ident(fk.ref_table)} AS parent WHERE {where}")
                except DatabaseError:
                    continue
        return found

    def _anchors(self, names: tuple[str, ...], types: list[str], usage: dict[str, Use]) -> dict[str, str | None]:
        """Equality parameters on one table take their values from one row (the most common
        combination), so `a = :a AND b = :b` finds rows; sampling each alone might not."""
        by_table: dict[str, list[tuple[str, m.Column, str]]] = {}
        for name, pg_type in zip(names, types):
            use, column = usage.get(name), self._column(usage.get(name))
            if use is not None and use.role == "eq" and use.table is not None and column is not None:
                by_table.setdefault(use.table, []).append((name, column, pg_type))
        found: dict[str, str | None] = {}
        for table_name, params in by_table.items():
            selects, joins, conditions = [], [], []
            for k, (_name, column, pg_type) in enumerate(params):
                expression = quote_ident(column.name)
                if parse_type(column.sql_type)[2] and not parse_type(pg_type)[2]:  # `:tag = ANY(tags)`
                    joins.append(f"CROSS JOIN LATERAL unnest({expression}) AS e{k}(v)")
                    expression = f"e{k}.v"
                selects.append(f"({expression})::text")
                conditions.append(f"{expression} IS NOT NULL")
            positions = ", ".join(str(i + 1) for i in range(len(selects)))
            order = ", ".join(f'{i + 1} COLLATE "C"' for i in range(len(selects)))
            query = (
                f"SELECT {', '.join(selects)} FROM {self.reads.relation(self.db, table_name)} {' '.join(joins)} "
                f"WHERE {' AND '.join(conditions)} GROUP BY {positions} ORDER BY count(*) DESC, {order} LIMIT 1"
            )
            try:
                rows = self.db.query(query)
            except DatabaseError:
                continue  # e.g. a type without equality (json): sample parameters one by one
            if rows:
                for (name, column, pg_type), value in zip(params, rows[0]):
                    found[name] = self._adapt(value, column, pg_type)
        return found

    def value(self, name: str, pg_type: str, use: Use | None, attempt: int, k: int) -> str | None:
        if use is not None and use.role == "limit":
            return LIMIT_VALUE
        if use is not None and use.role == "offset":
            return "0"
        if name in self.anchored and (use is None or use.role not in ("insert", "set")):
            return self.anchored[name]
        if name in self.parents and use is not None and use.role == "insert":
            return self.parents[name]
        column = self._column(use)
        # Beyond the synthetic rows' serials: fresh unique values ('ordernumber-10003002' was taken
        # among shop's 14 M orders).
        serial = self._fresh_from(use.table if use is not None else None) + attempt * 1_000 + k
        if use is not None and column is not None and use.table is not None:
            table = self.design.table(use.table)
            assert table is not None
            if use.role in ("insert", "set"):
                parent = self._referenced(table, column.name)
                if parent is not None:
                    return self._adapt(self._sample(parent[0], parent[1], "eq", pg_type), parent[1], pg_type)
                rules = column_rules(table).get(column.name)
                col_profile = profile(column.name, column.sql_type, semantic=column.semantic, rules=rules, enums=self.enums)
                return generate(col_profile, serial, self.rng, 0, distinct=True)
            if attempt == 0:
                sampled = self._sample(table, column, use.role, pg_type)
                if sampled is not None:
                    return self._adapt(sampled, column, pg_type)
        return generate(profile(name, pg_type, enums=self.enums), serial, self.rng, 0, distinct=True)

    def _fresh_from(self, table: str | None) -> int:
        """The first serial no synthetic row of `table` can hold: FRESH_SERIAL, or the power of ten
        at or above twice the rows its statistics count (the generator numbers rows from 1)."""
        if table is None:
            return FRESH_SERIAL
        rows = self.db.query_value(
            "SELECT coalesce(sum(greatest(reltuples, 0)), 0) FROM pg_class WHERE oid = to_regclass(%s) "
            "OR oid IN (SELECT relid FROM pg_partition_tree(to_regclass(%s)))", [quote_ident(table), quote_ident(table)])
        return max(FRESH_SERIAL, 10 ** math.ceil(math.log10(max(2 * float(rows or 0), 1))))

    def _column(self, use: Use | None) -> m.Column | None:
        if use is None or use.table is None or use.column is None:
            return None
        table = self.design.table(use.table)
        return table.column(use.column) if table else None

    def _referenced(self, table: m.Table, column: str) -> tuple[m.Table, m.Column] | None:
        for fk in table.foreign_keys:
            if column in fk.columns:
                parent = self.design.table(fk.ref_table)
                ref = parent.column(fk.ref_columns[fk.columns.index(column)]) if parent else None
                if parent is not None and ref is not None:
                    return parent, ref
        return None

    def _sample(self, table: m.Table, column: m.Column, role: str, pg_type: str) -> str | None:
        """An existing value: the most common one for equality, the extremes for ranges."""
        col, tbl = quote_ident(column.name), quote_ident(table.name)
        element = parse_type(column.sql_type)[2] and not parse_type(pg_type)[2]
        known = self.reads.value(self.db, table.name, column.name, role, bool(element))
        if known is not None:
            return known
        source = f"unnest({col})" if element else col
        if role in ("low", "high") and not element:
            order = "" if role == "low" else " DESC"
            # `AS v`: ORDER BY must sort the column itself, not its text (which an output
            # column of the same name would shadow).
            query = (f"SELECT {col}::text AS v FROM {self.reads.relation(self.db, table.name)} WHERE {col} IS NOT NULL "
                     f"ORDER BY {tbl}.{col}{order} LIMIT 1")
            try:
                return self.db.query_value(query)
            except DatabaseError:
                pass  # no ordering for this type: fall back to the most common value
        query = (
            f"SELECT v FROM (SELECT ({source})::text AS v FROM {self.reads.relation(self.db, table.name)}) s "
            "WHERE v IS NOT NULL "
            f'GROUP BY v ORDER BY count(*) DESC, v COLLATE "C" LIMIT 1'
        )
        try:
            return self.db.query_value(query)
        except DatabaseError:
            return None

    @staticmethod
    def _adapt(value: str | None, column: m.Column, pg_type: str) -> str | None:
        """`id = ANY(:ids)`: a scalar sample becomes a one-element array."""
        if value is None or not parse_type(pg_type)[2] or parse_type(column.sql_type)[2]:
            return value
        return '{"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"}'


def run_pattern(
    db: Database,
    design: m.Design,
    pattern: m.AccessPattern,
    *,
    statement: str = "sw_pattern",
    runs: int = RUNS,
    enums: dict[str, tuple[str, ...]] | None = None,
    seed: int = 0,
) -> PatternResult:
    """PREPARE, bind, EXPLAIN and time one access pattern."""

    def failed(error: str, params: dict[str, str | None] | None = None) -> PatternResult:
        return PatternResult(pattern.name, pattern.kind, ERROR, target_ms=pattern.latency_p95_ms,
                             params=params or {}, error=error)

    try:
        prepared = prepare(db, statement, pattern.sql, design)
    except DatabaseError as error:
        return failed(f"does not prepare: {error}")
    except Exception as error:  # sqlglot tokenizer errors: unterminated strings and the like
        return failed(f"could not read the SQL: {error}")
    bound, types = prepared.bound, prepared.types
    try:
        usage = uses(pattern.sql, design)
        binder = Binder(db, design, enums or {}, f"{seed}:{pattern.name}", pattern.sql)
        error: DatabaseError | None = None
        failing: dict[str, str | None] = {}  # the values of the first refused attempt
        for attempt in range(MAX_BINDINGS):
            values = binder.values(bound.names, list(types), usage, attempt)
            params = dict(zip(bound.names, values))
            call = f"EXECUTE {statement}" + (
                "(" + ", ".join("NULL" if v is None else quote_literal(v) for v in values) + ")" if values else ""
            )
            try:
                plan = plan_summary(db.query_value(f"EXPLAIN (FORMAT JSON) {call}"))
                rows, samples = _measure(db, call, runs)
            except DatabaseError as exc:
                error, failing = exc, failing or params
                if exc.is_integrity_error or exc.is_data_error:
                    continue  # e.g. a generated value breaks a CHECK: try other values
                return failed(f"fails: {exc}", params)
            measured = p95(samples)
            target = pattern.latency_p95_ms
            slow = target is not None and measured > target
            empty = not_measured(db, design, pattern, [rows] * len(samples))
            if empty and error is not None:  # the values that found rows failed; fresh ones find nothing
                return failed(f"fails with the values drawn from the data: {error}", failing)
            return PatternResult(
                pattern.name, pattern.kind, NOT_MEASURED if empty else FAIL if slow else PASS, p95_ms=measured,
                target_ms=target, plan=plan, rows=rows, params=params,
                error=f"p95 {measured:.2f} ms exceeds the {target:g} ms target; {plan}" if slow and not empty else
                f"p95 {measured:.2f} ms on nothing: {empty}" if empty else None,
            )
        if binder.no_free_key and error is not None and error.is_integrity_error:
            # The data's fault, not the design's: tiny synthetic tables can take every key a row may hold.
            return PatternResult(pattern.name, pattern.kind, NOT_MEASURED, target_ms=pattern.latency_p95_ms,
                                 params=params, error=binder.no_free_key)
        return failed(f"fails with every value tried: {error}", params)
    finally:
        db.execute(f"DEALLOCATE {statement}")


def _measure(db: Database, call: str, runs: int) -> tuple[int, list[float]]:
    """One warm-up run, then `runs` timed runs, each in a transaction that is rolled back."""
    samples: list[float] = []
    rows = 0
    for i in range(runs + 1):
        with db.transaction(rollback=True):
            start = time.perf_counter()
            rows = db.execute(call)
            elapsed = (time.perf_counter() - start) * 1000
        if i:
            samples.append(elapsed)
    return rows, samples


def run_patterns(
    db: Database,
    design: m.Design,
    *,
    runs: int = RUNS,
    enums: dict[str, tuple[str, ...]] | None = None,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> list[PatternResult]:
    results = []
    for i, pattern in enumerate(design.access_patterns):
        if progress:
            progress(f"Running access pattern {pattern.name}")
        results.append(run_pattern(db, design, pattern, statement=f"sw_pattern_{i}", runs=runs, enums=enums, seed=seed))
    return results
