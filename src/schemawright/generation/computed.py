"""Columns a CHECK defines from others (`line_total = quantity * unit_price - discount`),
computed exactly from the other columns' raw values, so the table loads straight with COPY
instead of through the staging table (one write of each row instead of two).

Only sums, differences and products of integer and numeric columns and number literals are
computed here, in integers of 10^-scale units (numeric(12,2) 19.99 is 1999 at scale 2), so the
value is the one PostgreSQL's numeric arithmetic gives; anything else (division, functions,
values beyond 2^62) stays with the staging table, where PostgreSQL computes it.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import sqlglot
from sqlglot import exp

from schemawright import model as m
from schemawright.generation.columns import ColumnGen
from schemawright.validation.rules import column_name

_NUMBERS = ("int", "numeric")
_LIMIT = 2 ** 62
Value = tuple[np.ndarray, int, np.ndarray | None]  # units, scale (digits after the point), NULLs


def computable(tree: exp.Expression, gens: dict[str, ColumnGen]) -> bool:
    for node in tree.walk():
        if isinstance(node, exp.Column):
            gen = gens.get(column_name(node) or "")
            if gen is None or gen.kind not in _NUMBERS:
                return False
        elif isinstance(node, exp.Literal):
            if node.is_string:
                return False
        elif isinstance(node, exp.Identifier) and isinstance(node.parent, exp.Column):
            continue  # the column's own name
        elif not isinstance(node, (exp.Paren, exp.Neg, exp.Add, exp.Sub, exp.Mul)):
            return False
    return True


def defining_checks(table: m.Table, names: set[str]) -> set[str]:
    """Names of the CHECKs that say no more than `column = expression` for a computed column."""
    out = set()
    for check in table.checks:
        try:
            tree = sqlglot.parse_one(check.expression, read="postgres")
        except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
            continue
        while isinstance(tree, exp.Paren):
            tree = tree.this
        if isinstance(tree, exp.EQ) and any(column_name(side) in names for side in (tree.this, tree.expression)
                                            if isinstance(side, exp.Column)):
            out.add(check.name)
    return out


def _rescale(value: Value, scale: int) -> Value:
    units, own, nulls = value
    return units * 10 ** (scale - own), scale, nulls


def _nulls(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    return b if a is None else a if b is None else (a | b)


def evaluate(tree: exp.Expression, raw: dict[str, np.ndarray], nulls: dict[str, np.ndarray | None],
             gens: dict[str, ColumnGen], rows: np.ndarray) -> Value | None:
    """The expression over `rows`, in integer units; None when a value could pass 2^62."""
    if isinstance(tree, exp.Paren):
        return evaluate(tree.this, raw, nulls, gens, rows)
    if isinstance(tree, exp.Column):
        name = column_name(tree)
        column_nulls = nulls.get(name)
        return (raw[name][rows].astype(np.int64), gens[name].scale if gens[name].kind == "numeric" else 0,
                column_nulls[rows] if column_nulls is not None else None)
    if isinstance(tree, exp.Literal):
        number = Decimal(tree.this)
        scale = max(0, -number.as_tuple().exponent)  # type: ignore[operator]
        return np.full(rows.size, int(number.scaleb(scale)), dtype=np.int64), scale, None
    if isinstance(tree, exp.Neg):
        inner = evaluate(tree.this, raw, nulls, gens, rows)
        return None if inner is None else (-inner[0], inner[1], inner[2])
    left = evaluate(tree.this, raw, nulls, gens, rows)
    right = evaluate(tree.expression, raw, nulls, gens, rows)
    if left is None or right is None:
        return None
    if isinstance(tree, exp.Mul):
        bound = float(np.abs(left[0]).max(initial=0)) * float(np.abs(right[0]).max(initial=0))
        if bound >= _LIMIT:
            return None
        return left[0] * right[0], left[1] + right[1], _nulls(left[2], right[2])
    scale = max(left[1], right[1])
    a, b = _rescale(left, scale), _rescale(right, scale)
    if float(np.abs(a[0]).max(initial=0)) + float(np.abs(b[0]).max(initial=0)) >= _LIMIT:
        return None
    units = a[0] + b[0] if isinstance(tree, exp.Add) else a[0] - b[0]
    return units, scale, _nulls(a[2], b[2])


def stored(value: Value, target: ColumnGen) -> tuple[np.ndarray, np.ndarray]:
    """The target column's raw values, and the rows it cannot hold: out of its bounds, more
    digits after the point than it keeps (the CHECK's equality would fail), NULL where required."""
    units, scale, nulls = value
    keep = target.scale if target.kind == "numeric" else 0
    if scale > keep:
        factor = 10 ** (scale - keep)
        bad = units % factor != 0
        units = units // factor
    else:
        units, bad = units * 10 ** (keep - scale), np.zeros(units.size, dtype=bool)
    low = target.floor if target.floor is not None else -_LIMIT
    high = target.cap if target.cap is not None else _LIMIT
    bad |= (units < low) | (units > high)
    if nulls is not None:
        bad = bad & ~nulls if target.column.nullable else (bad | nulls)
    return units, bad
