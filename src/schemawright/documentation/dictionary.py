"""data-dictionary.md: every table and column, its keys, indexes, relationships and rules.

One Markdown file with a summary table linking to one section per table (explicit
`<a id>` anchors, so odd table names still link).  It is meant to be read on a code host
by someone who has never seen the spec: relationships are spelled out in words.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from schemawright.documentation import rules as r
from schemawright.documentation.audit_trail import trail_section
from schemawright.documentation.links import Link, links
from schemawright.documentation.markdown import anchors, article, code, number, plural, table, text
from schemawright.integrity.audit_trail import AUDIT_TRAIL
from schemawright.model import Column, Design, Index, Rule, Table, Trigger, Volume
from schemawright.sql.postgresql import PostgresGenerator

_SQL = PostgresGenerator()  # how the dictionary writes triggers and bounds: as the DDL does

_ON_DELETE = {
    "cascade": "deleting the parent deletes these rows",
    "restrict": "a parent with rows here cannot be deleted",
    "no action": "a parent with rows here cannot be deleted (checked at end of statement)",
    "set null": "deleting the parent sets the column to NULL",
    "set default": "deleting the parent resets the column to its default",
}


@dataclass
class _Context:
    """Lookups built once, so the document is linear in the size of the design."""

    design: Design
    anchor: dict[str, str] = field(default_factory=dict)
    enum_anchor: dict[str, str] = field(default_factory=dict)
    tables: dict[str, Table] = field(default_factory=dict)
    volume: dict[str, Volume] = field(default_factory=dict)
    indexes: dict[str, list[Index]] = field(default_factory=lambda: defaultdict(list))
    links: dict[str, list[Link]] = field(default_factory=lambda: defaultdict(list))
    rules: dict[str, list[Rule]] = field(default_factory=lambda: defaultdict(list))  # by table name
    rule_anchor: dict[str, str] = field(default_factory=dict)
    enforcers: dict[str, r.Enforcer] = field(default_factory=dict)
    triggers: dict[str, list[Trigger]] = field(default_factory=lambda: defaultdict(list))
    # Where a reference to a table or an enum points: this document's anchors by default,
    # other pages when the site (one page per table) reuses the sections.
    table_href: dict[str, str] = field(default_factory=dict)
    enum_href: dict[str, str] = field(default_factory=dict)
    machinery_href: str = f"#{r.MACHINERY_ANCHOR}"

    @classmethod
    def of(cls, design: Design, table_href: dict[str, str] | None = None,
           enum_href: dict[str, str] | None = None, machinery_href: str | None = None) -> _Context:
        ctx = cls(design)
        if machinery_href is not None:
            ctx.machinery_href = machinery_href
        ctx.anchor = anchors([t.name for t in design.tables], "table")
        ctx.enum_anchor = anchors([e.name for e in design.enums], "enum")
        ctx.table_href = table_href if table_href is not None else {n: f"#{a}" for n, a in ctx.anchor.items()}
        ctx.enum_href = enum_href if enum_href is not None else {n: f"#{a}" for n, a in ctx.enum_anchor.items()}
        ctx.tables = {t.name: t for t in design.tables}
        ctx.volume = {v.entity: v for v in design.volumes}
        for index in design.indexes:
            ctx.indexes[index.table].append(index)
        for link in links(design):
            ctx.links[link.child.name].append(link)
            if link.parent != link.child.name:
                ctx.links[link.parent].append(link)
        tables_of = r.rule_tables(design)
        for rule in design.rules:
            if rule.name in tables_of:
                ctx.rules[tables_of[rule.name].name].append(rule)
        ctx.rule_anchor = anchors([rule.name for rule in design.rules], "rule")
        ctx.enforcers = r.enforcers(design)
        for trigger in design.triggers:
            ctx.triggers[trigger.table].append(trigger)
        return ctx

    def ref(self, name: str) -> str:
        return f"[{code(name)}]({self.table_href[name]})" if name in self.table_href else code(name)

    def noun(self, name: str) -> tuple[str, str]:
        """(one, many) as Markdown: **Order** / **Orders**, or `row of x` for other tables."""
        t = self.tables.get(name)
        if t is not None and t.kind == "entity" and t.entity:
            return f"**{text(t.entity)}**", f"**{text(plural(t.entity))}**"
        return f"row of {code(name)}", f"rows of {code(name)}"


def to_data_dictionary(design: Design) -> str:
    ctx = _Context.of(design)
    kinds = defaultdict(int)
    for t in design.tables:
        kinds[t.kind] += 1
    out = [f"# Data dictionary: {text(design.project)}", ""]
    if design.description:
        out += [text(design.description), ""]
    out += [f"{len(design.tables)} tables ({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))}), "
            f"{len(design.indexes)} indexes, target {design.dialect}. "
            "Key markers: **PK** primary key, **FK** foreign key, **UK** unique.", ""]
    out += ['<a id="tables"></a>', "", "## Tables", ""]
    out += table(["Table", "Kind", "Expected rows", "Growth / month", "Description"],
                 [_summary_row(t, ctx) for t in design.tables], align="llrrl")
    out.append("")
    if design.enums:
        out += ["## Enum types", ""]
        for enum in design.enums:
            out += [f'<a id="{ctx.enum_anchor[enum.name]}"></a>', "",
                    f"- {code(enum.name)}: " + ", ".join(code(v) for v in enum.values), ""]
    for t in design.tables:
        out += _section(t, ctx)
    out += _machinery(ctx)
    out += trail_section(design, ctx.ref, ctx.triggers.get(AUDIT_TRAIL, []), _trigger)
    if design.functions:
        out += ["## Functions", "", *(f"- {code(f.name)}" for f in design.functions), ""]
    return "\n".join(out).rstrip() + "\n"


def volume_of(t: Table, ctx: _Context) -> Volume | None:
    """The declared (or, for an imported schema, measured) volume of a table's rows."""
    if t.kind not in ("entity", "junction"):  # a junction's volume is given by its relationship's name
        return None
    return ctx.volume.get(t.entity or "") or (ctx.volume.get(t.name) if not t.entity else None)


def _summary_row(t: Table, ctx: _Context) -> list[str]:
    vol = volume_of(t, ctx)
    return [ctx.ref(t.name), t.kind, number(vol.rows) if vol else "—",
            number(vol.growth_per_month) if vol else "—", text(_first_line(t.description))]


def _section(t: Table, ctx: _Context) -> list[str]:
    out = [f'<a id="{ctx.anchor[t.name]}"></a>', "", f"## {code(t.name)}", ""]
    out += table_body(t, ctx)
    out += ["[Back to the table list](#tables)", ""]
    return out


def table_body(t: Table, ctx: _Context, *, heading: str = "**{}**", referenced_by: bool = False) -> list[str]:
    """One table's description, columns, keys, constraints, indexes, relationships in
    words, rules and triggers (the dictionary's section without its heading); `heading`
    formats the sub-headings (the site uses `## {}`), `referenced_by` adds the foreign keys
    of other tables that point here."""
    h = heading.format
    out: list[str] = []
    if t.description:
        out += [text(t.description), ""]
    facts = []
    if t.kind == "entity" and t.entity:
        facts.append(f"Entity **{text(t.entity)}**")
    elif t.kind == "junction":
        facts.append(f"Junction table of the many-to-many relationship {code(t.entity or t.name)}")
    elif t.kind == "list":
        facts.append(f"Child table holding the list attribute {code(t.entity or t.name)} (first normal form)")
    vol = volume_of(t, ctx)
    if vol:
        growth = f", +{number(vol.growth_per_month)} per month" if vol.growth_per_month else ""
        kept = f", kept {vol.retention_months} months" if vol.retention_months else ""
        facts.append(f"expected rows: {number(vol.rows)}{growth}{kept}")
    if facts:
        out += [". ".join(f[:1].upper() + f[1:] for f in facts) + ".", ""]
    out += [h("Columns"), ""]
    out += table(["Column", "Type", "Nullable", "Default", "Description", "PII"],
                 [_column_row(c, t, ctx) for c in t.columns])
    out.append("")
    if t.primary_key:
        pk = f"{code(t.primary_key.name)}: " + ", ".join(code(c) for c in t.primary_key.columns)
        out += [h("Primary key") + f" {pk}", ""] if heading.startswith("**") else [h("Primary key"), "", pk, ""]
    if t.foreign_keys:
        out += [h("Foreign keys"), ""]
        out += table(["Constraint", "Columns", "References", "On delete"], [
            [code(fk.name), ", ".join(code(c) for c in fk.columns),
             f"{ctx.ref(fk.ref_table)} ({', '.join(code(c) for c in fk.ref_columns)})",
             f"{fk.on_delete.upper()}: {_ON_DELETE.get(fk.on_delete.lower(), '')}".rstrip(": ")]
            for fk in t.foreign_keys])
        out.append("")
    incoming = [lk for lk in ctx.links.get(t.name, []) if lk.parent == t.name] if referenced_by else []
    if incoming:
        out += [h("Referenced by"), ""]
        out += table(["Table", "Constraint", "Columns", "References", "On delete"], [
            [ctx.ref(lk.child.name), code(lk.fk.name), ", ".join(code(c) for c in lk.fk.columns),
             ", ".join(code(c) for c in lk.fk.ref_columns), lk.fk.on_delete.upper()] for lk in incoming])
        out.append("")
    if t.uniques:
        out += [h("Unique constraints"), ""]
        out += table(["Constraint", "Columns", "Why"], [
            [code(u.name), ", ".join(code(c) for c in u.columns), text(u.reason)] for u in t.uniques])
        out.append("")
    if t.checks:
        out += [h("Check constraints"), ""]
        out += table(["Constraint", "Expression", "Why"], [
            [code(c.name), code(c.expression), text(c.reason)] for c in t.checks])
        out.append("")
    if t.exclusions:
        out += [h("Exclusion constraints"), ""]
        out += table(["Constraint", "Definition"], [[code(x.name), code(x.definition)] for x in t.exclusions])
        out.append("")
    if ctx.indexes.get(t.name):
        out += [h("Indexes"), ""]
        out += table(["Index", "Definition", "Why", "Serves access patterns"],
                     [_index_row(i) for i in ctx.indexes[t.name]])
        out.append("")
    out += _partitioning(t, h)
    sentences = _relationship_sentences(t, ctx)
    if sentences:
        out += [h("Relationships"), "", *(f"- {s}" for s in sentences), ""]
    rules = ctx.rules.get(t.name, [])
    if rules:
        out += [h("Business rules"), ""]
        for rule in rules:
            out += _rule(rule, t, ctx)
        out.append("")
        for rule in rules:
            if rule.kind == "transitions" and rule.transitions:
                out += _state_diagram(rule)
    triggers = ctx.triggers.get(t.name, [])
    if triggers:
        out += [h("Triggers"), "", *(_trigger(tr) for tr in triggers), ""]
    out += _row_security(t, ctx, h)
    return out


def _row_security(t: Table, ctx: _Context, h) -> list[str]:  # noqa: ANN001 - the sub-heading formatter
    """Row-level security on the table: the design's policies, or what an imported schema kept."""
    design = ctx.design
    if t.name in design.row_security:
        setting = design.security.tenant_setting
        out = [h("Row-level security"), "",
               f"Enabled and forced (for the table's owner too): every statement sees and changes only the rows of "
               f"the tenant the transaction set in {code(setting)}, and none when it set no tenant; the operator "
               "role (BYPASSRLS) is not filtered. security.md tells the application side.", ""]
        policies = [p for p in design.policies if p.table == t.name]
        if policies:
            out += table(["Policy", "Command", "Rows it may see or change (USING)", "Rows it may write (WITH CHECK)"],
                         [[code(p.name), p.command.upper(), code(p.using) if p.using else "—",
                           code(p.check) if p.check else "—"] for p in policies])
            out.append("")
        return out
    if not design.security.has_row_level_security(t.name):
        return []
    kept = [o for o in design.objects if o.table == t.name and o.kind in ("policy", "row level security")]
    said = " ".join(o.sql.strip() for o in kept if o.kind == "row level security").upper()
    state = ("enabled and forced" if "FORCE" in said and "ENABLE" in said else "enabled, not forced (the table's "
             "owner is not filtered)" if "ENABLE" in said else "not enabled: its policies have no effect")
    names = [o.name for o in kept if o.kind == "policy"]
    return [h("Row-level security"), "",
            f"Row-level security is {state}." + (" Policies: " + ", ".join(code(n) for n in names) + "."
                                                 if names else " No policy: the roles it applies to see no row at all."), ""]


def _trigger(tr: Trigger) -> str:
    """A trigger with when it fires: timing, events, per row or statement, deferred or not."""
    when = f", when {code(tr.condition)}" if tr.condition else ""
    return (f"- {code(tr.name)}: {text(r.trigger_timing(tr))}{when}, runs {code(tr.function)}"
            + (f" — {text(tr.reason)}" if tr.reason else ""))


def _rule(rule: Rule, t: Table, ctx: _Context) -> list[str]:
    """One rule: its kind in words and what it says, what enforces it, what a broken one raises."""
    said = f" {_period(text(rule.description))}" if rule.description else ""
    anchor = f'<a id="{ctx.rule_anchor[rule.name]}"></a>'
    out = [f"- {anchor}{code(rule.name)} ({r.kind_words(rule)}): {_period(r.statement(rule, t))}{said}"]
    enforced = r.enforced_by(rule, t, ctx.enforcers, ctx.design)
    main, feeding = r.split_feeders(enforced)
    if main:
        out.append("  - Enforced by: " + "; ".join(_enforcer(e, t, ctx) for e in main) + ".")
    elif rule.kind == "depends":
        out.append("  - Enforced by: no constraint or trigger; *Normal forms* in the design report says whether "
                   "the tables keep it by their keys.")
    else:
        out.append("  - Enforced by: no constraint, index or trigger of this schema.")
    if feeding:
        out.append("  - Groups to check are queued by statement-level triggers: " + _feeders(feeding, t, ctx) + ".")
    refused = r.refusals(rule, enforced)
    if refused:
        message = ""
        if r.raises_rule_message(rule):
            wording = rule.message or rule.description
            message = (f"; its message is {code(f'rule {rule.name}: {wording}')}" if wording
                       else f"; its message begins {code(f'rule {rule.name}:')}")
        out.append("  - When broken: SQLSTATE " + "; or ".join(r.refusal_text(x) for x in refused) + message + ".")
    elif enforced and rule.kind == "depends":
        out.append("  - When broken: never refused: its triggers write the copies themselves, so they cannot "
                   "disagree.")
    return out


def _feeders(feeding: list[r.Enforcer], here: Table, ctx: _Context) -> str:
    """`a`, `b` (AFTER INSERT, AFTER UPDATE); [`c`](#table-x) on `x` (AFTER INSERT): one group per table."""
    by_table: dict[str, list[r.Enforcer]] = {}
    for e in feeding:
        by_table.setdefault(e.table, []).append(e)
    parts = []
    for table_name, items in by_table.items():
        names = ", ".join(_name(e, here, ctx) for e in items)
        where = f" on {code(table_name)}" if table_name != here.name else ""
        when = ", ".join(_SQL.trigger_when_sql(e.trigger) for e in items if e.trigger is not None)
        parts.append(f"{names}{where} ({text(when)})")
    return "; ".join(parts)


def _period(value: str) -> str:
    value = value.rstrip()
    return value if value.endswith((".", "!", "?")) else value + "."


def _enforcer(e: r.Enforcer, here: Table, ctx: _Context) -> str:
    if e.table == r.PENDING:  # the queue is named once, in its own section
        where = f" on the [rules' queue]({ctx.machinery_href})"
    else:
        where = f" on {code(e.table)}" if e.table != here.name else ""
    timing = f" ({text(e.timing())})" if e.trigger is not None else ""
    return f"{e.what} {_name(e, here, ctx)}{where}{timing}"


def _name(e: r.Enforcer, here: Table, ctx: _Context) -> str:
    """The name, linked to where it is listed unless that is this table's own section."""
    if e.table == r.PENDING:
        return f"[{code(e.name)}]({ctx.machinery_href})"
    if e.table != here.name and e.table in ctx.table_href:
        return f"[{code(e.name)}]({ctx.table_href[e.table]})"
    return code(e.name)


def _state_diagram(rule: Rule) -> list[str]:
    column = code(rule.columns[0]) if rule.columns else "the state"
    starts = "`[*]` marks the states a new row may start in" if rule.initial else "a new row may start in any state"
    return [f"State diagram of {code(rule.name)}: the changes of {column} it allows ({starts}).", "",
            "```mermaid", r.state_diagram(rule).rstrip("\n"), "```", ""]


def _machinery(ctx: _Context) -> list[str]:
    """The rules' queue table, named once: internal machinery, not an entity."""
    triggers = ctx.triggers.get(r.PENDING, [])
    kept = [o for o in ctx.design.objects if o.kind == "trigger" and o.table == r.PENDING]  # read back from SQL
    if not triggers and not any(o.kind == "table" and o.name == r.PENDING for o in ctx.design.objects):
        return []
    users = [rule.name for rule in ctx.design.rules
             if any(ctx.enforcers.get(n) and ctx.enforcers[n].table == r.PENDING for n in rule.enforced_by)]
    which = f" ({', '.join(code(n) for n in users)})" if users else ""
    out = [f'<a id="{r.MACHINERY_ANCHOR}"></a>', "", "## Rule machinery", "",
           f"{code(r.PENDING)} is internal machinery of the business rules, not part of the data model (no "
           "diagram draws it): an UNLOGGED queue in which statement-level triggers note each group a statement "
           f"changed, so that the rules checked at commit{which} check each group once, then remove it. It is "
           "empty whenever no transaction is open; applications never read or write it.", ""]
    if triggers or kept:
        out += ["**Triggers**", "", *(_trigger(tr) for tr in triggers), *(f"- {code(o.name)}" for o in kept), ""]
    return out


def _partitioning(t: Table, h) -> list[str]:  # noqa: ANN001 - the sub-heading formatter
    scheme = t.partitioning
    if scheme is None:
        return []
    facts = [f"{scheme.method.upper()} on " + ", ".join(code(c) for c in scheme.columns)]
    if scheme.interval:
        facts.append(f"{text(scheme.interval)} per partition, initial ones placed around {scheme.anchor}")
    if scheme.retention_months:
        facts.append(f"partitions dropped after {scheme.retention_months} months")
    if scheme.default_partition:
        facts.append(f"rows outside every partition go to {code(scheme.default_partition)}")
    out = [h("Partitioning"), "", "; ".join(facts) + ".", ""]
    if scheme.maintenance:
        out += [f"Maintenance: {text(scheme.maintenance)}", ""]
    out += table(["Partition", "Bound"],
                 [[code(p.name), code(_SQL.partition_bound_sql(p.bound))] for p in scheme.partitions])
    return out + [""]


def _column_row(c: Column, t: Table, ctx: _Context) -> list[str]:
    marks = []
    if t.primary_key and c.name in t.primary_key.columns:
        marks.append("**PK**")
    if any(c.name in fk.columns for fk in t.foreign_keys):
        marks.append("**FK**")
    if any(c.name in u.columns for u in t.uniques):
        marks.append("**UK**")
    sql_type = c.sql_type or c.semantic
    type_cell = f"[{code(sql_type)}]({ctx.enum_href[sql_type]})" if sql_type in ctx.enum_href else code(sql_type)
    if c.semantic and c.semantic not in (sql_type, "fk", "id"):
        type_cell += f" ({text(c.semantic)})"
    default = "identity (generated always)" if c.identity else (code(c.default) if c.default is not None else "")
    return [" ".join([code(c.name), *marks]), type_cell, "yes" if c.nullable else "no", default,
            text(c.description or ""), "yes" if c.pii else ""]


def _index_row(i: Index) -> list[str]:
    cols = ", ".join(code(c.expression) + (" DESC" if c.descending else "") for c in i.columns)
    parts = [("UNIQUE " if i.unique else "") + (i.method.upper() if i.method != "btree" else "B-tree") + f" ({cols})"]
    if i.include:
        parts.append("INCLUDE (" + ", ".join(code(c) for c in i.include) + ")")
    if i.where:
        parts.append(f"WHERE {code(i.where)}")
    serves = ", ".join(code(p) for p in i.patterns) or "—"
    return [code(i.name), " ".join(parts), text(i.reason) or "—", serves]


def _relationship_sentences(t: Table, ctx: _Context) -> list[str]:
    sentences = []
    for link in ctx.links.get(t.name, []):
        partner = ctx.tables.get(link.child.name)
        # An entity table shows a junction as the many-to-many it stands for, not as a row link.
        if link.child.name != t.name and partner is not None and partner.kind == "junction":
            sentences.append(_many_to_many(partner, ctx))
            continue
        sentences.append(_sentence(link, ctx))
    if t.kind == "junction":
        sentences.append(_many_to_many(t, ctx))
    return list(dict.fromkeys(sentences))  # a self-referencing junction would repeat itself


def _sentence(link: Link, ctx: _Context) -> str:
    (child, children), (parent, _) = ctx.noun(link.child.name), ctx.noun(link.parent)
    role = link.relationship.role if link.relationship and link.relationship.role else None
    how = "exactly one" if link.parent_min else "at most one"
    via = ", ".join(code(c) for c in link.fk.columns)
    first = f"Each {child} belongs to {how} {parent}" + (f" as its *{text(role)}*" if role else "")
    first += f" ({via} → {ctx.ref(link.parent)})"
    if link.child_many:
        many = "one or more" if link.child_min else "zero or more"
        second = (f"{_a(parent)} {parent} is the *{text(role)}* of {many} {children}" if role
                  else f"{_a(parent)} {parent} has {many} {children}")
    else:
        one = "exactly one" if link.child_min else "at most one"
        second = f"{_a(parent)} {parent} has {one} {child} (one-to-one)"
    return f"{first}; {second}{_said(link)}."


def _many_to_many(junction: Table, ctx: _Context) -> str:
    legs = [lk for lk in ctx.links.get(junction.name, []) if lk.child.name == junction.name]
    if len(legs) != 2:
        return f"{ctx.ref(junction.name)} links " + ", ".join(ctx.ref(lk.parent) for lk in legs) + "."
    a, b = legs
    (one_a, many_a), (one_b, many_b) = ctx.noun(a.parent), ctx.noun(b.parent)
    side_a = "one or more" if a.child_min else "zero or more"
    side_b = "one or more" if b.child_min else "zero or more"
    return (f"Many-to-many through {ctx.ref(junction.name)}: each {one_a} has {side_a} {many_b}, "
            f"and each {one_b} has {side_b} {many_a}{_said(a)}.")


def _a(noun_md: str) -> str:
    return article(noun_md.lstrip("*`"))


def _said(link: Link) -> str:
    rel = link.relationship
    return f" (*{text(rel.description.rstrip('. '))}*)" if rel is not None and rel.description else ""


def _first_line(value: str | None) -> str:
    return (value or "").strip().splitlines()[0] if (value or "").strip() else ""
