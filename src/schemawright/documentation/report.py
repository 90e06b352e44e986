"""report.md: why the design is what it is.

Every automatic decision (grouped by pipeline step, in pipeline order) and every access
pattern with what serves it, then the volumes and the transactional and availability needs
exactly as the spec recorded them, so a reviewer can check one against the other, and a
summary of what the security stage enforces (security.md tells it in full).
"""

from __future__ import annotations

import re
from collections import defaultdict

from schemawright.documentation import rules as r
from schemawright.documentation.markdown import anchors, code, number, table, text
from schemawright.documentation.normal_forms import normal_forms_section
from schemawright.documentation.security import security_summary
from schemawright.documentation.served import Service, service
from schemawright.indexing.planner_mark import chosen_by_planner
from schemawright.model import AccessPattern, Decision, Design, Index

# DESIGN.md's step order; steps it does not name follow, alphabetically.
STEP_ORDER = ("requirements", "conceptual", "logical", "physical", "indexing", "partitioning",
              "scaling", "integrity", "security", "documentation")

_VERDICT = {"none-needed": "no index needed", "not-served": "**NOT SERVED**"}


def to_report(design: Design, performance: list[str] | None = None) -> str:
    """`performance`: the lines of a measured-performance section (performance.report), placed last."""
    by_pattern: dict[str, list[Index]] = defaultdict(list)
    for index in design.indexes:
        for name in index.patterns:
            by_pattern[name].append(index)
    tables = {t.name: t for t in design.tables}
    services = {p.name: service(p, tables, by_pattern, chosen_by_planner(design)) for p in design.access_patterns}
    missing = sum(1 for s in services.values() if s.status == "not-served")
    out = [f"# Design report: {text(design.project)}", ""]
    if design.description:
        out += [text(design.description), ""]
    out += [f"{len(design.tables)} tables, {len(design.indexes)} indexes, {len(design.decisions)} automatic "
            f"decisions, {len(design.access_patterns)} access patterns"
            + (f" (**{missing} not served**)." if missing else " (all served)."), ""]
    out += ["- [Automatic decisions](#decisions)"] + (["- [Business rules](#business-rules)"] if design.rules else [])
    out += ["- [Normal forms](#normal-forms)", "- [Access patterns](#access-patterns)",
            "- [Volumes](#volumes)", "- [Transactional needs](#transactions)",
            "- [Security](#security)", "- [Availability needs](#availability)"]
    out += ["- [Performance](#performance)", ""] if performance else [""]
    out += _decisions(design)
    out += _rules(design)
    out += normal_forms_section(design)
    out += _patterns(design, services)
    out += _volumes(design)
    out += _needs(design)
    out += performance or []
    return "\n".join(out).rstrip() + "\n"


def _decisions(design: Design) -> list[str]:
    out = ['<a id="decisions"></a>', "", "## Automatic decisions", ""]
    if not design.decisions:
        return out + ["No automatic decisions were recorded.", ""]
    groups: dict[str, list] = defaultdict(list)
    for d in design.decisions:
        groups[d.step].append(d)
    rank = {s: i for i, s in enumerate(STEP_ORDER)}
    for step in sorted(groups, key=lambda s: (rank.get(s, len(rank)), s)):
        out += [f"### {text(step)} ({len(groups[step])})", ""]
        out += table(["Subject", "Choice", "Reason"],
                     [[code(d.subject), text(d.choice), text(d.reason)] for d in groups[step]])
        out.append("")
    return out


def _rules(design: Design) -> list[str]:
    """Every business rule in one table: what kind, what enforces it, what breaking it raises;
    the data dictionary tells each in full (its anchors are made the same way)."""
    if not design.rules:
        return []
    ids = anchors([rule.name for rule in design.rules], "rule")
    tables = r.rule_tables(design)
    known = r.enforcers(design)
    rows = []
    for rule in design.rules:
        home = tables.get(rule.name)
        enforced = r.enforced_by(rule, home, known, design)
        main, _ = r.split_feeders(enforced)
        refused = r.refusals(rule, enforced)
        rows.append([f"[{code(rule.name)}](data-dictionary.md#{ids[rule.name]})",
                     code(home.name) if home else "—", r.kind_words(rule),
                     "; ".join(f"{e.what} {code(e.name)}" for e in main) or "—",
                     "; ".join(f"{code(x.sqlstate)} {code(x.constraint) if x.constraint else '(no name)'}"
                               + (" at commit" if "COMMIT" in x.when else "") for x in refused) or "—"])
    out = ['<a id="business-rules"></a>', "", "## Business rules", "",
           f"{len(design.rules)} rule{'s' if len(design.rules) != 1 else ''}; the data dictionary tells each in "
           "full (what it says, every object that enforces it, the error an application receives).", ""]
    return out + table(["Rule", "Table", "Kind", "Enforced by", "Refused with (SQLSTATE, constraint)"], rows) + [""]


def _patterns(design: Design, services: dict[str, Service]) -> list[str]:
    out = ['<a id="access-patterns"></a>', "", "## Access patterns", ""]
    if not design.access_patterns:
        return out + ["The spec declares no access patterns.", ""]
    ids = anchors([p.name for p in design.access_patterns], "pattern")
    out += table(["Pattern", "Kind", "Frequency", "p95 target", "Served by"], [
        [f"[{code(p.name)}](#{ids[p.name]})", p.kind, _per_second(p.frequency), _ms(p.latency_p95_ms),
         _short_verdict(services[p.name])] for p in design.access_patterns], align="llrrl")
    out.append("")
    volumes = {v.entity: v.rows for v in design.volumes}
    rows = {name: volumes[entity] for entity, name in _entity_tables(design).items() if entity in volumes}
    about: dict[str, list[Decision]] = defaultdict(list)
    for d in design.decisions:
        about[d.subject].append(d)
    for p in design.access_patterns:
        out += _pattern(p, services[p.name], ids[p.name], about, rows)
    return out


def _pattern(p: AccessPattern, s: Service, anchor: str, decisions: dict[str, list[Decision]],
             rows: dict[str, int]) -> list[str]:
    out = [f'<a id="{anchor}"></a>', "", f"### {code(p.name)}", ""]
    if p.description:
        out += [text(p.description), ""]
    facts = [f"**Kind:** {p.kind}", f"**Frequency:** {_per_second(p.frequency)}",
             f"**Latency target (p95):** {_ms(p.latency_p95_ms)}"]
    if p.tables:
        facts.append("**Tables:** " + ", ".join(code(t) for t in p.tables))
    out += [" · ".join(facts), "", *_fenced(p.sql, "sql"), ""]
    notes = decisions.get(p.name, [])
    if notes:  # what the indexing step concluded about this pattern, next to the pattern
        out += [f"- {text(d.step)}: {text(d.choice)}. {text(d.reason)}" for d in notes] + [""]
    if s.status == "index":
        for i in s.indexes:
            cols = ", ".join(code(c.expression) + (" DESC" if c.descending else "") for c in i.columns)
            extra = (f" INCLUDE ({', '.join(code(c) for c in i.include)})" if i.include else "") + (
                f" WHERE {code(i.where)}" if i.where else "")
            why = f": {text(i.reason)}" if i.reason else ""
            out.append(f"- **Served by** index {code(i.name)} on {code(i.table)} ({cols}){extra}{why}")
        out.append("")
    elif s.status == "key":
        cols = ", ".join(code(c) for c in s.columns)
        out += [f"**Served by** the {s.what} {code(s.constraint)} on {code(s.table)} ({cols}): {text(s.detail)}.", ""]
    elif s.status == "none-needed":
        out += [f"**No index needed**: {text(s.detail)}.", ""]
    else:
        out += [f"**NOT SERVED**: {text(s.detail)}{_scan(s.tables, rows)}.", ""]
    return out


def _scan(tables: tuple[str, ...], rows: dict[str, int]) -> str:
    """Which tables it will scan and how big they are, so the reader can judge the risk."""
    if not tables:
        return ""
    sizes = [code(t) + (f" (~{number(rows[t])} rows expected)" if t in rows else "") for t in tables]
    return "; expect it to scan " + ", ".join(sizes)


def _short_verdict(s: Service) -> str:
    if s.status == "index":
        return ", ".join(code(i.name) for i in s.indexes)
    if s.status == "key":
        return code(s.constraint)
    return _VERDICT[s.status]


def _entity_tables(design: Design) -> dict[str, str]:
    """Entity -> its table, and a many-to-many relationship -> its junction table (volumes may
    name one).  Read here rather than through Design.table_for_entity, whose cached index would
    make the rendered design differ from a fresh one."""
    tables: dict[str, str] = {}
    for kind in ("entity", "junction"):
        for t in design.tables:
            if t.kind == kind and t.entity:
                tables.setdefault(t.entity, t.name)
    return tables


def _volumes(design: Design) -> list[str]:
    out = ['<a id="volumes"></a>', "", "## Volumes", ""]
    if not design.volumes:
        return out + ["The spec declares no volumes.", ""]
    tables = _entity_tables(design)
    out += table(["Entity", "Table", "Rows now", "Growth / month", "Retention"], [
        [text(v.entity), code(tables[v.entity]) if v.entity in tables else "—", number(v.rows),
         number(v.growth_per_month), f"{v.retention_months} months" if v.retention_months else "kept"]
        for v in design.volumes], align="llrrl")
    return out + [""] + _partitioning(design)


def _partitioning(design: Design) -> list[str]:
    """The partition schemes chosen for the volumes above (their reasons are under decisions)."""
    chosen = [t for t in design.tables if t.partitioning]
    if not chosen:
        return []
    out = ["### Partitioning", ""]
    out += table(["Table", "Scheme", "Initial partitions", "Maintenance"], [
        [code(t.name), f"{t.partitioning.method.upper()} ({', '.join(code(c) for c in t.partitioning.columns)})"
         + (f", {t.partitioning.interval}" if t.partitioning.interval else ""),
         number(len(t.partitioning.partitions) - bool(t.partitioning.default_partition))
         + (f" + DEFAULT {code(t.partitioning.default_partition)}" if t.partitioning.default_partition else ""),
         text(t.partitioning.maintenance)] for t in chosen], align="llrl")
    return out + [""]


def _needs(design: Design) -> list[str]:
    tx, ops = design.transactions, design.operations
    out = ['<a id="transactions"></a>', "", "## Transactional needs", ""]
    isolation = tx.isolation if tx.declared("isolation") else f"{tx.isolation} (default)"
    out += [f"- **Isolation level:** {text(isolation)}"]
    out += ["- **Must be atomic:**" + ("" if tx.atomic else " none declared")]
    out += [f"  - {text(a)}" for a in tx.atomic] + [""]

    out += ['<a id="security"></a>', "", "## Security", ""]
    out += security_summary(design)

    out += ['<a id="availability"></a>', "", "## Availability needs", ""]
    out += [f"- **Replicas:** {ops.replicas}"]
    out += [f"- **RPO (data loss allowed):** {_seconds(ops.rpo_seconds)}",
            f"- **RTO (time to recover):** {_seconds(ops.rto_seconds)}"]
    return out + [""]


def _fenced(body: str, lang: str) -> list[str]:
    longest = max((len(run) for run in re.findall(r"`{3,}", body)), default=2)
    fence = "`" * (longest + 1)
    return [f"{fence}{lang}", body.strip("\n"), fence]


def _per_second(value: float) -> str:
    """Rare patterns read better per minute, hour or day than as 0.0003/s."""
    for scale, unit in ((1, "s"), (60, "min"), (3600, "h")):
        if value * scale >= 1:
            return f"{number(round(value * scale, 2))}/{unit}"
    return f"{number(round(value * 86400, 2))}/day" if value else "0/s"


def _ms(value: float | None) -> str:
    return "none set" if value is None else f"{number(value)} ms"


def _seconds(value: int | None) -> str:
    return "not set" if value is None else f"{number(value)} s"
