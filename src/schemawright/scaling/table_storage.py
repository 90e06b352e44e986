"""Per-table storage parameters from each table's write rate (a pipeline stage: pure Design -> Design).

PostgreSQL's autovacuum defaults are one size for every table: VACUUM once 20 % of its rows
are dead (autovacuum_vacuum_scale_factor 0.2, + 50), ANALYZE once 10 % changed.  On a
14-million-row table updated 45 times a second that is 2.8 million dead rows, 17 hours
apart: bloat, and a long vacuum when it comes.  So a table whose UPDATEs and DELETEs would
take longer than VACUUM_EVERY_S to reach the default gets the scale factor that vacuums it
about once per VACUUM_EVERY_S at its peak rate (never below MIN_SCALE: a full scan of the
table's changed pages each time costs too); ANALYZE likewise from all its writes, so new keys
and recent timestamps reach the statistics within the hour.

fillfactor: an UPDATE that sets no indexed column may write the new row version on the same
page (a HOT update: no index entries, and the old version is pruned without VACUUM) only
when the page has room.  A table whose UPDATEs can be HOT gets free space for the share of
its rows updated between two vacuums (at least 5 %, at most 30 %).
"""

from __future__ import annotations

import math
import re

from schemawright import model as m
from schemawright.scaling.tuning_workload import TableLoad, table_loads

VACUUM_EVERY_S = 3600
DEFAULT_VACUUM_SCALE, DEFAULT_ANALYZE_SCALE, VACUUM_THRESHOLD = 0.2, 0.1, 50
MIN_SCALE = 0.01
MIN_ROOM, MAX_ROOM = 0.05, 0.30
STEP = "scaling"


def tune_table_storage(design: m.Design) -> m.Design:
    loads = table_loads(design)
    tables, decisions = [], []
    for table in design.tables:
        load = loads[table.name]
        parameters: dict[str, str] = {}
        for name, value, reason in storage_parameters(design, table, load):
            parameters[name] = value
            where = " (on each partition: a partitioned table holds no rows; partitions its maintenance function " \
                    "creates later need ALTER TABLE ... SET)" if table.partitioning else ""
            decisions.append(m.Decision(step=STEP, subject=table.name, choice=f"{name} = {value}",
                                        reason=reason + where))
        tables.append(table.model_copy(update={"storage": tuple(sorted(parameters.items()))}) if parameters else table)
    if not decisions:
        return design
    return design.model_copy(update={"tables": tuple(tables), "decisions": (*design.decisions, *decisions)})


def storage_parameters(design: m.Design, table: m.Table, load: TableLoad) -> list[tuple[str, str, str]]:
    """(parameter, value, reason) for `table`; empty when PostgreSQL's defaults fit its writes."""
    rows = load.rows
    if rows <= 0:
        return []
    out = []
    vacuum = _trigger(load.churn, rows, DEFAULT_VACUUM_SCALE)
    if vacuum is not None:
        scale, threshold = vacuum
        default_hours = (DEFAULT_VACUUM_SCALE * rows + VACUUM_THRESHOLD) / load.churn / 3600
        out += _parameters("vacuum", scale, threshold,
                           f"{load.churn:g} rows/s updated or deleted at peak ({', '.join(load.updaters)}) on "
                           f"{rows:,} rows: the default waits for {DEFAULT_VACUUM_SCALE * rows:,.0f} dead rows "
                           f"({default_hours:.1f} h); this vacuums about every "
                           f"{_interval(scale * rows + threshold, load.churn)}")
    writes = load.inserts + load.churn
    analyze = _trigger(writes, rows, DEFAULT_ANALYZE_SCALE)
    if analyze is not None:
        scale, threshold = analyze
        out += _parameters("analyze", scale, threshold,
                           f"{writes:g} rows/s written at peak on {rows:,} rows: the default re-reads statistics "
                           f"after {DEFAULT_ANALYZE_SCALE * rows / writes / 3600:.1f} h, while new keys and "
                           f"timestamps beyond the histogram get the planner's guesses; this analyzes about every "
                           f"{_interval(scale * rows + threshold, writes)}")
    fillfactor = _fillfactor(design, table, load, vacuum[0] if vacuum else DEFAULT_VACUUM_SCALE)
    if fillfactor is not None:
        out.append(fillfactor)
    return out


def _trigger(rate: float, rows: int, default_scale: float) -> tuple[float, int] | None:
    """(scale factor, threshold) that trigger about once per VACUUM_EVERY_S at `rate` rows/s;
    None when the default triggers sooner.  Below MIN_SCALE a share of the table would make a
    rule that tightens as the table grows: a fixed number of rows instead (scale factor 0)."""
    if rate <= 0:
        return None
    per_interval = rate * VACUUM_EVERY_S
    scale = per_interval / rows
    if scale >= default_scale:
        return None
    if scale >= MIN_SCALE:
        return _two_digits(scale), VACUUM_THRESHOLD
    return 0.0, max(VACUUM_THRESHOLD, int(_two_digits(per_interval)))


def _parameters(kind: str, scale: float, threshold: int, reason: str) -> list[tuple[str, str, str]]:
    out = [(f"autovacuum_{kind}_scale_factor", _number(scale), reason)]
    if threshold != VACUUM_THRESHOLD:
        out.append((f"autovacuum_{kind}_threshold", str(threshold),
                    f"with scale factor 0: a fixed {threshold:,} changed rows (an hour at the peak rate, at least "
                    f"{VACUUM_THRESHOLD}) instead of a share of a table that keeps growing"))
    return out


def _fillfactor(design: m.Design, table: m.Table, load: TableLoad, vacuum_scale: float) -> tuple[str, str, str] | None:
    if load.updates <= 0:
        return None
    indexed = indexed_columns(design, table)
    blocking = sorted(load.updated_columns & indexed)
    if blocking:  # no HOT update possible: free space would only make the table bigger
        return None
    # Between two vacuums about vacuum_scale x rows row versions are written; updates spread
    # over the pages, so each page needs about that share of its space free.
    share = min(1.0, vacuum_scale * load.updates / load.churn + VACUUM_THRESHOLD / load.rows)
    room = min(MAX_ROOM, max(MIN_ROOM, share))
    value = 100 - 5 * math.ceil(room * 100 / 5)
    columns = ", ".join(sorted(load.updated_columns)) or "its columns"
    return ("fillfactor", str(value),
            f"{load.updates:g} UPDATEs/s at peak set {columns}, which no index covers, so each can be a HOT update "
            f"(no index entries, pruned without VACUUM) when the row's page has room; about {share:.0%} of the rows "
            f"are updated between two vacuums, so {100 - value} % of each page is kept free")


def indexed_columns(design: m.Design, table: m.Table) -> set[str]:
    """Columns any index of `table` reads (keys, INCLUDE, expressions, partial predicates): an
    UPDATE setting one of them cannot be HOT."""
    names = {c.name for c in table.columns}
    found: set[str] = set(table.primary_key.columns if table.primary_key else ())
    for unique in table.uniques:
        found |= {*unique.columns, *unique.include}
    texts = [e.definition for e in table.exclusions]
    for index in design.indexes_on(table.name):
        texts += [c.expression for c in index.columns] + list(index.include) + [index.where or ""]
    for text in texts:
        found |= {quoted or plain for quoted, plain in re.findall(r'"([^"]+)"|(\w+)', text)} & names
    return found


def _two_digits(value: float) -> float:
    return float(f"{value:.2g}")


def _number(value: float) -> str:
    return f"{value:g}"


def _interval(changes: float, rate: float) -> str:
    seconds = changes / rate
    return f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds / 60:.0f} min"
