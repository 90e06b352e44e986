"""How each access pattern is served, in one line a reviewer can trust.

The indexing step records which indexes serve which pattern (`Index.patterns`).  A pattern
no index lists is either served by a key PostgreSQL indexes anyway (primary key, unique
constraint), needs no index (an insert, an unfiltered read), or is NOT SERVED; telling
these apart needs the pattern's equality predicates, read here with sqlglot.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlglot
from sqlglot import exp

from schemawright.model import AccessPattern, Index, Table


@dataclass(frozen=True)
class Service:
    status: str  # "index", "key", "none-needed", "not-served"
    indexes: tuple[Index, ...] = ()
    detail: str = ""  # plain-text explanation for the non-index cases
    constraint: str = ""  # the PK / unique constraint serving it ...
    table: str = ""
    columns: tuple[str, ...] = ()  # ... its columns
    what: str = ""  # "primary key" or "unique constraint"
    tables: tuple[str, ...] = ()  # tables it reads, when it is not served by an index


def service(pattern: AccessPattern, tables: dict[str, Table], by_pattern: dict[str, list[Index]]) -> Service:
    """`tables` maps name -> Table; `by_pattern` pattern name -> the indexes listing it."""
    if by_pattern.get(pattern.name):
        return Service("index", tuple(by_pattern[pattern.name]))
    try:
        statement = sqlglot.parse_one(pattern.sql, read="postgres")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError) as error:
        return Service("not-served", detail=f"no index lists it, and its SQL could not be analysed ({_short(error)})")
    scanned = tuple(dict.fromkeys(t.name for t in statement.find_all(exp.Table) if t.name in tables))
    if isinstance(statement, exp.Insert) and not statement.find(exp.Where):
        return Service("none-needed", detail="an insert finds no rows, so it needs no index")
    if not statement.find(exp.Where) and not statement.find(exp.Order) and not statement.find(exp.Join):
        return Service("none-needed", detail="it has no filter, so it reads the whole table", tables=scanned)
    aliases = {t.alias_or_name: t.name for t in statement.find_all(exp.Table) if t.name in tables}
    # Every WHERE counts, CTEs and subqueries included: a key lookup anywhere is served.
    equal: dict[str, set[str]] = {}
    for where in statement.find_all(exp.Where):
        for name, cols in _equality_columns(where.this, aliases, tables).items():
            equal.setdefault(name, set()).update(cols)
    for name in sorted(equal):
        table = tables[name]
        for key_name, key_cols, what in _keys(table):
            if key_cols and key_cols[0] in equal[name]:
                covered = "" if set(key_cols) <= equal[name] else f"through its leading column {key_cols[0]}; "
                return Service("key", constraint=key_name, table=name, columns=tuple(key_cols), what=what,
                               detail=f"{covered}PostgreSQL indexes every {what}")
    return Service("not-served", detail="no index lists it, and its equality filters match no key", tables=scanned)


def _keys(table: Table) -> list[tuple[str, tuple[str, ...], str]]:
    keys = [(table.primary_key.name, table.primary_key.columns, "primary key")] if table.primary_key else []
    return keys + [(u.name, u.columns, "unique constraint") for u in table.uniques]


def _equality_columns(where: exp.Expression | None, aliases: dict[str, str],
                      tables: dict[str, Table]) -> dict[str, set[str]]:
    """table -> columns compared with `=` (or `IN`) in the top-level AND of the filter."""
    out: dict[str, set[str]] = {}
    conjuncts = list(where.flatten()) if isinstance(where, exp.And) else ([where] if where is not None else [])
    for term in conjuncts:
        if isinstance(term, exp.Paren):
            term = term.unnest()
        if isinstance(term, exp.EQ):
            sides = [s for s in (term.this, term.expression) if isinstance(s, exp.Column)]
            columns = sides if len(sides) == 1 else []  # col = col is a join, not a lookup
        elif isinstance(term, exp.In) and isinstance(term.this, exp.Column):
            columns = [term.this]
        else:
            continue
        for column in columns:
            table = _owner(column, aliases, tables)
            if table:
                out.setdefault(table, set()).add(column.name)
    return out


def _owner(column: exp.Column, aliases: dict[str, str], tables: dict[str, Table]) -> str | None:
    if column.table:
        return aliases.get(column.table)
    owners = [name for name in dict.fromkeys(aliases.values()) if tables[name].column(column.name)]
    return owners[0] if len(owners) == 1 else None


def _short(error: Exception) -> str:
    return str(error).splitlines()[0][:120]
