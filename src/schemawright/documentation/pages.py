"""The pages of the documentation site: an index, one page per table, one per domain.

Plain Markdown that reads well on a code host, in the manner of tbls: every page links to
its neighbours with relative links, every diagram is Mermaid inside the page (GitHub and
GitLab draw it) with an SVG beside it when Graphviz is installed.  Table sections reuse the
data dictionary's (`dictionary.table_body`), with links pointing at pages instead of
anchors; diagrams reuse `to_mermaid` / `to_dot` on a subset of the tables.

File names are ASCII, unique even on case-insensitive file systems, and stable: a name
that is not already plain ASCII gets a short hash of the real name (`größe` ->
`grosse-1a2b3c4d.md`), so renaming one table never renames another's page.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from schemawright.documentation.audit_trail import is_trail
from schemawright.documentation.dictionary import _Context, table_body, volume_of
from schemawright.documentation.domains import Domain
from schemawright.documentation.dot import to_dot
from schemawright.documentation.links import Link, links_by_table
from schemawright.documentation.markdown import anchors, code, number, slug, table, text
from schemawright.documentation.mermaid import to_mermaid
from schemawright.documentation.rules import MACHINERY_ANCHOR, PENDING
from schemawright.model import Design, Table

NEIGHBOURS_MAX = 24  # a neighbourhood diagram draws at most this many neighbours
MERMAID_MAX_CHARS = 45_000  # GitHub's Mermaid refuses larger diagrams (maxTextSize 50,000)
DOMAIN_MAP_MAX = 40  # the index draws a map of the domains up to this many
SEVERITY_ORDER = {"error": 0, "warning": 1, "warn": 1, "info": 2, "notice": 2, "hint": 3}
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
# A code host shows a folder's README (or index) as the folder's front page: never a table's.
_RESERVED = _WINDOWS_RESERVED | {"readme", "index"}


# ------------------------------------------------------------------ file names


def file_stems(names: Iterable[str], reserved: Iterable[str] = ()) -> dict[str, str]:
    """A safe, unique file stem per name (ASCII letters, digits, `_`, `-`, `.`)."""
    names = list(dict.fromkeys(names))
    base = {n: _ascii_stem(n) for n in names}
    clash = Counter(b.lower() for b in base.values())
    taken = {r.lower() for r in reserved}
    out: dict[str, str] = {}
    used: set[str] = set()
    for n in names:
        b = base[n]
        plain = b == n and b and clash[b.lower()] == 1 and b.lower() not in _RESERVED | taken
        stem = b if plain else f"{b or 'table'}-{hashlib.sha1(n.encode('utf-8')).hexdigest()[:8]}"
        candidate, k = stem, 2
        while candidate.lower() in used:
            candidate, k = f"{stem}-{k}", k + 1
        used.add(candidate.lower())
        out[n] = candidate
    return out


def _slugs(names: list[str]) -> dict[str, str]:
    """Readable stems for names schemawright made up (domains): a slug, numbered on clashes."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for name in names:
        base = slug(name)[:80].strip("-") or "domain"
        base = f"{base}-domain" if base in _RESERVED else base
        candidate, k = base, 2
        while candidate in used:
            candidate, k = f"{base}-{k}", k + 1
        used.add(candidate)
        out[name] = candidate
    return out


def _ascii_stem(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", folded).strip("-.")
    stem = re.sub(r"\.{2,}", ".", stem)
    return stem[:80].rstrip("-.")


# ------------------------------------------------------------------ lint findings


@dataclass(frozen=True)
class Finding:
    """A lint finding as the pages show it (read from the linter's objects or dicts)."""

    code: str
    severity: str
    table: str | None
    column: str | None
    message: str
    fix: str

    @classmethod
    def of(cls, item: object) -> Finding:
        def get(key: str) -> object:
            value = item.get(key) if isinstance(item, dict) else getattr(item, key, None)
            return getattr(value, "value", value)  # an Enum severity

        return cls(code=str(get("code") or ""), severity=str(get("severity") or "info").lower(),
                   table=None if get("table") is None else str(get("table")),
                   column=None if get("column") is None else str(get("column")),
                   message=str(get("message") or ""), fix=str(get("fix") or ""))

    @property
    def rank(self) -> tuple:
        return (SEVERITY_ORDER.get(self.severity, 9), self.severity, self.code, self.column or "", self.message)


def normalise_findings(findings: Iterable[object] | None) -> list[Finding]:
    return sorted((Finding.of(f) for f in findings or ()), key=lambda f: ((f.table or ""),) + f.rank)


def _severity_counts(findings: list[Finding]) -> str:
    counts = Counter(f.severity for f in findings)
    order = sorted(counts, key=lambda s: (SEVERITY_ORDER.get(s, 9), s))
    return ", ".join(f"{number(counts[s])} {s}{'s' if counts[s] != 1 and s in ('error', 'warning') else ''}"
                     for s in order)


def _findings_table(findings: list[Finding], with_table: bool = False, ref=None) -> list[str]:
    header = (["Table"] if with_table else []) + ["Severity", "Rule", "Column", "Finding", "Fix"]
    rows = []
    for f in findings:
        first = [ref(f.table) if f.table else "—"] if with_table else []
        rows.append(first + [_severity(f.severity), code(f.code), code(f.column) if f.column else "—",
                             text(f.message), text(f.fix) or "—"])
    return table(header, rows)


def _severity(value: str) -> str:
    return {"error": "**error**"}.get(value, text(value))


# ------------------------------------------------------------------ the site as a whole


class Site:
    """Everything the pages share: names, paths, domains, lookups; built once."""

    def __init__(self, design: Design, domains: tuple[Domain, ...], findings: Iterable[object] | None = None) -> None:
        self.design = design
        self.domains = domains
        self.tables = {t.name: t for t in design.tables}
        self.table_stem = file_stems([t.name for t in design.tables])
        self.domain_stem = _slugs([d.name for d in domains])
        self.domain_of = {t: d for d in domains for t in d.tables}
        self.out_links, self.in_links = links_by_table(design)
        self.findings = normalise_findings(findings)
        self.findings_of: dict[str, list[Finding]] = defaultdict(list)
        for f in self.findings:
            self.findings_of[f.table or ""].append(f)
        self.enum_anchor = anchors([e.name for e in design.enums], "enum")
        # Pages under tables/ link to each other by file name, to the index one level up.
        self.ctx = _Context.of(design, table_href={n: f"{s}.md" for n, s in self.table_stem.items()},
                               enum_href={n: f"../README.md#{a}" for n, a in self.enum_anchor.items()},
                               machinery_href=f"../data-dictionary.md#{MACHINERY_ANCHOR}")
        # The rules' queue table and the audit trail (and their indexes) are machinery the data
        # dictionary tells about, not kept objects.
        self.objects = tuple(o for o in design.objects if not (o.kind == "table" and o.name == PENDING)
                             and o.table != PENDING and not is_trail(o))

    # paths, relative to the site root
    def table_page(self, name: str) -> str:
        return f"tables/{self.table_stem[name]}.md"

    def domain_page(self, domain: Domain) -> str:
        return f"domains/{self.domain_stem[domain.name]}.md"

    def table_svg(self, name: str) -> str:
        return f"diagrams/tables/{self.table_stem[name]}.svg"

    def domain_svg(self, domain: Domain) -> str:
        return f"diagrams/domains/{self.domain_stem[domain.name]}.svg"

    def ref(self, name: str, up: str = "") -> str:
        """A link to a table's page from a page `up` levels below the root ("" or "../")."""
        return f"[{code(name)}]({up}{self.table_page(name)})" if name in self.tables else code(name)

    def domain_ref(self, domain: Domain, up: str = "") -> str:
        return f"[{text(domain.name)}]({up}{self.domain_page(domain)})"

    def rows(self, t: Table) -> str:
        vol = volume_of(t, self.ctx)
        return number(vol.rows) if vol else "—"

    # ---------------------------------------------------------------- neighbourhoods

    def neighbours(self, name: str) -> tuple[list[str], list[str]]:
        """(tables it references, tables referencing it), each once, in design order."""
        parents = list(dict.fromkeys(lk.parent for lk in self.out_links.get(name, ()) if lk.parent != name))
        children = list(dict.fromkeys(lk.child.name for lk in self.in_links.get(name, ()) if lk.child.name != name))
        return parents, [c for c in children if c not in parents]

    def neighbourhood(self, name: str) -> tuple[list[str], int]:
        """The neighbours a table's diagram draws (parents first), and how many it leaves out."""
        parents, children = self.neighbours(name)
        drawn = (parents + children)[:NEIGHBOURS_MAX]
        return drawn, len(parents) + len(children) - len(drawn)

    def neighbourhood_mermaid(self, name: str) -> str:
        drawn, _ = self.neighbourhood(name)
        return to_mermaid(self.design, [name, *drawn], focus=name, brief=drawn)

    def neighbourhood_dot(self, name: str) -> str:
        drawn, _ = self.neighbourhood(name)
        hrefs = {n: f"../../{self.table_page(n)}" for n in [name, *drawn] if n in self.tables}
        return to_dot(self.design, [name, *drawn], focus=name, brief=drawn,
                      title=f"Neighbourhood of {name}", hrefs=hrefs)

    def domain_diagram_tables(self, domain: Domain) -> list[str]:
        """Tables drawn with key columns only: in a domain of many wide tables, all of them."""
        columns = sum(len(self.tables[t].columns) for t in domain.tables if t in self.tables)
        return list(domain.tables) if len(domain.tables) > 12 or columns > 160 else []

    def stubs(self, domain: Domain) -> list[str]:
        """Tables of other domains a domain's diagram draws as empty boxes: those its tables
        reference, except shared hubs (every domain references users; those arrows would
        be most of the diagram and say little)."""
        inside = set(domain.tables)
        outside = [lk.parent for t in domain.tables for lk in self.out_links.get(t, ()) if lk.parent not in inside]
        return [n for n in dict.fromkeys(outside)
                if n not in self.domain_of or self.domain_of[n].basis != "shared"]

    def hub_references(self, domain: Domain) -> list[str]:
        inside = set(domain.tables)
        outside = [lk.parent for t in domain.tables for lk in self.out_links.get(t, ()) if lk.parent not in inside]
        return [n for n in dict.fromkeys(outside) if n in self.domain_of and self.domain_of[n].basis == "shared"]

    def domain_mermaid(self, domain: Domain) -> str:
        return to_mermaid(self.design, domain.tables, stubs=self.stubs(domain),
                          brief=self.domain_diagram_tables(domain))

    def domain_dot(self, domain: Domain) -> str:
        outside = self.stubs(domain)
        captions = {n: f"in {self.domain_of[n].name}" for n in outside if n in self.domain_of}
        hrefs = {n: f"../../{self.table_page(n)}" for n in [*domain.tables, *outside] if n in self.tables}
        return to_dot(self.design, domain.tables, stubs=outside, brief=self.domain_diagram_tables(domain),
                      title=f"{self.design.project}: {domain.name}", captions=captions, hrefs=hrefs)


# ------------------------------------------------------------------ the index


def index_page(site: Site, files: dict[str, bool]) -> str:
    """README.md.  `files` says which optional documents exist (erd.svg, report.md ...)."""
    d = site.design
    out = [f"# {text(d.project)}", ""]
    if d.description:
        out += [text(d.description), ""]
    source = _source(d)
    if source:
        out += [source, ""]
    columns = sum(len(t.columns) for t in d.tables)
    fks = sum(len(t.foreign_keys) for t in d.tables)
    facts = [f"**{number(len(d.tables))}** tables", f"{number(columns)} columns", f"{number(fks)} foreign keys",
             f"{number(len(d.indexes))} indexes"]
    facts += [f"{number(len(d.views))} views"] if d.views else []
    facts += [f"{number(len(d.enums))} enum types"] if d.enums else []
    facts += [f"{len(site.domains)} domain{'s' if len(site.domains) != 1 else ''}"]
    if files.get("lint"):
        facts += [f"{number(len(site.findings))} lint findings"
                  + (f" ({_severity_counts(site.findings)})" if site.findings else "")]
    out += [" · ".join(facts) + f" · target {text(d.dialect)}", ""]

    out += ["## Contents", ""]
    out += ["- [Diagram](#diagram)", "- [Domains](#domains)"]
    out += ["- [Lint findings](#lint-findings)"] if files.get("lint") else []
    out += ["- [Tables](#tables)"]
    extra = [("views", "Views", d.views), ("enum-types", "Enum types", d.enums),
             ("other-objects", "Other objects", site.objects),
             ("import-notes", "Statements not imported", d.import_notes)]
    out += [f"- [{title}](#{anchor})" for anchor, title, items in extra if items]
    docs = ["[data dictionary](data-dictionary.md) (every table in one page)"]
    if files.get("report.md"):
        docs.append("[design report](report.md) (every automatic decision and access pattern)")
    if files.get("security.md"):
        docs.append("[security](security.md) (roles, privileges, row-level security, PII, audit)")
    out += ["- Also: " + ", ".join(docs), ""]

    out += ['<a id="diagram"></a>', "", "## Diagram", ""]
    if len(site.domains) == 1:
        mermaid = to_mermaid(d)
        if len(mermaid) <= MERMAID_MAX_CHARS:
            out += ["```mermaid", mermaid.rstrip("\n"), "```", ""]
    elif len(site.domains) <= DOMAIN_MAP_MAX:
        out += ["How the domains reference each other (an arrow points from the domain holding the "
                "foreign keys to the domain they reference; its label counts them). "
                "Each domain has its own page and diagram.", ""]
        out += ["```mermaid", domain_map(site).rstrip("\n"), "```", ""]
    whole = ["[erd.mmd](erd.mmd) (Mermaid)", "[erd.dot](erd.dot) (Graphviz)"]
    if files.get("erd.svg"):
        whole.append("[erd.svg](erd.svg)")
    out += ["The whole schema in one diagram: " + ", ".join(whole) + ".", ""]
    if files.get("erd.svg") and len(site.domains) == 1:
        out += [f"![Entity-relationship diagram of {_alt(d.project)}](erd.svg)", ""]

    out += ['<a id="domains"></a>', "", "## Domains", ""]
    out += [_domains_intro(site), ""]
    out += table(["Domain", "Tables", "Grouped by", "Main tables"], [
        [site.domain_ref(dom), str(len(dom.tables)), dom.basis,
         ", ".join(site.ref(t) for t in _main_tables(site, dom))] for dom in site.domains], align="lrll")
    out.append("")

    if files.get("lint"):
        out += _lint_summary(site)

    out += ['<a id="tables"></a>', "", "## Tables", ""]
    lint = bool(files.get("lint"))
    several = len(site.domains) > 1
    header = ["Table"] + (["Domain"] if several else []) + ["Rows", "Columns", "FKs out", "Referenced by"]
    rows = []
    for t in d.tables:
        row = [site.ref(t.name)] + ([site.domain_ref(site.domain_of[t.name])] if several else [])
        row += [site.rows(t), str(len(t.columns)), str(len(t.foreign_keys)), str(len(site.in_links.get(t.name, ())))]
        if lint:
            row.append(_finding_cell(site.findings_of.get(t.name, [])))
        rows.append(row + [text(_first_line(t.description))])
    header += (["Findings"] if lint else []) + ["Description"]
    out += table(header, rows, align="l" + ("l" if several else "") + "rrrr" + ("r" if lint else "") + "l")
    out.append("")

    if d.views:
        out += ['<a id="views"></a>', "", "## Views", ""]
        out += table(["View", "Kind", "Description"], [
            [code(v.name), "materialized" if v.materialized else "view", text(_first_line(v.description))]
            for v in d.views])
        out.append("")
    if d.enums:
        out += ['<a id="enum-types"></a>', "", "## Enum types", ""]
        for e in d.enums:
            out += [f'<a id="{site.enum_anchor[e.name]}"></a>', "",
                    f"- {code(e.name)}: " + ", ".join(code(v) for v in e.values), ""]
    if site.objects:
        out += ['<a id="other-objects"></a>', "", "## Other objects", "",
                "Kept from the schema as they are (listed, not analysed).", ""]
        out += table(["Kind", "Name", "Table"], [
            [text(o.kind), code(o.name), site.ref(o.table) if o.table else "—"]
            for o in sorted(site.objects, key=lambda o: (o.kind, o.name, o.table or ""))])
        out.append("")
    if d.import_notes:
        out += ['<a id="import-notes"></a>', "", "## Statements not imported", "",
                "The importer could not understand these statements; they were reported and skipped.", ""]
        out += table(["Line", "Statement", "Why"], [
            [f"{n.line}:{n.column}", code(_shorten(n.statement, 100)), text(n.reason)] for n in d.import_notes],
            align="rll")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _source(d: Design) -> str:
    where, kind = d.source.path or d.source.url, d.source.kind
    if not where and not kind:
        return ""
    parts = [f"Documented from {text(kind) if kind else 'a schema'}"]
    if where:
        parts.append(code(where))
    return " ".join(parts) + "."


def _domains_intro(site: Site) -> str:
    n = len(site.domains)
    if n == 1:
        return site.domains[0].detail
    bases = Counter(dom.basis for dom in site.domains)
    how = {"schema": "PostgreSQL schemas", "prefix": "table-name prefixes",
           "foreign keys": "clusters of tables linked by foreign keys", "unrelated": "tables with no foreign key"}
    said = ", ".join(how.get(b, b) for b in sorted(bases, key=lambda b: -bases[b]))
    return (f"The {number(len(site.design.tables))} tables are split into {n} domains ({said}), "
            f"so that each diagram stays readable: at most {max(len(x.tables) for x in site.domains)} tables each.")


def _main_tables(site: Site, dom: Domain, count: int = 3) -> list[str]:
    inside = set(dom.tables)
    score = {t: sum(1 for lk in site.in_links.get(t, ()) if lk.child.name in inside) for t in dom.tables}
    pos = {t: i for i, t in enumerate(dom.tables)}
    return sorted(dom.tables, key=lambda t: (-score[t], pos[t]))[:count]


def domain_map(site: Site) -> str:
    """A Mermaid flowchart of the domains: one node each, one arrow per pair that is linked."""
    ids = {dom.name: f"d{i}" for i, dom in enumerate(site.domains, 1)}
    weight: Counter[tuple[str, str]] = Counter()
    for t in site.design.tables:
        for lk in site.out_links.get(t.name, ()):
            a, b = site.domain_of.get(t.name), site.domain_of.get(lk.parent)
            if a is not None and b is not None and a.name != b.name:
                weight[(a.name, b.name)] += 1
    lines = ["flowchart LR"]
    for dom in site.domains:
        label = _flow_label(f"{dom.name} ({len(dom.tables)} tables)")
        lines.append(f'    {ids[dom.name]}["{label}"]')
    for (a, b), w in sorted(weight.items(), key=lambda kv: (ids[kv[0][0]], ids[kv[0][1]])):
        lines.append(f'    {ids[a]} -->|"{w} FK{"s" if w != 1 else ""}"| {ids[b]}')
    return "\n".join(lines) + "\n"


def _flow_label(value: str) -> str:
    """A quoted Mermaid flowchart label: no double quotes, no markup."""
    value = " ".join(value.split())
    return (value.replace('"', "'").replace("<", "‹").replace(">", "›").replace("`", "'")
            .replace("#", "＃").replace("%", "％"))


def _lint_summary(site: Site) -> list[str]:
    out = ['<a id="lint-findings"></a>', "", "## Lint findings", ""]
    if not site.findings:
        return out + ["The linter found nothing to report.", ""]
    out += [f"{number(len(site.findings))} findings: {_severity_counts(site.findings)}. "
            "Each table's findings are on its page.", ""]
    by_rule: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in site.findings:
        by_rule[(f.code, f.severity)].append(f)
    rows = []
    for (rule, severity), items in sorted(by_rule.items(), key=lambda kv: (SEVERITY_ORDER.get(kv[0][1], 9),
                                                                          -len(kv[1]), kv[0][0])):
        tables = list(dict.fromkeys(f.table for f in items if f.table))
        shown = ", ".join(site.ref(t) for t in tables[:5]) + (f" and {len(tables) - 5} more" if len(tables) > 5 else "")
        rows.append([code(rule), _severity(severity), str(len(items)), shown or "—", text(items[0].message)])
    out += table(["Rule", "Severity", "Findings", "Tables", "Example"], rows, align="llrll")
    out.append("")
    general = site.findings_of.get("", [])
    if general:
        out += ["Findings about the schema as a whole:", ""]
        out += _findings_table(general)
        out.append("")
    unknown = sorted(t for t in site.findings_of if t and t not in site.tables)
    if unknown:
        out += ["Findings about objects that are not tables:", ""]
        out += _findings_table([f for t in unknown for f in site.findings_of[t]], with_table=True, ref=code)
        out.append("")
    return out


def _finding_cell(findings: list[Finding]) -> str:
    if not findings:
        return "—"
    worst = min(findings, key=lambda f: SEVERITY_ORDER.get(f.severity, 9)).severity
    return f"{len(findings)} ({'**error**' if worst == 'error' else text(worst)})"


# ------------------------------------------------------------------ one page per table


def table_page(site: Site, t: Table, svg: bool) -> str:
    dom = site.domain_of[t.name]
    out = [f"# {code(t.name)}", "",
           f"[{text(site.design.project)}](../README.md) › domain {site.domain_ref(dom, '../')} › {code(t.name)}", ""]
    parents, children = site.neighbours(t.name)
    summary = [f"{len(t.columns)} column{'s' if len(t.columns) != 1 else ''}",
               f"references {_count(len(parents), 'table')}", f"referenced by {_count(len(children), 'table')}"]
    if site.rows(t) != "—":
        summary.insert(0, f"{site.rows(t)} rows expected")
    findings = site.findings_of.get(t.name, [])
    lint = [f"## Lint findings ({len(findings)})", "", *_findings_table(findings), ""] if findings else []
    body = table_body(t, site.ctx, heading="## {}", referenced_by=True)
    # The description and facts come first, then the findings beside them, then the rest.
    split = body.index("## Columns") if "## Columns" in body else 0
    out += body[:split] + [" · ".join(summary) + ".", ""] + lint + body[split:]
    out += ["## Neighbourhood", ""]
    drawn, left_out = site.neighbourhood(t.name)
    if not drawn:
        out += ["No foreign key links this table to another one.", ""]
    else:
        out += ["This table (highlighted in the SVG) and every table it references or that references it, "
                "with the columns that link them."
                + (f" The diagram shows {len(drawn)} of {len(drawn) + left_out} neighbours: all of them are "
                   "listed under *Foreign keys* and *Referenced by* above." if left_out else ""), ""]
        out += ["```mermaid", site.neighbourhood_mermaid(t.name).rstrip("\n"), "```", ""]
        if svg:
            out += [f"![Neighbourhood of {_alt(t.name)}](../{site.table_svg(t.name)})", ""]
    out += [f"In domain {site.domain_ref(dom, '../')} · [all tables](../README.md#tables)", ""]
    return "\n".join(out).rstrip() + "\n"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"


# ------------------------------------------------------------------ one page per domain


def domain_page(site: Site, dom: Domain, svg: bool) -> str:
    inside = set(dom.tables)
    out = [f"# Domain: {text(dom.name)}", "",
           f"[{text(site.design.project)}](../README.md) › [domains](../README.md#domains) › {text(dom.name)}", ""]
    internal = [lk for t in dom.tables for lk in site.out_links.get(t, ()) if lk.parent in inside]
    outgoing = [lk for t in dom.tables for lk in site.out_links.get(t, ()) if lk.parent not in inside]
    incoming = [lk for t in dom.tables for lk in site.in_links.get(t, ()) if lk.child.name not in inside]
    out += [f"{dom.detail} {_count(len(dom.tables), 'table')}, {_count(len(internal), 'foreign key')} between "
            f"them, {len(outgoing)} to tables of other domains, {len(incoming)} from them.", ""]
    out += ["## Diagram", ""]
    brief = site.domain_diagram_tables(dom)
    notes = ["Linking columns only (each table's page lists all its columns)."] if brief else []
    if site.stubs(dom):
        notes.append("Tables of other domains that these reference are drawn as empty boxes.")
    hubs = site.hub_references(dom)
    if hubs:
        notes.append("References to the shared tables " + ", ".join(site.ref(h, "../") for h in hubs)
                     + " are not drawn (they are listed below).")
    out += [" ".join(notes), ""] if notes else []
    mermaid = site.domain_mermaid(dom)
    if len(mermaid) <= MERMAID_MAX_CHARS:
        out += ["```mermaid", mermaid.rstrip("\n"), "```", ""]
    if svg:
        out += [f"![Diagram of the domain {_alt(dom.name)}](../{site.domain_svg(dom)})", ""]
    out += ["## Tables", ""]
    findings = bool(site.findings)
    rows = []
    for name in dom.tables:
        t = site.tables[name]
        row = [site.ref(name, "../"), site.rows(t), str(len(t.columns))]
        row += [_finding_cell(site.findings_of.get(name, []))] if findings else []
        rows.append(row + [text(_first_line(t.description))])
    out += table(["Table", "Rows", "Columns"] + (["Findings"] if findings else []) + ["Description"], rows,
                 align="lrr" + ("r" if findings else "") + "l")
    out.append("")
    if outgoing:
        out += ["## References to other domains", ""]
        out += table(["From", "Columns", "To", "In domain"], [_cross(site, lk, lk.parent) for lk in outgoing])
        out.append("")
    if incoming:
        out += ["## Referenced from other domains", ""]
        grouped: dict[str, list[Link]] = defaultdict(list)
        for lk in incoming:
            grouped[site.domain_of[lk.child.name].name].append(lk)
        rows = []
        for name in sorted(grouped, key=str.lower):
            items = grouped[name]
            tables = list(dict.fromkeys(lk.child.name for lk in items))
            targets = list(dict.fromkeys(lk.parent for lk in items))
            shown = ", ".join(site.ref(t, "../") for t in tables[:6]) + (
                f" and {len(tables) - 6} more" if len(tables) > 6 else "")
            rows.append([site.domain_ref(site.domain_of[items[0].child.name], "../"), str(len(items)), shown,
                         ", ".join(site.ref(t, "../") for t in targets)])
        out += table(["Domain", "Foreign keys", "From tables", "To tables here"], rows, align="lrll")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _cross(site: Site, lk: Link, other: str) -> list[str]:
    dom = site.domain_of.get(other)
    return [site.ref(lk.child.name, "../"), ", ".join(code(c) for c in lk.fk.columns), site.ref(other, "../"),
            site.domain_ref(dom, "../") if dom else "— (not in this schema)"]


# ------------------------------------------------------------------ helpers


def _first_line(value: str | None) -> str:
    value = (value or "").strip()
    return value.splitlines()[0] if value else ""


def _shorten(value: str, limit: int) -> str:
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _alt(value: str) -> str:
    """Image alt text: no brackets or markup that would end it early."""
    return re.sub(r"[\[\]<>`*_\\|]", " ", " ".join(value.split())).strip() or "table"
