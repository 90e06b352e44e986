"""What `validate` found: a flat list of PASS/FAIL checks, plus the measurements behind them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Status = Literal["PASS", "FAIL", "NOT TRIED", "ERROR", "NOT MEASURED"]
PASS: Status = "PASS"
FAIL: Status = "FAIL"
# An access pattern that could not run (does not prepare, fails): a failure of validate, said as what it is
# rather than as a missed target.
ERROR: Status = "ERROR"
# An access pattern that ran on no row where its tables hold rows (validation/hits.py): its timing proves
# nothing; shown and counted on its own, never a PASS.
NOT_MEASURED: Status = "NOT MEASURED"
# A proof this machine cannot make (no server binary for it): never a PASS, shown and counted on its
# own, and no failure of the design either.  Only for what the machine lacks, never for what the data lacks.
NOT_TRIED: Status = "NOT TRIED"


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str = ""

    @property
    def passed(self) -> bool:
        return self.status == PASS


@dataclass(frozen=True)
class TableFill:
    """How many synthetic rows a table received, and the last error if some were refused."""

    table: str
    rows: int
    wanted: int
    attempts: int
    error: str | None = None


@dataclass(frozen=True)
class PlanSummary:
    top: str  # top plan node, e.g. "Limit"
    indexes: tuple[str, ...] = ()  # indexes the plan uses, in plan order
    seq_scans: tuple[str, ...] = ()  # tables read by sequential scan

    def __str__(self) -> str:
        parts = [self.top]
        if self.indexes:
            parts.append("index " + ", ".join(self.indexes))
        if self.seq_scans:
            parts.append("seq scan " + ", ".join(self.seq_scans))
        return "; ".join(parts)


@dataclass(frozen=True)
class PatternResult:
    name: str
    kind: str
    status: Status
    p95_ms: float | None = None
    target_ms: float | None = None
    plan: PlanSummary | None = None
    rows: int | None = None  # rows returned (read) or affected (write) by one run
    params: dict[str, str | None] = field(default_factory=dict)
    error: str | None = None

    @property
    def detail(self) -> str:
        if self.error:
            return self.error
        text = f"p95 {self.p95_ms:.2f} ms"
        if self.target_ms is not None:
            text += f" (target {self.target_ms:g} ms)"
        text += f", {self.rows} row{'s' if self.rows != 1 else ''}"
        if self.plan:
            text += f"; {self.plan}"
        return text


@dataclass
class ValidationReport:
    checks: list[Check] = field(default_factory=list)
    tables: list[TableFill] = field(default_factory=list)
    patterns: list[PatternResult] = field(default_factory=list)
    server: str | None = None  # redacted URL or "embedded PostgreSQL"
    server_version: str | None = None
    notes: list[str] = field(default_factory=list)  # worth knowing, not a failure (e.g. no sandbox role)

    @property
    def passed(self) -> bool:
        return any(c.passed for c in self.checks) and not self.failures

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if c.status in (FAIL, ERROR)]

    @property
    def not_measured(self) -> list[Check]:
        return [c for c in self.checks if c.status == NOT_MEASURED]

    @property
    def not_tried(self) -> list[Check]:
        return [c for c in self.checks if c.status == NOT_TRIED]

    def add(self, name: str, ok: bool, detail: str = "") -> Check:
        check = Check(name, PASS if ok else FAIL, detail)
        self.checks.append(check)
        return check
