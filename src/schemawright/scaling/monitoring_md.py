"""The monitoring plan's part of operations.md."""

from __future__ import annotations

from typing import TYPE_CHECKING

from schemawright.scaling.monitoring_queries import PATTERN_TAG

if TYPE_CHECKING:
    from schemawright.scaling.monitoring import MonitoringPlan


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def monitoring_markdown(plan: MonitoringPlan) -> list[str]:
    from schemawright.scaling.monitoring import ALERTS, QUERIES, TESTS

    out = [f"Prometheus alert rules in `{ALERTS}`, with promtool unit tests in `{TESTS}` (each alert once "
           "firing and once quiet; `validate --operations` runs `promtool check rules` and `promtool test rules`). "
           "They read [postgres_exporter](https://github.com/prometheus-community/postgres_exporter):", "",
           "- its default collectors: `pg_up`, `pg_database_size_bytes`, `pg_stat_database_numbackends`, "
           "`pg_settings_max_connections`, `pg_stat_user_tables_n_live_tup` / `_n_dead_tup`, "
           "`pg_replication_is_replica`, and on the primary `pg_stat_replication_pg_wal_lsn_diff` (replay lag in "
           "bytes) and `pg_stat_replication_pg_current_wal_lsn_bytes`;",
           "- `--collector.database_wraparound` (off by default): `pg_database_wraparound_age_datfrozenxid_seconds` "
           "(an age in transactions, despite the name);",
           f"- `--extend.query-path` with `{QUERIES}`: "
           + ("`schemawright_partitions_ahead_seconds` (how far the newest partition reaches past now) and "
              if plan.range_tables else "")
           + "`schemawright_pattern_calls` / `_seconds` / `_stddev_seconds` per access pattern from "
             "pg_stat_statements (`shared_preload_libraries = 'pg_stat_statements'` and `CREATE EXTENSION "
             "pg_stat_statements`).", ""]
    if plan.tagged_patterns:
        out += ["**Latency alerts need the application's help.** pg_stat_statements identifies statements by a hash "
                "of their shape, not by the pattern they implement, so the application sends each pattern's SQL "
                f"with a leading comment, e.g. `{PATTERN_TAG.format(name=plan.tagged_patterns[0])} SELECT ...`; "
                "pg_stat_statements keeps the text of the first execution, comment included, and the custom query "
                "groups rows by it. The exporter's own stat_statements collector "
                "(`pg_stat_statements_calls_total`, `pg_stat_statements_seconds_total` by queryid) has no pattern "
                "name and no standard deviation, so these rules do not use it. **The p95 is approximated**: "
                "pg_stat_statements keeps totals, a mean and a standard deviation, not quantiles, so the rule "
                "takes the last 10 minutes' mean (from the counters' rates) plus 1.645 standard deviations (the "
                "95th percentile of a normal distribution). Latencies have longer tails than that, and the "
                "standard deviation covers everything since the statistics were last reset, so the alert can miss "
                "a p95 breach that a histogram in the application (or `bench`) would show; it is a tripwire, not "
                "a measurement.", ""]
    out += ["| alert | expression | threshold | why |", "|---|---|---|---|"]
    for alert in plan.alerts:
        name = alert.name + "".join(f" ({v})" for v in alert.labels.values())
        out.append(f"| {_cell(name)} ({alert.severity}) | `{_cell(alert.expr)}` | {_cell(alert.threshold)} | "
                   f"{_cell(alert.why)} |")
    return out
