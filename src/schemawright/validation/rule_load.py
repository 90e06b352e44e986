"""Synthetic rows and the business rules kept by triggers.

Rows drawn at random cannot satisfy a rule over a group (an entry's lines summing to zero)
or a life cycle (a row loaded as `completed` never went through `accepted`), so the rule
triggers are switched off while rows load, as restore tools load data before they check
it, and switched on again after.  Then the groups that break a `sum(column) = constant`
rule are balanced by adjusting one row each, and a group whose aggregate passes a bound its
parent holds (`sum(quantity) <= parent.max_quantity`) gets its parent's bound raised to what
it holds plus PARENT_HEADROOM (a position holding 35,009 units whose bins took 947), since a
child's values are tied by other rules (a receipt's quantity is positive) and the parent's
bound is one value; so the proofs find groups that hold, and writes find the room an
application's writes find.  The groups still breaking a rule are counted and reported, the
rules over parents included, never hidden.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlglot
from sqlglot import exp

from schemawright import model as m
from schemawright.database import Database, DatabaseError
from schemawright.integrity.invariants import table_of
from schemawright.sql.postgresql import PostgresGenerator
from schemawright.sql.quoting import quote_ident as q
from schemawright.sql.qualify import qualified, read_from
from schemawright.validation.falsify import satisfy

_SQL = PostgresGenerator()
PARENT_HEADROOM = 0.25  # a raised bound leaves this share of what the group holds free for new rows


def rule_triggers(design: m.Design) -> list[m.Trigger]:
    names = {name for rule in design.rules for name in rule.enforced_by}
    return [t for t in design.triggers if t.name in names and not t.deferred]


@contextmanager
def rules_paused(db: Database, design: m.Design) -> Iterator[None]:
    # Only the triggers the database has: one missing is reported by the proofs, not here.
    present = {name for (name,) in db.query("SELECT tgname::text FROM pg_trigger WHERE NOT tgisinternal")}
    triggers = [t for t in rule_triggers(design) if t.name in present]
    for trigger in triggers:
        db.execute(_SQL.enable_trigger_sql(trigger.table, trigger.name, enabled=False))
    try:
        yield
    finally:
        for trigger in triggers:
            db.execute(_SQL.enable_trigger_sql(trigger.table, trigger.name, enabled=True))


def _sum_rule(expression: str) -> tuple[str, str] | None:
    """(column, constant) of `sum(column) = constant` (alone or ANDed with other conditions), the
    form one row's change can balance."""
    try:
        tree = sqlglot.parse_one(expression, read="postgres")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
        return None
    for part in tree.flatten() if isinstance(tree, exp.And) else [tree]:  # `sum(amount) = 0 AND count(*) >= 2`
        if isinstance(part, exp.EQ) and isinstance(part.this, exp.Sum) and isinstance(part.this.this, exp.Column) \
                and isinstance(part.expression, (exp.Literal, exp.Neg)):
            return part.this.this.name, part.expression.sql(dialect="postgres")
    return None


def _parent_bounds(expression: str) -> list[tuple[str, str, bool]]:
    """(aggregate SQL, parent column, strict) of each `aggregate <= parent.col` conjunct (or `<`,
    or written the other way round)."""
    try:
        tree = sqlglot.parse_one(expression, read="postgres")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
        return []
    out = []
    for part in tree.flatten() if isinstance(tree, exp.And) else [tree]:
        if isinstance(part, (exp.LT, exp.LTE)):
            low, high, strict = part.this, part.expression, isinstance(part, exp.LT)
        elif isinstance(part, (exp.GT, exp.GTE)):
            low, high, strict = part.expression, part.this, isinstance(part, exp.GT)
        else:
            continue
        if (isinstance(high, exp.Column) and high.table.lower() == "parent" and low.find(exp.AggFunc) is not None
                and not any(c.table for c in low.find_all(exp.Column))):
            out.append((low.sql(dialect="postgres"), high.name, strict))
    return out


def _group_key(table: m.Table, rule: m.Rule) -> m.ForeignKey | None:
    """The foreign key whose columns are the rule's group (its parent), if one is."""
    return next((f for f in table.foreign_keys if tuple(f.columns) == tuple(rule.columns)), None)


def _raise_parent_bounds(db: Database, design: m.Design, table: m.Table, rule: m.Rule) -> str | None:
    """A parent whose group's aggregate passes its bound gets the bound raised (the docstring)."""
    fk = _group_key(table, rule)
    parent = design.table(fk.ref_table) if fk is not None else None
    bounds = _parent_bounds(rule.expression or "")
    if parent is None or fk is None or not bounds:
        return None
    per = ", ".join(q(c) for c in fk.columns)
    same = " AND ".join(f"p.{q(r)} = s.{q(c)}" for c, r in zip(fk.columns, fk.ref_columns))
    try:
        with db.transaction():
            for aggregate, column, strict in bounds:
                target = parent.column(column)
                if target is None:
                    continue
                value = f"(s.value + greatest({int(strict)}, ceil(s.value * {PARENT_HEADROOM})))::{target.sql_type}"
                db.execute(f"""UPDATE {q(parent.name)} AS p SET {q(column)} = {value}
                    FROM (SELECT {per}, {aggregate} AS value FROM {q(table.name)} GROUP BY {per}) AS s
                    WHERE {same} AND NOT (s.value {'<' if strict else '<='} p.{q(column)})""")
    except DatabaseError as error:
        return f"rule {rule.name}: the parents' bounds could not be raised to what the synthetic groups hold ({error.message})"
    return None


def _broken_groups(db: Database, design: m.Design, table: m.Table, rule: m.Rule) -> int | None:
    """Groups the rule refuses, reading the parent where the rule does; None when it cannot be read."""
    expression = rule.expression or "true"
    per = ", ".join(f"t.{q(c)}" for c in rule.columns)
    if "parent." not in expression.lower():
        return db.query_value(f"SELECT count(*) FROM (SELECT {per} FROM {q(table.name)} AS t GROUP BY {per} "
                              f"HAVING ({expression}) IS FALSE) AS g")
    fk = _group_key(table, rule)
    check = qualified(expression, "t", "p")
    if fk is None or check is None:
        return None
    read = read_from(check, "p")
    same = " AND ".join(f"p.{q(r)} = t.{q(c)}" for c, r in zip(fk.columns, fk.ref_columns))
    grouped = ", ".join([per] + [f"p.{q(c)}" for c in read])
    return db.query_value(f"SELECT count(*) FROM (SELECT 1 FROM {q(table.name)} AS t JOIN {q(fk.ref_table)} AS p ON "
                          f"{same} GROUP BY {grouped} HAVING ({check}) IS FALSE) AS g")


def _one_match_each(db: Database, table: m.Table, rule: m.Rule) -> str | None:
    """exactly_one: the first row of each group without a match is brought into the condition."""
    reach = satisfy(rule.condition or "", table)
    if not reach or table.primary_key is None:
        return None
    per = ", ".join(q(c) for c in rule.columns)
    key = ", ".join(q(c) for c in table.primary_key.columns)
    sets = ", ".join(f"{q(c)} = {v}" for c, v in reach.items())
    try:
        with db.transaction():
            db.execute(f"""UPDATE {q(table.name)} SET {sets} WHERE ({key}) IN (
                SELECT DISTINCT ON ({per}) {key} FROM {q(table.name)} AS t
                WHERE NOT EXISTS (SELECT 1 FROM {q(table.name)} AS m WHERE {' AND '.join(f'm.{q(c)} = t.{q(c)}' for c in rule.columns)}
                                  AND ({rule.condition}))
                ORDER BY {per}, {key})""")
    except DatabaseError as error:
        return f"rule {rule.name}: the synthetic groups could not be given their one row ({error.message})"
    return None


def balance_groups(db: Database, design: m.Design) -> list[str]:
    """Make the loaded groups satisfy their `sum(column) = constant` and exactly_one rules;
    report the rest."""
    notes = []
    for rule in design.rules:
        table = table_of(design, rule.entity)
        if rule.kind == "exactly_one" and table is not None:
            note = _one_match_each(db, table, rule)
            notes += [note] if note else []
            continue
        if rule.kind != "aggregate" or table is None or table.primary_key is None:
            continue
        per = ", ".join(q(c) for c in rule.columns)
        key = q(table.primary_key.columns[0])
        found = _sum_rule(rule.expression or "")
        if found and len(table.primary_key.columns) == 1:
            column, constant = found
            try:
                with db.transaction():
                    db.execute(f"""UPDATE {q(table.name)} AS t SET {q(column)} = t.{q(column)} - (s.total - {constant})
                        FROM (SELECT {per}, sum({q(column)}) AS total, max({key}) AS last FROM {q(table.name)}
                              GROUP BY {per}) AS s
                        WHERE t.{key} = s.last AND s.total <> {constant}""")
            except DatabaseError as error:
                notes.append(f"rule {rule.name}: the synthetic groups could not be balanced ({error.message})")
        raised = _raise_parent_bounds(db, design, table, rule)
        notes += [raised] if raised else []
        broken = _broken_groups(db, design, table, rule)
        if broken:
            notes.append(f"rule {rule.name}: {broken} synthetic {', '.join(rule.columns)} groups break it "
                         "(loaded with the rule's triggers off)")
    return notes
