"""The security stage (security/roles.py, security/tenancy.py): roles and least-privilege
grants, tenant isolation by forced row-level security and tenant-keyed foreign keys, the
consistency functions under a role of their own; spec errors; and the DDL on a real server,
acting as the roles an application would use."""

from __future__ import annotations

import os
from collections.abc import Iterator

import psycopg
import pytest

from schemawright import model as m
from schemawright.database import scratch_database
from schemawright.errors import SpecErrors
from schemawright.pipeline import design_from_spec, parse_spec
from schemawright.security.names import checker_role, operator_role, owner_role, role_name
from schemawright.sql.postgresql import render_down, render_up

# Roles belong to the whole cluster: a name per test process, so two runs on one server never meet.
PROJECT = f"sec_test_{os.getpid()}"
SPEC = f"""
project: {PROJECT}
entities:
  Organization:
    attributes:
      name: {{type: string, max_length: 100, required: true}}
  Project:
    attributes:
      name: {{type: string, max_length: 100, required: true}}
      capacity: {{type: integer, required: true, default: 3}}
      status: {{type: enum, values: [open, closed], required: true, default: open}}
  Task:
    attributes:
      title: {{type: string, max_length: 100, required: true}}
  Label:
    attributes:
      name: {{type: string, max_length: 40, required: true}}
  Person:
    attributes:
      email: {{type: string, max_length: 200, required: true}}
relationships:
  - {{from: Organization, to: Project, type: one-to-many}}
  - {{from: Organization, to: Task, type: one-to-many}}
  - {{from: Organization, to: Label, type: one-to-many, required: false}}
  - {{from: Project, to: Task, type: one-to-many}}
  - {{from: Task, to: Task, type: one-to-many, role: parent, required: false, on_delete: set null}}
  - {{from: Task, to: Label, type: many-to-many, name: task_labels}}
  - {{from: Person, to: Task, type: one-to-many, role: assignee, required: false}}
access_patterns:
  - {{name: tasks_of_project, query: "SELECT id FROM tasks WHERE organization_id = :o AND project_id = :p"}}
  - {{name: organization_page, query: "SELECT name FROM organizations AS o WHERE o.id = :o"}}
  - {{name: task_by_id, query: "SELECT t.title FROM tasks t JOIN projects p ON p.id = t.project_id WHERE t.id = :id"}}
rules:
  - name: tasks_only_in_open_projects
    entity: Task
    parent_check: {{via: [project_id], check: "parent.status = 'open'"}}
security:
  tenant_column: organization_id
  shared: [Label]
  roles:
    - {{name: app, read: ["*"], write: ["*"]}}
    - {{name: viewer, read: [Project, Task]}}
    - {{name: intake, read: [Organization], append: [Task], read_columns: [Person.email]}}
"""


@pytest.fixture(scope="module")
def design() -> m.Design:
    return design_from_spec(parse_spec(SPEC, "sec.yaml"))


def _grants(design: m.Design, role: str) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    name = role_name(design, role)
    return {g.target: (g.privileges, g.columns) for g in design.grants if g.role == name}


def test_foreign_keys_between_tenant_tables_carry_the_tenant(design: m.Design) -> None:
    tasks = design.table("tasks")
    keys = {fk.ref_table + ":" + ",".join(fk.ref_columns): fk for fk in tasks.foreign_keys}
    project = keys["projects:organization_id,id"]
    assert project.columns == ("organization_id", "project_id")
    parent = keys["tasks:organization_id,id"]
    # SET NULL of the reference only: the tenant column keeps its value.
    assert parent.columns == ("organization_id", "parent_id") and parent.set_null == ("parent_id",)
    # A global table (persons) keeps its single-column key.
    assert keys["persons:id"].columns == ("assignee_id",)
    assert ("organization_id", "id") in {u.columns for u in design.table("projects").uniques}


def test_a_junction_under_tenant_tables_gets_the_tenant_column(design: m.Design) -> None:
    junction = design.table("task_labels")
    column = junction.column("organization_id")
    assert column is not None and not column.nullable and "app.tenant_id" in (column.default or "")
    assert {fk.columns for fk in junction.foreign_keys} == {("organization_id", "task_id"),
                                                          ("organization_id", "label_id")}
    assert "task_labels" in design.row_security


def test_every_tenant_table_is_forced_with_a_policy_per_command(design: m.Design) -> None:
    assert set(design.row_security) == {"organizations", "projects", "tasks", "labels", "task_labels"}
    for table in design.row_security:
        commands = sorted(p.command for p in design.policies if p.table == table)
        assert commands == ["delete", "insert", "select", "update"], table
    labels = {p.command: p for p in design.policies if p.table == "labels"}
    assert "IS NULL OR" in (labels["select"].using or "")  # shared rows readable ...
    assert "IS NULL" not in (labels["insert"].check or "")  # ... but never written by a tenant
    root = {p.command: p for p in design.policies if p.table == "organizations"}
    assert root["select"].using.startswith('"id" =') or root["select"].using.startswith("id =")
    sql = render_up(design)
    assert sql.count("FORCE ROW LEVEL SECURITY") == 5


def test_grants_are_exactly_what_each_role_lists(design: m.Design) -> None:
    viewer = _grants(design, "viewer")
    assert viewer == {"projects": (("SELECT",), ()), "tasks": (("SELECT",), ())}
    intake = _grants(design, "intake")
    assert intake["tasks"] == (("INSERT",), ())  # append: no SELECT, UPDATE or DELETE
    assert intake["persons"] == (("SELECT",), ("email",))  # read_columns
    app = _grants(design, "app")
    assert app["task_labels"][0] == ("SELECT", "INSERT", "UPDATE", "DELETE")
    assert not any(g.role.lower() == "public" for g in design.grants)
    sql = render_up(design)
    assert "REVOKE ALL ON SCHEMA public FROM PUBLIC;" in sql
    assert "REVOKE ALL ON DATABASE %I FROM PUBLIC" in sql
    assert f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner_role(design)} REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;" in sql
    # Default privileges come after the objects, so this script's objects get exactly the grants above.
    assert sql.index("REVOKE EXECUTE ON FUNCTIONS") < sql.index("CREATE FUNCTION")
    assert sql.index(" ON TABLES TO ") > sql.rindex("GRANT SELECT ON TABLE ")


def test_consistency_functions_run_as_their_own_role(design: m.Design) -> None:
    checker = checker_role(design)
    owned = [f for f in design.functions if f.owner == checker]
    assert owned and all(f.security_definer for f in owned)
    assert {r.name: r.bypass_rls for r in design.roles}[checker] is True
    # The parent_check locks projects FOR SHARE: the checker may update it, not insert or delete.
    assert _grants(design, "rules")["projects"] == (("SELECT", "UPDATE"), ())


@pytest.mark.parametrize(("security", "wanted"), [
    ("tenant_column: org_idd", "tenant column 'org_idd' is a column of no table"),
    ("tenant_column: organization_id\n  shared: [Project]", "organization_id is required, so no row can be shared"),
    ("roles:\n    - {name: r, read: [Project], read_columns: [Person.emial]}", "Person has no attribute 'emial'"),
    ("roles:\n    - {name: r, append: [Nope]}", "Nope"),
])
def test_spec_errors_are_located_and_explain_the_fix(security: str, wanted: str) -> None:
    spec = SPEC.split("security:")[0] + "security:\n  " + security + "\n"
    with pytest.raises(SpecErrors) as caught:
        parse_spec(spec, "sec.yaml")
    issue = next(i for i in caught.value.issues if wanted in i.message)
    assert issue.line > SPEC.split("security:")[0].count("\n") and issue.hint


# ---------------------------------------------------------------- on a real server


@pytest.fixture(scope="module")
def database(pg_url: str, design: m.Design) -> Iterator[str]:
    with scratch_database(pg_url) as url:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(render_up(design))
            # Two tenants, loaded as the superuser (row-level security does not apply to it).
            conn.execute("INSERT INTO organizations (name) VALUES ('a'), ('b')")
            conn.execute("INSERT INTO projects (organization_id, name) VALUES (1, 'pa'), (2, 'pb')")
            conn.execute("INSERT INTO persons (email) VALUES ('x@example.com')")
            conn.execute("INSERT INTO tasks (organization_id, project_id, title) VALUES (1, 1, 'ta'), (2, 2, 'tb')")
            conn.execute("INSERT INTO labels (organization_id, name) VALUES (1, 'la'), (2, 'lb'), (NULL, 'shared')")
        yield url
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(render_down(design))


def _as(url: str, role: str, tenant: int | None, sql: str) -> list[tuple] | str:
    """`sql` run as `role` with the tenant setting, rolled back; its rows, or the SQLSTATE it raised."""
    with psycopg.connect(url) as conn:
        try:
            conn.execute(f'SET LOCAL ROLE "{role}"')
            if tenant is not None:
                conn.execute("SELECT set_config('app.tenant_id', %s, true)", [str(tenant)])
            cursor = conn.execute(sql)
            return cursor.fetchall() if cursor.description else [(cursor.rowcount,)]
        except psycopg.Error as error:
            return error.sqlstate or "?"
        finally:
            conn.rollback()


def test_a_tenant_sees_and_changes_its_own_rows_only(database: str, design: m.Design) -> None:
    app = role_name(design, "app")
    assert _as(database, app, 1, "SELECT title FROM tasks ORDER BY 1") == [("ta",)]
    assert _as(database, app, None, "SELECT count(*) FROM tasks") == [(0,)]  # no setting, no rows
    assert _as(database, app, 1, "SELECT name FROM labels ORDER BY 1") == [("la",), ("shared",)]
    assert _as(database, app, 1, "UPDATE tasks SET title = 'x' WHERE organization_id = 2") == [(0,)]
    assert _as(database, app, 1, "UPDATE labels SET name = 'x' WHERE organization_id IS NULL") == [(0,)]
    assert _as(database, app, 1, "INSERT INTO tasks (organization_id, project_id, title) VALUES (2, 2, 'x')") \
        == "42501"  # new row violates row-level security policy
    assert _as(database, app, 1, "UPDATE tasks SET organization_id = 2") == "42501"
    operator = operator_role(design)
    assert _as(database, operator, None, "SELECT count(*) FROM tasks") == [(2,)]


def test_a_row_cannot_reference_another_tenants_row(database: str, design: m.Design) -> None:
    app = role_name(design, "app")
    # Tenant 1 names tenant 2's project: the composite key refuses it, whatever RLS lets through.
    assert _as(database, app, 1, "INSERT INTO tasks (organization_id, project_id, title) VALUES (1, 2, 'x')") \
        == "23503"
    assert _as(database, app, 1, "INSERT INTO task_labels (task_id, label_id) VALUES (1, 2)") == "23503"
    # Its own labels go in, the tenant column taken from the setting.
    assert _as(database, app, 1, "INSERT INTO task_labels (task_id, label_id) VALUES (1, 1) "
                                 "RETURNING organization_id") == [(1,)]


def test_roles_may_do_what_they_list_and_nothing_else(database: str, design: m.Design) -> None:
    viewer, intake = role_name(design, "viewer"), role_name(design, "intake")
    assert _as(database, viewer, 1, "SELECT count(*) FROM tasks") == [(1,)]
    for attack in ("DELETE FROM tasks", "SELECT * FROM persons", "CREATE TABLE t (a int)", "DROP TABLE tasks",
                   "ALTER TABLE tasks DISABLE ROW LEVEL SECURITY", "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'"):
        assert _as(database, viewer, 1, attack) == "42501", attack
    # Append only: it adds a task (the parent_check reads projects FOR SHARE with its own role's
    # rights, which intake lacks) and may not read it back.
    assert _as(database, intake, 1, "INSERT INTO tasks (organization_id, project_id, title) VALUES (1, 1, 'n')") \
        == [(1,)]
    assert _as(database, intake, 1, "SELECT title FROM tasks") == "42501"
    assert _as(database, intake, 1, "SELECT email FROM persons") == [("x@example.com",)]
    assert _as(database, intake, 1, "SELECT id, email FROM persons") == "42501"


def test_a_login_of_a_group_cannot_become_another_role(database: str, design: m.Design) -> None:
    """SET ROLE is checked against the login (the session user), so this takes a real login."""
    viewer, login = role_name(design, "viewer"), role_name(design, "viewer") + "_login"
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{login}" LOGIN IN ROLE "{viewer}"')
    try:
        with psycopg.connect(database, user=login, autocommit=True) as conn:
            for other in (operator_role(design), owner_role(design), checker_role(design)):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(f'SET ROLE "{other}"')
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("SET row_security = off; SELECT * FROM tasks")
            assert conn.execute("SELECT count(*) FROM tasks").fetchone() == (0,)  # no tenant set
    finally:
        with psycopg.connect(database, autocommit=True) as conn:
            conn.execute(f'DROP ROLE "{login}"')


def test_the_rule_still_holds_for_a_role_that_may_not_read_its_parent(database: str, design: m.Design) -> None:
    intake = role_name(design, "intake")
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute("UPDATE projects SET status = 'closed' WHERE id = 1")
    try:
        assert _as(database, intake, 1, "INSERT INTO tasks (organization_id, project_id, title) "
                                        "VALUES (1, 1, 'late')") == "23514"
    finally:
        with psycopg.connect(database, autocommit=True) as conn:
            conn.execute("UPDATE projects SET status = 'open' WHERE id = 1")


def test_patterns_that_leave_the_tenant_to_the_policies_are_named(design: m.Design) -> None:
    [decision] = [d for d in design.decisions if d.subject == "patterns that do not name the tenant"]
    assert decision.choice == "task_by_id"  # the other two compare the tenant (or its key) with a value
    assert "operator role or through a SECURITY DEFINER function" in decision.reason
