"""What a database `generate` is pointed at already holds: the design's objects that are
missing from it, and the tables outside the design that emptying the design would reach.

Names are compared on the server (`text::name`), so they are cut to 63 bytes exactly as
PostgreSQL cut them when the objects were created.
"""

from __future__ import annotations

from schemawright import model as m
from schemawright.database import Database, DatabaseError

# Each query returns the given names (n, with the table t where there is one) that are absent.
_ABSENT_RELATIONS = "SELECT n FROM unnest(%s::text[]) n WHERE to_regclass(quote_ident(n)) IS NULL"
_ABSENT_COLUMNS = """
SELECT n FROM unnest(%s::text[]) n WHERE NOT EXISTS (SELECT 1 FROM pg_attribute
  WHERE attrelid = to_regclass(quote_ident(%s)) AND attname = n::name AND attnum > 0 AND NOT attisdropped
  AND (attnotnull OR NOT n = ANY(%s::text[])))
"""
_ABSENT_CONSTRAINTS = """
SELECT n FROM unnest(%s::text[]) n WHERE NOT EXISTS (SELECT 1 FROM pg_constraint
  WHERE conrelid = to_regclass(quote_ident(%s)) AND conname = n::name)
"""
_ABSENT_TRIGGERS = """
SELECT n, t FROM unnest(%s::text[], %s::text[]) x(n, t) WHERE NOT EXISTS (SELECT 1 FROM pg_trigger
  WHERE tgrelid = to_regclass(quote_ident(t)) AND tgname = n::name AND NOT tgisinternal)
"""
_ABSENT_INDEXES = """
SELECT n, t FROM unnest(%s::text[], %s::text[]) x(n, t) WHERE NOT EXISTS (SELECT 1 FROM pg_index
  WHERE indexrelid = to_regclass(quote_ident(n)) AND indrelid = to_regclass(quote_ident(t)))
"""
_ABSENT_FUNCTIONS = """
SELECT n FROM unnest(%s::text[]) n WHERE NOT EXISTS (SELECT 1 FROM pg_proc
  WHERE proname = n::name AND pg_function_is_visible(oid))
"""
# Kept objects whose name is the relation's own (an index kept from a script may have had its
# name chosen by PostgreSQL, so it is not looked up).
_KEPT_RELATIONS = ("table", "view", "materialized view", "sequence")
_ABSENT_TYPES = "SELECT n FROM unnest(%s::text[]) n WHERE to_regtype(quote_ident(n)) IS NULL"
_ABSENT_EXTENSIONS = "SELECT n FROM unnest(%s::text[]) n WHERE NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = n)"


def present_tables(db: Database, design: m.Design) -> list[str]:
    names = [t.name for t in design.tables]
    absent = {r[0] for r in db.query(_ABSENT_RELATIONS, [names])}
    return [n for n in names if n not in absent]


def missing_objects(db: Database, design: m.Design) -> list[str]:
    """Every object of the design the database lacks, as `kind name` (`on table` where it
    belongs to one): tables, columns and their NOT NULL, constraints, indexes, functions,
    triggers, enum types, views, extensions and the tables, views and sequences kept as SQL."""
    present = set(present_tables(db, design))
    absent_tables = {t.name for t in design.tables if t.name not in present}
    out = [f"table {t.name}" for t in design.tables if t.name in absent_tables]
    for table in design.tables:
        if table.name in absent_tables:
            continue
        required = [c.name for c in table.columns if not c.nullable]
        out += [f"column {table.name}.{n}" + (" (or its NOT NULL)" if n in required else "")
                for (n,) in db.query(_ABSENT_COLUMNS, [[c.name for c in table.columns], table.name, required])]
        constraints = ([table.primary_key.name] if table.primary_key else []) + [
            c.name for group in (table.foreign_keys, table.uniques, table.checks, table.exclusions) for c in group]
        out += [f"constraint {n} on {table.name}" for (n,) in db.query(_ABSENT_CONSTRAINTS, [constraints, table.name])]
    indexes = [i for i in design.indexes if i.table not in absent_tables]
    out += [f"index {n} on {t}" for n, t in db.query(_ABSENT_INDEXES, [[i.name for i in indexes],
                                                                        [i.table for i in indexes]])]
    out += [f"function {n}" for (n,) in db.query(_ABSENT_FUNCTIONS, [[f.name for f in design.functions]])]
    triggers = [t for t in design.triggers if t.table not in absent_tables]
    out += [f"trigger {n} on {t}" for n, t in db.query(_ABSENT_TRIGGERS, [[t.name for t in triggers],
                                                                           [t.table for t in triggers]])]
    out += [f"type {n}" for (n,) in db.query(_ABSENT_TYPES, [[e.name for e in design.enums]])]
    out += [f"view {n}" for (n,) in db.query(_ABSENT_RELATIONS, [[v.name for v in design.views]])]
    kept = [o.name for o in design.objects if o.sql and o.kind in _KEPT_RELATIONS]  # e.g. summary tables
    out += [f"relation {n}" for (n,) in db.query(_ABSENT_RELATIONS, [kept])]
    out += [f"extension {n}" for (n,) in db.query(_ABSENT_EXTENSIONS, [list(design.extensions)])]
    return out


# The tables TRUNCATE ... CASCADE would empty along with the given ones: every table with a
# foreign key to one of them, and so on, and every inheritance child (TRUNCATE empties those
# too).  The given tables' partitions count as theirs; a table inheriting from one of them
# without being a partition (INHERITS) is someone else's and is listed.
_REACH = """
WITH RECURSIVE family(oid) AS (
  SELECT to_regclass(n) FROM unnest(%s::text[]) n
  UNION SELECT c.oid FROM pg_inherits i JOIN family f ON i.inhparent = f.oid
    JOIN pg_class c ON c.oid = i.inhrelid AND c.relispartition
), reach(oid) AS (
  SELECT oid FROM family
  UNION SELECT next.oid FROM reach r, LATERAL (
    SELECT c.conrelid FROM pg_constraint c WHERE c.confrelid = r.oid AND c.contype = 'f'
    UNION ALL SELECT i.inhrelid FROM pg_inherits i WHERE i.inhparent = r.oid) next(oid)
)
SELECT r.oid, r.oid::regclass::text FROM reach r JOIN pg_class c ON c.oid = r.oid
WHERE r.oid NOT IN (SELECT oid FROM family)
  AND NOT (c.relispartition AND EXISTS (SELECT 1 FROM pg_inherits i JOIN reach p ON p.oid = i.inhparent
                                        WHERE i.inhrelid = r.oid))
ORDER BY 2
"""


def truncation_reach(db: Database, tables: list[str]) -> list[str]:
    """Tables outside `tables` (names as in SQL) that a TRUNCATE ... CASCADE of `tables`
    would empty, named as PostgreSQL prints them (quoted where needed, schema-qualified when
    not on the search path); a partition is not listed when its parent is (naming the
    parent empties it)."""
    return [name for _oid, name in db.query(_REACH, [tables])]


def resolve_tables(db: Database, names: list[str]) -> tuple[list[str], list[str]]:
    """The user's table names (as they would write them in SQL, `schema.table` allowed) as
    PostgreSQL prints them, and the names that match no table."""
    found: list[str] = []
    unknown = []
    for name in names:
        try:
            table = db.query_value("SELECT to_regclass(%s)::text", [name])
        except DatabaseError:  # not even a name (`a b`, `"x`)
            table = None
        if table is None:
            unknown.append(name)
        elif table not in found:
            found.append(table)
    return found, unknown
