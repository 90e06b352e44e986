"""Replication and failover, from the spec's availability needs (replicas, RPO, RTO).

RPO 0 asks that no acknowledged commit is lost with the primary: each commit waits for a
standby's flush (synchronous_standby_names).  Any other RPO is met by asynchronous streaming
whose lag stays under it; the lag is watched and alerted below the RPO.  A read may go to a
replica only when the staleness it tolerates exceeds that alert threshold: below it the
replica could be staler than the read allows with no alert fired.  The failover manager
follows from the number of nodes and the RTO: Patroni with a consensus store (DCS) for
three nodes or more, pg_auto_failover's monitor as the witness for a pair.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from schemawright import model as m
from schemawright.scaling.capacity import CapacityPlan
from schemawright.scaling.wal import PEAK_TO_AVERAGE, SECONDS_PER_DAY

if TYPE_CHECKING:
    from schemawright.scaling.plan import OperationsPlan

PRIMARY_CONF = "config/postgresql.replication.conf"
STANDBY_CONF = "config/standby.conf"
UNSTATED_RPO_S = 60  # lag budget assumed when the spec states none (said in operations.md)
SYNC_REPLAY_ALERT_S = 1.0  # RPO 0: commits wait for the standby's flush, but replay lag delays a failover
MIN_LAG_ALERT_S = 1.0  # finer than a second is below what a scrape of pg_stat_replication can judge
PROMOTION_ALLOWANCE_S = 10  # promotion itself plus clients reconnecting, within the RTO
PG_AUTO_FAILOVER_DETECTION_S = 30  # its monitor's default health checks (20 s period, 2 retries, 20 s timeout)
SLOT_WAL_LIMIT_SHARE = 0.10  # WAL a dead standby's slot may hold, as a share of the disk
SLOT_WAL_AWAY_S = 3600  # ... but at least an hour of peak WAL: a standby's reboot or a network fault needs no rebuild


@dataclass(frozen=True)
class PatroniTiming:
    ttl: int  # the leader key's lifetime in the DCS: a dead primary is noticed when it expires
    loop_wait: int
    retry_timeout: int

    @property
    def detection_s(self) -> int:
        return self.ttl + self.loop_wait


@dataclass(frozen=True)
class ReadRoute:
    pattern: str
    staleness_seconds: float | None
    on_replica: bool
    reason: str


@dataclass(frozen=True)
class ReplicationPlan:
    title: str
    anchor: str
    replicas: int
    rpo_seconds: int | None
    rto_seconds: int | None
    synchronous: bool
    standby_names: tuple[str, ...]
    lag_alert_seconds: float | None  # replication lag that must alert (monitoring reads it); None: no replica
    lag_budget_seconds: float | None  # the RPO the lag must stay under (0: synchronous)
    manager: str  # "Patroni", "pg_auto_failover" or "none"
    detection_seconds: int | None  # the failover manager's time to notice a dead primary
    patroni: PatroniTiming | None
    routes: tuple[ReadRoute, ...]
    write_rate: float  # the write patterns' executions per second at peak
    peak_wal_bytes_per_second: float  # the capacity plan's WAL a day, at the busiest hour's rate
    slot_wal_limit_gb: int
    hot_standby_feedback: bool

    def markdown(self) -> list[str]:
        return _markdown(self)

    def files(self) -> dict[str, str]:
        if not self.replicas:
            return {}
        return {PRIMARY_CONF: primary_conf(self), STANDBY_CONF: standby_conf(self)}

    @property
    def synchronous_standby_names(self) -> str:
        if not self.synchronous:
            return ""
        names = ", ".join(self.standby_names)
        # ANY 1: a quorum, so losing either standby never stops the writes; FIRST 1 of one name
        # makes a standby outage stop every commit (operations.md says so).
        return f"ANY 1 ({names})" if len(self.standby_names) > 1 else f"FIRST 1 ({names})"


def plan(design: m.Design, earlier: OperationsPlan) -> ReplicationPlan:
    ops = design.operations
    replicas, rpo, rto = ops.replicas, ops.rpo_seconds, ops.rto_seconds
    synchronous = replicas > 0 and rpo == 0
    budget = None if not replicas else 0.0 if synchronous else float(rpo if rpo is not None else UNSTATED_RPO_S)
    # The same threshold as monitoring's PostgresReplicationLagOverRPO alert (alert_rules.replication_lag).
    alert = None if budget is None else SYNC_REPLAY_ALERT_S if synchronous else max(budget / 2, MIN_LAG_ALERT_S)
    manager = "none" if not replicas else "Patroni" if replicas >= 2 else "pg_auto_failover"
    patroni = patroni_timing(rto) if manager == "Patroni" else None
    detection = patroni.detection_s if patroni else PG_AUTO_FAILOVER_DETECTION_S if replicas else None
    routes = tuple(read_route(p, alert) for p in design.access_patterns if p.kind == "read")
    capacity = earlier.section("capacity", CapacityPlan)
    disk = design.machine.disk_gb or capacity.disk_bytes / 1024**3  # stated, else the capacity plan's disk
    peak_wal = capacity.wal_bytes_per_day / SECONDS_PER_DAY * PEAK_TO_AVERAGE
    return ReplicationPlan(
        title="Replication and failover", anchor="replication", replicas=replicas, rpo_seconds=rpo,
        rto_seconds=rto, synchronous=synchronous,
        standby_names=tuple(f"replica_{n}" for n in range(1, replicas + 1)),
        lag_alert_seconds=alert, lag_budget_seconds=budget, manager=manager, detection_seconds=detection,
        patroni=patroni, routes=routes,
        write_rate=sum(p.frequency for p in design.access_patterns if p.kind == "write"),
        peak_wal_bytes_per_second=peak_wal,
        slot_wal_limit_gb=max(1, math.ceil(max(disk * SLOT_WAL_LIMIT_SHARE, peak_wal * SLOT_WAL_AWAY_S / 1024**3))),
        hot_standby_feedback=any(r.on_replica for r in routes))


def patroni_timing(rto: int | None) -> PatroniTiming:
    """Patroni's defaults (ttl 30, loop_wait 10, retry_timeout 10) notice a dead primary within
    40 s; a tighter RTO shortens them, keeping Patroni's rule loop_wait + 2 x retry_timeout <= ttl."""
    room = None if rto is None else rto - PROMOTION_ALLOWANCE_S
    if room is None or room >= 40:
        return PatroniTiming(30, 10, 10)
    if room >= 20:
        return PatroniTiming(15, 5, 5)
    return PatroniTiming(10, 3, 3)


def read_route(pattern: m.AccessPattern, alert: float | None) -> ReadRoute:
    staleness = pattern.staleness_seconds
    if alert is None:
        return ReadRoute(pattern.name, staleness, False, "no replica")
    if staleness is None:
        return ReadRoute(pattern.name, staleness, False, "must see every committed write")
    if staleness <= alert:
        return ReadRoute(pattern.name, staleness, False,
                         f"tolerates {staleness:g} s, not above the {alert:g} s lag alert: a replica could be "
                         "staler before anyone is told")
    return ReadRoute(pattern.name, staleness, True, f"tolerates {staleness:g} s, above the {alert:g} s lag alert")


def primary_conf(p: ReplicationPlan) -> str:
    senders = max(10, p.replicas + 3)
    sync_reason = (f"RPO 0: a commit returns once {'one of the standbys' if p.replicas > 1 else 'the standby'} "
                   "has flushed its WAL, so the primary's loss loses no acknowledged write"
                   if p.synchronous else f"asynchronous: RPO {p.lag_budget_seconds:g} s is met by keeping the lag "
                   "under it (alerted), without a standby's round trip on every commit")
    lines = [
        "# Replication settings for the primary. A standby promoted by failover becomes the primary, so",
        "# every node carries this file too (include it from postgresql.conf; Patroni: postgresql.parameters).",
        "# Generated by schemawright from the spec's availability: (operations.md, Replication and failover).",
        "",
        "# Streaming replication needs WAL with enough detail to replay on a standby (logical is not needed).",
        "wal_level = replica",
        f"# One sender per standby ({p.replicas}), one for a pg_basebackup rebuilding a node, one for a",
        "# backup tool streaming WAL, one spare.",
        f"max_wal_senders = {senders}",
        "# A slot per standby keeps the WAL it has not received yet, however long it was away.",
        f"max_replication_slots = {senders}",
        *_wrapped("# Slots, not wal_keep_size, hold WAL for standbys; this caps what a dead standby's slot may hold "
                  "(a tenth of the disk, stated or from the capacity plan, and at least an hour of peak WAL): past it "
                  "the slot is invalidated and that standby rebuilt, instead of the primary's disk "
                  "filling."),
        "wal_keep_size = 0",
        f"max_slot_wal_keep_size = '{p.slot_wal_limit_gb}GB'",
        "# pg_rewind needs hint-bit changes in the WAL to bring a failed primary back as a standby.",
        "wal_log_hints = on",
        *_wrapped(f"# {sync_reason}."),
        f"synchronous_standby_names = '{p.synchronous_standby_names}'",
        "synchronous_commit = on",
        "# A standby that stops answering is dropped after a minute (and a synchronous commit moves on to",
        "# the quorum's other standby instead of waiting on a dead one).",
        "wal_sender_timeout = '60s'",
    ]
    return "\n".join(lines) + "\n"


def standby_conf(p: ReplicationPlan) -> str:
    feedback = "on" if p.hot_standby_feedback else "off"
    why = ("read patterns run on the replicas: without feedback, vacuum on the primary removes rows their "
           "queries still read and they are cancelled; with it, a long replica query holds back vacuum on the "
           "primary (bloat), so replica queries are bounded by statement_timeout"
           if p.hot_standby_feedback else
           "no read pattern runs on a replica: feedback would only let stray replica queries hold back vacuum on "
           "the primary (bloat)")
    lines = [
        "# Settings for every standby (also harmless on the primary: they act only during recovery).",
        "# The failover manager writes each standby's identity: primary_conninfo with",
        "# application_name = its name in synchronous_standby_names, and primary_slot_name; by hand:",
        *(f"#   {name}: primary_conninfo = 'host=PRIMARY port=5432 user=replicator application_name={name}'"
          f" primary_slot_name = '{name}'" for name in p.standby_names),
        "",
        "# Standbys answer read-only queries (the reads operations.md routes to replicas, and monitoring).",
        "hot_standby = on",
        *_wrapped(f"# {why}."),
        f"hot_standby_feedback = {feedback}",
        "# A replica query that conflicts with replay is cancelled after 30 s, so replay (and the lag) never",
        "# waits longer than that on a reader.",
        "max_standby_streaming_delay = '30s'",
        "# After a failover, follow the new primary's timeline.",
        "recovery_target_timeline = 'latest'",
        "# Report progress every second, so pg_stat_replication's lag columns are fresh for the lag alert.",
        "wal_receiver_status_interval = '1s'",
    ]
    return "\n".join(lines) + "\n"


def _wrapped(comment: str, width: int = 100) -> list[str]:
    lines, line = [], ""
    for word in comment.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = "#"
        line = f"{line} {word}" if line else word
    return lines + [line]


def _markdown(p: ReplicationPlan) -> list[str]:
    if not p.replicas:
        rpo = "not stated" if p.rpo_seconds is None else f"{p.rpo_seconds} s"
        rto = "not stated" if p.rto_seconds is None else f"{p.rto_seconds} s"
        return [
            "No replica is planned (`availability.replicas: 0`). The primary's loss is recovered from "
            "backups only (see [Backup and point-in-time recovery](#backup)):",
            "",
            f"- **RPO** (stated: {rpo}) is then the WAL not yet archived when the disk is lost: bounded by "
            "`archive_timeout`, which the backup plan sets from the RPO.",
            f"- **RTO** (stated: {rto}) is then the time to provision a server, restore the last full and "
            "differential backup and replay the WAL since: the backup proof measures it and extrapolates it "
            "to the declared volume.",
            "",
            "Add `replicas: 1` (or more) when either objective is below what a restore gives.",
        ]
    out = [f"{p.replicas} streaming replica{'s' if p.replicas > 1 else ''} "
           f"({', '.join(f'`{n}`' for n in p.standby_names)}), "
           f"{'each with its own' if p.replicas > 1 else 'with a'} physical replication slot. "
           f"Settings: `{PRIMARY_CONF}` (every node), `{STANDBY_CONF}` (standbys).", ""]
    if p.synchronous:
        out += [f"- **Synchronous commit** (RPO 0): `synchronous_standby_names = '{p.synchronous_standby_names}'`, "
                "`synchronous_commit = on`. A commit returns once a standby has flushed its WAL, so losing the "
                "primary loses no acknowledged write; each commit pays a round trip to the nearest standby. "
                "`on` rather than `remote_apply`: reads that must see every write stay on the primary, so "
                "commits need not wait for replay too; `remote_write` would lose writes if a standby's OS "
                "crashed with the primary."]
        if p.replicas == 1:
            out += ["- With a single standby, its outage stops every commit until it returns or the failover "
                    "manager drops it from `synchronous_standby_names` (pg_auto_failover does so, trading RPO 0 "
                    "for availability while it is away). A second standby (`ANY 1`) avoids that."]
        else:
            out += [f"- `ANY 1` is a quorum: any one of the {p.replicas} standbys acknowledges, so a standby's "
                    "outage does not stop the writes."]
    else:
        stated = "" if p.rpo_seconds is not None else f" (no RPO stated: {UNSTATED_RPO_S} s assumed)"
        out += [f"- **Asynchronous** streaming: RPO {p.lag_budget_seconds:g} s{stated} is the lag budget. A commit "
                "does not wait for a standby; what the primary's loss costs is the WAL not yet received, so "
                f"the replication lag must stay under {p.lag_budget_seconds:g} s. At the write patterns' peak of "
                f"{p.write_rate:g} writes/s, that budget is about {p.write_rate * p.lag_budget_seconds:,.0f} "
                "writes."]
    mbit = p.peak_wal_bytes_per_second * 8 / 1e6
    out += [f"- **WAL to ship:** about {p.peak_wal_bytes_per_second / 1024**2:,.1f} MiB/s at the busiest hour "
            f"(capacity plan), so the link to each standby must carry {mbit:,.0f} Mbit/s with room to spare, or the "
            "lag grows" + (" and every commit waits on it." if p.synchronous else ".")]
    out += [f"- **Lag alert** at {p.lag_alert_seconds:g} s of replay lag "
            f"({'no commit is lost, but replay lag is time a failover waits before the standby serves' if p.synchronous else 'half the RPO, so the alert fires before the budget is spent, and not under a second'}); "
            "the same threshold as the monitoring section's `PostgresReplicationLagOverRPO`.",
            f"- `hot_standby_feedback = {'on' if p.hot_standby_feedback else 'off'}`: "
            + ("replica reads are not cancelled by vacuum on the primary; the cost is bloat on the primary while "
               "a long replica query runs, so replica queries get a `statement_timeout`."
               if p.hot_standby_feedback else "no read runs on a replica, so vacuum on the primary is never held "
               "back by one."),
            f"- Slots hold WAL for a standby that is away, capped at `max_slot_wal_keep_size = "
            f"{p.slot_wal_limit_gb}GB` so a dead standby cannot fill the primary's disk (it is rebuilt instead).",
            "", "### Reads on replicas", ""]
    if p.routes:
        out += ["| Pattern | Tolerates | Served by | Why |", "|---|---|---|---|"]
        for r in p.routes:
            tolerates = "latest only" if r.staleness_seconds is None else f"{r.staleness_seconds:g} s"
            out.append(f"| `{r.pattern}` | {tolerates} | {'a replica' if r.on_replica else 'the primary'} "
                       f"| {r.reason} |")
    else:
        out.append("No read pattern.")
    out += ["", "### Failover", ""] + _failover(p) + ["", "### Failover runbook", ""] + _runbook(p)
    return out


def _failover(p: ReplicationPlan) -> list[str]:
    rto = p.rto_seconds
    if p.manager == "Patroni":
        t = p.patroni
        assert t is not None
        lines = [f"**Patroni** with a three-node etcd cluster as its DCS: {p.replicas + 1} nodes need a leader "
                 "election that no two of them can both win, which the DCS's quorum gives (a witness on a third "
                 "site keeps it when a zone is lost).",
                 "", "```yaml", f"ttl: {t.ttl}", f"loop_wait: {t.loop_wait}", f"retry_timeout: {t.retry_timeout}",
                 f"maximum_lag_on_failover: {_max_lag_on_failover(p)}  # bytes: the RPO's worth of peak WAL; "
                 "a standby further behind is not promoted",
                 f"synchronous_mode: {'true' if p.synchronous else 'false'}",
                 "postgresql:", "  use_pg_rewind: true", "  use_slots: true", "```", ""]
        detection = f"A dead primary is noticed within ttl + loop_wait = {t.detection_s} s"
    else:
        lines = ["**pg_auto_failover**: with one standby, a separate monitor node is the witness that decides "
                 "which of the two is primary (Patroni would need a three-node DCS for the same decision). "
                 "`pg_autoctl create monitor`, then each node with `pg_autoctl create postgres --monitor ...`; "
                 f"{'it keeps the standby synchronous (number_sync_standbys 0 with one standby: writes continue when it is away)' if p.synchronous else 'set `pg_autoctl set formation number-sync-standbys 0`, asynchronous as planned'}.",
                 ""]
        detection = f"Its monitor notices a dead primary within about {p.detection_seconds} s"
    total = (p.detection_seconds or 0) + PROMOTION_ALLOWANCE_S
    verdict = ("" if rto is None else f"; with {PROMOTION_ALLOWANCE_S} s for promotion and reconnection that is "
               f"{total} s against the RTO of {rto} s" + ("" if total <= rto else
                                                         " — over it: add nodes and shorten the timings, or "
                                                         "relax the RTO"))
    return lines + [f"{detection}{verdict}. The replication proof measures the promotion itself."]


def _max_lag_on_failover(p: ReplicationPlan) -> int:
    """Patroni's default is 1 MiB; asynchronous, a standby within the RPO's worth of peak WAL loses no more
    than the RPO allows (synchronous mode promotes only the synchronous standby, which lacks nothing)."""
    if p.synchronous or not p.lag_budget_seconds:
        return 1024**2
    return max(1024**2, math.ceil(p.lag_budget_seconds * p.peak_wal_bytes_per_second))


def _runbook(p: ReplicationPlan) -> list[str]:
    if p.manager == "Patroni":
        check, switch = "`patronictl list`", "`patronictl switchover` (planned) / `patronictl failover` (forced)"
    else:
        check, switch = "`pg_autoctl show state`", "`pg_autoctl perform switchover` / `pg_autoctl perform failover`"
    return [
        f"1. Confirm the primary is gone, not slow: {check}; `pg_isready` on the primary's address. The manager "
        "fails over on its own; act by hand only when it cannot (DCS or monitor lost).",
        "2. Pick the standby with the most WAL: `SELECT pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()` on "
        "each; " + ("with synchronous commit the quorum standby has every acknowledged commit."
                    if p.synchronous else
                    f"its lag at the failure (the alert history) is the data lost, within {p.lag_budget_seconds:g} s "
                    "when the lag alert was quiet."),
        f"3. Fence the old primary (stop it, or cut its network) so it cannot take writes, then promote: {switch}, "
        "or by hand `SELECT pg_promote();` on the chosen standby.",
        "4. Point clients at the new primary (the manager's endpoint, or PgBouncer's `host`), "
        + ("and, if no standby is left, clear `synchronous_standby_names` (or let the manager do it): with "
           "none connected every commit waits." if p.synchronous else "and check the application writes."),
        "5. Bring the old primary back as a standby: `pg_rewind --target-pgdata=... --source-server=...` "
        "(wal_log_hints is on), `standby.signal`, its `primary_conninfo` and slot; or rebuild it with "
        "`pg_basebackup -R -C -S <name>`.",
        "6. Check `pg_stat_replication` on the new primary shows every standby streaming, and the lag alert "
        "is quiet.",
    ]
