"""Attempts to break every constraint and business rule of a design, and valid operations
that must still go through.

Each attempt is one self-contained `DO` block that works on rows already in the database
(synthetic or real): it picks the rows it needs, makes the change, then runs
`SET CONSTRAINTS ALL IMMEDIATE` so checks deferred to commit fire inside it.  The block
raises SQLSTATE `SWNOD` when the data gave it nothing to try, so an empty table can never
count as a refusal, nor as a success.  `validate` runs each in a transaction it rolls back;
the QA suite (`tests/` of `design`) runs the same blocks under pgTAP or plain psql.

Concurrent attempts are the same valid-alone change made by two sessions at once: the
second must be refused once the first commits (an exclusion, a partial unique index).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from random import Random
from dataclasses import dataclass, replace

import sqlglot
from sqlglot import exp

from schemawright import model as m
from schemawright.integrity.invariants import table_of
from schemawright.sql.postgresql import PostgresGenerator
from schemawright.sql.quoting import dollar_quote, quote_literal
from schemawright.sql.quoting import quote_ident as q
from schemawright.sql.types import family, parse
from schemawright.sql.qualify import qualified
from schemawright.validation.falsify import Assignments, merge, falsify, satisfy
from schemawright.validation.plaintext import plaintext_design, written, written_back
from schemawright.validation.rule_load import rule_triggers
from schemawright.validation.rules import check_columns, column_rules, derived_columns
from schemawright.validation.values import generate, profile

NOTHING = "SWNOD"  # SQLSTATE of an attempt that found no rows to work on
_NEXT = "SWNXT"  # raised inside an attempt to undo one candidate change and try the next
_CANDIDATE_VARIABLES = "    sw_i int;\n    sw_ok boolean;\n    sw_constraint text;\n    sw_message text;\n"
_SQL = PostgresGenerator()
GROUPS_TRIED = 200  # groups and rows an aggregate attempt searches before it gives up
ROWS_TRIED = 50
FILL_ROWS = 12  # copies a group attempt adds one by one to reach a bound such as `count(*) <= 10`


@dataclass(frozen=True)
class Attempt:
    subject: str  # what it proves: "rule entry_balances", "unique uq_orders_number"
    table: str
    description: str
    sql: str  # one DO block
    expect: str | None = None  # SQLSTATE a violation must raise; None: a valid operation that must succeed
    constraint: str | None = None  # the constraint name the error must carry
    concurrent: bool = False  # run by two sessions at once; the second must be refused
    quiet: tuple[tuple[str, str], ...] = ()  # concurrent: (table, trigger) the runner switches off around it
    also: tuple[str, ...] = ()  # concurrent: other keys of the table that may refuse the second session first
    second: str | None = None  # concurrent: what the second session runs, when not the same block
    setup: str | None = None  # concurrent: committed first, so both sessions start from rows it prepared
    touches: tuple[str, ...] = ()  # other tables it writes, whose other rules' triggers are switched off too
    optional: bool = False  # a second proof of something proven already: data that offers nothing is no failure

    @property
    def violation(self) -> bool:
        return self.expect is not None


@dataclass(frozen=True)
class NotTried:
    subject: str
    reason: str


def attempts(design: m.Design) -> tuple[list[Attempt], list[NotTried]]:
    # Encrypted columns (pii: encrypt) as their plaintext: a unique key is proven on the column
    # (copying another row's ciphertext; the trigger recomputes the blind index, which refuses),
    # a CHECK the PII trigger holds with a breaking value written through pii_encrypt().
    design = plaintext_design(design)
    out: list[Attempt] = []
    skipped: list[NotTried] = []
    owners = _owners(design)
    found: list[Attempt | NotTried] = []
    for table in design.tables:
        found += _Facts(design, table, owners).constraint_attempts()
    for rule in design.rules:
        table = table_of(design, rule.entity)
        if table is not None:
            found += _Facts(design, table, owners).rule_attempts(rule)
    for item in found:
        if isinstance(item, NotTried):
            skipped.append(item)
        else:
            out.append(_quieted(design, item))
    return out, skipped


def _quieted(design: m.Design, attempt: Attempt) -> Attempt:
    """The attempt with the other rules' triggers of its table switched off first."""
    rule = attempt.subject.split()[1] if attempt.subject.startswith("rule ") else None
    keep = next((r.enforced_by for r in design.rules if r.name == rule), ())
    triggers = [t for t in rule_triggers(design) if t.table in (attempt.table, *attempt.touches) and t.name not in keep]
    if not triggers:
        return attempt
    if attempt.concurrent:  # ALTER TABLE inside would lock the second session out: the runner does it
        return replace(attempt, quiet=tuple((t.table, t.name) for t in triggers))
    # Only a trigger that is there: on a database where one was dropped (QA's suites run on live
    # databases, and their mutation test drops each in turn) the attempt still tests its own rule.
    quiet = "".join(f"    IF EXISTS (SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid = {quote_literal(q(t.table))}::regclass "
                    f"AND tgname = {quote_literal(t.name)}) THEN\n"
                    f"        {_SQL.enable_trigger_sql(t.table, t.name, enabled=False)}\n    END IF;\n"
                    for t in triggers)
    return replace(attempt, sql=attempt.sql.replace("BEGIN\n", "BEGIN\n" + quiet, 1))


def _owners(design: m.Design) -> dict[str, str]:
    """Constraint, index or trigger name -> the rule it enforces."""
    return {name: rule.name for rule in design.rules for name in rule.enforced_by}


# ---------------------------------------------------------------- SQL pieces


def _variants(assignments: Assignments) -> list[Assignments]:
    """The falsifier's change, then changes that break the same rule in other ways: a too long
    value made by extending the row's own (so a pattern CHECK on the same column still holds),
    an empty string beside a never-matching one."""
    out = [assignments]
    for column, value in assignments.items():
        found = re.fullmatch(r"repeat\('x', (\d+)\)", value)
        if found:
            size, c = found.group(1), q(column)
            out += [{**assignments, column: f"rpad({c}, {size}, right({c}, 1))"},
                    {**assignments, column: f"rpad({c}, {size}, left({c}, 1))"}]
        elif value == "'~'":
            out += [{**assignments, column: "''"}, {**assignments, column: f"'~' || {q(column)}"}]
    return out


def _do(body: str, declare: str = "") -> str:
    text = ("DECLARE\n    sw_rows bigint;\n    a record;\n    b record;\n" + declare + "BEGIN\n" + body
            + "    SET CONSTRAINTS ALL IMMEDIATE;\nEND")
    return "DO " + dollar_quote(text, "attempt")


def _nothing(what: str) -> str:
    return f"RAISE EXCEPTION {quote_literal('nothing to try: ' + what)} USING ERRCODE = '{NOTHING}';"


def _touched(statement: str, what: str) -> str:
    return (f"    {statement};\n    GET DIAGNOSTICS sw_rows = ROW_COUNT;\n"
            f"    IF sw_rows = 0 THEN\n        {_nothing(what)}\n    END IF;\n")


def _pick(var: str, table: m.Table, key: tuple[str, ...], where: str, what: str, columns: tuple[str, ...] = ()) -> str:
    wanted = ", ".join(dict.fromkeys([f"src.{_col(k)}" for k in key] + [f"src.{q(c)}" for c in columns]))
    return (f"    SELECT {wanted} INTO {var} FROM {q(table.name)} AS src WHERE {where} LIMIT 1;\n"
            f"    IF NOT FOUND THEN\n        {_nothing(what)}\n    END IF;\n")


def _col(name: str) -> str:
    return name if name == "ctid" else q(name)


def _key_match(key: tuple[str, ...], var: str) -> str:
    return " AND ".join(f"{_col(k)} = {var}.{_col(k)}" for k in key)


def _all(conditions: list[str]) -> str:
    return " AND ".join(f"({c})" for c in conditions) if conditions else "true"


# ---------------------------------------------------------------- one table's facts


class _Facts:
    def __init__(self, design: m.Design, table: m.Table, owners: dict[str, str]):
        self.design, self.table, self.owners = design, table, owners
        self.key = table.primary_key.columns if table.primary_key else ("ctid",)
        self.rules = [r for r in design.rules if table_of(design, r.entity) is table]
        self.name = q(table.name)

    def subject(self, kind: str, name: str) -> str:
        rule = self.owners.get(name)
        return f"rule {rule} ({kind} {name})" if rule else f"{kind} {name}"

    def stored(self, column: str, value: str) -> str:
        """`value` as written into `column`: an encrypted column takes a copy of another row's
        ciphertext as it is (`src.email`), any other value through pii_encrypt()."""
        found = self.table.column(column)
        if found is None or not found.plaintext_type or re.fullmatch(rf"\w+\.{re.escape(q(column))}", value):
            return value
        return written(found, value)

    def returned(self, check: m.Check) -> str:
        """The CHECK's value on the row just written, as RETURNING computes it: over the plaintext
        of encrypted columns (a subquery naming them as the CHECK does)."""
        names = check_columns(check) or set()
        if not any((c := self.table.column(n)) is not None and c.plaintext_type for n in names):
            return f"({check.expression})"
        items = ", ".join(f"{written_back(c, f'{self.name}.{q(c.name)}')} AS {q(c.name)}"
                          for n in sorted(names) if (c := self.table.column(n)) is not None)
        return f"(SELECT ({check.expression}) FROM (SELECT {items}) AS sw_written)"

    def insertable(self) -> list[m.Column]:
        return [c for c in self.table.columns if not c.generated]

    def unique_keys(self) -> list[tuple[str, tuple[str, ...], str | None]]:
        """(name, columns, partial where) of every unique key but the primary key."""
        keys = [(u.name, u.columns, None) for u in self.table.uniques]
        keys += [(i.name, tuple(c.expression for c in i.columns), i.where) for i in self.design.indexes_on(self.table.name)
                 if i.unique and all(self.table.column(c.expression) for c in i.columns)]
        return keys

    def fresh(self, column: m.Column, spread: bool = False) -> str | None:
        """A value of the column no committed row has, the same in two concurrent sessions
        (`spread`: a different one in each, for a key that is not the one under test)."""
        base = parse(column.sql_type).base if column.sql_type else ""
        kind = family(column.sql_type) if column.sql_type else None
        t, c = self.name, q(column.name)
        if kind in ("integer", "numeric"):
            return f"(SELECT coalesce(max({c}), 0) + 1{' + pg_backend_pid() % 1000' if spread else ''} FROM {t})"
        if base in ("timestamp", "timestamptz"):
            return f"(SELECT coalesce(max({c}), now()) + interval '1 day' FROM {t})"
        if base == "date":
            return f"(SELECT coalesce(max({c}), current_date) + 1 FROM {t})"
        if kind == "text":
            rules = column_rules(self.table).get(column.name)
            if rules and (rules.patterns or rules.allowed or rules.min_length or rules.max_length):
                # A value the column's CHECKs accept, drawn by the synthetic generator far from
                # the serials it used; the same in every session.
                draw = profile(column.name, column.sql_type, semantic=column.semantic, rules=rules)
                rng = Random(f"fresh:{self.table.name}.{column.name}")
                # Spread (two sessions must differ): many candidates, so two picks rarely meet.
                count = 64 if spread else 8
                values = [v for v in (generate(draw, serial, rng, distinct=True)
                                      for serial in range(987_650, 987_650 + count)) if v is not None]
                if not values:
                    return None
                listed = ", ".join(f"({quote_literal(v)})" for v in dict.fromkeys(values))
                return (f"(SELECT f.v FROM (VALUES {listed}) AS f (v) WHERE NOT EXISTS (SELECT 1 FROM {t} AS y "
                        f"WHERE y.{c}::text = f.v) ORDER BY {'md5(f.v || pg_backend_pid()::text)' if spread else '1'} "
                        "LIMIT 1)")
            args = parse(column.sql_type).args
            size = int(args[0]) if args and args[0].isdigit() else 40
            mark = "pg_backend_pid()::text || '~' || " if spread else ""
            return f"left('~' || {mark}(SELECT count(*) FROM {t})::text || md5(src.{c}::text), {size})"
        if base == "uuid":
            return "gen_random_uuid()"
        return None

    def free_reference(self, columns: tuple[str, ...], partial: str | None, keep: tuple[str, ...],
                       overrides: dict[str, str] | None = None, spread: bool = False) -> tuple[str, str] | None:
        """(column, value): a foreign key column of the unique key `columns` set to a parent row
        that agrees with the row's other composite keys and leaves the key free, so a copy of a
        row does not repeat it (a ticket copied onto another free seat of the same venue)."""
        found = self.free_references(columns, partial, keep, overrides, spread)
        return found[0] if found else None

    def free_references(self, columns: tuple[str, ...], partial: str | None, keep: tuple[str, ...],
                        overrides: dict[str, str] | None = None, spread: bool = False) -> list[tuple[str, str]]:
        """free_reference's (column, value) for each foreign key column of the key that may move,
        the preferred first; each moves that column alone."""
        out: list[tuple[str, str]] = []
        # A column that determines values kept on purpose in the row (product_id -> unit) stays:
        # a copy moved to another product would carry a unit that product's rows disagree with.
        kept = {c for r in self.rules if r.kind == "depends" and r.denormalized for c in r.columns}
        for column in sorted(reversed(columns), key=lambda c: c in kept):
            if column in keep:
                continue
            fk = next((f for f in self.table.foreign_keys if f.columns == (column,)), None)
            if fk is None:
                continue
            ref = fk.ref_columns[0]
            agree = [f"z.{q(r)} = src.{q(c)}" for f in self.table.foreign_keys if column in f.columns
                     and len(f.columns) > 1 and f.ref_table == fk.ref_table
                     for c, r in zip(f.columns, f.ref_columns) if c != column]
            given = overrides or {}
            taken = " AND ".join([f"y.{q(column)} = z.{q(ref)}"] + [f"y.{q(c)} = {given.get(c, f'src.{q(c)}')}"
                                                                      for c in columns if c != column])
            if partial:
                taken += f" AND ({qualified(partial, 'y') or 'true'})"
            free = [f"NOT EXISTS (SELECT 1 FROM {self.name} AS y WHERE {taken})"]
            # spread: two sessions take different free rows, each the same one every time it asks
            order = f"md5(z.{q(ref)}::text || pg_backend_pid()::text)" if spread else "1"
            out.append((column, f"(SELECT z.{q(ref)} FROM {q(fk.ref_table)} AS z WHERE {_all(agree + free)} "
                                f"ORDER BY {order} LIMIT 1)"))
        return out

    def clone(self, where: list[str], overrides: dict[str, str], keep_key: bool = False,
              skip: tuple[str, ...] = (), keep: tuple[str, ...] = (), spread: bool = False,
              session: bool = False) -> str | None:
        """INSERT a copy of one row matching `where`, with `overrides`; the other unique keys
        (but those named in `skip`) get fresh values so only the constraint under test can refuse it."""
        values: dict[str, str] = {}
        fk_columns = {c for fk in self.table.foreign_keys for c in fk.columns}
        for column, value in overrides.items():
            if "LIMIT 1" in value and column not in self.key:  # a parent row picked: one must exist
                where = where + [f"{value} IS NOT NULL"]
        for column in self.insertable():
            if column.name in overrides:
                values[column.name] = overrides[column.name]
            elif column.identity or (column.name in self.key and not keep_key and column.default):
                continue  # a new key from its default
            else:
                values[column.name] = f"src.{q(column.name)}"
        primary = self.table.primary_key
        identity_key = primary and any((c := self.table.column(n)) is not None and (c.identity or c.default)
                                       for n in primary.columns)
        keys = list(self.unique_keys())
        if primary and not keep_key and not identity_key:  # no default makes the key new: it is made so here
            keys.insert(0, (primary.name, primary.columns, None))
        pk = set(primary.columns) if primary and not keep_key else set()
        for name, columns, partial in keys:
            holds_pk = pk and pk <= set(columns) and name != (primary.name if primary else None)
            is_pk = primary is not None and name == primary.name
            changed = [c in overrides or c in values and values[c] != f"src.{q(c)}" for c in columns]
            if name in skip or all(changed) or (is_pk and any(changed) and not session) or holds_pk:
                continue  # a key holding the primary key is new with it; one given new values is new
            # In a two-session case the primary key differs per session; the key under test does not.
            own = session and primary is not None and name == primary.name
            # The key under test stays the same in both sessions: the primary key varies elsewhere.
            held = tuple(c for n, cols, _ in keys if own and n in skip for c in cols)
            changeable = [c for c in columns if c not in fk_columns and c not in overrides and c not in held
                          and self.fresh(self.table.column(c)) is not None]  # type: ignore[arg-type]
            moves = [] if changeable else self.free_references(columns, partial, keep + tuple(overrides) + held,
                                                               overrides, spread or own)
            free = moves[0] if moves else None
            if changeable and own:
                values[changeable[0]] = self.fresh(self.table.column(changeable[0]), spread=True)  # type: ignore[arg-type,assignment]
            elif changeable:
                values.update(self.fresh_with_tied(changeable[0], overrides))
            elif len(moves) > 1:  # the first column moved if it can be, else the second (a ticket onto
                # another seat of the venue, else onto another performance there its seat is free for)
                (first, one), (second, other) = moves[:2]
                values[first] = f"coalesce({one}, src.{q(first)})"
                values[second] = f"(CASE WHEN {one} IS NULL THEN {other} ELSE src.{q(second)} END)"
                where = where + [f"({one} IS NOT NULL OR {other} IS NOT NULL)"]
            elif free:
                values[free[0]] = free[1]
                where = where + [f"{free[1]} IS NOT NULL"]
            elif partial:
                cond = qualified(partial, "src")
                where = where + [f"({cond}) IS NOT TRUE" if cond else "false"]
            else:
                return None
        for exclusion in self.table.exclusions:
            rule = next((r for r in self.rules if exclusion.name in r.enforced_by and r.kind == "no_overlap"), None)
            if rule is None or exclusion.name in skip or any(c in overrides for c in rule.period):
                continue
            start, end = rule.period
            shift = f"(SELECT max({q(end)}) - min({q(start)}) FROM {self.name})"
            unit = self.fresh_unit(start)
            values[start] = f"src.{q(start)} + {shift} + {unit}"
            values[end] = f"src.{q(end)} + {shift} + {unit}"
        for rule in self.rules:  # values kept on purpose follow a determinant the copy changed
            if rule.kind != "depends" or not rule.denormalized:
                continue
            moved = [c for c in rule.columns if values.get(c, f"src.{q(c)}") != f"src.{q(c)}"]
            if not moved:
                continue
            same = " AND ".join(f"z.{q(c)} = {values.get(c, f'src.{q(c)}')}" for c in rule.columns)
            for dependent in rule.dependent:
                if self.table.column(dependent) is not None and dependent not in overrides:
                    values[dependent] = (f"coalesce((SELECT z.{q(dependent)} FROM {self.name} AS z WHERE {same} "
                                         f"LIMIT 1), src.{q(dependent)})")
        columns = ", ".join(q(c) for c in values)
        return (f"INSERT INTO {self.name} ({columns}) OVERRIDING SYSTEM VALUE\n        SELECT "
                f"{', '.join(self.stored(c, v) for c, v in values.items())} FROM {self.name} AS src "
                f"WHERE {_all(where)} LIMIT 1")

    def fresh_with_tied(self, column: str, overrides: dict[str, str]) -> dict[str, str]:
        """A fresh value for `column`; a date or time moves the columns a CHECK ties to it by the
        same amount (`due_on >= loaned_at`), so that CHECK still holds on the copy."""
        col = self.table.column(column)
        assert col is not None
        base = parse(col.sql_type).base if col.sql_type else ""
        tied = [c for c in self.tied({column}) if c != column and c not in overrides]
        if base not in ("date", "timestamp", "timestamptz") or not tied:
            return {column: self.fresh(col)}  # type: ignore[dict-item]
        c = q(column)
        shift = f"((SELECT max({c}) FROM {self.name}) - src.{c} + {self.fresh_unit(column)})"
        out = {column: f"src.{c} + {shift}"}
        for other in tied:
            other_col = self.table.column(other)
            if other_col and other_col.sql_type and parse(other_col.sql_type).base in ("date", "timestamp", "timestamptz"):
                out[other] = f"src.{q(other)} + {shift}"
        return out

    def fresh_unit(self, column: str) -> str:
        col = self.table.column(column)
        base = parse(col.sql_type).base if col and col.sql_type else ""
        return "interval '1 day'" if base in ("timestamp", "timestamptz") else "1"

    def kept_free(self, fk: m.ForeignKey, parent: str) -> list[str]:
        """Conditions on a row `src` moved to the parent row `parent` through `fk`: no other row
        holds the values the move gives each unique key containing the key's columns."""
        out = []
        moved = dict(zip(fk.columns, fk.ref_columns))
        for _, columns, partial in self.unique_keys():
            if not set(moved) & set(columns):
                continue
            same = [f"y.{q(c)} = {parent}.{q(moved[c])}" if c in moved else f"y.{q(c)} = src.{q(c)}" for c in columns]
            if partial:
                same.append(f"({qualified(partial, 'y') or 'true'})")
            other = " AND ".join(f"y.{_col(k)} = src.{_col(k)}" for k in self.key)
            out.append(f"NOT EXISTS (SELECT 1 FROM {self.name} AS y WHERE {' AND '.join(same)} AND NOT ({other}))")
        return out

    def unreferenced(self, columns: set[str]) -> list[str]:
        """Conditions: no row of another table references this row through any of `columns`
        (changing them would make that foreign key refuse first)."""
        out = []
        for other in self.design.tables:
            for f in other.foreign_keys:
                if f.ref_table == self.table.name and columns & set(f.ref_columns):
                    match = " AND ".join(f"y.{q(c)} = src.{q(r)}" for c, r in zip(f.columns, f.ref_columns))
                    out.append(f"NOT EXISTS (SELECT 1 FROM {q(other.name)} AS y WHERE {match})")
        return out

    def update_one(self, assignments: Assignments, where: list[str], what: str) -> str:
        """Change one row; when another table references the changed columns (they are part of a
        key), a changed copy of the row is inserted instead, so no reference is broken first."""
        if self.unreferenced(set(assignments)):
            values = {c: v.replace(f"{self.name}.", "src.") for c, v in assignments.items()}
            insert = self.clone(where, values, skip=self._keys_of(set(assignments)))
            if insert is not None:
                return _touched(insert, what)
        sets = ", ".join(f"{q(c)} = {self.stored(c, v)}" for c, v in assignments.items())
        where = where + self.unreferenced(set(assignments))
        # A value picked from another table for this row: pick a row for which there is one.
        where = where + [f"{v.replace(f'{self.name}.', 'src.')} IS NOT NULL" for v in assignments.values()
                         if "LIMIT 1)" in v and f"{self.name}." in v]
        return (_pick("b", self.table, self.key, _all(where), what)
                + _touched(f"UPDATE {self.name} SET {sets} WHERE {_key_match(self.key, 'b')}", what))

    def _keys_of(self, columns: set[str]) -> tuple[str, ...]:
        """Unique keys and exclusions that hold one of `columns`: a copy changed there may meet them."""
        names = [n for n, cols, _ in self.unique_keys() if columns & set(cols)]
        return tuple(names)

    # ---------------------------------------------------------------- the constraints

    def constraint_attempts(self) -> Iterator[Attempt | NotTried]:
        yield from self._primary_key()
        yield from self._uniques()
        yield from self._foreign_keys()
        yield from self._checks()
        yield from self._exclusions()

    def _primary_key(self) -> Iterator[Attempt | NotTried]:
        pk = self.table.primary_key
        if pk is None:
            return
        insert = self.clone([], {c: f"src.{q(c)}" for c in pk.columns}, keep_key=True,
                            skip=tuple(n for n, _, _ in self.unique_keys()))
        if insert is None:
            yield NotTried(self.subject("primary key", pk.name), "no row copy could be built")
            return
        yield Attempt(self.subject("primary key", pk.name), self.table.name,
                      f"a second {self.table.name} row with an existing {', '.join(pk.columns)}",
                      _do(_touched(insert, f"a {self.table.name} row")), "23505", pk.name)

    def _uniques(self) -> Iterator[Attempt | NotTried]:
        pk = set(self.table.primary_key.columns) if self.table.primary_key else None
        for name, columns, partial in self.unique_keys():
            subject = self.subject("unique", name)
            if pk and pk <= set(columns) and not partial:
                yield NotTried(subject, f"it contains the primary key ({', '.join(sorted(pk))}): no row can repeat it "
                               "without repeating the key, which is proven above; it exists for a composite foreign "
                               "key to reference")
                continue
            implied = self.implied_by(set(columns), name)
            if implied:
                yield NotTried(subject, f"implied by {implied}: two rows that repeat it repeat that key first")
                continue
            matching = [qualified(partial, "src") or "false"] if partial else []
            present = [f"src.{q(c)} IS NOT NULL" for c in columns]
            what = f"two {self.table.name} rows" + (f" where {partial}" if partial else "")
            copied = self.tied(set(columns))
            body = (_pick("a", self.table, self.key, _all(matching + present), what, tuple(copied))
                    + self.update_one({c: f"a.{q(c)}" for c in copied},
                                      matching + self.distinct_from("a", copied, name), what))
            yield Attempt(subject, self.table.name, f"{', '.join(columns)} repeated"
                          + (f" among rows where {partial}" if partial else ""), _do(body), "23505", name)
            concurrent = self._concurrent_unique(name, columns, partial)
            if concurrent:
                yield concurrent

    def implied_by(self, columns: set[str], name: str) -> str | None:
        """A key other than `name` (the primary key, a full unique key) inside `columns`: no two
        rows agree on `columns` without repeating it, so it speaks first and `name` never does."""
        keys = ([(self.table.primary_key.name, self.table.primary_key.columns)] if self.table.primary_key else [])
        keys += [(n, cols) for n, cols, partial in self.unique_keys() if not partial]
        return next((n for n, cols in keys if n != name and set(cols) <= columns), None)

    def tied(self, columns: set[str]) -> list[str]:
        """`columns` and the columns a CHECK ties to them (`due_on >= loaned_at`): copied
        together from a valid row, that CHECK still holds."""
        out = set(columns)
        for _ in range(3):
            for check in self.table.checks:
                names = check_columns(check)
                if names and names & out and not names <= out and all(self.table.column(n) for n in names):
                    out |= {n for n in names if not (c := self.table.column(n)) or not c.generated}
        return [c.name for c in self.table.columns if c.name in out and not c.generated and not c.identity]

    def distinct_from(self, var: str, copied: list[str], name: str) -> list[str]:
        """Conditions on the row changed: it is not `var`, and every other key keeps a column that
        differs from `var`'s, so only the key under test can refuse the change."""
        out = [f"NOT ({' AND '.join(f'src.{_col(k)} = {var}.{_col(k)}' for k in self.key)})"]
        keys = ([(self.table.primary_key.name, self.table.primary_key.columns)] if self.table.primary_key else [])
        keys += [(n, cols) for n, cols, _ in self.unique_keys()]
        for key_name, cols in keys:
            rest = [c for c in cols if c not in copied]
            if key_name != name and rest and len(rest) < len(cols):
                out.append(f"({', '.join(f'src.{q(c)}' for c in rest)}) IS DISTINCT FROM "
                           f"({', '.join(f'{var}.{q(c)}' for c in rest)})" if len(rest) > 1 else
                           f"src.{q(rest[0])} IS DISTINCT FROM {var}.{q(rest[0])}")
        return out

    def _concurrent_unique(self, name: str, columns: tuple[str, ...], partial: str | None) -> Attempt | None:
        """Two sessions insert the same new key at once: the second waits, then is refused."""
        primary = self.table.primary_key
        fk_columns = {c for fk in self.table.foreign_keys for c in fk.columns}
        if primary and name != primary.name and set(primary.columns) <= fk_columns and \
                set(primary.columns) & set(columns):
            # A junction's key is made of its parents and shares a column with this key: the two
            # sessions' rows would differ only by a free parent each, which small data may not have
            # two of, and then the primary key, not this one, refuses the second.
            return None
        # The new key is computed the same way in both sessions (neither sees the other's row):
        # the next value of a plain column, else the first parent row that leaves the key free.
        fk_columns = {c for fk in self.table.foreign_keys for c in fk.columns}
        overrides: dict[str, str] = {}
        plain = [c for c in columns if c not in fk_columns and self.fresh(self.table.column(c)) is not None]  # type: ignore[arg-type]
        if plain:
            overrides.update(self.fresh_with_tied(plain[0], {}))
        else:
            free = self.free_reference(columns, partial, ())
            if free is None:
                return None
            overrides[free[0]] = free[1]
        matching = [qualified(partial, "src") or "false"] if partial else []
        insert = self.clone(matching, overrides, skip=(name,), session=True)
        if insert is None:
            return None
        return Attempt(self.subject("unique", name), self.table.name,
                       f"two sessions insert the same new {', '.join(columns)} at once",
                       _do(_touched(insert, f"a {self.table.name} row to copy")), "23505", name, concurrent=True,
                       also=self.keys_besides(name), optional=name not in self.owners)

    def keys_besides(self, name: str) -> tuple[str, ...]:
        """Keys and exclusions other than `name`: two identical new rows may meet one of them first."""
        return tuple(n for n in [k for k, _, _ in self.unique_keys()] + [e.name for e in self.table.exclusions]
                     if n != name)

    def _foreign_keys(self) -> Iterator[Attempt | NotTried]:
        for fk in self.table.foreign_keys:
            subject = self.subject("foreign key", fk.name)
            parent = self.design.table(fk.ref_table)
            missing = self._missing(fk, parent, self.name)
            if missing is None:
                yield NotTried(subject, "no value outside the referenced table could be built for its type")
            else:
                what = f"a {self.table.name} row with {', '.join(fk.columns)} set"
                present = [f"src.{q(c)} IS NOT NULL" for c in fk.columns]
                # A value picked from a CHECK's list: none may be left that the parent lacks.
                present += [f"{v} IS NOT NULL" for v in missing.values() if "(VALUES" in v]
                body = self.update_one(missing, present, what)
                if body:
                    # When a CHECK lists the values and the parent has them all, the CHECK refuses any
                    # other value first: nothing is left for the key to refuse.
                    listed = any("(VALUES" in v for v in missing.values())
                    yield Attempt(subject, self.table.name, f"{', '.join(fk.columns)} pointing at no {fk.ref_table} row",
                                  _do(body), "23503", fk.name, optional=listed)
            clearing = next((f for f in self.table.foreign_keys if f.name != fk.name and set(f.columns) & set(fk.columns)
                             and f.on_delete in ("set null", "cascade", "set default")), None)
            if clearing is not None and fk.on_delete in ("restrict", "no action"):
                yield NotTried(subject, f"deleting the referenced row is allowed: {clearing.name} "
                               f"(ON DELETE {clearing.on_delete.upper()}) clears the reference first")
            elif fk.on_delete in ("restrict", "no action") and parent is not None:
                facts = _Facts(self.design, parent, self.owners)
                refs = ", ".join(f"x.{q(c)}" for c in fk.columns)
                used = (f"({', '.join(f'src.{q(c)}' for c in fk.ref_columns)}) IN (SELECT {refs} FROM {self.name} AS x)")
                # ... and by no other table's key that refuses the delete, so this key is the one that speaks.
                others = [(t, f) for t in self.design.tables for f in t.foreign_keys if f.ref_table == parent.name
                          and f.name != fk.name and f.on_delete in ("restrict", "no action")]
                used += "".join(
                    f" AND ({', '.join(f'src.{q(c)}' for c in f.ref_columns)}) NOT IN (SELECT "
                    f"{', '.join(f'y.{q(c)}' for c in f.columns)} FROM {q(t.name)} AS y WHERE "
                    f"{' AND '.join(f'y.{q(c)} IS NOT NULL' for c in f.columns)})" for t, f in others)
                what = f"a {parent.name} row that only {self.table.name} rows reference"
                body = _pick("b", parent, facts.key, _all([used]), what)
                body += _touched(f"DELETE FROM {q(parent.name)} WHERE {_key_match(facts.key, 'b')}", what)
                state = "23001" if fk.on_delete == "restrict" else "23503"  # restrict_violation / foreign_key_violation
                yield Attempt(subject, parent.name, f"deleting a {parent.name} row that {self.table.name} rows "
                              f"still reference (ON DELETE {fk.on_delete.upper()})", _do(body), state, fk.name,
                              optional=True, touches=tuple(sorted({t.name for t in self.design.tables for f in
                                                                   t.foreign_keys if f.ref_table == parent.name})))

    def _missing(self, fk: m.ForeignKey, parent: m.Table | None, row: str) -> Assignments | None:
        """Values of the key's columns that no parent row has; `row` names the row changed."""
        if parent is None:
            return None
        if len(fk.columns) > 1:
            # One column takes a value its parent has, with the others kept, in a combination the
            # parent lacks: only this key can refuse it.  The column varied is one no other
            # foreign key of the table reads, so those keep holding.
            shared = {c for f in self.table.foreign_keys if f.name != fk.name for c in f.columns
                      if len(f.columns) > 1}
            # Preferably one in no unique key either (the reference, not the tenant of a tenant-keyed
            # key), so the copy cannot collide with a row of the tenant it would move to.
            unique = {c for _, columns, _ in self.unique_keys() for c in columns}
            free = [i for i, c in enumerate(fk.columns) if c not in shared] or [0]
            vary = next((i for i in free if fk.columns[i] not in unique), free[0])
            ref = fk.ref_columns[vary]
            kept = " AND ".join(f"z.{q(r)} = {row}.{q(c)}" for i, (c, r) in enumerate(zip(fk.columns, fk.ref_columns))
                                if i != vary)
            p = q(parent.name)
            # ... and a value no row of the table pairs with the row's other key columns, so no unique
            # key of the table refuses the change first (an issue moved to a project with its number).
            column = fk.columns[vary]
            clashes = "".join(
                f" AND NOT EXISTS (SELECT 1 FROM {q(self.table.name)} AS u WHERE u.{q(column)} = x.{q(ref)}"
                + "".join(f" AND u.{q(c)} = {row}.{q(c)}" for c in columns if c != column) + ")"
                for _, columns, partial in self.unique_keys() if column in columns and not partial)
            value = (f"(SELECT x.{q(ref)} FROM {p} AS x WHERE NOT EXISTS (SELECT 1 FROM {p} AS z WHERE "
                     f"z.{q(ref)} = x.{q(ref)} AND {kept}){clashes} ORDER BY 1 LIMIT 1)")
            return {column: value}
        column = parent.column(fk.ref_columns[0])
        if column is None:
            return None
        kind = family(column.sql_type) if column.sql_type else None
        ref, name = q(column.name), q(parent.name)
        if kind in ("integer", "numeric"):
            return {fk.columns[0]: f"(SELECT coalesce(max({ref}), 0) + 1000 FROM {name})"}
        if kind == "uuid":
            return {fk.columns[0]: "gen_random_uuid()"}
        if kind == "text":
            allowed = column_rules(self.table).get(fk.columns[0])
            if allowed and allowed.allowed:  # a value the column's CHECK allows that the parent lacks
                listed = ", ".join(f"({quote_literal(v)})" for v in allowed.allowed)
                return {fk.columns[0]: f"(SELECT f.v FROM (VALUES {listed}) AS f (v) WHERE NOT EXISTS (SELECT 1 FROM "
                                       f"{name} AS z WHERE z.{ref}::text = f.v) ORDER BY 1 LIMIT 1)"}
            return {fk.columns[0]: f"(SELECT '~' || count(*)::text FROM {name})"}
        return None

    def _checks(self) -> Iterator[Attempt | NotTried]:
        conditionals = {n: r for r in self.rules if r.kind == "conditional" for n in r.enforced_by}
        for check in self.table.checks:
            subject = self.subject("check", check.name)
            rule = conditionals.get(check.name)
            if rule is not None:  # the row brought into `when`, with `then` broken
                assignments = merge(satisfy(rule.condition or "", self.table), falsify(rule.expression or "",
                                                                                     self.table))
            else:
                assignments = falsify(check.expression, self.table)
            if not assignments or any((c := self.table.column(n)) is None or c.generated for n in assignments):
                yield NotTried(subject, f"no value breaking {check.expression} could be derived from it")
                continue
            said = ", ".join(f"{c} = {v}" for c, v in assignments.items())
            yield Attempt(subject, self.table.name, said + (f" where {rule.condition}" if rule else ""),
                          _do(self._breaking(check, self._with_derived(_variants(assignments))), _CANDIDATE_VARIABLES),
                          "23514", check.name)

    def _with_derived(self, candidates: list[Assignments]) -> list[Assignments]:
        """Each change also as one that recomputes the columns another CHECK derives from the
        changed ones (`total = subtotal - discount + tax`), so that CHECK still holds."""
        derived = derived_columns(self.table)
        out = list(candidates)
        for candidate in candidates:
            extra = {}
            for column, expression in derived.items():
                if column in candidate:
                    continue
                names = {c.name for c in expression.find_all(exp.Column)}
                if not names & set(candidate):
                    continue
                replaced = expression.copy().transform(
                    lambda n: sqlglot.parse_one(f"({candidate[n.name]})", read="postgres")
                    if isinstance(n, exp.Column) and n.name in candidate else n)
                extra[column] = replaced.sql(dialect="postgres")
            if extra:
                out.append({**candidate, **extra})
        return out

    def _breaking(self, check: m.Check, candidates: list[Assignments]) -> str:
        """Try each candidate change on one row until one breaks only `check`: a change that
        another CHECK refuses first (checked in name order) is undone and the next one tried;
        a change that breaks `check` and goes through is a violation the database accepted."""
        changed = {c for cand in candidates for c in cand}
        copies = bool(self.unreferenced(changed))  # key columns others reference: change a copy
        if copies:
            same_row = " AND ".join(f"src.{_col(k)} = b.{_col(k)}" for k in self.key)
            inserts = [self.clone([same_row], cand, skip=self._keys_of(set(cand))) for cand in candidates]
            if not any(inserts):
                return _nothing(f"a copy of a {self.table.name} row with a value breaking {check.name}") + "\n"
            cases = "\n".join(f"            WHEN {i + 1} THEN {insert} RETURNING {self.returned(check)} INTO sw_ok;"
                              for i, insert in enumerate(inserts) if insert)
        else:
            cases = "\n".join(f"            WHEN {i + 1} THEN UPDATE {self.name} SET "
                              + ", ".join(f"{q(c)} = {self.stored(c, v)}" for c, v in candidate.items())
                              + f" WHERE {_key_match(self.key, 'b')} RETURNING {self.returned(check)} INTO sw_ok;"
                              for i, candidate in enumerate(candidates))
        what = f"a {self.table.name} row"
        return (_pick("b", self.table, self.key, _all([] if copies else self.unreferenced(changed)), what)
                + f"    FOR sw_i IN 1..{len(candidates)} LOOP\n        BEGIN\n            sw_ok := NULL;\n"
                f"            CASE sw_i\n{cases}\n            ELSE NULL;\n"
                "            END CASE;\n"
                "            IF sw_ok IS FALSE THEN\n                RETURN;  -- the database let it through\n"
                "            END IF;\n"
                f"            RAISE EXCEPTION 'not a violation' USING ERRCODE = '{_NEXT}';\n"
                f"        EXCEPTION\n            WHEN SQLSTATE '{_NEXT}' THEN NULL;  -- undone; try the next\n"
                "            WHEN OTHERS THEN\n"
                "                GET STACKED DIAGNOSTICS sw_constraint = CONSTRAINT_NAME, sw_message = MESSAGE_TEXT;\n"
                f"                IF sw_constraint = {quote_literal(check.name)} THEN\n                    RAISE;\n"
                "                END IF;\n        END;\n    END LOOP;\n    "
                + f"RAISE EXCEPTION USING ERRCODE = '{NOTHING}', MESSAGE = "
                + quote_literal(f"nothing to try: a value breaking {check.name} alone (last refused by ")
                + " || coalesce(sw_message, 'nothing') || ')';\n")

    def _exclusions(self) -> Iterator[Attempt | NotTried]:
        for exclusion in self.table.exclusions:
            subject = self.subject("exclusion", exclusion.name)
            rule = next((r for r in self.rules if exclusion.name in r.enforced_by and r.kind == "no_overlap"), None)
            if rule is None:
                yield NotTried(subject, "declared by hand: schemawright cannot tell which rows collide")
                continue
            implied = self.implied_by(set(rule.columns), exclusion.name) if rule.columns else None
            if implied:
                yield NotTried(subject, f"implied by {implied}: a group holds one row, so no two periods meet")
                continue
            columns = tuple(self.tied(set(rule.columns + rule.period)))
            matching = [qualified(rule.condition, "src") or "false"] if rule.condition else []
            present = [f"src.{q(rule.period[0])} IS NOT NULL"]
            what = f"two {self.table.name} rows" + (f" where {rule.condition}" if rule.condition else "")
            body = (_pick("a", self.table, self.key, _all(matching + present), what, columns)
                    + self.update_one({c: f"a.{q(c)}" for c in columns},
                                      matching + self.distinct_from("a", list(columns), exclusion.name), what))
            yield Attempt(subject, self.table.name, f"a period overlapping another of the same "
                          f"{', '.join(rule.columns) or 'table'}", _do(body), "23P01", exclusion.name)
            start, end = rule.period
            shift = f"(SELECT max({q(end)}) - min({q(start)}) FROM {self.name})"
            unit = self.fresh_unit(start)
            overrides = {start: f"src.{q(start)} + {shift} + {unit}", end: f"src.{q(end)} + {shift} + {unit}"}
            fk = next((f for f in self.table.foreign_keys if f.columns == rule.columns and len(f.columns) == 1), None)
            if fk is not None:  # a group with no row at all, the same for both sessions
                column, ref = fk.columns[0], fk.ref_columns[0]
                overrides[column] = (f"(SELECT p.{q(ref)} FROM {q(fk.ref_table)} AS p WHERE NOT EXISTS (SELECT 1 FROM "
                                     f"{self.name} AS x WHERE x.{q(column)} = p.{q(ref)}) ORDER BY 1 LIMIT 1)")
            insert = self.clone(matching + present, overrides, skip=(exclusion.name,))
            if insert:
                yield Attempt(subject, self.table.name, "two sessions book the same new period at once",
                              _do(_touched(insert, f"a {self.table.name} row to copy")), "23P01", exclusion.name,
                              concurrent=True, also=self.keys_besides(exclusion.name))

    # ---------------------------------------------------------------- the rules kept by triggers

    def rule_attempts(self, rule: m.Rule) -> Iterator[Attempt | NotTried]:
        if rule.kind == "immutable":
            yield from self._immutable(rule)
        elif rule.kind == "transitions":
            yield from self._transitions(rule)
        elif rule.kind in ("aggregate", "exactly_one"):
            yield from self._aggregate(rule)
        elif rule.kind == "parent_check":
            yield from self._parent_check(rule)

    def _immutable(self, rule: m.Rule) -> Iterator[Attempt | NotTried]:
        subject = f"rule {rule.name}"
        first = next((c.name for c in self.table.columns if not c.generated and not c.identity), None)
        if first is None:
            return
        same = f"{q(first)} = {q(first)}"
        cond = qualified(rule.condition, "src") if rule.condition else None
        stored = [cond or "false"] if rule.condition else []
        what = f"a {self.table.name} row" + (f" where {rule.condition}" if rule.condition else "")
        reach = satisfy(rule.condition, self.table) if rule.condition else None
        if reach and cond:  # a row in the state, else one brought there (allowed: it is not there yet)
            sets = ", ".join(f"{q(c)} = {v}" for c, v in reach.items())
            key = ", ".join(f"src.{_col(k)}" for k in self.key)
            pick = (f"    SELECT {key} INTO b FROM {self.name} AS src WHERE {cond} LIMIT 1;\n    IF NOT FOUND THEN\n"
                    + _pick("b", self.table, self.key, "true", f"a {self.table.name} row").replace("\n    ", "\n        ")
                    .replace("    SELECT", "        SELECT", 1)
                    + f"        UPDATE {self.name} SET {sets} WHERE {_key_match(self.key, 'b')};\n    END IF;\n")
            what = f"a {self.table.name} row where {rule.condition}"
        else:
            pick = _pick("b", self.table, self.key, _all(stored), what)
        yield Attempt(subject, self.table.name, "UPDATE of " + what, _do(
            pick + _touched(f"UPDATE {self.name} SET {same} WHERE {_key_match(self.key, 'b')}", what)),
            "23514", rule.name)
        yield Attempt(subject, self.table.name, "DELETE of " + what, _do(
            pick + _touched(f"DELETE FROM {self.name} WHERE {_key_match(self.key, 'b')}", what)), "23514", rule.name)
        if rule.condition:
            what = f"a {self.table.name} row where NOT ({rule.condition})"
            unfrozen = [f"({cond}) IS NOT TRUE" if cond else "false"]  # else it may pick a frozen row
            yield Attempt(subject, self.table.name, "UPDATE of " + what, _do(
                self.update_one({first: q(first)}, unfrozen, what)))
        else:
            referenced = any(fk.ref_table == self.table.name for t in self.design.tables for fk in t.foreign_keys)
            if not referenced:
                yield Attempt(subject, self.table.name, f"TRUNCATE {self.table.name}",
                              _do(f"    TRUNCATE {self.name};\n"), "23514", rule.name)
            insert = self.clone([], {})
            if insert:
                yield Attempt(subject, self.table.name, f"INSERT of a new {self.table.name} row",
                              _do(_touched(insert, f"a {self.table.name} row to copy")))

    def _transitions(self, rule: m.Rule) -> Iterator[Attempt | NotTried]:
        subject = f"rule {rule.name}"
        column = self.table.column(rule.columns[0])
        if column is None:
            return
        col, sql_type = q(column.name), column.sql_type
        states = list(dict.fromkeys([s for pair in rule.transitions for s in pair] + list(rule.initial)))
        allowed = set(rule.transitions)
        wrong = [(a, b) for a in states for b in states if a != b and (a, b) not in allowed]
        if wrong:
            cases = " ".join(f"WHEN {quote_literal(a)} THEN {quote_literal(b)}" for a, b in wrong)
            sources = ", ".join(quote_literal(a) for a in dict.fromkeys(a for a, _ in wrong))
            what = f"a {self.table.name} row whose {column.name} may not change to some state"
            yield Attempt(subject, self.table.name, f"a {column.name} change that is not allowed", _do(
                self.update_one({column.name: f"(CASE {col}::text {cases} END)::{sql_type}"},
                                [f"src.{col}::text IN ({sources})"], what)), "23514", rule.name)
        if rule.initial:
            later = [s for s in states if s not in rule.initial]
            if later:
                state = {column.name: f"{quote_literal(later[0])}::{sql_type}"}
                insert = self.clone([], state)
                # Where every key a copy could take is held (each seat of the venue sold), a copy that
                # repeats them: the rule's BEFORE INSERT trigger refuses it before any key is checked.
                again = self.clone([], state, skip=tuple(n for n, _, _ in self.unique_keys()))
                if insert:
                    body = _touched(insert, f"a {self.table.name} row to copy")
                    if again and again != insert:
                        body = (f"    {insert};\n    GET DIAGNOSTICS sw_rows = ROW_COUNT;\n    IF sw_rows = 0 THEN\n"
                                + _touched(again, f"a {self.table.name} row to copy").replace("\n    ", "\n        ")
                                .replace("    ", "        ", 1) + "    END IF;\n")
                    yield Attempt(subject, self.table.name, f"a new row starting in {column.name} {later[0]}",
                                  _do(body), "23514", rule.name)
        pairs = ", ".join(f"({quote_literal(a)}, {quote_literal(b)})" for a, b in rule.transitions)
        filters = "true"
        body = (f"    FOR sw_pair IN SELECT * FROM (VALUES {pairs}) AS v (old_state, new_state) LOOP\n"
                f"        SELECT {', '.join(f'src.{_col(k)}' for k in self.key)} INTO b FROM {self.name} AS src\n"
                f"            WHERE src.{col}::text = sw_pair.old_state AND {filters} LIMIT 1;\n"
                "        CONTINUE WHEN NOT FOUND;\n        sw_found := true;\n        BEGIN\n"
                f"            UPDATE {self.name} SET {col} = sw_pair.new_state::{sql_type} WHERE "
                f"{_key_match(self.key, 'b')};\n            SET CONSTRAINTS ALL IMMEDIATE;\n"
                "            RETURN;  -- an allowed change went through\n"
                "        EXCEPTION WHEN OTHERS THEN\n"
                "            GET STACKED DIAGNOSTICS sw_state = RETURNED_SQLSTATE, sw_message = MESSAGE_TEXT;\n"
                "        END;\n    END LOOP;\n"
                f"    IF NOT sw_found THEN\n        {_nothing('a row in a state with an allowed change')}\n    END IF;\n"
                "    RAISE EXCEPTION USING ERRCODE = sw_state, MESSAGE = 'every allowed change was refused: ' "
                "|| sw_message;\n")
        yield Attempt(subject, self.table.name, f"an allowed change of {column.name}", _do(
            body, "    sw_pair record;\n    sw_found boolean := false;\n    sw_state text;\n    sw_message text;\n"))

    def _group(self, rule: m.Rule) -> tuple[str, str, str, str] | None:
        """(declare, check, group select, match of a group `g`) of a group rule."""
        per = rule.columns
        check = rule.expression or "true"
        if rule.kind == "exactly_one":
            check = f"count(*) = 0 OR count(*) FILTER (WHERE {rule.condition}) = 1"
        fk = next((f for f in self.table.foreign_keys if f.columns == per), None)
        declare = "    g record;\n    x record;\n    sw_ok boolean;\n    sw_i int;\n    sw_constraint text;\n"
        load_parent = ""
        if fk is not None and "parent." in check.lower():
            declare += f"    parent {q(fk.ref_table)}%ROWTYPE;\n"
            match = " AND ".join(f"{q(r)} = g.{q(c)}" for c, r in zip(fk.columns, fk.ref_columns))
            load_parent = f"        SELECT * INTO parent FROM {q(fk.ref_table)} WHERE {match};\n"
        group = ", ".join(q(c) for c in per)
        match = " AND ".join(f"{q(c)} = g.{q(c)}" for c in per)
        return declare + "", check, load_parent, match if group else ""

    def _changed(self, rule: m.Rule, check: str, match: str) -> str:
        """One row's summed value changed so the group's total crosses its bound (an adjustment
        of -(total + 1) leaves a position below zero).  Candidates another rule refuses are
        undone and the next one tried; the rule's own refusal ends the attempt."""
        try:
            tree = sqlglot.parse_one(check, read="postgres")
        except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
            return ""
        summed = [c.name for agg in tree.find_all(exp.Sum) for c in agg.find_all(exp.Column)
                  if not c.table and self.table.column(c.name) is not None
                  and family(self.table.column(c.name).sql_type) in ("integer", "numeric")]  # type: ignore[union-attr]
        cases = []
        for column in dict.fromkeys(summed):
            c = q(column)
            cases += [f"UPDATE {self.name} SET {c} = {c} - (SELECT coalesce(sum({c}), 0) FROM {self.name} WHERE {match}) - 1",
                      f"UPDATE {self.name} SET {c} = {c} + (SELECT coalesce(sum(abs({c})), 0) FROM {self.name} WHERE "
                      f"{match}) + 1"]
        if not cases:
            return ""
        whens = "\n".join(f"                    WHEN {i + 1} THEN {case} WHERE {_key_match(self.key, 'x')};"
                          for i, case in enumerate(cases))
        return (f"        FOR x IN SELECT {', '.join(_col(k) for k in self.key)} FROM {self.name} AS src WHERE {match} "
                f"LIMIT {ROWS_TRIED} LOOP\n            FOR sw_i IN 1..{len(cases)} LOOP\n                BEGIN\n"
                f"                    CASE sw_i\n{whens}\n                    END CASE;\n"
                f"                    SELECT ({check}) INTO sw_ok FROM {self.name} WHERE {match};\n"
                "                    IF sw_ok IS FALSE THEN\n                        SET CONSTRAINTS ALL IMMEDIATE;\n"
                "                        RETURN;  -- the database let it through\n                    END IF;\n"
                f"                    RAISE EXCEPTION 'not a violation' USING ERRCODE = '{_NEXT}';\n"
                f"                EXCEPTION\n                    WHEN SQLSTATE '{_NEXT}' THEN NULL;\n"
                "                    WHEN OTHERS THEN\n"
                "                        GET STACKED DIAGNOSTICS sw_constraint = CONSTRAINT_NAME;\n"
                f"                        IF sw_constraint = {quote_literal(rule.name)} THEN\n"
                "                            RAISE;\n                        END IF;\n                END;\n"
                "            END LOOP;\n        END LOOP;\n")

    def _parent_changed(self, rule: m.Rule, check: str, match: str) -> str:
        """Last, where no row could be added (every seat of the group's venue sold already): the
        parent's bound moved one past the group's own value (a capacity one below the tickets
        sold).  A move another constraint refuses (capacity >= 1) is undone and the other tried."""
        found = self._limit(rule, check)
        if found is None:
            return ""
        parent, column, value, where = found
        own = f"(SELECT {value} FROM {self.name} WHERE {match})"
        whens = "\n".join(f"                    WHEN {i + 1} THEN UPDATE {q(parent.name)} SET {q(column)} = {own} "
                          f"{step} WHERE {where};" for i, step in enumerate(("- 1", "+ 1")))
        return ("        FOR sw_i IN 1..2 LOOP\n            BEGIN\n"
                f"                CASE sw_i\n{whens}\n                END CASE;\n"
                f"                SELECT * INTO parent FROM {q(parent.name)} WHERE {where};\n"
                f"                SELECT ({check}) INTO sw_ok FROM {self.name} WHERE {match};\n"
                "                IF sw_ok IS FALSE THEN\n                    SET CONSTRAINTS ALL IMMEDIATE;\n"
                "                    RETURN;  -- the database let it through\n                END IF;\n"
                f"                RAISE EXCEPTION 'not a violation' USING ERRCODE = '{_NEXT}';\n"
                f"            EXCEPTION\n                WHEN SQLSTATE '{_NEXT}' THEN NULL;\n"
                "                WHEN OTHERS THEN\n"
                "                    GET STACKED DIAGNOSTICS sw_constraint = CONSTRAINT_NAME;\n"
                f"                    IF sw_constraint = {quote_literal(rule.name)} THEN\n"
                "                        RAISE;\n                    END IF;\n            END;\n"
                "        END LOOP;\n")

    def _two_at_once(self, rule: m.Rule, declare: str, check: str, load_parent: str, match: str,
                     into_group: dict[str, str], own_first: str, copyable: str) -> Attempt | None:
        """Two sessions each add a row a group can take once but not twice (the last ticket, the
        last units in stock): each alone is valid; the queue's key makes the second wait for the
        first and check the group with its row in view, so it is refused."""
        insert = self.clone([" AND ".join(f"src.{_col(k)} = x.{_col(k)}" for k in self.key)], into_group,
                            keep=rule.columns, spread=True)
        if insert is None:
            return None
        group = ", ".join(q(c) for c in rule.columns)
        present = " AND ".join(f"{q(c)} IS NOT NULL" for c in rule.columns)
        key = ", ".join(_col(k) for k in self.key)
        plus = f"SELECT * FROM {self.name} WHERE {_key_match(self.key, 'x')}"
        once = f"(SELECT * FROM {self.name} WHERE {match} UNION ALL {plus}) AS {self.name}"
        twice = f"(SELECT * FROM {self.name} WHERE {match} UNION ALL {plus} UNION ALL {plus}) AS {self.name}"
        rows = (f"SELECT {key} FROM {self.name} AS src WHERE {copyable} ORDER BY ({own_first}) DESC, {key} "
                f"LIMIT {ROWS_TRIED}")
        body = (f"    FOR g IN SELECT DISTINCT {group} FROM {self.name} WHERE {present} ORDER BY {group} "
                f"LIMIT {GROUPS_TRIED} LOOP\n{load_parent}"
                f"        FOR x IN {rows} LOOP\n"
                f"            SELECT ({check}) INTO sw_ok FROM {once};\n"
                f"            SELECT ({check}) INTO sw_twice FROM {twice};\n"
                "            IF sw_ok AND sw_twice IS FALSE THEN\n"
                f"                {insert};\n                GET DIAGNOSTICS sw_rows = ROW_COUNT;\n"
                "                CONTINUE WHEN sw_rows = 0;\n                SET CONSTRAINTS ALL IMMEDIATE;\n"
                "                RETURN;\n            END IF;\n"
                "        END LOOP;\n    END LOOP;\n    "
                + _nothing(f"a {self.table.name} group that takes a row once but not twice") + "\n")
        setup = None
        found = self._limit(rule, check)
        if found:  # the first group brought to where a row that counts fits once, committed before
            parent, column, value, where = found
            first = (f"    SELECT {group} INTO g FROM {self.name} WHERE {present} ORDER BY {group} LIMIT 1;\n"
                     f"    IF NOT FOUND THEN\n        {_nothing(f'a {self.table.name} group')}\n    END IF;\n"
                     f"    FOR x IN {rows} LOOP\n"
                     f"        SELECT {value} INTO sw_once FROM {once};\n"
                     f"        SELECT {value} INTO sw_base FROM {self.name} WHERE {match};\n"
                     "        CONTINUE WHEN sw_once IS NOT DISTINCT FROM sw_base;  -- a row the rule does not count\n"
                     f"        UPDATE {q(parent.name)} SET {q(column)} = sw_once WHERE {where};\n"
                     "        RETURN;\n    END LOOP;\n")
            setup = _do(first, declare + "    sw_once numeric;\n    sw_base numeric;\n")
        return Attempt(f"rule {rule.name}", self.table.name, f"two sessions each add a row that a "
                       f"{', '.join(rule.columns)} group can take once, not twice", _do(body, declare + "    sw_twice boolean;\n"),
                       "23514", rule.name, concurrent=True, setup=setup, optional=True)

    def _limit(self, rule: m.Rule, check: str) -> tuple[m.Table, str, str, str] | None:
        """(parent, column, value, where): for `count(*) <= parent.capacity`, the parent column
        and the aggregate that puts the group exactly at its limit."""
        fk = next((f for f in self.table.foreign_keys if f.columns == rule.columns), None)
        parent = self.design.table(fk.ref_table) if fk else None
        if fk is None or parent is None or "parent." not in check.lower():
            return None
        limit = satisfy(check, parent)
        if not limit or len(limit) != 1:
            return None
        (column, value), = limit.items()
        if parent.column(column) is None or f"parent.{column}" not in check.lower().replace(" ", ""):
            return None
        where = " AND ".join(f"{q(r)} = g.{q(c)}" for c, r in zip(fk.columns, fk.ref_columns))
        return parent, column, value, where

    def _to_the_limit(self, rule: m.Rule, check: str, match: str) -> str:
        """Set the parent's value to the group's own first (the rule still holds, at its limit),
        so one row more breaks it."""
        found = self._limit(rule, check)
        if found is None:
            return ""
        parent, column, value, where = found
        return (f"        UPDATE {q(parent.name)} SET {q(column)} = (SELECT {value} FROM {self.name} WHERE {match}) "
                f"WHERE {where};\n        SELECT * INTO parent FROM {q(parent.name)} WHERE {where};\n")

    def _aggregate(self, rule: m.Rule) -> Iterator[Attempt | NotTried]:
        subject = f"rule {rule.name}"
        found = self._group(rule)
        if found is None:
            return
        declare, check, load_parent, match = found
        group = ", ".join(q(c) for c in rule.columns)
        present = " AND ".join(f"{q(c)} IS NOT NULL" for c in rule.columns)
        key = ", ".join(_col(k) for k in self.key)
        keyed = " AND ".join(f"{_col(k)} <> x.{_col(k)}" for k in self.key) if len(self.key) == 1 else \
            f"({key}) <> ({', '.join(f'x.{_col(k)}' for k in self.key)})"
        changeable = copyable = "true"  # the other rules' triggers are off inside the attempt
        # A copy of any row (the group's own first) moved into the group: a shipment copied into
        # a stock position whose receipts cannot cover it.
        into_group = {c: f"g.{q(c)}" for c in rule.columns}
        insert = self.clone([" AND ".join(f"src.{_col(k)} = x.{_col(k)}" for k in self.key)],
                            into_group, keep=rule.columns)
        own_first = " AND ".join(f"src.{q(c)} = g.{q(c)}" for c in rule.columns)
        # A row moved into the group must agree with the keys that hold the group's columns with
        # others (a ticket's performance and venue): its other columns are what the group's parent has.
        for f in self.table.foreign_keys:
            if set(rule.columns) < set(f.columns):
                agree = " AND ".join(f"z.{q(r)} = " + (f"g.{q(c)}" if c in rule.columns else f"src.{q(c)}")
                                     for c, r in zip(f.columns, f.ref_columns))
                copyable = f"{copyable} AND EXISTS (SELECT 1 FROM {q(f.ref_table)} AS z WHERE {agree})"
        loop = (f"    FOR g IN SELECT DISTINCT {group} FROM {self.name} WHERE {present} ORDER BY {group} "
                f"LIMIT {GROUPS_TRIED} LOOP\n{load_parent}"
                f"        SELECT ({check}) INTO sw_ok FROM {self.name} WHERE {match};\n"
                "        CONTINUE WHEN sw_ok IS FALSE;  -- the group breaks the rule already\n")
        deletion = (f"        FOR x IN SELECT {key} FROM {self.name} AS src WHERE {match} AND {changeable} "
                    f"LIMIT {ROWS_TRIED} LOOP\n"
                    f"            SELECT ({check}) INTO sw_ok FROM {self.name} WHERE {match} AND {keyed};\n"
                    f"            IF sw_ok IS FALSE THEN\n"
                    f"                DELETE FROM {self.name} WHERE {_key_match(self.key, 'x')};\n"
                    "                SET CONSTRAINTS ALL IMMEDIATE;\n                RETURN;\n            END IF;\n"
                    "        END LOOP;\n")
        addition = ""
        if insert:
            addition = self._to_the_limit(rule, check, match) + (
                f"        FOR x IN SELECT {key} FROM {self.name} AS src WHERE {copyable} "
                f"ORDER BY ({own_first}) DESC LIMIT {ROWS_TRIED} LOOP\n"
                f"            SELECT ({check}) INTO sw_ok FROM (SELECT * FROM {self.name} WHERE {match} UNION ALL "
                f"SELECT * FROM {self.name} WHERE {_key_match(self.key, 'x')}) AS {self.name};\n"
                        f"            IF sw_ok IS FALSE THEN\n                {insert};\n"
                        "                GET DIAGNOSTICS sw_rows = ROW_COUNT;\n"
                        "                CONTINUE WHEN sw_rows = 0;  -- no copy could be made of this row\n"
                        "                SET CONSTRAINTS ALL IMMEDIATE;\n                RETURN;\n            END IF;\n"
                        "        END LOOP;\n")
        concurrent = self._two_at_once(rule, declare, check, load_parent, match, into_group, own_first, copyable) \
            if rule.kind == "aggregate" else None
        if concurrent:
            yield concurrent
        unmatch = ""
        out_of = falsify(rule.condition or "", self.table) if rule.kind == "exactly_one" else None
        if out_of:  # exactly_one: the group's one matching row changed out of the condition
            sets = ", ".join(f"{q(c)} = {v}" for c, v in out_of.items())
            unmatch = (f"        FOR x IN SELECT {key} FROM {self.name} AS src WHERE {match} AND ({rule.condition}) "
                       f"LIMIT 1 LOOP\n            UPDATE {self.name} SET {sets} WHERE {_key_match(self.key, 'x')};\n"
                       "            SET CONSTRAINTS ALL IMMEDIATE;\n            RETURN;\n        END LOOP;\n")
        fill = ""
        if insert:  # last: copies added one by one until the group breaks (`count(*) <= 5`)
            fill = (f"        FOR x IN SELECT {key} FROM {self.name} AS src WHERE {copyable} "
                    f"ORDER BY ({own_first}) DESC LIMIT 3 LOOP\n            FOR sw_i IN 1..{FILL_ROWS} LOOP\n"
                    f"                {insert};\n                GET DIAGNOSTICS sw_rows = ROW_COUNT;\n"
                    "                EXIT WHEN sw_rows = 0;\n"
                    f"                SELECT ({check}) INTO sw_ok FROM {self.name} WHERE {match};\n"
                    "                IF sw_ok IS FALSE THEN\n                    SET CONSTRAINTS ALL IMMEDIATE;\n"
                    "                    RETURN;\n                END IF;\n            END LOOP;\n        END LOOP;\n")
        limit = self._limit(rule, check)
        body = (loop + deletion + unmatch + addition + self._changed(rule, check, match) + fill
                + self._parent_changed(rule, check, match) + "    END LOOP;\n    "
                + _nothing(f"a {self.table.name} group that one row more or less would break") + "\n")
        yield Attempt(subject, self.table.name, f"a {', '.join(rule.columns)} group left breaking {check}",
                      _do(body, declare), "23514", rule.name, touches=(limit[0].name,) if limit else ())
        if rule.kind == "aggregate":
            # Valid: a row of a valid group deleted, then inserted again by a later statement.  The
            # group may break in between (a journal entry one line short); only the end counts.
            columns = [c for c in self.insertable()]
            names = ", ".join(q(c.name) for c in columns)
            values = ", ".join(f"x.{q(c.name)}" for c in columns)
            free = _all(self.unreferenced({c.name for c in self.table.columns}))
            body = (loop + f"        SELECT * INTO x FROM {self.name} AS src WHERE {match} AND {free} LIMIT 1;\n"
                    "        CONTINUE WHEN NOT FOUND;\n"
                    f"        DELETE FROM {self.name} WHERE {_key_match(self.key, 'x')};\n"
                    f"        INSERT INTO {self.name} ({names}) OVERRIDING SYSTEM VALUE VALUES ({values});\n"
                    "        SET CONSTRAINTS ALL IMMEDIATE;\n        RETURN;\n    END LOOP;\n    "
                    + _nothing(f"a valid {self.table.name} group with a row nothing references") + "\n")
            yield Attempt(subject, self.table.name, f"a row of a valid {', '.join(rule.columns)} group deleted and "
                          "inserted again by a later statement (checked at commit, not in between)",
                          _do(body, declare))

    def _parent_check(self, rule: m.Rule) -> Iterator[Attempt | NotTried]:
        subject = f"rule {rule.name}"
        fk = next((f for f in self.table.foreign_keys if f.columns == rule.columns), None)
        if fk is None:
            return
        key = ", ".join(_col(k) for k in self.key)
        sets = ", ".join(f"{q(c)} = parent.{q(r)}" for c, r in zip(fk.columns, fk.ref_columns))
        declare = (f"    parent {q(fk.ref_table)}%ROWTYPE;\n    r record;\n    sw_ok boolean;\n")
        rows = "true"  # the other rules' triggers (append-only ones too) are off inside the attempt

        # The new parent must agree with the row's other keys into the same table (a composite key
        # holding the parent's venue, say), or that key refuses the move first.
        agree = [f"src.{q(c)} = parent.{q(r)}" for f in self.table.foreign_keys if f.name != fk.name
                 and f.ref_table == fk.ref_table and set(fk.columns) < set(f.columns)
                 for c, r in zip(f.columns, f.ref_columns) if c not in fk.columns]
        rows = _all([rows] + agree) if agree else rows
        # Nor may the moved row repeat a unique key holding the parent column under its new parent
        # (a ticket moved onto a performance where its seat is sold already).
        rows = _all([rows] + self.kept_free(fk, "parent")) if self.kept_free(fk, "parent") else rows

        def search(want: str, action: str) -> str:
            return (f"    FOR parent IN SELECT * FROM {q(fk.ref_table)} ORDER BY 1 LIMIT {ROWS_TRIED} LOOP\n"
                    f"        FOR r IN SELECT {key} FROM {self.name} AS src WHERE {rows} LIMIT {ROWS_TRIED} LOOP\n"
                    f"            SELECT ({rule.expression}) INTO sw_ok FROM {self.name} WHERE {_key_match(self.key, 'r')};\n"
                    f"            IF sw_ok IS {want} THEN\n"
                    f"                {action};\n                SET CONSTRAINTS ALL IMMEDIATE;\n"
                    "                RETURN;\n            END IF;\n        END LOOP;\n    END LOOP;\n")

        # Another composite key holding the moved column (a card of that member) would refuse the
        # move: its other columns let go (NULL, which such a key does not check) where they may.
        for other in self.table.foreign_keys:
            rest = [c for c in other.columns if c not in fk.columns]
            if other.name != fk.name and other.ref_table != fk.ref_table and set(fk.columns) & set(other.columns) \
                    and rest and all((c := self.table.column(n)) is not None and c.nullable for n in rest):
                sets += "".join(f", {q(c)} = NULL" for c in rest)
        update = f"UPDATE {self.name} SET {sets} WHERE {_key_match(self.key, 'r')}"
        yield Attempt(subject, self.table.name, f"a {self.table.name} row moved to a {fk.ref_table} row that "
                      f"breaks {rule.expression}", _do(search("FALSE", update) + "    " + _nothing(
                          f"a {self.table.name} row and a {fk.ref_table} row that break the rule") + "\n", declare),
                      "23514", rule.name)
        yield Attempt(subject, self.table.name, f"a {self.table.name} row moved to a {fk.ref_table} row that "
                      f"satisfies {rule.expression}", _do(search("TRUE", update) + "    " + _nothing(
                          f"a {self.table.name} row and a {fk.ref_table} row that satisfy the rule") + "\n", declare))
        concurrent = self._parent_changes_meanwhile(rule, fk)
        if concurrent:  # set up by the valid move above: one row its parent accepts, committed
            yield replace(concurrent, setup=_do(search("TRUE", update) + "    " + _nothing(
                f"a {self.table.name} row and a {fk.ref_table} row that satisfy the rule") + "\n", declare))

    def _parent_changes_meanwhile(self, rule: m.Rule, fk: m.ForeignKey) -> Attempt | None:
        """One session changes the parent so the rule fails (closes the period) and holds the
        change; the other writes a row under the parent as it was.  The trigger's FOR SHARE
        makes the second wait, then read the committed parent and refuse."""
        parent = self.design.table(fk.ref_table)
        if parent is None:
            return None
        # The parent's columns are the ones to change; the row's are values read from `r`.
        moved = qualified(rule.expression or "", "r", "sw_parent_row")
        if moved is None:
            return None
        moved = moved.replace("sw_parent_row.", "")
        change = falsify(moved, parent, own_only=True)
        if not change or any(parent.column(c) is None for c in change):
            return None
        holds = self._parent_filters_for(rule, fk)
        pick = (f"    SELECT * INTO r FROM {self.name} AS src WHERE {holds} ORDER BY "
                f"{', '.join(f'src.{_col(k)}' for k in self.key)} LIMIT 1;\n"
                f"    IF NOT FOUND THEN\n        {_nothing(f'a {self.table.name} row its {parent.name} row accepts')}\n"
                "    END IF;\n")
        sets = ", ".join(f"{q(c)} = {v}" for c, v in change.items())
        where = " AND ".join(f"{q(r)} = r.{q(c)}" for c, r in zip(fk.columns, fk.ref_columns))
        first = pick + _touched(f"UPDATE {q(parent.name)} SET {sets} WHERE {where}", f"the {parent.name} row")
        # The row written again under its parent: the trigger fires (UPDATE OF its key) and no
        # other key of the table is involved.
        same = ", ".join(f"{q(c)} = {q(c)}" for c in fk.columns)
        second = pick + _touched(f"UPDATE {self.name} SET {same} WHERE {_key_match(self.key, 'r')}",
                                 f"the {self.table.name} row")
        declare = "    r record;\n"
        return Attempt(f"rule {rule.name}", self.table.name, f"a {parent.name} row changed ({sets}) by one session "
                       f"while another writes a {self.table.name} row under it", _do(first, declare), "23514",
                       rule.name, concurrent=True, second=_do(second, declare), touches=(parent.name,))

    def _parent_filters_for(self, rule: m.Rule, fk: m.ForeignKey) -> str:
        check = qualified(rule.expression or "true", "src", "sw_parent_row")
        match = " AND ".join(f"sw_parent_row.{q(r)} = src.{q(c)}" for c, r in zip(fk.columns, fk.ref_columns))
        return (f"EXISTS (SELECT 1 FROM {q(fk.ref_table)} AS sw_parent_row WHERE {match} AND ({check}) IS TRUE)")
