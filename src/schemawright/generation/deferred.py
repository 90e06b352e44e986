"""Keys and secondary indexes built after the rows are loaded, as restore tools do.

A foreign key checked row by row costs a lookup in the parent per row, and every index is
maintained row by row; dropping the foreign keys, the primary and unique keys and the plain
indexes and creating them again once the rows are in checks each foreign key with one join and
builds each index with one sort.  The generator draws primary and unique key values unique by
construction, so a duplicate is a bug either way: the COPY found it before, the key's build finds
it now, and both fail the run.  Exclusion constraints and partial unique indexes stay, checked row
by row as before.  Only done on a schema this run created, inside one transaction with the load:
an error or an interruption rolls the drops back with the rows, so the schema is never left
without its keys.  Comments on the dropped objects are put back with them.

The audit-columns trigger (integrity/audit.py) is off while rows load too: it only sets
created_by and updated_by on INSERT, which the columns' defaults set to the same value, so the
generator leaves those two columns to the defaults (TableGenerator's `defaulted`) instead of a
PL/pgSQL call per row, which triples the cost of inserting a narrow row.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from schemawright import model as m
from schemawright.database import Database, DatabaseError
from schemawright.generation.columns import GenerationError
from schemawright.integrity.audit import AUDIT_COLUMNS_FUNCTION
from schemawright.sql.postgresql import PostgresGenerator
from schemawright.sql.quoting import quote_ident as q
from schemawright.sql.quoting import quote_literal

_FOREIGN_KEYS = """
SELECT (SELECT relname FROM pg_class WHERE oid = c.conrelid)::text, c.conname::text, pg_get_constraintdef(c.oid),
       obj_description(c.oid, 'pg_constraint')
FROM pg_constraint c
WHERE c.contype = 'f' AND c.conparentid = 0 AND c.conrelid = ANY(%s::regclass[])
ORDER BY 1, 2
"""
_KEYS = """
SELECT (SELECT relname FROM pg_class WHERE oid = c.conrelid)::text, c.conname::text, pg_get_constraintdef(c.oid),
       obj_description(c.oid, 'pg_constraint')
FROM pg_constraint c
WHERE c.contype IN ('p', 'u') AND c.conparentid = 0 AND c.conrelid = ANY(%s::regclass[])
ORDER BY 1, 2
"""
_INDEXES = """
SELECT (SELECT relname FROM pg_class WHERE oid = i.indexrelid)::text, pg_get_indexdef(i.indexrelid),
       obj_description(i.indexrelid, 'pg_class')
FROM pg_index i
WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisunique AND NOT i.indisexclusion AND NOT i.indisprimary
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
  AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid)
ORDER BY 1
"""


@dataclass(frozen=True)
class _Deferred:
    drop: str
    create: str
    comment: str | None


def _deferred(db: Database, design: m.Design) -> list[_Deferred]:
    tables = [q(t.name) for t in design.tables]
    sql = PostgresGenerator()
    out = []
    for table, name, definition, comment in db.query(_KEYS, [tables]):  # first: foreign keys need them
        out.append(_Deferred(sql.drop_constraint_sql(table, name), sql.add_constraint_definition_sql(table, name, definition),
                             sql.constraint_comment_sql(name, table, comment) if comment else None))
    for name, definition, comment in db.query(_INDEXES, [tables]):
        create = definition.replace(" ON ONLY ", " ON ", 1)  # a partitioned table's index covers its partitions
        out.append(_Deferred(sql.drop_index_sql(name), create,
                             sql.comment_sql("INDEX", name, comment) if comment else None))
    for table, name, definition, comment in db.query(_FOREIGN_KEYS, [tables]):
        out.append(_Deferred(sql.drop_constraint_sql(table, name), sql.add_constraint_definition_sql(table, name, definition),
                             sql.constraint_comment_sql(name, table, comment) if comment else None))
    return out


@contextmanager
def keys_after_load(db: Database, design: m.Design) -> Iterator[None]:
    """Within the caller's transaction: keys and plain indexes dropped for the body, created
    again after it (primary and unique keys first, which foreign keys need, then indexes, so the
    foreign key checks may use them)."""
    deferred = _deferred(db, design)
    for item in reversed(deferred):
        db.execute(item.drop)
    yield
    db.execute("SET LOCAL maintenance_work_mem = '256MB'")
    for item in deferred:
        try:
            db.execute(item.create)
        except DatabaseError as error:
            raise GenerationError(f"the loaded rows break a key checked after loading ({error}); nothing was "
                                  "kept") from None
        if item.comment:
            db.execute(item.comment)


AUDIT_FILLED = ("created_by", "updated_by")  # what the audit trigger sets on INSERT, as their defaults do


def audit_triggers(db: Database, design: m.Design) -> dict[str, str]:
    """Table -> its audit-columns trigger, for the tables that have it in this database."""
    present = {name for (name,) in db.query("SELECT tgname::text FROM pg_trigger WHERE NOT tgisinternal")}
    out = {}
    for trigger in design.triggers:
        table = design.table(trigger.table)
        if trigger.function == AUDIT_COLUMNS_FUNCTION and trigger.name in present and table is not None and all(
                (column := table.column(c)) is not None and column.default for c in AUDIT_FILLED):
            out[trigger.table] = trigger.name
    return out


@contextmanager
def audit_paused(db: Database, triggers: dict[str, str]) -> Iterator[None]:
    sql = PostgresGenerator()
    for table, name in triggers.items():
        db.execute(sql.enable_trigger_sql(table, name, enabled=False))
    try:
        yield
    finally:
        for table, name in triggers.items():
            db.execute(sql.enable_trigger_sql(table, name, enabled=True))
