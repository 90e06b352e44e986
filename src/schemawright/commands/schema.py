"""`schemawright schema`: print the JSON Schema of the spec or of model.json."""

from __future__ import annotations

import json
from dataclasses import dataclass

import typer

from schemawright.commands.output import err
from schemawright.model import Design
from schemawright.requirements.spec import spec_json_schema


@dataclass(frozen=True)
class SchemaOptions:
    kind: str = "spec"


def run(options: SchemaOptions) -> int:
    schemas = {"spec": spec_json_schema, "model": Design.model_json_schema}
    if options.kind not in schemas:
        err.print(f"unknown schema {options.kind!r}; use `spec` or `model`", markup=False)
        return 2
    typer.echo(json.dumps(schemas[options.kind](), indent=2, sort_keys=True, ensure_ascii=False))
    return 0
