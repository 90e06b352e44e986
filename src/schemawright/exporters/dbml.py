"""A model as DBML (dbdiagram.io's language), read back by importers/dbml.py to the same model.

Deterministic: tables, columns, enums and references come out in the model's order, and
nothing depends on time or on the machine.  What DBML has no syntax for is written so that
the importer reads it back: a unique constraint of several columns (or with its own name)
is an index with `note: 'unique constraint'`, an index method other than btree/hash, its
covering columns and its WHERE are the index note `using gin include (a) where <expr>`,
check constraints are a `checks { }` block (newer DBML).  Generated columns, exclusion
constraints, views, functions, triggers and other kept objects have no DBML form: they
are listed in `//` comments so a reader still sees them, and are not read back.
"""

from __future__ import annotations

import re

from schemawright import model as m
from schemawright.importers.dbml import UNIQUE_CONSTRAINT_NOTE
from schemawright.importers.pg_names import column_part, object_name
from schemawright.sql.quoting import quote_ident

_BARE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_BARE_TYPE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\(\s*\d+(?:\s*,\s*\d+)?\s*\))?(?:\[\])?$")
_INTEGER = re.compile(r"^(?:0|[1-9][0-9]*)$")
_STRING = re.compile(r"^'((?:[^']|'')*)'$", re.DOTALL)
_KEYWORDS = {"table", "ref", "enum", "project", "note", "tablegroup", "indexes", "as", "checks"}


def to_dbml(design: m.Design) -> str:
    """The model as DBML text."""
    out: list[str] = []
    enum_types = {quote_ident(e.name): e for e in design.enums}
    out += _project(design)
    for enum in design.enums:
        out.append(f"Enum {_name(enum.name)} {{")
        out += [f"  {_name(value)}" for value in enum.values]
        out += ["}", ""]
    for table in design.tables:
        out += _table(table, design, enum_types)
    for table in design.tables:
        for fk in table.foreign_keys:
            out.append(_ref(table, fk))
    if any(t.foreign_keys for t in design.tables):
        out.append("")
    groups = design.source.table_groups
    known = {t.name for t in design.tables}
    for group, members in groups.items():
        out.append(f"TableGroup {_name(group)} {{")
        out += [f"  {_name(t)}" for t in members if t in known]
        out += ["}", ""]
    for name, text in design.source.sticky_notes.items():
        out += [f"Note {_name(name)} {{", f"  {_string(text)}", "}", ""]
    out += _not_expressible(design)
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"


def _project(design: m.Design) -> list[str]:
    lines = [f"Project {_name(design.project)} {{"]
    lines.append(f"  database_type: {_string(design.source.database_type or 'PostgreSQL')}")
    if design.extensions:
        lines.append(f"  extensions: {_string(', '.join(design.extensions))}")
    if design.description:
        lines.append(f"  Note: {_string(design.description)}")
    return lines + ["}", ""]


def _table(table: m.Table, design: m.Design, enum_types: dict[str, m.EnumType]) -> list[str]:
    lines = [f"Table {_name(table.name)} {{"]
    pk = table.primary_key
    inline_pk = pk is not None and len(pk.columns) == 1 and pk.name == object_name(table.name, None, "pkey")
    inline_unique: set[str] = set()
    index_lines: list[str] = []
    for unique in table.uniques:
        if len(unique.columns) == 1 and unique.name == object_name(table.name, unique.columns[0], "key") \
                and unique.columns[0] not in inline_unique:
            inline_unique.add(unique.columns[0])
        else:
            index_lines.append(f"{_subjects(unique.columns)} [unique, name: {_string(unique.name)}, "
                               f"note: {_string(UNIQUE_CONSTRAINT_NOTE)}]")
    for column in table.columns:
        settings = []
        if inline_pk and pk is not None and pk.columns == (column.name,):
            settings.append("pk")
        if column.identity:
            settings.append("increment")
        if not column.nullable and "pk" not in settings:
            settings.append("not null")
        if column.name in inline_unique:
            settings.append("unique")
        if column.default is not None and not column.identity:
            settings.append(f"default: {_default(column.default)}")
        if column.description:
            settings.append(f"note: {_string(column.description)}")
        type_text = column.sql_type or column.semantic or "text"
        enum = enum_types.get(type_text)
        shown_type = _name(enum.name) if enum is not None else _type(type_text)
        line = f"  {_name(column.name)} {shown_type}"
        if settings:
            line += f" [{', '.join(settings)}]"
        lines.append(line)
        if column.generated is not None:
            lines.append(f"  // {column.name}: generated always as ({_comment(column.generated)}) stored")
    if pk is not None and not inline_pk:
        index_lines.insert(0, f"{_subjects(pk.columns)} [pk, name: {_string(pk.name)}]")
    for index in design.indexes_on(table.name):
        index_lines.append(_index(index))
    if table.description:
        lines.append(f"  Note: {_string(table.description)}")
    if index_lines:
        lines.append("")
        lines.append("  indexes {")
        lines += [f"    {line}" for line in index_lines]
        lines.append("  }")
    checks = [c for c in table.checks if "`" not in c.expression]  # DBML cannot escape a backtick
    if checks:
        lines.append("")
        lines.append("  checks {")
        lines += [f"    `{check.expression}` [name: {_string(check.name)}]" for check in checks]
        lines.append("  }")
    for check in table.checks:
        if check not in checks:
            lines.append(f"  // check constraint {check.name}: CHECK ({_comment(check.expression)})")
    for exclusion in table.exclusions:
        lines.append(f"  // exclusion constraint {exclusion.name}: EXCLUDE {_comment(exclusion.definition)}")
    return lines + ["}", ""]


def _index(index: m.Index) -> str:
    parts = []
    for column in index.columns:
        expression = column.expression
        if expression.startswith("(") and expression.endswith(")") and not column.descending:
            parts.append(f"`{expression[1:-1]}`")
        elif column.descending:
            parts.append(f"`{expression if expression.startswith('(') else quote_ident(expression)} desc`")
        else:
            parts.append(_name(expression))
    subjects = parts[0] if len(parts) == 1 and not parts[0].startswith("`") else f"({', '.join(parts)})"
    if len(parts) == 1 and parts[0].startswith("`"):
        subjects = parts[0]
    settings = []
    if index.unique:
        settings.append("unique")
    settings.append(f"name: {_string(index.name)}")
    note = []
    if index.method in ("btree", "hash"):
        if index.method == "hash":
            settings.append("type: hash")
    else:
        note.append(f"using {index.method}")
    if index.include:
        note.append(f"include ({', '.join(index.include)})")
    if index.where:
        note.append(f"where {index.where}")
    if note:
        settings.append(f"note: {_string(' '.join(note))}")
    elif index.reason:
        settings.append(f"note: {_string(index.reason)}")
    return f"{subjects} [{', '.join(settings)}]"


def _ref(table: m.Table, fk: m.ForeignKey) -> str:
    keys = [set(table.primary_key.columns)] if table.primary_key else []
    keys += [set(u.columns) for u in table.uniques]
    one_to_one = set(fk.columns) in keys
    settings = f" [delete: {fk.on_delete}]" if fk.on_delete and fk.on_delete != "no action" else ""
    name = "" if fk.name == object_name(table.name, column_part(list(fk.columns)), "fkey") else f" {_name(fk.name)}"
    return (f"Ref{name}: {_name(table.name)}.{_columns(fk.columns)} {'-' if one_to_one else '>'} "
            f"{_name(fk.ref_table)}.{_columns(fk.ref_columns)}{settings}")


def _not_expressible(design: m.Design) -> list[str]:
    lines = []
    for view in design.views:
        lines.append(f"// view {view.name}: not expressible in DBML")
    for function in design.functions:
        lines.append(f"// function {function.name}: not expressible in DBML")
    for trigger in design.triggers:
        lines.append(f"// trigger {trigger.name} on {trigger.table}: not expressible in DBML")
    for obj in design.objects:
        lines.append(f"// {obj.kind} {obj.name}: not expressible in DBML")
    for role in design.roles:
        grants = sum(1 for g in design.grants if g.role == role.name)
        lines.append(f"// role {role.name} ({role.kind}, {grants} grant(s)): not expressible in DBML")
    for table in design.row_security:
        policies = sum(1 for p in design.policies if p.table == table)
        lines.append(f"// row-level security on {table} (forced, {policies} policies): not expressible in DBML")
    return lines


# ---------------------------------------------------------------- spelling


def _name(name: str) -> str:
    if _BARE.match(name) and name.lower() not in _KEYWORDS:
        return name
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _type(sql_type: str) -> str:
    if _BARE_TYPE.match(sql_type) and sql_type.lower() not in _KEYWORDS:
        return sql_type.replace(" ", "")
    return '"' + sql_type.replace('"', '\\"') + '"'


def _columns(columns: tuple[str, ...]) -> str:
    if len(columns) == 1:
        return _name(columns[0])
    return "(" + ", ".join(_name(c) for c in columns) + ")"


def _subjects(columns: tuple[str, ...]) -> str:
    return "(" + ", ".join(_name(c) for c in columns) + ")"


def _string(text: str) -> str:
    if "\n" in text:
        return "'''" + text.replace("\\", "\\\\").replace("'''", "\\'''") + "'''"
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _default(default: str) -> str:
    if default in ("true", "false"):
        return default
    if _INTEGER.match(default):
        return default
    literal = _STRING.match(default)
    if literal:
        return _string(literal.group(1).replace("''", "'"))
    return f"`{default}`"


def _comment(text: str) -> str:
    return " ".join(text.split())
