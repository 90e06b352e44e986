"""`schemawright docs`: a documentation site for any schema, designed or imported.

    README.md                  index: counts, domains (with a map), lint summary, all tables
    tables/<table>.md          one page per table: columns, keys, links in and out, indexes
                               with their reasons, constraints, relationships in words, lint
                               findings, and its neighbourhood diagram
    domains/<domain>.md        one page per domain with its diagram
    diagrams/**.svg            the same diagrams drawn by Graphviz, when `dot` is installed
    erd.mmd, erd.dot, erd.svg  the whole schema (erd.svg only up to ERD_SVG_MAX tables)
    data-dictionary.md         every table on one page; report.md for designed schemas
    security.md                roles, privileges, row-level security, PII, audit (when there are any)
    .schemawright-docs         the files written, so a later run removes pages of dropped tables

`docs_site` is pure (same design, same bytes); `write_docs_site` adds the SVGs and writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from schemawright.files import write_files
from schemawright.gcpause import without_gc
from schemawright.documentation.dictionary import to_data_dictionary
from schemawright.documentation.domains import MAX_TABLES, find_domains
from schemawright.documentation.dot import render_svgs, to_dot
from schemawright.documentation.mermaid import to_mermaid
from schemawright.documentation.pages import Site, domain_page, index_page, table_page
from schemawright.documentation.report import to_report
from schemawright.documentation.security import has_security, to_security_md
from schemawright.gcpause import paused_gc
from schemawright.model import Design

ERD_SVG_MAX = 100
MANIFEST = ".schemawright-docs"  # the files the last run wrote, so the next removes stale pages  # Graphviz takes minutes on thousands of tables; domains cover large schemas


def docs_site(design: Design, findings: Iterable[object] | None = None, *, svg: bool = False,
              max_tables: int = MAX_TABLES) -> tuple[dict[str, str], dict[str, str]]:
    """(Markdown and diagram sources by relative path, DOT sources of the SVGs to draw by
    the relative path of the SVG).  `svg` says whether the pages should show the SVGs."""
    with paused_gc():
        return _site(design, findings, svg, max_tables)


def _site(design: Design, findings: Iterable[object] | None, svg: bool,
          max_tables: int) -> tuple[dict[str, str], dict[str, str]]:
    findings = None if findings is None else list(findings)
    site = Site(design, find_domains(design, max_tables), findings)
    files: dict[str, str] = {}
    drawings: dict[str, str] = {}
    files["erd.mmd"] = to_mermaid(design)
    files["erd.dot"] = to_dot(design)
    if svg and len(design.tables) <= ERD_SVG_MAX:
        drawings["erd.svg"] = files["erd.dot"]
    files["data-dictionary.md"] = to_data_dictionary(design)
    if design.decisions or design.access_patterns:
        files["report.md"] = to_report(design)
    if has_security(design):
        files["security.md"] = to_security_md(design)
    for dom in site.domains:
        files[site.domain_page(dom)] = domain_page(site, dom, svg)
        if svg:
            drawings[site.domain_svg(dom)] = site.domain_dot(dom)
    for t in design.tables:
        files[site.table_page(t.name)] = table_page(site, t, svg)
        if svg and site.neighbourhood(t.name)[0]:
            drawings[site.table_svg(t.name)] = site.neighbourhood_dot(t.name)
    present = {"erd.svg": "erd.svg" in drawings, "report.md": "report.md" in files,
               "security.md": "security.md" in files, "lint": findings is not None}
    files["README.md"] = index_page(site, present)
    return files, drawings


@without_gc
def write_docs_site(design: Design, out_dir: str | Path, findings: Iterable[object] | None = None, *,
                    svg: bool | None = None, max_tables: int = MAX_TABLES) -> list[Path]:
    """Write the site under `out_dir`; returns the files written, sorted.

    `findings` are lint findings (objects or dicts with code, severity, table, column,
    message, fix); None means the schema was not linted.  `svg=None` draws SVGs when
    Graphviz's `dot` is installed, True requires it, False skips them."""
    import shutil

    out = Path(out_dir)
    if svg is None:
        svg = shutil.which("dot") is not None
    elif svg and shutil.which("dot") is None:
        raise RuntimeError("SVG diagrams need Graphviz's `dot` program; install Graphviz or turn SVGs off")
    files, drawings = docs_site(design, findings, svg=svg, max_tables=max_tables)
    if drawings:
        paths = sorted(drawings)
        for path, image in zip(paths, render_svgs([drawings[p] for p in paths])):
            files[path] = image
    _remove_stale(out, set(files))
    written = write_files(out, files)
    (out / MANIFEST).write_text("".join(f"{rel}\n" for rel in sorted(files)), encoding="utf-8")
    return written


def _remove_stale(out: Path, keep: set[str]) -> None:
    """Delete the pages an earlier run wrote that this one does not (a dropped table's page),
    as listed in the earlier run's manifest: never any other file in the directory."""
    manifest = out / MANIFEST
    if not manifest.is_file():
        return
    root = out.resolve()
    for rel in manifest.read_text(encoding="utf-8").splitlines():
        path = (out / rel).resolve()
        if rel and rel not in keep and root in path.parents and path.is_file():
            path.unlink()

