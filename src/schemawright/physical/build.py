"""Step 4: logical tables -> PostgreSQL column types, checks, enum types and extensions."""

from __future__ import annotations

from schemawright import model as m
from schemawright.naming import constraint
from schemawright.physical.types import TypeContext, map_attribute


def build_physical(design: m.Design) -> m.Design:
    attributes = _attribute_index(design)
    enum_style = design.naming.enums
    enums: dict[str, m.EnumType] = {}
    extensions: set[str] = set(design.extensions)
    used: dict[tuple[str, str], tuple[str, list[str]]] = {}  # (semantic, sql type) -> (reason, columns)
    tables: dict[str, m.Table] = {}

    for table in design.tables:
        columns, checks = [], list(table.checks)
        for column in table.columns:
            if column.semantic == "fk":
                columns.append(column)  # typed below, once every key type is known
                continue
            attr = attributes.get(column.source or "")
            mapping = map_attribute(attr, column.semantic, TypeContext(table.name, column.name, enum_style))
            extensions.update(mapping.extensions)
            if mapping.enum_type:
                enums[mapping.enum_type.name] = mapping.enum_type
            for suffix, expression, why in mapping.checks:
                checks.append(m.Check(name=constraint("ck", table.name, column.name, suffix),
                                      expression=expression,
                                      reason=f"{column.semantic}: {why}"))
            default = column.default
            if column.semantic == "uuid_key" and default is None:
                default = "gen_random_uuid()"
            columns.append(column.model_copy(update={"sql_type": mapping.sql_type, "default": default}))
            entry = used.setdefault((column.semantic, mapping.sql_type), (mapping.reason, []))
            entry[1].append(f"{table.name}.{column.name}")
        tables[table.name] = table.model_copy(update={"columns": tuple(columns), "checks": tuple(checks)})

    for name, table in tables.items():
        typed = []
        for column in table.columns:
            if column.semantic == "fk":
                fk = next(f for f in table.foreign_keys if column.name in f.columns)
                target = tables[fk.ref_table].column(fk.ref_columns[fk.columns.index(column.name)])
                column = column.model_copy(update={"sql_type": target.sql_type if target else "bigint"})
            typed.append(column)
        tables[name] = table.model_copy(update={"columns": tuple(typed)})

    decisions = [
        m.Decision(step="physical", subject=f"type {semantic}", choice=sql_type,
                   reason=f"{reason}. Columns: {_listing(columns)}")
        for (semantic, sql_type), (reason, columns) in sorted(used.items())
    ]
    if enums:
        decisions.append(m.Decision(step="physical", subject="enums", choice="PostgreSQL enum types",
                                    reason="naming.enums is `type`"))
    return design.model_copy(update={
        "tables": tuple(tables.values()),
        "enums": tuple(sorted(enums.values(), key=lambda e: e.name)),
        "extensions": tuple(sorted(extensions)),
        "decisions": design.decisions + tuple(decisions),
    })


def _attribute_index(design: m.Design) -> dict[str, m.Attribute]:
    index = {f"{e.name}.{a.name}": a for e in design.entities for a in e.attributes}
    index.update({f"{r.name}.{a.name}": a for r in design.relationships for a in r.attributes})
    return index


def _listing(columns: list[str], limit: int = 6) -> str:
    shown = ", ".join(columns[:limit])
    return shown + (f" and {len(columns) - limit} more" if len(columns) > limit else "")
