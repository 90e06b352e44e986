"""What `bench --concurrent` measured: every pattern run together at its declared rate."""

from __future__ import annotations

from dataclasses import dataclass, field

from schemawright.performance.results import Verdict

RATE_SUSTAINED = 0.95  # a pattern that achieves less than this share of its target rate fell behind


@dataclass(frozen=True)
class LoadLatency:
    """Milliseconds from sending a run's statement to its success, retries after a conflict
    included, its COMMIT not (PatternLoad.commit_p95)."""

    p50: float
    p95: float
    p99: float
    max: float
    runs: int


@dataclass
class PatternLoad:
    name: str
    kind: str
    frequency: float  # declared runs per second
    target_rate: float  # runs per second asked of it in this run (frequency x the rate scale)
    target_ms: float | None
    meant_to_find_nothing: bool = False  # the spec's `returns: 0` (a check that a name is free)
    runs_as: str = ""  # the group role it ran as with row-level security ('' : the loading role)
    completed: int = 0  # runs that succeeded (after retries)
    achieved_rate: float = 0.0
    rows: float | None = None  # mean rows returned or written per successful run
    latency: LoadLatency | None = None
    start_delay_p95: float = 0.0  # ms a run started after its scheduled time (all connections busy)
    commit_p95: float | None = None  # ms of the COMMIT after the statement (timed apart from it)
    serialization_failures: int = 0  # SQLSTATE 40001, each retried
    deadlocks: int = 0  # SQLSTATE 40P01, each retried
    gave_up: int = 0  # runs still failing after every retry (counted in errors too)
    refused: int = 0  # runs a constraint refused (class 23): the drawn values, not the design
    errors: int = 0  # runs that failed for another reason
    error: str | None = None  # the first error's message, or why the pattern did not run
    draw_failures: tuple[str, ...] = ()  # draws PostgreSQL refused: those parameters kept one value (draws.py)

    @property
    def rate_sustained(self) -> bool:
        return self.target_rate <= 0 or self.achieved_rate >= RATE_SUSTAINED * self.target_rate

    @property
    def verdict(self) -> Verdict:
        if self.errors or self.latency is None:
            return "ERROR"
        if self.rows == 0 and not self.meant_to_find_nothing:  # a latency of nothing, never a PASS
            return "NOT MEASURED"
        if self.target_ms is not None and self.latency.p95 > self.target_ms:
            return "FAIL"
        return "PASS" if self.rate_sustained else "FAIL"


@dataclass
class LoadResult:
    connections: int
    duration: float  # seconds asked for
    isolation: str  # the design's transaction isolation, used by every connection
    rate_scale: float  # share of the declared rates run
    scale_source: str  # "calibrated" or "given"
    capacity: float | None = None  # runs per second the calibration sustained (closed loop), when calibrated
    elapsed: float = 0.0  # seconds the timed load took
    connections_seen: int = 0  # most load connections seen in pg_stat_activity at once
    most_active: int = 0  # most of them seen running a statement at the same moment
    not_started: int = 0  # scheduled runs dropped because the time was up (the connections fell behind)
    patterns: list[PatternLoad] = field(default_factory=list)

    @property
    def declared_rate(self) -> float:
        return sum(p.frequency for p in self.patterns)

    @property
    def target_rate(self) -> float:
        return sum(p.target_rate for p in self.patterns)

    @property
    def achieved_rate(self) -> float:
        return sum(p.achieved_rate for p in self.patterns)

    @property
    def missed(self) -> list[PatternLoad]:
        return [p for p in self.patterns if p.verdict != "PASS"]

    @property
    def conflicts(self) -> int:
        return sum(p.serialization_failures + p.deadlocks for p in self.patterns)
