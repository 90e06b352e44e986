"""Apply the normal-form splits (`normalize: true` or `design --normalize`).

Works on entities, before the logical stage builds tables, so the split-out entity gets its
table, key and foreign key from the same code as every other entity.  A declared dependency
X -> Y whose determinant X is not a key of its entity is a BCNF violation; the step that
removes it is the textbook one: move closure(X) - X into an entity keyed by X (a new one, or
the one X already references), keep X in the old entity as a foreign key to it.  Repeating
until no declared dependency violates gives a BCNF decomposition of the declared
dependencies; every split is lossless (the shared columns X are a key of the target).
Dependencies kept on purpose (`denormalized:`) are left alone.  split_plan.py says which
split comes next and which ones cannot be made; split_carry.py moves the constraints with
their columns; read patterns, views and copies' queries that name a moved column are
rewritten with a join (patterns.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from schemawright import model as m
from schemawright.logical.patterns import JoinRewrite, rewrite_pattern
from schemawright.logical.split_carry import Carrier
from schemawright.logical.split_plan import Split, Workspace, join_rewrite, plan_splits
from schemawright.naming import Namer

# Each split removes at least one column from a table; more rounds than this means a bug.
MAX_SPLITS = 1000


@dataclass
class Outcome:
    """What --normalize does with each declared dependency that breaks BCNF."""

    applied: dict[str, Split] = field(default_factory=dict)  # rule -> the first split made for it
    blocked: dict[str, str] = field(default_factory=dict)  # rule -> why its split is left out
    lost: dict[str, str] = field(default_factory=dict)  # rule -> why another split dropped it


def normalize_entities(design: m.Design) -> m.Design:
    """Split entities until no declared dependency (not kept on purpose) breaks BCNF."""
    if not design.normalize:
        return design
    ws, outcome = _run(design)
    if not outcome.applied and not outcome.blocked:
        return design
    security = design.security.model_copy(update={"roles": tuple(ws.roles)})
    return design.model_copy(update={
        "entities": tuple(ws.entities.values()), "rules": tuple(ws.rules), "relationships": tuple(ws.relationships),
        "volumes": tuple(ws.volumes.values()), "access_patterns": tuple(ws.patterns), "views": tuple(ws.views),
        "denormalizations": tuple(ws.denormalizations), "security": security,
        "decisions": design.decisions + tuple(ws.decisions)})


def split_outcome(design: m.Design) -> Outcome:
    """What `--normalize` would do with the design as it stands (report.md's proposals)."""
    return _run(design, patterns=False)[1]


def _run(design: m.Design, patterns: bool = True) -> tuple[Workspace, Outcome]:
    namer = Namer(design.naming.tables, design.naming.case)
    ws = Workspace.of(design)
    outcome = Outcome()
    failed: dict[str, str] = {}  # pattern -> why it is left as written (later splits leave it too)
    made = 0
    while True:
        planned = plan_splits(ws, namer)
        ready = _independent([s for s in planned if s.blocked is None], one=bool(ws.views or ws.denormalizations))
        if not ready or made >= MAX_SPLITS:
            break
        for split in ready:
            _apply(split, ws, namer, outcome, failed if patterns else None)
        made += len(ready)
    for split in planned:
        outcome.blocked[split.rule] = split.blocked or "the step stopped after too many splits"
        ws.decisions.append(m.Decision(step="logical", subject=f"rule {split.rule}", choice="not split",
                                       reason=f"{outcome.blocked[split.rule]}. The table stays below BCNF; "
                                              "report.md lists the violation."))
    if patterns:
        _pattern_notes(design, ws, failed)
    return ws, outcome


def _pattern_notes(design: m.Design, ws: Workspace, failed: dict[str, str]) -> None:
    """One decision per access pattern the splits touched; one left as written keeps its text."""
    originals = {p.name: p for p in design.access_patterns}
    for i, pattern in enumerate(ws.patterns):
        if pattern.name in failed:
            ws.patterns[i] = originals[pattern.name]
            ws.decisions.append(m.Decision(step="logical", subject=f"access pattern {pattern.name}",
                                           choice="not rewritten", reason=f"{failed[pattern.name]}; rewrite it by "
                                                                          "hand for the normalised tables"))
        elif pattern.sql != originals[pattern.name].sql:
            ws.decisions.append(m.Decision(step="logical", subject=f"access pattern {pattern.name}",
                                           choice="rewritten with a join to the split-out table", reason=pattern.sql))


def _independent(splits: list[Split], one: bool) -> list[Split]:
    """The splits of one pass: in rule order, each touching entities no earlier one of the pass
    touches, so each was planned on the design it applies to, without planning every rule
    again after each split.  Views and copies' queries are rewritten by each split in turn:
    then one split per pass."""
    out: list[Split] = []
    touched: set[str] = set()
    for split in splits:
        if {split.source, split.entity} & touched:
            continue
        out.append(split)
        touched |= {split.source, split.entity}
        if one:
            break
    return out


def _apply(split: Split, ws: Workspace, namer: Namer, outcome: Outcome, failed: dict[str, str] | None) -> None:
    before = ws.columns(split.source, namer)
    rewrite = join_rewrite(split, ws, namer)
    source = ws.entities[split.source]
    if split.into_parent:
        _into_parent(split, ws, namer)
    else:
        _into_new_entity(split, ws, namer)
    ws.changed()
    carrier = Carrier(split, ws, namer, before)
    carrier.carry()
    ws.changed()
    outcome.applied.setdefault(split.rule, split)
    outcome.lost.update(carrier.lost)
    key, moved = ", ".join(split.key), ", ".join(split.moved)
    into = f"{split.table} (a new table keyed by {key})" if not split.into_parent else \
        f"{split.table}, the table ({key}) references"
    ws.decisions.append(m.Decision(
        step="logical", subject=f"rule {split.rule}", choice=f"split {moved} of {source.name} into {into}",
        reason=f"({key}) determines ({moved}) but is not a key of {source.name}: every row with the same {key} would "
               f"repeat the same values. The split is lossless ({', '.join(split.target_key)} is the key of "
               f"{split.table}) and keeps the dependency as that key."))
    ws.views[:] = [v.model_copy(update={"sql": rewrite_pattern(v.sql, rewrite)[0]}) for v in ws.views]
    ws.denormalizations[:] = [d.model_copy(update={"query": rewrite_pattern(d.query, rewrite)[0]}) if d.query else d
                              for d in ws.denormalizations]
    if failed is not None:
        ws.patterns[:] = [_rewritten(p, rewrite, failed) for p in ws.patterns]


def _into_new_entity(split: Split, ws: Workspace, namer: Namer) -> None:
    source = ws.entities[split.source]
    by_column = {namer.column(a.name, a.column): a for a in source.attributes}
    key_attrs = [by_column[c].model_copy(update={"required": True, "unique": False, "default": None,
                                                 "identity": False, "generated": None})
                 for c in split.key if c in by_column]
    moved_attrs = [by_column[c] for c in split.moved if c in by_column]
    ws.entities[split.entity] = m.Entity(
        name=split.entity, table=split.table, attributes=tuple(key_attrs + moved_attrs), audit=source.audit,
        key=source.key, primary_key=split.key,
        description=f"Split out of {source.name}: {', '.join(split.moved)} depend on {', '.join(split.key)} "
                    f"(rule {split.rule}).")
    ws.entities[source.name] = source.model_copy(update={"attributes": tuple(a for a in source.attributes
                                                                             if a not in moved_attrs)})
    required = set(split.key) <= ws.required(source.name, namer)
    names = {r.name for r in ws.relationships}
    copies = []
    for i, (rel, fk) in enumerate([(r, ws.fk_columns(r, namer)) if r.child == source.name
                                   and r.cardinality != "many-to-many" else (r, ()) for r in ws.relationships]):
        if fk and set(fk) <= set(split.moved):  # a foreign key that moved: the target's now
            ws.relationships[i] = rel.model_copy(update={"child": split.entity})
        elif fk and set(fk) <= set(split.key):  # part of the new key: the target references the same parent
            copies.append(rel.model_copy(update={
                "name": _fresh(f"{rel.name}_{split.entity}", names), "child": split.entity, "required": True,
                "constraint": None, "on_delete": "cascade" if rel.on_delete == "cascade" else "restrict",
                "cardinality": "one-to-many", "at_least_one": False}))
    ws.relationships += copies + [m.Relationship(
        name=_fresh(f"{split.entity}_{source.name}", names), parent=split.entity, child=source.name,
        cardinality="one-to-many", required=required, on_delete="restrict" if required else "set null",
        columns=split.key, references=split.key, description=f"The {', '.join(split.key)} of this {source.name}.")]
    volume = ws.volumes.get(source.name)
    distinct = [a.data.distinct for a in key_attrs if a.data and a.data.distinct]
    rows = min(distinct) if distinct else (volume.rows if volume else None)
    if rows:
        ws.volumes[split.entity] = m.Volume(entity=split.entity, rows=rows)
    ws.roles[:] = [_grant_too(role, source.name, split.entity) for role in ws.roles]


def _into_parent(split: Split, ws: Workspace, namer: Namer) -> None:
    source, parent = ws.entities[split.source], ws.entities[split.entity]
    moved_attrs = [a for a in source.attributes if namer.column(a.name, a.column) in split.moved]
    ws.entities[parent.name] = parent.model_copy(update={"attributes": parent.attributes + tuple(moved_attrs)})
    ws.entities[source.name] = source.model_copy(update={"attributes": tuple(a for a in source.attributes
                                                                             if a not in moved_attrs)})
    for i, rel in enumerate(ws.relationships):
        if rel.child == source.name and rel.cardinality != "many-to-many" \
                and set(ws.fk_columns(rel, namer)) <= set(split.moved):
            ws.relationships[i] = rel.model_copy(update={"child": parent.name})


def _grant_too(role: m.Role, source: str, entity: str) -> m.Role:
    """A role that reads or writes the source needs the split-out table as well."""
    return role.model_copy(update={verb: getattr(role, verb) + (entity,) for verb in ("read", "write")
                                   if source in getattr(role, verb)})


def _fresh(base: str, taken: set[str]) -> str:
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


def _rewritten(pattern: m.AccessPattern, rewrite: JoinRewrite, failed: dict[str, str]) -> m.AccessPattern:
    if pattern.name in failed:
        return pattern
    sql, problem = rewrite_pattern(pattern.sql, rewrite)
    if problem:
        failed[pattern.name] = problem
        return pattern
    return pattern if sql == pattern.sql else pattern.model_copy(update={"sql": sql})
