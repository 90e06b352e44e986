"""`schemawright docs`: load any target, lint it when the linter is installed, write the site.

Exit codes: 0 written, 2 usage error (bad target or option: a located message on stderr,
never a traceback).
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from schemawright import model as m
from schemawright.commands.lint import UsageError, load_design
from schemawright.documentation.domains import MAX_TABLES
from schemawright.documentation.rules import queue_as_machinery
from schemawright.documentation.site import write_docs_site
from schemawright.errors import SpecErrors
from schemawright.lint import lint
from schemawright.lint.config import find_default, load_config


class DocsUsageError(Exception):
    pass


def _err(text: str) -> None:
    print(text, file=sys.stderr)


def load(target: str | None, database_url: str | None, dialect: str | None) -> m.Design:
    """The design of a spec, SQL or DBML file, or live database (raises DocsUsageError or
    SpecErrors for bad input), read as the lint command reads it, with the same messages."""
    if target is None and database_url is None:
        raise DocsUsageError("give a TARGET (spec, SQL or DBML file) or --database-url URL")
    if target is not None and database_url is None and not Path(target).exists():
        raise DocsUsageError(f"{target}: file not found (give a spec, SQL or DBML file, or --database-url URL)")
    try:
        return queue_as_machinery(load_design(target, database_url, dialect)[0])
    except UsageError as exc:
        raise DocsUsageError(str(exc)) from None


def findings_for(design: m.Design) -> list[object]:
    """Lint findings with the project's lint config (./schemawright-lint.yaml) when there is one."""
    path = find_default()
    return list(lint(design, load_config(path) if path else None))


@dataclass(frozen=True)
class DocsOptions:
    target: str | None = None
    database_url: str | None = None
    dialect: str | None = None
    output: Path = Path("docs-site")
    svg: bool | None = None  # None: when `dot` is installed
    max_tables: int | None = None


def run(options: DocsOptions) -> int:
    target, database_url, dialect, output = options.target, options.database_url, options.dialect, options.output
    svg, max_tables = options.svg, options.max_tables
    if svg and shutil.which("dot") is None:
        _err("error: --svg needs Graphviz's `dot` program; install Graphviz or drop --svg")
        return 2
    try:
        design = load(target, database_url, dialect)
    except DocsUsageError as exc:
        _err(f"error: {exc}")
        return 2
    except SpecErrors as exc:
        for issue in exc.issues:
            _err(issue.format())
        _err(f"{len(exc.issues)} error(s); nothing was documented.")
        return 2
    try:
        findings = findings_for(design)
    except Exception as exc:  # a config problem must not cost the user the documentation
        if type(exc).__name__ != "LintConfigError":
            raise
        for issue in getattr(exc, "issues", ()):
            _err(issue.format())
        _err("the lint config has errors; documenting without lint findings")
        findings = None
    written = write_docs_site(design, output, findings, svg=svg, max_tables=max_tables or MAX_TABLES)
    top = [p.relative_to(output).parts[0] for p in written]
    pages, domains = top.count("tables"), top.count("domains")
    lint_note = "not linted (schemawright.lint is not installed)" if findings is None else f"{len(findings):,} lint findings"
    print(f"documented {len(design.tables):,} tables in {domains:,} domain(s), {pages:,} table pages, {lint_note}")
    if len(written) <= 60:
        for path in written:
            print(f"  {path}")
    else:  # thousands of pages: the top-level files, then each folder with its count
        folders: dict[Path, int] = {}
        for path in written:
            rel = path.relative_to(output)
            if len(rel.parts) == 1:
                print(f"  {path}")
            else:
                folder = output.joinpath(*rel.parts[:-1])
                folders[folder] = folders.get(folder, 0) + 1
        for folder, count in sorted(folders.items()):
            print(f"  {folder}/ ({count} files)")
    if svg is None and shutil.which("dot") is None:
        print("  (SVG diagrams skipped: install Graphviz's `dot` to draw them; the Mermaid diagrams are in the pages)")
    return 0
