"""What a schema says about row-level security, its policies and its grants, for the security rules.

A designed schema holds them in the model (`row_security`, `policies`, `grants`); an imported
one keeps its `ALTER TABLE ... ROW LEVEL SECURITY` and `CREATE POLICY` statements as objects,
and its GRANTs only in the SQL file it was read from (the importer skips them).  Each reader
here gives the same answer for both, so a rule does not care where the design came from.
Statements are read with pglast, PostgreSQL's own parser; one that does not parse is skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pglast
from pglast import ast
from pglast.enums import GrantTargetType, ObjectType, RoleSpecType, SQLValueFunctionOp

from schemawright import model as m
from schemawright.importers.psql_script import split_script
from schemawright.requirements.pg_builtins import FUNCTIONS

# pg_catalog functions that read who is asking: a policy that calls one is keyed on the session.
_SESSION_FUNCTIONS = {"current_setting", "pg_has_role", "current_user", "session_user", "current_role"}
_SESSION_VALUES = {SQLValueFunctionOp.SVFOP_CURRENT_USER, SQLValueFunctionOp.SVFOP_SESSION_USER,
                   SQLValueFunctionOp.SVFOP_CURRENT_ROLE, SQLValueFunctionOp.SVFOP_USER}


@dataclass(frozen=True)
class RowSecurity:
    """A table's row-level security state: ENABLE and FORCE, and its policies' names."""

    enabled: bool = False
    forced: bool = False
    policies: tuple[str, ...] = ()


def row_security(design: m.Design) -> dict[str, RowSecurity]:
    """Every table with row-level security enabled, forced or with a policy."""
    state: dict[str, dict[str, object]] = {}

    def of(table: str) -> dict[str, object]:
        return state.setdefault(table, {"enabled": False, "forced": False, "policies": []})

    for table in design.row_security:  # the design enables and forces it
        of(table).update(enabled=True, forced=True)
    for policy in design.policies:
        of(policy.table)["policies"].append(policy.name)  # type: ignore[union-attr]
    for o in design.objects:  # an imported schema's statements, in the order it ran them
        if not o.table:
            continue
        said = " ".join(o.sql.upper().split())
        if o.kind.lower() in ("row level security", "rls"):
            if "NO FORCE ROW LEVEL SECURITY" in said:
                of(o.table)["forced"] = False
            elif "FORCE ROW LEVEL SECURITY" in said:
                of(o.table)["forced"] = True
            elif "DISABLE ROW LEVEL SECURITY" in said:
                of(o.table)["enabled"] = False
            elif "ENABLE ROW LEVEL SECURITY" in said:
                of(o.table)["enabled"] = True
        elif o.kind.lower() == "policy" and said.startswith("CREATE POLICY"):
            of(o.table)["policies"].append(o.name)  # type: ignore[union-attr]
    return {t: RowSecurity(bool(s["enabled"]), bool(s["forced"]), tuple(s["policies"]))  # type: ignore[arg-type]
            for t, s in sorted(state.items())}


@dataclass(frozen=True)
class PolicyFacts:
    name: str
    table: str
    command: str  # select, insert, update, delete, all
    permissive: bool
    roles: tuple[str, ...]  # "public" for PUBLIC
    using: ast.Node | None
    check: ast.Node | None


def policies(design: m.Design, sql: object) -> Iterator[PolicyFacts]:
    """Every CREATE POLICY of the design (rendered by `sql`, the lint's generator) or kept from its source."""
    texts = [(p.table, sql.policy_sql(p)) for p in design.policies]  # type: ignore[attr-defined]
    texts += [(o.table, o.sql) for o in design.objects if o.kind.lower() == "policy" and o.table and o.sql]
    for table, text in texts:
        for stmt in _parsed(text):
            if isinstance(stmt, ast.CreatePolicyStmt):
                roles = tuple(_role(r) for r in stmt.roles or ())
                yield PolicyFacts(stmt.policy_name, table, (stmt.cmd_name or "all").lower(), bool(stmt.permissive),
                                  roles or ("public",), stmt.qual, stmt.with_check)


def reads_session(expression: ast.Node | None) -> bool:
    """Whether an expression reads who is asking: current_setting(), current_user and the like,
    or a function that is not PostgreSQL's own (auth.uid(), app.current_tenant() ...)."""
    for node in _walk(expression):
        if isinstance(node, ast.SQLValueFunction) and node.op in _SESSION_VALUES:
            return True
        if isinstance(node, ast.FuncCall):
            parts = [s.sval for s in node.funcname]
            name = parts[-1]
            if name in _SESSION_FUNCTIONS or name.startswith("has_") or (len(parts) > 1 and parts[0] != "pg_catalog"):
                return True
            if name not in FUNCTIONS:
                return True  # a function of the schema's own: it may read the session
    return False


def is_true(expression: ast.Node | None) -> bool:
    return isinstance(expression, ast.A_Const) and isinstance(expression.val, ast.Boolean) and expression.val.boolval


@dataclass(frozen=True)
class PublicGrant:
    """A GRANT to PUBLIC of more than PostgreSQL gives PUBLIC by default."""

    what: str  # e.g. "ALL on table orders"
    table: str | None  # the table it is about, for the finding's location


# Privileges PUBLIC has by default on these kinds of object (a grant of them changes nothing).
_DEFAULTS = {ObjectType.OBJECT_FUNCTION: {"execute"}, ObjectType.OBJECT_PROCEDURE: {"execute"},
             ObjectType.OBJECT_ROUTINE: {"execute"}, ObjectType.OBJECT_DATABASE: {"connect", "temporary", "temp"},
             ObjectType.OBJECT_SCHEMA: {"usage"}, ObjectType.OBJECT_LANGUAGE: {"usage"},
             ObjectType.OBJECT_TYPE: {"usage"}, ObjectType.OBJECT_DOMAIN: {"usage"}}
_KINDS = {ObjectType.OBJECT_TABLE: "table", ObjectType.OBJECT_SEQUENCE: "sequence", ObjectType.OBJECT_SCHEMA: "schema",
          ObjectType.OBJECT_DATABASE: "database", ObjectType.OBJECT_FOREIGN_TABLE: "foreign table"}


def public_grants(design: m.Design, source_text: str | None, source_kind: str) -> list[PublicGrant]:
    """GRANTs to PUBLIC beyond its defaults: from the design's grants, and from a SQL source's text."""
    found = [PublicGrant(f"{', '.join(g.privileges)} on {g.on} {g.target}", g.target if g.on == "table" else None)
             for g in design.grants if g.role.lower() == "public" and not _default(g.on, g.privileges)]
    if source_text and source_kind == "sql":
        for stmt in _statements(source_text):
            if isinstance(stmt, ast.GrantStmt) and stmt.is_grant and _to_public(stmt.grantees):
                found += _public(stmt)
            elif isinstance(stmt, ast.AlterDefaultPrivilegesStmt) and stmt.action.is_grant \
                    and _to_public(stmt.action.grantees) and not _default_of(stmt.action):
                found.append(PublicGrant(f"{_privileges(stmt.action)} on future {_plural(stmt.action.objtype)} "
                                         "(ALTER DEFAULT PRIVILEGES)", None))
    return found


def _public(stmt: ast.GrantStmt) -> list[PublicGrant]:
    if _default_of(stmt):
        return []
    kind = _KINDS.get(stmt.objtype, str(stmt.objtype.name).removeprefix("OBJECT_").lower())
    if stmt.targtype == GrantTargetType.ACL_TARGET_ALL_IN_SCHEMA:
        return [PublicGrant(f"{_privileges(stmt)} on all {_plural(stmt.objtype)} in schema "
                            + ", ".join(_name(o) for o in stmt.objects), None)]
    return [PublicGrant(f"{_privileges(stmt)} on {kind} {_name(o)}",
                        _name(o) if stmt.objtype in (ObjectType.OBJECT_TABLE, ObjectType.OBJECT_FOREIGN_TABLE)
                        else None) for o in stmt.objects]


def _default_of(stmt: ast.GrantStmt) -> bool:
    privileges = {p.priv_name.lower() for p in stmt.privileges} if stmt.privileges else None
    if privileges is None:  # ALL: a default only where ALL is what PUBLIC has anyway (EXECUTE)
        return stmt.objtype in (ObjectType.OBJECT_FUNCTION, ObjectType.OBJECT_PROCEDURE, ObjectType.OBJECT_ROUTINE)
    return privileges <= _DEFAULTS.get(stmt.objtype, set())


def _default(on: str, privileges: tuple[str, ...]) -> bool:
    kind = {"function": ObjectType.OBJECT_FUNCTION, "schema": ObjectType.OBJECT_SCHEMA}.get(on)
    return kind is not None and {p.lower() for p in privileges} <= _DEFAULTS[kind]


def _privileges(stmt: ast.GrantStmt) -> str:
    if not stmt.privileges:
        return "ALL"
    return ", ".join(p.priv_name.upper() + (f" ({', '.join(c.sval for c in p.cols)})" if p.cols else "")
                     for p in stmt.privileges)


def _plural(kind: ObjectType) -> str:
    return {ObjectType.OBJECT_TABLE: "tables", ObjectType.OBJECT_SEQUENCE: "sequences",
            ObjectType.OBJECT_FUNCTION: "functions", ObjectType.OBJECT_TYPE: "types",
            ObjectType.OBJECT_SCHEMA: "schemas"}.get(kind, "objects")


def _name(o: ast.Node) -> str:
    if isinstance(o, ast.RangeVar):
        return o.relname if not o.schemaname or o.schemaname == "public" else f"{o.schemaname}.{o.relname}"
    if isinstance(o, ast.String):
        return o.sval
    if isinstance(o, ast.ObjectWithArgs):
        return ".".join(s.sval for s in o.objname)
    return "?"


def _to_public(grantees: tuple[ast.RoleSpec, ...] | None) -> bool:
    return any(r.roletype == RoleSpecType.ROLESPEC_PUBLIC for r in grantees or ())


def _role(r: ast.RoleSpec) -> str:
    return "public" if r.roletype == RoleSpecType.ROLESPEC_PUBLIC else (r.rolename or str(r.roletype.name).lower())


def _statements(text: str) -> Iterator[ast.Node]:
    """Each GRANT-bearing statement of a SQL script that parses: split as psql does, ignoring
    parentheses as the importer does to recover after an unbalanced one, so one bad statement
    costs only itself."""
    for piece in split_script(text, parentheses=False):
        if piece.kind == "sql" and "grant" in piece.text.lower():  # only GRANTs are read from source text
            yield from _parsed(piece.text)


def _parsed(text: str) -> list[ast.Node]:
    try:
        return [raw.stmt for raw in pglast.parse_sql(text)]
    except pglast.parser.ParseError:
        return []


def _walk(node: object) -> Iterator[ast.Node]:
    if isinstance(node, ast.Node):
        yield node
        for attribute in node:
            yield from _walk(getattr(node, attribute))
    elif isinstance(node, tuple):
        for item in node:
            yield from _walk(item)
