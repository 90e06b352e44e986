"""Located errors in the business rules of `rules:` (integrity/invariants.py compiles them),
found before any SQL is written: each is a rule whose DDL PostgreSQL would refuse, or whose
trigger would fail on the first write.

Columns named in lists (`per`, `period`, `via`, `columns`, `to`, `transitions.column`) are
columns of the rule's table; the SQL conditions name columns of that table too (and
`parent.<column>`, where the rule reads its parent row); a period has one type with a range
type; a group condition is made of aggregates; a foreign key the rule follows exists; the
states of a transition are values the column allows; the columns of `matches` line up with
columns of the same kind; and the names a rule gives its constraints and triggers are
distinct.  Whether the SQL is one expression at all is sql_fragments.py's check, earlier.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pglast

from schemawright import model as m
from schemawright.errors import SpecIssue, did_you_mean
from schemawright.integrity.invariants import range_type, table_of
from schemawright.naming import Namer
from schemawright.sql.quoting import MAX_IDENTIFIER_BYTES
from schemawright.requirements import pg_builtins
from schemawright.requirements.expression_types import Scope, expression_problems
from schemawright.requirements.references import relationship_name
from schemawright.requirements.spec import Immutable, Spec
from schemawright.sql import types
from schemawright.validation.rules import column_rules

if TYPE_CHECKING:
    from schemawright.requirements.loader import Locator

# The aggregates of pg_catalog (PostgreSQL 15 and 16: any_value), read with
# `SELECT proname FROM pg_proc WHERE prokind = 'a'`.
AGGREGATES = frozenset("""
any_value array_agg avg bit_and bit_or bit_xor bool_and bool_or corr count covar_pop covar_samp cume_dist dense_rank
every json_agg json_object_agg jsonb_agg jsonb_object_agg max min mode percent_rank percentile_cont percentile_disc
range_agg range_intersect_agg rank regr_avgx regr_avgy regr_count regr_intercept regr_r2 regr_slope regr_sxx
regr_sxy regr_syy stddev stddev_pop stddev_samp string_agg sum var_pop var_samp variance xmlagg
""".split())
# Types btree_gist gives `=` in a GiST index (an exclusion's group columns), plus every enum type.
GIST_EQUALITY = frozenset("""
smallint integer bigint numeric real money boolean text varchar char date timestamp timestamptz time timetz
interval uuid inet cidr macaddr macaddr8 bytea bit varbit oid
""".split()) | {"double precision"}
# Kinds only a trigger enforces: there is no constraint for `constraint:` to name, and the
# trigger reports the rule's `name` as the constraint.
TRIGGER_KINDS = ("aggregate", "immutable", "transitions", "parent_check")


@dataclass(frozen=True)
class _Context:
    """Where a rule's SQL condition is evaluated: which qualifiers name the row, whether it
    reads `parent.`, whether it is a group's aggregate, and which statement it lands in."""

    what: str
    row: frozenset[str]  # qualifiers that name the row itself (besides none)
    parent: bool = False
    aggregate: bool = False
    index: bool = False  # an index predicate: only IMMUTABLE functions
    one_row: bool = True  # a CHECK or predicate: no aggregate, no subquery


@dataclass
class _Rule:
    spec: Spec
    physical: m.Design
    at: Locator
    index: int
    rule: object  # spec.Rule
    table: m.Table
    out: list[SpecIssue] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.rule.name or f"{self.rule.entity}_{self.rule.kind}_{self.index + 1}"  # type: ignore[attr-defined]

    def issue(self, path: tuple, message: str, hint: str | None = None, at_key: bool = False) -> None:
        self.out.append(self.at.issue(("rules", self.index) + path, f"rule {self.name!r}: {message}", hint, at_key))

    def columns(self, path: tuple, names: list[str] | tuple[str, ...], table: m.Table | None = None) -> bool:
        """Each name is a column of `table` (the rule's by default); False when one is not."""
        table = table or self.table
        known = [c.name for c in table.columns]
        ok = True
        for j, name in enumerate(names):
            if table.column(name) is None:
                ok = False
                self.issue(path + (j,), f"names column {name!r}, which table {table.name!r} does not have",
                           did_you_mean(name, known) or f"columns of {table.name}: {', '.join(known)}")
        return ok

    def foreign_key(self, path: tuple, names: list[str], why: str) -> m.ForeignKey | None:
        """The foreign key whose columns are exactly `names`, in order; else an issue naming those there are."""
        fks = self.table.foreign_keys
        found = next((f for f in fks if list(f.columns) == names), None)
        if found is not None:
            return found
        same = next((f for f in fks if sorted(f.columns) == sorted(names)), None)
        if same is not None:
            self.issue(path, f"{why}: write its columns in the key's order, [{', '.join(same.columns)}]",
                       f"`{path[-1]}: [{', '.join(same.columns)}]`")
            return None
        listed = "; ".join(f"[{', '.join(f.columns)}] -> {f.ref_table}" for f in fks)
        self.issue(path, f"{why}, and [{', '.join(names)}] is not the column list of a foreign key of "
                   f"{self.table.name}", f"its foreign keys: {listed}" if fks else
                   f"{self.table.name} has no foreign key; add a relationship to the parent entity")
        return None


def rule_problems(spec: Spec, design: m.Design, at: Locator) -> list[SpecIssue]:
    """`design`: the logical tables of `spec` (with audit and copied columns)."""
    out = _names(spec, at)
    if not any(r.kind not in ("unique", "check", "depends") for r in spec.rules):
        return out
    from schemawright.physical.build import build_physical
    from schemawright.requirements.table_checks import _scope

    physical = build_physical(design)
    scope = _scope(spec, physical)
    for i, rule in enumerate(spec.rules):
        table = table_of(physical, rule.entity)
        check = _KINDS.get(rule.kind)
        if table is None or check is None:
            continue  # a missing entity is reported by references.py
        state = _Rule(spec, physical, at, i, rule, table)
        check(state, scope)
        out += state.out
    return out


# ---------------------------------------------------------------- names


def _names(spec: Spec, at: Locator) -> list[SpecIssue]:
    """Rule names become parts of constraint, trigger and function names (Namer.ident): two
    that read the same there would collide.  A declared `constraint:` is used as written."""
    namer = Namer(spec.naming.tables, spec.naming.case)
    out: list[SpecIssue] = []
    seen: dict[str, str] = {}
    declared: dict[str, str] = {}
    for i, rule in enumerate(spec.rules):
        name = rule.name or f"{rule.entity}_{rule.kind}_{i + 1}"
        ident = namer.ident(name)
        if ident in seen and seen[ident] != name:
            out.append(at.issue(("rules", i, "name") if rule.name else ("rules", i), f"rule {name!r} and rule "
                                f"{seen[ident]!r} both become {ident!r} in constraint and trigger names",
                                "give one of them another name"))
        seen.setdefault(ident, name)
        if rule.constraint is None:
            continue
        path = ("rules", i, "constraint")
        if len(rule.constraint.encode()) > MAX_IDENTIFIER_BYTES:
            out.append(at.issue(path, f"constraint name {rule.constraint[:30]!r}... is "
                                f"{len(rule.constraint.encode())} bytes; PostgreSQL cuts names at "
                                f"{MAX_IDENTIFIER_BYTES}, so errors would name another constraint",
                                f"use a name of at most {MAX_IDENTIFIER_BYTES} bytes"))
        if rule.kind in TRIGGER_KINDS:
            out.append(at.issue(path, f"rule {name!r}: `{rule.kind}` rules are enforced by a trigger, which has no "
                                f"constraint to name: it reports the rule's name ({name!r}) as the constraint",
                                "drop `constraint:`, and set `name:` to what applications should see"))
        else:
            # A unique key, a partial unique index and an exclusion each create an index, whose name
            # is one of the schema's; a CHECK's or a foreign key's name only has to be new on its table.
            scope = rule.constraint if rule.kind in _INDEXED_KINDS else f"{rule.entity}\x00{rule.constraint}"
            if scope in declared:
                out.append(at.issue(path, f"constraint name {rule.constraint!r} is declared by rule "
                                    f"{declared[scope]!r} too", "give each rule its own constraint name"))
            declared.setdefault(scope, name)
    return out


_INDEXED_KINDS = ("unique", "at_most_one", "exactly_one", "no_overlap")


# ---------------------------------------------------------------- one check per kind


def _one_per(state: _Rule, scope: dict) -> None:
    kind = state.rule.kind  # type: ignore[attr-defined]
    one = getattr(state.rule, kind)
    state.columns((kind, "per"), one.per)
    _condition(state, (kind, "where"), one.where, _Context(f"{kind}.where", frozenset({state.table.name}),
                                                           index=True), scope)


def _no_overlap(state: _Rule, scope: dict) -> None:
    rule = state.rule.no_overlap  # type: ignore[attr-defined]
    if state.columns(("no_overlap", "per"), rule.per):
        enums = {e.name for e in state.physical.enums}
        for j, name in enumerate(rule.per):
            sql_type = state.table.column(name).sql_type  # type: ignore[union-attr]
            read = types.parse(sql_type)
            if sql_type and (read.array or read.base not in GIST_EQUALITY) and sql_type not in enums:
                state.issue(("no_overlap", "per", j), f"group column {name!r} is {sql_type}, which a GiST index "
                            "cannot compare with = (btree_gist has no operator class for it)",
                            "group by a key, text, number, date, uuid or enum column, e.g. the foreign key")
    if state.columns(("no_overlap", "period"), rule.period):
        start, end = (state.table.column(c) for c in rule.period)
        assert start is not None and end is not None
        if start.name == end.name:
            state.issue(("no_overlap", "period", 1), f"the period starts and ends at the same column {start.name!r}",
                        "name the start column, then the end column: [starts_at, ends_at]")
        elif types.parse(start.sql_type).base != types.parse(end.sql_type).base:
            state.issue(("no_overlap", "period"), f"the period's columns differ in type: {start.name} is "
                        f"{start.sql_type} and {end.name} is {end.sql_type}; a range is built from two values of "
                        "one type", "give both columns the same type (both timestamp, both date ...)")
        elif start.sql_type and range_type(start.sql_type) is None:
            state.issue(("no_overlap", "period", 0), f"the period's columns are {start.sql_type}, which has no "
                        "range type, so no exclusion can compare periods of it",
                        "use date, timestamp, integer, bigint or decimal columns")
    if rule.where is not None:
        _condition(state, ("no_overlap", "where"), rule.where,
                   _Context("no_overlap.where", frozenset({state.table.name}), index=True), scope)


def _aggregate(state: _Rule, scope: dict) -> None:
    rule = state.rule.aggregate  # type: ignore[attr-defined]
    if not state.columns(("aggregate", "per"), rule.per):
        return
    context = _Context("aggregate check", frozenset({state.table.name}), parent=True, aggregate=True,
                       one_row=False)
    _condition(state, ("aggregate", "check"), rule.check, context, scope, per=rule.per)


def _immutable(state: _Rule, scope: dict) -> None:
    rule = state.rule.immutable  # type: ignore[attr-defined]
    if isinstance(rule, Immutable):
        _condition(state, ("immutable", "when"), rule.when,
                   _Context("immutable.when", frozenset({"old", "stored"}), one_row=False), scope)


def _transitions(state: _Rule, _scope: dict) -> None:
    rule = state.rule.transitions  # type: ignore[attr-defined]
    if not state.columns(("transitions", "column"), [rule.column]):
        return
    column = state.table.column(rule.column)
    assert column is not None
    allowed = _allowed_values(state.physical, state.table, column)
    if not allowed:
        return  # any value the column takes is a state
    where = f"{rule.column} allows: {', '.join(allowed)}"

    def state_named(path: tuple, value: str, at_key: bool = False) -> None:
        if value not in allowed:
            state.issue(path, f"state {value!r} is not a value of {state.table.name}.{rule.column}",
                        did_you_mean(value, allowed) or where, at_key)

    for source, targets in rule.allowed.items():
        state_named(("transitions", "allowed", source), source, at_key=True)
        for j, target in enumerate(targets):
            state_named(("transitions", "allowed", source, j), target)
    for j, value in enumerate(rule.initial or ()):
        state_named(("transitions", "initial", j), value)


def _conditional(state: _Rule, scope: dict) -> None:
    for key in ("when", "then"):
        _condition(state, (key,), getattr(state.rule, key), _Context(f"`{key}`", frozenset({state.table.name})),
                   scope)


def _parent_check(state: _Rule, scope: dict) -> None:
    rule = state.rule.parent_check  # type: ignore[attr-defined]
    if not state.columns(("parent_check", "via"), rule.via):
        return
    fk = state.foreign_key(("parent_check", "via"), list(rule.via), "a parent check follows a foreign key")
    if fk is not None:
        _condition(state, ("parent_check", "check"), rule.check,
                   _Context("parent check", frozenset({"new", "written"}), parent=True, one_row=False), scope,
                   fk=fk)


def _matches(state: _Rule, _scope: dict) -> None:
    rule = state.rule.matches  # type: ignore[attr-defined]
    target = table_of(state.physical, rule.in_)
    if target is None:
        known = list(state.spec.entities) + [relationship_name(r, i) for i, r in
                                             enumerate(state.spec.relationships) if r.type == "many-to-many"]
        state.issue(("matches", "in"), f"`in` names {rule.in_!r}, which is neither an entity nor a many-to-many "
                    "relationship", did_you_mean(rule.in_, known) or f"entities and relationships: {', '.join(known)}")
    mine_ok = state.columns(("matches", "columns"), rule.columns)
    to = list(rule.to or rule.columns)
    if rule.to is not None and len(rule.to) != len(rule.columns):
        state.issue(("matches", "to"), f"{len(rule.columns)} column(s) in `columns` but {len(rule.to)} in `to`; "
                    "they pair up in order", "name one column of the other table for each column of this one")
        return
    if target is None or not state.columns(("matches", "to" if rule.to is not None else "columns"), to, target) \
            or not mine_ok:
        return
    for j, (mine, theirs) in enumerate(zip(rule.columns, to)):
        a, b = state.table.column(mine), target.column(theirs)
        assert a is not None and b is not None
        if a.sql_type and b.sql_type and not _same_kind(a.sql_type, b.sql_type):
            state.issue(("matches", "columns", j), f"column {mine!r} is {a.sql_type} but must match "
                        f"{target.name}.{theirs}, which is {b.sql_type}; a foreign key pairs columns of one kind",
                        "pair it with a column of the same type")


_KINDS = {"at_most_one": _one_per, "exactly_one": _one_per, "no_overlap": _no_overlap, "aggregate": _aggregate,
          "immutable": _immutable, "transitions": _transitions, "when": _conditional,
          "parent_check": _parent_check, "matches": _matches}


def _same_kind(a: str, b: str) -> bool:
    fa, fb = types.family(a), types.family(b)
    return fa == fb if fa and fb else types.canonical(a) == types.canonical(b)


def _allowed_values(design: m.Design, table: m.Table, column: m.Column) -> tuple[str, ...]:
    """An enum type's values, else those of a CHECK (column IN (...)) on the table."""
    enum = next((e for e in design.enums if e.name == column.sql_type), None)
    if enum is not None:
        return enum.values
    found = column_rules(table).get(column.name)
    return found.allowed if found else ()


# ---------------------------------------------------------------- SQL conditions


@dataclass
class _Read:
    """What an expression reads, outside subqueries: each column reference (its names, and
    whether it sits inside an aggregate), the aggregates, window calls, subqueries and the
    functions whose result is not fixed by their arguments."""

    columns: list[tuple[tuple[str, ...], bool]] = field(default_factory=list)
    aggregates: list[str] = field(default_factory=list)
    windows: list[str] = field(default_factory=list)
    subquery: bool = False
    volatile: list[str] = field(default_factory=list)


def _read(text: str, aggregates: frozenset[str]) -> _Read | None:
    try:
        tree = pglast.parse_sql(f"SELECT ({text}\n)")[0].stmt(skip_none=True)["targetList"]
    except (pglast.parser.ParseError, IndexError, KeyError, TypeError):
        return None  # sql_fragments.py reports it
    found = _Read()

    def walk(node: object, inside: bool) -> None:
        if isinstance(node, (list, tuple)):
            for value in node:
                walk(value, inside)
            return
        if not isinstance(node, dict):
            return
        kind = node.get("@")
        if kind == "ColumnRef":
            names = tuple(f.get("sval", "*") for f in node.get("fields") or () if isinstance(f, dict))
            found.columns.append((names, inside))
            return
        if kind == "SubLink":
            found.subquery = True
            walk(node.get("testexpr"), inside)  # the subquery's own columns are out of reach
            return
        if kind == "SQLValueFunction":
            found.volatile.append(node["op"]["name"].removeprefix("SVFOP_").lower())
        if kind == "FuncCall":
            name = node["funcname"][-1].get("sval", "")
            if node.get("over") is not None:
                found.windows.append(name)
            elif name in aggregates or node.get("agg_star") or node.get("agg_filter") is not None:
                found.aggregates.append(name)
                walk({k: v for k, v in node.items() if k != "@"}, True)
                return
            if name in pg_builtins.NEVER_IMMUTABLE:
                found.volatile.append(f"{name}()")
        for key, value in node.items():
            if key != "@":
                walk(value, inside)

    walk(tree, False)
    return found


def _condition(state: _Rule, path: tuple, text: str, context: _Context, scope: dict,
               per: list[str] | None = None, fk: m.ForeignKey | None = None) -> None:
    """Columns, aggregates and functions of one SQL condition of a rule, then its types."""
    found = _read(text, AGGREGATES | _created_aggregates(state.spec))
    if found is None:
        return
    say = context.what
    if found.subquery and text.lstrip().split(None, 1)[0].lower() in ("select", "with", "values", "table"):
        state.issue(path, f"{say} is a whole query; it holds only the condition, and the rows it reads are "
                    "chosen by the rule", "write the condition alone, e.g. `sum(amount) = 0` for a group, "
                    "`status = 'posted'` for a row")
        return
    parent: m.Table | None = None
    parent_named = [names for names, _ in found.columns if len(names) == 2 and names[0] == "parent"]
    if parent_named and context.parent:
        if fk is None:  # an aggregate: the group's columns must be one foreign key
            fk = state.foreign_key(("aggregate", "per"), list(per or ()),
                                   f"the check reads parent.{parent_named[0][1]}, the row the group's foreign key "
                                   "points at")
        parent = state.physical.table(fk.ref_table) if fk is not None else None
    known = [c.name for c in state.table.columns]
    for names, inside in dict.fromkeys(found.columns):
        if names[-1] == "*" or len(names) > 2:
            continue
        if len(names) == 2 and names[0] == "parent" and context.parent:
            if parent is not None and parent.column(names[1]) is None:
                parent_known = [c.name for c in parent.columns]
                state.issue(path, f"{say} reads parent.{names[1]}, which table {parent.name!r} (the parent) does "
                            "not have", did_you_mean(names[1], parent_known) or
                            f"columns of {parent.name}: {', '.join(parent_known)}")
            continue
        if len(names) == 2 and names[0] not in context.row:
            state.issue(path, f"{say} reads {'.'.join(names)}, but only this row's columns are in reach here"
                        + (" (and the parent row's, as parent.<column>)" if context.parent else ""),
                        f"write {names[1]!r} for this row's column" +
                        (f", or parent.{names[1]}" if context.parent else "") +
                        ("; a rule across tables is a parent_check, matches or aggregate rule"
                         if not context.parent else ""))
            continue
        if state.table.column(names[-1]) is None:
            state.issue(path, f"{say} names column {names[-1]!r}, which table {state.table.name!r} does not have",
                        did_you_mean(names[-1], known) or f"columns of {state.table.name}: {', '.join(known)}")
        elif context.aggregate and not inside and found.aggregates:  # none at all: said once, below
            state.issue(path, f"{say} reads column {names[-1]!r} outside an aggregate, but it is checked once per "
                        "group, over all the group's rows", f"aggregate it, e.g. `bool_and({names[-1]} ...)`, "
                        f"`count(*) FILTER (WHERE ...)`, or `max({names[-1]})`")
    if found.windows:
        state.issue(path, f"{say} calls {found.windows[0]}() OVER (...), a window function, which a rule cannot use",
                    "use a plain aggregate over the group, e.g. sum(amount)")
    if context.aggregate and not found.aggregates:
        state.issue(path, f"{say} has no aggregate, so it says nothing about the group's rows as a whole",
                    "write a condition over aggregates, e.g. `sum(amount) = 0` or `count(*) >= 1`; a condition "
                    "on each row is a `check` rule")
    if not context.aggregate and found.aggregates:
        state.issue(path, f"{say} calls {found.aggregates[0]}(), an aggregate, but it is evaluated on one row",
                    "for a condition on a group of rows, use an `aggregate:` rule")
    if context.one_row and found.subquery:
        state.issue(path, f"{say} holds a subquery, which PostgreSQL does not allow in "
                    + ("an index predicate" if context.index else "a CHECK constraint"),
                    "compare columns of this row only; to read another table use a parent_check or matches rule")
    if context.index and found.volatile:
        state.issue(path, f"{say} calls {found.volatile[0]}, whose result changes from one call to the next; "
                    "PostgreSQL allows only IMMUTABLE functions in an index predicate",
                    "compare stored columns only (e.g. a status), not the clock or the session")
    if parent_named and context.parent:
        return  # the typer would read parent.x as this row's x
    columns = {c.name: c.sql_type for c in state.table.columns}
    for problem in expression_problems(text, Scope(columns, **scope), condition=True):
        state.issue(path, f"{say} {problem}", "write a condition on this table's columns that PostgreSQL can "
                    "evaluate, comparing values of the same kind")


def _created_aggregates(spec: Spec) -> frozenset[str]:
    """Aggregates the spec creates in `objects:` (`kind: aggregate`)."""
    return frozenset(o.name.split(".")[-1].lower() for o in spec.objects if o.kind.lower() == "aggregate")
