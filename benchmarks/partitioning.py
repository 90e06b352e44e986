"""What range partitioning by time buys a time series: the same rows, partitioned and plain.

    python benchmarks/partitioning.py                 # 2,000,000 readings over 17 weeks
    python benchmarks/partitioning.py --rows 5000000 --runs 30

One spec, designed twice: `partition: {by: range, key: recorded_at, ...}` (weekly partitions)
and `partition: none`.  `schemawright generate` fills both with the same rows (same seed)
on a freshly started embedded PostgreSQL.  Then, on each:

1. retention: removing the oldest week (DROP TABLE of its partition, against DELETE of the
   same rows plus the VACUUM that a DELETE needs before the space is reused);
2. the access patterns' shapes, p50/p95 over --runs executions after one warm-up (with
   literal values, so every run is planned, which is where partitions cost something):
   the last hours of one sensor (index range scan either way), one hour rolled up over all
   sensors (the roll-up job), and one week aggregated (a partition scan against an index
   scan of the big table);
3. whether the EXPLAIN pruning check of `validate` passes on the partitioned design.

Query times are the server's own (EXPLAIN ANALYZE planning + execution time): the machine is
shared, and client round trips would mostly measure the neighbours.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _report import print_table  # noqa: E402

from schemawright.database import Database, embedded_server, scratch_database  # noqa: E402
from schemawright.generation import generate  # noqa: E402
from schemawright.partitioning.pruning import partition_checks  # noqa: E402
from schemawright.pipeline import design_from_spec  # noqa: E402
from schemawright.pipeline import parse_spec  # noqa: E402
from schemawright.sql.postgresql import render_up  # noqa: E402

# 17 weeks of readings from 2025-12-01 (a Monday); the anchor puts weekly partitions over all
# of them (3 months back, 4 weeks ahead), so no row lands in DEFAULT.  No unique rule on
# (sensor_id, recorded_at): the generator keeps unique keys by giving consecutive times,
# which would pack the rows into the first days instead of spreading them over the range.
SPEC = """
project: partition_bench
entities:
  Sensor:
    attributes:
      name: {type: string, max_length: 40, required: true}
  Reading:
    PARTITION
    attributes:
      recorded_at: {type: timestamp, required: true, data: {range: [2025-12-01, 2026-03-29]}}
      value: {type: decimal, precision: 10, scale: 2, required: true}
      quality: {type: enum, values: [good, suspect, bad], required: true}
relationships:
  - {from: Sensor, to: Reading, type: one-to-many, on_delete: cascade}
access_patterns:
  - name: recent_readings_for_sensor
    query: SELECT recorded_at, value FROM readings WHERE sensor_id = :sensor_id AND recorded_at >= :since
  - name: roll_up_hour
    query: |
      SELECT sensor_id, avg(value) FROM readings
      WHERE recorded_at >= :hour_start AND recorded_at < :hour_end GROUP BY sensor_id
volumes:
  Sensor: {rows: 2000}
  Reading: {rows: ROWS, growth_per_month: 180000000, retention_months: 3}
"""
PARTITIONED = "partition: {by: range, key: recorded_at, interval: 1 week, anchor: 2026-03-02}"
PLAIN = "partition: none"

QUERIES = {
    "last 6 hours of one sensor": "SELECT recorded_at, value FROM readings WHERE sensor_id = 7 "
                                  "AND recorded_at >= '2026-03-20 00:00+00' AND recorded_at < '2026-03-20 06:00+00'",
    "one hour, all sensors (roll-up)": "SELECT sensor_id, avg(value) FROM readings WHERE recorded_at >= "
                                       "'2026-02-10 10:00+00' AND recorded_at < '2026-02-10 11:00+00' GROUP BY 1",
    "one week aggregated": "SELECT quality, count(*), avg(value) FROM readings WHERE recorded_at >= "
                           "'2026-02-09 00:00+00' AND recorded_at < '2026-02-16 00:00+00' GROUP BY 1",
}


def _timed(db: Database, sql: str, runs: int) -> tuple[float, float, float]:
    """p50 and p95 of the server's planning + execution time, and the p50 of planning alone.
    Server-side times, because the machine is shared and client round trips are noisy."""
    totals, planning = [], []
    for i in range(runs + 1):
        plan = db.query_value(f"EXPLAIN (ANALYZE, SUMMARY, FORMAT JSON) {sql}")[0]
        if i:
            totals.append(plan["Planning Time"] + plan["Execution Time"])
            planning.append(plan["Planning Time"])
    totals.sort()
    planning.sort()
    return totals[len(totals) // 2], totals[max(0, -(-95 * len(totals) // 100) - 1)], planning[len(planning) // 2]


def _expire_oldest_week(db: Database, partitioned: bool) -> tuple[float, int]:
    """Seconds to remove the week starting 2025-12-01, and rows removed (rolled back after)."""
    with db.transaction(rollback=True):
        rows = db.query_value("SELECT count(*) FROM readings WHERE recorded_at < '2025-12-08 00:00+00'")
        start = time.perf_counter()
        if partitioned:
            db.execute("DROP TABLE readings_p20251201")
        else:
            db.execute("DELETE FROM readings WHERE recorded_at < '2025-12-08 00:00+00'")
        seconds = time.perf_counter() - start
    return seconds, rows


def _vacuum_after_delete(db: Database) -> float:
    """A DELETE only marks rows dead; VACUUM is what makes the space reusable."""
    db.execute("DELETE FROM readings WHERE recorded_at < '2025-12-08 00:00+00'")
    start = time.perf_counter()
    db.execute("VACUUM readings")
    return time.perf_counter() - start


def run(server: str, rows: int, runs: int) -> None:
    results: dict[str, dict[str, tuple[float, float, float]]] = {}
    expiry: dict[str, str] = {}
    for label, option in (("partitioned", PARTITIONED), ("plain", PLAIN)):
        spec = SPEC.replace("ROWS", str(rows)).replace("PARTITION", option)
        design = design_from_spec(parse_spec(spec, f"{label}.yaml"))
        assert (design.table("readings").partitioning is not None) == (label == "partitioned")
        with scratch_database(server) as url:
            with Database(url) as db:
                db.execute(render_up(design))
            loaded = generate(design, url, scale=1.0, seed=1)
            with Database(url) as db:
                if label == "partitioned":
                    in_default = db.query_value("SELECT count(*) FROM readings_default")
                    parts = db.query_value("SELECT count(*) FROM pg_inherits WHERE inhparent = 'readings'::regclass")
                    print(f"partitioned: {loaded.rows:,} rows loaded in {loaded.seconds:.1f} s, {parts} partitions, "
                          f"{in_default:,} rows in DEFAULT")
                    for check in partition_checks(db, design):
                        print(f"  {check.status} {check.name}: {check.detail}")
                else:
                    print(f"plain: {loaded.rows:,} rows loaded in {loaded.seconds:.1f} s")
                results[label] = {name: _timed(db, sql, runs) for name, sql in QUERIES.items()}
                seconds, removed = _expire_oldest_week(db, label == "partitioned")
                expiry[label] = f"{seconds * 1000:,.1f} ms for {removed:,} rows"
                if label == "plain":
                    expiry["plain, then VACUUM"] = f"{_vacuum_after_delete(db) * 1000:,.1f} ms more"
    print()
    print(f"access-pattern shapes, {runs} runs each after one warm-up: server planning + execution, ms "
          "(p50 / p95; planning p50)")
    print_table(["query", "partitioned", "plain"], [
        [name, "%.2f / %.2f; %.2f" % results["partitioned"][name], "%.2f / %.2f; %.2f" % results["plain"][name]]
        for name in QUERIES])
    print()
    print("retention: remove the oldest week")
    print_table(["table", "time"], [[k, v] for k, v in expiry.items()])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs; embedded PostgreSQL; {args.rows:,} readings")
    with embedded_server() as server:
        with Database(server) as db:
            print(f"PostgreSQL {db.query_value('SHOW server_version')}")
        run(server, args.rows, args.runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
