"""Located errors found on the tables a spec becomes, before any SQL is written: two columns
of one table with the same name, a check or generated expression naming a column the table
does not have, a foreign key column whose type cannot reference its key, and a list
attribute on an entity without a key.  Each is a spec that PostgreSQL would refuse.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pglast

from schemawright import model as m
from schemawright.integrity.audit_trail import AUDIT_TRAIL
from schemawright.requirements import pg_builtins
from schemawright.requirements.constraint_checks import constraint_problems
from schemawright.errors import SpecIssue, did_you_mean
from schemawright.requirements.expression_types import Scope, expression_problems
from schemawright.requirements.references import relationship_name, table_names
from schemawright.requirements.spec import Spec
from schemawright.sql import types

if TYPE_CHECKING:
    from schemawright.requirements.loader import Locator


def table_problems(spec: Spec, design: m.Design, at: Locator) -> list[SpecIssue]:
    """`design`: the logical tables of `spec` (with audit columns)."""
    from schemawright.physical.build import build_physical

    physical = build_physical(design)
    typed = {t.name: t for t in physical.tables}
    return _keyless_lists(spec, at) + _same_column_twice(spec, design, at) + \
        _expression_columns(spec, design, at) + _foreign_key_types(spec, typed, at) + \
        _expression_types(spec, design, physical, at) + _column_types(spec, physical, at) + \
        constraint_problems(spec, design, at) + _audit_trail_problems(spec, design, at)


def _keyless_lists(spec: Spec, at: Locator) -> list[SpecIssue]:
    """List attributes and many-to-many relationships reference their entity's key."""
    keyless = [e for e, entity in spec.entities.items() if entity.primary_key == []]
    out = [at.issue(("entities", e, "attributes", a), f"list attribute {a!r} needs a key on {e}, which has no "
                    "primary key (`primary_key: []`)", "give the entity a key, or use `type: array`", at_key=True)
           for e in keyless for a, attr in spec.entities[e].attributes.items() if attr.type == "list"]
    for i, rel in enumerate(spec.relationships):
        missing = [e for e in dict.fromkeys((rel.from_, rel.to)) if e in keyless]
        if rel.type == "many-to-many" and missing:
            out.append(at.issue(("relationships", i), f"many-to-many relationship {relationship_name(rel, i)!r} "
                                f"references the key of {missing[0]}, which has no primary key (`primary_key: []`)",
                                "give the entity a key"))
    return out


def _audit_trail_problems(spec: Spec, design: m.Design, at: Locator) -> list[SpecIssue]:
    """The trail records each row's primary key, under its own table name."""
    if not spec.security.audit_trail:
        return []
    out = []
    taken = design.table(AUDIT_TRAIL)
    if taken is not None:
        owner = f"entity {taken.entity!r}" if taken.entity else "a table"
        out.append(at.issue(("security", "audit_trail"), f"the audit trail is a table named {AUDIT_TRAIL!r}, and "
                            f"{owner} is already designed under that name",
                            "give that entity another table name (`table:` on the entity)"))
    for j, name in enumerate(spec.security.audit_trail):
        table = design.table_for_entity(name) or design.table(name)
        if table is not None and table.primary_key is None:
            out.append(at.issue(("security", "audit_trail", j), f"security.audit_trail names {name!r}, whose table "
                                f"{table.name} has no primary key: the trail records which row changed by its key",
                                "give the entity a key (remove `primary_key: []`) or leave it out of audit_trail"))
    return out


def _attribute_paths(spec: Spec) -> dict[str, tuple]:
    """`Owner.attribute` (a column's source) -> where that attribute is in the file."""
    paths = {f"{e}.{a}": ("entities", e, "attributes", a) for e, ent in spec.entities.items() for a in ent.attributes}
    paths.update({f"{relationship_name(r, i)}.{a}": ("relationships", i, "attributes", a)
                  for i, r in enumerate(spec.relationships) for a in r.attributes})
    return paths


def _same_column_twice(spec: Spec, design: m.Design, at: Locator) -> list[SpecIssue]:
    paths = _attribute_paths(spec)
    out: list[SpecIssue] = []
    for table in design.tables:
        first: dict[str, m.Column] = {}
        for column in table.columns:
            earlier = first.setdefault(column.name, column)
            if earlier is column:
                continue
            mine, theirs = (column, earlier) if column.source in paths else (earlier, column)
            path = paths.get(mine.source or "")
            if path is None:
                continue  # two generated columns: reported as a relationship collision already
            what = f"attribute {theirs.source.split('.', 1)[1]!r}" if theirs.source in paths else \
                "a foreign key column"
            out.append(at.issue(path, f"attribute {path[-1]!r} becomes column {column.name!r} of {table.name}, which "
                                f"is already {what}", "rename one of them, or set `column:` to another name",
                                at_key=True))
    return out


def _expressions(spec: Spec, design: m.Design) -> Iterator[tuple[tuple, str, m.Table | None, str]]:
    """(path, text, table it is checked in, hint when a column is missing) of each expression."""
    names = table_names(spec)  # a rule may name a junction table
    for i, rule in enumerate(spec.rules):
        if rule.check is not None:
            yield ("rules", i, "check"), rule.check, design.table_for_entity(names.get(rule.entity, "")), ""
    tables = {t.entity: t for t in design.tables if t.entity}
    for path, attr in ((("entities", e, "attributes", a), attr) for e, ent in spec.entities.items()
                       for a, attr in ent.attributes.items()):
        owner = path[1]
        if attr.type == "list":
            table = tables.get(f"{owner}.{path[-1]}")
            hint = "the check of a list attribute applies to each of its values, named `value`: e.g. `value > 0`"
        else:
            table, hint = design.table_for_entity(owner), ""
        for key in ("check", "generated"):
            if getattr(attr, key) is not None:
                yield path + (key,), getattr(attr, key), table, hint
    for i, rel in enumerate(spec.relationships):
        table = tables.get(relationship_name(rel, i))
        for a, attr in rel.attributes.items():
            if attr.check is not None:
                yield ("relationships", i, "attributes", a, "check"), attr.check, table, ""
    for name, entity in spec.entities.items():
        for i, index in enumerate(entity.indexes):
            if index.where is not None:
                yield ("entities", name, "indexes", i, "where"), index.where, design.table_for_entity(name), ""


def _expression_columns(spec: Spec, design: m.Design, at: Locator) -> list[SpecIssue]:
    out: list[SpecIssue] = []
    for path, text, table, hint in _expressions(spec, design):
        if table is None:
            continue
        columns = [c.name for c in table.columns]
        named, subquery = _column_refs(text)
        if subquery:
            out.append(at.issue(path, f"{path[-1]} {text!r} holds a subquery, which PostgreSQL does not allow here",
                                "compare columns of this table only; for rules across tables use a foreign key "
                                "or a trigger"))
        for name in dict.fromkeys(named):
            if name not in columns:
                out.append(at.issue(path, f"{path[-1]} {text!r} names column {name!r}, which table {table.name!r} "
                                    "does not have", did_you_mean(name, columns) or hint or
                                    f"columns: {', '.join(columns)}"))
    return out


def _column_refs(text: str) -> tuple[list[str], bool]:
    """The column names an expression reads, and whether it holds a subquery.  The text was
    already checked to be one expression (sql_fragments.py); unreadable text names nothing."""
    try:
        parsed = pglast.parse_sql(f"SELECT ({text}\n)")
    except pglast.parser.ParseError:
        return [], False
    names: list[str] = []
    subquery = False

    def walk(node: object) -> None:
        nonlocal subquery
        if isinstance(node, dict):
            kind = node.get("@")
            if kind == "ColumnRef":
                fields = node.get("fields") or ()
                last = fields[-1] if fields else {}
                if isinstance(last, dict) and last.get("@") == "String":
                    names.append(last.get("sval") or last.get("str") or "")
                return
            subquery = subquery or kind == "SubLink"
            for value in node.values():
                walk(value)
        elif isinstance(node, (list, tuple)):
            for value in node:
                walk(value)

    walk([raw.stmt(skip_none=True) for raw in parsed])
    return names, subquery


def _foreign_key_types(spec: Spec, typed: dict[str, m.Table], at: Locator) -> list[SpecIssue]:
    where = {relationship_name(r, i): i for i, r in enumerate(spec.relationships) if r.columns}
    out: list[SpecIssue] = []
    for table in typed.values():
        for fk in table.foreign_keys:
            if fk.relationship not in where or fk.ref_table not in typed:
                continue
            for name, ref in zip(fk.columns, fk.ref_columns):
                column, key = table.column(name), typed[fk.ref_table].column(ref)
                if column is None or key is None or not column.sql_type or not key.sql_type:
                    continue
                mine, theirs = types.family(column.sql_type), types.family(key.sql_type)
                if mine and theirs and mine != theirs:
                    out.append(at.issue(("relationships", where[fk.relationship], "columns"),
                                        f"foreign key column {name!r} is {column.sql_type} but references "
                                        f"{fk.ref_table}.{ref}, which is {key.sql_type}",
                                        f"give {name!r} the key's type, or drop `columns:` so schemawright adds a "
                                        "column of the right type"))
    return out


def _expression_types(spec: Spec, design: m.Design, physical: m.Design, at: Locator) -> list[SpecIssue]:
    """Checks, index predicates, defaults and generated expressions PostgreSQL would refuse for
    their types (expression_types.py): each is located at the key that holds it."""
    scope = _scope(spec, physical)
    typed = {t.name: t for t in physical.tables}
    found: list[tuple[tuple, str, list[str]]] = []
    for path, text, table, _ in _expressions(spec, design):
        if table is not None and path[-1] == "check" and table.name in typed:
            columns = {c.name: c.sql_type for c in typed[table.name].columns}
            found.append((path, text, expression_problems(text, Scope(columns, **scope), condition=True)))
    for name, entity in spec.entities.items():
        table = typed.get(getattr(design.table_for_entity(name), "name", ""))
        for i, index in enumerate(entity.indexes if table else ()):
            if index.where is not None:
                columns = {c.name: c.sql_type for c in table.columns}
                found.append((("entities", name, "indexes", i, "where"), index.where,
                               expression_problems(index.where, Scope(columns, **scope), condition=True)))
    paths = _attribute_paths(spec)
    for table in physical.tables:
        columns = {c.name: c.sql_type for c in table.columns}
        for column in table.columns:
            path = paths.get(column.source or "")
            if path is None or not column.sql_type:
                continue
            if column.generated is not None:
                found.append((path + ("generated",), column.generated, expression_problems(
                    column.generated, Scope(columns, **scope), target=column.sql_type, generated=True)))
            elif column.default is not None:
                named, subquery = _column_refs(column.default)
                problems = ["reads a column or a subquery, which a default cannot: it is computed before the row "
                            "exists"] if named or subquery else []
                found.append((path + ("default",), column.default, problems or expression_problems(
                    column.default, Scope(columns, **scope), target=column.sql_type)))
    return [at.issue(path, f"{path[-1]} {text!r} {problem}", _TYPE_HINTS[path[-1]])
            for path, text, problems in found for problem in problems]


_TYPE_HINTS = {
    "check": "write a condition on this table's columns that PostgreSQL can evaluate, e.g. `qty > 0` or "
             "`ends_at > starts_at`, comparing values of the same kind",
    "where": "write a condition on this table's columns, e.g. `deleted_at IS NULL`",
    "default": "give a value of the column's type (see docs/spec.md, defaults), or `sql:` an expression of that type",
    "generated": "compute the value from this row's columns only, with functions that always give the same result, "
                 "as a value of the column's type",
}


def _scope(spec: Spec, physical: m.Design) -> dict:
    """The functions and sequences the spec creates, and whether an extension may add more."""
    functions: set[str] = set()
    sequences = {obj.name.split(".")[-1] for obj in spec.objects if obj.kind.lower() == "sequence"}
    extensions = bool((set(physical.extensions) | set(spec.extensions)) - _KNOWN_EXTENSIONS)
    for obj in spec.objects:
        try:
            statements = [raw.stmt for raw in pglast.parse_sql(obj.sql)]
        except pglast.parser.ParseError:
            continue
        for statement in statements:
            kind = type(statement).__name__
            if kind == "CreateFunctionStmt":
                functions.add(statement.funcname[-1].sval)
            elif kind == "CreateSeqStmt":
                sequences.add(statement.sequence.relname)
            elif kind == "CreateExtensionStmt":
                extensions = True
    if "citext" in physical.extensions:
        functions.add("citext")
    return {"functions": functions, "sequences": sequences, "extensions": extensions}


# Extensions schemawright adds itself, whose functions no expression of a spec calls by a new name.
_KNOWN_EXTENSIONS = {"citext", "btree_gist", "btree_gin"}


def _column_types(spec: Spec, physical: m.Design, at: Locator) -> list[SpecIssue]:
    """An identity column of a type other than an integer, and a `sql_type` PostgreSQL does not
    have (unless the spec creates it, or an extension may)."""
    paths = _attribute_paths(spec)
    scope = _scope(spec, physical)
    made = {t.name for t in physical.tables} | {e.name for e in physical.enums} | set(physical.extensions)
    for obj in spec.objects:
        made.add(obj.name.split(".")[-1])
    out: list[SpecIssue] = []
    for table in physical.tables:
        for column in table.columns:
            path = paths.get(column.source or "")
            if path is None:
                continue
            read = types.parse(column.sql_type)
            if column.identity and (read.base not in types.INTEGERS or read.array):
                out.append(at.issue(path + ("identity",), f"an identity column must be smallint, integer or bigint, "
                                    f"and {column.name!r} is {column.sql_type}",
                                    "drop `identity: true`, or make the attribute an integer or bigint"))
            attr = _attribute_at(spec, path)
            if attr is not None and attr.sql_type and not scope["extensions"]:
                name = _type_name(attr.sql_type)
                if name and name not in pg_builtins.TYPES and types.parse(name).base not in types.BY_NAME and \
                        name not in made:
                    out.append(at.issue(path + ("sql_type",), f"sql_type {attr.sql_type!r} names type {name!r}, "
                                        "which PostgreSQL does not have and the spec does not create",
                                        "use a built-in type, or create the type in `objects:` (or its extension "
                                        "in `extensions:`)"))
    return out


def _attribute_at(spec: Spec, path: tuple):  # noqa: ANN202 - an Attribute or None
    owner = spec.entities.get(path[1]) if path[0] == "entities" else spec.relationships[path[1]]
    return owner.attributes.get(path[3]) if owner is not None else None


def _type_name(sql_type: str) -> str | None:
    """The type's own name as PostgreSQL reads it (`int` -> int4), or None when it belongs to
    a schema other than pg_catalog (made by the spec or an extension)."""
    try:
        statement = pglast.parse_sql(f"CREATE TABLE t (c {sql_type})")[0].stmt
        names = [n.sval for n in statement.tableElts[0].typeName.names]
    except (pglast.parser.ParseError, AttributeError, IndexError, TypeError):
        return None
    return names[-1] if len(names) == 1 or names[0] == "pg_catalog" else None
