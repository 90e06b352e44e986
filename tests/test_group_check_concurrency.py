"""Group checks under concurrency (integrity/invariants.py): the queue's key of a group makes a
second writer of that group wait for the first and check with its rows in view, so two
sessions cannot oversell the last seat; writers of different groups do not wait for each
other (the transaction's marker row was once keyed by the rule alone, which made every writer
of the table wait for the one before it to commit: ~680 ticket inserts/s at most, issue 14).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from schemawright.database import Database, DatabaseError, scratch_database
from schemawright.pipeline import design_from_spec, parse_spec
from schemawright.sql.postgresql import render_up

SPEC = """
project: group_check_concurrency
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
INSERT = "INSERT INTO tickets (show_id, status) VALUES (%s, 'live')"


@pytest.fixture(scope="module")
def url(pg_url: str) -> Iterator[str]:
    with scratch_database(pg_url) as url, Database(url) as db:
        db.execute(render_up(design_from_spec(parse_spec(SPEC, "group_check_concurrency.yaml"))))
        yield url


@pytest.fixture()
def shows(url: str) -> Iterator[tuple[int, int]]:
    """Two shows with one seat each, none sold."""
    with Database(url) as db:
        db.execute("TRUNCATE tickets, shows")
        yield tuple(i for (i,) in db.query("INSERT INTO shows (capacity) VALUES (1), (1) RETURNING id"))


def test_writers_of_different_groups_do_not_wait_for_each_other(url: str, shows: tuple[int, int]) -> None:
    with Database(url) as first, Database(url) as second, first.transaction(rollback=True):
        first.execute(INSERT, [shows[0]])
        second.execute("SET lock_timeout = '2s'")  # waiting for the first would end in 55P03
        with second.transaction(rollback=True):
            second.execute(INSERT, [shows[1]])
            second.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_the_last_seat_taken_by_two_sessions_at_once_is_sold_once(url: str, shows: tuple[int, int]) -> None:
    refused: list[DatabaseError] = []
    pid: list[int] = []

    def second_session() -> None:
        with Database(url) as second:
            pid.append(second.query_value("SELECT pg_backend_pid()"))
            try:
                with second.transaction():
                    second.execute(INSERT, [shows[0]])  # waits for the first session's group key
            except DatabaseError as error:
                refused.append(error)

    with Database(url) as first:
        with first.transaction():
            first.execute(INSERT, [shows[0]])
            other = threading.Thread(target=second_session)
            other.start()
            deadline = time.monotonic() + 10
            # pg_locks, not pg_stat_activity: that one is read once per transaction
            while not pid or not first.query_value("SELECT count(*) FROM pg_locks WHERE NOT granted AND pid = %s", pid):
                assert time.monotonic() < deadline, "the second session never waited for the first"
                time.sleep(0.02)
        other.join(10)
        assert not other.is_alive()
        assert [e.sqlstate for e in refused] == ["23514"] and "rule no_overselling" in str(refused[0])
        assert first.query_value("SELECT count(*) FROM tickets WHERE show_id = %s", [shows[0]]) == 1
