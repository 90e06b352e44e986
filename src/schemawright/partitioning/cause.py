"""Why a pattern that filters a partition key still reads every partition: the cause, read
from its SQL, for the hint of validate's pruning check.

PostgreSQL prunes with conditions of the form `key op value` that every row must meet (ANDed
at the top of WHERE or ON), where the value is fixed while the statement runs (a constant or
a parameter, or a stable expression for run-time pruning) and the operator belongs to the
key's operator family.  Each way a pattern can miss that has its own fix.
"""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp

from schemawright import model as m
from schemawright.sql import types as sql_types

_COMPARISONS = (exp.EQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Between, exp.In)


def no_pruning_cause(sql: str, design: m.Design, table: m.Table, param_types: dict[str, str]) -> str:
    """One sentence naming the first cause found, with its fix."""
    scheme = table.partitioning
    key = scheme.columns[0] if scheme else ""
    try:
        tree = sqlglot.parse_one(sql, read="postgres")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
        tree = None
    if tree is None:
        return "the SQL could not be read to say why; EXPLAIN it and look for the partitions it reads"
    names = _names_of(tree, table.name)
    columns = [c for c in tree.find_all(exp.Column) if c.name == key and (c.table in names or not c.table)]
    if not columns:
        return f"it names no column {key} of {table.name}"
    key_column = table.column(key)
    for column in columns:
        found = _cause(column, key, key_column, param_types)
        if found:
            return found
    return (f"PostgreSQL found no condition on {key} it can prune with (EXPLAIN shows every partition): compare "
            f"{key} itself with a value, ANDed with the rest of WHERE")


def compares_key_with_value(sql: str, table: m.Table) -> bool:
    """Does a condition compare the partition key, or an expression of it, with a value (no
    other column on the other side)?  Such a pattern means to narrow the key, so validate
    judges its pruning even when the key is wrapped (`due_on + 7 < :d`) and cannot prune."""
    key = table.partitioning.columns[0] if table.partitioning else ""
    try:
        tree = sqlglot.parse_one(sql, read="postgres")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
        return False
    if tree is None:
        return False
    names = _names_of(tree, table.name)
    for column in tree.find_all(exp.Column):
        if column.name != key or (column.table and column.table not in names):
            continue
        chain = _ancestors(column)
        comparison = next((n for n in chain if isinstance(n, _COMPARISONS)), None)
        if comparison is None or not isinstance(chain[-1].parent, (exp.Where, exp.Join, exp.Having)):
            continue
        sides = [comparison.this, comparison.expression] if not isinstance(comparison, (exp.Between, exp.In)) \
            else [comparison.this]
        beside = [x for x in sides if x is not None and column not in x.find_all(exp.Column)]
        if all(x.find(exp.Column) is None for x in beside):
            return True
    return False


def _names_of(tree: exp.Expression, table: str) -> set[str]:
    """The table's name and the aliases it has in the statement."""
    out = {table}
    for found in tree.find_all(exp.Table):
        if found.name == table and found.alias:
            out.add(found.alias)
    return out


def _cause(column: exp.Column, key: str, key_column: m.Column | None, param_types: dict[str, str]) -> str | None:
    chain = _ancestors(column)
    for node in chain:
        if isinstance(node, exp.Or):
            return (f"{key} is compared inside an OR (`{_short(node)}`), and PostgreSQL prunes only with "
                    "conditions every row must meet: split the query into a UNION ALL of one query per branch, "
                    f"or filter {key} outside the OR as well")
    comparison = next((n for n in chain if isinstance(n, _COMPARISONS)), None)
    if comparison is None:
        return None
    operand = chain[chain.index(comparison) - 1] if chain.index(comparison) else column
    while isinstance(operand, exp.Paren):
        operand = operand.this
    if operand is not column and column in operand.find_all(exp.Column):
        return (f"{key} is inside `{_short(operand)}`, and partitions are bounded by {key} itself, not by an "
                f"expression of it: compare {key} directly (e.g. `{key} >= :from AND {key} < :to` for one day "
                f"instead of `{key}::date = :day`)")
    other = comparison.expression if operand is comparison.this or column is comparison.this else comparison.this
    if other is not None and other.find(exp.Column) is not None:
        return (f"{key} is compared with another column (`{_short(comparison)}`), a value that changes row by "
                "row: only a nested loop can prune with it, one partition per outer row at run time; give the "
                f"query a range of {key} with parameters as well")
    return _type_mismatch(other, key, key_column, param_types)


def _ancestors(column: exp.Column) -> list[exp.Expression]:
    """The nodes from the column up to (not including) its WHERE, ON, HAVING or SELECT."""
    out: list[exp.Expression] = [column]
    parent = column.parent
    while parent is not None and not isinstance(parent, (exp.Where, exp.Join, exp.Having, exp.Select)):
        out.append(parent)
        parent = parent.parent
    return out


def _type_mismatch(other: exp.Expression | None, key: str, key_column: m.Column | None,
                   param_types: dict[str, str]) -> str | None:
    placeholder = other.find(exp.Placeholder) if other is not None else None
    if placeholder is None or key_column is None:
        return None
    given = param_types.get(placeholder.name, "")
    wanted = key_column.sql_type
    if given and sql_types.family(given) != sql_types.family(wanted) or \
            given and given.startswith("timestamp") != wanted.lower().startswith("timestamp"):
        return (f"the parameter :{placeholder.name} is {given} while {key} is {wanted}: a comparison across types "
                f"is not one PostgreSQL can prune with at plan time; cast the parameter (`:{placeholder.name}::"
                f"{wanted}`)")
    return None


def _short(node: exp.Expression) -> str:
    text = re.sub(r"%\((\w+)\)s", r":\1", node.sql(dialect="postgres"))  # parameters as the spec writes them
    return text if len(text) <= 80 else text[:77] + "..."
