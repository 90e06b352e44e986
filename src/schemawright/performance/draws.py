"""Parameter values for each run of a pattern, drawn from the loaded rows.

One binding chosen by validation's Binder gives every parameter a value that works (the
most common row, range ends, fresh values for inserted keys).  On top of it, each run gets
different values where the data offers them, so the runs do not all hit the same cached
row and index path:
- parameters compared for equality take a random row the pattern's own joins and constant
  conditions accept (validation.params.anchor_rows);
- with the spec's `returns: N`, equality parameters take the value combinations that have
  about N such rows, and range parameters on one expression the bounds that keep N of them
  (_aimed_rows), so the pattern is timed on the rows it is meant to return;
- inserted foreign-key columns take a random parent row, all columns of a composite key
  from the same row, so the insert passes its foreign-key checks, and one that a
  `parent_check` rule accepts (a performance on sale), so it passes the rule;
- an inserted column that a dependency kept on purpose (`denormalized:`) makes depend on
  other inserted columns takes its value from a row that has them (validation/kept.py);
- an inserted integer key column that is not a foreign key (`o_id` in `(w_id, d_id, o_id)`)
  continues after the largest value in the table, one new number per run, as an
  application's sequence or counter would, so the insert does not hit an existing key.

A draw whose query PostgreSQL refuses (or stops at its statement timeout) leaves those
parameters to the base binding; it says so in `failures` (one line per draw), which bench
reports beside the pattern, since the runs then repeat one value.
"""

from __future__ import annotations

import random
import zlib

from schemawright import model as m
from schemawright.database import Database, DatabaseError
from schemawright.sql import types as sql_types  # `types` is a parameter name here
from schemawright.integrity.invariants import table_of
from schemawright.performance.headroom import SAMPLE_FACTOR, inserted_constants, literal, room_conditions
from schemawright.sql.quoting import quote_ident
from schemawright.sql.qualify import qualified, read_from
from schemawright.validation.kept import agree_with_kept
from schemawright.validation.params import Anchor, Use, anchor_rows, uses
from schemawright.validation.patterns import Binder
from schemawright.validation.plaintext import has_encryption, plaintext_sql, readable

Binding = list[str | None]


def draw_bindings(db: Database, design: m.Design, pattern: m.AccessPattern, names: tuple[str, ...],
                  types: list[str], count: int, *, enums: dict[str, tuple[str, ...]], seed: int,
                  attempt: int = 0, returns: int | None = None, failures: list[str] | None = None) -> list[Binding]:
    """`count` bindings for the parameters `names` (PostgreSQL types `types`) of `pattern`;
    with `returns`, bindings that select about that many rows (_aimed_rows).  `failures`
    collects why a draw fell back to the base binding (a query PostgreSQL refused)."""
    failed = failures if failures is not None else []
    usage = uses(pattern.sql, design)
    base = Binder(db, design, enums, f"{seed}:{pattern.name}", pattern.sql).values(names, types, usage, attempt)
    if not names or count <= 0:
        return [list(base) for _ in range(max(count, 0))]
    db.execute("SELECT setseed(%s)", [_unit(seed, pattern.name)])  # same data, same draws
    varied: list[dict[str, str | None]] = [{} for _ in range(count)]
    aimed = _aimed_rows(db, design, pattern.sql, count, returns, seed, failed) if returns else []
    draws = (aimed or _equality_rows(db, design, pattern.sql, count, failed),
             *_parent_rows(db, design, usage, names, count, failed, _known(pattern.sql, usage, names, base)),
             _fresh_keys(db, design, usage, names, count))
    for draw in draws:
        if not draw:
            continue
        for i, row in enumerate(varied):
            row.update(draw[i % len(draw)])
    bindings = [[row.get(name, value) for name, value in zip(names, base)] for row in varied]
    return [agree_with_kept(db, design, usage, names, types, binding) for binding in bindings]


def _unit(seed: int, name: str) -> float:
    """A setseed() argument in [-1, 1] that depends on the seed and the pattern, stably."""
    return (zlib.crc32(f"{seed}:{name}".encode()) % 2_000_001) / 1_000_000 - 1


def _anchor(db: Database, design: m.Design, sql: str, ranges: bool = False) -> Anchor | None:
    # Encrypted columns (pii: encrypt) are drawn as plaintext: the pattern read back as written,
    # the tables read through a decrypting relation (validation/plaintext.py).
    reads = readable(None, design)
    relation = (lambda table: reads.relation(db, table) if design.table(table) else None) \
        if has_encryption(design) else None
    return anchor_rows(plaintext_sql(sql, design), relation, ranges=ranges)


def _equality_rows(db: Database, design: m.Design, sql: str, count: int,
                   failed: list[str]) -> list[dict[str, str | None]]:
    anchor = _anchor(db, design, sql)
    if anchor is None:
        return []
    try:
        rows = db.query(f"SELECT * FROM ({anchor.sql}) AS drawn ORDER BY random() LIMIT {int(count)}")
    except DatabaseError as error:  # e.g. sqlglot rewrote something PostgreSQL reads differently
        failed.append(f"rows for its equality parameters: {error}")
        return []  # keep the base binding
    return [dict(zip(anchor.names, row)) for row in rows]


def _aimed_rows(db: Database, design: m.Design, sql: str, count: int, returns: int,
                seed: int, failed: list[str]) -> list[dict[str, str | None]]:
    """Bindings that select about `returns` rows (before LIMIT), from the rows the pattern's joins
    and constant conditions accept: equality parameters take the combinations whose number of
    rows is nearest to it; range parameters on one expression then bound `returns` of the
    chosen combination's rows (the last ones for `x >= :since`, the first for `x < :before`, a
    random window for both).  Empty when the pattern has no such parameters."""
    anchor = _anchor(db, design, sql, ranges=True)
    if anchor is None:
        return []
    eq = [f"c{i}" for i in range(len(anchor.names))]
    keys = ", ".join(eq)
    try:
        if not anchor.ranges:
            rows = db.query(f"SELECT {keys} FROM ({anchor.sql}) AS drawn GROUP BY {keys} "
                            f"ORDER BY abs(ln(count(*)::float8 / {int(returns)})), random() LIMIT {int(count)}")
            return [dict(zip(anchor.names, row)) for row in rows]
        part = f"PARTITION BY {keys}" if eq else ""
        ranked = (f"SELECT {keys}{', ' if eq else ''}r0 AS v, row_number() OVER ({part} ORDER BY r0) AS k, "
                  f"count(*) OVER ({part}) AS n FROM ({anchor.sql}) AS drawn")
        groups = db.query(f"SELECT {keys}{', ' if eq else ''}n FROM ({ranked}) AS ranked GROUP BY "
                          f"{keys}{', ' if eq else ''}n ORDER BY n >= {int(returns)} DESC, random() LIMIT {int(count)}")
        if not groups:
            return []
        wanted = _ranks(groups, count, returns, {role for _, role, _ in anchor.ranges}, seed)
        given = ", ".join(["%s::int[]"] + ["%s::text[]"] * len(eq) + ["%s::int[]", "%s::int[]"])
        columns = ", ".join(["i", *eq, "kl", "kh"])
        same = "".join(f" AND {{t}}.{c} = w.{c}" for c in eq)
        found = db.query(f"WITH ranked AS ({ranked}) SELECT w.i, lo.v::text, hi.v::text "
                         f"FROM unnest({given}) AS w({columns}) "
                         f"LEFT JOIN ranked AS lo ON lo.k = w.kl{same.format(t='lo')} "
                         f"LEFT JOIN ranked AS hi ON hi.k = w.kh{same.format(t='hi')} ORDER BY w.i",
                         [list(column) for column in zip(*wanted)])
    except DatabaseError as error:
        failed.append(f"values returning about {returns} rows: {error}")
        return []  # the usual draws
    out = []
    for i, low, high in found:
        row: dict[str, str | None] = dict(zip(anchor.names, groups[int(i) % len(groups)][:len(eq)]))
        for name, role, _ in anchor.ranges:
            row[name] = low if role == "low" else high
        out.append(row)
    return out


def _ranks(groups: list[tuple], count: int, returns: int, roles: set[str], seed: int) -> list[tuple]:
    """(run, group keys..., rank of the low bound, rank of the high bound) for each run: a window of
    `returns` rows in the group's order of the bounded expression."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        *keys, n = groups[i % len(groups)]
        n = int(n)
        if roles == {"low", "high"}:
            start = rng.randint(1, max(n - returns + 1, 1))
            low, high = start, min(start + returns - 1, n)
        else:
            low, high = max(n - returns + 1, 1), min(returns, n)
        out.append((i, *keys, low, high))
    return out


def _parent_rows(db: Database, design: m.Design, usage: dict[str, Use], names: tuple[str, ...],
                 count: int, failed: list[str], known: dict[tuple[str, str], str | None] | None = None,
                 ) -> list[list[dict[str, str | None]]]:
    """For each foreign key whose columns are all inserted from parameters: random parent rows.
    Keys that share a parameter (the tenant column of `(tenant, project_id)` and `(tenant,
    issue_id)`) agree on it: the widest is drawn first, and each later one, run by run, among
    the parents with the values already drawn, so the inserted row's references all exist.
    A parent whose group an `aggregate` rule would refuse with the inserted row (`known`: its
    values by (table, column), as SQL) is passed over where others have room (headroom.py)."""
    inserted = {(u.table, u.column): n for n, u in usage.items() if u.role == "insert" and u.table and u.column}
    keys = []
    table_of_fk: dict[int, m.Table] = {}
    for table in design.tables:
        for fk in table.foreign_keys:
            params = [inserted.get((table.name, c)) for c in fk.columns]
            if all(params) and set(params) <= set(names):
                keys.append((fk, params))
                table_of_fk[id(fk)] = table
    out: list[list[dict[str, str | None]]] = []
    joint: list[dict[str, str | None]] = []  # one row per run: the keys that share parameters
    for fk, params in sorted(keys, key=lambda k: -len(k[0].columns)):
        shared = [(p, r) for p, r in zip(params, fk.ref_columns) if joint and p in joint[0]]
        written = {c: v for (t, c), v in (known or {}).items() if t == table_of_fk[id(fk)].name}
        accepted = _accepted(design, table_of_fk[id(fk)], fk, "p", written)
        try:
            if shared:
                _matching_parents(db, design, fk, params, shared, joint, accepted, table_of_fk[id(fk)], inserted)
                continue
            columns = ", ".join(f"p.{quote_ident(c)}::text" for c in fk.ref_columns)
            where = f" WHERE {' AND '.join(accepted)}" if accepted else ""
            drawn_from = f"SELECT * FROM {quote_ident(fk.ref_table)} AS p{where} ORDER BY random()"
            table = table_of_fk[id(fk)]
            room = room_conditions(design, table, fk, "p", {c: v for (t, c), v in (known or {}).items()
                                                            if t == table.name})
            rows = db.query(f"SELECT {columns} FROM ({drawn_from} LIMIT {int(count) * SAMPLE_FACTOR}) AS p "
                            f"WHERE {' AND '.join(room)} LIMIT {int(count)}") if room else []
            if not rows:  # no aggregate rule, or no sampled parent has room: any parent the rules accept
                rows = db.query(f"SELECT {columns} FROM ({drawn_from} LIMIT {int(count)}) AS p")
        except DatabaseError as error:  # the parameters keep the base binding's parent
            failed.append(f"parent rows of {fk.name or fk.ref_table} for {', '.join(str(p) for p in params)}: {error}")
            continue
        drawn = [dict(zip(params, row)) for row in rows]  # type: ignore[arg-type]
        if len(params) > 1 and not joint and drawn:
            joint = [dict(drawn[i % len(drawn)]) for i in range(count)]
        else:
            out.append(drawn)
    return ([joint] if joint else []) + out


def _known(sql: str, usage: dict[str, Use], names: tuple[str, ...],
           base: list[str | None]) -> dict[tuple[str, str], str | None]:
    """The inserted row's values by (table, column), as SQL: the base binding's parameters and
    the INSERT's literal constants (headroom.py reads them)."""
    out: dict[tuple[str, str], str | None] = {}
    for name, value in zip(names, base):
        use = usage.get(name)
        if use is not None and use.role == "insert" and use.table and use.column:
            out[(use.table, use.column)] = literal(value)
    table = next((u.table for u in usage.values() if u.role == "insert" and u.table), None)
    if table is not None:
        for column, text in inserted_constants(sql).items():
            out.setdefault((table, column), text)
    return out


def _accepted(design: m.Design, table: m.Table, fk: m.ForeignKey, alias: str,
              written: dict[str, str | None] | None = None) -> list[str]:
    """The conditions a `parent_check` rule over `fk` puts on the parent alone (`parent.status =
    'on_sale'`), on the parent read as `alias`: a drawn parent the rule refuses fails every run.
    A rule that also reads the written row (`moved_on >= parent.opened_on`) is applied with the
    row's values in `written` (by column, as SQL), when it gives every one the rule reads."""
    out = []
    for rule in design.rules:
        if rule.kind != "parent_check" or not rule.expression or table_of(design, rule.entity) is not table:
            continue
        # The rule's key, or a wider key to the same parent (`(performance_id, venue_id)` for a rule via
        # `performance_id`): the same parent row either way.
        same_parent = any(k.columns == rule.columns and k.ref_table == fk.ref_table for k in table.foreign_keys)
        if not (set(rule.columns) <= set(fk.columns) and same_parent):
            continue
        text = qualified(rule.expression, "sw_written_row", alias)
        if text and "sw_written_row." not in text:
            out.append(f"({text}) IS TRUE")
        elif text:  # the written row's part, with the values the runs write
            row = _written_row(table, text, written or {})
            if row is not None:
                out.append(f"(SELECT ({text}) IS TRUE FROM {row})")
    return out


def _written_row(table: m.Table, text: str, written: dict[str, str | None]) -> str | None:
    """`(SELECT value::type AS column, ...) AS sw_written_row` for the written row's columns
    `text` reads; None when one of them has no known value."""
    read = read_from(text, "sw_written_row")
    if not read or any(written.get(c) is None or table.column(c) is None for c in read):
        return None
    values = ", ".join(f"({written[c]})::{table.column(c).sql_type} AS {quote_ident(c)}"  # type: ignore[union-attr]
                       for c in read)
    return f"(SELECT {values}) AS sw_written_row"


def _matching_parents(db: Database, design: m.Design, fk: m.ForeignKey, params: list[str],
                      shared: list[tuple[str, str]], joint: list[dict[str, str | None]],
                      accepted: list[str], table: m.Table, inserted: dict[tuple[str, str], str]) -> None:
    """Each run's row of `joint` gains a random parent of `fk` with its already drawn values
    (and that the `accepted` conditions on the parent `p` hold for), and that leaves the
    inserted row's unique keys free (_free_keys: a seat not yet sold for the drawn performance)."""
    parent = design.table(fk.ref_table)
    types = [(parent.column(r).sql_type if parent and parent.column(r) else "text") for _, r in shared]
    known = [p for p, _ in shared]
    free, others = _free_keys(design, table, fk, params, inserted, set(joint[0]) if joint else set())
    known += [p for p in others if p not in known]
    arrays = [[row.get(p) for row in joint] for p in known]
    given = ", ".join("%s::text[]" for _ in known)
    names = ", ".join(f"v{k}" for k in range(len(known)))
    value = {p: f"d.v{k}" for k, p in enumerate(known)}
    match = " AND ".join([f"p.{quote_ident(r)} = d.v{k}::{t}" for k, ((_, r), t) in enumerate(zip(shared, types))]
                         + list(accepted) + [condition.format(**value) for condition in free])
    columns = ", ".join(f"p.{quote_ident(c)}::text" for c in fk.ref_columns)
    rows = db.query(f"SELECT d.i, {columns} FROM unnest({given}) WITH ORDINALITY AS d({names}, i) "
                    f"CROSS JOIN LATERAL (SELECT * FROM {quote_ident(fk.ref_table)} AS p WHERE {match} "
                    "ORDER BY random() LIMIT 1) AS p", arrays)
    for i, *values in rows:
        joint[int(i) - 1].update(zip(params, values))
    # A run whose earlier draws leave no such parent (a venue without a free seat) takes the whole
    # binding of a run that has one: its references all exist together.
    complete = [row for row in joint if all(row.get(p) is not None for p in params)]
    for i, row in enumerate(joint):
        if complete and any(row.get(p) is None for p in params):
            joint[i] = dict(complete[i % len(complete)])


def _free_keys(design: m.Design, table: m.Table, fk: m.ForeignKey, params: list[str],
               inserted: dict[tuple[str, str], str], known: set[str]) -> tuple[list[str], list[str]]:
    """NOT EXISTS conditions (with `{parameter}` for the drawn value of each known parameter) that
    keep each unique key of `table` made of inserted columns free, when `fk`'s parent (read as `p`)
    gives some of its columns and earlier draws the others; and those other parameters."""
    by_column = dict(zip(fk.columns, fk.ref_columns))
    keys: list[tuple[tuple[str, ...], str | None]] = [(u.columns, None) for u in table.uniques]
    keys += [(table.primary_key.columns, None)] if table.primary_key else []
    keys += [(tuple(c.expression for c in i.columns), i.where) for i in design.indexes_on(table.name) if i.unique
             and all(table.column(c.expression) is not None for c in i.columns)]  # plain columns only
    conditions: list[str] = []
    others: list[str] = []
    for columns, where in keys:
        param = {c: inserted.get((table.name, c), "") for c in columns}  # "": not inserted from a parameter
        drawn_now = [c for c in columns if c in by_column and param[c] in params and param[c] not in known]
        rest = [c for c in columns if c not in drawn_now]
        if not drawn_now or not all(param[c] in known for c in rest):
            continue
        same = [f"t.{quote_ident(c)} = p.{quote_ident(by_column[c])}" for c in drawn_now]
        # The drawn value cast to the column's type, never the column to text: a cast column loses its
        # index, and each run's probe then reads every row of the key (60 s for ticketing's 9 M tickets).
        same += [f"t.{quote_ident(c)} = ({{{param[c]}}})::{table.column(c).sql_type}"  # type: ignore[union-attr]
                 if table.column(c) is not None else f"t.{quote_ident(c)}::text = {{{param[c]}}}" for c in rest]
        predicate = qualified(where, "t") if where else None
        conditions.append(f"NOT EXISTS (SELECT 1 FROM {quote_ident(table.name)} AS t WHERE "
                          + " AND ".join(same + ([f"({predicate})"] if predicate else [])) + ")")
        others += [param[c] for c in rest if param[c] not in others]
    return conditions, others


def _fresh_keys(db: Database, design: m.Design, usage: dict[str, Use], names: tuple[str, ...],
                count: int) -> list[dict[str, str | None]]:
    inserted = {(u.table, u.column): n for n, u in usage.items() if u.role == "insert" and u.table and u.column}
    fresh: dict[str, tuple[str, str]] = {}  # parameter -> (table, column)
    for table in design.tables:
        keys = ([table.primary_key.columns] if table.primary_key else []) + [u.columns for u in table.uniques]
        referencing = {c for fk in table.foreign_keys for c in fk.columns}
        for key in keys:
            for column in key:
                param = inserted.get((table.name, column))
                found = table.column(column)
                if (param in names and column not in referencing and found is not None
                        and sql_types.ALIASES.get(found.sql_type.lower()) in sql_types.INTEGERS):
                    fresh[param] = (table.name, column)  # type: ignore[index]
    if not fresh:
        return []
    starts = {param: int(db.query_value(f"SELECT coalesce(max({quote_ident(column)}), 0) FROM {quote_ident(table)}")
                         or 0) + 1 for param, (table, column) in fresh.items()}
    return [{param: str(start + i) for param, start in starts.items()} for i in range(count)]
