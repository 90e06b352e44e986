"""The deferred group check runs without JIT (integrity/invariants.py): its estimated cost grows
with the queue's size and the groups' rows, and past jit_above_cost a server built with LLVM
compiled the statement at every commit (ticketing at scale 0.05 on PostgreSQL 15: 12 ms a
ticket instead of 0.35 ms).  The session's own setting is back once the check has run.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from schemawright.database import Database, scratch_database
from schemawright.pipeline import design_from_spec, parse_spec
from schemawright.sql.postgresql import render_up

SPEC = """
project: group_check_jit
entities:
  Show:
    attributes:
      capacity: {type: integer, required: true}
  Ticket:
    attributes:
      status: {type: text, required: true}
relationships:
  - {from: Show, to: Ticket, type: one-to-many}
rules:
  - name: no_overselling
    entity: Ticket
    aggregate: {per: [show_id], check: "count(*) FILTER (WHERE status <> 'voided') <= parent.capacity"}
"""
SELL = ("WITH s AS (INSERT INTO shows (capacity) VALUES (2) RETURNING id) "
        "INSERT INTO tickets (show_id, status) SELECT id, 'live' FROM s")


@pytest.fixture(scope="module")
def url(pg_url: str) -> Iterator[str]:
    with scratch_database(pg_url) as url, Database(url) as db:
        db.execute(render_up(design_from_spec(parse_spec(SPEC, "group_check_jit.yaml"))))
        yield url


@pytest.mark.parametrize("setting", ["on", "off"])
def test_the_session_keeps_its_jit_setting(url: str, setting: str) -> None:
    with Database(url) as db:
        db.execute(f"SET jit = {setting}")
        with db.transaction(rollback=True):
            db.execute(SELL)
            db.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the check runs here
            assert db.query_value("SELECT count(*) FROM rule_checks_pending") == 0  # it did run
            assert db.query_value("SELECT current_setting('jit')") == setting


def test_the_check_is_not_compiled_even_when_every_statement_would_be(url: str) -> None:
    plans: list[str] = []
    with psycopg.connect(url, autocommit=True) as conn:
        if not conn.execute("SELECT pg_jit_available()").fetchone()[0]:
            pytest.skip("this server has no JIT (built without LLVM)")
        conn.add_notice_handler(lambda notice: plans.append(notice.message_primary or ""))
        for setting in ("LOAD 'auto_explain'", "SET auto_explain.log_min_duration = 0",
                        "SET auto_explain.log_nested_statements = on", "SET auto_explain.log_level = notice",
                        "SET jit = on", "SET jit_above_cost = 0"):
            conn.execute(setting)
        with conn.transaction(force_rollback=True):
            conn.execute(SELL)
            conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
    check = [p for p in plans if "sw_taken" in p]
    assert check and not any("JIT:" in p for p in check), check
    assert any("JIT:" in p for p in plans if "INSERT INTO shows" in p)  # JIT was there to be had
