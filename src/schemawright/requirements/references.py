"""Cross-reference checks: every name a spec uses must exist, and no two things may share
a name.  All problems are collected, each located in the file, with the closest valid
name as a hint."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING

from schemawright import model as m
from schemawright.errors import SpecIssue, did_you_mean
from schemawright.naming import Namer
from schemawright.requirements.spec import Spec
from schemawright.requirements.values import value_problems

if TYPE_CHECKING:
    from schemawright.requirements.loader import Locator

AUDIT_COLUMNS = ("created_at", "updated_at", "created_by", "updated_by")
# The checks that need the tables a spec becomes (pipeline.SPEC_CHECKS over the designed tables):
# building them takes the stages, which this package sits below.
DesignChecks = Callable[[Spec, "Locator"], list[SpecIssue]]


def relationship_name(rel, index: int) -> str:  # noqa: ANN001 - spec.Relationship
    """The explicit name, or one derived from the two entities (stable, documented)."""
    if rel.name:
        return rel.name
    return f"{rel.from_}_{rel.to}" + (f"_{rel.role}" if rel.role else "")


def table_names(spec: Spec) -> dict[str, str]:
    """Every name `rules:` (`entity:`), `volumes:` and `security.roles` may give a table the spec
    designs -> the name the design knows it by (model.Table.entity, what Design.table_for_entity
    takes): an entity by its name; a many-to-many junction table by its relationship's name or
    by the junction table's own name, both meaning the relationship.  An entity wins a name
    both could claim."""
    namer = Namer(spec.naming.tables, spec.naming.case)
    names = {name: name for name in spec.entities}
    junctions = [relationship_name(r, i) for i, r in enumerate(spec.relationships) if r.type == "many-to-many"]
    for relationship in junctions:
        names.setdefault(relationship, relationship)
    for relationship in junctions:
        names.setdefault(namer.junction(relationship), relationship)
    return names


def volume_names(spec: Spec) -> dict[str, str]:
    """Every name `volumes:` may give a table: those of table_names, and a list attribute's table
    by `Entity.attribute` or by its table's name, both meaning `Entity.attribute` (model.Table.entity)."""
    namer = Namer(spec.naming.tables, spec.naming.case)
    names = table_names(spec)
    lists = [(e, a) for e, entity in spec.entities.items() for a, attr in entity.attributes.items()
             if attr.type == "list"]
    for entity, attribute in lists:
        names.setdefault(f"{entity}.{attribute}", f"{entity}.{attribute}")
    for entity, attribute in lists:
        names.setdefault(namer.list_table(entity, attribute), f"{entity}.{attribute}")
    return names


def resolve_entity(spec: Spec, name: str) -> str | None:
    """The design's name for the entity or junction table `name` names (see table_names), or None."""
    return table_names(spec).get(name)


def check_references(spec: Spec, at: Locator, design_checks: DesignChecks,
                     ignore: set[str] | None = None) -> list[SpecIssue]:
    """`ignore`: names dropped from invalid input; problems naming them are not reported twice."""
    broken = _entity_references(spec, at)
    clashes, duplicates = _duplicates(spec, at)
    if clashes:
        return broken + clashes + duplicates  # later checks build tables and need distinct table names
    spec, at = _without_broken_references(spec, at)
    collisions = _column_collisions(spec, at)
    placed = {(i.line, i.column) for i in collisions}  # a later check may meet the same clash
    issues = collisions + [i for i in design_checks(spec, at) + value_problems(spec, at)
                           if (i.line, i.column) not in placed]
    if ignore:
        issues = [i for i in issues if not any(f"'{name}'" in i.message for name in ignore)]
    return broken + duplicates + issues


def _without_broken_references(spec: Spec, at: Locator) -> tuple[Spec, Locator]:
    """Drop relationships, rules and patterns that name missing entities (already
    reported), so the remaining checks can still build tables."""
    from schemawright.requirements.loader import _RemappedLocator

    known, tables = spec.entities, table_names(spec)
    keep = {
        "relationships": [i for i, r in enumerate(spec.relationships) if r.from_ in known and r.to in known],
        "rules": [i for i, r in enumerate(spec.rules) if r.entity in tables],
        "access_patterns": [i for i, p in enumerate(spec.access_patterns) if p.entity is None or p.entity in known],
    }
    if all(len(v) == len(getattr(spec, k)) for k, v in keep.items()):
        return spec, at
    cleaned = spec.model_copy(update={k: [getattr(spec, k)[i] for i in v] for k, v in keep.items()})
    inner_kept = getattr(at, "kept", {})
    mapped = {k: [inner_kept[k][i] if k in inner_kept else i for i in v] for k, v in keep.items()}
    return cleaned, _RemappedLocator(at, mapped)


def _entity_references(spec: Spec, at: Locator) -> list[SpecIssue]:
    names = list(spec.entities)
    tables, sized = table_names(spec), volume_names(spec)
    out: list[SpecIssue] = []

    def need(entity: str | None, path: tuple, what: str) -> None:
        if entity is not None and entity not in spec.entities:
            out.append(at.issue(path, f"{what} names entity {entity!r}, which is not defined",
                                did_you_mean(entity, names) or f"define it under `entities:` (known: {', '.join(names)})"))

    def need_table(entity: str, path: tuple, what: str, at_key: bool = False, lists: bool = False) -> None:
        """Rules, volumes and roles may also name a many-to-many relationship's junction table;
        volumes (`lists`) also a list attribute's table."""
        known_names = sized if lists else tables
        if entity not in known_names:
            others = [n for n in known_names if n not in spec.entities]
            known = ", ".join(names + others)
            also = ", nor a list attribute (`Entity.attribute`) or its table" if lists else ""
            out.append(at.issue(path, f"{what} names {entity!r}, which is neither an entity nor a many-to-many "
                                f"relationship or its junction table{also}",
                                did_you_mean(entity, list(known_names)) or f"define it under `entities:` (known: {known})",
                                at_key=at_key))

    for i, rel in enumerate(spec.relationships):
        need(rel.from_, ("relationships", i, "from"), "relationship")
        need(rel.to, ("relationships", i, "to"), "relationship")
    for i, rule in enumerate(spec.rules):
        need_table(rule.entity, ("rules", i, "entity"), "rule")
    for i, pattern in enumerate(spec.access_patterns):
        need(pattern.entity, ("access_patterns", i, "entity"), f"access pattern {pattern.name!r}")
    for i, item in enumerate(spec.denormalizations):
        out += _copy_source(spec, at, i, item, need)
    given: dict[str, str] = {}  # the design's name -> the spelling that gave its volume first
    for entity in spec.volumes:
        need_table(entity, ("volumes", entity), "volume", at_key=True, lists=True)
        if entity in sized and sized[entity] in given:
            out.append(at.issue(("volumes", entity), f"volume {entity!r} is the volume of {given[sized[entity]]!r} "
                                "again (the same table)", "give each table one volume", at_key=True))
        given.setdefault(sized.get(entity, entity), entity)
    for i, role in enumerate(spec.security.roles):
        for verb in ("read", "write", "append"):
            for j, entity in enumerate(getattr(role, verb)):
                if entity != "*":
                    need_table(entity, ("security", "roles", i, verb, j), f"role {role.name!r}")
        for j, item in enumerate(role.read_columns):
            entity, _, attribute = item.partition(".")
            if not attribute:
                out.append(at.issue(("security", "roles", i, "read_columns", j),
                                    f"role {role.name!r}: {item!r} must be written `Entity.attribute`",
                                    "name the entity, a dot, then the attribute (User.display_name)"))
            else:
                need_table(entity, ("security", "roles", i, "read_columns", j), f"role {role.name!r}")
    for key in ("shared", "audit_trail"):
        for j, entity in enumerate(getattr(spec.security, key)):
            need_table(entity, ("security", key, j), f"security.{key}")
    return out


def _copy_source(spec: Spec, at: Locator, i: int, item, need) -> list[SpecIssue]:  # noqa: ANN001
    """A copied column names its entity, a parent attribute, and a relationship that links them."""
    if item.kind != "copied_column" or not item.source or "." not in item.source:
        return []
    need(item.entity, ("denormalizations", i, "entity"), f"denormalization {item.name!r}")
    parent, attribute = item.source.split(".", 1)
    need(parent, ("denormalizations", i, "source"), f"denormalization {item.name!r}")
    if parent not in spec.entities or item.entity not in spec.entities:
        return []
    known = list(spec.entities[parent].attributes)
    if attribute not in known:
        return [at.issue(("denormalizations", i, "source"), f"{parent} has no attribute {attribute!r} to copy",
                         did_you_mean(attribute, known) or f"attributes: {', '.join(known)}")]
    linked = any(r.from_ == parent and r.to == item.entity and r.type != "many-to-many" for r in spec.relationships)
    if not linked:
        return [at.issue(("denormalizations", i, "source"), f"no relationship from {parent} to {item.entity}: "
                         "a copied column follows the foreign key from the entity to its parent",
                         f"add a one-to-many relationship `from: {parent}, to: {item.entity}`, or copy from a parent "
                         f"of {item.entity}")]
    return []


def _duplicates(spec: Spec, at: Locator) -> tuple[list[SpecIssue], list[SpecIssue]]:
    """(two tables or relationships under one name: the design cannot be built to check the rest;
    two access patterns, rules or roles under one name: the other checks still run)."""
    namer = Namer(spec.naming.tables, spec.naming.case)
    out: list[SpecIssue] = []

    hints = {"table": "two things map to this table name; set `table:` on an entity or rename it",
             "relationship": "two relationships join the same entities: give each a `role:` (it names the foreign "
                             "key column) or, for many-to-many, a unique `name:` (it names the junction table)"}

    def report(items: list[tuple[str, tuple]], what: str) -> None:
        counts = Counter(name for name, _ in items)
        for name, path in items:
            if counts[name] > 1:
                out.append(at.issue(path, f"duplicate {what} name {name!r}", hints.get(what, f"give each {what} a unique name")))

    report([(relationship_name(r, i), ("relationships", i)) for i, r in enumerate(spec.relationships)], "relationship")
    tables = [(namer.table(e, ent.table), ("entities", e)) for e, ent in spec.entities.items()]
    tables += [(namer.junction(relationship_name(r, i)), ("relationships", i))
               for i, r in enumerate(spec.relationships) if r.type == "many-to-many"]
    tables += [(namer.list_table(e, a), ("entities", e, "attributes", a))
               for e, ent in spec.entities.items() for a, attr in ent.attributes.items() if attr.type == "list"]
    report(tables, "table")
    clashes, out = out, []
    report([(p.name, ("access_patterns", i, "name")) for i, p in enumerate(spec.access_patterns)], "access pattern")
    report([(r.name, ("rules", i, "name")) for i, r in enumerate(spec.rules) if r.name], "rule")
    report([(r.name, ("security", "roles", i, "name")) for i, r in enumerate(spec.security.roles)], "role")
    return clashes, out


def _column_collisions(spec: Spec, at: Locator) -> list[SpecIssue]:
    """Two attributes, or an attribute and a generated column, that become the same column."""
    namer = Namer(spec.naming.tables, spec.naming.case)
    out: list[SpecIssue] = []
    foreign_keys: dict[str, dict[str, str]] = {}  # child entity -> fk column -> what it is
    for i, rel in enumerate(spec.relationships):
        if rel.type == "many-to-many" or rel.columns:
            continue  # explicit columns reuse the entity's own attributes
        column, name = namer.fk_column(rel.from_, rel.role), relationship_name(rel, i)
        owner = foreign_keys.setdefault(rel.to, {})
        if column in owner:
            out.append(at.issue(("relationships", i), f"relationship {name!r} gives {rel.to} a foreign key column "
                                f"{column!r}, which is already {owner[column]}",
                                "give one of the relationships a `role:`; the column is then named <role>_id"))
        else:
            owner[column] = f"the foreign key of relationship {name!r}"
    for entity_name, entity in spec.entities.items():
        if not entity_name.strip():
            out.append(at.issue(("entities", entity_name), "an entity name is blank", "give the entity a name",
                                at_key=True))
        taken: dict[str, str] = {} if entity.primary_key is not None else {"id": "the surrogate key"}
        if entity.audit if entity.audit is not None else spec.audit:
            taken.update({c: "an audit column" for c in AUDIT_COLUMNS})
        taken.update(foreign_keys.get(entity_name, {}))
        for attr_name, attr in entity.attributes.items():
            if not (attr.column or attr_name).strip():
                out.append(at.issue(("entities", entity_name, "attributes", attr_name), "an attribute name is blank",
                                    "give the attribute a name", at_key=True))
                continue
            if attr.values and spec.naming.enums == "type":
                for value in attr.values:
                    if len(value.encode()) > 63:
                        out.append(at.issue(("entities", entity_name, "attributes", attr_name, "values"),
                                            f"enum value {value[:20]!r}... is longer than 63 bytes, the limit of a "
                                            "PostgreSQL enum label", "shorten it, or use `naming: {enums: check}`"))
            if attr.type == "list":
                continue
            column = namer.column(attr_name, attr.column)
            if column in taken:
                out.append(at.issue(("entities", entity_name, "attributes", attr_name),
                                    f"attribute {attr_name!r} becomes column {column!r}, which is already {taken[column]}",
                                    "rename the attribute or set `column:` to another name (for keys, give the relationship a `role:`)",
                                    at_key=True))
            else:
                taken[column] = f"attribute {attr_name!r}"
        for i, item in enumerate(spec.denormalizations):  # a copied column is a column of its entity too
            column = namer.column(item.name)
            if item.kind == "copied_column" and item.entity == entity_name and column in taken:
                out.append(at.issue(("denormalizations", i, "name"), f"copied column {item.name!r} becomes column "
                                    f"{column!r} of {entity_name}, which is already {taken[column]}",
                                    "give the copy another `name:`"))
            elif item.kind == "copied_column" and item.entity == entity_name:
                taken[column] = f"copied column {item.name!r}"
    return out


def rule_columns(spec: Spec, design: m.Design, at: Locator) -> list[SpecIssue]:
    """`unique:` and `depends:` rules name columns of their entity's table."""
    out: list[SpecIssue] = []
    tables = table_names(spec)
    for i, rule in enumerate(spec.rules):
        table = design.table_for_entity(tables.get(rule.entity, ""))
        if table is None:
            continue  # reported by _entity_references
        columns = [c.name for c in table.columns]
        named = list(rule.unique or []) + (list(rule.depends.determinant) + list(rule.depends.dependent) if rule.depends else [])
        field = "unique" if rule.unique else "depends"
        for name in named:
            if name not in columns:
                out.append(at.issue(("rules", i, field), f"rule names column {name!r}, which table {table.name!r} does not have",
                                    did_you_mean(name, columns) or f"columns: {', '.join(columns)}"))
    return out


def key_columns(spec: Spec, design: m.Design, at: Locator) -> list[SpecIssue]:
    """Declared keys, index columns and foreign key targets name real columns."""
    out: list[SpecIssue] = []

    def columns_of(entity: str) -> list[str]:
        table = design.table_for_entity(entity)
        return [c.name for c in table.columns] if table else []

    for name, entity in spec.entities.items():
        known = columns_of(name)
        for column in entity.primary_key or []:
            if column not in known:
                out.append(at.issue(("entities", name, "primary_key"), f"primary key column {column!r} is not a column "
                                    f"of {name}", did_you_mean(column, known) or f"columns: {', '.join(known)}"))
        for i, index in enumerate(entity.indexes):
            for column in index.columns:
                plain = column.rsplit(None, 1)[0] if column.lower().endswith((" asc", " desc")) else column
                if not plain.startswith("(") and plain not in known:
                    out.append(at.issue(("entities", name, "indexes", i, "columns"), f"index column {plain!r} is not "
                                        f"a column of {name}", did_you_mean(plain, known) or
                                        "write an expression in parentheses, e.g. (lower(email))"))
    for i, rel in enumerate(spec.relationships):
        if rel.type == "many-to-many":
            continue
        parent = design.table_for_entity(rel.from_)
        key = set(parent.primary_key.columns) if parent and parent.primary_key else set()
        targets = list(rel.references or (parent.primary_key.columns if parent and parent.primary_key else []))
        if not targets:
            out.append(at.issue(("relationships", i), f"{rel.from_} has no primary key for the foreign key to reference",
                                "add `references: [...]` naming a unique column set of the parent"))
            continue
        known = columns_of(rel.from_)
        missing = [c for c in targets if c not in known]
        for column in missing:
            out.append(at.issue(("relationships", i, "references"), f"referenced column {column!r} is not a column of "
                                f"{rel.from_}", did_you_mean(column, known)))
        unique_sets = [key] + [set(u.columns) for u in (parent.uniques if parent else ())]
        if not missing and set(targets) not in unique_sets:
            out.append(at.issue(("relationships", i, "references"), f"the referenced columns {targets} are not the "
                                f"primary key or a unique key of {rel.from_}",
                                "PostgreSQL needs a unique constraint on referenced columns; add a `unique` rule"))
        if rel.columns and len(rel.columns) != len(targets):
            out.append(at.issue(("relationships", i, "columns"), f"{len(rel.columns)} foreign key column(s) for "
                                f"{len(targets)} referenced column(s)", "give one column per referenced column"))
    return out
