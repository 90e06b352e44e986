"""The lint configuration file (`schemawright-lint.yaml`) and inline suppressions.

```yaml
fail_on: warning              # default for --fail-on (error if not given)
rules:
  SW702: off                  # switch a rule off (by code or name)
  timestamp-without-time-zone: error      # re-level it
  SW304: {severity: info, max_indexes: 8} # re-level and tune its options
ignore:                       # per-table (or per-column) ignores; keys are glob patterns
  legacy_*: all
  audit_log: [SW701, SW702]
  orders.note: [column-without-comment]
samples:                      # sample rows (CSV with a header) for data rules such as SW102
  products: samples/products.csv
```

Paths in `samples` are relative to the config file.  Every mistake (unknown key, rule,
severity or option, wrong type, missing sample file) is reported with its line and column.

Inline suppressions, for findings on one table or column:
- in a description (spec `description:`, or `COMMENT ON` text in SQL and live databases):
  `lint: ignore SW201` or `schemawright: ignore SW201, SW702` (`all` ignores every rule);
  a table's description covers its columns too;
- in the source file, as a comment on the line the finding points at or on the line above
  it: `# schemawright: ignore SW702` in YAML, `-- schemawright: ignore SW702` in SQL; a
  comment on a table's line covers the whole table.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from pathlib import Path

from schemawright.files import read_text
from schemawright.errors import SpecErrors, SpecIssue, did_you_mean
from schemawright.lint.rule import REGISTRY, SEVERITIES, resolve, rule_keys
from schemawright.requirements.yaml_marks import Marks, YamlError, load_with_marks

DEFAULT_NAMES = ("schemawright-lint.yaml", "schemawright-lint.yml")
_TOP = ("fail_on", "rules", "ignore", "samples")
_MARKER = re.compile(r"(?:schemawright|lint)\s*:\s*ignore\b([^\n]*)", re.IGNORECASE)
_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9\-]*")


class LintConfigError(SpecErrors):
    """Bad config file: every problem, located."""


@dataclass(frozen=True)
class RuleSetting:
    enabled: bool = True
    severity: str | None = None
    options: dict[str, object] = field(default_factory=dict)


@dataclass
class LintConfig:
    rules: dict[str, RuleSetting] = field(default_factory=dict)
    ignore: list[tuple[str, frozenset[str] | None]] = field(default_factory=list)
    samples: dict[str, Path] = field(default_factory=dict)
    fail_on: str = "error"
    path: str | None = None

    def enabled(self, code: str) -> bool:
        return self.rules.get(code, RuleSetting()).enabled

    def severity(self, code: str) -> str:
        return self.rules.get(code, RuleSetting()).severity or REGISTRY[code].severity

    def options(self) -> dict[str, dict[str, object]]:
        return {code: dict(s.options) for code, s in self.rules.items() if s.options}

    def ignored(self, code: str, table: str | None, column: str | None) -> bool:
        subjects = [s for s in (table, f"{table}.{column}" if table and column else None) if s]
        for pattern, codes in self.ignore:
            if codes is not None and code not in codes:
                continue
            if any(fnmatch.fnmatchcase(s, pattern) for s in subjects):
                return True
        return False


def parse_codes(text: str) -> frozenset[str] | None:
    """Rule codes named in a suppression ('SW201, too-many-indexes'); None means all rules."""
    codes: set[str] = set()
    for token in _TOKEN.findall(text):
        if token.lower() == "all":
            return None
        code = resolve(token)
        if code:
            codes.add(code)
        else:
            break  # the marker's list ends at the first word that is not a rule
    return frozenset(codes)


def inline_suppressions(text: str | None) -> list[frozenset[str] | None]:
    """Every `lint: ignore ...` / `schemawright: ignore ...` marker in a text."""
    if not text or ":" not in text or not ("ignore" in text or "IGNORE" in text or "Ignore" in text):
        return []
    return [parse_codes(found.group(1)) for found in _MARKER.finditer(text)]


def suppressed_by(text: str | None, code: str) -> bool:
    return any(codes is None or code in codes for codes in inline_suppressions(text))


def find_default(directory: Path | None = None) -> Path | None:
    base = directory or Path.cwd()
    return next((base / n for n in DEFAULT_NAMES if (base / n).is_file()), None)


def load_config(path: str | Path) -> LintConfig:
    path = Path(path)
    text = read_text(path, "config file", "check the path, or leave out --config", LintConfigError)
    return parse_config(text, str(path), base=path.parent)


def parse_config(text: str, file: str = "<config>", base: Path | None = None) -> LintConfig:
    try:
        root, marks = load_with_marks(text)
    except YamlError as exc:
        raise LintConfigError([SpecIssue(file, exc.line, exc.column, str(exc), exc.hint)]) from None
    reader = _Reader(file, marks)
    for dup in marks.duplicates:
        reader.issues.append(SpecIssue(file, dup.line, dup.column, str(dup), dup.hint))
    config = LintConfig(path=file)
    if root is None:
        root = {}
    if not isinstance(root, dict):
        reader.error((), "the lint config must be a YAML mapping", f"use the keys {', '.join(_TOP)}")
        raise LintConfigError(reader.issues)
    for key in root:
        if key not in _TOP:
            reader.error((key,), f"unknown key {key!r}", did_you_mean(key, _TOP) or f"keys: {', '.join(_TOP)}",
                         at_key=True)
    if "fail_on" in root:
        value = root["fail_on"]
        if value not in SEVERITIES:
            reader.error(("fail_on",), f"fail_on must be one of {', '.join(SEVERITIES)}, not {value!r}")
        else:
            config.fail_on = value
    config.rules = reader.rules(root.get("rules"))
    config.ignore = reader.ignores(root.get("ignore"))
    config.samples = reader.samples(root.get("samples"), base or Path.cwd())
    if reader.issues:
        raise LintConfigError(reader.issues)
    return config


class _Reader:
    def __init__(self, file: str, marks: Marks):
        self.file, self.marks = file, marks
        self.issues: list[SpecIssue] = []

    def error(self, path: tuple, message: str, hint: str | None = None, at_key: bool = False) -> None:
        line, col = self._position(path, at_key)
        self.issues.append(SpecIssue(self.file, line, col, message, hint))

    def _position(self, path: tuple, at_key: bool) -> tuple[int, int]:
        if at_key and path in self.marks.keys:
            return self.marks.keys[path]
        while path and path not in self.marks.values:
            path = path[:-1]
        return self.marks.values.get(path, (1, 1))

    def _code(self, path: tuple, key: object) -> str | None:
        code = resolve(str(key))
        if code is None:
            self.error(path, f"unknown rule {key!r}",
                       did_you_mean(str(key), rule_keys()) or "see docs/lint-rules.md for every rule", at_key=True)
        return code

    def rules(self, section: object) -> dict[str, RuleSetting]:
        out: dict[str, RuleSetting] = {}
        if section is None:
            return out
        if not isinstance(section, dict):
            self.error(("rules",), "rules must be a mapping of rule code to off, a severity, or settings",
                       "e.g.  rules: {SW702: off, SW401: error}")
            return out
        for key, value in section.items():
            path = ("rules", key)
            code = self._code(path, key)
            if code is None:
                continue
            if value is False or value == "off":
                out[code] = RuleSetting(enabled=False)
            elif value is True or value == "on":
                out[code] = RuleSetting()
            elif value in SEVERITIES:
                out[code] = RuleSetting(severity=value)
            elif isinstance(value, dict):
                out[code] = self._setting(path, code, value)
            else:
                self.error(path, f"{key}: expected off, on, error, warning, info or a mapping, not {value!r}")
        return out

    def _setting(self, path: tuple, code: str, value: dict) -> RuleSetting:
        rule = REGISTRY[code]
        enabled, severity, options = True, None, {}
        for key, item in value.items():
            where = path + (key,)
            if key == "severity":
                if item == "off" or item is False:
                    enabled = False
                elif item not in SEVERITIES:
                    self.error(where, f"severity must be one of {', '.join(SEVERITIES)} or off, not {item!r}")
                else:
                    severity = item
            elif key == "enabled":
                if not isinstance(item, bool):
                    self.error(where, "enabled must be true or false")
                else:
                    enabled = item
            elif key in rule.options:
                checked = self._option(where, rule.options[key], item)
                if checked is not None:
                    options[key] = checked
            else:
                keys = ["severity", "enabled", *rule.options]
                self.error(where, f"{code} has no setting {key!r}", did_you_mean(key, keys) or
                           f"settings: {', '.join(keys)}", at_key=True)
        return RuleSetting(enabled=enabled, severity=severity, options=options)

    def _option(self, path: tuple, default: object, value: object) -> object | None:
        if isinstance(default, bool):
            ok = isinstance(value, bool)
        elif isinstance(default, int):
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif isinstance(default, float):
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            value = float(value) if ok else value  # type: ignore[arg-type]
        elif isinstance(default, list):
            ok = isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value)
        else:
            ok = isinstance(value, str)
        if not ok:
            kind = {bool: "true or false", int: "a whole number", float: "a number", list: "a list"}.get(
                type(default), "a string")
            self.error(path, f"{path[-1]} must be {kind}, not {value!r}")
            return None
        return value

    def ignores(self, section: object) -> list[tuple[str, frozenset[str] | None]]:
        out: list[tuple[str, frozenset[str] | None]] = []
        if section is None:
            return out
        if not isinstance(section, dict):
            self.error(("ignore",), "ignore must be a mapping of table (or table.column) pattern to rules",
                       "e.g.  ignore: {legacy_*: all, audit_log: [SW702]}")
            return out
        for pattern, value in section.items():
            path = ("ignore", pattern)
            if value == "all" or value is None:
                out.append((str(pattern), None))
                continue
            items = [value] if isinstance(value, str) else value
            if not isinstance(items, list):
                self.error(path, f"{pattern}: expected all or a list of rule codes, not {value!r}")
                continue
            codes = set()
            for i, item in enumerate(items):
                code = self._code(path + (i,) if isinstance(value, list) else path, item)
                if code:
                    codes.add(code)
            out.append((str(pattern), frozenset(codes)))
        return out

    def samples(self, section: object, base: Path) -> dict[str, Path]:
        out: dict[str, Path] = {}
        if section is None:
            return out
        if not isinstance(section, dict):
            self.error(("samples",), "samples must be a mapping of table name to a CSV file",
                       "e.g.  samples: {products: samples/products.csv}")
            return out
        for table, value in section.items():
            path = ("samples", table)
            if not isinstance(value, str):
                self.error(path, f"{table}: expected the path of a CSV file, not {value!r}")
                continue
            file = (base / value) if not Path(value).is_absolute() else Path(value)
            if not file.is_file():
                self.error(path, f"sample file {value!r} not found (looked for {file})",
                           "paths are relative to the config file")
                continue
            out[str(table)] = file
        return out


def read_samples(config: LintConfig) -> dict[str, list[dict[str, str]]]:
    """Rows of every sample CSV file named in the config (header row = column names)."""
    import csv

    out: dict[str, list[dict[str, str]]] = {}
    for table, file in sorted(config.samples.items()):
        try:
            with file.open(newline="", encoding="utf-8") as handle:
                out[table] = [dict(row) for row in csv.DictReader(handle)]
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise LintConfigError([SpecIssue(str(file), 1, 1, f"cannot read sample rows: {exc}",
                                             "a sample file is UTF-8 CSV with a header row")]) from None
    return out
