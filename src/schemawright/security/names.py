"""Names of the roles the security stage creates.

Roles live in the whole cluster, not in one database: each name starts with the project's
name so two projects on one server never share a role by accident."""

from __future__ import annotations

import re
from collections.abc import Callable

from schemawright import model as m
from schemawright.naming import fit


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9_]+", "_", text.lower()).strip("_") or "app"


def role_name(design: m.Design, suffix: str) -> str:
    """`<project>_<suffix>`: the owner (`owner`), the operator (`operator`), the auditor
    (`auditor`) or a spec role (its name)."""
    return fit(f"{_slug(design.project)}_{_slug(suffix)}")


def owner_role(design: m.Design) -> str:
    return role_name(design, "owner")


def operator_role(design: m.Design) -> str:
    return role_name(design, "operator")


def auditor_role(design: m.Design) -> str:
    return role_name(design, "auditor")


def checker_role(design: m.Design) -> str:
    return role_name(design, "rules")


def database_name(design: m.Design) -> str:
    """The database the configuration fragments name (pg_hba.conf): the project's name."""
    return fit(_slug(design.project))


def login_role(group: str) -> str:
    """The login role documented (never created: it needs a password) for a group role."""
    return fit(f"{group}_login")


def scoped(design: m.Design, prefix: str) -> m.Design:
    """The design with its roles renamed `<prefix>_role_<suffix>`: validation makes them for its
    scratch database only, so it never grants or drops a real role of the server."""
    from schemawright.database.scratch import DESIGN_ROLE_INFIX  # noqa: PLC0415 - names.py stays import-light

    if not design.roles:
        return design
    project = _slug(design.project) + "_"
    renamed = {r.name: fit(prefix + DESIGN_ROLE_INFIX + r.name.removeprefix(project)) for r in design.roles}
    return design.model_copy(update={
        "roles": tuple(r.model_copy(update={"name": renamed[r.name]}) for r in design.roles),
        "grants": tuple(g.model_copy(update={"role": renamed.get(g.role, g.role)}) for g in design.grants),
        "functions": tuple(f.model_copy(update={"owner": renamed.get(f.owner, f.owner)}) if f.owner else f
                           for f in design.functions)})


def run_roles(design: m.Design) -> Callable[[str], list[tuple[str, bool]]] | None:
    """For database/sandbox.py: given a scratch database's name, the design's roles for it
    (scoped names, whether each bypasses row-level security); None when it has none."""
    if not design.roles:
        return None
    return lambda scratch: [(r.name, r.bypass_rls) for r in scoped(design, scratch).roles]
