"""Located errors for queries a spec holds (access patterns, denormalisations) that name
tables or columns the design does not have; run while the spec is checked (pipeline.SPEC_CHECKS)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from schemawright import model as m
from schemawright.errors import SpecIssue
from schemawright.indexing.analysis import reference_problems
from schemawright.requirements.spec import Spec

if TYPE_CHECKING:
    from schemawright.requirements.loader import Locator


def query_problems(spec: Spec, design: m.Design, at: Locator) -> list[SpecIssue]:
    out: list[SpecIssue] = []
    for i, item in enumerate(spec.denormalizations):
        for problem, hint in reference_problems(item.query, design) if item.query else []:
            out.append(at.issue(("denormalizations", i, "query"), f"{item.kind} {item.name!r}: {problem}", hint))
    for i, pattern in enumerate(design.access_patterns):
        key = "query" if spec.access_patterns[i].query is not None else "entity"
        for problem, hint in reference_problems(pattern.sql, design):
            out.append(at.issue(("access_patterns", i, key), f"access pattern {pattern.name!r}: {problem}", hint))
    return out
