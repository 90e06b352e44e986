"""The shape of a lint rule, and the registry that finds them.

In the manner of sqlfluff and Squawk, every rule is a small class with one concern: a
stable code (`SW201`), a kebab-case name, a family, a default severity, a one-line
summary, a rationale, a bad example (SQL), the fixed example and a one-line fix.  A rule
registers itself with `@register`; the engine, the config checker, the SARIF writer and
the generated docs page all read the same registry, so a rule exists in one place only.

A rule's `check(ctx)` yields `Hit`s (table, column, message); the engine turns them into
findings: severity from the config, location from the source file, suppressions applied.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

if TYPE_CHECKING:  # pragma: no cover
    from schemawright.lint.context import Context

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")
RANK: dict[str, int] = {"info": 1, "warning": 2, "error": 3}

FAMILIES = ("normalisation", "integrity", "indexing", "types", "naming", "security", "maintainability")
_CODE = re.compile(r"^SW[1-9][0-9]{2}$")
_NAME = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Hit:
    """One thing a rule found; `fix` overrides the rule's generic fix when it can be specific.

    `notes` are extra texts the engine searches for inline suppressions (for example the
    description of the business rule a finding is about); `anchor` names the object the
    finding is about when that is not a table or column, such as ("rule", "its_name")."""

    table: str | None
    column: str | None
    message: str
    fix: str | None = None
    notes: tuple[str, ...] = ()
    anchor: tuple[str, str] | None = None  # e.g. ("rule", name): point at that object in the source instead


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]
    family: ClassVar[str]
    severity: ClassVar[Severity]
    summary: ClassVar[str]
    rationale: ClassVar[str]
    example: ClassVar[str]
    fixed: ClassVar[str]
    fix: ClassVar[str]
    # Tunable settings with their defaults; the config file may override them per rule.
    options: ClassVar[dict[str, object]] = {}
    # Set on rules that need sample rows (they stay silent without them).
    needs_samples: ClassVar[bool] = False

    def check(self, ctx: Context) -> Iterator[Hit]:  # pragma: no cover - every rule overrides it
        raise NotImplementedError


REGISTRY: dict[str, type[Rule]] = {}
_BY_NAME: dict[str, str] = {}


def register(cls: type[Rule]) -> type[Rule]:
    """Class decorator: validate a rule's documentation and add it to the registry."""
    for attr in ("code", "name", "family", "severity", "summary", "rationale", "example", "fixed", "fix"):
        value = getattr(cls, attr, None)
        if not isinstance(value, str) or not value.strip():
            raise TypeError(f"lint rule {cls.__name__} must define {attr}")
    if not _CODE.match(cls.code):
        raise TypeError(f"lint rule {cls.__name__}: code {cls.code!r} is not SW followed by three digits")
    if not _NAME.match(cls.name):
        raise TypeError(f"lint rule {cls.__name__}: name {cls.name!r} is not kebab-case")
    if cls.family not in FAMILIES:
        raise TypeError(f"lint rule {cls.__name__}: unknown family {cls.family!r}")
    if cls.severity not in SEVERITIES:
        raise TypeError(f"lint rule {cls.__name__}: unknown severity {cls.severity!r}")
    if "\n" in cls.summary.strip():
        raise TypeError(f"lint rule {cls.__name__}: the summary must be one line")
    other = REGISTRY.get(cls.code)
    if other is not None and other.__qualname__ != cls.__qualname__:  # the same class again: a module reload
        raise TypeError(f"lint rule {cls.__name__}: code {cls.code} is already taken by {other.__name__}")
    if _BY_NAME.get(cls.name, cls.code) != cls.code:
        raise TypeError(f"lint rule {cls.__name__}: name {cls.name} is already taken by {_BY_NAME[cls.name]}")
    REGISTRY[cls.code] = cls
    _BY_NAME[cls.name] = cls.code
    return cls


def all_rules() -> list[type[Rule]]:
    """Every registered rule, ordered by code."""
    import schemawright.lint.rules  # noqa: F401 - importing the package registers the rules

    return [REGISTRY[code] for code in sorted(REGISTRY)]


def resolve(key: str) -> str | None:
    """A rule code from a code (any case) or a rule name; None when there is no such rule."""
    all_rules()
    upper = key.strip().upper()
    if upper in REGISTRY:
        return upper
    return _BY_NAME.get(key.strip().lower())


def rule_keys() -> list[str]:
    """Every code and name a user may write, for 'did you mean' hints."""
    all_rules()
    return sorted(REGISTRY) + sorted(_BY_NAME)
