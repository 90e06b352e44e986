"""How an access pattern runs on a distributed schema: on one shard, or on all of them.

Citus routes a statement to one shard when every distributed table in it is pinned to one
value of its distribution column: by `column = value` in the WHERE clause, by the value an
INSERT gives the column, or by an equality join on the distribution columns with a table that
is pinned (co-located tables keep the rows of one value on the same node).  A statement that
pins nothing fans out to every shard; its joins stay on each node only when they join
co-located tables on their distribution columns, otherwise Citus must repartition.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from schemawright import model as m
from schemawright.sql.parsed import shared_tree

ROUTER = "single shard"
FAN_OUT = "all shards, joins on each node"
REPARTITION = "all shards, with a repartition join"
REFERENCE = "reference tables only"


@dataclass(frozen=True)
class Placement:
    """Where one table lives on the cluster."""

    table: str
    kind: str  # "distributed" or "reference"
    column: str | None = None  # distributed: the distribution column
    group: str | None = None  # distributed: its co-location group (the root table's name)
    added: bool = False  # the distribution column is new to the table (copied down from its parent)
    reason: str = ""


@dataclass(frozen=True)
class Routing:
    pattern: str
    kind: str  # ROUTER, FAN_OUT, REPARTITION or REFERENCE
    tables: tuple[str, ...]  # the distributed tables it reads or writes
    why: str


def route(design: m.Design, pattern: m.AccessPattern, placements: dict[str, Placement]) -> Routing:
    routing = _route(design, pattern, placements)
    tenant = design.security.tenant_column
    loose = [t for t in routing.tables if placements[t].column == tenant]
    if tenant and routing.kind in (FAN_OUT, REPARTITION) and loose and len(loose) == len(routing.tables):
        said = " and ".join(f"`{t}.{tenant} = <tenant>`" for t in loose)
        routing = Routing(routing.pattern, routing.kind, routing.tables,
                          f"{routing.why}; where the application knows the tenant when it runs it, add {said} to "
                          "run it on one node: row-level security keeps it to one tenant, but Citus routes by the "
                          "statement's own conditions")
    return routing


def _route(design: m.Design, pattern: m.AccessPattern, placements: dict[str, Placement]) -> Routing:
    tree = shared_tree(pattern.sql)
    if tree is None:
        return Routing(pattern.name, REPARTITION, (), "its SQL could not be read, so it is assumed to fan out")
    aliases = _aliases(tree, design)
    distributed = tuple(sorted({t for t in aliases.values() if placements.get(t, _REF).kind == "distributed"}))
    if not distributed:
        return Routing(pattern.name, REFERENCE, (), "it reads only reference tables, which every node holds")
    pinned, joins = _pins(tree, aliases, placements)
    for insert in tree.find_all(exp.Insert):  # a data-modifying CTE inserts too
        pinned |= _inserted(insert, design, placements)
    # A table joined on the distribution columns with a pinned, co-located table is pinned too.
    changed = True
    while changed:
        changed = False
        for left, right in joins:
            if _colocated(left, right, placements) and (left in pinned) != (right in pinned):
                pinned |= {left, right}
                changed = True
    loose = [t for t in distributed if t not in pinned]
    copied = _insert_select(tree, aliases, placements)
    if copied is not None:
        target, source = copied
        if loose and source is not None:
            return Routing(pattern.name, FAN_OUT, distributed, f"INSERT ... SELECT from co-located {source} feeds "
                                                               f"{target}.{placements[target].column}: it runs on each node")
    if not loose:
        said = ", ".join(f"{t}.{placements[t].column}" for t in distributed)
        return Routing(pattern.name, ROUTER, distributed, f"it pins {said} to one value")
    unpaired = [t for t in distributed if len(distributed) > 1
                and not any(t in pair and _colocated(*pair, placements) for pair in joins)]
    if unpaired:
        return Routing(pattern.name, REPARTITION, distributed,
                       f"{', '.join(unpaired)} joins no co-located table on its distribution column")
    missing = ", ".join(f"{t}.{placements[t].column}" for t in loose)
    return Routing(pattern.name, FAN_OUT, distributed, f"nothing pins {missing} to one value")


_REF = Placement("", "reference")


def equality_columns(design: m.Design, pattern: m.AccessPattern) -> dict[str, set[str]]:
    """table -> its columns the pattern compares with a value (`col = :x`, outside any OR)."""
    tree = shared_tree(pattern.sql)
    if tree is None:
        return {}
    aliases = _aliases(tree, design)
    out: dict[str, set[str]] = {}
    for eq in _conjunct_equalities(tree):
        for column, other in ((eq.this, eq.expression), (eq.expression, eq.this)):
            if not isinstance(column, exp.Column) or other.find(exp.Column) is not None:
                continue
            owners = sorted({t for t in aliases.values() if (found := design.table(t)) and found.column(column.name)})
            owner = aliases.get(column.table) if column.table else (owners[0] if len(owners) == 1 else None)
            if owner:
                out.setdefault(owner, set()).add(column.name)
    return out


def _conjunct_equalities(tree: exp.Expression) -> list[exp.EQ]:
    """The statement's `a = b` conditions that must all hold: none under an OR, and not an
    UPDATE's `SET col = value` assignments."""
    return [eq for eq in tree.find_all(exp.EQ)
            if not _under_or(eq) and not (isinstance(tree, exp.Update) and eq.parent is tree)]


def _colocated(left: str, right: str, placements: dict[str, Placement]) -> bool:
    a, b = placements.get(left), placements.get(right)
    return bool(a and b and a.kind == b.kind == "distributed" and a.group == b.group)


def _aliases(tree: exp.Expression, design: m.Design) -> dict[str, str]:
    """alias (or name) -> table, for the design's tables the statement names."""
    out: dict[str, str] = {}
    for node in tree.find_all(exp.Table):
        if design.table(node.name):
            out[node.alias_or_name] = node.name
            out.setdefault(node.name, node.name)
    return out


def _pins(tree: exp.Expression, aliases: dict[str, str],
          placements: dict[str, Placement]) -> tuple[set[str], list[tuple[str, str]]]:
    """Tables whose distribution column equals a value, and the pairs of tables joined on their
    distribution columns.  Only conjuncts count: `a = 1 OR b = 2` pins nothing."""
    design_tables = set(aliases.values())
    pinned: set[str] = set()
    joins: list[tuple[str, str]] = []
    for eq in _conjunct_equalities(tree):
        sides = [eq.this, eq.expression]
        columns = [s for s in sides if isinstance(s, exp.Column)]
        owned = [(c, _owner(c, aliases, placements, design_tables)) for c in columns]
        on_key = [(c, t) for c, t in owned if t and placements.get(t) and c.name == placements[t].column]
        if len(columns) == 2:
            if len(on_key) == 2 and on_key[0][1] != on_key[1][1]:
                joins.append((on_key[0][1], on_key[1][1]))
            continue
        if len(on_key) == 1:
            other = sides[1] if sides[0] is on_key[0][0] else sides[0]
            if other.find(exp.Column) is None:  # a value: a parameter, a literal, a setting
                pinned.add(on_key[0][1])
    return pinned, joins


def _owner(column: exp.Column, aliases: dict[str, str], placements: dict[str, Placement],
           tables: set[str]) -> str | None:
    """The table a column belongs to: by its qualifier, else the one table of the statement whose
    distribution column has that name."""
    if column.table:
        return aliases.get(column.table)
    owners = {t for t in tables if placements.get(t) and placements[t].column == column.name}
    return owners.pop() if len(owners) == 1 else None


def _under_or(node: exp.Expression) -> bool:
    parent = node.parent
    while parent is not None and not isinstance(parent, (exp.Where, exp.Join, exp.Select)):
        if isinstance(parent, exp.Or):
            return True
        parent = parent.parent
    return False


def _insert_select(tree: exp.Expression, aliases: dict[str, str],
                   placements: dict[str, Placement]) -> tuple[str, str | None] | None:
    """For INSERT ... SELECT into a distributed table: (target, the co-located source whose
    distribution column feeds the target's), source None when none does; None for other statements."""
    if not isinstance(tree, exp.Insert) or not isinstance(tree.expression, exp.Select):
        return None
    schema = tree.this
    table = schema.this if isinstance(schema, exp.Schema) else schema
    place = placements.get(table.name) if isinstance(table, exp.Table) else None
    if place is None or place.kind != "distributed" or not isinstance(schema, exp.Schema):
        return None
    named = [c.name for c in schema.expressions]
    projections = tree.expression.expressions
    if place.column not in named or len(projections) != len(named):
        return table.name, None
    fed = projections[named.index(place.column)]
    fed = fed.this if isinstance(fed, exp.Alias) else fed
    if not isinstance(fed, exp.Column):
        return table.name, None
    sources = {aliases.get(n.alias_or_name, n.name) for n in tree.expression.find_all(exp.Table)}
    owner = _owner(fed, aliases, placements, sources)  # a column of the SELECT's own tables
    source = placements.get(owner or "")
    if source and source.kind == "distributed" and source.group == place.group and fed.name == source.column:
        return table.name, owner
    return table.name, None


def _inserted(tree: exp.Insert, design: m.Design, placements: dict[str, Placement]) -> set[str]:
    """The INSERT's table when it gives the distribution column a value, or the column has a
    default (a tenant column's reads the session; Citus evaluates it before routing)."""
    target = tree.this
    table = target.this if isinstance(target, exp.Schema) else target
    if not isinstance(table, exp.Table):
        return set()
    place = placements.get(table.name)
    if place is None or place.kind != "distributed":
        return set()
    named = [c.name for c in target.expressions] if isinstance(target, exp.Schema) else []
    column = (found := design.table(table.name)) and found.column(place.column or "")
    given = place.column in named or (not named and not place.added) or bool(
        column and (column.default or column.identity))
    return {table.name} if given else set()
