"""Step 2: requirements -> conceptual model (entities, relationships with cardinality,
business rules, access patterns, volumes and the non-functional needs)."""

from __future__ import annotations

from pydantic import BaseModel

from schemawright import model as m
from schemawright.naming import Namer
from schemawright.conceptual.partition_request import partition_request
from schemawright.requirements import spec as s
from schemawright.requirements.pattern_sql import structured_sql
from schemawright.requirements.references import relationship_name, table_names, volume_names

def build_conceptual(spec: s.Spec) -> m.Design:
    namer = Namer(spec.naming.tables, spec.naming.case)
    default_audit = spec.audit
    entities = tuple(
        m.Entity(
            name=name,
            description=e.description,
            table=e.table,
            attributes=tuple(_attribute(a_name, a) for a_name, a in e.attributes.items()),
            audit=default_audit if e.audit is None else e.audit,
            key=e.key or spec.naming.keys,
            primary_key=tuple(e.primary_key) if e.primary_key is not None else None,
            primary_key_name=e.primary_key_name,
            exclusions=tuple(m.Exclusion(name=x.name, definition=x.definition) for x in e.exclusions),
            indexes=tuple(m.DeclaredIndex(name=i.name, columns=tuple(i.columns), unique=i.unique, using=i.using,
                                          where=i.where, include=tuple(i.include)) for i in e.indexes),
            partition=partition_request(e.partition),
        )
        for name, e in spec.entities.items()
    )
    relationships = tuple(_relationship(r, i) for i, r in enumerate(spec.relationships))
    # Rules, volumes and roles may name a junction table by its table name: the design knows
    # it by its relationship's name (references.table_names).
    tables = table_names(spec)
    rules = tuple(_rule(r, i) for i, r in enumerate(spec.rules))
    rules = tuple(r.model_copy(update={"entity": tables.get(r.entity, r.entity)}) for r in rules)
    patterns = tuple(_pattern(p, spec, namer) for p in spec.access_patterns)
    sized = volume_names(spec)  # volumes may also name a list attribute's table
    volumes = tuple(m.Volume(entity=sized.get(k, k), rows=v.rows, growth_per_month=v.growth_per_month,
                             retention_months=v.retention_months) for k, v in spec.volumes.items())
    roles = tuple(r.model_copy(update={
        "read": tuple(tables.get(e, e) for e in r.read), "write": tuple(tables.get(e, e) for e in r.write),
        "append": tuple(tables.get(e, e) for e in r.append),
        "read_columns": tuple(_renamed(c, tables) for c in r.read_columns)}) for r in spec.security.roles)
    return m.Design(
        project=spec.project,
        dialect=spec.database,
        description=spec.description,
        go_live=spec.go_live.isoformat() if spec.go_live else None,
        entities=entities,
        relationships=relationships,
        rules=rules,
        access_patterns=patterns,
        volumes=volumes,
        naming=m.Naming(**_given(spec.naming), derive_indexes=spec.derive_indexes),
        normalize=spec.normalize,
        denormalizations=tuple(m.Denormalization(**{**d.model_dump(), "key": tuple(d.key)})
                               for d in spec.denormalizations),
        transactions=m.Transactions(**_given(spec.transactions)),
        security=m.Security.enforced_by(_objects(spec), **{**_given(spec.security), "roles": roles}),
        operations=m.Operations(**_given(spec.availability)),
        machine=m.Machine(**_given(spec.machine), given=True) if spec.machine else m.Machine(),
        extensions=tuple(sorted(set(spec.extensions))),
        views=tuple(m.View(**v.model_dump()) for v in spec.views),
        objects=_objects(spec),
    )


def _objects(spec: s.Spec) -> tuple[m.SchemaObject, ...]:
    return tuple(m.SchemaObject(**o.model_dump()) for o in spec.objects)


def _given(section: BaseModel) -> dict[str, object]:
    """Every setting of a spec section, defaults included: the design records them all."""
    return {name: getattr(section, name) for name in type(section).model_fields}


def _attribute(name: str, a: s.Attribute) -> m.Attribute:
    data = a.model_dump()
    data["values"] = tuple(a.values or ())
    data["data"] = _data_profile(a.data)
    return m.Attribute(name=name, **data)


def _data_profile(d: s.DataProfile | None) -> m.DataProfile | None:
    if d is None:
        return None
    low = high = None
    if isinstance(d.range, s.DataRange):
        low, high = d.range.min, d.range.max
    elif d.range is not None:
        low, high = d.range
    return m.DataProfile(distinct=d.distinct, zipf=d.skew.zipf if isinstance(d.skew, s.Zipf) else None,
                         null_fraction=d.null_fraction, low=low, high=high)


def _relationship(r: s.Relationship, index: int) -> m.Relationship:
    if r.on_delete:
        on_delete = r.on_delete
    elif r.type == "many-to-many":
        on_delete = "cascade"  # an association row means nothing without both ends
    else:
        on_delete = "restrict" if r.required else "set null"
    return m.Relationship(
        name=relationship_name(r, index), parent=r.from_, child=r.to, cardinality=r.type,
        required=r.required, at_least_one=r.at_least_one, on_delete=on_delete, role=r.role,
        attributes=tuple(_attribute(n, a) for n, a in r.attributes.items()), description=r.description,
        columns=tuple(r.columns or ()), references=tuple(r.references or ()), constraint=r.constraint,
    )


def _rule(r: s.Rule, index: int) -> m.Rule:
    name = r.name or f"{r.entity}_{r.kind}_{index + 1}"
    common = {"name": name, "entity": r.entity, "description": r.description, "constraint": r.constraint,
              "message": r.message}
    if r.unique is not None:
        return m.Rule(kind="unique", columns=tuple(r.unique), **common)
    if r.check is not None:
        return m.Rule(kind="check", expression=r.check, **common)
    if r.depends is not None:
        return m.Rule(kind="depends", columns=tuple(r.depends.determinant), dependent=tuple(r.depends.dependent),
                      denormalized=r.denormalized, **common)
    one = r.at_most_one or r.exactly_one
    if one is not None:
        return m.Rule(kind="at_most_one" if r.at_most_one else "exactly_one", columns=tuple(one.per),
                      condition=one.where, nulls_distinct=one.nulls_distinct, **common)
    if r.no_overlap is not None:
        return m.Rule(kind="no_overlap", columns=tuple(r.no_overlap.per), period=tuple(r.no_overlap.period),
                      condition=r.no_overlap.where, **common)
    if r.aggregate is not None:
        return m.Rule(kind="aggregate", columns=tuple(r.aggregate.per), expression=r.aggregate.check, **common)
    if r.immutable is not None:
        condition = None if r.immutable is True else r.immutable.when  # type: ignore[union-attr]
        return m.Rule(kind="immutable", condition=condition, **common)
    if r.transitions is not None:
        t = r.transitions
        return m.Rule(kind="transitions", columns=(t.column,), initial=tuple(t.initial or ()),
                      transitions=tuple((a, b) for a, targets in t.allowed.items() for b in targets), **common)
    if r.when is not None:
        return m.Rule(kind="conditional", condition=r.when, expression=r.then, **common)
    if r.parent_check is not None:
        return m.Rule(kind="parent_check", columns=tuple(r.parent_check.via), expression=r.parent_check.check,
                      **common)
    assert r.matches is not None
    return m.Rule(kind="matches", columns=tuple(r.matches.columns), target=r.matches.in_,
                  target_columns=tuple(r.matches.to or r.matches.columns), **common)


def _pattern(p: s.AccessPattern, spec: s.Spec, namer: Namer) -> m.AccessPattern:
    sql = p.query.strip() if p.query is not None else structured_sql(p, spec, namer)
    kind = p.kind or ("read" if sql.lstrip("( \n").split(None, 1)[0].lower() in ("select", "with", "values", "table") else "write")
    return m.AccessPattern(name=p.name, sql=sql, frequency=p.frequency, latency_p95_ms=p.latency_p95_ms,
                           kind=kind, description=p.description, returns=p.returns,
                           staleness_seconds=p.staleness_seconds, cacheable=p.cacheable)


def _renamed(item: str, tables: dict[str, str]) -> str:
    """`Entity.attribute` with the design's name for the entity (a junction by its relationship)."""
    entity, dot, attribute = item.partition(".")
    return tables.get(entity, entity) + dot + attribute
