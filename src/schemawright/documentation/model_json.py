"""model.json: the whole Design, machine-readable, and the JSON Schema that documents it.

Keys are sorted and the text ends with a newline so the file diffs cleanly and two runs
over the same spec are byte-identical.  Tuples keep their model order (it is meaningful:
column order, index column order).
"""

from __future__ import annotations

import json

from schemawright.model import Design


def to_model_json(design: Design) -> str:
    return json.dumps(design.model_dump(mode="json"), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def model_json_schema() -> str:
    schema = Design.model_json_schema(mode="serialization")
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
        "title": "schemawright model",
        "description": "The whole design produced by schemawright (model.json): conceptual model, tables, "
                       "indexes, triggers and every automatic decision with its reason.",
    }
    return json.dumps(schema, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
