"""The proposed schema as a requirements spec (YAML), so `design` turns it into every
deliverable through the normal pipeline, and a person can edit it and design again.

Names are kept as they appear in the data (`naming: {case: preserve, tables: singular}`);
inferred types carry their reason as the attribute description; volumes are the row counts
of each proposed table; the dependencies each table embodies are kept as `depends` rules.
"""

from __future__ import annotations

import yaml

from schemawright.profiling.proposal import Proposal, ProposedTable
from schemawright.profiling.type_inference import InferredType


def to_spec(proposal: Proposal, project: str, sources: list[str]) -> dict:
    entities = {t.name: _entity(t) for t in proposal.tables}
    relationships = [{"name": f"{link.child}.{'_'.join(link.columns)}", "from": link.parent, "to": link.child,
                      "type": "one-to-many", "required": link.required, "columns": list(link.columns),
                      "references": list(link.references), "description": link.reason}
                     for link in proposal.links]
    rules = [{"entity": t.name, "unique": list(u)} for t in proposal.tables for u in t.uniques]
    rules += [{"entity": t.name, "depends": {"determinant": list(lhs), "dependent": list(rhs)},
               "description": "found in the data"}
              for t in proposal.tables for lhs, rhs in t.depends]
    spec: dict = {
        "project": project,
        "description": f"Normalised from {', '.join(sources)} by `schemawright normalize`.",
        "naming": {"tables": "singular", "case": "preserve"},
        "entities": entities,
        "relationships": relationships,
        "rules": rules,
        "volumes": {t.name: {"rows": t.rows} for t in proposal.tables},
    }
    return {k: v for k, v in spec.items() if v not in ([], {})}


def to_spec_yaml(proposal: Proposal, project: str, sources: list[str]) -> str:
    header = ("# Requirements spec proposed by `schemawright normalize` from the data.\n"
              "# Review it, then `schemawright design` this file to regenerate the deliverables.\n")
    return header + yaml.safe_dump(to_spec(proposal, project, sources), sort_keys=False, allow_unicode=True,
                                   width=120)


def _entity(table: ProposedTable) -> dict:
    entity: dict = {"description": table.description}
    if table.key or table.keyless:
        entity["primary_key"] = list(table.key or ())
    entity["attributes"] = {c: _attribute(table.types[c], c not in table.nullable) for c in table.columns}
    return entity


def _attribute(inferred: InferredType, required: bool) -> dict:
    attr: dict = {"type": inferred.kind}
    if inferred.kind == "decimal":
        attr.update(precision=inferred.precision, scale=inferred.scale)
    if inferred.kind == "enum":
        attr["values"] = list(inferred.values)
    if required:
        attr["required"] = True
    attr["description"] = f"Inferred {inferred.kind}: {inferred.reason}."
    return attr
