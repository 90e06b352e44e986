"""Proof that encrypted PII columns hold no plaintext on disk (security.pii: encrypt).

For each table with encrypted columns: decrypt a loaded value of each column with the run's
key (so the plaintext is one the table really holds), write the pages to disk (CHECKPOINT),
and search for the plaintext's bytes in every data file of the scratch database: the table,
its TOAST, every index, every other table (a copy, the audit trail).  Found is a FAIL.
The same search must find the plaintext in a control copy kept in clear, or the search
proves nothing (a value too short, a page not yet written): then the table FAILs as
"not proven", never PASS.

CHECKPOINT and reading a data file take a superuser (or pg_checkpoint and
pg_read_server_files): the admin's connection does both, from its own database, with the
file path the scratch database reports.  It runs nothing inside the scratch database.
"""

from __future__ import annotations

from collections.abc import Iterator

from schemawright import model as m
from schemawright.database import Database, DatabaseError
from schemawright.sql.postgresql import PostgresGenerator
from schemawright.sql.quoting import quote_ident as q
from schemawright.validation.plaintext import encrypted
from schemawright.validation.report import FAIL, NOT_TRIED, PASS, Check

MIN_LENGTH = 6  # shorter plaintexts ('ab') turn up by chance in any page
CONTROL = "sw_at_rest_control"
_CONTROL_TABLE = m.Table(name=CONTROL, columns=(m.Column(name="value", semantic="text", sql_type="text"),))
_SQL = PostgresGenerator()


def at_rest_checks(db: Database, admin_url: str, design: m.Design) -> Iterator[Check]:
    tables = [t for t in design.tables if encrypted(t)]
    if not tables:
        return
    try:
        with Database(admin_url) as admin:
            if not admin.query_value("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"):
                yield Check("PII at rest", NOT_TRIED, "reading data files takes a superuser login")
                return
            for table in tables:
                yield _table_check(db, admin, table)
    except DatabaseError as error:
        yield Check("PII at rest", FAIL, f"could not read the data files: {error.message}")


def _table_check(db: Database, admin: Database, table: m.Table) -> Check:
    name = f"PII at rest: {table.name}"
    columns = [c for c in table.columns if c.plaintext_type]
    found = []
    for column in columns:
        value = db.query_value(f"SELECT pii_decrypt({q(column.name)}) FROM {q(table.name)} WHERE "
                               f"char_length(pii_decrypt({q(column.name)})) >= {MIN_LENGTH} LIMIT 1")
        if value is not None:
            found.append((column.name, str(value)))
    if not found:
        return Check(name, FAIL, f"not proven: no loaded value of {', '.join(c.name for c in columns)} of "
                                 f"{MIN_LENGTH} characters or more to search for")
    db.execute(_SQL.drop_table_sql(CONTROL, if_exists=True))
    db.execute(_SQL.create_table_sql(_CONTROL_TABLE))
    try:
        for _, value in found:
            db.execute(f"INSERT INTO {CONTROL} VALUES (%s)", [value])
        admin.execute("CHECKPOINT")
        files = {relation: _read(admin, path) for relation, path in db.query(_FILES)}
    finally:
        db.execute(_SQL.drop_table_sql(CONTROL, if_exists=True))
    control = files.pop(CONTROL, b"")
    unseen = [c for c, v in found if v.encode() not in control]
    if unseen:
        return Check(name, FAIL, f"not proven: the search does not find {', '.join(unseen)} even in clear")
    leaks = sorted({f"{c} in {relation}" for c, v in found for relation, data in files.items() if v.encode() in data})
    if leaks:
        return Check(name, FAIL, "plaintext found on disk: " + "; ".join(leaks))
    size = sum(len(d) for d in files.values()) // 8192
    return Check(name, PASS, f"{len(found)} decrypted value(s) ({', '.join(c for c, _ in found)}) searched for in "
                             f"{len(files)} data files ({size} pages): absent; found in a clear control copy")


# Every relation with storage in the scratch database's own schemas: tables, TOAST, indexes, views' data.
_FILES = """
SELECT c.oid::regclass::text, pg_relation_filepath(c.oid)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'i', 't', 'm') AND pg_relation_filepath(c.oid) IS NOT NULL
  AND (n.nspname NOT IN ('pg_catalog', 'information_schema') OR c.relkind = 't')
  AND (c.relkind <> 't' OR c.oid IN (SELECT reltoastrelid FROM pg_class))
"""


def _read(admin: Database, path: str) -> bytes:
    """The relation's first segment (up to 1 GB: more than a validation run loads), '' when not yet written."""
    try:
        return bytes(admin.query_value("SELECT pg_read_binary_file(%s, 0, 1000000000, true)", [path]) or b"")
    except DatabaseError:
        return b""
