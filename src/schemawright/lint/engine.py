"""Run every enabled rule over a design and turn what they find into located findings."""

from __future__ import annotations

from dataclasses import dataclass

from schemawright.gcpause import without_gc
from schemawright import model as m
from schemawright.lint.config import LintConfig, suppressed_by
from schemawright.lint.context import Context
from schemawright.lint.location import Location, Locator
from schemawright.lint.rule import RANK, Hit, all_rules


@dataclass(frozen=True)
class Finding:
    code: str
    name: str
    family: str
    severity: str
    table: str | None
    column: str | None
    message: str
    fix: str
    location: Location | None = None

    @property
    def subject(self) -> str:
        if self.table and self.column:
            return f"{self.table}.{self.column}"
        return self.table or ""

    def sort_key(self) -> tuple:
        loc = self.location
        return (loc.file if loc else "", loc.line or 0 if loc else 0, loc.column or 0 if loc else 0,
                self.table or "", self.column or "", self.code, self.message)

    def to_dict(self) -> dict:
        loc = self.location
        return {
            "code": self.code, "name": self.name, "family": self.family, "severity": self.severity,
            "table": self.table, "column": self.column, "message": self.message, "fix": self.fix,
            "location": {"file": loc.file, "line": loc.line, "column": loc.column} if loc else None,
        }


@without_gc
def lint(design: m.Design, config: LintConfig | None = None, *,
         samples: dict[str, list[dict[str, str]]] | None = None, source_text: str | None = None) -> list[Finding]:
    """Findings for one design, sorted by place in the source, then table, column and code.

    `samples` are sample rows per table (for data rules; they are skipped without them);
    `source_text` is the text of `design.source.path` when the caller already has it."""
    config = config or LintConfig()
    locator = Locator(design, source_text)
    ctx = Context(design, options=config.options(), samples=samples or {}, source_text=locator.text,
                  source_kind=locator.source_kind)
    findings: set[Finding] = set()
    for rule_class in all_rules():
        code = rule_class.code
        if not config.enabled(code):
            continue
        severity = config.severity(code)
        for hit in rule_class().check(ctx):
            if config.ignored(code, hit.table, hit.column) or _suppressed(design, locator, code, hit):
                continue
            findings.add(Finding(code, rule_class.name, rule_class.family, severity, hit.table, hit.column,
                                 hit.message, hit.fix or rule_class.fix, locator.location(hit.table, hit.column, hit.anchor)))
    return sorted(findings, key=Finding.sort_key)


def _suppressed(design: m.Design, locator: Locator, code: str, hit: Hit) -> bool:
    table = design.table(hit.table) if hit.table else None
    texts = [*hit.notes]
    if table is not None:
        texts.append(table.description or "")
        column = table.column(hit.column) if hit.column else None
        if column is not None:
            texts.append(column.description or "")
    texts.extend(locator.comment_lines(hit.table, hit.column))
    return any(suppressed_by(text, code) for text in texts)


def failing(findings: list[Finding], fail_on: str) -> list[Finding]:
    """The findings at or above a severity (what makes `lint` exit 1)."""
    return [f for f in findings if RANK[f.severity] >= RANK[fail_on]]


def counts(findings: list[Finding]) -> dict[str, int]:
    out = {"error": 0, "warning": 0, "info": 0}
    for f in findings:
        out[f.severity] += 1
    return out
