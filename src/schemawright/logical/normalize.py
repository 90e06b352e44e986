"""Apply the normal-form splits (`normalize: true` or `design --normalize`).

Works on entities, before the logical stage builds tables, so the split-out entity gets its
table, key and foreign key from the same code as every other entity.  A declared dependency
X -> Y whose determinant X is not a key of its entity is a BCNF violation; the step that
removes it is the textbook one: move closure(X) - X into a new entity keyed by X, keep X in
the old entity as a foreign key to it.  Repeating until no declared dependency violates gives
a BCNF decomposition of the declared dependencies; every split is lossless (the shared
columns X are a key of the new entity).  Dependencies kept on purpose (`denormalized:`) are
left alone.  Read patterns that name a moved column are rewritten with a join (patterns.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from schemawright import model as m
from schemawright.logical.patterns import JoinRewrite, rewrite_pattern
from schemawright.naming import Namer
from schemawright.normalization.closure import closure
from schemawright.normalization.dependencies import FD

SURROGATE = "id"


@dataclass(frozen=True)
class Split:
    source: str  # the entity the columns left
    entity: str  # the new entity
    key: tuple[str, ...]  # determinant columns: the new entity's key, a foreign key in `source`
    moved: tuple[str, ...]  # columns that moved
    rule: str


def normalize_entities(design: m.Design) -> m.Design:
    """Split entities until no declared dependency (not kept on purpose) breaks BCNF."""
    if not design.normalize:
        return design
    namer = Namer(design.naming.tables, design.naming.case)
    entities = {e.name: e for e in design.entities}
    rules = list(design.rules)
    relationships = list(design.relationships)
    volumes = {v.entity: v for v in design.volumes}
    splits: list[Split] = []
    decisions: list[m.Decision] = []
    while True:
        found = _first_violation(entities, rules, relationships, namer)
        if found is None:
            break
        entity, rule, moved = found
        split = _split(entity, rule, moved, entities, rules, relationships, volumes, namer)
        splits.append(split)
        decisions.append(m.Decision(
            step="logical", subject=f"rule {rule.name}",
            choice=f"split {', '.join(split.moved)} of {split.source} into {split.entity} keyed by "
                   f"{', '.join(split.key)}",
            reason=f"({', '.join(rule.columns)}) determines ({', '.join(split.moved)}) but is not a key of "
                   f"{split.source}: every row with the same {', '.join(rule.columns)} would repeat the same values. "
                   f"The split is lossless ({', '.join(split.key)} is the key of {split.entity}) and keeps the "
                   f"dependency as that key."))
    if not splits:
        return design
    patterns, notes = _rewrite_patterns(design, splits, entities, relationships, namer)
    decisions += notes
    return design.model_copy(update={
        "entities": tuple(entities.values()), "rules": tuple(rules), "relationships": tuple(relationships),
        "volumes": tuple(volumes.values()), "access_patterns": patterns,
        "decisions": design.decisions + tuple(decisions)})


def entity_columns(entity: m.Entity, namer: Namer, relationships: list[m.Relationship]) -> list[str]:
    """Column names an entity's table will have, without the ones relationships add."""
    columns = [] if entity.primary_key is not None else [SURROGATE]
    columns += [namer.column(a.name, a.column) for a in entity.attributes if a.type != "list"]
    for rel in relationships:
        if rel.child == entity.name and rel.cardinality != "many-to-many":
            columns += [c for c in rel.columns if c not in columns]
    return columns


def _keys(entity: m.Entity, namer: Namer) -> list[frozenset[str]]:
    keys = [frozenset(entity.primary_key)] if entity.primary_key is not None else [frozenset((SURROGATE,))]
    keys += [frozenset((namer.column(a.name, a.column),)) for a in entity.attributes if a.unique and a.required]
    return keys


def _first_violation(entities: dict[str, m.Entity], rules: list[m.Rule], relationships: list[m.Relationship],
                     namer: Namer) -> tuple[m.Entity, m.Rule, tuple[str, ...]] | None:
    for rule in rules:
        entity = entities.get(rule.entity)
        if rule.kind != "depends" or rule.denormalized or entity is None:
            continue
        columns = entity_columns(entity, namer, relationships)
        if not set(rule.columns) | set(rule.dependent) <= set(columns):
            continue  # names a column this entity no longer has: reported by the check stage
        all_columns = frozenset(columns)
        fds = [FD(k, all_columns) for k in _keys(entity, namer)]
        fds += [FD(frozenset(r.columns), frozenset(r.dependent)) for r in rules
                if r.kind == "depends" and r.entity == entity.name
                and set(r.columns) | set(r.dependent) <= all_columns]
        reach = closure(rule.columns, fds)
        if reach >= all_columns:
            continue  # the determinant is a (super)key: no violation
        moved = tuple(c for c in columns if c in reach and c not in rule.columns)
        if moved:
            return entity, rule, moved
    return None


def _entity_name(key: tuple[str, ...], entities: dict[str, m.Entity]) -> str:
    base = "".join(part.capitalize() for column in key for part in column.split("_"))
    name, n = base, 2
    while name in entities:
        name, n = f"{base}{n}", n + 1
    return name


def _split(entity: m.Entity, rule: m.Rule, moved: tuple[str, ...], entities: dict[str, m.Entity],
           rules: list[m.Rule], relationships: list[m.Relationship], volumes: dict[str, m.Volume],
           namer: Namer) -> Split:
    key = tuple(rule.columns)
    name = _entity_name(key, entities)
    by_column = {namer.column(a.name, a.column): a for a in entity.attributes}
    key_attrs = [by_column[c].model_copy(update={"required": True, "unique": False, "default": None, "identity": False,
                                                 "generated": None}) for c in key if c in by_column]
    moved_attrs = [by_column[c] for c in moved if c in by_column]
    entities[name] = m.Entity(name=name, description=f"Split out of {entity.name}: {', '.join(moved)} depend on "
                                                     f"{', '.join(key)} (rule {rule.name}).",
                              attributes=tuple(key_attrs + moved_attrs), audit=entity.audit, key=entity.key,
                              primary_key=key)
    entities[entity.name] = entity.model_copy(update={
        "attributes": tuple(a for a in entity.attributes if namer.column(a.name, a.column) not in moved)})
    required = all(by_column[c].required for c in key if c in by_column)
    relationships.append(m.Relationship(
        name=f"{name}_{entity.name}", parent=name, child=entity.name, cardinality="one-to-many", required=required,
        on_delete="restrict" if required else "set null", columns=key, references=key,
        description=f"The {', '.join(key)} of this {entity.name}."))
    # Rules that live entirely among the moved columns go with them.
    new_columns = set(key) | set(moved)
    for i, other in enumerate(rules):
        named = set(other.columns) | set(other.dependent)
        if other.entity == entity.name and named and named <= new_columns and named & set(moved):
            rules[i] = other.model_copy(update={"entity": name})
    source_volume = volumes.get(entity.name)
    distinct = [a.data.distinct for a in key_attrs if a.data and a.data.distinct]
    rows = min(distinct) if distinct else (source_volume.rows if source_volume else None)
    if rows:
        volumes[name] = m.Volume(entity=name, rows=rows)
    return Split(entity.name, name, key, moved, rule.name)


def _rewrite_patterns(design: m.Design, splits: list[Split], entities: dict[str, m.Entity],
                      relationships: list[m.Relationship], namer: Namer,
                      ) -> tuple[tuple[m.AccessPattern, ...], list[m.Decision]]:
    def table(entity: str) -> str:
        return namer.table(entity, entities[entity].table)

    # Columns each table had before the splits, to tell whose an unqualified name is.
    before = {namer.table(e.name, e.table): frozenset(entity_columns(e, namer, list(design.relationships)))
              for e in design.entities}
    rewrites = [JoinRewrite(table=table(s.source), moved=s.moved, target=table(s.entity), key=s.key,
                            optional=not next(r.required for r in relationships
                                              if r.parent == s.entity and r.child == s.source),
                            others=before)
                for s in splits]
    patterns, notes = [], []
    for pattern in design.access_patterns:
        sql, problem = pattern.sql, None
        for rewrite in rewrites:
            sql, problem = rewrite_pattern(sql, rewrite)
            if problem:
                break
        if problem:
            notes.append(m.Decision(step="logical", subject=f"access pattern {pattern.name}", choice="not rewritten",
                                    reason=f"{problem}; rewrite it by hand for the normalised tables"))
            patterns.append(pattern)
        elif sql != pattern.sql:
            notes.append(m.Decision(step="logical", subject=f"access pattern {pattern.name}",
                                    choice="rewritten with a join to the split-out table", reason=sql))
            patterns.append(pattern.model_copy(update={"sql": sql}))
        else:
            patterns.append(pattern)
    return tuple(patterns), notes
