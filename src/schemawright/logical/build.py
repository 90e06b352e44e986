"""Step 3: conceptual model -> logical tables.

One table per entity with a surrogate key, a foreign key on the child of every
one-to-many (unique for one-to-one), a junction table per many-to-many, a child table per
list-valued attribute (first normal form), and the business rules that the database can
enforce (unique, check).  Column types stay semantic; the physical step picks SQL types.
"""

from __future__ import annotations

from schemawright import model as m
from schemawright.logical.defaults import default_sql
from schemawright.naming import Namer, constraint, fit
from schemawright.sql.quoting import literal, quote_ident


def build_logical(design: m.Design) -> m.Design:
    namer = Namer(design.naming.tables, design.naming.case)
    decisions: list[m.Decision] = []
    tables: dict[str, m.Table] = {}
    entity_tables: dict[str, str] = {}

    for entity in design.entities:
        table = _entity_table(entity, namer)
        tables[table.name] = table
        entity_tables[entity.name] = table.name
        for attr in entity.attributes:
            if attr.type == "list":
                child = _list_table(entity, attr, table, namer)
                tables[child.name] = child
                decisions.append(m.Decision(
                    step="logical", subject=f"{entity.name}.{attr.name}", choice=f"child table {child.name}",
                    reason="a list-valued attribute breaks first normal form; each value becomes a row keyed by "
                           "(owner, value), so values can be indexed, constrained and joined"))
    key_styles = sorted({e.key for e in design.entities})
    decisions.append(m.Decision(
        step="logical", subject="primary keys", choice=", ".join(
            "bigint identity" if k == "identity" else "uuid (gen_random_uuid())" for k in key_styles),
        reason="a surrogate key never changes when business data does; bigint identity is compact and "
               "ordered (fast B-tree inserts), uuid suits keys generated outside the database"))

    for rel in design.relationships:
        parent = tables[entity_tables[rel.parent]]
        child = tables[entity_tables[rel.child]]
        if rel.cardinality == "many-to-many":
            junction = _junction_table(rel, parent, child, namer)
            tables[junction.name] = junction
            entity_tables.setdefault(rel.name, junction.name)  # rules may name the junction by its relationship
            decisions.append(m.Decision(
                step="logical", subject=f"relationship {rel.name}", choice=f"junction table {junction.name}",
                reason="many-to-many needs its own table; its composite primary key forbids duplicate pairs"
                       + (" and it carries the association's attributes" if rel.attributes else "")))
            continue
        tables[child.name] = _add_foreign_key(child, parent, rel, namer)
        if rel.cardinality == "one-to-one":
            decisions.append(m.Decision(
                step="logical", subject=f"relationship {rel.name}",
                choice=f"unique foreign key {namer.fk_column(rel.parent, rel.role)} on {child.name}",
                reason="one-to-one: the unique constraint allows at most one child per parent"))
        decisions.append(m.Decision(
            step="logical", subject=f"relationship {rel.name}", choice=f"ON DELETE {rel.on_delete.upper()}",
            reason="declared in the spec" if rel.on_delete != ("restrict" if rel.required else "set null")
            else ("default for a mandatory parent: deleting a parent that still has children is an error"
                  if rel.required else "default for an optional parent: children are kept and detached")))

    for rule in design.rules:
        name = entity_tables.get(rule.entity)
        if name is None or rule.kind not in ("unique", "check"):
            continue  # the other kinds are compiled by integrity.invariants
        table = tables[name]
        if rule.kind == "unique":
            uq = m.Unique(name=rule.constraint or constraint("uq", table.name, *rule.columns), columns=rule.columns,
                          reason=rule.description or f"business rule {rule.name}")
            tables[name] = table.model_copy(update={"uniques": table.uniques + (uq,)})
        else:
            ck = m.Check(name=rule.constraint or constraint("ck", table.name, namer.ident(rule.name)),
                         expression=rule.expression or "true",
                         reason=rule.description or f"business rule {rule.name}")
            tables[name] = table.model_copy(update={"checks": table.checks + (ck,)})

    for name, table in tables.items():
        tables[name] = _without_repeated_uniques(table, decisions)
    return design.model_copy(update={"tables": tuple(tables.values()), "decisions": design.decisions + tuple(decisions)})


def _without_repeated_uniques(table: m.Table, decisions: list[m.Decision]) -> m.Table:
    """A unique constraint on the very columns of the primary key or of an earlier unique
    constraint is dropped by PostgreSQL without a word in CREATE TABLE; leave it out here,
    and say so, so the design never names a constraint the database does not have."""
    seen = {table.primary_key.columns: f"primary key {table.primary_key.name}"} if table.primary_key else {}
    kept = []
    for unique in table.uniques:
        earlier = seen.get(unique.columns)
        if earlier is None:
            seen[unique.columns] = f"unique constraint {unique.name}"
            kept.append(unique)
            continue
        decisions.append(m.Decision(
            step="logical", subject=f"{table.name}.{unique.name}",
            choice=f"unique ({', '.join(unique.columns)}) not created a second time",
            reason=f"{unique.reason or 'declared'}: the {earlier} already makes these columns unique; PostgreSQL "
                   "would silently drop the repeated constraint"))
    if len(kept) == len(table.uniques):
        return table
    return table.model_copy(update={"uniques": tuple(kept)})


def _key_column(key: str) -> m.Column:
    return m.Column(name="id", semantic="uuid_key" if key == "uuid" else "id", nullable=False,
                    identity=key != "uuid", description="Surrogate primary key.")


def _entity_table(entity: m.Entity, namer: Namer) -> m.Table:
    name = namer.table(entity.name, entity.table)
    natural = entity.primary_key is not None  # declared key columns: no surrogate id
    columns = [] if natural else [_key_column(entity.key)]
    uniques, checks = [], []
    for attr in entity.attributes:
        if attr.type == "list":
            continue
        column = _column(attr, entity.name, namer)
        columns.append(column)
        uniques += [m.Unique(name=constraint("uq", name, column.name), columns=(column.name,),
                             reason=f"{attr.name} is unique")] if attr.unique else []
        checks += _attribute_checks(attr, column.name, name)
    key_columns = tuple(entity.primary_key) if natural else ("id",)
    pk_name = entity.primary_key_name or constraint("pk", name)
    primary_key = m.PrimaryKey(name=pk_name, columns=key_columns) if key_columns else None
    return m.Table(name=name, kind="entity", entity=entity.name, description=entity.description,
                   columns=tuple(columns), primary_key=primary_key, uniques=tuple(uniques), checks=tuple(checks),
                   exclusions=entity.exclusions)


def _column(attr: m.Attribute, owner: str, namer: Namer) -> m.Column:
    return m.Column(name=namer.column(attr.name, attr.column), semantic=attr.type, nullable=not attr.required,
                    default=default_sql(attr), description=attr.description, pii=attr.pii,
                    identity=attr.identity, generated=attr.generated, source=f"{owner}.{attr.name}")


def _attribute_checks(attr: m.Attribute, column: str, table: str) -> list[m.Check]:
    col = quote_ident(column)
    checks = []
    if attr.min is not None or attr.max is not None:
        if attr.type == "array":  # the bound applies to every element
            bounds = [f"{literal(_number(attr.min))} <= ALL ({col})"] if attr.min is not None else []
            bounds += [f"{literal(_number(attr.max))} >= ALL ({col})"] if attr.max is not None else []
        else:
            bounds = [f"{col} >= {literal(_number(attr.min))}"] if attr.min is not None else []
            bounds += [f"{col} <= {literal(_number(attr.max))}"] if attr.max is not None else []
        checks.append(m.Check(name=constraint("ck", table, column, "range"), expression=" AND ".join(bounds),
                              reason=f"{attr.name} must lie in the declared range"))
    if attr.check:
        checks.append(m.Check(name=constraint("ck", table, column), expression=attr.check,
                              reason=f"declared check on {attr.name}"))
    return checks


def _number(value: int | float) -> int | float:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _list_table(entity: m.Entity, attr: m.Attribute, owner: m.Table, namer: Namer) -> m.Table:
    """One row per value, keyed by the owner's key (surrogate or natural) and the value.
    An owner without a key gets no foreign key here; `check` reports it."""
    name = namer.list_table(entity.name, attr.name)
    key = _key_of(owner)
    owner_cols = (namer.fk_column(entity.name, None),) if key == ("id",) else \
        tuple(fit(f"{namer.singular(entity.name)}_{c}") for c in key)
    value = attr.model_copy(update={"type": attr.of or "text", "required": True, "unique": False, "default": None,
                                    "column": "value"})
    columns = tuple(m.Column(name=c, semantic="fk", nullable=False, description=f"Owning {entity.name}.")
                    for c in owner_cols)
    columns += (_column(value, entity.name, namer).model_copy(update={"description": attr.description}),)
    fks = (m.ForeignKey(name=constraint("fk", name, *owner_cols), columns=owner_cols, ref_table=owner.name,
                        ref_columns=key, on_delete="cascade", relationship=f"{entity.name}.{attr.name}"),) if key else ()
    return m.Table(name=name, kind="list", entity=f"{entity.name}.{attr.name}",
                   description=attr.description or f"Values of {entity.name}.{attr.name}.",
                   columns=columns, primary_key=m.PrimaryKey(name=constraint("pk", name), columns=owner_cols + ("value",)),
                   foreign_keys=fks, checks=tuple(_attribute_checks(value, "value", name)))


def _junction_table(rel: m.Relationship, parent: m.Table, child: m.Table, namer: Namer) -> m.Table:
    name = namer.junction(rel.name)
    left_prefix, right_prefix = (rel.role or namer.singular(rel.parent)), namer.singular(rel.child)
    if namer.ident(left_prefix) == right_prefix:  # self many-to-many without a role
        left_prefix, right_prefix = f"{right_prefix}_from", f"{right_prefix}_to"
    left_cols, right_cols = _key_refs(parent, left_prefix, namer), _key_refs(child, right_prefix, namer)
    columns = [m.Column(name=c, semantic="fk", nullable=False, description=f"The {rel.parent}.") for c in left_cols]
    columns += [m.Column(name=c, semantic="fk", nullable=False, description=f"The {rel.child}.") for c in right_cols]
    keyed = len(columns)
    columns += [_column(a, rel.name, namer) for a in rel.attributes if a.type != "list"]
    checks: list[m.Check] = []
    uniques: list[m.Unique] = []
    for attr, col in zip([a for a in rel.attributes if a.type != "list"], columns[keyed:]):
        checks += _attribute_checks(attr, col.name, name)
        if attr.unique:
            uniques.append(m.Unique(name=constraint("uq", name, col.name), columns=(col.name,), reason=f"{attr.name} is unique"))
    fks = (m.ForeignKey(name=constraint("fk", name, *left_cols), columns=left_cols, ref_table=parent.name,
                        ref_columns=_key_of(parent), on_delete=rel.on_delete, relationship=rel.name),
           m.ForeignKey(name=constraint("fk", name, *right_cols), columns=right_cols, ref_table=child.name,
                        ref_columns=_key_of(child), on_delete=rel.on_delete, relationship=rel.name))
    return m.Table(name=name, kind="junction", entity=rel.name,
                   description=rel.description or f"Associates {parent.name} with {child.name} ({rel.name}).",
                   columns=tuple(columns),
                   primary_key=m.PrimaryKey(name=constraint("pk", name), columns=left_cols + right_cols),
                   foreign_keys=fks, uniques=tuple(uniques), checks=tuple(checks))


def _key_of(table: m.Table) -> tuple[str, ...]:
    return table.primary_key.columns if table.primary_key else ()


def _key_refs(parent: m.Table, prefix: str, namer: Namer) -> tuple[str, ...]:
    return key_ref_names(_key_of(parent), prefix, namer)


def key_ref_names(key: tuple[str, ...], prefix: str, namer: Namer) -> tuple[str, ...]:
    """Foreign key column names for a reference to a parent's key: <prefix>_id for a
    surrogate key, <prefix>_<column> for each column of a natural or composite key."""
    if key == ("id",):
        return (fit(f"{namer.ident(prefix)}_id"),)
    return tuple(fit(f"{namer.ident(prefix)}_{c}") for c in key)


def _add_foreign_key(child: m.Table, parent: m.Table, rel: m.Relationship, namer: Namer) -> m.Table:
    references = rel.references or _key_of(parent)
    names = rel.columns or _key_refs(parent, rel.role or namer.singular(rel.parent), namer)
    new_columns = tuple(
        m.Column(name=c, semantic="fk", nullable=not rel.required,
                 description=rel.description or f"The {rel.role or rel.parent} this {rel.child} belongs to.")
        for c in names if child.column(c) is None)  # declared columns are reused as they are
    fk = m.ForeignKey(name=rel.constraint or constraint("fk", child.name, *names), columns=tuple(names),
                      ref_table=parent.name,
                      ref_columns=tuple(references), on_delete=rel.on_delete, relationship=rel.name)
    uniques = child.uniques
    if rel.cardinality == "one-to-one":
        uniques += (m.Unique(name=constraint("uq", child.name, *names), columns=tuple(names),
                             reason=f"one-to-one relationship {rel.name}"),)
    # Foreign keys go right after the key so related columns read together.
    pos = len(_key_of(child)) if _key_of(child) == ("id",) else 0
    pos += sum(1 for c in child.columns if c.semantic == "fk")
    columns = child.columns[:pos] + new_columns + child.columns[pos:]
    return child.model_copy(update={"columns": columns, "foreign_keys": child.foreign_keys + (fk,), "uniques": uniques})
