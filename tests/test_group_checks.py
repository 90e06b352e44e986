"""The deferred group checks of `aggregate:` and `exactly_one:` rules (integrity/invariants.py)
run once per transaction, over every group it queued, in one statement: a bulk insert does
not pay a trigger call and three queries per group at commit (benchmarks/rule_overhead.py
measures it), and the rules still hold whatever the order of the writes.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from schemawright import model as m
from schemawright.database import Database, DatabaseError, scratch_database
from schemawright.pipeline import design_from_spec, parse_spec
from schemawright.sql.postgresql import render_up

SPEC = """
project: group_checks
entities:
  Entry:
    attributes:
      posted_on: {type: date, required: true}
  Line:
    attributes:
      amount: {type: decimal, precision: 12, scale: 2, required: true}
  Order:
    attributes:
      placed_on: {type: date, required: true}
  Item:
    attributes:
      quantity: {type: integer, required: true}
relationships:
  - {from: Entry, to: Line, type: one-to-many}
  - {from: Order, to: Item, type: one-to-many}
rules:
  - name: entry_balances
    entity: Line
    aggregate: {per: [entry_id], check: "sum(amount) = 0"}
  - name: order_has_items
    entity: Item
    aggregate: {per: [order_id], check: "count(*) >= 1 AND max(parent.placed_on) IS NOT NULL"}
"""


@pytest.fixture(scope="module")
def design() -> m.Design:
    return design_from_spec(parse_spec(SPEC, "group_checks.yaml"))


@pytest.fixture()
def db(design: m.Design, pg_url: str) -> Iterator[Database]:
    with scratch_database(pg_url) as url, Database(url) as db:
        db.execute(render_up(design))
        db.execute("SET track_functions = 'pl'")  # pg_stat_xact_user_functions counts the check's calls
        yield db


def _entries_with_lines(db: Database, entries: int, amounts: str = "ARRAY[10, -4, -6]") -> None:
    db.execute(f"INSERT INTO entries (posted_on) SELECT date '2025-01-01' + i FROM generate_series(1, {entries}) i")
    db.execute(f"INSERT INTO lines (entry_id, amount) SELECT e.id, a FROM entries e, unnest({amounts}) a")


def _calls(db: Database, function: str) -> int:
    return int(db.query_value("SELECT coalesce(sum(calls), 0) FROM pg_stat_xact_user_functions WHERE funcname = %s",
                              [function]))


def test_a_bulk_insert_is_checked_by_one_call(db: Database) -> None:
    with db.transaction(rollback=True):
        _entries_with_lines(db, 500)
        db.execute("SET CONSTRAINTS ALL IMMEDIATE")  # what COMMIT does, inside the transaction
        assert _calls(db, "check_lines_entry_balances") == 1  # one per group before
        assert db.query_value("SELECT count(*) FROM rule_checks_pending") == 0


def test_one_broken_group_among_many_is_refused_with_its_key(db: Database) -> None:
    _entries_with_lines(db, 300)
    with pytest.raises(DatabaseError) as refused:
        with db.transaction():
            _entries_with_lines(db, 300)
            db.execute("UPDATE lines SET amount = amount + 1 WHERE id = (SELECT max(id) FROM lines)")
    assert refused.value.sqlstate == "23514" and "rule entry_balances" in str(refused.value)
    broken = db.query_value("SELECT max(id) FROM entries") + 300  # the entries went with the rollback
    assert f"group {broken}" in str(refused.value)


def test_writes_after_the_checks_ran_are_checked_at_commit(db: Database) -> None:
    with pytest.raises(DatabaseError, match="rule entry_balances"):
        with db.transaction():
            _entries_with_lines(db, 2)
            db.execute("SET CONSTRAINTS ALL IMMEDIATE")  # checks and empties the queue
            db.execute("INSERT INTO lines (entry_id, amount) SELECT min(id), 5 FROM entries")
    assert db.query_value("SELECT count(*) FROM lines") == 0


def test_a_group_queued_in_a_rolled_back_savepoint_is_not_checked(db: Database) -> None:
    with db.transaction():
        _entries_with_lines(db, 2)
        with pytest.raises(DatabaseError):
            with db.transaction():  # a savepoint
                db.execute("INSERT INTO lines (entry_id, amount) SELECT min(id), 5 FROM entries")
                db.execute("SELECT 1 / 0")
        db.execute("INSERT INTO lines (entry_id, amount) SELECT max(id), 0 FROM entries")
    assert db.query_value("SELECT sum(amount) FROM lines") == 0


def test_an_empty_group_is_checked_only_when_the_rule_can_fail_on_it(db: Database) -> None:
    db.execute("INSERT INTO entries (posted_on) VALUES ('2025-02-01')")  # sum() of no lines is NULL: it holds
    assert db.query_value("SELECT count(*) FROM rule_checks_pending") == 0
    with pytest.raises(DatabaseError, match="rule order_has_items"):  # count(*) >= 1 fails on no items
        db.execute("INSERT INTO orders (placed_on) VALUES ('2025-02-01')")


def test_an_aggregate_of_the_parent_alone_is_read_group_by_group(db: Database) -> None:
    # max(parent.placed_on) would belong to the outer query of a join: each group is read on its own
    with db.transaction():
        db.execute("INSERT INTO orders (placed_on) SELECT date '2025-01-01' + i FROM generate_series(1, 50) i")
        db.execute("INSERT INTO items (order_id, quantity) SELECT id, 1 FROM orders")
    with pytest.raises(DatabaseError, match="rule order_has_items"):
        db.execute("DELETE FROM items WHERE order_id = (SELECT min(id) FROM orders)")


def test_the_parent_is_watched_only_where_the_check_reads_it(design: m.Design) -> None:
    triggers = {t.name for t in design.triggers}
    # sum(amount) over no lines is NULL, which holds: a new entry (an empty group) needs no check
    assert "trg_entries_entry_balances_insert" not in triggers
    assert "trg_orders_order_has_items_insert" in triggers  # count(*) >= 1 fails on an empty group
    assert "trg_entries_entry_balances_update" not in triggers  # sum(amount) reads nothing of the entry
    assert "trg_orders_order_has_items_update" in triggers  # parent.placed_on is read


def test_new_groups_of_a_bulk_insert_go_in_one_batch_row_and_are_still_checked(db: Database) -> None:
    """Lines of entries the same transaction inserted: one batch row for the statement instead of
    a row per entry (benchmarks/rule_overhead.py: the bulk insert's checks cost 7 % instead of 12 %),
    and an unbalanced entry among them is still refused at commit."""
    with db.transaction(rollback=True):
        db.execute("INSERT INTO entries (posted_on) SELECT date '2025-01-01' + i FROM generate_series(1, 40) i")
        db.execute("INSERT INTO lines (entry_id, amount) SELECT id, a FROM entries, unnest(ARRAY[5, -5]) a")
        rows = db.query("SELECT key, cardinality(keys) FROM rule_checks_pending WHERE rule = 'entry_balances'")
        batches = [n for key, n in rows if key.startswith("#")]
        assert batches == [40] and len(rows) == 2, rows  # the batch and the transaction's marker
    with pytest.raises(DatabaseError, match="rule entry_balances"):
        with db.transaction():
            db.execute("INSERT INTO entries (posted_on) SELECT date '2025-01-01' + i FROM generate_series(1, 40) i")
            db.execute("INSERT INTO lines (entry_id, amount) SELECT id, CASE WHEN id = (SELECT max(id) FROM entries) "
                       "AND a > 0 THEN 6 ELSE a END FROM entries, unnest(ARRAY[5, -5]) a")
    # A few groups, or groups whose entry an earlier transaction inserted, get a row each.
    _entries_with_lines(db, 3)
    with db.transaction(rollback=True):
        db.execute("INSERT INTO lines (entry_id, amount) SELECT id, 0 FROM entries")
        keys = [k for (k,) in db.query("SELECT key FROM rule_checks_pending WHERE rule = 'entry_balances'")]
        assert sorted(k for k in keys if not k.startswith("@")) == sorted(f".{i}" for (i,) in db.query("SELECT id FROM entries")), keys
