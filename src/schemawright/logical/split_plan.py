"""Which normal-form splits `--normalize` makes, under which table name, and why it leaves a
split out.  report.md (normal_forms.py) and the split itself (normalize.py) read the same plan,
so the table a proposal names is the table the split creates, and a split the step cannot make
is never announced as made.

A declared dependency X -> Y whose determinant X is not a key of its entity moves
closure(X) - X out: into a new entity keyed by X, or, when X is exactly a foreign key, into the
entity it references (the facts belong to that row).  A split is left out, with the reason,
when it would break something the spec declared: a key or partition key, a foreign key that
would straddle two tables, a generated column, a dependency kept on purpose, an immutable
table, a copied column, a view the join rewrite cannot follow.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from schemawright import model as m
from schemawright.logical.build import key_ref_names
from schemawright.logical.patterns import JoinRewrite, rewrite_pattern
from schemawright.logical.sql_names import expression_names
from schemawright.naming import Namer, fit
from schemawright.normalization.closure import closure
from schemawright.normalization.dependencies import FD

SURROGATE = "id"


@dataclass(frozen=True)
class Split:
    rule: str  # the dependency it removes
    source: str  # the entity the columns leave
    entity: str  # the entity they move to: a new one, or the parent the determinant references
    table: str  # that entity's table
    key: tuple[str, ...]  # the determinant, in the source (a foreign key to the target)
    target_key: tuple[str, ...]  # the same columns in the target (its key)
    moved: tuple[str, ...]
    into_parent: bool = False
    blocked: str | None = None  # why --normalize leaves it out


@dataclass
class Workspace:
    """The parts of a design a split changes, as mutable collections."""

    entities: dict[str, m.Entity]
    rules: list[m.Rule]
    relationships: list[m.Relationship]
    volumes: dict[str, m.Volume]
    roles: list[m.Role]
    views: list[m.View]
    denormalizations: list[m.Denormalization]
    patterns: list[m.AccessPattern]
    tenant_column: str | None
    decisions: list[m.Decision] = field(default_factory=list)
    # Columns, keys and foreign keys per entity, read again and again while planning; whoever
    # changes entities, rules or relationships calls changed().
    cache: dict[tuple[str, str] | str, object] = field(default_factory=dict)
    fk_names: dict[tuple[tuple[str, ...], str | None, str], tuple[str, ...]] = field(default_factory=dict)

    def changed(self) -> None:
        self.cache.clear()

    @classmethod
    def of(cls, design: m.Design) -> Workspace:
        return cls({e.name: e for e in design.entities}, list(design.rules), list(design.relationships),
                   {v.entity: v for v in design.volumes}, list(design.security.roles), list(design.views),
                   list(design.denormalizations), list(design.access_patterns), design.security.tenant_column)

    def table(self, entity: str, namer: Namer) -> str:
        return namer.table(entity, self.entities[entity].table)

    def foreign_keys(self, entity: str, namer: Namer) -> list[tuple[m.Relationship, tuple[str, ...]]]:
        """(relationship, its foreign key columns) for each parent of `entity`."""
        if "by child" not in self.cache:
            by_child: dict[str, list[tuple[m.Relationship, tuple[str, ...]]]] = {}
            for r in self.relationships:
                if r.cardinality != "many-to-many" and r.parent in self.entities:
                    by_child.setdefault(r.child, []).append((r, self.fk_columns(r, namer)))
            self.cache["by child"] = by_child
        return self.cache["by child"].get(entity, [])  # type: ignore[attr-defined]

    def fk_columns(self, rel: m.Relationship, namer: Namer) -> tuple[str, ...]:
        if rel.columns:
            return rel.columns
        key = self.key_of(rel.parent)
        names = self.fk_names.get((key, rel.role, rel.parent))
        if names is None:  # they depend on these only, whatever a split changes
            names = key_ref_names(key, rel.role or namer.singular(rel.parent), namer)
            self.fk_names[(key, rel.role, rel.parent)] = names
        return names

    def key_of(self, entity: str) -> tuple[str, ...]:
        primary = self.entities[entity].primary_key
        return primary if primary is not None else (SURROGATE,)

    def columns(self, entity: str, namer: Namer) -> list[str]:
        """The columns the entity's table will have, foreign keys included (audit columns not)."""
        key = ("columns", entity)
        if key not in self.cache:
            self.cache[key] = self._columns(entity, namer)
        return list(self.cache[key])  # type: ignore[call-overload]

    def _columns(self, entity: str, namer: Namer) -> list[str]:
        e = self.entities[entity]
        attributes = [namer.column(a.name, a.column) for a in e.attributes if a.type != "list"]
        out = [] if e.primary_key is not None else [SURROGATE]
        for _rel, fk in self.foreign_keys(entity, namer):  # right after the key, as build.py places them
            out += [c for c in fk if c not in out and c not in attributes]
        return out + attributes

    def rules_of(self, entity: str) -> list[m.Rule]:
        if "rules" not in self.cache:
            by_entity: dict[str, list[m.Rule]] = {}
            for r in self.rules:
                by_entity.setdefault(r.entity, []).append(r)
            self.cache["rules"] = by_entity
        return self.cache["rules"].get(entity, [])  # type: ignore[attr-defined]

    def children(self, entity: str) -> list[m.Relationship]:
        """Relationships (not many-to-many) whose parent is `entity`."""
        if "by parent" not in self.cache:
            by_parent: dict[str, list[m.Relationship]] = {}
            for r in self.relationships:
                if r.cardinality != "many-to-many":
                    by_parent.setdefault(r.parent, []).append(r)
            self.cache["by parent"] = by_parent
        return self.cache["by parent"].get(entity, [])  # type: ignore[attr-defined]

    def required(self, entity: str, namer: Namer) -> set[str]:
        e = self.entities[entity]
        out = set(self.key_of(entity))
        out |= {namer.column(a.name, a.column) for a in e.attributes if a.required}
        for rel, fk in self.foreign_keys(entity, namer):
            out |= set(fk) if rel.required else set()
        return out

    def keys(self, entity: str, namer: Namer) -> list[frozenset[str]]:
        """Keys in the relational sense (unique, never NULL), as normal_forms.py reads them off the table."""
        e, required = self.entities[entity], self.required(entity, namer)
        keys = [frozenset(self.key_of(entity))]
        keys += [frozenset((namer.column(a.name, a.column),)) for a in e.attributes if a.unique and a.required]
        keys += [frozenset(fk) for rel, fk in self.foreign_keys(entity, namer) if rel.cardinality == "one-to-one"]
        keys += [frozenset(r.columns) for r in self.rules_of(entity) if r.kind == "unique"]
        keys += [frozenset(i.columns) for i in e.indexes if i.unique and not i.where]
        return [k for k in keys if k and k <= required]

    def table_names(self, namer: Namer) -> set[str]:
        names = {self.table(e, namer) for e in self.entities}
        names |= {namer.junction(r.name) for r in self.relationships if r.cardinality == "many-to-many"}
        names |= {namer.list_table(e.name, a.name) for e in self.entities.values() for a in e.attributes
                  if a.type == "list"}
        names |= {fit(d.name) for d in self.denormalizations if d.kind != "copied_column"}
        return names | {v.name for v in self.views}


def split_table_name(determinant: tuple[str, ...], namer: Namer, taken: set[str]) -> str:
    """The table a new entity keyed by `determinant` gets: `zip` -> `zips`, then `zips_2` ..."""
    base = namer.table("_".join(determinant))
    name, n = base, 2
    while name in taken:
        name, n = fit(f"{base}_{n}"), n + 1
    return name


@dataclass
class _Taken:
    """Names already used, the ones earlier plans of the same pass reserve included."""

    tables: set[str]
    entities: set[str]


def plan_splits(ws: Workspace, namer: Namer) -> list[Split]:
    """Every split the declared dependencies call for now, in rule order, each named."""
    taken = _Taken(ws.table_names(namer), set(ws.entities) | {r.name for r in ws.relationships})
    out = []
    for rule in ws.rules:
        split = _plan(rule, ws, namer, taken)
        if split is not None:
            taken.tables.add(split.table)
            taken.entities.add(split.entity)
            out.append(split)
    return out


def _plan(rule: m.Rule, ws: Workspace, namer: Namer, taken: _Taken) -> Split | None:
    if rule.kind != "depends" or rule.denormalized or rule.entity not in ws.entities:
        return None
    columns = ws.columns(rule.entity, namer)
    if not set(rule.columns) | set(rule.dependent) <= set(columns):
        return None  # names a column this entity does not have: reported by the check stage
    everything = frozenset(columns)
    fds = [FD(k, everything) for k in ws.keys(rule.entity, namer)]
    fds += [FD(frozenset(r.columns), frozenset(r.dependent)) for r in ws.rules_of(rule.entity)
            if r.kind == "depends" and set(r.columns) | set(r.dependent) <= everything]
    reach = closure(rule.columns, fds)
    if reach >= everything:
        return None  # the determinant is a (super)key: no violation
    key = tuple(dict.fromkeys(rule.columns))  # as the rule names them: the table and key read that way
    moved = tuple(c for c in columns if c in reach and c not in rule.columns)
    if not moved:
        return None
    parent = next((r for r, fk in ws.foreign_keys(rule.entity, namer) if set(fk) == set(key)), None)
    if parent is not None:  # the facts belong to the row the foreign key points at
        fk = ws.fk_columns(parent, namer)
        targets = parent.references or ws.key_of(parent.parent)
        by_fk = dict(zip(fk, targets))
        split = Split(rule.name, rule.entity, parent.parent, ws.table(parent.parent, namer), key,
                      tuple(by_fk[c] for c in key), moved, into_parent=True)
    else:
        table = split_table_name(key, namer, taken.tables)
        split = Split(rule.name, rule.entity, _entity_name(key, taken.entities), table, key, key, moved)
    blocked = _blocker(split, ws, namer, columns)
    return split if blocked is None else replace(split, blocked=blocked)


def _entity_name(key: tuple[str, ...], taken: set[str]) -> str:
    base = "".join(part.capitalize() for column in key for part in column.split("_")) or "Split"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}{n}", n + 1
    return name


def join_rewrite(split: Split, ws: Workspace, namer: Namer) -> JoinRewrite:
    """How a query reading the source table reaches the moved columns after the split."""
    source = ws.entities[split.source]
    required = ws.required(split.source, namer)
    return JoinRewrite(table=ws.table(source.name, namer), moved=split.moved, target=split.table, key=split.key,
                       target_key=split.target_key, optional=not set(split.key) <= required,
                       others=_TableColumns(ws, namer, (split.source, split.entity)))  # type: ignore[arg-type]


class _TableColumns:
    """table -> its columns before the split, read only for the tables a query names (a design
    may have thousands).  The two tables the split changes are read now; the others do not change."""

    def __init__(self, ws: Workspace, namer: Namer, changing: tuple[str, ...]) -> None:
        self.ws, self.namer = ws, namer
        self.by_table = {ws.table(e, namer): e for e in ws.entities}
        self.before = {ws.table(e, namer): frozenset(ws.columns(e, namer)) for e in changing if e in ws.entities}

    def get(self, table: str, default: frozenset[str] = frozenset()) -> frozenset[str]:
        if table in self.before:
            return self.before[table]
        entity = self.by_table.get(table)
        return frozenset(self.ws.columns(entity, self.namer)) if entity in self.ws.entities else default


def _blocker(split: Split, ws: Workspace, namer: Namer, columns: list[str]) -> str | None:
    """Why the split cannot be made as the spec stands, or None."""
    entity = ws.entities[split.source]
    moved, key = set(split.moved), set(split.key)
    landing = moved if split.into_parent else moved | key  # columns the target will hold
    table, target = ws.table(entity.name, namer), split.table
    said = ", ".join(split.moved)
    hit = [c for c in split.moved if c in (entity.primary_key or ())]
    if hit:
        return (f"{', '.join(hit)} is part of the primary key of {table}; moving it out would change the key "
                "(declare the key the split leaves, or keep the dependency with `denormalized:`)")
    if entity.partition is not None and entity.partition.key in moved:
        return f"{entity.partition.key} is the partition key of {table}"
    if ws.tenant_column in moved:
        return f"{ws.tenant_column} is the tenant column (security.tenant_column) every table keeps"
    if split.into_parent:
        if split.entity == entity.name:
            return f"the determinant ({', '.join(split.key)}) is the foreign key of {table} to itself"
        clash = [c for c in split.moved if c in ws.columns(split.entity, namer)]
        if clash:
            return f"{target} already has a column {clash[0]}"
    for rel in ws.children(entity.name):
        named = set(rel.references) & moved
        if named:
            return f"{', '.join(sorted(named))} is referenced by the foreign key of relationship {rel.name}"
    for rel, fk in ws.foreign_keys(entity.name, namer):
        if set(fk) & moved and not set(fk) <= moved:
            return f"the foreign key ({', '.join(fk)}) of relationship {rel.name} would be split between {table} and {target}"
        if set(fk) & moved and rel.cardinality == "one-to-one":
            return f"the unique foreign key of one-to-one relationship {rel.name} would move to {target}"
    if not split.into_parent:
        attributes = {namer.column(a.name, a.column) for a in entity.attributes}
        covered = attributes | {c for _r, fk in ws.foreign_keys(entity.name, namer) if set(fk) <= key for c in fk}
        missing = [c for c in split.key if c not in covered]
        if missing:
            return f"{missing[0]} is neither an attribute of {entity.name} nor a whole foreign key, so {target} cannot have it"
    for attr in entity.attributes:
        if attr.generated is None:
            continue
        reads = expression_names(attr.generated).plain & set(columns)
        column = namer.column(attr.name, attr.column)
        home = landing if column in moved else set(columns) - moved
        if reads - home:
            return f"generated column {column} reads {', '.join(sorted(reads - home))}, which would end up in another table"
    return _rule_blocker(split, ws, namer, landing) or _copy_blocker(split, ws, namer)


def _rule_blocker(split: Split, ws: Workspace, namer: Namer, landing: set[str]) -> str | None:
    table = ws.table(split.source, namer)
    for rule in ws.rules_of(split.source):
        if rule.kind == "immutable":
            return (f"rows of {table} never change (rule {rule.name}); the moved columns could change through "
                    f"{split.table}")
        named = set(rule.columns) | set(rule.dependent)
        if rule.denormalized and named & set(split.moved) and not named <= landing:
            return f"rule {rule.name} keeps ({', '.join(rule.columns)}) -> ({', '.join(rule.dependent)}) inside {table} on purpose"
    return None


def _copy_blocker(split: Split, ws: Workspace, namer: Namer) -> str | None:
    if not ws.denormalizations and not ws.views:
        return None
    entity = ws.entities[split.source]
    moved = set(split.moved)
    by_name = {a.name: namer.column(a.name, a.column) for a in entity.attributes}
    for item in ws.denormalizations:
        if item.kind == "copied_column" and item.source and "." in item.source:
            parent, attribute = item.source.split(".", 1)
            if parent == entity.name and by_name.get(attribute) in moved:
                return f"copied column {item.name} copies {entity.name}.{attribute}, which would move to {split.table}"
            if item.entity == entity.name and any(set(fk) & moved for r, fk in ws.foreign_keys(entity.name, namer)
                                                  if r.parent == parent):
                return f"copied column {item.name} follows the foreign key to {parent}, which would move to {split.table}"
    queries = [(f"view {v.name}", v.sql) for v in ws.views]
    queries += [(f"{d.kind.replace('_', ' ')} {d.name}", d.query) for d in ws.denormalizations if d.query]
    if not queries:
        return None
    rewrite = join_rewrite(split, ws, namer)
    for what, sql in queries:
        _sql, problem = rewrite_pattern(sql, rewrite)
        if problem:
            return f"{what} reads the moved columns and cannot be rewritten mechanically: {problem}"
    return None
