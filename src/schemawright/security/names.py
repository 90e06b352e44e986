"""Names of the roles the security stage creates.

Roles live in the whole cluster, not in one database: each name starts with the project's
name so two projects on one server never share a role by accident."""

from __future__ import annotations

import re

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


def login_role(group: str) -> str:
    """The login role documented (never created: it needs a password) for a group role."""
    return fit(f"{group}_login")
