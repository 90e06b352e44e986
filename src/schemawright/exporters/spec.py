"""A model (usually imported from an existing schema) as a requirements spec.

`schemawright design` of the result gives back the same tables, columns, types,
nullability, defaults, keys, foreign keys, unique and check constraints and indexes: names
are kept exactly (`naming: {case: preserve, tables: singular}`), every column keeps its
exact `sql_type`, keys and indexes are declared, and `derive_indexes: false` stops the
pipeline from adding indexes of its own.  Views, EXCLUDE constraints and the objects kept
verbatim (functions, triggers, domains ...) travel as SQL text.
"""

from __future__ import annotations

import yaml

from schemawright import model as m
from schemawright.requirements.spec import SEMANTIC_TYPES
from schemawright.security.pii import masked_view
from schemawright.sql.postgresql import PostgresGenerator
from schemawright.sql.quoting import quote_ident
from schemawright.validation.plaintext import plaintext_design

# Semantic types that need options the catalog does not give back; the exact sql_type is
# kept anyway, so `text` loses nothing.
_NEEDS_OPTIONS = {"enum", "array", "list"}
_KEY_SEMANTICS = {"id": "bigint", "uuid_key": "uuid", "fk": "text"}


def to_spec(design: m.Design) -> dict:
    # PII protection is designed again from `security.pii` (security/pii): the spec carries the
    # choice and the plaintext columns, not the ciphertext, blind indexes and masking views.
    derived = {masked_view(t.name) for t in design.tables if any(c.pii for c in t.columns)} \
        if design.security.pii == "mask" and design.security.declared("pii") else set()
    pii = {"pii": design.security.pii} if design.security.declared("pii") else None
    design = plaintext_design(design)
    enums = {quote_ident(e.name): e for e in design.enums}
    spec: dict = {
        "project": design.project,
        "description": design.description,
        "database": "postgresql",
        "naming": {"tables": "singular", "case": "preserve"},
        "derive_indexes": False,
        "extensions": list(design.extensions),
        "entities": {t.name: _entity(t, design, enums) for t in design.tables},
        "relationships": [_relationship(t, fk, design) for t in design.tables for fk in t.foreign_keys],
        "rules": [rule for t in design.tables for rule in _rules(t)],
        "security": pii,
        "views": [{k: v for k, v in view.model_dump().items() if v not in (None, False)} for view in design.views
                  if view.name not in derived],
        "objects": [{k: v for k, v in o.model_dump().items() if v is not None} for o in design.objects if o.sql],
    }
    return {k: v for k, v in spec.items() if v not in (None, [], {})}


def to_spec_yaml(design: m.Design) -> str:
    header = (f"# Requirements spec of {' '.join(design.project.split())}, written by `schemawright import`.\n"
              "# `schemawright design` turns it back into the same tables; edit it to evolve the design.\n")
    return header + yaml.safe_dump(to_spec(design), sort_keys=False, allow_unicode=True, width=120)


def not_exported(design: m.Design) -> list[str]:
    """What the spec cannot carry, so users know what a round trip leaves behind."""
    return [f"{o.kind} {o.name} (no SQL text was kept)" for o in design.objects if not o.sql]


def _entity(table: m.Table, design: m.Design, enums: dict[str, m.EnumType]) -> dict:
    entity: dict = {}
    if table.description:
        entity["description"] = table.description
    entity["primary_key"] = list(table.primary_key.columns) if table.primary_key else []
    if table.primary_key:
        entity["primary_key_name"] = table.primary_key.name
    entity["attributes"] = {c.name: _attribute(c, enums) for c in table.columns}
    indexes = [_index(i) for i in design.indexes if i.table == table.name]
    if indexes:
        entity["indexes"] = indexes
    if table.exclusions:
        entity["exclusions"] = [{"name": x.name, "definition": x.definition} for x in table.exclusions]
    scheme = table.partitioning
    if scheme is not None and len(scheme.columns) == 1:  # the spec's `partition:` has one key column
        entity["partition"] = {"by": scheme.method, "key": scheme.columns[0],
                               "bounds": {p.name: PostgresGenerator().partition_bound_sql(p.bound)
                                          for p in scheme.partitions}}
    return entity


def _attribute(column: m.Column, enums: dict[str, m.EnumType]) -> dict:
    attr: dict = {}
    enum = enums.get(column.sql_type)
    if enum is not None:
        attr.update(type="enum", values=list(enum.values), enum_type=enum.name)
    else:
        semantic = _KEY_SEMANTICS.get(column.semantic, column.semantic)
        attr["type"] = semantic if semantic in SEMANTIC_TYPES and semantic not in _NEEDS_OPTIONS else "text"
        attr["sql_type"] = column.sql_type
    if not column.nullable:
        attr["required"] = True
    if column.default is not None:
        attr["default"] = f"sql: {column.default}"
    if column.identity:
        attr["identity"] = True
    if column.generated is not None:
        attr["generated"] = column.generated
    if column.description:
        attr["description"] = column.description
    if column.pii:
        attr["pii"] = True
    return attr


def _index(index: m.Index) -> dict:
    out: dict = {"name": index.name,
                 "columns": [c.expression + (" desc" if c.descending else "") for c in index.columns]}
    if index.unique:
        out["unique"] = True
    if index.method != "btree":
        out["using"] = index.method
    if index.where:
        out["where"] = index.where
    if index.include:
        out["include"] = list(index.include)
    return out


def _relationship(table: m.Table, fk: m.ForeignKey, design: m.Design) -> dict:
    nullable = any(c.nullable for col in fk.columns if (c := table.column(col)) is not None)
    required = not nullable and fk.on_delete != "set null"
    return {"name": f"{table.name}.{fk.name}", "from": fk.ref_table, "to": table.name, "type": "one-to-many",
            "required": required, "on_delete": fk.on_delete, "columns": list(fk.columns),
            "references": list(fk.ref_columns), "constraint": fk.name}


def _rules(table: m.Table) -> list[dict]:
    rules = [{"name": f"{table.name}.{u.name}", "entity": table.name, "unique": list(u.columns), "constraint": u.name}
             for u in table.uniques]
    rules += [{"name": f"{table.name}.{c.name}", "entity": table.name, "check": c.expression, "constraint": c.name}
              for c in table.checks]
    return rules
