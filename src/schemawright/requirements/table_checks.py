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
from schemawright.errors import SpecIssue, did_you_mean
from schemawright.requirements.references import relationship_name
from schemawright.requirements.spec import Spec

if TYPE_CHECKING:
    from schemawright.requirements.loader import Locator

# Column types whose values can reference each other in a foreign key (PostgreSQL finds an
# equality operator between them); types outside this table are left to PostgreSQL.
_FAMILIES = {
    "smallint": "integer", "int2": "integer", "integer": "integer", "int": "integer", "int4": "integer",
    "bigint": "integer", "int8": "integer", "numeric": "numeric", "decimal": "numeric",
    "real": "float", "float4": "float", "double precision": "float", "float8": "float",
    "text": "text", "varchar": "text", "character varying": "text", "char": "text", "character": "text",
    "bpchar": "text", "citext": "text", "uuid": "uuid", "boolean": "boolean", "bool": "boolean",
    "date": "datetime", "timestamp": "datetime", "timestamptz": "datetime", "timestamp with time zone": "datetime",
    "timestamp without time zone": "datetime", "time": "time", "jsonb": "jsonb", "json": "json",
}


def table_problems(spec: Spec, design: m.Design, at: Locator) -> list[SpecIssue]:
    """`design`: the logical tables of `spec` (with audit columns)."""
    from schemawright.physical.build import build_physical

    typed = {t.name: t for t in build_physical(design).tables}
    return _keyless_lists(spec, at) + _same_column_twice(spec, design, at) + \
        _expression_columns(spec, design, typed, at) + _foreign_key_types(spec, typed, at)


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
    for i, rule in enumerate(spec.rules):
        if rule.check is not None:
            yield ("rules", i, "check"), rule.check, design.table_for_entity(rule.entity), ""
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


def _expression_columns(spec: Spec, design: m.Design, typed: dict[str, m.Table], at: Locator) -> list[SpecIssue]:
    out: list[SpecIssue] = []
    for path, text, table, hint in _expressions(spec, design):
        if table is None:
            continue
        columns = [c.name for c in table.columns]
        named, subquery = _column_refs(text)
        types = {c.name: c.sql_type for c in typed[table.name].columns} if table.name in typed else {}
        if path[-1] == "check" and (what := not_boolean(text, types)):
            out.append(at.issue(path, f"check {text!r} is {what}, not a condition: PostgreSQL requires a CHECK "
                                "to be boolean", "write a condition that is true or false, e.g. `qty > 0` or "
                                "`label <> ''`"))
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
                mine, theirs = _family(column.sql_type), _family(key.sql_type)
                if mine and theirs and mine != theirs:
                    out.append(at.issue(("relationships", where[fk.relationship], "columns"),
                                        f"foreign key column {name!r} is {column.sql_type} but references "
                                        f"{fk.ref_table}.{ref}, which is {key.sql_type}",
                                        f"give {name!r} the key's type, or drop `columns:` so schemawright adds a "
                                        "column of the right type"))
    return out


def _family(sql_type: str) -> str | None:
    base = sql_type.strip().lower()
    if base.endswith("[]"):
        element = _family(base[:-2])
        return element + "[]" if element else None
    return _FAMILIES.get(base.split("(")[0].strip())


# Built-in types a value can have that are not boolean, for casts (`x::text`) and columns.
_NOT_BOOLEAN_TYPES = (set(_FAMILIES) - {"boolean", "bool"}) | {
    "float", "bytea", "interval", "money", "timetz", "inet", "cidr", "macaddr", "bit", "varbit", "xml", "name",
    "oid", "serial", "bigserial", "smallserial", "tsvector", "tsquery", "point", "int4range", "int8range",
    "numrange", "tsrange", "tstzrange", "daterange"}
# Operators whose result is never boolean for built-in types (arithmetic and concatenation).
_ARITHMETIC = {"+", "-", "*", "/", "%", "^", "||", "|/", "||/", "@", "~", "&", "|", "#", "<<", ">>"}
# What PostgreSQL reads as a boolean when a quoted string stands alone (its parse_bool).
_BOOLEAN_WORDS = {w[:n] for w in ("true", "false", "yes", "no") for n in range(1, len(w) + 1)} | \
    {"on", "of", "off", "1", "0"}


def not_boolean(text: str, types: dict[str, str]) -> str | None:
    """What `text` (one SQL expression) clearly is when its value cannot be boolean — a number,
    a string, arithmetic, a cast to another type, a column of another type (`types`: column name
    to SQL type) — else None.  Anything this cannot tell (a function call, an operator of an
    extension) is left to PostgreSQL."""
    try:
        parsed = pglast.parse_sql(f"SELECT ({text}\n)")
    except pglast.parser.ParseError:
        return None  # reported by sql_fragments.py
    return _kind_of(parsed[0].stmt(skip_none=True)["targetList"][0]["val"], types)


def _kind_of(node: dict, types: dict[str, str]) -> str | None:
    kind = node.get("@")
    if kind == "A_Const":
        value = node.get("val") or {}
        if value.get("@") in ("Integer", "Float"):
            return f"the number {value.get('ival', value.get('fval'))}"
        if value.get("@") == "BitString":
            return "a bit string"
        if value.get("@") == "String" and value.get("sval", "").strip().lower() not in _BOOLEAN_WORDS:
            return f"the string {value.get('sval')!r}"
    elif kind == "A_Expr" and node["kind"]["name"] == "AEXPR_OP" and len(node.get("name") or ()) == 1:
        operator = node["name"][0].get("sval")
        if operator in _ARITHMETIC and not (operator in ("~", "#") and node.get("lexpr") is not None):
            return f"arithmetic (`{operator}`)"  # binary ~ is a regular expression match; # a box operator
    elif kind == "TypeCast":
        names = [n.get("sval") for n in node["typeName"].get("names") or ()]
        array = bool(node["typeName"].get("arrayBounds"))
        if names and (array or names[-1].lower() in _NOT_BOOLEAN_TYPES):
            return f"a value cast to {names[-1]}{'[]' if array else ''}"
    elif kind == "SQLValueFunction":
        return "a date, time or user name"
    elif kind == "ColumnRef":
        last = (node.get("fields") or ({},))[-1]
        sql_type = types.get(last.get("sval", "")) if isinstance(last, dict) else None
        if sql_type and (sql_type.endswith("]") or _family(sql_type) is not None and _family(sql_type) != "boolean"):
            return f"column {last['sval']!r} of type {sql_type}"
    elif kind in ("RowExpr", "A_ArrayExpr"):
        return "a row" if kind == "RowExpr" else "an array"
    elif kind == "CollateClause":
        return _kind_of(node["arg"], types)
    return None
