"""Does a table's partitioning pay?  bench measures it instead of assuming it.

For every partitioned table, the patterns that read or write it have bench's own timings
on the partitioned design, and are timed the same way (same runs, same parameters drawn
with the same seed) on the same design without partitioning: a second scratch database
with the same generated rows and the same indexes the advisor chose.  A range scheme with a retention also has its
retention job timed both ways: DROP the oldest partition that holds rows against DELETE of
the same rows from one table (each in a transaction rolled back).  The verdict weighs each
pattern's p50 by its declared frequency (milliseconds of work per second) and puts both on
one scale, milliseconds a day at the declared volume: with a retention the scheme pays when
what DROP saves over DELETE each day (DELETE's time ÷ the scale, once per interval) covers
what the patterns lose each day beyond TOLERANCE; without one, when the patterns are faster
by more than TOLERANCE.  When it does not pay the
report says so and recommends dropping it.  A verdict that overturns the design's choice is
not left to bench's timing of the design's side, taken minutes earlier on a shared machine:
both sides are timed again, one after the other, and the verdict is made on those.

The comparison is symmetric: a large table the design left as one table
(partitioning/candidate.py) is timed the same way against its best candidate scheme, the
design's side being the one table, so "not partitioned" is backed by both numbers too, or by
why no scheme is possible.

Before loading, `for_generated_rows` gives range schemes the partitions their maintenance
function would have made over the span the generated rows cover (partitioning/steady.py):
otherwise every row older than go-live would sit in DEFAULT.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from schemawright import model as m
from schemawright.database import Database, DatabaseError, sandboxed_database
from schemawright.generation.columns import FUTURE_DAYS, HISTORY_DAYS, GenerationError
from schemawright.generation.run import generate, plan
from schemawright.partitioning.calendar import add_months, months_in
from schemawright.partitioning.candidate import best_candidate, large_unpartitioned
from schemawright.partitioning.steady import over_span, partitioned_tables, unpartitioned, with_schemes
from schemawright.partitioning.usage import table_usage
from schemawright.performance.results import BenchIndex, Latency, PatternBench
from schemawright.performance.rules import guarding_triggers, has_commit_checks
from schemawright.performance.timing import time_pattern
from schemawright.sql.postgresql import PostgresGenerator
from schemawright.sql.quoting import quote_ident
from schemawright.validation.plaintext import use_test_key
from schemawright.validation.run import STATEMENT_TIMEOUT_MS
from schemawright.validation.synthetic import design_enums
from schemawright.validation.values import base_date

TOLERANCE = 0.10  # two scratch databases time the same pattern within about this of each other
RETENTION_RUNS = 3  # the retention job is timed this often each way; the median counts

Say = Callable[[str], None]


@dataclass(frozen=True)
class PatternPair:
    name: str
    frequency: float
    partitioned: Latency | None
    plain: Latency | None
    error: str | None = None


@dataclass(frozen=True)
class RetentionPair:
    """Expiring the oldest partition's rows: DROP TABLE of it against DELETE from one table."""

    partition: str
    rows: int
    partitioned_ms: float
    plain_ms: float


@dataclass
class PartitionComparison:
    table: str
    scheme: str  # e.g. "range by loaned_at, 1 month"
    partitions: int  # partitions holding the generated rows' span, DEFAULT included
    rows: int
    scale: float = 1.0  # bench's scale: the declared volumes times this were loaded
    interval_days: float = 30.44  # range: how often the retention job expires one partition
    patterns: list[PatternPair] = field(default_factory=list)
    retention: RetentionPair | None = None
    error: str | None = None
    # True: the design partitions the table and one table is the alternative; False: a large
    # table the design left as one, tried with its best candidate scheme (`scheme`)
    design_partitioned: bool = True
    impossible: str | None = None  # one table because no scheme is possible: why
    confirmed: bool = False  # the verdict overturned the design, so both sides were timed again, back to back

    @property
    def overturns(self) -> bool:
        """The measurements say the design chose wrong: its scheme does not pay, or the one
        table's candidate would."""
        return self.pays is not None and self.pays != self.design_partitioned

    def work(self, side: str) -> float | None:
        """Milliseconds of work per second at the declared frequencies (p50 x frequency)."""
        pairs = [p for p in self.patterns if p.partitioned and p.plain]
        if not pairs:
            return None
        return sum(max(p.frequency, 1e-6) * getattr(p, side).p50 for p in pairs)

    def retention_saved_per_day(self) -> float | None:
        """Milliseconds a day DROP saves over DELETE at the declared volume: the job expires
        one partition's rows each interval, and DELETE's work grows with the rows (÷ scale)."""
        if self.retention is None:
            return None
        r = self.retention
        return (r.plain_ms / (self.scale or 1.0) - r.partitioned_ms) / self.interval_days

    def extra_per_day(self) -> float:
        """Milliseconds a day the patterns cost more partitioned, beyond the tolerance."""
        with_, without = self.work("partitioned"), self.work("plain")
        if with_ is None or without is None:
            return 0.0
        return max(with_ - without * (1 + TOLERANCE), 0.0) * 86_400

    @property
    def pays(self) -> bool | None:
        """True or False from the measurements; None when there was nothing to compare.  With a
        retention: what DROP saves a day must cover what the patterns lose a day; without one,
        the patterns must be faster."""
        saved = self.retention_saved_per_day()
        if saved is not None:
            return saved > 0 and saved >= self.extra_per_day()
        with_, without = self.work("partitioned"), self.work("plain")
        if with_ is None or without is None:
            return None
        return with_ < without * (1 - TOLERANCE)


def for_generated_rows(design: m.Design) -> m.Design:
    """`design` as it stands in steady state, for bench to load: a range scheme's key with a
    retention gets generated values over the retention only (older rows are gone by then),
    and each range scheme gets partitions over the span its key's generated values cover
    (generation/columns.py: two years before the data's anchor to a month after, or the
    column's `data.range`), as the maintenance function would have made them."""
    base = base_date()
    default = (base - timedelta(days=HISTORY_DAYS), base + timedelta(days=FUTURE_DAYS))
    spans = {}
    for table in partitioned_tables(design):
        scheme = table.partitioning
        key = table.column(scheme.columns[0]) if scheme else None
        if key is None or scheme is None or scheme.method != "range":
            continue
        span = _declared_range(design, key)
        if span is None and scheme.retention_months:
            span = (add_months(base, -scheme.retention_months), default[1])
            design = _with_data_range(design, key, span)
        spans[table.name] = span or default
    return over_span(design, spans)


def _with_data_range(design: m.Design, column: m.Column, span: tuple[date, date]) -> m.Design:
    """The attribute behind `column` generated over `span` (its other `data:` settings kept)."""
    entity_name, _, attr_name = (column.source or "").partition(".")
    entities = []
    for entity in design.entities:
        if entity.name == entity_name:
            entity = entity.model_copy(update={"attributes": tuple(
                a.model_copy(update={"data": (a.data or m.DataProfile()).model_copy(
                    update={"low": span[0].isoformat(), "high": span[1].isoformat()})}) if a.name == attr_name else a
                for a in entity.attributes)})
        entities.append(entity)
    return design.model_copy(update={"entities": tuple(entities)})


def _declared_range(design: m.Design, column: m.Column) -> tuple[date, date] | None:
    entity_name, _, attr_name = (column.source or "").partition(".")
    entity = next((e for e in design.entities if e.name == entity_name), None)
    attr = next((a for a in entity.attributes if a.name == attr_name), None) if entity else None
    data = attr.data if attr is not None else None
    if data is None or data.low is None or data.high is None:
        return None
    try:
        return date.fromisoformat(str(data.low)[:10]), date.fromisoformat(str(data.high)[:10])
    except ValueError:
        return None


def compare_partitioning(db: Database, design: m.Design, server_url: str, scale: float, *, seed: int, runs: int,
                         warmup: int, indexes: list[BenchIndex], measured: list[PatternBench],
                         say: Say | None = None) -> list[PartitionComparison]:
    """Time every partitioned table's patterns (`measured`: bench's timings on `db`, the
    design, loaded) and retention job on a second scratch database with the same design
    unpartitioned; and every large table the design left as one table against its best
    candidate scheme (partitioning/candidate.py) on a third, or say why no scheme is possible."""
    timing = dict(seed=seed, runs=runs, warmup=warmup, indexes=indexes, measured={p.name: p for p in measured},
                  say=say or (lambda _text: None))
    out = _against(db, design, unpartitioned(design), partitioned_tables(design), server_url, scale,
                   design_partitioned=True, **timing)  # type: ignore[arg-type]
    tried = []
    for table in large_unpartitioned(design):
        candidate, said = best_candidate(design, table)
        if candidate is None:
            out.append(PartitionComparison(table.name, "", 0, _rows(db, table.name), scale, design_partitioned=False,
                                           impossible=said))
        else:
            tried.append(candidate)
    if tried:
        alternative = over_span(with_schemes(design, tried), _spans(db, tried))
        out += _against(db, design, alternative, [alternative.table(t.name) for t in tried], server_url, scale,
                        design_partitioned=False, **timing)  # type: ignore[arg-type]
    return out


def _against(db: Database, design: m.Design, other_design: m.Design, tables: list[m.Table], server_url: str,
             scale: float, *, design_partitioned: bool, seed: int, runs: int, warmup: int, indexes: list[BenchIndex],
             measured: dict[str, PatternBench], say: Say) -> list[PartitionComparison]:
    """`tables` (each with its scheme) compared partitioned and as one table: `db` holds the
    design's side, a second scratch database the same rows as `other_design`; which side is
    partitioned is `design_partitioned`."""
    if not tables:
        return []
    out = [_comparison(db, t, scale, design_partitioned) for t in tables]
    say("Loading the same rows into a design " + ("without partitioning" if design_partitioned else
                                                  "with " + ", ".join(t.name for t in tables) + " partitioned"))
    try:
        with sandboxed_database(server_url, design.extensions) as box:
            generate(other_design, box.url, scale, seed, counts=_needed_rows(other_design, tables, scale))
            with Database(box.url, statement_timeout_ms=STATEMENT_TIMEOUT_MS) as other:
                use_test_key(other, other_design)
                with other.untimed():  # grows with the data: minutes at full volume
                    for index in indexes:
                        if index.source == "advisor":
                            other.execute(index.definition)
                    other.execute("VACUUM (ANALYZE) " + ", ".join(quote_ident(t.name) for t in other_design.tables))
                enums = design_enums(design)
                for table, found in zip(tables, out):
                    say(f"Timing {table.name} partitioned and as one table")
                    _time_patterns(other, design, other_design, table, found, measured, runs=runs,
                                   warmup=warmup, seed=seed, enums=enums)
                    if table.partitioning and table.partitioning.retention_months and \
                            table.partitioning.maintenance_function:
                        found.retention = _retention(db, other, table) if design_partitioned else \
                            _retention(other, db, table)
                    if found.overturns:  # bench's timing of the design's side may be minutes old: again, beside
                        say(f"Timing {table.name} again on both sides, one after the other")
                        found.patterns.clear()
                        _time_patterns(other, design, other_design, table, found, measured, runs=runs, warmup=warmup,
                                       seed=seed, enums=enums, again_on=db)
                        found.confirmed = True
    except (DatabaseError, GenerationError) as error:  # the other side could not be made: said, not fatal
        for found in out:
            found.error = found.error or f"could not compare: {error}"
    return out


def _needed_rows(design: m.Design, tables: list[m.Table], scale: float) -> dict[str, int]:
    """Rows per table for the other side: the compared tables, the tables their patterns read
    and every table those reference, at the scale; none elsewhere.  At the declared volume the
    other side is a second copy of the data (shop: 114 M rows, 34 GiB), most of it never read
    there.  Each table's rows come from its own seeded draws, so they are the design side's."""
    wanted = {t.name for t in tables}
    for table in tables:
        for use in table_usage(design, table.name):
            wanted |= set(use.pattern.tables or ())
    todo = list(wanted)
    while todo:  # and what they reference, for their foreign keys
        found = design.table(todo.pop())
        for fk in found.foreign_keys if found is not None else ():
            if fk.ref_table not in wanted:
                wanted.add(fk.ref_table)
                todo.append(fk.ref_table)
    return {name: (rows if name in wanted else 0) for name, rows in plan(design, scale).items()}


def _spans(db: Database, tables: list[m.Table]) -> dict[str, tuple[date, date]]:
    """The days a range candidate's key covers in the loaded rows: its partitions are made over
    them, so the same rows land in partitions and not in DEFAULT."""
    out = {}
    for table in tables:
        scheme = table.partitioning
        if scheme is None or scheme.method != "range":
            continue
        key = quote_ident(scheme.columns[0])
        with db.untimed():  # the key may have no index: a full scan at the declared volume
            first, last = db.query(f"SELECT min({key})::date, max({key})::date FROM {quote_ident(table.name)}")[0]
        if first is not None:
            out[table.name] = (first, last)
    return out


def _rows(db: Database, table: str) -> int:
    with db.untimed():  # a full count: tens of seconds on a full-volume table
        return int(db.query_value(f"SELECT count(*) FROM {quote_ident(table)}"))


def _comparison(db: Database, table: m.Table, scale: float, design_partitioned: bool) -> PartitionComparison:
    scheme = table.partitioning
    assert scheme is not None
    what = f"{scheme.method} by {', '.join(scheme.columns)}" + (f", {scheme.interval}" if scheme.interval else "")
    days = months_in(scheme.interval) * 30.44 if scheme.interval else 30.44
    return PartitionComparison(table.name, what, len(scheme.partitions), _rows(db, table.name), scale, days,
                               design_partitioned=design_partitioned)


def _time_patterns(other: Database, design: m.Design, other_design: m.Design, table: m.Table,
                   found: PartitionComparison, measured: dict[str, PatternBench], *, again_on: Database | None = None,
                   **timing: object) -> None:
    """Each pattern on `table`: bench's timing of it on the design (or, with `again_on`, a new
    one there just before), and the same on `other`."""
    for number, use in enumerate(table_usage(design, table.name)):
        pattern = use.pattern
        mine = measured.get(pattern.name)
        if mine is None:
            continue
        # as bench timed it: a write its business rules guard fires the checks deferred to commit too
        checks = bool(guarding_triggers(design, pattern)) and has_commit_checks(design)
        if again_on is not None:
            mine = time_pattern(again_on, design, pattern, statement=f"sw_again_{number}", commit_checks=checks,
                                **timing)  # type: ignore[arg-type]
        theirs = time_pattern(other, other_design, pattern, statement=f"sw_part_{number}", commit_checks=checks,
                              **timing)  # type: ignore[arg-type]
        with_, without = (mine, theirs) if found.design_partitioned else (theirs, mine)
        found.patterns.append(PatternPair(pattern.name, pattern.frequency or 0.0, with_.latency, without.latency,
                                          with_.error or without.error))


_LEAVES = """
SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = %s::regclass ORDER BY c.relname
"""


def _retention(db: Database, other: Database, table: m.Table) -> RetentionPair | None:
    """The oldest partition holding rows, dropped; the same rows deleted from the one table."""
    scheme = table.partitioning
    assert scheme is not None
    bounds = {p.name: p.bound for p in scheme.partitions if p.bound.kind == "range"}
    leaves = [name for name, _bound in db.query(_LEAVES, [quote_ident(table.name)]) if name in bounds]
    oldest = next((n for n in sorted(leaves, key=lambda n: bounds[n].lower)
                   if db.query_value(f"SELECT EXISTS (SELECT 1 FROM {quote_ident(n)})")), None)
    if oldest is None:
        return None
    rows = int(db.query_value(f"SELECT count(*) FROM {quote_ident(oldest)}"))
    key, upper = quote_ident(scheme.columns[0]), bounds[oldest].upper[0]
    dropped = _timed(db, PostgresGenerator().drop_table_sql(oldest))
    deleted = _timed(other, f"DELETE FROM {quote_ident(table.name)} WHERE {key} < {upper}")
    return RetentionPair(oldest, rows, dropped, deleted)


def _timed(db: Database, sql: str) -> float:
    samples = []
    for _ in range(RETENTION_RUNS):
        with db.transaction(rollback=True):
            start = time.perf_counter()
            db.execute(sql)
            samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)
