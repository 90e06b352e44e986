"""validate's security attack suite (validation/attacks.py): it passes on an intact design, and
each attack fails, by name, when the design or the database is broken on purpose.

The breaks are of two kinds: the design model changed before it is rendered (a policy that lets
every row through, a dropped policy, a single-column foreign key between tenant tables), or
SQL appended to the up migration of the scratch database (GRANT ALL to a group, NO FORCE ROW
LEVEL SECURITY, DISABLE ROW LEVEL SECURITY, a group made a member of the operator).  The role
names are the run's own (security.names.scoped), so the appended SQL is made from the design
the run renders.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from helpers import LOCAL_PG15_URL, local_pg15_reachable
from schemawright import model as m
from schemawright import pipeline
from schemawright.performance.report import to_bench_markdown
from schemawright.performance.run import bench
from schemawright.sql.postgresql import render_down, render_up
from schemawright.validation import run as validation_run
from schemawright.validation.report import ValidationReport

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

PROBE = """\
project: attack_probe
description: "A small multi-tenant tracker the attack suite's tests break on purpose."
database: postgresql
entities:
  Organization:
    attributes:
      name: {type: string, max_length: 80, required: true}
  Project:
    attributes:
      name: {type: string, max_length: 80, required: true}
  Issue:
    attributes:
      title: {type: string, max_length: 120, required: true}
      status: {type: enum, values: [open, done], required: true, default: open}
  Label:
    attributes:
      name: {type: string, max_length: 40, required: true}
  Person:
    attributes:
      email: {type: email, required: true, pii: true}
      name: {type: string, max_length: 80, required: true}
relationships:
  - {from: Organization, to: Project, type: one-to-many, on_delete: cascade}
  - {from: Organization, to: Issue, type: one-to-many, on_delete: cascade}
  - {from: Organization, to: Label, type: one-to-many, on_delete: cascade}
  - {from: Project, to: Issue, type: one-to-many, on_delete: cascade}
  - {name: issue_labels, from: Issue, to: Label, type: many-to-many}
  - {from: Person, to: Issue, type: one-to-many, role: assignee, required: false, on_delete: set null}
access_patterns:
  - name: project_issues
    query: SELECT id, title, status FROM issues WHERE organization_id = :organization_id AND project_id = :project_id
  - name: issue_by_id
    query: SELECT i.id, i.title, p.name FROM issues i JOIN projects p ON p.id = i.project_id WHERE i.id = :issue_id
  - name: issues_with_label
    query: SELECT i.id FROM issue_labels il JOIN issues i ON i.id = il.issue_id WHERE il.label_id = :label_id
  - name: open_issue
    kind: write
    query: INSERT INTO issues (organization_id, project_id, title) VALUES (:organization_id, :project_id, :title)
  - name: close_issue
    kind: write
    query: UPDATE issues SET status = 'done' WHERE id = :issue_id
volumes:
  Organization: {rows: 40}
  Project: {rows: 200}
  Issue: {rows: 2000}
  Label: {rows: 200}
  Person: {rows: 300}
security:
  tenant_column: organization_id
  pii: PII_CHOICE
  roles:
    - name: app
      read: ["*"]
      write: ["*"]
    - name: support
      read: [Organization, Project, Issue, Person]
    - name: reporting
      read_columns: [Issue.title, Issue.status]
"""


def _probe(pii: str = "mask") -> m.Design:
    return pipeline.design_from_spec(pipeline.parse_spec(PROBE.replace("PII_CHOICE", pii)))


def _role(design: m.Design, spec_role: str) -> str:
    """The run's name of a design role: a spec role's, or `owner` / `operator`."""
    return next(r.name for r in design.roles if spec_role in (r.spec_role, r.kind))


def _validate(design: m.Design, url: str, monkeypatch: pytest.MonkeyPatch | None = None,
              appended: Callable[[m.Design], str] | None = None, **options: int) -> ValidationReport:
    """validate `design`, with `appended(the run's design)` run at the end of its up migration."""
    if appended is not None:
        assert monkeypatch is not None
        real = validation_run.render_up
        monkeypatch.setattr(validation_run, "render_up", lambda d: real(d) + "\n" + appended(d) + "\n")
    return pipeline.validate(design, render_up(design), render_down(design), url, **options)


def _check(report: ValidationReport, name: str):  # noqa: ANN202
    found = [c for c in report.checks if c.name == name]
    assert found, f"no check {name!r} in {[c.name for c in report.checks]}"
    return found[0]


def _failed(report: ValidationReport, name: str, *named: str) -> str:
    """The check `name` failed, and its detail names each of `named`; the summary failed too."""
    check = _check(report, name)
    assert check.status == "FAIL", check
    for text in named:
        assert text in check.detail, (text, check.detail)
    assert _check(report, "security attacks").status == "FAIL"
    return check.detail


# ---------------------------------------------------------------- the intact design passes


@pytest.fixture(scope="module")
def intact(pg_url: str) -> ValidationReport:
    return _validate(_probe(), pg_url)


def test_the_intact_design_refuses_every_attack_and_leaks_nothing(intact: ValidationReport) -> None:
    assert intact.failures == [], intact.failures
    summary = _check(intact, "security attacks").detail
    assert " 0 accepted" in summary and "0 failed" in summary and ", 0 leaks" in summary, summary
    assert "tenants: 5 patterns × 5 tenants" in summary, summary
    assert "5 tenant(s) with rows in all" in _check(intact, "tenants: synthetic data").detail
    for role in ("app", "support", "reporting", "operator", "owner"):
        assert _check(intact, f"attacks: role {role}").passed
    # Each pattern found rows as a tenant with its own parameters: a comparison of empty results proves nothing.
    for pattern in ("project_issues", "issue_by_id", "issues_with_label", "open_issue", "close_issue"):
        detail = _check(intact, f"tenants: pattern {pattern}").detail
        assert "0 run(s) of a tenant" not in detail, detail


def test_the_attacks_cover_every_route_the_issue_names(intact: ValidationReport) -> None:
    support = _check(intact, "attacks: role support").detail
    reporting = _check(intact, "attacks: role reporting").detail
    assert int(support.split(" refused")[0]) >= 40 and int(reporting.split(" refused")[0]) >= 40
    summary = _check(intact, "security attacks").detail
    refused = int(summary.split("attacks: ")[1].split(" refused")[0])
    allowed = int(summary.split("; ")[1].split(" allowed")[0])
    assert refused > 150 and allowed > 40, summary
    kinds = dict(item.rsplit(" ", 1) for item in summary.split("attacks by kind: ")[1].rstrip(")").split(", "))
    for kind in ("privilege", "column", "PII", "DDL", "grant", "tenant switch", "tenant read", "tenant write",
                 "foreign key"):
        assert int(kinds.get(kind, 0)) > 0, (kind, kinds)
    for name in ("tenants: reads per table, with and without a tenant set", "tenants: writes to another tenant's rows",
                 "tenants: references into another tenant"):
        assert _check(intact, name).passed


# ---------------------------------------------------------------- each break is caught, by name


def test_a_grant_beyond_the_spec_is_an_accepted_attack(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    report = _validate(_probe(), pg_url, monkeypatch,
                       lambda d: f"GRANT ALL ON TABLE labels TO {_role(d, 'support')};")
    _failed(report, "attacks: role support", "SELECT on labels: ACCEPTED", "INSERT on labels: ACCEPTED",
            "TRUNCATE labels (it ignores row-level security): ACCEPTED")
    assert _check(report, "attacks: role app").passed  # the other roles are unaffected


def test_a_column_grant_beyond_read_columns_is_an_accepted_attack(pg_url: str,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    report = _validate(_probe(), pg_url, monkeypatch,
                       lambda d: f"GRANT SELECT (assignee_id) ON TABLE issues TO {_role(d, 'reporting')};")
    _failed(report, "attacks: role reporting", "SELECT of issues.assignee_id: ACCEPTED")


def test_a_group_that_may_become_the_operator_switches_tenant(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    report = _validate(_probe(), pg_url, monkeypatch,
                       lambda d: f"GRANT {_role(d, 'operator')} TO {_role(d, 'app')};")
    _failed(report, "attacks: role app", "SET ROLE operator: ACCEPTED")


def test_a_policy_that_lets_every_row_through_leaks(pg_url: str) -> None:
    design = _probe()
    policies = tuple(p.model_copy(update={"using": "true"}) if p.name == "issues_tenant_select" else p
                     for p in design.policies)
    report = _validate(design.model_copy(update={"policies": policies}), pg_url)
    _failed(report, "tenants: reads per table, with and without a tenant set",
            "rows of issues visible as tenant", "rows of issues visible with no tenant set")
    detail = _failed(report, "tenants: pattern project_issues", "LEAK as tenant")
    assert ": 0 leaks" not in detail
    assert ", 0 leaks" not in _check(report, "security attacks").detail


def test_a_table_without_row_level_security_leaks(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    report = _validate(_probe(), pg_url, monkeypatch, lambda _d: "ALTER TABLE issues DISABLE ROW LEVEL SECURITY;")
    _failed(report, "tenants: reads per table, with and without a tenant set", "rows of issues visible as tenant")
    _failed(report, "tenants: pattern project_issues", "LEAK")
    _failed(report, "tenants: writes to another tenant's rows", "UPDATE of tenant", "DELETE of tenant")


def test_a_dropped_policy_hides_the_tenant_its_own_rows(pg_url: str) -> None:
    design = _probe()
    policies = tuple(p for p in design.policies if p.name != "issues_tenant_select")
    report = _validate(design.model_copy(update={"policies": policies}), pg_url)
    _failed(report, "attacks: role app", "SELECT on issues: FAILED: no row of issues visible")
    _failed(report, "tenants: pattern project_issues", "differs")


def test_without_force_the_owner_reads_every_tenant(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    report = _validate(_probe(), pg_url, monkeypatch, lambda _d: "ALTER TABLE projects NO FORCE ROW LEVEL SECURITY;")
    detail = _failed(report, "tenants: reads per table, with and without a tenant set",
                     "rows of projects visible as tenant")
    assert "ACCEPTED" in detail
    assert _check(report, "attacks: role app").passed  # FORCE only matters to the tables' owner


def test_a_single_column_foreign_key_points_into_another_tenant(pg_url: str) -> None:
    design = _probe()
    table = design.table("issue_labels")
    assert table is not None
    keys = tuple(fk.model_copy(update={"columns": ("label_id",), "ref_columns": ("id",)})
                 if fk.ref_table == "labels" else fk for fk in table.foreign_keys)
    tables = tuple(t.model_copy(update={"foreign_keys": keys}) if t.name == "issue_labels" else t
                   for t in design.tables)
    report = _validate(design.model_copy(update={"tables": tables}), pg_url)
    _failed(report, "tenants: references into another tenant", "issue_labels row of tenant",
            "labels (fk_issue_labels_label_id)", "ACCEPTED")


def test_fewer_than_five_tenants_with_data_is_a_failure_not_a_pass(pg_url: str) -> None:
    report = _validate(_probe(), pg_url, rows=4)
    check = _check(report, "tenants: synthetic data")
    assert check.status == "FAIL" and "at least 5 needed" in check.detail, check
    assert _check(report, "security attacks").status == "FAIL"


# ---------------------------------------------------------------- PII in clear (pgcrypto: PostgreSQL 15)


@pytest.fixture(scope="module")
def pgcrypto_url(pg_url: str) -> str:
    from schemawright.database import Database  # noqa: PLC0415

    with Database(pg_url) as db:
        if db.query_value("SELECT 1 FROM pg_available_extensions WHERE name = 'pgcrypto'"):
            return pg_url
    if not local_pg15_reachable():
        pytest.skip("pii: encrypt needs pgcrypto: neither the test server nor a local PostgreSQL 15 has it")
    return LOCAL_PG15_URL


def test_decrypting_pii_is_refused_to_a_role_that_reads_it_masked_and_caught_when_granted(
        pgcrypto_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    design = _probe("encrypt")
    report = _validate(design, pgcrypto_url, monkeypatch,
                       lambda d: f"GRANT EXECUTE ON FUNCTION pii_decrypt(bytea) TO {_role(d, 'support')};")
    _failed(report, "attacks: role support", "EXECUTE pii_decrypt() (reads PII in clear): ACCEPTED")


# ---------------------------------------------------------------- the example


def test_the_saas_tracker_example_refuses_every_attack_and_leaks_nothing(pgcrypto_url: str) -> None:
    design = pipeline.design_file(EXAMPLES / "saas_tracker.yaml")
    report = _validate(design, pgcrypto_url)
    summary = _check(report, "security attacks")
    assert summary.passed, [c for c in report.checks if not c.passed]
    assert " 0 accepted" in summary.detail and ", 0 leaks" in summary.detail, summary.detail


# ---------------------------------------------------------------- bench: the cost of the policies


def test_bench_times_each_pattern_with_and_without_the_policies(pg_url: str) -> None:
    result = bench(_probe(), 1.0, database_url=pg_url, runs=5, warmup=1)
    for pattern in result.patterns:
        assert pattern.error is None, pattern
        assert pattern.policies_error is None, pattern
        assert pattern.policies_role == "app"
        assert pattern.with_policies is not None and pattern.without_policies is not None
        assert pattern.with_policies.runs == pattern.without_policies.runs == 5
        # The tenant set is the parameters' own, so the policies keep every row the run reads or writes.
        assert pattern.policies_rows is not None and pattern.policies_rows[0] == pattern.policies_rows[1], pattern
    text = to_bench_markdown(result)
    assert "## Cost of row-level security" in text and "| `project_issues` | app |" in text
