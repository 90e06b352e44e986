"""The database layer on a real PostgreSQL: connections, errors, scratch databases, the
embedded server, and URL handling."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from schemawright.database import (
    SCRATCH_PREFIX,
    Database,
    DatabaseError,
    database_name,
    embedded_server,
    redact,
    scratch_database,
    with_database,
)
from schemawright.database.scratch import drop_database


def _databases(url: str) -> set[str]:
    with Database(url) as db:
        return {name for (name,) in db.query("SELECT datname FROM pg_database")}


def _others(names: set[str]) -> set[str]:
    # Other test runs may share the server: compare only databases that are not scratch ones.
    return {n for n in names if not n.startswith(SCRATCH_PREFIX)}


# ------------------------------------------------------------------ URLs


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://app:s3cret@db.example:5432/shop", "postgresql://app:***@db.example:5432/shop"),
        ("postgres://app@db.example/shop", "postgres://app@db.example/shop"),
        ("postgresql://postgres:@/postgres?host=/tmp/pg", "postgresql://postgres:@/postgres?host=/tmp/pg"),
        ("postgresql://u@h/db?sslmode=require&password=hunter2", "postgresql://u@h/db?sslmode=require&password=***"),
        ("host=db.example user=app password=s3cret dbname=shop", "host=db.example user=app password=*** dbname=shop"),
        ("host=h password='a b c' dbname=x", "host=h password=*** dbname=x"),
    ],
)
def test_redact_hides_passwords(url: str, expected: str) -> None:
    assert redact(url) == expected


def test_with_database_keeps_server_and_credentials() -> None:
    url = with_database("postgresql://app:pw@h:5433/postgres?host=/tmp/sock&dbname=other", "scratch_1")
    assert url == "postgresql://app:pw@h:5433/scratch_1?host=/tmp/sock"
    assert database_name(url) == "scratch_1"
    assert database_name(with_database("host=h user=u dbname=postgres", "scratch_2")) == "scratch_2"


# ------------------------------------------------------------------ Database


def test_query_execute_and_server_version(pg_url: str) -> None:
    with Database(pg_url) as db:
        assert db.query("SELECT %s::int + 1, 'a%%b'", [41]) == [(42, "a%b")]
        assert db.query_value("SELECT 'percent % kept without params'") == "percent % kept without params"
        assert db.server_version >= 130000
        assert db.execute("SELECT 1; SELECT 2") >= 0  # a script of several statements without params


def test_errors_carry_sqlstate_and_message(pg_url: str) -> None:
    with Database(pg_url) as db:
        with pytest.raises(DatabaseError) as caught:
            db.query("SELECT 1/0")
        assert caught.value.sqlstate == "22012"
        assert caught.value.is_data_error and not caught.value.is_integrity_error
        assert "division by zero" in str(caught.value)
        with pytest.raises(DatabaseError) as caught:
            db.query("SELECT nope FROM pg_class")
        assert caught.value.position == 8
        assert db.query_value("SELECT 1") == 1  # the connection is usable after an error


def test_connection_failure_is_a_database_error(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError):
        Database(f"postgresql://postgres@/postgres?host={tmp_path}&connect_timeout=2")


def test_transactions_commit_roll_back_and_nest(pg_url: str) -> None:
    with scratch_database(pg_url) as url, Database(url) as db:
        db.execute("CREATE TABLE t (id int PRIMARY KEY)")
        with db.transaction():
            db.execute("INSERT INTO t VALUES (1)")
            with pytest.raises(DatabaseError) as caught:
                with db.transaction():  # a savepoint: only this part is undone
                    db.execute("INSERT INTO t VALUES (1)")
            assert caught.value.is_integrity_error
            db.execute("INSERT INTO t VALUES (2)")
        with db.transaction(rollback=True):
            db.execute("INSERT INTO t VALUES (3)")
        assert db.query("SELECT id FROM t ORDER BY id") == [(1,), (2,)]


def test_prepared_statements_survive_rollbacks_and_drops(pg_url: str) -> None:
    # psycopg's automatic preparation would DEALLOCATE ALL after these; ours must stay.
    with scratch_database(pg_url) as url, Database(url) as db:
        db.execute("PREPARE p AS SELECT $1::int * 2")
        for i in range(10):
            db.query("SELECT %s::int", [i])
        with pytest.raises(DatabaseError), db.transaction():
            db.execute("SELECT nope")
        db.execute("CREATE TABLE x (a int); DROP TABLE x")
        assert db.query_value("EXECUTE p(21)") == 42


# ------------------------------------------------------------------ scratch databases


def test_scratch_database_is_created_and_dropped(pg_url: str) -> None:
    before = _databases(pg_url)
    with scratch_database(pg_url) as url:
        name = database_name(url)
        assert name is not None and name.startswith(SCRATCH_PREFIX)
        assert name not in before and name in _databases(pg_url)
        with Database(url) as db:
            assert db.query_value("SELECT current_database()") == name
            db.execute("CREATE TABLE t (a int)")
    after = _databases(pg_url)
    assert name not in after
    assert _others(after) == _others(before)


def test_scratch_database_is_dropped_on_error_and_with_open_connections(pg_url: str) -> None:
    with pytest.raises(RuntimeError), scratch_database(pg_url) as url:
        name = database_name(url)
        lingering = Database(url)  # still connected when the drop happens
        raise RuntimeError("boom")
    assert name not in _databases(pg_url)
    lingering.close()


def test_scratch_names_are_unique(pg_url: str) -> None:
    with scratch_database(pg_url) as first, scratch_database(pg_url) as second:
        assert database_name(first) != database_name(second)


def test_drop_refuses_anything_but_a_scratch_database(pg_url: str) -> None:
    with Database(pg_url) as admin:
        with pytest.raises(ValueError):
            drop_database(admin, "postgres")
    assert "postgres" in _databases(pg_url)


# ------------------------------------------------------------------ embedded server


def test_embedded_server_starts_and_cleans_up() -> None:
    with embedded_server() as url:
        host = dict(part.split("=", 1) for part in url.split("?", 1)[1].split("&"))["host"]
        with Database(url) as db:
            assert db.query_value("SELECT 1") == 1
    assert not Path(host).exists()
    assert not os.path.exists(Path(host).parent)


def test_redact_hides_passwords_of_every_scheme():
    from schemawright.database import redact

    assert redact("mysql+pymysql://root:s3cret@127.0.0.1:3306/test") == "mysql+pymysql://root:***@127.0.0.1:3306/test"
    assert redact("mariadb://u:pw@h/db") == "mariadb://u:***@h/db"
    assert redact("sqlite:///tmp/x.db") == "sqlite:///tmp/x.db"


def test_untimed_lifts_the_statement_timeout_and_puts_it_back(pg_url: str) -> None:
    """Maintenance that grows with the data (VACUUM of a full-volume load) runs untimed; the
    connection's own timeout stops the next slow statement again."""
    from schemawright.database import Database, DatabaseError

    with Database(pg_url, statement_timeout_ms=50) as db:
        with db.untimed():
            db.execute("SELECT pg_sleep(0.2)")  # would be cancelled at 50 ms
        assert db.query_value("SHOW statement_timeout") == "50ms"
        with pytest.raises(DatabaseError, match="statement timeout"):
            db.execute("SELECT pg_sleep(0.2)")
