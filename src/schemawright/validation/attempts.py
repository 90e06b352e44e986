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
from schemawright.validation.falsify import Assignments, falsify, satisfy
from schemawright.validation.rules import column_rules
from schemawright.validation.values import generate, profile

NOTHING = "SWNOD"  # SQLSTATE of an attempt that found no rows to work on
_SQL = PostgresGenerator()
GROUPS_TRIED = 200  # groups and rows an aggregate attempt searches before it gives up
ROWS_TRIED = 50


@dataclass(frozen=True)
class Attempt:
    subject: str  # what it proves: "rule entry_balances", "unique uq_orders_number"
    table: str
    description: str
    sql: str  # one DO block
    expect: str | None = None  # SQLSTATE a violation must raise; None: a valid operation that must succeed
    constraint: str | None = None  # the constraint name the error must carry
    concurrent: bool = False  # run by two sessions at once; the second must be refused
    also: tuple[str, ...] = ()  # concurrent: other keys of the table that may refuse the second session first
    optional: bool = False  # a second proof of something proven already: data that offers nothing is no failure

    @property
    def violation(self) -> bool:
        return self.expect is not None


@dataclass(frozen=True)
class NotTried:
    subject: str
    reason: str


def attempts(design: m.Design) -> tuple[list[Attempt], list[NotTried]]:
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
        elif item.concurrent:
            out.append(item)
        else:
            out.append(_quieted(design, item))
    return out, skipped


def _quieted(design: m.Design, attempt: Attempt) -> Attempt:
    """The attempt with the other rules' triggers of its table switched off first."""
    rule = attempt.subject.split()[1] if attempt.subject.startswith("rule ") else None
    keep = next((r.enforced_by for r in design.rules if r.name == rule), ())
    names = {n for r in design.rules for n in r.enforced_by}
    quiet = "".join(f"    {_SQL.enable_trigger_sql(t.table, t.name, enabled=False)}\n" for t in design.triggers
                    if t.table == attempt.table and t.name in names and t.name not in keep and not t.deferred)
    if not quiet:
        return attempt
    return replace(attempt, sql=attempt.sql.replace("BEGIN\n", "BEGIN\n" + quiet, 1))


def _owners(design: m.Design) -> dict[str, str]:
    """Constraint, index or trigger name -> the rule it enforces."""
    return {name: rule.name for rule in design.rules for name in rule.enforced_by}


# ---------------------------------------------------------------- SQL pieces


def qualified(expression: str, alias: str, parent: str = "parent") -> str | None:
    """`expression` with its unqualified columns read from `alias`, and `parent.x` from `parent`."""
    try:
        tree = sqlglot.parse_one(expression, read="postgres")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
        return None

    def fix(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and not node.table:
            node.set("table", exp.to_identifier(alias))
        elif isinstance(node, exp.Column) and node.table.lower() == "parent" and parent != "parent":
            node.set("table", exp.to_identifier(parent))
        return node

    return tree.transform(fix).sql(dialect="postgres")


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
        self.append_only = any(r.kind == "immutable" and r.condition is None for r in self.rules)
        self.name = q(table.name)
        # Attempts switch off, inside their own rolled-back transaction, the rule triggers that
        # do not enforce what they test, so only the constraint under test can refuse them.  A
        # concurrent attempt cannot (ALTER TABLE would lock the other session out): it picks
        # rows the other rules accept instead.
        self.filtering = False

    def subject(self, kind: str, name: str) -> str:
        rule = self.owners.get(name)
        return f"rule {rule} ({kind} {name})" if rule else f"{kind} {name}"

    # Rows an attempt may change, or copy into a new row, without another rule refusing first.

    def _parent_filters(self) -> list[str]:
        out = []
        for rule in self.rules:
            if rule.kind != "parent_check":
                continue
            fk = next((f for f in self.table.foreign_keys if f.columns == rule.columns), None)
            check = qualified(rule.expression or "true", "src", "sw_parent_row")
            if fk is None or check is None:
                continue
            match = " AND ".join(f"sw_parent_row.{q(r)} = src.{q(c)}" for c, r in zip(fk.columns, fk.ref_columns))
            out.append(f"NOT EXISTS (SELECT 1 FROM {q(fk.ref_table)} AS sw_parent_row WHERE {match} AND ({check}) "
                       "IS FALSE)")
        return out

    def changeable(self) -> list[str]:
        if not self.filtering:
            return []
        out = self._parent_filters()
        for rule in self.rules:
            if rule.kind == "immutable" and rule.condition is not None:
                cond = qualified(rule.condition, "src")
                out.append(f"({cond}) IS NOT TRUE" if cond else "false")
        return out

    def copyable(self) -> list[str]:
        if not self.filtering:
            return []
        out = self._parent_filters()
        for rule in self.rules:
            if rule.kind == "transitions" and rule.initial:
                states = ", ".join(quote_literal(s) for s in rule.initial)
                out.append(f"src.{q(rule.columns[0])}::text IN ({states})")
        return out

    def insertable(self) -> list[m.Column]:
        return [c for c in self.table.columns if not c.generated]

    def unique_keys(self) -> list[tuple[str, tuple[str, ...], str | None]]:
        """(name, columns, partial where) of every unique key but the primary key."""
        keys = [(u.name, u.columns, None) for u in self.table.uniques]
        keys += [(i.name, tuple(c.expression for c in i.columns), i.where) for i in self.design.indexes_on(self.table.name)
                 if i.unique and all(self.table.column(c.expression) for c in i.columns)]
        return keys

    def fresh(self, column: m.Column) -> str | None:
        """A value of the column no committed row has, the same in two concurrent sessions."""
        base = parse(column.sql_type).base if column.sql_type else ""
        kind = family(column.sql_type) if column.sql_type else None
        t, c = self.name, q(column.name)
        if kind in ("integer", "numeric"):
            return f"(SELECT coalesce(max({c}), 0) + 1 FROM {t})"
        if base in ("timestamp", "timestamptz"):
            return f"(SELECT coalesce(max({c}), now()) + interval '1 day' FROM {t})"
        if base == "date":
            return f"(SELECT coalesce(max({c}), current_date) + 1 FROM {t})"
        if kind == "text":
            rules = column_rules(self.table).get(column.name)
            if rules and (rules.patterns or rules.allowed or rules.min_length):
                # A value the column's CHECKs accept, drawn by the synthetic generator far from
                # the serials it used; the same in every session.
                value = generate(profile(column.name, column.sql_type, semantic=column.semantic, rules=rules),
                                 987_654, Random(f"fresh:{self.table.name}.{column.name}"), distinct=True)
                return None if value is None else quote_literal(value)
            args = parse(column.sql_type).args
            size = int(args[0]) if args and args[0].isdigit() else 40
            return f"right('~' || (SELECT count(*) FROM {t})::text || md5(src.{c}::text), {size})"
        if base == "uuid":
            return "gen_random_uuid()"
        return None

    def clone(self, where: list[str], overrides: dict[str, str], keep_key: bool = False,
              skip: tuple[str, ...] = ()) -> str | None:
        """INSERT a copy of one row matching `where`, with `overrides`; the other unique keys
        (but those named in `skip`) get fresh values so only the constraint under test can refuse it."""
        values: dict[str, str] = {}
        fk_columns = {c for fk in self.table.foreign_keys for c in fk.columns}
        for column in self.insertable():
            if column.name in overrides:
                values[column.name] = overrides[column.name]
            elif column.identity or (column.name in self.key and not keep_key and column.default):
                continue  # a new key from its default
            else:
                values[column.name] = f"src.{q(column.name)}"
        if not keep_key and self.table.primary_key:
            for name in self.table.primary_key.columns:
                if name in values and name not in overrides:
                    fresh = self.fresh(self.table.column(name))  # type: ignore[arg-type]
                    if fresh is None:
                        return None
                    values[name] = fresh
        for name, columns, partial in self.unique_keys():
            if name in skip or any(c in overrides for c in columns):
                continue
            changeable = [c for c in columns if c not in fk_columns and self.fresh(self.table.column(c)) is not None]  # type: ignore[arg-type]
            if changeable:
                values[changeable[0]] = self.fresh(self.table.column(changeable[0]))  # type: ignore[arg-type]
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
        columns = ", ".join(q(c) for c in values)
        return (f"INSERT INTO {self.name} ({columns}) OVERRIDING SYSTEM VALUE\n        SELECT "
                f"{', '.join(values.values())} FROM {self.name} AS src WHERE {_all(where)} LIMIT 1")

    def fresh_unit(self, column: str) -> str:
        col = self.table.column(column)
        base = parse(col.sql_type).base if col and col.sql_type else ""
        return "interval '1 day'" if base in ("timestamp", "timestamptz") else "1"

    def update_one(self, assignments: Assignments, where: list[str], what: str) -> str:
        sets = ", ".join(f"{q(c)} = {v}" for c, v in assignments.items())
        return (_pick("b", self.table, self.key, _all(self.changeable() + where), what)
                + _touched(f"UPDATE {self.name} SET {sets} WHERE {_key_match(self.key, 'b')}", what))

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
        insert = self.clone(self.copyable(), {c: f"src.{q(c)}" for c in pk.columns}, keep_key=True,
                            skip=tuple(n for n, _, _ in self.unique_keys()))
        if insert is None:
            yield NotTried(self.subject("primary key", pk.name), "no row copy could be built")
            return
        yield Attempt(self.subject("primary key", pk.name), self.table.name,
                      f"a second {self.table.name} row with an existing {', '.join(pk.columns)}",
                      _do(_touched(insert, f"a {self.table.name} row")), "23505", pk.name)

    def _uniques(self) -> Iterator[Attempt | NotTried]:
        for name, columns, partial in self.unique_keys():
            subject = self.subject("unique", name)
            matching = [qualified(partial, "src") or "false"] if partial else []
            present = [f"src.{q(c)} IS NOT NULL" for c in columns]
            what = f"two {self.table.name} rows" + (f" where {partial}" if partial else "")
            if self.append_only:
                insert = self.clone(self.copyable() + matching + present, {}, skip=(name,))
                body = _touched(insert, what) if insert else None
            else:
                body = (_pick("a", self.table, self.key, _all(matching + present), what, columns)
                        + self.update_one({c: f"a.{q(c)}" for c in columns},
                                          matching + [f"NOT ({' AND '.join(f'src.{_col(k)} = a.{_col(k)}' for k in self.key)})"],
                                          what))
            if body is None:
                yield NotTried(subject, "no row copy could be built")
                continue
            yield Attempt(subject, self.table.name, f"{', '.join(columns)} repeated"
                          + (f" among rows where {partial}" if partial else ""), _do(body), "23505", name)
            concurrent = self._concurrent_unique(name, columns, partial)
            if concurrent:
                yield concurrent

    def _concurrent_unique(self, name: str, columns: tuple[str, ...], partial: str | None) -> Attempt | None:
        """Two sessions insert the same new key at once: the second waits, then is refused."""
        fresh = {c: self.fresh(self.table.column(c)) for c in columns}  # type: ignore[arg-type]
        fk_of = {c: fk for fk in self.table.foreign_keys for c in fk.columns if len(fk.columns) == 1}
        overrides: dict[str, str] = {}
        for column in columns:
            fk = fk_of.get(column)
            if fk is not None and partial:  # a group that has no matching row yet, the same for both sessions
                cond = qualified(partial, "x")
                overrides[column] = (f"(SELECT p.{q(fk.ref_columns[0])} FROM {q(fk.ref_table)} AS p WHERE NOT EXISTS "
                                     f"(SELECT 1 FROM {self.name} AS x WHERE x.{q(column)} = p.{q(fk.ref_columns[0])}"
                                     f" AND ({cond})) ORDER BY 1 LIMIT 1)")
            elif fresh[column] is not None and fk is None:
                overrides[column] = fresh[column]  # type: ignore[assignment]
            else:
                return None
        matching = [qualified(partial, "src") or "false"] if partial else []
        self.filtering = True
        insert = self.clone(self.copyable() + matching, overrides, skip=(name,))
        self.filtering = False
        if insert is None:
            return None
        return Attempt(self.subject("unique", name), self.table.name,
                       f"two sessions insert the same new {', '.join(columns)} at once",
                       _do(_touched(insert, f"a {self.table.name} row to copy")), "23505", name, concurrent=True,
                       also=self.keys_besides(name))

    def keys_besides(self, name: str) -> tuple[str, ...]:
        """Keys and exclusions other than `name`: two identical new rows may meet one of them first."""
        return tuple(n for n in [k for k, _, _ in self.unique_keys()] + [e.name for e in self.table.exclusions]
                     if n != name)

    def _foreign_keys(self) -> Iterator[Attempt | NotTried]:
        for fk in self.table.foreign_keys:
            subject = self.subject("foreign key", fk.name)
            parent = self.design.table(fk.ref_table)
            missing = self._missing(fk, parent)
            if missing is None:
                yield NotTried(subject, "no value outside the referenced table could be built for its type")
            else:
                what = f"a {self.table.name} row with {', '.join(fk.columns)} set"
                present = [f"src.{q(c)} IS NOT NULL" for c in fk.columns]
                if self.append_only:
                    insert = self.clone(self.copyable() + present, missing)
                    body = _touched(insert, what) if insert else None
                else:
                    body = self.update_one(missing, present, what)
                if body:
                    yield Attempt(subject, self.table.name, f"{', '.join(fk.columns)} pointing at no {fk.ref_table} row",
                                  _do(body), "23503", fk.name)
            if fk.on_delete in ("restrict", "no action") and parent is not None:
                facts = _Facts(self.design, parent, self.owners)
                if facts.append_only:
                    continue
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
                body = _pick("b", parent, facts.key, _all(facts.changeable() + [used]), what)
                body += _touched(f"DELETE FROM {q(parent.name)} WHERE {_key_match(facts.key, 'b')}", what)
                state = "23001" if fk.on_delete == "restrict" else "23503"  # restrict_violation / foreign_key_violation
                yield Attempt(subject, parent.name, f"deleting a {parent.name} row that {self.table.name} rows "
                              f"still reference (ON DELETE {fk.on_delete.upper()})", _do(body), state, fk.name,
                              optional=True)

    def _missing(self, fk: m.ForeignKey, parent: m.Table | None) -> Assignments | None:
        if parent is None:
            return None
        if len(fk.columns) > 1:
            # Each value exists in the parent, the combination does not: only this key can refuse it.
            first, rest = fk.ref_columns[0], fk.ref_columns[1:]
            pick = ", ".join([f"x.{q(first)}"] + [f"y.{q(c)}" for c in rest])
            absent = " AND ".join(f"z.{q(c)} = {'x' if c == first else 'y'}.{q(c)}" for c in fk.ref_columns)
            p = q(parent.name)
            source = (f"(SELECT {pick} FROM {p} AS x, {p} AS y WHERE NOT EXISTS (SELECT 1 FROM {p} AS z WHERE {absent})"
                      " ORDER BY 1 LIMIT 1)")
            return {c: f"(SELECT v.{q(r)} FROM {source} AS v)" for c, r in zip(fk.columns, fk.ref_columns)}
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
            return {fk.columns[0]: f"(SELECT '~' || count(*)::text FROM {name})"}
        return None

    def _checks(self) -> Iterator[Attempt | NotTried]:
        conditionals = {n: r for r in self.rules if r.kind == "conditional" for n in r.enforced_by}
        for check in self.table.checks:
            subject = self.subject("check", check.name)
            rule = conditionals.get(check.name)
            where: list[str] = []
            if rule is not None:
                assignments = falsify(rule.expression or "", self.table)
                cond = qualified(rule.condition or "true", "src")
                where = [cond] if cond else []
            else:
                assignments = falsify(check.expression, self.table)
            if not assignments or any((c := self.table.column(n)) is None or c.generated for n in assignments):
                yield NotTried(subject, f"no value breaking {check.expression} could be derived from it")
                continue
            what = f"a {self.table.name} row" + (f" where {rule.condition}" if rule else "")
            if self.append_only:
                insert = self.clone(self.copyable() + where, assignments)
                body = _touched(insert, what) if insert else None
            else:
                body = self.update_one(assignments, where, what)
            if body is None:
                yield NotTried(subject, "no row copy could be built")
                continue
            said = ", ".join(f"{c} = {v}" for c, v in assignments.items())
            yield Attempt(subject, self.table.name, f"{said}" + (f" where {rule.condition}" if rule else ""),
                          _do(body), "23514", check.name)

    def _exclusions(self) -> Iterator[Attempt | NotTried]:
        for exclusion in self.table.exclusions:
            subject = self.subject("exclusion", exclusion.name)
            rule = next((r for r in self.rules if exclusion.name in r.enforced_by and r.kind == "no_overlap"), None)
            if rule is None:
                yield NotTried(subject, "declared by hand: schemawright cannot tell which rows collide")
                continue
            columns = rule.columns + rule.period
            matching = [qualified(rule.condition, "src") or "false"] if rule.condition else []
            present = [f"src.{q(rule.period[0])} IS NOT NULL"]
            what = f"two {self.table.name} rows" + (f" where {rule.condition}" if rule.condition else "")
            if self.append_only:
                insert = self.clone(self.copyable() + matching + present, {}, skip=(exclusion.name,))
                body = _touched(insert, what) if insert else None
            else:
                body = (_pick("a", self.table, self.key, _all(matching + present), what, columns)
                        + self.update_one({c: f"a.{q(c)}" for c in columns},
                                          matching + [f"NOT ({' AND '.join(f'src.{_col(k)} = a.{_col(k)}' for k in self.key)})"],
                                          what))
            if body is None:
                yield NotTried(subject, "no row copy could be built")
                continue
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
            self.filtering = True
            insert = self.clone(self.copyable() + matching + present, overrides, skip=(exclusion.name,))
            self.filtering = False
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
        if reach and cond:  # bring a row into the state first (allowed: it is not there yet), then change it
            sets = ", ".join(f"{q(c)} = {v}" for c, v in reach.items())
            pick = (_pick("b", self.table, self.key, "true", f"a {self.table.name} row")
                    + f"    UPDATE {self.name} SET {sets} WHERE {_key_match(self.key, 'b')} AND ({rule.condition}) "
                      "IS NOT TRUE;\n")
            what = f"a {self.table.name} row brought to {rule.condition}"
        else:
            pick = _pick("b", self.table, self.key, _all(stored), what)
        yield Attempt(subject, self.table.name, "UPDATE of " + what, _do(
            pick + _touched(f"UPDATE {self.name} SET {same} WHERE {_key_match(self.key, 'b')}", what)),
            "23514", rule.name)
        yield Attempt(subject, self.table.name, "DELETE of " + what, _do(
            pick + _touched(f"DELETE FROM {self.name} WHERE {_key_match(self.key, 'b')}", what)), "23514", rule.name)
        if rule.condition:
            what = f"a {self.table.name} row where NOT ({rule.condition})"
            yield Attempt(subject, self.table.name, "UPDATE of " + what, _do(
                self.update_one({first: q(first)}, [], what)))
        else:
            referenced = any(fk.ref_table == self.table.name for t in self.design.tables for fk in t.foreign_keys)
            if not referenced:
                yield Attempt(subject, self.table.name, f"TRUNCATE {self.table.name}",
                              _do(f"    TRUNCATE {self.name};\n"), "23514", rule.name)
            insert = self.clone(self.copyable(), {})
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
                insert = self.clone(self._parent_filters(), {column.name: f"{quote_literal(later[0])}::{sql_type}"})
                if insert:
                    yield Attempt(subject, self.table.name, f"a new row starting in {column.name} {later[0]}",
                                  _do(_touched(insert, f"a {self.table.name} row to copy")), "23514", rule.name)
        pairs = ", ".join(f"({quote_literal(a)}, {quote_literal(b)})" for a, b in rule.transitions)
        filters = _all(self.changeable())
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
        declare = "    g record;\n    x record;\n    sw_ok boolean;\n"
        load_parent = ""
        if fk is not None and "parent." in check.lower():
            declare += f"    parent {q(fk.ref_table)}%ROWTYPE;\n"
            match = " AND ".join(f"{q(r)} = g.{q(c)}" for c, r in zip(fk.columns, fk.ref_columns))
            load_parent = f"        SELECT * INTO parent FROM {q(fk.ref_table)} WHERE {match};\n"
        group = ", ".join(q(c) for c in per)
        match = " AND ".join(f"{q(c)} = g.{q(c)}" for c in per)
        return declare + "", check, load_parent, match if group else ""

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
        changeable = _all(self.changeable()) if not self.append_only else "false"
        copyable = _all(self.copyable())
        insert = self.clone(self.copyable() + [f"src.{_col(self.key[0])} = x.{_col(self.key[0])}"], {}) \
            if len(self.key) == 1 else None
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
        if insert and len(self.key) == 1:
            addition = (f"        FOR x IN SELECT {key} FROM {self.name} AS src WHERE {match} AND {copyable} "
                        f"LIMIT {ROWS_TRIED} LOOP\n"
                        f"            SELECT ({check}) INTO sw_ok FROM (SELECT * FROM {self.name} WHERE {match} UNION ALL "
                        f"SELECT * FROM {self.name} WHERE {_key_match(self.key, 'x')}) AS {self.name};\n"
                        f"            IF sw_ok IS FALSE THEN\n                {insert};\n"
                        "                SET CONSTRAINTS ALL IMMEDIATE;\n                RETURN;\n            END IF;\n"
                        "        END LOOP;\n")
        body = loop + deletion + addition + "    END LOOP;\n    " + _nothing(
            f"a {self.table.name} group that one row more or less would break") + "\n"
        yield Attempt(subject, self.table.name, f"a {', '.join(rule.columns)} group left breaking {check}",
                      _do(body, declare), "23514", rule.name)
        if rule.kind == "aggregate" and insert and len(self.key) == 1:
            # Valid: every row of a group copied into it again, in one statement, when the rule still holds.
            doubled = self.clone(self.copyable() + [f"src.{q(c)} = g.{q(c)}" for c in rule.columns], {})
            doubled = (doubled or "").replace(" LIMIT 1", "")
            body = (loop + f"        SELECT ({check}) INTO sw_ok FROM (SELECT * FROM {self.name} WHERE {match} UNION ALL "
                    f"SELECT * FROM {self.name} WHERE {match}) AS {self.name};\n"
                    f"        IF sw_ok AND NOT EXISTS (SELECT 1 FROM {self.name} AS src WHERE {match} AND NOT ({copyable})) "
                    "THEN\n"
                    f"            {doubled};\n            SET CONSTRAINTS ALL IMMEDIATE;\n            RETURN;\n"
                    "        END IF;\n    END LOOP;\n    " + _nothing(f"a {self.table.name} group that stays valid "
                                                               "with its rows added twice") + "\n")
            yield Attempt(subject, self.table.name, f"rows added to a {', '.join(rule.columns)} group that still "
                          f"satisfies {check}", _do(body, declare))

    def _parent_check(self, rule: m.Rule) -> Iterator[Attempt | NotTried]:
        subject = f"rule {rule.name}"
        fk = next((f for f in self.table.foreign_keys if f.columns == rule.columns), None)
        if fk is None:
            return
        key = ", ".join(_col(k) for k in self.key)
        sets = ", ".join(f"{q(c)} = parent.{q(r)}" for c, r in zip(fk.columns, fk.ref_columns))
        declare = (f"    parent {q(fk.ref_table)}%ROWTYPE;\n    r record;\n    sw_ok boolean;\n")
        rows = _all(self.changeable()) if not self.append_only else "false"

        def search(want: str, action: str) -> str:
            return (f"    FOR parent IN SELECT * FROM {q(fk.ref_table)} LIMIT {ROWS_TRIED} LOOP\n"
                    f"        FOR r IN SELECT {key} FROM {self.name} AS src WHERE {rows} LIMIT {ROWS_TRIED} LOOP\n"
                    f"            SELECT ({rule.expression}) INTO sw_ok FROM {self.name} WHERE {_key_match(self.key, 'r')};\n"
                    f"            IF sw_ok IS {want} THEN\n"
                    f"                {action};\n                SET CONSTRAINTS ALL IMMEDIATE;\n"
                    "                RETURN;\n            END IF;\n        END LOOP;\n    END LOOP;\n")

        update = f"UPDATE {self.name} SET {sets} WHERE {_key_match(self.key, 'r')}"
        yield Attempt(subject, self.table.name, f"a {self.table.name} row moved to a {fk.ref_table} row that "
                      f"breaks {rule.expression}", _do(search("FALSE", update) + "    " + _nothing(
                          f"a {self.table.name} row and a {fk.ref_table} row that break the rule") + "\n", declare),
                      "23514", rule.name)
        yield Attempt(subject, self.table.name, f"a {self.table.name} row moved to a {fk.ref_table} row that "
                      f"satisfies {rule.expression}", _do(search("TRUE", update) + "    " + _nothing(
                          f"a {self.table.name} row and a {fk.ref_table} row that satisfy the rule") + "\n", declare))
