"""Parents with room for one more row: an inserted row must not break its group's `aggregate` rule.

A rule like warehouse's `stock_fits_position` (`coalesce(sum(quantity), 0) <=
parent.max_quantity` per stock position) refuses a receipt into a position already near its
capacity, at commit.  Synthetic data fills groups close to what the rule allows (40 M movements
over 600,000 positions at full volume), so a parent drawn blindly is refused about half the time
alone and, under `bench --concurrent`, every time a run lands on a full one.  An application
posts receipts where there is room; so does the draw: for each such rule over the foreign key
being drawn, the parent must pass the rule's check over its group's stored rows plus the row
the pattern inserts (its values as the base binding gives them, constants as the INSERT
writes them, NULL where neither says).

The check costs one index probe of the group per candidate parent, so it is applied to a
random sample of SAMPLE_FACTOR times the parents wanted, not to the whole parent table.
"""

from __future__ import annotations

from sqlglot import exp

from schemawright import model as m
from schemawright.integrity.invariants import table_of
from schemawright.sql.parsed import shared_tree
from schemawright.sql.quoting import quote_ident, quote_literal
from schemawright.sql.qualify import qualified, read_from

SAMPLE_FACTOR = 4  # candidate parents sampled per parent wanted before the check filters them


def inserted_constants(sql: str) -> dict[str, str]:
    """Columns an INSERT ... VALUES writes as a literal (`'receipt'`), as SQL text."""
    tree = shared_tree(sql)
    insert = tree.find(exp.Insert) if tree is not None else None
    schema = insert.this if insert is not None else None
    values = insert.expression if insert is not None else None
    if not isinstance(schema, exp.Schema) or not isinstance(values, exp.Values) or not values.expressions:
        return {}
    row = values.expressions[0].expressions
    columns = [c.name for c in schema.expressions]
    return {c: v.sql(dialect="postgres") for c, v in zip(columns, row)
            if isinstance(v, (exp.Literal, exp.Boolean, exp.Null))}


def room_conditions(design: m.Design, table: m.Table, fk: m.ForeignKey, alias: str,
                    known: dict[str, str | None]) -> list[str]:
    """Conditions on the parent (read as `alias`) that its group still passes each aggregate
    rule over `fk` with the inserted row added.  `known`: the inserted row's values by column
    (SQL literals already; None for NULL)."""
    out = []
    for rule in design.rules:
        if (rule.kind != "aggregate" or not rule.expression or table_of(design, rule.entity) is not table
                or tuple(rule.columns) != tuple(fk.columns)):
            continue
        check = qualified(rule.expression, "g", alias)
        read = read_from(check, "g") if check is not None else []
        if check is None or not read or any(table.column(c) is None for c in read):
            continue
        stored = ", ".join(f"c.{quote_ident(c)}" for c in read)
        new = ", ".join(f"({known[c] if known.get(c) is not None else 'NULL'})::{table.column(c).sql_type}"  # type: ignore[union-attr]
                        for c in read)
        same = " AND ".join(f"c.{quote_ident(c)} = {alias}.{quote_ident(r)}" for c, r in zip(fk.columns, fk.ref_columns))
        names = ", ".join(quote_ident(c) for c in read)
        out.append(f"(SELECT {check} FROM (SELECT {stored} FROM {quote_ident(table.name)} AS c WHERE {same} "
                   f"UNION ALL SELECT {new}) AS g({names})) IS TRUE")
    return out


def literal(value: str | None) -> str | None:
    """A drawn parameter value as an SQL literal (None stays NULL)."""
    return None if value is None else quote_literal(value)
