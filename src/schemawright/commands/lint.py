"""`schemawright lint`: load the target, read the config, lint, print, pick the exit code.

Exit codes: 0 no finding at or above --fail-on, 1 such findings, 2 usage error (bad
target, option or config: a located message on stderr, never a traceback).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from schemawright import model as m
from schemawright.commands.target import load_target
from schemawright.documentation.audit_trail import trail_as_machinery
from schemawright.documentation.rules import queue_as_machinery
from schemawright.database.urls import redact, scrub
from schemawright.errors import SpecErrors
from schemawright.lint.config import LintConfigError, find_default, load_config, read_samples
from schemawright.lint.engine import failing, lint
from schemawright.lint.output import render

FORMATS = ("text", "json", "sarif")
LEVELS = ("error", "warning", "info")
DIALECTS = ("postgresql", "mysql", "mariadb", "sqlite")
_SPEC_SUFFIXES = (".yaml", ".yml")


class UsageError(Exception):
    pass


def _err(text: str) -> None:
    print(text, file=sys.stderr)


def _print_issues(exc: SpecErrors, what: str) -> None:
    for issue in exc.issues:
        _err(issue.format())
    _err(f"{len(exc.issues)} error(s) in the {what}; nothing was linted.")


def _external_error(exc: Exception) -> bool:
    """Errors of drivers and libraries the importers use (a refused connection, a bad URL):
    bad input, not a bug of ours."""
    module = type(exc).__module__ or ""
    return module.split(".")[0] in ("psycopg", "sqlalchemy", "pymysql", "sqlite3", "pydbml", "pglast", "sqlglot")


def load_design(target: str | None, database_url: str | None, dialect: str | None) -> tuple[m.Design, str]:
    """The design to lint and the name to show for it (passwords redacted)."""
    shown = redact(database_url) if database_url and not target else str(target)
    if target is None and database_url is None:
        raise UsageError("give a TARGET (spec, SQL or DBML file) or --database-url URL")
    if target is not None and not Path(target).exists() and database_url is None and "://" not in target:
        raise UsageError(f"{target}: file not found (give a spec, SQL or DBML file, or --database-url URL)")
    try:
        # The business rules' queue and the audit trail are schemawright's machinery, not entities to lint.
        design = queue_as_machinery(trail_as_machinery(load_target(target, database_url=database_url,
                                                                   dialect=dialect)))
    except (SpecErrors, UsageError):
        raise
    except (OSError, ValueError, LookupError) as exc:
        raise UsageError(f"{shown}: {_redacted(exc, database_url)}") from None
    except Exception as exc:
        if _external_error(exc):
            raise UsageError(f"{shown}: {_redacted(exc, database_url)}") from None
        raise
    if not design.source.path and target is not None and Path(target).is_file():
        suffix = Path(target).suffix.lower()
        kind = "spec" if suffix in _SPEC_SUFFIXES else "dbml" if suffix == ".dbml" else "sql"
        source = design.source.model_copy(update={"kind": kind, "path": str(target)})
        design = design.model_copy(update={"source": source})
    return design, shown


def _redacted(exc: Exception, url: str | None) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return scrub(text, url) if url else text


@dataclass(frozen=True)
class LintOptions:
    target: str | None = None
    database_url: str | None = None
    dialect: str | None = None
    format: str = "text"
    config: Path | None = None
    fail_on: str | None = None


def run(options: LintOptions) -> int:
    target, database_url, dialect, fmt = options.target, options.database_url, options.dialect, options.format
    config_path, fail_on = options.config, options.fail_on
    if fmt not in FORMATS:
        _err(f"error: --format must be one of {', '.join(FORMATS)}, not {fmt!r}")
        return 2
    if fail_on is not None and fail_on not in LEVELS:
        _err(f"error: --fail-on must be one of {', '.join(LEVELS)}, not {fail_on!r}")
        return 2
    if dialect is not None and dialect not in DIALECTS:
        _err(f"error: --dialect must be one of {', '.join(DIALECTS)}, not {dialect!r}")
        return 2
    try:
        path = config_path or find_default()
        config = load_config(path) if path else None
        samples = read_samples(config) if config else {}
    except LintConfigError as exc:
        _print_issues(exc, "lint config")
        return 2
    try:
        design, shown = load_design(target, database_url, dialect)
    except UsageError as exc:
        _err(f"error: {exc}")
        return 2
    except SpecErrors as exc:
        _print_issues(exc, "target")
        return 2
    findings = lint(design, config, samples=samples)
    sys.stdout.write(render(findings, fmt, shown, config))
    sys.stdout.flush()
    threshold = fail_on or (config.fail_on if config else "error")
    return 1 if failing(findings, threshold) else 0
