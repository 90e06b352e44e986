"""Spec SQL runs in the scratch database as a throw-away role that owns only that database.

Hostile but valid SQL in a spec (an access pattern that kills other sessions, a function
that drops or creates roles, a query of pg_authid) must reach nothing outside the scratch
database: `validate` reports it as FAIL (permission denied), a sentinel connection and a
sentinel role survive, and the sandbox role is gone afterwards.  `validate --database-url`
also works for a role that has only CREATEDB (no superuser, no CREATEROLE).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from helpers import LOCAL_PG15_URL, local_pg15_reachable

from schemawright.database import SCRATCH_PREFIX, Database, with_user
from schemawright.database.sandbox import SANDBOX_SUFFIX, sandboxed_database
from schemawright.pipeline import design_file
from schemawright.sql.postgresql import render_down, render_up
from schemawright.pipeline import validate
from schemawright.validation import ValidationReport

DENIED = re.compile(r"permission denied|must be (a )?superuser")  # how PostgreSQL 15 words some refusals
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SERVERS = [pytest.param("embedded", id="embedded"),
           pytest.param(LOCAL_PG15_URL, id="pg15", marks=pytest.mark.skipif(not local_pg15_reachable(),
                                                                           reason="no PostgreSQL on 127.0.0.1:5432"))]


@pytest.fixture(params=SERVERS)
def server(request: pytest.FixtureRequest, pg_url: str) -> str:
    return pg_url if request.param == "embedded" else request.param


def _validate(tmp_path: Path, spec_text: str, url: str) -> ValidationReport:
    spec = tmp_path / "spec.yaml"
    spec.write_text(spec_text)
    design = design_file(spec)
    return validate(design, render_up(design), render_down(design), database_url=url, rows=5, runs=2)


def _check(report: ValidationReport, name: str):
    found = [c for c in report.checks if c.name == name]
    assert found, f"no check {name!r} in {[c.name for c in report.checks]}"
    return found[0]


def _sandbox_roles(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        return {r[0] for r in conn.execute("SELECT rolname FROM pg_roles WHERE rolname LIKE %s",
                                           [SCRATCH_PREFIX + "%" + SANDBOX_SUFFIX])}


@pytest.fixture
def sentinel_role(server: str) -> Iterator[str]:
    name = f"sw_sentinel_{secrets.token_hex(4)}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{name}" NOLOGIN')
    yield name
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP ROLE IF EXISTS "{name}"')


HOSTILE = """\
project: hostile
entities:
  Item: {{attributes: {{n: integer}}}}
objects:
  - kind: function
    name: kill_others
    sql: |
      CREATE FUNCTION kill_others() RETURNS bigint LANGUAGE sql AS $body$
      SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE pid <> pg_backend_pid() $body$
  - kind: function
    name: drop_sentinel
    sql: |
      CREATE FUNCTION drop_sentinel() RETURNS int LANGUAGE plpgsql AS $body$
      BEGIN EXECUTE 'DROP ROLE {sentinel}'; RETURN 1; END $body$
  - kind: function
    name: create_role
    sql: |
      CREATE FUNCTION create_role() RETURNS int LANGUAGE plpgsql AS $body$
      BEGIN EXECUTE 'CREATE ROLE {evil} SUPERUSER LOGIN'; RETURN 1; END $body$
  - kind: function
    name: read_passwords
    sql: |
      CREATE FUNCTION read_passwords() RETURNS bigint LANGUAGE sql AS $body$
      SELECT count(rolpassword) FROM pg_authid $body$
access_patterns:
  - name: kill_others
    query: SELECT kill_others()
  - name: drop_a_role
    query: SELECT drop_sentinel()
  - name: create_a_role
    query: SELECT create_role()
  - name: read_passwords
    query: SELECT read_passwords()
  - name: harmless
    query: SELECT count(*) FROM items WHERE n > :n
"""


def test_hostile_spec_sql_reaches_nothing_outside_the_scratch_database(tmp_path: Path, server: str,
                                                                         sentinel_role: str) -> None:
    evil = f"sw_evil_{secrets.token_hex(4)}"
    with psycopg.connect(server, autocommit=True) as sentinel:
        before = _sandbox_roles(server)
        report = _validate(tmp_path, HOSTILE.format(sentinel=sentinel_role, evil=evil), server)
        assert sentinel.execute("SELECT 1").fetchone() == (1,)  # still connected: not terminated
        roles = {r[0] for r in sentinel.execute("SELECT rolname FROM pg_roles WHERE rolname IN (%s, %s)",
                                                [sentinel_role, evil])}
    assert roles == {sentinel_role}, "the spec dropped or created a role"
    for name in ("kill_others", "drop_a_role", "create_a_role", "read_passwords"):
        check = _check(report, f"pattern: {name}")
        assert check.status == "ERROR" and DENIED.search(check.detail), check
    assert _check(report, "pattern: harmless").status == "PASS"
    # The setup, the run and the clean-up all passed; only the hostile patterns failed.
    hostile = {f"pattern: {n}" for n in ("kill_others", "drop_a_role", "create_a_role", "read_passwords")}
    assert [c for c in report.checks if not c.passed and c.name not in hostile] == []
    sandbox = _check(report, "spec SQL sandboxed")
    assert sandbox.passed and SANDBOX_SUFFIX in sandbox.detail
    assert _check(report, "sandbox role dropped").passed
    assert _sandbox_roles(server) <= before  # (another run's role may have gone meanwhile)


def test_the_sandbox_role_owns_the_scratch_database_and_nothing_else(server: str) -> None:
    with sandboxed_database(server) as box:
        assert box.role and box.role.startswith(SCRATCH_PREFIX) and box.role.endswith(SANDBOX_SUFFIX)
        with Database(box.url) as db:
            assert db.query_value("SELECT current_user") == box.role
            attributes = db.query("SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls "
                                  "FROM pg_roles WHERE rolname = current_user")
            assert attributes == [(False, False, False, False, False)]
            assert db.query_value("SELECT pg_get_userbyid(datdba) FROM pg_database "
                                  "WHERE datname = current_database()") == box.role
            assert db.query_value("SELECT count(*) FROM pg_auth_members WHERE member = "
                                  "(SELECT oid FROM pg_roles WHERE rolname = current_user)") == 0
            db.execute("CREATE TABLE t (a int)")  # it may do anything inside its own database
        # Nobody but the owner (and superusers) may connect to the scratch database.
        with Database(server) as admin:
            assert not admin.query_value(
                "SELECT has_database_privilege('public', %s, 'CONNECT')", [box.database])
        role = box.role
    assert role not in _sandbox_roles(server)


def test_sandbox_role_is_dropped_when_the_run_fails(server: str) -> None:
    with pytest.raises(RuntimeError), sandboxed_database(server) as box:
        Database(box.url)  # an open connection must not stop the clean-up
        role = box.role
        raise RuntimeError("boom")
    assert role not in _sandbox_roles(server)


@pytest.fixture
def createdb_only(server: str) -> Iterator[str]:
    """A role with LOGIN and CREATEDB only, and a URL that logs in as it."""
    name = f"sw_createdb_{secrets.token_hex(4)}"
    password = secrets.token_hex(16)
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE \"{name}\" LOGIN CREATEDB PASSWORD '{password}'")
    yield with_user(server, name, password)
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP ROLE IF EXISTS "{name}"')


def test_validate_works_for_a_role_with_only_createdb(tmp_path: Path, createdb_only: str) -> None:
    # The shop example without its latency targets (a busy machine must not fail this test) and without
    # its security section (its roles need CREATEROLE: the next test).
    shop = re.sub(r"\n\s*latency_p95_ms:.*", "", (EXAMPLES / "shop.yaml").read_text())
    shop = re.sub(r"\nsecurity:\n(  .*\n|\s*\n)*", "\n", shop)
    report = _validate(tmp_path, shop, createdb_only)
    assert report.failures == [], report.failures
    assert "database empty after down migration" in {c.name for c in report.checks}
    # No CREATEROLE: the spec SQL ran as the user itself, and the report says so.
    assert any("no CREATEROLE" in note for note in report.notes), report.notes
    assert "spec SQL sandboxed" not in {c.name for c in report.checks}


def test_a_design_with_roles_needs_a_login_that_may_create_them(tmp_path: Path, createdb_only: str) -> None:
    spec = ("project: guarded\nentities:\n  Item: {attributes: {n: integer}}\n"
            "security:\n  roles:\n    - {name: reader, read: [Item]}\n")
    report = _validate(tmp_path, spec, createdb_only)
    [failure] = report.failures
    assert failure.name == "security: the design's roles made for the run" and "CREATEROLE" in failure.detail


def test_validate_with_createdb_only_still_fails_a_hostile_pattern(tmp_path: Path, createdb_only: str,
                                                                 server: str) -> None:
    with psycopg.connect(server, autocommit=True) as sentinel:
        report = _validate(tmp_path, HOSTILE.format(sentinel="sw_no_such_role", evil="sw_no_such_role_2"),
                           createdb_only)
        assert sentinel.execute("SELECT 1").fetchone() == (1,)
    assert _check(report, "pattern: kill_others").status == "ERROR"


def _available(url: str, extension: str) -> bool:
    with psycopg.connect(url) as conn:
        return bool(conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = %s", [extension]).fetchone())


def test_an_extension_the_role_may_not_create_is_created_for_it_and_kept(tmp_path: Path, server: str) -> None:
    if not _available(server, "hypopg"):
        pytest.skip("HypoPG is not installed on this server")
    spec = "project: ext\nextensions: [hypopg, pg_trgm]\nentities:\n  Item: {attributes: {n: integer}}\n"
    report = _validate(tmp_path, spec, server)
    assert report.failures == [], report.failures
    # hypopg (not trusted) was created by the user's login, pg_trgm (trusted) by the role itself.
    assert [n for n in report.notes if "extension" in n] == [
        "extension hypopg was created by postgres before the run (the sandbox role may not create it), so the "
        "down migration's DROP EXTENSION for it was skipped"]


def test_emptiness_sees_user_mappings_without_reading_pg_user_mapping(pg_url: str) -> None:
    from schemawright.database import with_database
    from schemawright.validation.emptiness import compare, snapshot

    if not _available(pg_url, "postgres_fdw"):
        pytest.skip("postgres_fdw is not installed on this server")
    with sandboxed_database(pg_url) as box:
        with Database(with_database(pg_url, box.database)) as admin:
            admin.execute("CREATE EXTENSION postgres_fdw")
            admin.execute("CREATE SERVER elsewhere FOREIGN DATA WRAPPER postgres_fdw")
            admin.execute(f'GRANT USAGE ON FOREIGN SERVER elsewhere TO "{box.role}"')
        with Database(box.url) as db:  # not a superuser: pg_user_mapping itself is closed to it
            before = snapshot(db)
            db.execute("CREATE USER MAPPING FOR CURRENT_USER SERVER elsewhere")
            left = compare(before, snapshot(db)).left_behind
    assert any(name.startswith("user mapping for") for name in left), left


def test_a_role_that_cannot_log_in_is_an_error_not_a_fallback_to_the_superuser() -> None:
    from schemawright.database import DatabaseError, embedded_server

    with embedded_server() as url:  # a private server whose pg_hba.conf we may change
        with Database(url) as admin:
            hba = Path(admin.query_value("SHOW hba_file"))
            hba.write_text("local all postgres trust\nlocal all all reject\n")
            admin.execute("SELECT pg_reload_conf()")
        with pytest.raises(DatabaseError, match="cannot log in as the sandbox role") as raised, \
                sandboxed_database(url):
            pytest.fail("the spec SQL would have run")
        assert "pg_hba.conf" in str(raised.value)
        with Database(url) as admin:  # nothing left behind
            assert admin.query("SELECT 1 FROM pg_roles WHERE rolname LIKE %s", [SCRATCH_PREFIX + "%"]) == []
            assert admin.query("SELECT 1 FROM pg_database WHERE datname LIKE %s", [SCRATCH_PREFIX + "%"]) == []


def test_a_login_with_createrole_but_not_superuser_makes_and_drops_the_sandbox(tmp_path: Path, server: str) -> None:
    name = f"sw_createrole_{secrets.token_hex(4)}"
    password = secrets.token_hex(16)
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE \"{name}\" LOGIN CREATEDB CREATEROLE PASSWORD '{password}'")
    try:
        report = _validate(tmp_path, HOSTILE.format(sentinel="sw_no_such_role", evil="sw_no_such_role_2"),
                           with_user(server, name, password))
        assert _check(report, "spec SQL sandboxed").passed
        assert _check(report, "pattern: kill_others").status == "ERROR"
        assert _check(report, "pattern: harmless").passed
        assert _check(report, "scratch database dropped").passed and _check(report, "sandbox role dropped").passed
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP ROLE IF EXISTS "{name}"')


def test_cleanup_survives_its_own_connection_being_terminated(pg_url: str) -> None:
    """Without a sandbox role the spec SQL runs as the user's login and may terminate that
    login's other sessions, the cleanup connection included: the database and role still go."""
    from schemawright.database.scratch import SANDBOX_SUFFIX, create_database, drop_database, drop_role, scratch_name

    name = scratch_name()
    role = name + SANDBOX_SUFFIX
    with Database(pg_url) as admin, psycopg.connect(pg_url, autocommit=True) as other:
        admin.execute(f'CREATE ROLE "{role}" NOLOGIN')
        create_database(admin, name)
        other.execute("SELECT pg_terminate_backend(%s)", [admin.query_value("SELECT pg_backend_pid()")])
        drop_database(admin, name)
        drop_role(admin, role)
        assert other.execute("SELECT count(*) FROM pg_database WHERE datname = %s", [name]).fetchone() == (0,)
        assert other.execute("SELECT count(*) FROM pg_roles WHERE rolname = %s", [role]).fetchone() == (0,)
