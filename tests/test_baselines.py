"""The advisor's baselines (Extend, every single column, the floor) on a small schema, on real
PostgreSQL: the embedded server (what-if by real builds) and, when reachable, PostgreSQL 15
with HypoPG."""

from __future__ import annotations

import pytest

from helpers import LOCAL_PG15_URL, require_pg15_hypopg
from schemawright import model as m
from schemawright.database import Database, scratch_database
from schemawright.indexing.baselines import (
    all_single_columns,
    extend,
    floor,
    floor_candidates,
    no_index,
    workload_cost,
)
from schemawright.indexing.candidates import Candidate
from schemawright.indexing.select import advise_in, what_if_session


def _col(name: str, sql_type: str = "integer") -> m.Column:
    return m.Column(name=name, semantic="integer", sql_type=sql_type, nullable=False)


TABLES = (
    m.Table(name="events", columns=(_col("id", "bigint"), _col("a"), _col("b"), _col("c"), _col("pad", "text")),
            primary_key=m.PrimaryKey(name="pk_events", columns=("id",))),
    m.Table(name="notes", columns=(_col("id", "bigint"), _col("event_id", "bigint"), _col("body", "text")),
            primary_key=m.PrimaryKey(name="pk_notes", columns=("id",))),
)

DDL = """
CREATE TABLE events (id bigint PRIMARY KEY, a integer NOT NULL, b integer NOT NULL, c integer NOT NULL,
                     pad text NOT NULL);
CREATE TABLE notes (id bigint PRIMARY KEY, event_id bigint NOT NULL, body text NOT NULL);
INSERT INTO events SELECT g, g % 100, (g / 100) % 100, g, repeat('x', 60) FROM generate_series(1, 100000) g;
INSERT INTO notes SELECT g, 1 + (g * 7919) % 100000, 'note ' || g FROM generate_series(1, 50000) g;
"""

# a and b each match 1 % of the rows, together 0.01 %: the pair is the index to have.
PATTERNS = (
    m.AccessPattern(name="by_a_and_b", frequency=20, sql="SELECT pad FROM events WHERE a = 5 AND b = 7"),
    m.AccessPattern(name="c_window", frequency=5,
                    sql="SELECT id, c FROM events WHERE c BETWEEN 500 AND 600 ORDER BY c"),
    m.AccessPattern(name="notes_of_event", frequency=10,
                    sql="SELECT n.body FROM notes n JOIN events e ON e.id = n.event_id WHERE e.c = 42"),
)


def _design() -> m.Design:
    return m.Design(project="baselines", tables=TABLES, access_patterns=PATTERNS)


@pytest.fixture(scope="module", params=["embedded", "pg15"])
def session(request, pg_url: str):
    if request.param == "pg15":
        require_pg15_hypopg()
    server, whatif = (pg_url, "build") if request.param == "embedded" else (LOCAL_PG15_URL, "hypopg")
    with scratch_database(server) as url:
        with Database(url) as db:
            db.execute(DDL)
        with what_if_session(_design(), url, whatif=whatif) as found:
            assert found.engine.kind == whatif
            yield found


def test_extend_grows_a_chosen_index_by_one_attribute(session) -> None:
    result = extend(session, budget_bytes=session.data_bytes)
    labels = [c.label() for c in result.candidates]
    # (a) or (b) alone leaves 1 % of the rows to filter; Extend appends the other one.
    assert any(c.table == "events" and set(c.key_names[:2]) == {"a", "b"} for c in result.candidates), labels
    assert Candidate("notes", (("event_id", False),)) in result.candidates, labels
    assert result.cost < no_index(session).cost / 3
    assert result.size_bytes <= session.data_bytes and result.evaluations > 0


def test_extend_respects_the_budget(session) -> None:
    nothing = extend(session, budget_bytes=0)
    assert nothing.candidates == [] and nothing.cost == pytest.approx(no_index(session).cost)
    roomy = extend(session, budget_bytes=session.data_bytes)
    half = roomy.size_bytes // 2
    tight = extend(session, budget_bytes=half)
    assert tight.candidates and tight.candidates != roomy.candidates
    assert tight.size_bytes <= half
    assert no_index(session).cost > tight.cost >= roomy.cost


def test_single_columns_and_floor_bound_every_selection(session) -> None:
    base, singles, bottom = no_index(session), all_single_columns(session), floor(session)
    assert {c.key_names for c in singles.candidates} >= {("a",), ("b",), ("c",), ("event_id",)}
    assert all(len(c.keys) == 1 for c in singles.candidates)
    assert base.cost > singles.cost >= bottom.cost
    for budget in (0, session.data_bytes // 50, session.data_bytes):
        assert extend(session, budget).cost >= bottom.cost * 0.999
        assert advise_in(session, budget).cost_after >= bottom.cost * 0.999
    assert bottom.used and set(bottom.used) <= set(bottom.candidates)


def test_floor_candidates_are_every_permutation_but_not_the_primary_key(session) -> None:
    found = set(floor_candidates(session))
    events = {c.key_names for c in found if c.table == "events" and c.method == "btree" and not c.where}
    assert {("a", "b"), ("b", "a"), ("c", "id"), ("id", "c")} <= events
    assert ("a", "c") not in events  # no query reads both
    assert all(len(c.keys) <= 3 for c in found)
    assert ("id",) not in events  # the primary key already is that index
    assert floor_candidates(session) == sorted(found, key=Candidate.label)  # deterministic order


def test_ours_is_no_worse_than_extend(session) -> None:
    for budget in (session.data_bytes // 20, session.data_bytes):
        ours = advise_in(session, budget, min_gain=0.0)
        theirs = extend(session, budget)
        assert ours.cost_after <= theirs.cost * 1.001, (budget, [c.candidate.label() for c in ours.chosen],
                                                         [c.label() for c in theirs.candidates])
        assert ours.size_bytes <= budget and theirs.size_bytes <= budget
    cost = workload_cost(session, [Candidate("events", (("a", False), ("b", False)))])
    assert cost.used == (Candidate("events", (("a", False), ("b", False))),)
