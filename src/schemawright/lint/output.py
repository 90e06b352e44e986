"""Findings as plain text lines, JSON (a stable, versioned shape) and SARIF 2.1.0.

Text, one finding a line, as compilers and linters print them (editors make them links):

    examples/shop.yaml:59:7: SW104 warning addresses: (country_code, postal_code) -> ...
        fix: move (region) to a table keyed by (country_code, postal_code) ...

JSON: `{"schema": "schemawright-lint/1", "target", "tool", "summary", "findings": [...]}`,
described by `JSON_SCHEMA`.  SARIF: one run, every enabled rule in tool.driver.rules,
one result per finding with a physical location when the source file is known and a
logical location (table or column) always, and a partial fingerprint that survives line
moves so code-scanning keeps a finding's history.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path, PurePosixPath

from schemawright import __version__
from schemawright.lint.config import LintConfig
from schemawright.lint.engine import Finding, counts
from schemawright.lint.rule import all_rules

JSON_SCHEMA_ID = "schemawright-lint/1"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"error": "error", "warning": "warning", "info": "note"}

_LOCATION = {
    "type": ["object", "null"],
    "additionalProperties": False,
    "required": ["file", "line", "column"],
    "properties": {"file": {"type": "string"}, "line": {"type": ["integer", "null"], "minimum": 1},
                   "column": {"type": ["integer", "null"], "minimum": 1}},
}
JSON_SCHEMA: dict = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "schemawright lint findings",
    "type": "object",
    "additionalProperties": False,
    "required": ["schema", "tool", "target", "summary", "findings"],
    "properties": {
        "schema": {"const": JSON_SCHEMA_ID},
        "tool": {"type": "object", "required": ["name", "version"],
                 "properties": {"name": {"const": "schemawright"}, "version": {"type": "string"}}},
        "target": {"type": "string"},
        "summary": {"type": "object", "additionalProperties": False,
                    "required": ["error", "warning", "info", "total"],
                    "properties": {k: {"type": "integer", "minimum": 0} for k in ("error", "warning", "info", "total")}},
        "findings": {"type": "array", "items": {
            "type": "object",
            "additionalProperties": False,
            "required": ["code", "name", "family", "severity", "table", "column", "message", "fix", "location"],
            "properties": {
                "code": {"type": "string", "pattern": "^SW[0-9]{3}$"},
                "name": {"type": "string"},
                "family": {"type": "string"},
                "severity": {"enum": ["error", "warning", "info"]},
                "table": {"type": ["string", "null"]},
                "column": {"type": ["string", "null"]},
                "message": {"type": "string"},
                "fix": {"type": "string"},
                "location": _LOCATION,
            }}},
    },
}


def to_text(findings: list[Finding], target: str) -> str:
    """One line a finding, and a fix line: always when the fix is specific to the finding,
    once per rule when it is the rule's general advice."""
    generic = {r.code: r.fix for r in all_rules()}
    advised: set[str] = set()
    lines = []
    for f in findings:
        where = f.location.format() if f.location else target
        lines.append(f"{where}: {f.code} {f.severity} {f.message}")
        if f.fix and (f.fix != generic.get(f.code) or f.code not in advised):
            lines.append(f"    fix: {f.fix}")
            advised.add(f.code)
    c = counts(findings)
    if findings:
        lines.append(f"{len(findings)} finding(s): {c['error']} error(s), {c['warning']} warning(s), {c['info']} info")
    else:
        lines.append(f"{target}: no findings")
    return "\n".join(lines) + "\n"


def to_json(findings: list[Finding], target: str) -> str:
    c = counts(findings)
    document = {
        "schema": JSON_SCHEMA_ID,
        "tool": {"name": "schemawright", "version": __version__},
        "target": target,
        "summary": {**c, "total": len(findings)},
        "findings": [f.to_dict() for f in findings],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


@lru_cache(maxsize=256)
def _uri(file: str) -> tuple[str, bool]:
    """A repository-relative URI when the file is under the working directory (what code
    scanning expects), else an absolute file URI."""
    path = Path(file)
    try:
        rel = path.resolve().relative_to(Path.cwd().resolve())
        return PurePosixPath(*rel.parts).as_posix(), True
    except (ValueError, OSError):
        return path.resolve().as_uri() if path.is_absolute() or os.path.exists(file) else file, False


def to_sarif(findings: list[Finding], target: str, config: LintConfig | None = None) -> str:
    config = config or LintConfig()
    rules = [r for r in all_rules() if config.enabled(r.code) or any(f.code == r.code for f in findings)]
    index = {r.code: i for i, r in enumerate(rules)}
    descriptors = []
    for r in rules:
        help_text = f"{r.rationale}\n\nFix: {r.fix}\n\nExample:\n{r.example}\n\nFixed:\n{r.fixed}"
        help_md = (f"{r.rationale}\n\n**Fix:** {r.fix}\n\nExample:\n\n```sql\n{r.example}\n```\n\n"
                   f"Fixed:\n\n```sql\n{r.fixed}\n```")
        descriptors.append({
            "id": r.code,
            "name": r.name,
            "shortDescription": {"text": r.summary},
            "fullDescription": {"text": r.rationale},
            "help": {"text": help_text, "markdown": help_md},
            "defaultConfiguration": {"level": _LEVEL[config.severity(r.code)]},
            "properties": {"tags": ["schema", r.family], "family": r.family},
        })
    results = []
    for f in findings:
        logical = []
        if f.table:
            logical.append({"name": f.column or f.table, "fullyQualifiedName": f.subject,
                            "kind": "column" if f.column else "table"})
        location: dict = {}
        if f.location is not None:
            uri, _relative = _uri(f.location.file)
            physical: dict = {"artifactLocation": {"uri": uri}}
            if f.location.line:
                physical["region"] = {"startLine": f.location.line, "startColumn": f.location.column or 1}
            location["physicalLocation"] = physical
        if logical:
            location["logicalLocations"] = logical
        fingerprint = hashlib.sha256(f"{f.code}|{f.subject}|{f.message}".encode()).hexdigest()[:32]
        result: dict = {
            "ruleId": f.code,
            "ruleIndex": index[f.code],
            "level": _LEVEL[f.severity],
            "message": {"text": f"{f.message}. Fix: {f.fix}" if f.fix else f.message},
            "partialFingerprints": {"schemawrightFinding/v1": fingerprint},
        }
        if location:
            result["locations"] = [location]
        results.append(result)
    run: dict = {
        "tool": {"driver": {"name": "schemawright", "version": __version__, "semanticVersion": __version__,
                            "rules": descriptors}},
        "results": results,
        "columnKind": "unicodeCodePoints",
    }
    target_uri, _ = _uri(target) if target and os.path.exists(target) else (target, False)
    if target_uri:
        run["properties"] = {"target": target_uri}
    document = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    # Compact: SARIF is read by tools, and json's C encoder only runs without indentation
    # (seconds saved on schemas with tens of thousands of findings).
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n"


def render(findings: list[Finding], fmt: str, target: str, config: LintConfig | None = None) -> str:
    if fmt == "json":
        return to_json(findings, target)
    if fmt == "sarif":
        return to_sarif(findings, target, config)
    return to_text(findings, target)
