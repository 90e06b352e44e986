"""Synthetic rows and the business rules kept by triggers.

Rows drawn at random cannot satisfy a rule over a group (an entry's lines summing to zero)
or a life cycle (a row loaded as `completed` never went through `accepted`), so the rule
triggers are switched off while rows load, as restore tools load data before they check
it, and switched on again after.  Then the groups that break a `sum(column) = constant`
rule are balanced by adjusting one row each, so the proofs find groups that hold; the
groups still breaking a rule are counted and reported, never hidden.
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
from schemawright.validation.falsify import satisfy

_SQL = PostgresGenerator()


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
        broken = db.query_value(f"SELECT count(*) FROM (SELECT {per} FROM {q(table.name)} GROUP BY {per} "
                                f"HAVING ({rule.expression}) IS FALSE) AS g") if "parent." not in (
            rule.expression or "").lower() else None
        if broken:
            notes.append(f"rule {rule.name}: {broken} synthetic {', '.join(rule.columns)} groups break it "
                         "(loaded with the rule's triggers off)")
    return notes
