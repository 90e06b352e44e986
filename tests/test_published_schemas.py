"""docs/spec.schema.json and docs/model.schema.json must match the code, and validate the examples."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from schemawright.requirements.yaml_marks import load_with_marks

from schemawright.model import Design
from schemawright.requirements.spec import spec_json_schema

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_spec_schema_is_up_to_date():
    published = json.loads((DOCS / "spec.schema.json").read_text())
    assert published == spec_json_schema(), "run: schemawright schema spec > docs/spec.schema.json"


def test_model_schema_is_up_to_date():
    published = json.loads((DOCS / "model.schema.json").read_text())
    assert published == Design.model_json_schema(), "run: schemawright schema model > docs/model.schema.json"


def test_examples_validate_against_published_json_schema():
    schema = json.loads((DOCS / "spec.schema.json").read_text())
    for path in sorted((DOCS.parent / "examples").glob("*.yaml")):
        data = load_with_marks(path.read_text())[0]
        jsonschema.validate(data, schema)
