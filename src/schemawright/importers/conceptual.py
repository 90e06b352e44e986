"""Entities and relationships for an imported schema, read back from its tables and keys.

A designed schema goes entities -> tables; an imported one only has tables, so this
derives the conceptual layer the other way (one entity per table, one relationship per
foreign key, a many-to-many per junction table, a list attribute per first-normal-form
child table), so the data dictionary and the diagrams speak about an existing schema in
the same words as about a designed one: "each Order belongs to exactly one Customer".
"""

from __future__ import annotations

import re

from schemawright import model as m
from schemawright.importers.semantics import infer

_LENGTH_CHECK = re.compile(r"^\(?char_length\(\(?(\w+)\)?(?:::text)?\)\s*<=\s*(\d+)\)?$")
_UUID_DEFAULTS = ("gen_random_uuid()", "uuid_generate_v4()", "uuidv4()", "uuidv7()")


def with_conceptual(design: m.Design) -> m.Design:
    """`design` with entities, relationships and Table.kind/entity derived from its tables.

    A design that already has entities (one made from a spec) is returned unchanged.
    Entity names are the singular of the table name in CamelCase (`order_lines` ->
    `OrderLine`); relationships are named like the spec names them (`Customer_Order`, with
    the role when the foreign key column is not `<parent>_id`).
    """
    if design.entities or not design.tables:
        return design
    shapes = _shapes(design.tables)
    names = _entity_names([t for t in design.tables if shapes[t.name] == "entity"])
    unique_sets = _unique_sets(design)
    enums = {e.name: e.values for e in design.enums}

    entities: list[m.Entity] = []
    relationships: list[m.Relationship] = []
    used: set[str] = set()
    tables: list[m.Table] = []
    list_attributes: dict[str, list[m.Attribute]] = {}
    for table in design.tables:
        shape = shapes[table.name]
        if shape == "junction":
            table, rel = _junction(table, names, unique_sets, enums, used)
            relationships.append(rel)
        elif shape == "list":
            table, attribute = _list(table, names, enums)
            list_attributes.setdefault(table.foreign_keys[0].ref_table, []).append(attribute)
        else:
            table, rels = _entity_links(table, names, unique_sets, used)
            relationships += rels
        tables.append(table)
    for table in tables:
        if table.kind == "entity":
            entities.append(_entity(table, names[table.name], unique_sets, enums,
                                    tuple(list_attributes.get(table.name, ()))))
    return design.model_copy(update={"entities": tuple(entities), "relationships": tuple(relationships),
                                     "tables": tuple(tables)})


# ------------------------------------------------------------------ shapes


def _shapes(tables: tuple[m.Table, ...]) -> dict[str, str]:
    """Each table's shape; a junction or list table whose keys do not all point at entity
    tables is an entity itself (which may in turn make another junction valid)."""
    shapes = {t.name: _shape(t) for t in tables}
    changed = True
    while changed:
        changed = False
        for t in tables:
            if shapes[t.name] != "entity" and any(shapes.get(fk.ref_table) != "entity" for fk in t.foreign_keys):
                shapes[t.name], changed = "entity", True
    return shapes


def _shape(table: m.Table) -> str:
    """junction: the key is exactly two foreign keys; list: one foreign key plus one value
    column, nothing else; otherwise an entity."""
    pk = set(table.primary_key.columns) if table.primary_key else set()
    fks = table.foreign_keys
    if pk and len(fks) == 2:
        a, b = set(fks[0].columns), set(fks[1].columns)
        if not (a & b) and a | b == pk:
            return "junction"
    if pk and len(fks) == 1 and len(table.columns) == len(pk):
        rest = pk - set(fks[0].columns)
        if len(rest) == 1 and set(fks[0].columns) < pk:
            return "list"
    return "entity"


def _unique_sets(design: m.Design) -> dict[str, list[frozenset[str]]]:
    """Per table, the column sets that are unique: primary key, unique constraints, unique
    indexes on plain columns without WHERE (what makes a foreign key one-to-one)."""
    out: dict[str, list[frozenset[str]]] = {}
    for t in design.tables:
        sets = [frozenset(u.columns) for u in t.uniques]
        sets += [frozenset(t.primary_key.columns)] if t.primary_key else []
        out[t.name] = sets
    for index in design.indexes:
        if index.unique and index.where is None and all(not c.expression.startswith("(") for c in index.columns):
            out.setdefault(index.table, []).append(frozenset(c.expression for c in index.columns))
    return out


# ------------------------------------------------------------------ names


def _singular(word: str) -> str:
    """orders -> order, categories -> category, addresses -> address (inverse of naming.pluralise)."""
    lower = word.lower()
    if lower.endswith("ies") and len(word) > 3:
        return word[:-3] + ("Y" if word[-1].isupper() else "y")
    if lower.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2]
    if lower.endswith("s") and not lower.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _camel(name: str) -> str:
    """order_line -> OrderLine; names that are not snake_case keep their own capitals."""
    parts = [p for p in re.split(r"[\s_\-]+", name) if p]
    return "".join(p[:1].upper() + p[1:] for p in parts) or name


def _unique_name(wanted: str, taken: set[str]) -> str:
    name, n = wanted, 1
    while name in taken:
        n += 1
        name = f"{wanted}{n}"
    return name


def _entity_names(tables: list[m.Table]) -> dict[str, str]:
    names: dict[str, str] = {}
    for table in tables:
        names[table.name] = _unique_name(_camel(_singular(table.name)), set(names.values()))
    return names


def _role(fk: m.ForeignKey, parent_table: str) -> str | None:
    """The role a foreign key column names (`referred_by`, `billing_address_id` -> billing_address),
    or None when it is just `<parent>_id` as the logical stage would name it."""
    if len(fk.columns) != 1:
        return None
    column = fk.columns[0]
    if column in (f"{_singular(parent_table)}_id", f"{parent_table}_id") or column in fk.ref_columns:
        return None
    return column[:-3] if column.endswith("_id") else column


# ------------------------------------------------------------------ tables


def _entity_links(table: m.Table, names: dict[str, str], unique_sets: dict[str, list[frozenset[str]]],
                  used: set[str]) -> tuple[m.Table, list[m.Relationship]]:
    rels, fks = [], []
    child = names[table.name]
    for fk in table.foreign_keys:
        parent = names.get(fk.ref_table)
        if parent is None:  # a key into a junction or list table: no entity on that side
            fks.append(fk)
            continue
        rel = _relationship(table, fk, parent, child, unique_sets, used)
        rels.append(rel)
        fks.append(fk.model_copy(update={"relationship": rel.name}))
    return table.model_copy(update={"kind": "entity", "entity": child, "foreign_keys": tuple(fks),
                                    "columns": _key_semantics(table)}), rels


def _relationship(table: m.Table, fk: m.ForeignKey, parent: str, child: str,
                  unique_sets: dict[str, list[frozenset[str]]], used: set[str]) -> m.Relationship:
    role = _role(fk, fk.ref_table)
    name = _unique_name(f"{parent}_{child}" + (f"_{role}" if role else ""), used)
    used.add(name)
    one = frozenset(fk.columns) in unique_sets.get(table.name, [])
    required = all((c := table.column(col)) is not None and not c.nullable for col in fk.columns)
    return m.Relationship(name=name, parent=parent, child=child, cardinality="one-to-one" if one else "one-to-many",
                          required=required, on_delete=fk.on_delete, role=role,
                          **_optional(m.Relationship, columns=fk.columns, references=fk.ref_columns,
                                      constraint=fk.name))


def _junction(table: m.Table, names: dict[str, str], unique_sets: dict[str, list[frozenset[str]]],
              enums: dict[str, tuple[str, ...]], used: set[str]) -> tuple[m.Table, m.Relationship]:
    left, right = table.foreign_keys
    keys = set(left.columns) | set(right.columns)
    attributes = tuple(_attribute(c, table, unique_sets, enums) for c in table.columns if c.name not in keys)
    name = _unique_name(table.name, used)
    used.add(name)
    rel = m.Relationship(name=name, parent=names[left.ref_table], child=names[right.ref_table],
                         cardinality="many-to-many", required=True, on_delete=left.on_delete,
                         attributes=attributes, description=table.description,
                         **_optional(m.Relationship, columns=left.columns + right.columns,
                                     references=left.ref_columns + right.ref_columns))
    fks = tuple(fk.model_copy(update={"relationship": name}) for fk in table.foreign_keys)
    return table.model_copy(update={"kind": "junction", "entity": name, "foreign_keys": fks,
                                    "columns": _key_semantics(table)}), rel


def _list(table: m.Table, names: dict[str, str], enums: dict[str, tuple[str, ...]]) -> tuple[m.Table, m.Attribute]:
    fk = table.foreign_keys[0]
    owner = names[fk.ref_table]
    value = next(c for c in table.columns if c.name not in fk.columns)
    prefix = _singular(fk.ref_table) + "_"
    attr_name = table.name[len(prefix):] if table.name.startswith(prefix) else ""
    attr_name = attr_name or table.name
    element = infer(value.sql_type, enums=enums)
    attribute = m.Attribute(name=attr_name, type="list", of=element.type, max_length=element.max_length,
                            description=table.description, column=value.name)
    entity = f"{owner}.{attr_name}"
    fks = (fk.model_copy(update={"relationship": entity}),)
    return table.model_copy(update={"kind": "list", "entity": entity, "foreign_keys": fks,
                                    "columns": _key_semantics(table)}), attribute


def _surrogate(table: m.Table) -> str | None:
    """"identity" or "uuid" when the primary key is the surrogate `id` a spec would generate."""
    if not table.primary_key or len(table.primary_key.columns) != 1:
        return None
    column = table.column(table.primary_key.columns[0])
    if column is None or any(column.name in fk.columns for fk in table.foreign_keys):
        return None
    if column.identity or column.sql_type in ("serial", "bigserial", "smallserial"):
        return "identity"
    if column.sql_type == "uuid" and column.default in _UUID_DEFAULTS:
        return "uuid"
    return None


def _key_semantics(table: m.Table) -> tuple[m.Column, ...]:
    """Mark surrogate keys (`id`, `uuid_key`) and foreign key columns (`fk`) as the logical
    stage marks them, so documentation shows keys the same way for both kinds of schema."""
    surrogate = _surrogate(table)
    key = table.primary_key.columns[0] if surrogate and table.primary_key else None
    fk_columns = {c for fk in table.foreign_keys for c in fk.columns}
    out = []
    for column in table.columns:
        if column.name == key:
            column = column.model_copy(update={"semantic": "id" if surrogate == "identity" else "uuid_key"})
        elif column.name in fk_columns:
            column = column.model_copy(update={"semantic": "fk"})
        out.append(column)
    return tuple(out)


# ------------------------------------------------------------------ entities


def _entity(table: m.Table, name: str, unique_sets: dict[str, list[frozenset[str]]],
            enums: dict[str, tuple[str, ...]], lists: tuple[m.Attribute, ...]) -> m.Entity:
    surrogate = _surrogate(table)
    skip = {c for fk in table.foreign_keys if fk.relationship for c in fk.columns}
    if surrogate and table.primary_key:
        skip.add(table.primary_key.columns[0])
    lengths = {}
    for check in table.checks:
        found = _LENGTH_CHECK.match(check.expression.strip())
        if found:
            lengths[found.group(1)] = int(found.group(2))
    attributes = tuple(_attribute(c, table, unique_sets, enums, lengths.get(c.name))
                       for c in table.columns if c.name not in skip) + lists
    natural = table.primary_key.columns if table.primary_key and not surrogate else None
    return m.Entity(name=name, description=table.description, table=table.name, attributes=attributes,
                    key="uuid" if surrogate == "uuid" else "identity",
                    **_optional(m.Entity, primary_key=natural))


def _attribute(column: m.Column, table: m.Table, unique_sets: dict[str, list[frozenset[str]]],
               enums: dict[str, tuple[str, ...]], max_length: int | None = None) -> m.Attribute:
    semantic = infer(column.sql_type, enums=enums, column=column.name)
    kind = column.semantic if column.semantic not in ("", "fk", "id", "uuid_key") else semantic.type
    if kind == "text" and max_length is not None:
        kind = "string"
    enum_type = column.sql_type if semantic.type == "enum" else None
    return m.Attribute(
        name=column.name, type=kind, required=not column.nullable,
        unique=frozenset((column.name,)) in unique_sets.get(table.name, []),
        default=f"sql: {column.default}" if column.default is not None else None,
        max_length=semantic.max_length if semantic.max_length is not None else max_length,
        precision=semantic.precision, scale=semantic.scale, values=semantic.values, of=semantic.of,
        description=column.description, pii=column.pii, column=column.name,
        **_optional(m.Attribute, sql_type=column.sql_type, enum_type=enum_type, identity=column.identity,
                    generated=column.generated),
    )


def _optional(model: type, **values: object) -> dict[str, object]:
    """Only the fields this version of the model has (the spec grows fields over time)."""
    return {k: v for k, v in values.items() if k in model.model_fields}  # type: ignore[attr-defined]
