"""`schemawright docs`: domains, one page per table and per domain, diagrams, lint findings."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from schemawright import model as m
from schemawright.documentation import to_dot, to_mermaid
from schemawright.documentation.domains import MAX_TABLES, find_domains, louvain
from schemawright.documentation.pages import Site, file_stems
from schemawright.documentation.site import docs_site, write_docs_site

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed")

# The subset of Mermaid's erDiagram grammar the diagrams stay within (as in test_documentation).
_MMD_WORD = r"[A-Za-z_][A-Za-z0-9_\-()\[\]]*"
_MMD_ATTRIBUTE = re.compile(rf'^ {{8}}{_MMD_WORD} {_MMD_WORD}( (PK|FK|UK)(,(PK|FK|UK))*)?( "[^"]*")?$')
_MMD_ENTITY = re.compile(r'^ {4}([A-Za-z][A-Za-z0-9_]*)(\["([^"%\\\r\n]+)"\])? \{$')
_MMD_RELATION = re.compile(r'^ {4}([A-Za-z][A-Za-z0-9_]*) (\|\||\|o)(--|\.\.)(o\{|\|\{|o\||\|\|) '
                           r'([A-Za-z][A-Za-z0-9_]*) : "[^"]*"$')


# ------------------------------------------------------------------ builders


def _col(name: str, sql_type: str = "bigint", nullable: bool = False) -> m.Column:
    return m.Column(name=name, semantic="", sql_type=sql_type, nullable=nullable)


def _table(name: str, parents: list[str] = (), extra: int = 2, description: str | None = None) -> m.Table:
    fk_cols = [f"{re.sub(r'[^a-z0-9]+', '_', p.lower()) or 'p'}_{i}_id" for i, p in enumerate(parents)]
    columns = [_col("id")] + [_col(c) for c in fk_cols] + [_col(f"attr_{i}", "text", True) for i in range(extra)]
    return m.Table(
        name=name, description=description, columns=tuple(columns),
        primary_key=m.PrimaryKey(name=f"pk_{len(name)}_{abs(hash(name)) % 10**8}", columns=("id",)),
        foreign_keys=tuple(m.ForeignKey(name=f"fk_{i}", columns=(c,), ref_table=p, ref_columns=("id",))
                           for i, (c, p) in enumerate(zip(fk_cols, parents))),
    )


def clustered_design(clusters: int = 6, size: int = 12, hubs: bool = True) -> m.Design:
    """`clusters` modules of `size` tables (a tree with a few cross links inside each),
    every table also referencing the hubs `users` (and every other one `currencies`)."""
    tables = []
    if hubs:
        tables += [_table("currencies"), _table("users")]
    for c in range(clusters):
        names = [f"m{c}_root"] + [f"m{c}_t{i}" for i in range(1, size)]
        for i, name in enumerate(names):
            parents = []
            if i:
                parents.append(names[(i - 1) // 2])  # a tree inside the module
            if i >= 3 and i % 3 == 0:
                parents.append(names[i - 2])
            if hubs:
                parents.append("users")
                if i % 2:
                    parents.append("currencies")
            tables.append(_table(name, parents))
    return m.Design(project="clusters", tables=tuple(tables))


def plain_named(design: m.Design) -> m.Design:
    """The same graph with names that share no prefix, so foreign keys must decide."""
    words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo",
             "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango", "uniform"]
    rename = {}
    for i, t in enumerate(design.tables):
        if t.name in ("users", "currencies"):
            rename[t.name] = t.name
        else:
            rename[t.name] = f"{words[i % len(words)]}{words[(i * 7) % len(words)]}{i}"
    tables = tuple(t.model_copy(update={
        "name": rename[t.name],
        "foreign_keys": tuple(fk.model_copy(update={"ref_table": rename[fk.ref_table]}) for fk in t.foreign_keys),
    }) for t in design.tables)
    return design.model_copy(update={"tables": tables}), rename


ODD = ["order", "Order", "größe", "名前", "a/b", "../etc", 'x"y', "con", "README", "a b", "back\\slash",
       "`tick`", "a|b", "<i>", "%%", "sales.orders"]


def odd_design() -> m.Design:
    tables = [_table(ODD[0], description="Orders | with <b>markup</b>")]
    for i, name in enumerate(ODD[1:], 1):
        tables.append(_table(name, [ODD[(i - 1) // 2]], description=f"table {i}"))
    indexes = (m.Index(name="ix odd", table="a/b", columns=(m.IndexColumn(expression="id"),), reason="why | not"),)
    return m.Design(project='odd "project"', tables=tuple(tables), indexes=indexes)


FINDINGS = [
    {"code": "SW101", "severity": "error", "table": "m0_root", "column": None, "message": "no comment",
     "fix": "COMMENT ON TABLE"},
    {"code": "SW202", "severity": "warning", "table": "m0_t1", "column": "m0_root_0_id",
     "message": "foreign key without index", "fix": "CREATE INDEX"},
    {"code": "SW202", "severity": "warning", "table": "m1_t1", "column": "m1_root_0_id",
     "message": "foreign key without index | pipes", "fix": "CREATE INDEX"},
    {"code": "SW900", "severity": "info", "table": None, "column": None, "message": "schema-wide note", "fix": ""},
]


# ------------------------------------------------------------------ checks


def _links_resolve(root: Path) -> int:
    """Every relative link and image of every page points at a file that exists, and every
    fragment at an anchor in it.  Returns how many links were checked."""
    checked = 0
    for page in root.rglob("*.md"):
        text = page.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if "://" in target:
                continue
            path, _, fragment = target.partition("#")
            file = (page.parent / path).resolve() if path else page
            assert file.is_file(), f"{page.relative_to(root)}: broken link {target}"
            assert root.resolve() in file.parents or file == root.resolve(), target
            if fragment:
                assert f'<a id="{fragment}"></a>' in file.read_text(encoding="utf-8"), \
                    f"{page.relative_to(root)}: no anchor {target}"
            checked += 1
    return checked


def _tables_well_formed(text: str) -> None:
    rows: list[int] = []
    for line in text.splitlines() + [""]:
        if line.startswith("|"):
            rows.append(len(re.split(r"(?<!\\)\|", line)) - 2)
        elif rows:
            assert len(set(rows)) == 1, rows
            rows = []


def _mermaid_blocks(text: str) -> list[str]:
    return re.findall(r"```mermaid\n(.*?)\n```", text, flags=re.S)


def _mermaid_entities(block: str) -> set[str]:
    """Real table names of the entities an erDiagram declares (alias label or id)."""
    lines = block.splitlines()
    assert lines[0] == "erDiagram"
    names = set()
    for line in lines[1:]:
        entity = _MMD_ENTITY.match(line)
        assert (line == "    }" or _MMD_ATTRIBUTE.match(line) or entity or _MMD_RELATION.match(line)), line
        if entity:
            names.add(entity.group(3) or entity.group(1))
    return names


_MMD_STATE = re.compile(r'^ {4}state "[^"%#;<>`\r\n]+" as s[0-9]+$')
_MMD_TRANSITION = re.compile(r'^ {4}(\[\*\]|[A-Za-z][A-Za-z0-9_]*) --> ([A-Za-z][A-Za-z0-9_]*)$')


def _mermaid_states(block: str) -> set[str]:
    """The states a stateDiagram-v2 block draws, every line in the subset it is written in."""
    lines = block.splitlines()
    assert lines[0] == "stateDiagram-v2"
    states = set()
    for line in lines[1:]:
        arrow = _MMD_TRANSITION.match(line)
        assert _MMD_STATE.match(line) or arrow, line
        if arrow:
            states |= {arrow.group(1), arrow.group(2)} - {"[*]"}
    return states


def _label(name: str) -> str:
    return " ".join(name.split()).replace('"', "'").replace("%", "\uff05").replace("\\", "\uff3c")


# ------------------------------------------------------------------ domains


def test_domains_are_deterministic_across_runs_and_processes():
    design, _ = plain_named(clustered_design(8, 14))
    assert find_domains(design) == find_domains(design)
    script = ("import sys; sys.path.insert(0, sys.argv[1]);"
              "from test_docs_site import clustered_design, plain_named;"
              "from schemawright.documentation.domains import find_domains;"
              "print(repr(find_domains(plain_named(clustered_design(8, 14))[0])))")
    outs = {subprocess.run([sys.executable, "-c", script, str(Path(__file__).parent)], capture_output=True,
                           text=True, check=True, env={**os.environ, "PYTHONHASHSEED": seed}).stdout
            for seed in ("1", "2", "3")}
    assert len(outs) == 1


@pytest.mark.parametrize("cap", [3, 5, 10, MAX_TABLES])
def test_domains_are_capped_and_cover_every_table_once(cap):
    design, _ = plain_named(clustered_design(7, 13))
    domains = find_domains(design, max_tables=cap)
    assert all(1 <= len(d.tables) <= cap for d in domains)
    listed = [t for d in domains for t in d.tables]
    assert sorted(listed) == sorted(t.name for t in design.tables)
    assert len({d.name.lower() for d in domains}) == len(domains)


def test_hubs_do_not_glue_the_modules_together():
    design, rename = plain_named(clustered_design(6, 12))
    domains = find_domains(design)
    home = {t: d.name for d in domains for t in d.tables}
    # users and currencies reach every table, yet every module stays one domain of its own ...
    for c in range(6):
        members = {rename[f"m{c}_root"]} | {rename[f"m{c}_t{i}"] for i in range(1, 12)}
        assert len({home[t] for t in members}) == 1, c
    module_domains = {home[rename[f"m{c}_root"]] for c in range(6)}
    assert len(module_domains) == 6
    # ... and the hubs sit apart, in the shared tables
    shared = [d for d in domains if d.basis == "shared"]
    assert len(shared) == 1 and set(shared[0].tables) == {"users", "currencies"}


def test_module_prefixes_decide_when_nearly_every_table_has_one():
    design = clustered_design(5, 9)  # m0_..., m1_... prefixes agree with the foreign keys
    domains = find_domains(design)
    bases = {d.basis for d in domains}
    assert bases == {"prefix", "shared"}
    assert {d.name for d in domains if d.basis == "prefix"} == {f"m{c}" for c in range(5)}


def test_prefixes_that_cut_across_the_foreign_keys_are_ignored():
    design = clustered_design(5, 9, hubs=False)
    # Shuffle the prefixes: tables of one module get the prefix of another.
    rename = {t.name: f"p{i % 5}_{t.name}" for i, t in enumerate(design.tables)}
    tables = tuple(t.model_copy(update={"name": rename[t.name], "foreign_keys": tuple(
        fk.model_copy(update={"ref_table": rename[fk.ref_table]}) for fk in t.foreign_keys)}) for t in design.tables)
    domains = find_domains(design.model_copy(update={"tables": tables}))
    assert {d.basis for d in domains} == {"foreign keys"}


def test_postgresql_schemas_make_the_domains():
    tables = [_table("sales.orders"), _table("sales.lines", ["sales.orders"]), _table("hr.staff"),
              _table("hr.teams", ["hr.staff"]), _table("audit_log", ["hr.staff"])]
    domains = find_domains(m.Design(project="p", tables=tuple(tables)))
    assert [(d.name, d.tables, d.basis) for d in domains] == [
        ("hr", ("hr.staff", "hr.teams"), "schema"),
        ("public", ("audit_log",), "schema"),
        ("sales", ("sales.orders", "sales.lines"), "schema")]


def test_small_schema_is_one_domain_and_unlinked_tables_are_grouped():
    small = clustered_design(1, 10, hubs=False)
    assert [d.basis for d in find_domains(small)] == ["whole schema"]
    lonely = [_table(f"lonely{i}") for i in range(30)]
    design, _ = plain_named(clustered_design(3, 10, hubs=False))
    domains = find_domains(design.model_copy(update={"tables": design.tables + tuple(lonely)}))
    other = [d for d in domains if d.basis == "unrelated"]
    assert sorted(t for d in other for t in d.tables) == sorted(t.name for t in lonely)
    assert domains[-1].basis == "unrelated"  # listed last


def test_louvain_finds_two_cliques_joined_by_one_edge():
    a = [f"a{i}" for i in range(5)]
    b = [f"b{i}" for i in range(5)]
    graph = {n: {} for n in a + b}
    for group in (a, b):
        for x in group:
            for y in group:
                if x != y:
                    graph[x][y] = 1.0
    graph["a0"]["b0"] = graph["b0"]["a0"] = 1.0
    assert louvain(a + b, graph) == [a, b]


# ------------------------------------------------------------------ diagrams of a subset


def test_diagram_subsets_draw_only_their_tables_and_links():
    design = clustered_design(2, 6)
    subset = ["m0_root", "m0_t1", "m0_t2"]
    mermaid = to_mermaid(design, subset)
    assert _mermaid_entities(mermaid) == set(subset)
    assert not re.search(r"\busers \{|\busers \|", mermaid) and "m1_root" not in mermaid
    assert mermaid.count(" : ") == 2  # t1 -> root, t2 -> root
    stubbed = to_mermaid(design, subset, stubs=True)
    assert _mermaid_entities(stubbed) == set(subset) | {"users", "currencies"}
    only_users = to_mermaid(design, subset, stubs=["users"])
    assert _mermaid_entities(only_users) == set(subset) | {"users"}
    dot = to_dot(design, subset, stubs=True, title="part")
    assert dot.count('shape=box, style=dashed') == 2 and "<B>part</B>" in dot
    edges = re.findall(r'^  "[^"]+"\S* -> "', dot, flags=re.M)
    assert len(edges) == 2 + 3 + 1  # inside links, three to users, one to currencies
    # the whole schema is drawn exactly as before
    assert to_mermaid(design, None) == to_mermaid(design) and to_dot(design, None) == to_dot(design)


def test_brief_tables_show_their_linking_columns_only():
    design = clustered_design(1, 4)
    dot = to_dot(design, ["m0_root", "m0_t1"], focus="m0_t1", brief=["m0_root"])
    root_label = dot.split('"m0_root" [label=<', 1)[1].split("</TABLE>", 1)[0]
    assert ">id<" in root_label and "attr_0" not in root_label and "+ 3 more columns" in root_label
    t1_label = dot.split('"m0_t1" [label=<', 1)[1].split("</TABLE>", 1)[0]
    assert "attr_0" in t1_label and 'BORDER="2"' in t1_label  # the focus: all columns, highlighted


# ------------------------------------------------------------------ the site


@pytest.fixture(scope="module")
def big_site(tmp_path_factory):
    design, _ = plain_named(clustered_design(6, 14))
    out = tmp_path_factory.mktemp("site")
    findings = [dict(f, table={"m0_root": design.tables[2].name, "m0_t1": design.tables[3].name,
                               "m1_t1": design.tables[17].name}.get(f["table"], f["table"])) for f in FINDINGS]
    written = write_docs_site(design, out, findings, svg=False)
    return design, out, written, findings


def test_every_table_has_a_page_and_every_link_resolves(big_site):
    design, out, written, _ = big_site
    site = Site(design, find_domains(design))
    for t in design.tables:
        page = out / site.table_page(t.name)
        assert page.is_file() and page in written
        assert page.read_text(encoding="utf-8").startswith(f"# `{t.name}`\n")
    for d in site.domains:
        assert (out / site.domain_page(d)).is_file()
    assert {"README.md", "erd.mmd", "erd.dot", "data-dictionary.md"} <= {p.name for p in written}
    assert _links_resolve(out) > 3 * len(design.tables)
    for page in out.rglob("*.md"):
        _tables_well_formed(page.read_text(encoding="utf-8"))


def test_index_lists_domains_tables_and_a_domain_map(big_site):
    design, out, _, _ = big_site
    index = (out / "README.md").read_text(encoding="utf-8")
    for t in design.tables:
        assert f"[`{t.name}`](tables/" in index
    map_block = _mermaid_blocks(index)[0].splitlines()
    assert map_block[0] == "flowchart LR"
    domains = find_domains(design)
    assert sum(1 for line in map_block if re.match(r'^    d\d+\["', line)) == len(domains)
    assert all(re.match(r'^    d\d+( -->\|"\d+ FKs?"\| d\d+|\["[^"]+"\])$', line) for line in map_block[1:])


def test_neighbourhood_diagrams_contain_exactly_the_neighbours(big_site):
    design, out, _, _ = big_site
    site = Site(design, find_domains(design))
    parents: dict[str, set[str]] = {t.name: {fk.ref_table for fk in t.foreign_keys} - {t.name} for t in design.tables}
    children: dict[str, set[str]] = {t.name: set() for t in design.tables}
    for child, ps in parents.items():
        for p in ps:
            children[p].add(child)
    capped = 0
    for t in design.tables:
        page = (out / site.table_page(t.name)).read_text(encoding="utf-8")
        block = page.split("## Neighbourhood", 1)[1]
        neighbours = parents[t.name] | children[t.name]
        drawn = _mermaid_entities(_mermaid_blocks(block)[0])
        if len(neighbours) <= 24:
            assert drawn == neighbours | {t.name}, t.name
        else:  # a hub: its parents and as many children as fit, and the page says so
            capped += 1
            assert t.name in drawn and parents[t.name] <= drawn <= neighbours | {t.name} and len(drawn) == 25
            assert f"shows 24 of {len(neighbours)} neighbours" in block
        # a star: every relationship touches the table itself
        ident = next(line.split()[0] for line in _mermaid_blocks(block)[0].splitlines()
                     if _MMD_ENTITY.match(line) and (_MMD_ENTITY.match(line).group(3) or
                                                     _MMD_ENTITY.match(line).group(1)) == t.name)
        for line in _mermaid_blocks(block)[0].splitlines():
            rel = _MMD_RELATION.match(line)
            if rel:
                assert ident in (rel.group(1), rel.group(5))
    assert capped == 2  # users and currencies


def test_domain_pages_draw_their_tables_and_stubs(big_site):
    design, out, _, _ = big_site
    site = Site(design, find_domains(design))
    for d in site.domains:
        page = (out / site.domain_page(d)).read_text(encoding="utf-8")
        drawn = _mermaid_entities(_mermaid_blocks(page)[0])
        assert set(d.tables) <= drawn
        assert drawn - set(d.tables) == set(site.stubs(d))
        if d.basis != "shared":
            assert "users" not in drawn  # the hub is listed, not drawn
            assert "References to the shared tables [`users`]" in page


def test_findings_beside_each_table_and_summarised_on_the_index(big_site):
    design, out, _, findings = big_site
    site = Site(design, find_domains(design))
    index = (out / "README.md").read_text(encoding="utf-8")
    assert "4 lint findings (1 error, 2 warnings, 1 info)" in index
    assert "## Lint findings" in index and "schema-wide note" in index
    assert "foreign key without index \\| pipes" in index or "foreign key without index \\| pipes" in (
        out / site.table_page(findings[2]["table"])).read_text(encoding="utf-8")
    for f in findings[:3]:
        page = (out / site.table_page(f["table"])).read_text(encoding="utf-8")
        assert "## Lint findings (1)" in page and f"`{f['code']}`" in page
        # beside the description, before the columns
        assert page.index("## Lint findings") < page.index("## Columns")
    clean = next(t for t in design.tables if t.name not in {f["table"] for f in findings})
    assert "## Lint findings" not in (out / site.table_page(clean.name)).read_text(encoding="utf-8")


def test_without_findings_there_is_no_lint_section():
    files, _ = docs_site(clustered_design(2, 5))
    assert "Lint findings" not in files["README.md"] and "Findings" not in files["README.md"]
    files, _ = docs_site(clustered_design(2, 5), [])
    assert "The linter found nothing to report." in files["README.md"]


def test_the_site_is_deterministic():
    design, _ = plain_named(clustered_design(4, 9))
    first, drawings = docs_site(design, FINDINGS, svg=True)
    second, drawings2 = docs_site(design, list(reversed(FINDINGS)), svg=True)
    assert first == second and drawings == drawings2
    for text in first.values():
        assert text.endswith("\n") and not text.endswith("\n\n")


def test_odd_table_names_get_safe_unique_stable_file_names(tmp_path):
    design = odd_design()
    written = write_docs_site(design, tmp_path, [], svg=False)
    pages = [p for p in written if p.parent == tmp_path / "tables"]
    assert len(pages) == len(ODD)
    for p in pages:
        assert re.fullmatch(r"[A-Za-z0-9_.-]+\.md", p.name), p.name
        assert not p.name.startswith(".")
    assert len({p.name.lower() for p in pages}) == len(pages)  # also on case-insensitive file systems
    stems = file_stems(ODD)
    assert stems["sales.orders"] == "sales.orders" and stems["README"].startswith("README-")
    assert stems["order"] != stems["Order"] and stems["con"] != "con"
    # adding a table never renames the page of another
    assert file_stems(ODD + ["new table"])["größe"] == stems["größe"]
    assert file_stems(["orders", "customers"]) == {"orders": "orders", "customers": "customers"}
    assert _links_resolve(tmp_path) > 0
    site = Site(design, find_domains(design))
    for name in ODD:
        page = (tmp_path / site.table_page(name)).read_text(encoding="utf-8")
        _tables_well_formed(page)
        for block in _mermaid_blocks(page):
            assert _label(name) in _mermaid_entities(block)
    index = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert "<b>" not in index and "&lt;b&gt;markup&lt;/b&gt;" in index


@needs_dot
def test_svgs_render_and_pages_show_them(tmp_path):
    design = odd_design()
    written = write_docs_site(design, tmp_path, [], svg=True)
    svgs = [p for p in written if p.suffix == ".svg"]
    assert svgs and (tmp_path / "erd.svg") in svgs
    for p in svgs:
        root = ET.fromstring(p.read_bytes())
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
    site = Site(design, find_domains(design))
    orders = (tmp_path / site.table_page("order")).read_text(encoding="utf-8")
    assert f"](../{site.table_svg('order')})" in orders
    texts = {"".join(e.itertext()) for e in ET.parse(tmp_path / site.table_svg("order")).getroot().iter(
        "{http://www.w3.org/2000/svg}text")}
    assert {"order", "Order", "größe"} <= texts and "Neighbourhood of order" in texts
    assert _links_resolve(tmp_path) > 0


@needs_dot
def test_many_svgs_in_batches_match_one_at_a_time():
    from schemawright.documentation.dot import render_svg, render_svgs

    design = clustered_design(2, 6)
    sources = [to_dot(design, [t.name], title=t.name) for t in design.tables[:9]]
    assert render_svgs(sources, jobs=2) == [render_svg(s) for s in sources]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_site_of_each_example(path, tmp_path):
    from schemawright.pipeline import design_file

    design = design_file(path)
    written = write_docs_site(design, tmp_path, None, svg=shutil.which("dot") is not None)
    site = Site(design, find_domains(design))
    for t in design.tables:
        page = (tmp_path / site.table_page(t.name)).read_text(encoding="utf-8")
        for c in t.columns:
            assert f"| `{c.name}`" in page
        for i in design.indexes_on(t.name):
            assert f"`{i.name}`" in page
        for block in _mermaid_blocks(page):  # the ERD, and a state diagram per `transitions` rule
            _mermaid_states(block) if block.startswith("stateDiagram-v2") else _mermaid_entities(block)
        _tables_well_formed(page)
    index = (tmp_path / "README.md").read_text(encoding="utf-8")
    if len(site.domains) == 1:
        assert _mermaid_entities(_mermaid_blocks(index)[0]) == {t.name for t in design.tables}
    assert (tmp_path / "report.md") in written and (tmp_path / "data-dictionary.md") in written
    assert _links_resolve(tmp_path) > len(design.tables)


def test_a_large_schema_stays_readable(tmp_path):
    design, _ = plain_named(clustered_design(20, 15))  # 302 tables
    files, _ = docs_site(design, [])
    domains = find_domains(design)
    assert all(len(d.tables) <= MAX_TABLES for d in domains)
    for d in domains:
        page = files[Site(design, domains).domain_page(d)]
        assert len(_mermaid_entities(_mermaid_blocks(page)[0])) <= MAX_TABLES + 10


def test_a_second_run_removes_the_pages_of_dropped_tables_only(tmp_path):
    design = clustered_design(2, 5, hubs=False)
    write_docs_site(design, tmp_path, svg=False)
    mine = tmp_path / "tables" / "notes-of-mine.md"
    mine.write_text("kept", encoding="utf-8")
    dropped = tmp_path / "tables" / "m1_t4.md"
    assert dropped.is_file()
    smaller = design.model_copy(update={"tables": tuple(t for t in design.tables if t.name != "m1_t4")})
    written = write_docs_site(smaller, tmp_path, svg=False)
    assert not dropped.exists() and mine.read_text(encoding="utf-8") == "kept"
    assert {p for p in tmp_path.rglob("*") if p.is_file()} == set(written) | {mine, tmp_path / ".schemawright-docs"}


# ------------------------------------------------------------------ the command


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "schemawright.cli", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=300, env={**os.environ, "COLUMNS": "200"})


def test_docs_command_on_a_spec(tmp_path):
    done = _run("docs", str(EXAMPLES[0]), "-o", str(tmp_path / "site"), "--no-svg")
    assert done.returncode == 0, done.stderr
    assert "documented" in done.stdout and str(tmp_path / "site" / "README.md") in done.stdout
    assert (tmp_path / "site" / "README.md").is_file()
    assert not list((tmp_path / "site").rglob("*.svg"))


def test_docs_command_on_a_sql_file(tmp_path):
    import schemawright.importers.postgresql_sql  # noqa: F401  (our own module: a failing import must fail)
    sql = tmp_path / "shop.sql"
    sql.write_text("""
        CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL);
        COMMENT ON TABLE customers IS 'People who buy';
        CREATE TABLE "Order Items" (id bigint PRIMARY KEY,
            customer_id bigint NOT NULL REFERENCES customers (id));
        CREATE INDEX ON "Order Items" (customer_id);
        THIS IS NOT SQL;
    """, encoding="utf-8")
    done = _run("docs", str(sql), "-o", str(tmp_path / "site"))
    assert done.returncode == 0, done.stderr
    index = (tmp_path / "site" / "README.md").read_text(encoding="utf-8")
    assert "`Order Items`" in index and "People who buy" in index
    assert "## Statements not imported" in index
    assert _links_resolve(tmp_path / "site") > 0


def test_docs_command_bad_input_exits_2_without_traceback(tmp_path):
    done = _run("docs", str(tmp_path / "missing.sql"), "-o", str(tmp_path / "site"))
    assert done.returncode == 2 and "not found" in done.stderr and "Traceback" not in done.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("project: x\nentities:\n  A:\n    attributes:\n      n: {type: nosuchtype}\n", encoding="utf-8")
    done = _run("docs", str(bad), "-o", str(tmp_path / "site"))
    assert done.returncode == 2 and "bad.yaml:" in done.stderr and "Traceback" not in done.stderr
