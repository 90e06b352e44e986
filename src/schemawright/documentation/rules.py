"""Business rules as the documentation tells them: what each says, what enforces it, what
an application sees when it is broken, and the state diagram of a `transitions` rule.

The data dictionary (and so the site's table pages) and report.md read this one module, so
they never disagree.  The SQLSTATEs are the ones integrity.invariants raises and `validate`
proves (validation.attempts): what a reviewer reads here is what the QA suite checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from schemawright.documentation.markdown import code, text
from schemawright.integrity.invariants import PENDING
from schemawright.model import Design, Rule, SchemaObject, Table, Trigger
from schemawright.naming import fit
from schemawright.sql.postgresql import PostgresGenerator
from schemawright.sql.quoting import quote_ident

_SQL = PostgresGenerator()  # a trigger's timing as the DDL writes it
MACHINERY_ANCHOR = "rule-machinery"

# The kind of each rule in plain words (the model's kind names are for the spec).
KIND_WORDS = {
    "unique": "uniqueness",
    "check": "condition on each row",
    "depends": "functional dependency",
    "at_most_one": "at most one per group",
    "exactly_one": "exactly one per group",
    "no_overlap": "no overlapping periods",
    "aggregate": "condition on each group, checked at commit",
    "immutable": "frozen once a condition holds",
    "transitions": "allowed changes of state",
    "conditional": "conditional requirement",
    "parent_check": "condition on a row and its parent row",
    "matches": "must match a row of another table",
}

# SQLSTATE -> its condition name in PostgreSQL's errcodes (what PL/pgSQL and drivers call it).
CONDITIONS = {"23505": "unique_violation", "23514": "check_violation", "23P01": "exclusion_violation",
              "23503": "foreign_key_violation"}


def kind_words(rule: Rule) -> str:
    if rule.kind == "immutable" and rule.condition is None:
        return "append-only"
    return KIND_WORDS.get(rule.kind, rule.kind)


# ---------------------------------------------------------------- where a rule lives


def rule_tables(design: Design) -> dict[str, Table]:
    """Rule name -> the table it is about: an entity's table, a many-to-many relationship's
    junction (rules may name one), or a table by name; as integrity.invariants.table_of
    resolves it, without Design's cached lookups (they would make the design compare unequal
    to a fresh one after rendering)."""
    by_entity: dict[str, Table] = {}
    for kind in ("entity", "junction"):
        for t in design.tables:
            if t.kind == kind and t.entity:
                by_entity.setdefault(t.entity, t)
    by_name = {t.name: t for t in design.tables}
    out = {}
    for rule in design.rules:
        table = by_entity.get(rule.entity) or by_name.get(rule.entity)
        if table is not None:
            out[rule.name] = table
    return out


QUEUE_SHAPE = [("rule", "text"), ("key", "text"), ("xact", "xid8"), ("keys", "text[]")]
_EARLIER_SHAPES = ([("rule", "text"), ("key", "text[]")], [("rule", "text"), ("key", "text[]"), ("xact", "xid8")],
                   [("rule", "text"), ("key", "text"), ("xact", "xid8")])


def queue_as_machinery(design: Design) -> Design:
    """A schema read back from SQL or a database that schemawright designed has the rules'
    queue as a table: make it the kept object a designed one has, so no diagram, table page
    or lint finding treats it as an entity.  Only the queue's exact shape is taken for it."""
    queue = next((t for t in design.tables if t.name == PENDING), None)
    shape = [(c.name, c.sql_type) for c in queue.columns] if queue else []
    referenced = any(fk.ref_table == PENDING for t in design.tables for fk in t.foreign_keys)
    # (rule, key), then (rule, key, xact) since the check finds its transaction's rows by xact
    if queue is None or shape not in (QUEUE_SHAPE, *_EARLIER_SHAPES) or queue.foreign_keys or referenced:
        return design
    return design.model_copy(update={
        "tables": tuple(t for t in design.tables if t is not queue),
        "indexes": tuple(i for i in design.indexes if i.table != PENDING),
        "objects": design.objects + (SchemaObject(kind="table", name=PENDING),)})


# ---------------------------------------------------------------- what enforces it


@dataclass(frozen=True)
class Enforcer:
    name: str
    what: str  # "partial unique index", "trigger" ...
    table: str  # the table whose section lists it (PENDING: the rule machinery)
    trigger: Trigger | None = None
    refuses: bool = False  # a trigger whose function raises check_violation (not one that only writes)

    def timing(self) -> str:
        return trigger_timing(self.trigger) if self.trigger is not None else ""


def trigger_timing(tr: Trigger) -> str:
    """`BEFORE UPDATE OR DELETE, for each row`; `…, deferred to commit` for a constraint trigger
    that is DEFERRABLE INITIALLY DEFERRED."""
    said = f"{_SQL.trigger_when_sql(tr)}, for each {tr.level}"
    return said + (", deferred to commit" if tr.deferred else "")


def enforcers(design: Design) -> dict[str, Enforcer]:
    """Every constraint, index and trigger by name (constraints first when names repeat)."""
    out: dict[str, Enforcer] = {}
    for t in design.tables:
        if t.primary_key:
            out.setdefault(t.primary_key.name, Enforcer(t.primary_key.name, "primary key", t.name))
        for u in t.uniques:
            out.setdefault(u.name, Enforcer(u.name, "unique constraint", t.name))
        for c in t.checks:
            out.setdefault(c.name, Enforcer(c.name, "CHECK constraint", t.name))
        for x in t.exclusions:
            out.setdefault(x.name, Enforcer(x.name, "exclusion constraint", t.name))
        for fk in t.foreign_keys:
            out.setdefault(fk.name, Enforcer(fk.name, "foreign key", t.name))
    for i in design.indexes:
        what = ("partial unique index" if i.where else "unique index") if i.unique else "index"
        out.setdefault(i.name, Enforcer(i.name, what, i.table))
    refusing = {f.name for f in design.functions if "check_violation" in f.body}
    for tr in design.triggers:
        what = "deferred constraint trigger" if tr.deferred else "trigger"
        out.setdefault(tr.name, Enforcer(tr.name, what, tr.table, tr, tr.function in refusing))
    return out


def enforced_by(rule: Rule, table: Table | None, known: dict[str, Enforcer],
                design: Design | None = None) -> list[Enforcer]:
    """What enforces the rule: the names integrity.invariants recorded, else the constraint
    the logical step made of a unique or check rule, or the triggers integrity.copies made
    for a dependency kept on purpose (validate reads `Rule.enforced_by` as the rule triggers
    to pause while it loads data, so copies' triggers, which fill values, stay out of it)."""
    names = list(rule.enforced_by)
    if not names and table is not None:
        if rule.kind == "unique":
            names = [u.name for u in table.uniques if set(u.columns) == set(rule.columns)][:1]
        elif rule.kind == "check":
            names = [c.name for c in table.checks if c.expression == rule.expression][:1]
        elif rule.kind == "depends" and rule.denormalized and design is not None:
            names = _kept_by_copies(rule, table, design)
    return [known[n] for n in names if n in known]


def _kept_by_copies(rule: Rule, table: Table, design: Design) -> list[str]:
    """integrity.copies' triggers for a dependency: `trg_<table>_<rule>_check` and `_sync`, or
    for a copied column the BEFORE trigger filling it and the parent's trigger pushing changes
    (its function updates this column)."""
    kept = [fit(f"trg_{table.name}_{rule.name}_{part}") for part in ("check", "sync")]
    if any(t.name in kept for t in design.triggers) or not rule.dependent:
        return kept
    column = rule.dependent[0]
    fk = next((f for f in table.foreign_keys if f.columns == rule.columns), None)
    pushes = {f.name for f in design.functions if f.name.startswith("push_") and f.name.endswith(f"_to_{table.name}")
              and f"SET {quote_ident(column)} = " in f.body}
    return [fit(f"trg_{table.name}_{column}_fill"),
            *(t.name for t in design.triggers if fk and t.table == fk.ref_table and t.function in pushes)]


def split_feeders(enforced: list[Enforcer]) -> tuple[list[Enforcer], list[Enforcer]]:
    """(what checks the rule, the statement-level triggers that only queue groups for the
    check at commit): a rule checked through the queue is told by its check first."""
    if not any(e.table == PENDING for e in enforced):
        return enforced, []
    feeding = [e for e in enforced if e.trigger is not None and e.trigger.level == "statement" and e.table != PENDING]
    return [e for e in enforced if e not in feeding], feeding


# ---------------------------------------------------------------- what an application sees


@dataclass(frozen=True)
class Refusal:
    sqlstate: str
    constraint: str | None  # the constraint name the error carries (None: it carries none)
    when: str  # what is refused and when

    @property
    def condition(self) -> str:
        return CONDITIONS.get(self.sqlstate, "")


def refusals(rule: Rule, enforced: list[Enforcer]) -> list[Refusal]:
    """The errors PostgreSQL raises when the rule is broken, in the order they can occur."""
    if not enforced:  # nothing in the schema refuses it
        return []
    first = enforced[0].name
    kind = rule.kind
    if kind in ("unique", "at_most_one"):
        return [Refusal("23505", first, "by the INSERT or UPDATE that makes a second row")]
    if kind == "exactly_one":
        return [Refusal("23505", first, "by the INSERT or UPDATE that makes a second matching row"),
                Refusal("23514", rule.name, "at COMMIT, for a group with rows and no matching one")]
    if kind == "no_overlap":
        return [Refusal("23P01", first, "by the INSERT or UPDATE whose period overlaps another")]
    if kind in ("check", "conditional"):
        return [Refusal("23514", first, "by the INSERT or UPDATE")]
    if kind == "matches":
        return [Refusal("23503", first, "by an INSERT or UPDATE with no matching row, or by deleting or "
                                        "changing a row that others match")]
    if kind == "aggregate":
        return [Refusal("23514", rule.name, "at COMMIT (or SET CONSTRAINTS ALL IMMEDIATE), once per broken group")]
    if kind == "immutable":
        return [Refusal("23514", rule.name, "by the UPDATE, DELETE or TRUNCATE" if rule.condition is None
                        else "by the UPDATE or DELETE")]
    if kind == "transitions":
        return [Refusal("23514", rule.name, "by the UPDATE that makes a change not allowed"
                        + (", or by an INSERT in a state no new row may start in" if rule.initial else ""))]
    if kind == "parent_check":
        return [Refusal("23514", rule.name, "by the INSERT or UPDATE of the row")]
    if kind == "depends" and any(e.refuses for e in enforced):  # integrity.copies' kept dependency
        return [Refusal("23514", None, "by the INSERT or UPDATE of a row that disagrees with the others")]
    return []  # a copied column: its trigger writes the copy, so there is nothing to refuse


def refusal_text(refusal: Refusal) -> str:
    """`23514` check_violation, constraint `x`, raised by …"""
    named = f", constraint {code(refusal.constraint)}" if refusal.constraint else ", no constraint name"
    return f"{code(refusal.sqlstate)} {refusal.condition}{named}, raised {text(refusal.when)}"


def raises_rule_message(rule: Rule) -> bool:
    """Whether a trigger of the rule raises the error itself (its message starts `rule <name>:`)."""
    return rule.kind in ("aggregate", "immutable", "transitions", "parent_check", "exactly_one")


# ---------------------------------------------------------------- what it says


def statement(rule: Rule, table: Table | None) -> str:
    """The rule in one Markdown sentence fragment, from its parts."""
    cols = ", ".join(code(c) for c in rule.columns)
    kind = rule.kind
    if kind == "unique":
        return f"{cols} are unique together"
    if kind == "check":
        return f"each row satisfies {code(rule.expression or '')}"
    if kind == "depends":
        dependent = ", ".join(code(c) for c in rule.dependent)
        return f"{cols} → {dependent}: rows with the same {cols} always have the same {dependent}"
    if kind in ("at_most_one", "exactly_one"):
        nulls = "" if rule.nulls_distinct else "; rows with NULL in the group columns count as one group"
        where = code(rule.condition or "")
        if kind == "at_most_one":
            return f"at most one row per {cols} where {where}{nulls}"
        return f"each {cols} group that has rows has exactly one row where {where}{nulls}"
    if kind == "no_overlap":
        start, end = (rule.period + ("", ""))[:2]
        per = f" of rows with the same {cols}" if rule.columns else ""
        only = f" (rows where {code(rule.condition)})" if rule.condition else ""
        return f"the periods from {code(start)} to {code(end)} (end excluded){per} never overlap{only}"
    if kind == "aggregate":
        return f"the rows of each {cols} group satisfy {code(rule.expression or '')} when the transaction commits"
    if kind == "immutable":
        if rule.condition is None:
            return "rows are never updated, deleted or truncated"
        return f"a row where {code(rule.condition)} is never updated or deleted"
    if kind == "transitions":
        column = code(rule.columns[0]) if rule.columns else "the state"
        starts = (f"; a new row starts in " + " or ".join(code(s) for s in rule.initial)) if rule.initial \
            else "; a new row may start in any state"
        return f"{column} changes only along the allowed transitions{starts}"
    if kind == "conditional":
        return f"when {code(rule.condition or '')}, then {code(rule.expression or '')}"
    if kind == "parent_check":
        parent = _parent(rule, table)
        return (f"each row and its {code(parent) if parent else 'parent'} row (through {cols}) satisfy "
                f"{code(rule.expression or '')}")
    if kind == "matches":
        to = ", ".join(code(c) for c in rule.target_columns)
        fk = next((f for f in table.foreign_keys if f.name in rule.enforced_by), None) if table else None
        return f"({cols}) matches ({to}) of a row of {code(fk.ref_table if fk else rule.target or '')}"
    return code(kind)


def _parent(rule: Rule, table: Table | None) -> str | None:
    fk = next((f for f in table.foreign_keys if f.columns == rule.columns), None) if table else None
    return fk.ref_table if fk else None


# ---------------------------------------------------------------- state diagrams

_STATE_ID = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_GENERATED = re.compile(r"[sS][0-9]+\Z")
# Words stateDiagram-v2 reads as its own keywords (case-insensitively): never a bare state id.
_STATE_KEYWORDS = frozenset({"state", "note", "end", "as", "direction", "classdef", "class", "style", "click",
                             "left", "right", "of", "over", "hide", "accdescr", "acctitle", "title"})


def state_diagram(rule: Rule) -> str:
    """Mermaid `stateDiagram-v2` of a `transitions` rule: `[*] --> s` for each initial state,
    one arrow per allowed change.  A state whose name is not a plain identifier (or is a
    Mermaid keyword) gets an id `sN` and its name as a label."""
    states = list(dict.fromkeys([*rule.initial, *(s for pair in rule.transitions for s in pair)]))
    ids: dict[str, str] = {}
    lines = ["stateDiagram-v2"]
    for n, state in enumerate(states, 1):
        # `s<digits>` names are the generated ids: a real state named so gets one too.
        plain = _STATE_ID.match(state) and state.lower() not in _STATE_KEYWORDS and not _GENERATED.match(state)
        ids[state] = state if plain else f"s{n}"
        if not plain:
            lines.append(f'    state "{_label(state)}" as s{n}')
    lines += [f"    [*] --> {ids[s]}" for s in rule.initial]
    lines += [f"    {ids[a]} --> {ids[b]}" for a, b in rule.transitions]
    return "\n".join(lines) + "\n"


_ENTITY = {"#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", ";": "#59;", "%": "#37;", "`": "#96;"}


def _label(value: str) -> str:
    """A quoted state label that shows the name as it is: Mermaid entity codes for the
    characters it would read as syntax (quotes, comments, markup, markdown strings)."""
    value = " ".join(value.split()) or " "
    return re.sub(r'[#"<>;%`]', lambda m: _ENTITY[m.group()], value)
