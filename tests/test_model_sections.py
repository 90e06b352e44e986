"""The typed sections of the model: one default per setting, the spec's documented one, and
lint reading row-level security from the one typed place."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from schemawright import model as m
from schemawright.documentation.model_json import to_model_json
from schemawright.importers.postgresql_sql import import_postgresql_sql
from schemawright.lint.engine import lint
from schemawright.requirements import spec as s

DOCS = Path(__file__).resolve().parent.parent / "docs"

# (model section, the spec's section for it, its key in the spec)
SECTIONS = [(m.Naming, s.Naming, "naming"), (m.Transactions, s.Transactions, "transactions"),
            (m.Security, s.Security, "security"), (m.Operations, s.Availability, "availability")]


@pytest.mark.parametrize(("model_class", "spec_class", "key"), SECTIONS, ids=[k for *_, k in SECTIONS])
def test_section_defaults_are_the_spec_documented_defaults(model_class, spec_class, key):
    published = json.loads((DOCS / "spec.schema.json").read_text())["$defs"][spec_class.__name__]["properties"]
    model_default, spec_default = model_class(), spec_class()
    for name, documented in published.items():
        expected = documented.get("default", [] if documented.get("type") == "array" else None)
        assert json.loads(json.dumps(getattr(model_default, name))) == expected, f"{key}.{name}"
        assert getattr(spec_default, name) == getattr(model_default, name), f"{key}.{name}"
    # the spec's class adds nothing: its fields and defaults are the model's (or its spec-facing base's)
    assert issubclass(model_class, spec_class.__mro__[1])
    assert spec_class.model_fields.keys() <= model_class.model_fields.keys()


def test_pii_default_is_mask_everywhere():
    assert m.Security().pii == s.Security().pii == s.Spec.model_fields["security"].default_factory().pii == "mask"


def test_an_undeclared_section_stays_empty_in_model_json_and_says_so():
    design = m.Design(project="p", tables=(m.Table(name="customers", columns=(
        m.Column(name="id", semantic="id", sql_type="bigint"), m.Column(name="email", semantic="string",
                                                                         sql_type="text"))),))
    dumped = json.loads(to_model_json(design))
    assert (dumped["security"], dumped["availability"], dumped["naming"], dumped["source"]) == ({}, {}, {}, {})
    assert not design.security.declared("pii")
    assert "SW601" in {f.code for f in lint(design)}  # nothing declared: nothing protects the email


def test_source_records_only_what_its_importer_knows():
    source = m.Source(kind="sql", path="x.sql", schema="public", skipped={})
    assert source.model_dump(mode="json") == {"kind": "sql", "path": "x.sql", "schema": "public", "skipped": {}}
    assert source.schema_name == "public" and source.imported and not m.Source(kind="spec").imported


TENANT_TABLE = "CREATE TABLE projects (id bigint PRIMARY KEY, organization_id bigint NOT NULL);\n"


def _tenant_design(**security: object) -> m.Design:
    columns = (m.Column(name="id", semantic="id", sql_type="bigint", nullable=False),
               m.Column(name="organization_id", semantic="integer", sql_type="bigint", nullable=False))
    table = m.Table(name="projects", columns=columns, primary_key=m.PrimaryKey(name="pk", columns=("id",)))
    return m.Design(project="p", tables=(table,), security=m.Security(tenant_column="organization_id", **security))


def test_lint_reads_row_level_security_from_the_typed_field():
    assert "SW602" in {f.code for f in lint(_tenant_design())}
    assert "SW602" not in {f.code for f in lint(_tenant_design(row_level_security=("projects",)))}


@pytest.mark.parametrize("statement", [
    "ALTER TABLE projects ENABLE ROW LEVEL SECURITY;",
    "CREATE POLICY tenant ON projects USING (organization_id = current_setting('app.tenant')::bigint);",
])
def test_imported_row_level_security_lands_in_the_typed_field(statement):
    design = import_postgresql_sql(TENANT_TABLE + statement, "schema.sql")
    assert design.security.row_level_security == ("projects",)
    assert design.security.model_dump() == {"row_level_security": ("projects",)}
    # lint reads the field, not the kept objects: without it the table is reported
    bare = design.model_copy(update={"security": m.Security(tenant_column="organization_id")})
    assert "SW602" in {f.code for f in lint(bare)}
    tenant = design.model_copy(update={"security": design.security.model_copy(
        update={"tenant_column": "organization_id"})})
    assert "SW602" not in {f.code for f in lint(tenant)}
