"""Exporting a model as a spec, and designing it again, gives the same tables back."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemawright.exporters.spec import not_exported, to_spec_yaml
from schemawright.pipeline import design_file, design_from_spec
from schemawright.requirements.loader import parse_spec
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


def test_not_exported_lists_views_and_objects():
    from schemawright import model as m

    design = m.Design(project="p", views=(m.View(name="v", sql="SELECT 1"),),
                      objects=(m.SchemaObject(kind="function", name="f"),))
    assert not_exported(design) == ["view v", "function f"]
