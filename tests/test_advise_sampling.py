"""`advise` without `--apply` on a live database reads parameter values from pg_stats and small
TABLESAMPLEs, never whole tables (issue 9: seq_tup_read of `orders` grew by 1.5 million).

The tables live in a scratch database on the machine's PostgreSQL 15 (HypoPG installed); the
test is skipped only when that server or its HypoPG package is absent.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import LOCAL_PG15_URL, require_pg15_hypopg
from schemawright.database import Database, scratch_database
from schemawright.validation.table_reads import SAMPLE_ROWS

ORDERS = 200_000
CUSTOMERS = 20_000
EVENTS = 100_000
APP = "sw_sampling_test"

DDL = f"""
CREATE EXTENSION hypopg;
CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL, region text NOT NULL);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers(id),
                     status text NOT NULL, placed_at timestamptz NOT NULL, total numeric(10,2),
                     tags text[] NOT NULL);
INSERT INTO customers SELECT g, 'user' || g || '@example.com', 'region ' || (g % 7) FROM generate_series(1, {CUSTOMERS}) g;
INSERT INTO orders SELECT g, 1 + (g * 7919) % {CUSTOMERS}, CASE WHEN g % 50 = 0 THEN 'open' ELSE 'paid' END,
                          timestamptz '2024-01-01' + g * interval '1 minute', (g % 500) + 0.99,
                          ARRAY['t' || (g % 13)]
FROM generate_series(1, {ORDERS}) g;
ANALYZE customers;
ANALYZE orders;
-- A table never analysed (VACUUM counts its rows but gathers no statistics): read by sampling.
CREATE TABLE events (id bigint PRIMARY KEY, kind text NOT NULL, at timestamptz NOT NULL)
    WITH (autovacuum_enabled = false);
INSERT INTO events SELECT g, 'kind ' || (g % 5), timestamptz '2024-01-01' + g * interval '1 second'
FROM generate_series(1, {EVENTS}) g;
"""

# Every way the binder draws a value: equality (alone and combined), a one-sided and a
# two-sided range, a join with a constant condition, an array element, an INSERT whose
# foreign key takes a parent's value, an UPDATE.
WORKLOAD = """\
-- name: by_customer
SELECT id FROM orders WHERE customer_id = :customer ORDER BY placed_at DESC LIMIT 20;
-- name: by_status_and_customer
SELECT id FROM orders WHERE status = :status AND customer_id = :customer;
-- name: since
SELECT count(*) FROM orders WHERE placed_at >= :since;
-- name: window
SELECT id FROM orders WHERE placed_at BETWEEN :a AND :b;
-- name: totals_over
SELECT id FROM orders WHERE total > :t;
-- name: by_email
SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.email = :email AND o.status = 'open';
-- name: by_region
SELECT c.id FROM customers c WHERE c.region = :region;
-- name: tagged
SELECT id FROM orders WHERE :tag = ANY(tags);
-- name: new_order
INSERT INTO orders (id, customer_id, status, placed_at, tags) VALUES (:id, :customer, 'open', now(), '{}');
-- name: close
UPDATE orders SET status = 'paid' WHERE id = :id;
-- name: events_of_kind
SELECT id FROM events WHERE kind = :kind AND at > :after;
"""


@pytest.fixture(scope="module")
def live_url() -> Iterator[str]:
    require_pg15_hypopg()
    with scratch_database(LOCAL_PG15_URL) as url:
        with Database(url) as db:
            db.execute(DDL)
            db.execute("VACUUM events")
        yield url


def _tuples_read(url: str) -> dict[str, int]:
    """seq_tup_read per table, once every other session's statistics have reached the server."""
    with Database(url) as db:
        db.execute("SELECT pg_stat_force_next_flush()")
        last: dict[str, int] | None = None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            # The advise backend reports its counters when it exits (or at most every second).
            busy = db.query_value("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [APP])
            db.execute("SELECT pg_stat_clear_snapshot()")
            now = dict(db.query("SELECT relname, seq_tup_read FROM pg_stat_user_tables"))
            if not busy and now == last:
                return now
            last = now
            time.sleep(1.2)
    raise AssertionError("statistics did not settle")


def _advise(url: str, workload: Path, *extra: str) -> subprocess.CompletedProcess:
    sep = "&" if "?" in url else "?"
    return subprocess.run([sys.executable, "-m", "schemawright.cli", "advise", "--database-url",
                           f"{url}{sep}application_name={APP}", "--workload", str(workload), *extra],
                          check=False, capture_output=True, text=True, timeout=300)


def test_advise_reads_statistics_and_samples_not_whole_tables(live_url: str, tmp_path: Path) -> None:
    workload = tmp_path / "workload.sql"
    workload.write_text(WORKLOAD, encoding="utf-8")
    before = _tuples_read(live_url)
    result = _advise(live_url, workload)
    after = _tuples_read(live_url)
    assert result.returncode == 0, result.stderr
    grown = {t: after[t] - before[t] for t in before}
    # A full scan of either table for one parameter would add the whole table.
    assert grown["orders"] < ORDERS / 10, grown
    assert grown["customers"] < CUSTOMERS, grown
    # events has no statistics: a few capped samples of it (SAMPLE_ROWS rows at most each).
    assert 0 < grown["events"] <= 3 * SAMPLE_ROWS < EVENTS, grown
    text = result.stdout
    line = next((ln for ln in text.splitlines() if ln.startswith("parameter values:")), "")
    assert "from pg_stats for" in line, text
    assert "% TABLESAMPLE of events (2 reads of at most 10,000 rows)" in line, text
    assert "TABLESAMPLE of orders" not in line and "TABLESAMPLE of customers" not in line, text
    # Every pattern was costed with the values drawn (none fell back to "not costed").
    assert "not costed" not in text, text
