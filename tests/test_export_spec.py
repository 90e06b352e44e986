"""Exporting a model as a spec, and designing it again, gives the same tables back."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemawright.exporters.spec import not_exported, to_spec_yaml
from schemawright.pipeline import design_file, design_from_spec
from schemawright.pipeline import parse_spec
from schemawright.validation.compare import compare_designs

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "examples").glob("*.yaml")) + [ROOT / "src/schemawright/requirements/example.yaml"]


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_design_of_the_exported_spec_gives_the_same_schema(path):
    original = design_file(path)
    text = to_spec_yaml(original)
    again = design_from_spec(parse_spec(text, "exported.yaml"))
    assert compare_designs(original, again) == []
    assert to_spec_yaml(again) == text  # stable: exporting twice changes nothing


def test_compare_reports_what_differs():
    original = design_file(ROOT / "examples" / "shop.yaml")
    table = original.tables[0]
    changed_columns = tuple(c.model_copy(update={"nullable": True}) if c.name == "email" else c for c in table.columns)
    changed = original.model_copy(update={"tables": (table.model_copy(update={"columns": changed_columns}),)
                                          + original.tables[1:], "indexes": original.indexes[1:]})
    diffs = compare_designs(original, changed)
    assert any(d.aspect == "column" and d.detail.startswith("email: citext NOT NULL -> citext") for d in diffs)
    assert any(d.aspect == "index" and d.detail.startswith("missing:") for d in diffs)


def test_views_exclusions_and_kept_objects_travel_in_the_spec():
    from schemawright import model as m

    table = m.Table(name="t", columns=(m.Column(name="a", semantic="integer", sql_type="integer", nullable=False),),
                    primary_key=m.PrimaryKey(name="t_pkey", columns=("a",)),
                    exclusions=(m.Exclusion(name="t_a_excl", definition="USING btree (a WITH =)"),))
    design = m.Design(project="p", tables=(table,), extensions=("citext",),
                      views=(m.View(name="v", sql="SELECT a FROM t", description="All of t."),),
                      objects=(m.SchemaObject(kind="function", name="f",
                                              sql="CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'"),
                               m.SchemaObject(kind="cast", name="lost")))
    again = design_from_spec(parse_spec(to_spec_yaml(design), "exported.yaml"))
    assert compare_designs(design, again) == []
    assert again.views == design.views and again.extensions == ("citext",)
    assert again.table("t").exclusions == table.exclusions
    assert [o.name for o in again.objects] == ["f"]
    assert not_exported(design) == ["cast lost (no SQL text was kept)"]
