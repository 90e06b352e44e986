"""Who changed what: the audit columns filled from the session (integrity/audit.py) and the
append-only audit trail of the entities `security.audit_trail` names
(integrity/audit_trail.py), on a real server, as the application's role would write.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from schemawright import model as m
from schemawright.database import Database, DatabaseError, scratch_database
from schemawright.documentation.audit_trail import trail_as_machinery
from schemawright.documentation.site import docs_site
from schemawright.errors import SpecErrors
from schemawright.importers.postgresql_sql import import_postgresql_sql
from schemawright.integrity.audit_trail import APPEND_ONLY, AUDIT_TRAIL
from schemawright.pipeline import deliverables, design_from_spec, parse_spec
from schemawright.security.names import auditor_role, owner_role, role_name
from schemawright.sql.postgresql import render_down, render_up

# Roles belong to the whole cluster: a name per test process, so two runs on one server never meet.
PROJECT = f"audit_test_{os.getpid()}"
SPEC = f"""
project: {PROJECT}
audit: true
entities:
  Organization:
    attributes:
      name: {{type: string, max_length: 100, required: true}}
  Customer:
    attributes:
      email: {{type: string, max_length: 200, required: true, pii: true}}
      name: {{type: string, max_length: 100, required: true}}
  Order:
    attributes:
      total: {{type: decimal, precision: 12, scale: 2, required: true}}
  Tag:
    audit: false
    attributes:
      label: {{type: string, max_length: 40, required: true}}
relationships:
  - {{from: Organization, to: Customer, type: one-to-many, required: true}}
  - {{from: Organization, to: Order, type: one-to-many, required: true}}
  - {{from: Customer, to: Order, type: one-to-many, required: true}}
  - {{from: Order, to: Tag, type: many-to-many, name: order_tags}}
security:
  tenant_column: organization_id
  audit_trail: [Customer, Order, order_tags]
  roles:
    - {{name: app, read: ["*"], write: ["*"]}}
"""


@pytest.fixture(scope="module")
def design() -> m.Design:
    return design_from_spec(parse_spec(SPEC, "audit.yaml"))


@pytest.fixture()
def db(design: m.Design, pg_url: str) -> Iterator[Database]:
    with scratch_database(pg_url) as url, Database(url) as db:
        try:
            db.execute(render_up(design))
            db.execute("INSERT INTO organizations (name) VALUES ('acme'), ('globex')")
            db.execute("INSERT INTO tags (label) VALUES ('rush'), ('gift')")
            yield db
        finally:
            db.execute(render_down(design))  # the roles too: they outlive the database otherwise


def _as(db: Database, design: m.Design, user: str | None, tenant: int = 1, role: str = "app") -> None:
    """Inside a transaction: act as the spec role, for `user` (None: the setting is not set)."""
    db.execute(f"SET LOCAL ROLE {role_name(design, role) if role != 'owner' else owner_role(design)}")
    db.execute("SELECT set_config('app.tenant_id', %s, true)", [str(tenant)])
    if user is not None:
        db.execute("SELECT set_config('app.user_id', %s, true)", [user])


def _customer(db: Database, design: m.Design, user: str | None, email: str = "ann@example.com") -> int:
    with db.transaction():
        _as(db, design, user)
        return db.query_value("INSERT INTO customers (organization_id, email, name) VALUES (1, %s, 'Ann') "
                              "RETURNING id", [email])


def _trail(db: Database, where: str = "true") -> list[tuple]:
    return db.query(f"SELECT table_name, action, row_key, changed_by, organization_id, old_row, new_row "
                    f"FROM audit_trail WHERE {where} ORDER BY id")


# ---------------------------------------------------------------- audit columns


def test_created_by_and_updated_by_come_from_the_session_setting(db, design):
    customer = _customer(db, design, "alice")
    assert db.query("SELECT created_by, updated_by FROM customers WHERE id = %s", [customer]) == [("alice", "alice")]
    before = db.query_value("SELECT created_at FROM customers WHERE id = %s", [customer])
    with db.transaction():
        _as(db, design, "bob")
        # a client that tries to rewrite who and when created the row
        db.execute("UPDATE customers SET name = 'Ann B', created_by = 'mallory', created_at = '2000-01-01', "
                   "updated_by = 'mallory' WHERE id = %s", [customer])
    row = db.query("SELECT created_by, updated_by, created_at, updated_at > created_at FROM customers WHERE id = %s",
                   [customer])
    assert row == [("alice", "bob", before, True)]


def test_without_the_setting_the_database_role_is_recorded(db, design):
    app = role_name(design, "app")
    assert db.query("SELECT created_by, updated_by FROM customers WHERE id = %s",
                    [_customer(db, design, None)]) == [(app, app)]
    assert db.query("SELECT created_by FROM customers WHERE id = %s",  # an empty value counts as unset
                    [_customer(db, design, "", "bo@example.com")]) == [(app,)]


def test_a_copy_cannot_forge_who_wrote_the_rows(db, design):
    # the BEFORE trigger fires for COPY too: the value the load gives is replaced
    with db.transaction():
        db.execute("SELECT set_config('app.user_id', 'loader', true)")
        db.copy_in("COPY customers (organization_id, email, name, created_by, updated_by) FROM STDIN",
                   [b"1\tc1@example.com\tC1\tmallory\tmallory\n1\tc2@example.com\tC2\tmallory\tmallory\n"])
    assert db.query("SELECT DISTINCT created_by, updated_by FROM customers") == [("loader", "loader")]


# ---------------------------------------------------------------- the trail


def test_every_change_is_recorded_with_who_and_the_old_and_new_rows(db, design):
    customer = _customer(db, design, "alice")
    with db.transaction():
        _as(db, design, "bob")
        order = db.query_value("INSERT INTO orders (organization_id, customer_id, total) VALUES (1, %s, 10) "
                               "RETURNING id", [customer])
        db.execute("UPDATE orders SET total = 12.5 WHERE id = %s", [order])
        db.execute("INSERT INTO order_tags (organization_id, order_id, tag_id) VALUES (1, %s, 1)", [order])
        db.execute("DELETE FROM order_tags WHERE order_id = %s", [order])
    rows = _trail(db)
    assert [(t, a, k, who, tenant) for t, a, k, who, tenant, _, _ in rows] == [
        ("customers", "INSERT", {"id": customer}, "alice", 1),
        ("orders", "INSERT", {"id": order}, "bob", 1),
        ("orders", "UPDATE", {"id": order}, "bob", 1),
        ("order_tags", "INSERT", {"order_id": order, "tag_id": 1}, "bob", 1),
        ("order_tags", "DELETE", {"order_id": order, "tag_id": 1}, "bob", 1)]
    inserted, updated = rows[1], rows[2]
    assert inserted[5] is None and inserted[6]["total"] == 10 and inserted[6]["created_by"] == "bob"
    assert (updated[5]["total"], updated[6]["total"]) == (10, 12.5)
    assert rows[4][5] == {"organization_id": 1, "order_id": order, "tag_id": 1} and rows[4][6] is None
    # PII (security.pii is mask by default) stays out of the trail; the row's other columns are there
    assert "email" not in rows[0][6] and rows[0][6]["name"] == "Ann"


def test_the_trail_names_the_login_when_the_setting_is_not_set(db, design):
    login = db.query_value("SELECT session_user")
    _customer(db, design, None)
    # the row's created_by is the role in effect; the trail's function runs as the trail's owner, so it
    # names the login (SET ROLE does not change session_user)
    assert [(r[3], r[6]["created_by"]) for r in _trail(db)] == [(login, role_name(design, "app"))]


def test_a_bulk_insert_is_recorded_by_one_trigger_call(db, design):
    with db.transaction(rollback=True):
        db.execute("SET LOCAL track_functions = 'pl'")
        db.execute("INSERT INTO customers (organization_id, email, name) "
                   "SELECT 1, 'c' || i || '@example.com', 'C' || i FROM generate_series(1, 1000) AS i")
        assert db.query_value("SELECT count(*) FROM audit_trail WHERE action = 'INSERT'") == 1000
        assert db.query_value("SELECT calls FROM pg_stat_xact_user_functions "
                              "WHERE funcname = 'record_changes_customers'") == 1


def test_an_update_of_a_key_is_recorded_as_the_old_row_and_the_new_row(db, design):
    customer = _customer(db, design, "alice")
    db.execute("INSERT INTO orders (organization_id, customer_id, total) VALUES (1, %s, 1)", [customer])
    db.execute("INSERT INTO order_tags (organization_id, order_id, tag_id) VALUES (1, 1, 1)")
    db.execute("UPDATE order_tags SET tag_id = 2")
    updates = [(r[2], r[5] is None, r[6] is None) for r in _trail(db, "action = 'UPDATE'")]
    assert sorted(updates, key=str) == [({"order_id": 1, "tag_id": 1}, False, True),
                                        ({"order_id": 1, "tag_id": 2}, True, False)]


def test_truncate_of_an_audited_table_is_recorded(db, design):
    _customer(db, design, "alice")
    db.execute("TRUNCATE order_tags")
    assert [(r[0], r[1], r[2]) for r in _trail(db, "action = 'TRUNCATE'")] == [("order_tags", "TRUNCATE", None)]


@pytest.mark.parametrize("statement", ["UPDATE audit_trail SET changed_by = 'nobody'", "DELETE FROM audit_trail",
                                       "TRUNCATE audit_trail"])
@pytest.mark.parametrize("who", ["superuser", "owner"])
def test_the_trail_cannot_be_rewritten_even_by_its_owner(db, design, statement, who):
    _customer(db, design, "alice")
    with pytest.raises(DatabaseError) as refused, db.transaction():
        if who == "owner":
            db.execute(f"SET LOCAL ROLE {owner_role(design)}")
        db.execute(statement)
    assert (refused.value.sqlstate, refused.value.constraint) == ("23514", APPEND_ONLY)
    assert "append-only" in refused.value.message
    assert db.query_value("SELECT count(*) FROM audit_trail WHERE changed_by = 'alice'") == 1


def test_writers_record_changes_without_any_privilege_on_the_trail(db, design):
    _customer(db, design, "alice")  # as the app role: the trigger wrote the trail for it
    assert db.query_value("SELECT count(*) FROM audit_trail") == 1
    assert db.query_value("SELECT has_table_privilege(%s, 'audit_trail', 'SELECT')", [auditor_role(design)])
    app = role_name(design, "app")
    # nothing to forge entries with, and no read either: the trail has every tenant's rows
    held = {p for p in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE")
            if db.query_value("SELECT has_table_privilege(%s, 'audit_trail', %s)", [app, p])}
    assert held == set()
    with pytest.raises(DatabaseError) as refused, db.transaction():
        _as(db, design, "mallory")
        db.execute("INSERT INTO audit_trail (table_name, action, row_key, changed_by) "
                   "VALUES ('customers', 'DELETE', '{\"id\": 1}', 'alice')")
    assert refused.value.sqlstate == "42501"


# ---------------------------------------------------------------- spec and documentation


def _errors(text: str) -> str:
    with pytest.raises(SpecErrors) as caught:
        parse_spec(text, "bad.yaml")
    return str(caught.value)


def test_the_spec_refuses_an_audited_entity_without_a_key_or_a_table_named_like_the_trail():
    said = _errors("project: p\nnaming: {tables: singular}\nentities:\n  AuditTrail: {attributes: {note: string}}\n"
                   "  Reading:\n    primary_key: []\n    attributes: {value: integer}\n"
                   "security:\n  audit_trail: [Reading]\n")
    assert "bad.yaml:9:17" in said and "'Reading', whose table reading has no primary key" in said
    assert "bad.yaml:9:16" in said and "entity 'AuditTrail' is already designed under that name" in said


def test_the_spec_refuses_a_user_setting_that_is_not_a_custom_setting():
    said = _errors("project: p\nentities:\n  Thing: {attributes: {note: string}}\nsecurity:\n  user_setting: search_path\n")
    assert "bad.yaml:5:17" in said and "'search_path' is not a custom setting name" in said


def test_the_trail_is_machinery_described_by_the_dictionary_and_drawn_by_no_diagram(design):
    assert design.table(AUDIT_TRAIL) is None
    assert [o.kind for o in design.objects if o.name == AUDIT_TRAIL] == ["table"]
    files = deliverables(design)
    for name in ("erd.mmd", "erd.dot"):
        assert AUDIT_TRAIL not in files[name], name
    section = files["data-dictionary.md"].split('<a id="audit-trail"></a>', 1)[1]
    assert "[`customers`](#table-customers), [`orders`](#table-orders), [`order_tags`](#table-order-tags)" in section
    assert "`customers.email`" in section and "`trg_audit_trail_append_only`" in section
    site, _ = docs_site(design)
    assert not any(AUDIT_TRAIL in path for path in site) and AUDIT_TRAIL not in site["README.md"]


def test_a_schema_read_back_from_sql_keeps_the_trail_out_of_the_tables(design):
    read_back = import_postgresql_sql(render_up(design), "schema.sql")
    assert read_back.table(AUDIT_TRAIL) is not None  # what the importer sees ...
    kept = trail_as_machinery(read_back)
    assert kept.table(AUDIT_TRAIL) is None and any(o.name == AUDIT_TRAIL for o in kept.objects)
    # ... and only the trail's own shape is taken for it
    other = read_back.model_copy(update={"tables": tuple(
        t.model_copy(update={"columns": t.columns[:-1]}) if t.name == AUDIT_TRAIL else t for t in read_back.tables)})
    assert trail_as_machinery(other).table(AUDIT_TRAIL) is not None
