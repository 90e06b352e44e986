"""The alert rules, each with its reason and the promtool cases that show it firing and quiet.

Every rule reads postgres_exporter's metrics (prometheus-community/postgres_exporter):

- default collectors: `pg_up`; database (`pg_database_size_bytes{datname}`); stat_database
  (`pg_stat_database_numbackends{datname}`); stat_user_tables (`pg_stat_user_tables_n_live_tup`,
  `pg_stat_user_tables_n_dead_tup` by datname, schemaname, relname); replication
  (`pg_replication_is_replica`); the built-in pg_stat_replication map on the primary
  (`pg_stat_replication_pg_wal_lsn_diff`, replay lag in bytes, and
  `pg_stat_replication_pg_current_wal_lsn_bytes`, by application_name); settings
  (`pg_settings_max_connections`);
- `--collector.database_wraparound` (off by default): `pg_database_wraparound_age_datfrozenxid_seconds`
  (despite its name, an age in transactions);
- the custom queries in monitoring/queries.yml (`--extend.query-path`): partitions ahead and
  per-pattern pg_stat_statements figures (`schemawright_*`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

INSTANCE = {"instance": "db:9187", "job": "postgres"}  # the labels every test series carries


@dataclass(frozen=True)
class Case:
    """One promtool unit test: these series, evaluated at `at`, give these alerts (none: quiet)."""

    name: str
    series: tuple[tuple[str, str], ...]  # (series with labels, promtool values notation)
    at: str
    fires: tuple[dict[str, str], ...] = ()  # the alerts' labels besides the rule's own
    interval: str = "1m"  # between the values of each series


@dataclass(frozen=True)
class Alert:
    name: str
    expr: str
    wait: str  # `for:`
    severity: str
    summary: str  # static (promtool compares annotations exactly)
    threshold: str  # in words, for operations.md
    why: str
    cases: tuple[Case, ...]
    labels: dict[str, str] = field(default_factory=dict)  # static labels besides severity

    def rule(self) -> dict:
        return {"alert": self.name, "expr": self.expr, "for": self.wait,
                "labels": {"severity": self.severity, **self.labels},
                "annotations": {"summary": self.summary, "threshold": self.threshold}}


def series(name: str, labels: dict[str, str] | None = None) -> str:
    """A test series in PromQL notation, with the test instance's labels."""
    merged = {**INSTANCE, **(labels or {})}
    return name + "{" + ", ".join(f'{k}="{v}"' for k, v in merged.items()) + "}"


def steady(name: str, labels: dict[str, str] | None, value: float, steps: int) -> tuple[str, str]:
    """A test series holding `value` for `steps` + 1 samples."""
    return series(name, labels), f"{value if isinstance(value, int) else format(value, 'g')}x{steps}"


def at(labels: dict[str, str] | None = None) -> dict[str, str]:
    """Labels of a firing alert built `by (instance, ...)` (job aggregated away)."""
    return {"instance": INSTANCE["instance"], **(labels or {})}


def label_value(text: str) -> str:
    """`text` inside a double-quoted PromQL string (an equality matcher)."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def regex_escape(text: str) -> str:
    """`text` as a literal inside a PromQL (RE2) regular expression and a double-quoted string."""
    out = "".join("\\" + c if c in ".+*?()|[]{}^$\\" else c for c in text)
    return out.replace("\\", "\\\\").replace('"', '\\"')


def up() -> Alert:
    return Alert(
        "PostgresDown", "pg_up == 0", "1m", "critical", "postgres_exporter cannot reach PostgreSQL",
        "pg_up = 0 for 1 minute",
        "Every other alert reads the exporter's scrape of the server; when it cannot connect they all go silent.",
        (Case("fires when the exporter cannot connect", ((series("pg_up"), "0x10"),), "5m", (dict(INSTANCE),)),
         Case("quiet while it can", ((series("pg_up"), "1x10"),), "5m")))


def replica_missing(replicas: int, rpo_seconds: int | None) -> Alert:
    critical = rpo_seconds == 0
    expr = ("(count by (instance) (pg_stat_replication_pg_wal_lsn_diff) or on (instance) "
            f"sum by (instance) (pg_replication_is_replica == 0)) < {replicas}")
    why = (f"The plan runs {replicas} streaming replica(s). "
           + ("With RPO 0 every commit waits for the synchronous standby: without it writes stop (or, with several "
              "candidates, the margin is gone)." if critical else
              "A standby that is gone stops receiving WAL: the RPO and the failover rest on it."))
    primary = (series("pg_replication_is_replica"), "0x10")
    connected = tuple((series("pg_stat_replication_pg_wal_lsn_diff", {"application_name": f"replica{i}"}), "0x10")
                      for i in range(1, replicas + 1))
    return Alert(
        "PostgresReplicaMissing", expr, "2m", "critical" if critical else "warning",
        "fewer streaming replicas than planned", f"fewer than {replicas} rows in pg_stat_replication for 2 minutes",
        why,
        (Case("fires with a replica missing", (primary, *connected[:-1]), "5m", (at(),)),
         Case("quiet with every replica streaming", (primary, *connected), "5m")))


def replication_lag(rpo_seconds: int | None) -> Alert:
    """Seconds of WAL a replica has not replayed, at the primary's current write rate."""
    threshold = max(rpo_seconds / 2, 1.0) if rpo_seconds else 1.0
    expr = ("max by (instance, application_name) (pg_stat_replication_pg_wal_lsn_diff) / on (instance) group_left "
            "clamp_min(max by (instance) (rate(pg_stat_replication_pg_current_wal_lsn_bytes[5m])), 1) "
            f"> {threshold:g}")
    why = ("Bytes a replica has not replayed, divided by the bytes of WAL the primary writes a second, is how many "
           "seconds of commits a failover to it would lose or wait for. "
           + (f"Half the RPO ({rpo_seconds} s) leaves time to act before it is spent."
              if rpo_seconds else "With RPO 0 no commit is lost (synchronous), but replay lag is time a failover "
                                  "waits before the standby serves: over 1 s it eats into the RTO."))
    rate = 1000  # WAL bytes a second in the tests
    wal = (series("pg_stat_replication_pg_current_wal_lsn_bytes", {"application_name": "replica1"}),
           f"0+{rate * 60}x20")

    def behind(seconds: float) -> tuple[str, str]:
        return steady("pg_stat_replication_pg_wal_lsn_diff", {"application_name": "replica1"}, int(rate * seconds), 20)

    return Alert(
        "PostgresReplicationLagOverRPO", expr, "1m", "critical", "a replica is further behind than the RPO allows",
        f"over {threshold:g} s of WAL not replayed for 1 minute", why,
        (Case("fires when a replica is twice the threshold behind", (wal, behind(threshold * 2)), "10m",
              (at({"application_name": "replica1"}),)),
         Case("quiet when it is a quarter behind", (wal, behind(threshold / 4)), "10m")))


def connections() -> Alert:
    expr = ("sum by (instance) (pg_stat_database_numbackends) / max by (instance) (pg_settings_max_connections) "
            "> 0.8")
    limit = steady("pg_settings_max_connections", None, 100, 10)

    def numbackends(n: int) -> tuple[str, str]:
        return steady("pg_stat_database_numbackends", {"datname": "app"}, n, 10)

    return Alert(
        "PostgresConnectionsNearMax", expr, "5m", "warning", "connections above 80 % of max_connections",
        "backends over 80 % of max_connections for 5 minutes",
        "Past max_connections new connections are refused; the pool plan sizes connections well below it, so "
        "nearing it means a pool is misconfigured or clients bypass it.",
        (Case("fires at 90 of 100", (numbackends(90), limit), "10m", (at(),)),
         Case("quiet at 50 of 100", (numbackends(50), limit), "10m")))


WRAPAROUND_AGE = 1_000_000_000  # about half of the 2^31 transaction IDs before the server refuses writes
XID_LIMIT = 2 ** 31 - 3_000_000  # where PostgreSQL stops assigning transaction IDs (xidStopLimit)


def wraparound(write_rate: float) -> Alert:
    expr = f"max by (instance, datname) (pg_database_wraparound_age_datfrozenxid_seconds) > {WRAPAROUND_AGE}"
    margin = ""
    if write_rate > 0:
        days = (XID_LIMIT - WRAPAROUND_AGE) / write_rate / 86_400
        margin = (f" At the patterns' average write rate ({write_rate:,.1f} transactions/s) that leaves "
                  f"{days:,.0f} days to find what holds VACUUM back.")

    def age(n: int) -> tuple[str, str]:
        return steady("pg_database_wraparound_age_datfrozenxid_seconds", {"datname": "app"}, n, 30)

    return Alert(
        "PostgresTransactionIdWraparound", expr, "10m", "critical",
        "the oldest unfrozen transaction ID is over a billion transactions old",
        f"age(datfrozenxid) over {WRAPAROUND_AGE:,} for 10 minutes",
        "Autovacuum freezes rows from autovacuum_freeze_max_age (200 million) on; an age five times that means "
        "freezing is blocked (a long transaction, an abandoned replication slot or prepared transaction); at "
        f"{XID_LIMIT:,} the server stops accepting writes.{margin}",
        (Case("fires at 1.2 billion", (age(1_200_000_000),), "20m", (at({"datname": "app"}),)),
         Case("quiet at 300 million", (age(300_000_000),), "20m")))


def bloat() -> Alert:
    expr = ("pg_stat_user_tables_n_dead_tup > 0.2 * (pg_stat_user_tables_n_live_tup + pg_stat_user_tables_n_dead_tup)"
            " and pg_stat_user_tables_n_dead_tup > 10000")
    table = {"datname": "app", "schemaname": "public", "relname": "orders"}

    def rows(live: int, dead: int) -> tuple[tuple[str, str], ...]:
        return (steady("pg_stat_user_tables_n_live_tup", table, live, 150),
                steady("pg_stat_user_tables_n_dead_tup", table, dead, 150))

    return Alert(
        "PostgresDeadRowsPilingUp", expr, "1h", "warning", "dead rows over 20 % of a table for an hour",
        "n_dead_tup over 20 % of the table's rows (and over 10,000) for 1 hour",
        "Dead row versions are bloat until VACUUM reclaims them; autovacuum starts at 20 % by default (sooner "
        "where the configuration sets a table's scale factor), so a share that stays above it for an hour means "
        "autovacuum is not keeping up or a long transaction holds the rows. The table grows past the capacity "
        "plan and scans read the dead rows.",
        (Case("fires at 40 % dead", rows(60_000, 40_000), "2h", ({**INSTANCE, **table},)),
         Case("quiet at 5 % dead", rows(95_000, 5_000), "2h")))


def default_partition(defaults: list[str]) -> Alert:
    names = "|".join(regex_escape(d) for d in sorted(defaults))
    expr = f'max by (instance, datname, relname) (pg_stat_user_tables_n_live_tup{{relname=~"{names}"}}) > 0'
    first = sorted(defaults)[0]

    def rows(n: int) -> tuple[tuple[str, str], ...]:
        return (steady("pg_stat_user_tables_n_live_tup", {"datname": "app", "schemaname": "public", "relname": first},
                       n, 30),)

    return Alert(
        "PostgresDefaultPartitionFilling", expr, "15m", "warning", "rows are landing in a DEFAULT partition",
        "any live row in " + ", ".join(f"`{d}`" for d in sorted(defaults)) + " for 15 minutes",
        "A row goes to the DEFAULT partition only when no partition takes it: the maintenance job did not create "
        "the partition ahead, or the row's key is out of range. Creating a partition for a range the DEFAULT "
        "holds rows of fails until they are moved, and the DEFAULT is scanned by every query that cannot prune it.",
        (Case("fires with rows in it", rows(5), "20m", (at({"datname": "app", "relname": first}),)),
         Case("quiet while empty", rows(0), "20m")))


def partitions_ahead(table: str, threshold_seconds: int, ahead_months: float) -> Alert:
    expr = (f'min by (instance, relname) (schemawright_partitions_ahead_seconds{{relname="{label_value(table)}"}}) '
            f"< {threshold_seconds}")

    def ahead(seconds: int) -> tuple[tuple[str, str], ...]:
        return (steady("schemawright_partitions_ahead_seconds", {"relname": table}, seconds, 60),)

    return Alert(
        "PostgresPartitionsAheadRunningOut", expr, "30m", "warning",
        "the partition maintenance job is not keeping partitions ahead",
        f"`{table}`: the last partition ends in under {threshold_seconds / 86_400:,.1f} days, for 30 minutes",
        f"The design creates `{table}`'s partitions {ahead_months:,.1f} months ahead and its maintenance job keeps "
        "them so; when the newest one ends sooner than half that (at least one interval) the job has stopped, and "
        "rows will go to the DEFAULT partition once the last one ends.",
        (Case("fires with a day left", ahead(86_400), "40m", (at({"relname": table}),)),
         Case("quiet with the planned horizon left", ahead(threshold_seconds * 2), "40m")),
        {"relname": table})


def growth(planned_day_bytes: int) -> Alert:
    """A day's growth (one whole daily cycle of the workload) against the plan's."""
    limit = int(planned_day_bytes * 1.5)
    expr = f"sum by (instance) (delta(pg_database_size_bytes[1d])) > {limit}"

    def hourly(day: int) -> tuple[tuple[str, str], ...]:  # one sample an hour, growing by a day's 24th
        return ((series("pg_database_size_bytes", {"datname": "app"}), f"0+{int(day / 24)}x40"),)

    return Alert(
        "PostgresGrowingFasterThanPlanned", expr, "1h", "warning",
        "the database grows faster than the capacity plan", f"over {limit:,} bytes in a day (1.5 x the plan)",
        f"The capacity plan expects about {planned_day_bytes:,} bytes a day; growing 1.5 times faster fills the "
        "disk the plan sized well before its 36 months (more rows than declared, wider values, or bloat). A day "
        "is one whole cycle of the workload, so quiet nights do not hide a busy day.",
        (Case("fires at twice the planned growth", hourly(planned_day_bytes * 2), "26h", (at(),), "1h"),
         Case("quiet at half of it", hourly(planned_day_bytes // 2), "26h", interval="1h")))


def beyond_plan(planned_bytes: int) -> Alert:
    expr = f"sum by (instance) (pg_database_size_bytes) > {planned_bytes}"

    def size(n: int) -> tuple[tuple[str, str], ...]:
        return (steady("pg_database_size_bytes", {"datname": "app"}, n, 90),)

    return Alert(
        "PostgresLargerThanPlanned", expr, "1h", "warning", "the database is larger than the capacity plan's 36 months",
        f"over {planned_bytes:,} bytes (the plan's data at 36 months)",
        "The disk was sized for the plan's 36-month data (plus rewrite room and WAL); past it the headroom is "
        "being spent: re-plan the disk before it fills.",
        (Case("fires 10 % over", size(int(planned_bytes * 1.1)), "80m", (at(),)),
         Case("quiet at half", size(planned_bytes // 2), "80m")))


Z95 = 1.645  # the normal distribution's 95th percentile, in standard deviations


def pattern_latency(pattern: str, target_ms: float) -> Alert:
    target = target_ms / 1000
    selector = f'{{pattern="{label_value(pattern)}"}}'
    expr = (f"sum by (instance) (rate(schemawright_pattern_seconds{selector}[10m])) "
            f"/ sum by (instance) (rate(schemawright_pattern_calls{selector}[10m])) "
            f"+ {Z95} * max by (instance) (schemawright_pattern_stddev_seconds{selector}) > {target:g}")

    def load(mean: float, stddev: float) -> tuple[tuple[str, str], ...]:
        labels = {"pattern": pattern}
        calls_a_minute = 600
        return ((series("schemawright_pattern_calls", labels), f"0+{calls_a_minute}x30"),
                (series("schemawright_pattern_seconds", labels), f"0+{calls_a_minute * mean:g}x30"),
                (series("schemawright_pattern_stddev_seconds", labels), f"{stddev:g}x30"))

    return Alert(
        "PostgresPatternSlowerThanTarget", expr, "10m", "warning", "an access pattern is slower than its p95 target",
        f"`{pattern}`: mean + {Z95} x stddev over {target_ms:g} ms for 10 minutes",
        f"`{pattern}`'s p95 target is {target_ms:g} ms; the p95 is approximated from pg_stat_statements' mean "
        "and standard deviation (see above).",
        (Case("fires at 1.2 x the target on average", load(target * 1.2, 0.0), "25m", (at({"pattern": pattern}),)),
         Case("quiet at half the target", load(target * 0.5, target * 0.1), "25m")),
        {"pattern": pattern})
