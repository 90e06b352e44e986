"""Whether a pattern's timed runs measured the query the application runs: rows where there are rows.

A lookup whose parameters match nothing is an index probe that finds no row; its latency says
nothing about the pattern.  So:
- drawn parameter sets are tried once before timing (each run rolled back), and those that
  return or change no row are set aside while others do (`screen`), so the timed runs hit;
- a pattern whose every timed run still returned or changed no row, on tables that hold rows,
  is NOT MEASURED, never PASS (`not_measured`);
- so is one whose runs are far from the rows the spec says it returns (`returns: N`): more
  than RETURNS_FACTOR times fewer or more rows per run.
`returns: 0` says the pattern is meant to find nothing (a check that a name is free): its
empty runs are what it is for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sqlglot
from sqlglot import exp

from schemawright import model as m
from schemawright.database import Database, DatabaseError
from schemawright.sql.quoting import quote_ident
from schemawright.validation.rules import identifier_name

RETURNS_FACTOR = 4  # "about N rows": between N / 4 and 4 N rows per run
SCREEN_SAMPLE = 10  # the first parameter sets tried; when every one hits, the rest are not tried


def tables_read(sql: str, design: m.Design) -> tuple[str, ...]:
    """The design's tables the statement names, in order (the target of an INSERT ... VALUES excluded)."""
    try:
        tree = sqlglot.parse_one(sql, read="postgres")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
        return ()
    if tree is None:
        return ()
    target = None
    if isinstance(tree, exp.Insert) and isinstance(tree.expression, exp.Values):
        target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
    names = [identifier_name(t.args.get("this")) for t in tree.find_all(exp.Table) if t is not target]
    return tuple(dict.fromkeys(n for n in names if n and design.table(n) is not None))


def holding_rows(db: Database, tables: Sequence[str]) -> tuple[str, ...]:
    out = []
    for table in tables:
        try:
            if db.query_value(f"SELECT EXISTS (SELECT 1 FROM {quote_ident(table)})"):
                out.append(table)
        except DatabaseError:
            continue
    return tuple(out)


def not_measured(db: Database, design: m.Design, pattern: m.AccessPattern, rows: Sequence[int], *,
                 declared: bool = False) -> str | None:
    """Why timed runs that returned or changed `rows` rows each measured nothing worth a verdict
    (None: they did).  With `declared`, runs far from the spec's `returns` too (at the declared
    volumes: validate's few rows per table cannot give them)."""
    if not rows or pattern.returns == 0:
        return None
    mean = sum(rows) / len(rows)
    returns = pattern.returns if declared else None
    if returns is not None and not returns / RETURNS_FACTOR <= mean <= returns * RETURNS_FACTOR:
        return (f"{mean:,.1f} rows per run where the spec says about {returns:,} (`returns`): the data gave no "
                f"parameters that {'hit' if mean < returns else 'narrow it to'} that many, so the timing is "
                "of another query")
    if any(rows):
        return None
    full = holding_rows(db, tables_read(pattern.sql, design))
    if not full:
        return None  # nothing to find: empty runs are right
    verb = "returned" if pattern.kind == "read" else "changed"
    return (f"{verb} no row in any of its {len(rows)} timed runs although {', '.join(full)} "
            f"{'holds' if len(full) == 1 else 'hold'} rows: no parameters drawn from the data matched, so the "
            "timing is of a miss")


Run = Callable[[list[str | None]], int]  # runs one parameter set, rolled back; rows returned or changed


def screen(bindings: list[list[str | None]], run: Run) -> tuple[list[list[str | None]], int]:
    """`bindings` with the ones that find nothing set aside (the hits used again in their place),
    and how many were set aside.  A set that fails is kept: the timed run reports it."""
    if not bindings:
        return bindings, 0
    hits: list[list[str | None]] = []
    misses: list[list[str | None]] = []
    for i, binding in enumerate(bindings):
        if i == SCREEN_SAMPLE and not misses:
            return bindings, 0  # every one tried hits: the draws are sound, spare the other runs
        try:
            found = run(binding)
        except DatabaseError:
            found = 1
        (hits if found > 0 else misses).append(binding)
    if not hits:
        return bindings, 0  # nothing hits: time them as they are, the verdict says so
    # As many as were drawn (spares for refused ones included): hits used again when too few.
    return [hits[i % len(hits)] for i in range(len(bindings))], len(misses)
