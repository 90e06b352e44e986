"""The security lint rules (SW601-SW605) see what the design did: a designed schema, linted as
its spec and as the schema.sql it becomes, raises no security finding; the same rules fire on
the schemas that lack what the design adds (FORCE, a keyed policy, a masking view, no grant
to PUBLIC)."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from schemawright import model as m
from schemawright.commands.target import load_target
from schemawright.lint import lint
from schemawright.lint.context import SQL
from schemawright.lint.privileges import policies, public_grants, reads_session, row_security
from schemawright.pipeline import deliverables, design_file

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "examples").glob("*.yaml")) + [ROOT / "src/schemawright/requirements/example.yaml"]
SECURITY = {"SW601", "SW602", "SW603", "SW604", "SW605"}


def _sql_design(path: Path) -> m.Design:
    return load_target(str(path), database_url=None, dialect="postgresql")


def _findings(design: m.Design) -> list[str]:
    return [f"{f.code} {f.message}" for f in lint(design) if f.code in SECURITY]


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_a_designed_schema_raises_no_security_finding(spec, tmp_path):
    design = design_file(spec)
    assert _findings(design.model_copy(update={"source": m.Source(kind="spec", path=str(spec))})) == []
    schema = tmp_path / "schema.sql"
    schema.write_text(deliverables(design)["schema.sql"], encoding="utf-8")
    assert _findings(_sql_design(schema)) == []


def _lint_sql(tmp_path: Path, sql: str) -> list[str]:
    path = tmp_path / "schema.sql"
    path.write_text(textwrap.dedent(sql), encoding="utf-8")
    return _findings(_sql_design(path))


def test_the_saas_example_broken_is_reported(tmp_path):
    """The designed schema, broken the ways the rules look for, is reported: FORCE taken away,
    a policy keyed on nothing, a grant to PUBLIC."""
    schema = deliverables(design_file(ROOT / "examples/saas_tracker.yaml"))["schema.sql"]
    policy = re.search(r"CREATE POLICY issues_tenant_select ON issues FOR SELECT\n    USING \(.*\);", schema)
    assert policy and "ALTER TABLE issues FORCE ROW LEVEL SECURITY;" in schema
    broken = schema.replace("ALTER TABLE issues FORCE ROW LEVEL SECURITY;", "")
    broken = broken.replace(policy.group(), "CREATE POLICY issues_tenant_select ON issues FOR SELECT USING (true);")
    broken += "\nGRANT SELECT ON TABLE comments TO PUBLIC;\n"
    found = sorted(f.split(":")[0] for f in _lint_sql(tmp_path, broken) if not f.startswith("SW601"))
    assert found == ["SW603 issues has row-level security enabled but not forced",
                     "SW604 policy issues_tenant_select on issues (SELECT)",
                     "SW605 SELECT on table comments is granted to PUBLIC"], found


def test_policy_keyed_on_nothing_is_reported_from_sql(tmp_path):
    found = _lint_sql(tmp_path, """\
        CREATE TABLE projects (id bigint PRIMARY KEY, organization_id bigint NOT NULL, public boolean);
        ALTER TABLE projects ENABLE ROW LEVEL SECURITY;
        ALTER TABLE projects FORCE ROW LEVEL SECURITY;
        CREATE POLICY open_reads ON projects FOR SELECT USING (organization_id = 42 OR public);
        CREATE POLICY signup ON projects FOR INSERT WITH CHECK (true);
        CREATE POLICY admins ON projects FOR ALL TO admin USING (true);
        CREATE POLICY narrow ON projects AS RESTRICTIVE USING (true);
        CREATE POLICY supabase ON projects FOR UPDATE USING (organization_id = auth.tenant());
        CREATE POLICY mine ON projects FOR DELETE USING (organization_id = current_setting('app.tenant_id')::bigint);
        """)
    assert [f.split(":")[0] for f in found] == ["SW604 policy open_reads on projects (SELECT)"], found


def test_row_security_state_follows_the_statements_in_order():
    objects = tuple(m.SchemaObject(kind=kind, name=name, sql=sql, table=table) for kind, name, sql, table in (
        ("row level security", "a", "ALTER TABLE a ENABLE ROW LEVEL SECURITY;", "a"),
        ("row level security", "a", "ALTER TABLE a FORCE ROW LEVEL SECURITY;", "a"),
        ("row level security", "a", "ALTER TABLE a NO FORCE ROW LEVEL SECURITY;", "a"),
        ("row level security", "b", "ALTER TABLE b ENABLE ROW LEVEL SECURITY;", "b"),
        ("row level security", "b", "ALTER TABLE b DISABLE ROW LEVEL SECURITY;", "b"),
        ("policy", "p", "CREATE POLICY p ON b USING (true);", "b")))
    state = row_security(m.Design(project="t", objects=objects, row_security=("c",)))
    assert (state["a"].enabled, state["a"].forced) == (True, False)
    assert (state["b"].enabled, state["b"].policies) == (False, ("p",))
    assert state["c"].enabled and state["c"].forced
    found = {f.message for f in lint(m.Design(project="t", objects=objects, tables=tuple(
        m.Table(name=n, columns=(m.Column(name="id", semantic="id", sql_type="bigint"),)) for n in "abc")))
        if f.code == "SW603"}
    assert found == {"a has row-level security enabled but not forced: its owner, and every member of the owner "
                     "role, bypasses the policies",
                     "b has row-level security policies (p) but row-level security is not enabled: they have no "
                     "effect"}


def test_session_readers():
    def keyed(expression: str) -> bool:
        design = m.Design(project="t", policies=(m.Policy(name="p", table="t", command="select", using=expression),))
        return reads_session(next(policies(design, SQL)).using)

    assert keyed("tenant_id = current_setting('app.tenant_id')::bigint")
    assert keyed("owner = current_user") and keyed("owner = session_user")
    assert keyed("tenant_id IN (SELECT tenant_id FROM members WHERE user_id = auth.uid())")
    assert keyed("pg_has_role('admins', 'member')")
    assert not keyed("true") and not keyed("tenant_id = 42") and not keyed("lower(name) = 'x'")


def test_grants_to_public_beyond_the_defaults():
    sql = """\
        GRANT USAGE ON SCHEMA public TO PUBLIC;
        GRANT EXECUTE ON FUNCTION f(integer) TO PUBLIC;
        GRANT ALL ON FUNCTION f(integer) TO PUBLIC;
        GRANT CONNECT, TEMPORARY ON DATABASE shop TO PUBLIC;
        GRANT SELECT ON orders TO app;
        REVOKE ALL ON orders FROM PUBLIC;
        DO $$ BEGIN EXECUTE 'GRANT ALL ON orders TO PUBLIC'; END $$;
        CREATE TABLE broken (;
        GRANT UPDATE (note) ON orders TO PUBLIC;
        GRANT CREATE ON SCHEMA public TO PUBLIC;
        GRANT SELECT ON ALL TABLES IN SCHEMA public TO PUBLIC;
        ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO PUBLIC;
        GRANT ALL ON DATABASE shop TO PUBLIC;
        """
    found = [g.what for g in public_grants(m.Design(project="t"), textwrap.dedent(sql), "sql")]
    assert found == ["UPDATE (note) on table orders", "CREATE on schema public",
                     "SELECT on all tables in schema public", "SELECT on future tables (ALTER DEFAULT PRIVILEGES)",
                     "ALL on database shop"]
    assert public_grants(m.Design(project="t"), textwrap.dedent(sql), "spec") == []


def test_masking_view_and_encryption_count_as_protection_in_sql(tmp_path):
    base = """\
        CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL, phone text, nickname text);
        """
    assert {f.split()[1] for f in _lint_sql(tmp_path, base)} == {"customers.email", "customers.phone"}
    masked = base + ("CREATE VIEW customers_masked WITH (security_barrier) AS SELECT id, "
                     "left(email, 1) || '***' AS email, phone, nickname FROM customers;\n")
    assert _lint_sql(tmp_path, masked) == [
        "SW601 customers.phone looks like personal data, and the masking view customers_masked shows it in clear"]
    fully = masked.replace(" phone, nickname", " NULL::text AS phone, nickname")
    assert _lint_sql(tmp_path, fully) == []
    encrypted = """\
        CREATE TABLE customers (id bigint PRIMARY KEY, email bytea NOT NULL, email_hash bytea UNIQUE);
        CREATE TABLE staff (id bigint PRIMARY KEY, full_name text);
        """
    assert _lint_sql(tmp_path, encrypted) == []  # encrypted columns show the schema's PII policy


def test_tenant_rule_sees_the_designed_row_security():
    design = design_file(ROOT / "examples/saas_tracker.yaml")
    assert design.row_security and not design.security.row_level_security
    bare = design.model_copy(update={"row_security": (), "policies": ()})
    assert {f.code for f in lint(bare)} >= {"SW602"}
    assert "SW602" not in {f.code for f in lint(design)}
