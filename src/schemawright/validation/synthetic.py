"""A small, seeded set of rows per table that satisfies every constraint.

Parents are filled before children (topological order over foreign keys), identity and
generated keys are left to the database and read back with RETURNING, foreign keys take
values from rows already inserted, and unique keys are kept distinct before the row is
even sent.  Rules that cannot be met by construction (cross-column CHECKs, regular
expressions) are handled by trying again: each row goes in inside a SAVEPOINT and a
refused row is regenerated with new values, a bounded number of times.

With a tenant column (`security.tenant_column`) referencing a tenant table, the rows of every
tenant-owned table are dealt out in turn to the first few tenants (at least MIN_TENANTS), so
each of them has rows in every table: the attack suite (validation/attack_tenants.py) runs each
access pattern as several tenants and needs every one of them to have data to leak.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from random import Random

from sqlglot import exp

from schemawright import model as m
from schemawright.database import Database, DatabaseError
from schemawright.security.tenancy import tenant_root
from schemawright.sql.quoting import quote_ident
from schemawright.validation.plaintext import plaintext_design, written
from schemawright.validation.report import TableFill
from schemawright.validation.rules import column_name, column_rules, derived_columns
from schemawright.validation.values import ColumnProfile, generate, profile

DEFAULT_ROWS = 20
MAX_ATTEMPTS = 100  # per row; an attempt is one statement, and a cross-column rule holds 1 time in 2-6:
# (5/6)^100 < 1e-7, so a table is not left short of its rows by chance (validate fails one 1 % short)
MAX_FAILED_ROWS = 3  # a table stops after this many rows that could not be inserted
MIN_TENANTS = 5  # tenants that get rows in every tenant-owned table (more with more rows: one per 4 rows)
ROWS_PER_TENANT = 4

Row = dict[str, str | None]


class _MissingParent(str):
    """Why a row cannot be built that no retry will change: the referenced table is empty."""


def insertion_order(design: m.Design) -> list[m.Table]:
    """Tables with every referenced table before its referrers; design order breaks ties,
    and a cycle is broken at the first remaining table (its FKs to later tables get NULL)."""
    names = {t.name for t in design.tables}
    parents = {
        t.name: {fk.ref_table for fk in t.foreign_keys if fk.ref_table != t.name and fk.ref_table in names}
        for t in design.tables
    }
    done: set[str] = set()
    order: list[m.Table] = []
    remaining = list(design.tables)
    while remaining:
        ready = next((t for t in remaining if parents[t.name] <= done), remaining[0])
        remaining.remove(ready)
        done.add(ready.name)
        order.append(ready)
    return order


def _returning(design: m.Design, table: m.Table) -> tuple[str, ...]:
    """Columns children will need: the primary key and every referenced column."""
    wanted = list(table.primary_key.columns) if table.primary_key else []
    for other in design.tables:
        for fk in other.foreign_keys:
            if fk.ref_table == table.name:
                wanted += fk.ref_columns
    return tuple(c for c in dict.fromkeys(wanted) if table.column(c))


def _generated_by_database(table: m.Table, column: m.Column) -> bool:
    """Identity, serial and generated columns, and key columns with a default such as gen_random_uuid()."""
    if column.identity or column.generated is not None:
        return True
    default = (column.default or "").lower()
    in_key = bool(table.primary_key and column.name in table.primary_key.columns)
    in_fk = any(column.name in fk.columns for fk in table.foreign_keys)
    return "nextval(" in default or (bool(default) and in_key and not in_fk)


def _esc(sql: str) -> str:
    return sql.replace("%", "%%")  # the statement is sent with parameters


@dataclass
class _TablePlan:
    table: m.Table
    columns: list[m.Column]  # the columns we supply, in table order
    profiles: dict[str, ColumnProfile]
    fk_columns: set[str]
    keys: list[tuple[str, ...]]  # unique keys made only of supplied columns
    distinct: set[str]
    returning: tuple[str, ...]
    sql: str

    @classmethod
    def build(cls, design: m.Design, table: m.Table, enums: dict[str, tuple[str, ...]]) -> _TablePlan:
        rules = column_rules(table)
        columns = [c for c in table.columns if not _generated_by_database(table, c)]
        derived = _derived(table, columns)
        columns = [c for c in columns if c.name not in derived]
        supplied = {c.name for c in columns}
        profiles = {
            c.name: profile(c.name, c.sql_type, semantic=c.semantic, position=i, rules=rules.get(c.name), enums=enums)
            for i, c in enumerate(table.columns)
            if c.name in supplied
        }
        keys = [k for k in design.unique_keys(table) if set(k) <= supplied]
        returning = _returning(design, table)
        fk_columns = {c for fk in table.foreign_keys for c in fk.columns}
        distinct = {c for k in keys for c in k}
        sql = _insert_sql(table, columns, derived, returning)
        return cls(table, columns, profiles, fk_columns, keys, distinct, returning, sql)


def _derived(table: m.Table, columns: list[m.Column]) -> dict[str, str]:
    """Derived columns (see rules.derived_columns) whose inputs we supply, as SQL over them."""
    supplied = {c.name for c in columns}
    if not all(c.sql_type for c in columns):
        return {}  # the computed form needs each input cast to its type
    found = {}
    for name, expression in derived_columns(table).items():
        inputs = {column_name(c) for c in expression.find_all(exp.Column)}
        if name in supplied and inputs <= supplied - {name}:
            found[name] = (inputs, expression.sql(dialect="postgres"))
    # One level only: a column computed from another computed column keeps a random value.
    return {n: sql for n, (inputs, sql) in found.items() if not inputs & set(found)}


def _insert_sql(table: m.Table, columns: list[m.Column], derived: dict[str, str], returning: tuple[str, ...]) -> str:
    target = _esc(quote_ident(table.name))
    names = [_esc(quote_ident(c.name)) for c in columns]
    if derived:
        # Inputs arrive as a typed VALUES row named like the columns, so the CHECK's own
        # expression computes the derived columns: INSERT ... SELECT v.a, v.b, (a * b) FROM (VALUES ...) v(a, b)
        values = ", ".join(f"%s::{_esc(c.sql_type)}" for c in columns)
        outputs = [written(c, f"v.{n}") for c, n in zip(columns, names)] + [f"({_esc(e)})" for e in derived.values()]
        all_names = names + [_esc(quote_ident(n)) for n in derived]
        sql = (f"INSERT INTO {target} ({', '.join(all_names)}) SELECT {', '.join(outputs)} "
               f"FROM (VALUES ({values})) AS v({', '.join(names)})")
    elif columns:
        sql = f"INSERT INTO {target} ({', '.join(names)}) VALUES ({', '.join(written(c, '%s') for c in columns)})"
    else:
        sql = f"INSERT INTO {target} DEFAULT VALUES"
    if returning:
        sql += " RETURNING " + ", ".join(f"{_esc(quote_ident(c))}::text" for c in returning)
    return sql


class _Filler:
    def __init__(self, db: Database, design: m.Design, rows: int, seed: int, enums: dict[str, tuple[str, ...]]):
        self.db, self.design, self.rows, self.seed, self.enums = db, design, rows, seed, enums
        self.pools: dict[str, list[Row]] = {}  # table -> returned key columns of inserted rows
        self._indexes: dict[tuple[str, tuple[str, ...]], tuple[int, dict[tuple, list[Row]]]] = {}
        root = tenant_root(design) if design.security.tenant_column else None
        # (tenant column, the tenant table, its referenced key column) when rows are dealt out to tenants
        self.tenancy = None
        if root is not None and root.primary_key and len(root.primary_key.columns) == 1:
            self.tenancy = (design.security.tenant_column, root.name, root.primary_key.columns[0])

    def _tenant(self, plan: _TablePlan, index: int, attempt: int, rng: Random) -> str | None:
        """The tenant of the table's row number `index`: the first tenants in turn (every tenant in
        turn where a tenant has one row at most: a one-to-one table), then (retries) any."""
        if self.tenancy is None or plan.table.column(self.tenancy[0]) is None:
            return None
        tenants = [r.get(self.tenancy[2]) for r in self.pools.get(self.tenancy[1], [])]
        tenants = [t for t in tenants if t is not None]
        if not tenants:
            return None
        one_each = (self.tenancy[0],) in plan.keys
        dealt = tenants if one_each else tenants[:max(MIN_TENANTS, self.rows // ROWS_PER_TENANT)]
        return dealt[index % len(dealt)] if attempt < MAX_ATTEMPTS // 2 else rng.choice(tenants)

    def fill(self, table: m.Table) -> TableFill:
        plan = _TablePlan.build(self.design, table, self.enums)
        rng = Random(f"{self.seed}:{table.name}")  # per table, so one table's retries don't shift another's data
        used: dict[tuple[str, ...], set[tuple]] = {k: set() for k in plan.keys}
        own: list[Row] = []
        self.pools[table.name] = own
        attempts = failed = 0
        serial = 0
        error: str | None = None
        with self.db.transaction():
            for _ in range(self.rows):
                inserted = False
                for attempt in range(MAX_ATTEMPTS):
                    attempts += 1
                    serial += 1
                    row = self._candidate(plan, own, used, rng, serial, attempt)
                    if isinstance(row, str):
                        error = str(row)
                        if isinstance(row, _MissingParent):
                            return TableFill(table.name, len(own), self.rows, attempts, error)
                        continue
                    try:
                        with self.db.transaction():  # a SAVEPOINT: a refused row leaves the rest intact
                            returned = self.db.query(plan.sql, [row[c.name] for c in plan.columns])
                    except DatabaseError as exc:
                        error = str(exc)
                        if exc.is_integrity_error or exc.is_data_error:
                            continue
                        return TableFill(table.name, len(own), self.rows, attempts, error)
                    for key in plan.keys:
                        used[key].add(tuple(row[c] for c in key))
                    own.append(dict(zip(plan.returning, returned[0])) if returned else {})
                    inserted = True
                    break
                if not inserted:
                    failed += 1
                    if failed >= MAX_FAILED_ROWS:
                        break
        return TableFill(table.name, len(own), self.rows, attempts, None if len(own) == self.rows else error)

    def _candidate(self, plan: _TablePlan, own: list[Row], used: dict, rng: Random, serial: int, attempt: int) -> Row | str:
        """A row to try, or the reason none can be built."""
        row: Row = {}
        tenant = self._tenant(plan, len(own), attempt, rng)
        if tenant is not None and self.tenancy is not None:
            row[self.tenancy[0]] = tenant
        fk_result = self._references(plan, own, used, row, rng, attempt)
        if fk_result is not None:
            return fk_result
        # The first attempt keeps dates within two months of today, ordered by column
        # (starts_at before ends_at), and fills every column.  Retries vary what a refused
        # row may have got wrong: dates over four years in any order, NULL in optional columns.
        row_days = rng.randrange(0, 60) if attempt == 0 else rng.randrange(-730, 730)
        for column in plan.columns:
            if column.name in plan.fk_columns:
                continue
            col_profile = plan.profiles[column.name]
            if attempt:
                if column.nullable and column.name not in plan.distinct and rng.random() < 0.3:
                    row[column.name] = None
                    continue
                col_profile = replace(col_profile, position=rng.randrange(0, 48))
            row[column.name] = generate(col_profile, serial, rng, row_days, column.name in plan.distinct)
        for key in plan.keys:
            values = tuple(row.get(c) for c in key)
            if None not in values and values in used[key]:
                return f"duplicate value for unique key ({', '.join(key)})"
        return row

    def _references(self, plan: _TablePlan, own: list[Row], used: dict, row: Row, rng: Random,
                    attempt: int) -> str | None:
        """Fill the foreign-key columns of `row` from rows already inserted in the referenced tables."""
        table = plan.table
        # Composite keys first: a `matches` key to (driver_id, vehicle_id) picks a pair that exists,
        # and the single-column keys then agree with it, instead of drawing each column alone.
        ordered = sorted(table.foreign_keys, key=lambda fk: -len(fk.columns))
        for position, fk in enumerate(ordered):
            self_ref = fk.ref_table == table.name
            parents = own if self_ref else self.pools.get(fk.ref_table, [])
            pairs = list(zip(fk.columns, fk.ref_columns))
            # Columns an earlier FK already set (tenant_id shared by two composite FKs) must agree.
            fixed = [(c, rc) for c, rc in pairs if row.get(c) is not None]
            nullable = all((table.column(c) is None or table.column(c).nullable) for c, _ in pairs if row.get(c) is None)
            candidates = self._reachable(table.name, self._matching(fk.ref_table, parents, fixed, row), pairs,
                                         ordered[position + 1:], own, row)
            # Self-references make a forest: some roots (NULL), the rest point at earlier rows.
            if not candidates or (self_ref and nullable and rng.random() < 0.25):
                if nullable:
                    for c, _ in pairs:
                        row.setdefault(c, None)
                    continue
                if self_ref:
                    return _MissingParent(f"no row yet in {table.name} for the first row to reference "
                                          f"(NOT NULL self-reference {fk.name})")
                if parents and fixed:  # set by the tenant or an earlier key: another draw of those may match
                    return f"no {fk.ref_table} row with the same {', '.join(c for c, _ in fixed)} ({fk.name})"
                return _MissingParent(f"no row in {fk.ref_table} to reference ({fk.name})")
            choice = self._pick(plan, used, row, pairs, candidates, rng, len(own) if attempt == 0 else None)
            for c, rc in pairs:
                row[c] = choice.get(rc)
        return None

    def _reachable(self, table: str, candidates: list[Row], pairs: list[tuple[str, str]],
                   later: list[m.ForeignKey], own: list[Row], row: Row) -> list[Row]:
        """The candidates every later key sharing a column can still agree with: a ticket's
        (performance_id, venue_id) drawn among performances whose venue has a seat, so the
        (seat_id, venue_id) key finds one.  All of them when none qualifies (the insert is retried)."""
        kept = candidates
        for other in later:
            shared = [(c, rc) for c, rc in pairs if c in other.columns and row.get(c) is None]
            if not shared:
                continue
            parents = own if other.ref_table == table else self.pools.get(other.ref_table, [])
            ref_of = dict(zip(other.columns, other.ref_columns))
            index = self._index(other.ref_table, parents, tuple(ref_of[c] for c, _ in shared))
            kept = [k for k in kept if tuple(k.get(rc) for _, rc in shared) in index]
        return kept or candidates

    def _matching(self, table: str, parents: list[Row], fixed: list[tuple[str, str]], row: Row) -> list[Row]:
        """Parent rows whose referenced columns equal the already fixed values (indexed, so
        large row counts stay linear)."""
        if not fixed:
            return parents
        index = self._index(table, parents, tuple(rc for _, rc in fixed))
        return index.get(tuple(row[c] for c, _ in fixed), [])

    def _index(self, table: str, parents: list[Row], columns: tuple[str, ...]) -> dict[tuple, list[Row]]:
        """Parent rows by their values of `columns`, extended with the rows inserted since last asked."""
        built, index = self._indexes.get((table, columns), (0, {}))
        for parent in parents[built:]:
            index.setdefault(tuple(parent.get(rc) for rc in columns), []).append(parent)
        self._indexes[(table, columns)] = (len(parents), index)
        return index

    def _pick(self, plan: _TablePlan, used: dict, row: Row, pairs: list[tuple[str, str]], candidates: list[Row],
              rng: Random, sequential: int | None) -> Row:
        """A parent row; when the FK is part of a unique key (one-to-one, junction), one that
        does not repeat a key already inserted, scanning from a rotating start."""
        touched = {c for c, _ in pairs}
        known = set(row) | touched
        keys = [k for k in plan.keys if touched & set(k) and set(k) <= known]
        if not keys:
            return rng.choice(candidates)
        count = len(candidates)
        start = sequential % count if sequential is not None else rng.randrange(count)
        for offset in range(count):
            parent = candidates[(start + offset) % count]
            trial = {**row, **{c: parent.get(rc) for c, rc in pairs}}
            if not any((values := tuple(trial[c] for c in k)) in used[k] and None not in values for k in keys):
                return parent
        return candidates[start]  # every choice repeats a key: the insert fails and is retried


def fill_tables(
    db: Database,
    design: m.Design,
    *,
    rows: int = DEFAULT_ROWS,
    seed: int = 0,
    enums: dict[str, tuple[str, ...]] | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[TableFill]:
    """Insert `rows` synthetic rows into every table of `design`, parents first; encrypted
    columns get plaintext drawn for their type and CHECKs, written through pii_encrypt()
    (the session needs the key: plaintext.use_test_key)."""
    design = plaintext_design(design)
    all_enums = design_enums(design)
    all_enums.update(enums or {})
    filler = _Filler(db, design, rows, seed, all_enums)
    results = []
    for table in insertion_order(design):
        if progress:
            progress(f"Inserting synthetic rows into {table.name}")
        results.append(filler.fill(table))
    return results


def design_enums(design: m.Design) -> dict[str, tuple[str, ...]]:
    """Enum values by every spelling a column's sql_type may use for the type."""
    out: dict[str, tuple[str, ...]] = {}
    for enum in design.enums:
        for key in (enum.name, quote_ident(enum.name), enum.name.lower()):
            out.setdefault(key, enum.values)
    return out
