"""What the fast load (issue 14) relies on, and that nothing is lost for it.

The embedded server runs with SCRATCH_SETTINGS (wal_level = minimal ...), durability as shipped.
A fresh schema's tables are emptied in their load's savepoint and loaded with COPY ... FREEZE,
their primary, unique and foreign keys and plain indexes made after the rows: every row must be
there, frozen (all-visible without a VACUUM), the keys back and refusing what they should, no
WAL written for the rows at wal_level = minimal, and a table with a TRUNCATE trigger (an audit
trail) never emptied.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from helpers import LOCAL_PG15_URL, design_of, local_pg15_reachable

from schemawright.database import Database, DatabaseError, embedded_server, scratch_database
from schemawright.database.embedded import SCRATCH_SETTINGS
from schemawright.generation import generate, plan
from schemawright.generation.columns import ColumnGen

SPEC = """
project: freeze
entities:
  Account:
    attributes:
      email: {type: email, required: true, unique: true}
      joined_on: {type: date, required: true}
  Charge:
    attributes:
      reference: {type: string, max_length: 24, required: true, unique: true}
      amount: {type: money, precision: 12, scale: 2, required: true, min: 0}
      note: {type: string, max_length: 40, data: {null_fraction: 0.3}}
relationships:
  - {from: Account, to: Charge, type: one-to-many, required: true}
volumes:
  Account: {rows: 20000}
  Charge: {rows: 120000}
"""

TRAIL = """
project: trail
entities:
  Transfer:
    attributes:
      quantity: {type: integer, required: true, min: 1}
security:
  audit_trail: [Transfer]
volumes:
  Transfer: {rows: 500}
"""

_STATE = """
SELECT c.relname::text, c.relpages, c.relallvisible, pg_relation_size(c.oid)
FROM pg_class c WHERE c.relname = ANY(%s) ORDER BY 1
"""
_KEYS = """
SELECT conname::text, contype::text, convalidated FROM pg_constraint
WHERE connamespace = 'public'::regnamespace AND contype IN ('p', 'u', 'f') ORDER BY 1
"""


def test_the_embedded_server_runs_with_the_scratch_settings() -> None:
    with embedded_server() as url, Database(url) as db:
        shown = {name: db.query_value(f"SHOW {name}") for name in SCRATCH_SETTINGS}
        durability = db.query_value("SHOW fsync"), db.query_value("SHOW synchronous_commit")
    assert shown == SCRATCH_SETTINGS
    assert durability == ("on", "on")  # bench times COMMIT, the WAL flush: as a real server pays it


def test_settings_the_machine_cannot_give_leave_the_server_as_shipped(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine without the shared memory asked for still gets its embedded server, only slower."""
    monkeypatch.setitem(SCRATCH_SETTINGS, "shared_buffers", "100TB")
    with embedded_server() as url, Database(url) as db:
        assert (db.query_value("SHOW shared_buffers"), db.query_value("SHOW wal_level")) == ("128MB", "replica")


def _load(url: str, design) -> tuple[int, list[tuple]]:  # type: ignore[no-untyped-def]
    """Generate into `url`; the WAL bytes written meanwhile and each table's (name, pages,
    all-visible pages, bytes)."""
    with Database(url) as db:
        before = db.query_value("SELECT pg_current_wal_insert_lsn()")
        generate(design, url, scale=1.0, seed=3)
        wal = db.query_value("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), %s)::bigint", [before])
        return wal, db.query(_STATE, [[t.name for t in design.tables]])


def test_a_fresh_load_is_complete_frozen_and_keyed(pg_url: str) -> None:
    design = design_of(SPEC)
    with scratch_database(pg_url) as url:
        wal, tables = _load(url, design)
        with Database(url) as db:
            counts = {t.name: db.query_value(f"SELECT count(*) FROM {t.name}") for t in design.tables}
            keys = db.query(_KEYS)
            minimal = db.query_value("SHOW wal_level") == "minimal"
            with pytest.raises(DatabaseError) as duplicate, db.transaction():
                db.execute("INSERT INTO charges (account_id, reference, amount) "
                           "SELECT account_id, reference, amount FROM charges LIMIT 1")
            with pytest.raises(DatabaseError) as orphan, db.transaction():
                db.execute("INSERT INTO charges (account_id, reference, amount) VALUES (-1, 'none of them', 1)")
            with pytest.raises(DatabaseError) as twice, db.transaction():
                db.execute("INSERT INTO accounts (id, email, joined_on) OVERRIDING SYSTEM VALUE "
                           "SELECT id, 'x' || email, joined_on FROM accounts LIMIT 1")
    assert counts == plan(design, 1.0) == {"accounts": 20000, "charges": 120000}
    # COPY ... FREEZE marks a page all-visible (and frozen) when it fills it from empty in one go; a
    # page it goes on filling after flushing its buffer is not (84 % and 95 % of the pages here).
    # Without FREEZE none is, until a VACUUM.
    for name, pages, visible, _ in tables:
        assert pages > 0 and visible > pages / 2, f"{name}: {visible} of {pages} pages all-visible (not frozen)"
    assert {(name, kind) for name, kind, _ in keys} == {
        ("pk_accounts", "p"), ("uq_accounts_email", "u"), ("pk_charges", "p"), ("uq_charges_reference", "u"),
        ("fk_charges_account_id", "f")}
    assert all(valid for _, _, valid in keys)
    assert (duplicate.value.sqlstate, duplicate.value.constraint) == ("23505", "uq_charges_reference")
    assert (orphan.value.sqlstate, orphan.value.constraint) == ("23503", "fk_charges_account_id")
    assert (twice.value.sqlstate, twice.value.constraint) == ("23505", "pk_accounts")
    if minimal:  # the embedded server: rows loaded into a table emptied in the transaction write no WAL...
        heap = sum(size for *_, size in tables)
        # ...but COMMIT writes a relation under wal_skip_threshold (2MB: accounts, some indexes) to WAL
        # whole rather than fsync it: 37 % of the rows' bytes here, 92 % when every row is logged
        assert wal < heap / 2, f"{wal:,} bytes of WAL for {heap:,} bytes of rows"


def test_a_table_with_a_truncate_trigger_is_never_emptied(pg_url: str) -> None:
    """An audit trail records a TRUNCATE of an audited table and refuses one of its own."""
    design = design_of(TRAIL)
    with scratch_database(pg_url) as url:
        generate(design, url, scale=1.0, seed=1)
        with Database(url) as db:
            truncations = db.query_value("SELECT count(*) FROM audit_trail WHERE action = 'TRUNCATE'")
            rows = db.query_value("SELECT count(*) FROM transfers")
    assert (truncations, rows) == (0, 500)


@pytest.mark.skipif(not local_pg15_reachable(), reason="no local PostgreSQL 15 at " + LOCAL_PG15_URL)
def test_a_server_of_the_users_own_is_loaded_as_it_is_configured() -> None:
    """--database-url: nothing of the server's configuration is changed (its wal_level stays),
    and the load is frozen all the same (FREEZE needs no setting)."""
    design = design_of(SPEC)
    with Database(LOCAL_PG15_URL) as admin:
        level = admin.query_value("SHOW wal_level")
    with scratch_database(LOCAL_PG15_URL) as url:
        _, tables = _load(url, design)
    with Database(LOCAL_PG15_URL) as admin:
        assert admin.query_value("SHOW wal_level") == level
    assert all(pages > 0 and visible > pages / 2 for _, pages, visible, _ in tables)


@pytest.mark.parametrize("scale", [1, 2, 3, 6])
def test_numeric_values_render_as_decimal_writes_them(scale: int) -> None:
    """Rendered from the integer's digits (issue 14): short values, zero, negatives and the largest
    the fast path takes read as PostgreSQL's numeric would print them."""
    edges = [0, 1, -1, 10**scale - 1, 10**scale, -(10**scale), 2**50 - 1, -(2**50 - 1)]
    raw = np.concatenate([np.random.default_rng(scale).integers(-10**9, 10**9, 20_000), np.array(edges)])
    gen = ColumnGen(column=None, profile=None, kind="numeric", scale=scale)  # type: ignore[arg-type]
    assert gen.render(raw) == [str(Decimal(v).scaleb(-scale)) for v in raw.tolist()]
