"""What `bench` measured: per pattern latency, plan facts and verdict, plus the run's setup."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from schemawright.generation.run import TableResult
    from schemawright.performance.concurrent_results import LoadResult
    from schemawright.performance.partition_compare import PartitionComparison

# ERROR: it could not run (no timing); NOT MEASURED: it ran, but on nothing (no row where the
# tables have rows, or far from the rows the spec says it returns), so its latency proves nothing.
Verdict = Literal["PASS", "FAIL", "ERROR", "NOT MEASURED"]


@dataclass(frozen=True)
class Latency:
    """Milliseconds over the timed runs (warm-up runs excluded)."""

    p50: float
    p95: float
    max: float
    runs: int


@dataclass(frozen=True)
class PlanFacts:
    """From one EXPLAIN (ANALYZE, BUFFERS) of the pattern after its timed runs."""

    top: str
    indexes: tuple[str, ...] = ()
    seq_scans: tuple[str, ...] = ()
    rows: int = 0  # rows the top plan node produced (0 for writes without RETURNING)
    shared_hit: int = 0  # 8 kB pages found in shared buffers
    shared_read: int = 0  # pages read from the OS (disk or page cache)


@dataclass
class PatternBench:
    name: str
    kind: str
    frequency: float
    target_ms: float | None
    latency: Latency | None = None
    plan: PlanFacts | None = None
    rows: float | None = None  # mean rows returned or written per timed run
    bindings: int = 0  # different parameter sets drawn from the data
    refused: int = 0  # drawn parameter sets a constraint refused (skipped, not timed)
    error: str | None = None
    returns: int | None = None  # rows per run the spec says it returns (`returns:`), if it says
    empty_runs: int = 0  # timed runs that returned or wrote no row
    misses_replaced: int = 0  # drawn parameter sets that found no row, replaced before timing by ones that do
    draw_failures: tuple[str, ...] = ()  # draws PostgreSQL refused: those parameters kept one value (draws.py)
    not_measured: str | None = None  # why the timing measured nothing worth a verdict (validation/hits.py)
    # A write on a table that business-rule triggers guard is timed twice (performance/rules.py).
    rule_triggers: tuple[str, ...] = ()  # those triggers; empty: measured once
    checks_refused: int = 0  # timed runs whose commit-time group checks refused the rows written alone
    without_rules: Latency | None = None  # the same runs with every rule trigger switched off
    rules_error: str | None = None  # why the second measurement is missing
    # With row-level security, every pattern is timed again, each parameter set twice, interleaved:
    # as the loading role (BYPASSRLS) and as its group role with the tenant set (row_security.py).
    without_policies: Latency | None = None
    with_policies: Latency | None = None
    policies_role: str | None = None  # the spec role it ran as
    policies_rows: tuple[float, float] | None = None  # mean rows per run (without, with): the tenant's view
    policies_error: str | None = None  # why that measurement is missing

    @property
    def verdict(self) -> Verdict:
        if self.error is not None or self.latency is None:
            return "ERROR"
        if self.not_measured is not None:
            return "NOT MEASURED"
        if self.target_ms is not None and self.latency.p95 > self.target_ms:
            return "FAIL"
        return "PASS"


@dataclass(frozen=True)
class BenchIndex:
    name: str
    table: str
    definition: str  # CREATE INDEX statement
    source: str  # "design" (first cut or declared) or "advisor"
    patterns: tuple[str, ...] = ()
    size_bytes: int | None = None


@dataclass(frozen=True)
class IndexUse:
    """One index of the design beside the plans that read it (performance/index_use.py)."""

    name: str
    table: str
    used_by: tuple[str, ...]  # patterns whose plan reads it
    listed_for: tuple[str, ...]  # patterns the design says it serves
    kept_for: str = ""  # why an index no plan reads stays ('' when some plan reads it, or nothing justifies it)
    instead: str = ""  # an unused index's foreign key is served by this other key or index

    @property
    def verdict(self) -> str:
        return "used" if self.used_by else "kept" if self.kept_for else "unused"

    @property
    def not_used_by(self) -> tuple[str, ...]:
        """Patterns it is listed for whose plan reads something else."""
        return tuple(p for p in self.listed_for if p not in self.used_by)


@dataclass
class BenchResult:
    project: str
    scale: float
    seed: int
    runs: int
    warmup: int
    server: str  # "embedded PostgreSQL" or the redacted URL
    server_version: str = ""
    rows_loaded: int = 0
    generation_seconds: float = 0.0
    whatif: str = ""  # how the advisor costed indexes: hypopg or build
    sandbox_note: str = ""  # set when the spec's SQL could not run in a sandbox role (why)
    advisor_seconds: float = 0.0
    indexes: list[BenchIndex] = field(default_factory=list)
    patterns: list[PatternBench] = field(default_factory=list)
    index_use: list[IndexUse] = field(default_factory=list)
    concurrent: LoadResult | None = None  # `bench --concurrent`: the patterns run together (concurrent.py)
    # each partitioned table, and each large one left as one table, timed both ways (partition_compare.py)
    partitioning: list[PartitionComparison] = field(default_factory=list)
    tables: list[TableResult] = field(default_factory=list)  # declared against loaded rows (loaded_rows.py)

    @property
    def rows_per_second(self) -> float:
        return self.rows_loaded / self.generation_seconds if self.generation_seconds > 0 else 0.0

    @property
    def missed(self) -> list[PatternBench]:
        """Patterns over their target, that could not run, or that ran on nothing."""
        return [p for p in self.patterns if p.verdict != "PASS"]

    def with_verdict(self, verdict: Verdict) -> list[PatternBench]:
        return [p for p in self.patterns if p.verdict == verdict]

    @property
    def short_tables(self) -> list[TableResult]:
        """Tables loaded more than 1 % below their declared rows: what was timed on them proves little."""
        return [t for t in self.tables if t.short]

    @property
    def passed(self) -> bool:
        return not self.missed and not self.short_tables
