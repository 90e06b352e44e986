"""security.md, the report's security section and the data dictionary's row-level security:
they tell what the design enforces, read from the design, deterministically, and never hold
a password."""

from __future__ import annotations

import re

from helpers import design_of

from schemawright.documentation.dictionary import to_data_dictionary
from schemawright.documentation.report import to_report
from schemawright.documentation.security import has_security, to_security_md
from schemawright.documentation.site import docs_site
from schemawright.pipeline import deliverables

TENANTS = """\
project: tracker
entities:
  Organization:
    attributes:
      name: {type: string, max_length: 80, required: true}
  Project:
    attributes:
      organization_id: {type: integer, required: true}
      title: {type: string, max_length: 80, required: true}
  Label:
    attributes:
      organization_id: {type: integer, required: true}
      name: {type: string, max_length: 40, required: true}
  Visit:
    attributes:
      organization_id: {type: integer, required: true}
      at: {type: timestamp, required: true}
  Member:
    attributes:
      organization_id: {type: integer, required: true}
      email: {type: email, required: true, unique: true, pii: true}
      phone: {type: phone, pii: true}
relationships:
  - {from: Organization, to: Project, type: one-to-many, required: true, columns: [organization_id]}
  - {from: Organization, to: Label, type: one-to-many, required: true, columns: [organization_id]}
  - {from: Organization, to: Visit, type: one-to-many, required: true, columns: [organization_id]}
  - {from: Organization, to: Member, type: one-to-many, required: true, columns: [organization_id]}
  - {name: project_labels, from: Project, to: Label, type: many-to-many}
security:
  tenant_column: organization_id
  pii: mask
  roles:
    - name: app
      read: ["*"]
      write: ["*"]
    - name: tracker_log
      description: "Writes visits, reads nothing."
      append: [Visit]
    - name: reporting
      read: [Project]
      read_columns: [Label.name]
    - name: helpdesk
      read: [Member]
"""

PLAIN = """\
project: plain
entities:
  Item:
    attributes:
      title: {type: string, max_length: 80, required: true}
"""


def _section(page: str, anchor: str) -> str:
    """One `## ` section of a page, from its anchor to the next anchor."""
    start = page.index(f'<a id="{anchor}"></a>')
    end = page.find('<a id="', start + 1)
    return page[start:end if end > 0 else None]


def test_security_md_is_a_deliverable_and_deterministic():
    design = design_of(TENANTS)
    first, second = deliverables(design), deliverables(design_of(TENANTS))
    assert "security.md" in first
    assert first["security.md"] == second["security.md"]
    page = first["security.md"]
    for anchor in ("threats", "roles", "privileges", "tenant-isolation", "pii", "transit-and-rest"):
        assert f'<a id="{anchor}"></a>' in page, anchor


def test_roles_show_login_statements_with_a_placeholder_password_only():
    design = design_of(TENANTS)
    page = to_security_md(design)
    groups = [r for r in design.roles if r.kind == "group"]
    assert len(groups) == 4
    for role in groups:
        assert f"CREATE ROLE {role.name}_login LOGIN PASSWORD '<password>' IN ROLE {role.name};" in page
    operator = next(r for r in design.roles if r.kind == "operator")
    assert f"CREATE ROLE jane_doe LOGIN PASSWORD '<password>' IN ROLE {operator.name};" in page  # people: their own
    owner = next(r for r in design.roles if r.kind == "owner")
    assert f"CREATE ROLE {owner.name}_login" not in page, "nobody logs in as the owner"
    # The only password literal on the page is the placeholder.
    assert set(re.findall(r"PASSWORD '([^']*)'", page)) == {"<password>"}


def test_privilege_matrix_tells_each_grant():
    design = design_of(TENANTS)
    matrix = _section(to_security_md(design), "privileges")
    header = next(line for line in matrix.splitlines() if line.startswith("| Table |"))
    roles = [cell.strip().strip("`") for cell in header.strip("|").split("|")][1:]

    def cell(table: str, role: str) -> str:
        row = next(line for line in matrix.splitlines() if line.startswith(f"| `{table}` "))
        return [c.strip() for c in row.strip("|").split("|")][1:][roles.index(role)]

    assert cell("visits", "tracker_tracker_log") == "A"  # append only: adds rows, reads none
    assert cell("projects", "tracker_reporting") == "R"
    assert cell("labels", "tracker_reporting") == "R\\*"  # read_columns
    assert cell("organizations", "tracker_app") == "RW"
    assert cell("visits", "tracker_reporting") == "—"
    assert cell("members", "tracker_helpdesk") == "R\\*"  # PII masked: the other columns, and the view
    assert cell("members_masked", "tracker_helpdesk") == "R"
    assert "- `labels`: `name`" in matrix  # the columns an R* may read
    assert "- `members`: every column but `email` and `phone`" in matrix


def test_tenant_isolation_tells_the_application_side_and_the_keys():
    design = design_of(TENANTS)
    tenants = _section(to_security_md(design), "tenant-isolation")
    assert "SELECT set_config('app.tenant_id', $1, true);" in tenants
    assert "conn.execute(\"SELECT set_config('app.tenant_id', %s, true)\", [str(tenant_id)])" in tenants
    assert "pool_mode = transaction" in tenants and "no rows" in tenants
    assert f"on {len(design.row_security)} tables" in tenants
    # The junction got the tenant column, and its foreign keys carry it.
    assert "`project_labels` has no tenant in the spec" in tenants
    keys = [(t.name, fk.name) for t in design.tables for fk in t.foreign_keys if fk.columns[0] == "organization_id"
            and len(fk.columns) > 1]
    assert keys and all(f"| `{t}` | `{fk}` |" in tenants for t, fk in keys)
    operator = next(r for r in design.roles if r.kind == "operator")
    assert f"`{operator.name}` has BYPASSRLS" in tenants


def test_pii_and_rest_say_what_protects_what():
    design = design_of(TENANTS)
    page = to_security_md(design)
    pii = _section(page, "pii")
    assert "| `members` | `email` and `phone` | `members_masked` | `tracker_helpdesk` |" in pii
    rest = _section(page, "transit-and-rest")
    assert "PostgreSQL has no built-in transparent data encryption" in rest
    assert "The design encrypts no column" in rest


def test_encrypted_pii_is_described_with_its_blind_index():
    design = design_of(TENANTS.replace("pii: mask", "pii: encrypt"))
    encrypted = [(t.name, c.name) for t in design.tables for c in t.columns if c.plaintext_type]
    assert encrypted, "pii: encrypt encrypts the PII columns"
    pii = _section(to_security_md(design), "pii")
    for table, column in encrypted:
        assert f"`{table}.{column}`" in pii
    assert "blind index `email_hash`" in pii  # email is unique: it needs equality
    assert "SELECT set_config('app.pii_key', $1, true);" in pii


def test_a_spec_without_security_gets_the_short_page():
    design = design_of(PLAIN)
    assert not has_security(design)
    page = deliverables(design)["security.md"]
    assert "The spec declares no security needs" in page and "security:" in page
    assert "## Roles" not in page
    report = to_report(design)
    assert "The spec declares no security needs" in _section(report, "security")
    assert "security.md" not in "\n".join(docs_site(design)[0])


def test_report_summarises_and_points_to_security_md():
    design = design_of(TENANTS)
    section = _section(to_report(design), "security")
    assert "[security.md](security.md)" in section
    assert f"on {len(design.row_security)} tables" in section
    assert "| Role | Reads | Writes |" not in section  # the spec's roles are no longer echoed


def test_data_dictionary_shows_row_level_security_and_the_added_tenant_column():
    design = design_of(TENANTS)
    dictionary = to_data_dictionary(design)
    section = _section(dictionary, "table-project-labels")
    assert "**Row-level security**" in section and "`project_labels_tenant_select`" in section
    row = next(line for line in section.splitlines() if line.startswith("| `organization_id`"))
    assert "Tenant of the row" in row
    assert "**Row-level security**" not in _section(to_data_dictionary(design_of(PLAIN)), "table-items")


def test_docs_site_links_security_md():
    files, _ = docs_site(design_of(TENANTS))
    assert "security.md" in files
    assert "[security](security.md)" in files["README.md"]
