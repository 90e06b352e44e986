"""How each access pattern is served, in one line a reviewer can trust.

The indexing step records which indexes serve which pattern (`Index.patterns`) and which
keys do (`AccessPattern.served_by`).  A pattern neither lists needs no index (an insert,
an unfiltered read) or is NOT SERVED; only that last distinction reads the SQL here.
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


def service(pattern: AccessPattern, tables: dict[str, Table], by_pattern: dict[str, list[Index]],
            planned: bool = False) -> Service:
    """`tables` maps name -> Table; `by_pattern` pattern name -> the indexes listing it;
    `planned`: the indexes were chosen by the planner at the declared volumes (served_by is
    what its plans use)."""
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
    # The indexing step recorded which key serves the pattern; the report only words it.
    for name in pattern.served_by:
        for table in tables.values():
            for key_name, key_cols, what in _keys(table):
                if key_name == name:
                    return Service("key", constraint=key_name, table=table.name, columns=tuple(key_cols), what=what,
                                   detail=f"PostgreSQL indexes every {what}")
    if planned:
        return Service("not-served", detail="at the declared volume the planner's plan for it uses no index: a scan "
                                            "is its cheapest plan, or no candidate index paid for its size and "
                                            "writes (the indexing decisions list each candidate and why)",
                       tables=scanned)
    return Service("not-served", detail="no index lists it, and its equality filters match no key", tables=scanned)


def _keys(table: Table) -> list[tuple[str, tuple[str, ...], str]]:
    keys = [(table.primary_key.name, table.primary_key.columns, "primary key")] if table.primary_key else []
    return keys + [(u.name, u.columns, "unique constraint") for u in table.uniques]


def _short(error: Exception) -> str:
    return str(error).splitlines()[0][:120]
