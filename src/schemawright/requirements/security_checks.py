"""Spec checks of `security:` that need the designed tables: the tenant column is a column of
some table, shared entities can hold rows without a tenant, `read_columns` name attributes."""

from __future__ import annotations

from difflib import get_close_matches
from typing import TYPE_CHECKING

from schemawright import model as m

if TYPE_CHECKING:
    from schemawright.errors import SpecIssue
    from schemawright.requirements.loader import Locator
    from schemawright.requirements.spec import Spec


def security_problems(spec: Spec, design: m.Design, at: Locator) -> list[SpecIssue]:
    return _tenant_column(spec, design, at) + _shared(spec, design, at) + _read_columns(spec, design, at)


def _did_you_mean(name: str, choices: list[str]) -> str:
    close = get_close_matches(name, choices, n=1)
    return f"did you mean {close[0]!r}? " if close else ""


def _tenant_column(spec: Spec, design: m.Design, at: Locator) -> list[SpecIssue]:
    tenant = spec.security.tenant_column
    if not tenant or any(t.column(tenant) for t in design.tables):
        return []
    columns = sorted({c.name for t in design.tables for c in t.columns})
    return [at.issue(("security", "tenant_column"), f"tenant column {tenant!r} is a column of no table",
                     _did_you_mean(tenant, columns) + "give each tenant-owned entity a relationship from the tenant "
                     "entity (from: Organization, to: Issue gives issues.organization_id), then name that column")]


def _shared(spec: Spec, design: m.Design, at: Locator) -> list[SpecIssue]:
    tenant = spec.security.tenant_column
    if tenant and not any(t.column(tenant) for t in design.tables):
        return []  # _tenant_column reports the unknown column once
    out = []
    for i, entity in enumerate(spec.security.shared):
        table = design.table_for_entity(entity)
        if table is None:
            continue  # references.py reports a name that is no entity
        column = table.column(tenant) if tenant else None
        if not tenant:
            out.append(at.issue(("security", "shared", i), f"shared entity {entity!r} needs security.tenant_column",
                                "name the tenant column, or remove `shared`"))
        elif column is None:
            out.append(at.issue(("security", "shared", i), f"shared entity {entity!r} has no tenant column "
                                f"{tenant!r}: every tenant reads all of it already",
                                "remove it from `shared`, or give it a relationship from the tenant entity"))
        elif not column.nullable:
            out.append(at.issue(("security", "shared", i), f"shared entity {entity!r}: {table.name}.{tenant} is "
                                "required, so no row can be shared (a shared row has no tenant)",
                                f"make the relationship that gives {tenant} optional (required: false)"))
    return out


def _read_columns(spec: Spec, design: m.Design, at: Locator) -> list[SpecIssue]:
    out = []
    for i, role in enumerate(spec.security.roles):
        for j, item in enumerate(role.read_columns):
            entity, _, attribute = item.partition(".")
            table = design.table_for_entity(entity)
            if table is None or not attribute:
                continue  # references.py reports these
            names = [c.name for c in table.columns]
            sources = [c.source.split(".", 1)[1] for c in table.columns if c.source and "." in c.source]
            if attribute not in names and attribute not in sources:
                out.append(at.issue(("security", "roles", i, "read_columns", j),
                                    f"role {role.name!r}: {entity} has no attribute {attribute!r}",
                                    _did_you_mean(attribute, sorted(set(names + sources))) +
                                    f"name one of {entity}'s attributes or columns"))
    return out
