"""Backup and point-in-time recovery with pgBackRest, from the availability needs and the capacity plan.

WAL is archived continuously (archive_command = pgbackrest archive-push), so a restore reaches
any moment between the oldest full backup kept and the last archived segment.  Retention: the
spec's backup_retention_days, else two weeks (two weekly full cycles: a mistake found a week late
can still be undone), never longer than the shortest retention the volumes declare (data the
domain deletes after N months must not live on in backups much longer).  The schedule follows the
data's size: a small database is backed up in full daily (a restore is then one backup plus a
day of WAL); a larger one weekly in full and daily as a differential.  Without a replica the WAL
not yet archived is what a lost disk costs, so archive_timeout is bounded by the RPO.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from schemawright import model as m
from schemawright.scaling.capacity import CapacityPlan

if TYPE_CHECKING:
    from schemawright.scaling.plan import OperationsPlan

PGBACKREST_CONF = "config/pgbackrest.conf"
ARCHIVE_CONF = "config/postgresql.backup.conf"
REPO_PATH = "/var/lib/pgbackrest"
PG_PATH = "/var/lib/postgresql/15/main"  # Debian's data directory for the cluster "main"
DEFAULT_RETENTION_DAYS = 14
DAYS_PER_MONTH = 30
FULL_DAILY_BELOW = 100 * 1024**3  # data at 12 months under which a daily full backup is cheap
ARCHIVE_TIMEOUT_WITH_REPLICAS_S = 60  # bounds the loss if every node is lost at once
DIFF_KEPT = 7  # a week of daily differentials; the WAL archive covers the points in between
HORIZON_MONTHS = 12  # restore time is judged on the data a year in


@dataclass(frozen=True)
class BackupPlan:
    title: str
    anchor: str
    stanza: str
    retention_days: int
    retention_reason: str
    full_daily: bool
    incremental_hours: int | None  # WAL a day large against the data: an incremental backup this often
    data_bytes: int  # at HORIZON_MONTHS, from the capacity plan
    launch_bytes: int
    wal_bytes_per_day: int
    archive_timeout_s: int
    archive_reason: str
    process_max: int
    encrypt: bool  # the design holds PII: the repository is encrypted
    replicas: int
    rpo_seconds: int | None
    rto_seconds: int | None

    def markdown(self) -> list[str]:
        return _markdown(self)

    def files(self) -> dict[str, str]:
        return {PGBACKREST_CONF: pgbackrest_conf(self), ARCHIVE_CONF: archive_conf(self)}

    @property
    def archive_command(self) -> str:
        return f"pgbackrest --stanza={self.stanza} archive-push %p"


def plan(design: m.Design, earlier: OperationsPlan) -> BackupPlan:
    ops = design.operations
    capacity = earlier.section("capacity", CapacityPlan)
    days, why = retention(design)
    data = capacity.total_bytes(HORIZON_MONTHS)
    timeout, timeout_why = archive_timeout(ops)
    return BackupPlan(
        title="Backup and point-in-time recovery", anchor="backup", stanza=stanza_name(design.project),
        retention_days=days, retention_reason=why, full_daily=data < FULL_DAILY_BELOW,
        incremental_hours=incremental_hours(data, capacity.wal_bytes_per_day), data_bytes=data,
        launch_bytes=capacity.total_bytes(0), wal_bytes_per_day=capacity.wal_bytes_per_day,
        archive_timeout_s=timeout, archive_reason=timeout_why,
        process_max=max(1, min(8, design.machine.cores // 2)),
        encrypt=any(c.pii for t in design.tables for c in t.columns), replicas=ops.replicas,
        rpo_seconds=ops.rpo_seconds, rto_seconds=ops.rto_seconds)


def incremental_hours(data_bytes: int, wal_per_day: int) -> int | None:
    """A restore replays the WAL since the last backup; once a day of WAL exceeds half the data, that
    replay outweighs the copy, so an incremental backup every few hours keeps it at half the data."""
    if not data_bytes or wal_per_day <= data_bytes / 2:
        return None
    return max(1, math.floor(24 * (data_bytes / 2) / wal_per_day))


def stanza_name(project: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", project.lower()).strip("-") or "main"


def retention(design: m.Design) -> tuple[int, str]:
    """Days of point-in-time recovery kept, and why.  The volumes' retention bounds it from above:
    backups kept longer than the domain keeps its rows hold rows it has deleted."""
    stated = design.operations.backup_retention_days
    kept = [(v.retention_months, v.entity) for v in design.volumes if v.retention_months]
    shortest = min(kept) if kept else None
    if stated is not None:
        why = "`availability.backup_retention_days`"
        if shortest and stated > shortest[0] * DAYS_PER_MONTH:
            why += (f"; longer than {shortest[1]}'s {shortest[0]}-month retention, so its deleted rows stay "
                    f"restorable up to {stated - shortest[0] * DAYS_PER_MONTH} days past it")
        return stated, why
    why = "not stated: two weekly full cycles, so a mistake found a week late can still be undone"
    if shortest:
        why += f"; well inside the shortest data retention ({shortest[1]}: {shortest[0]} months)"
    return DEFAULT_RETENTION_DAYS, why


def archive_timeout(ops: m.Operations) -> tuple[int, str]:
    if ops.replicas:
        return ARCHIVE_TIMEOUT_WITH_REPLICAS_S, ("replicas hold the RPO; this bounds what is lost if every node "
                                                 "is lost together (the backups' RPO)")
    if ops.rpo_seconds is None:
        return 60, "no RPO stated: a minute of writes at most waits to be archived"
    return max(1, ops.rpo_seconds), (f"no replica: the WAL not yet archived is lost with the disk, so a segment is "
                                     f"closed and archived at least every {max(1, ops.rpo_seconds)} s (the RPO)")


def pgbackrest_conf(p: BackupPlan) -> str:
    lines = [
        "# pgBackRest: /etc/pgbackrest/pgbackrest.conf on the database host (repository local or on a",
        "# backup host; for a remote repository add repo1-host). Generated by schemawright (operations.md,",
        "# Backup and point-in-time recovery).",
        "[global]",
        f"repo1-path={REPO_PATH}",
        f"# Point-in-time recovery for {p.retention_days} days: full backups (and the WAL after them) are kept",
        "# for that long, by age, not by count.",
        "repo1-retention-full-type=time",
        f"repo1-retention-full={p.retention_days}",
        f"repo1-retention-diff={DIFF_KEPT}",
        "# Checkpoint at once when a backup starts instead of waiting for the next one.",
        "start-fast=y",
        "compress-type=zst",
        "compress-level=3",
        f"# Parallel copy and compression: half the {p.process_max * 2} cores, the rest serve the database.",
        f"process-max={p.process_max}",
    ]
    if p.encrypt:
        lines += ["# The design holds PII: the repository is encrypted. The passphrase comes from the",
                  "# environment (PGBACKREST_REPO1_CIPHER_PASS) or a root-only include, never this file.",
                  "repo1-cipher-type=aes-256-cbc"]
    lines += ["", f"[{p.stanza}]", f"pg1-path={PG_PATH}"]
    return "\n".join(lines) + "\n"


def archive_conf(p: BackupPlan) -> str:
    lines = [
        "# WAL archiving to pgBackRest, for point-in-time recovery (include it from postgresql.conf).",
        "# Generated by schemawright (operations.md, Backup and point-in-time recovery).",
        "# replica (the default) or more: the WAL a restore replays.",
        "wal_level = replica",
        "archive_mode = on",
        f"archive_command = '{p.archive_command}'",
        f"# {p.archive_reason}.",
        f"archive_timeout = {p.archive_timeout_s}",
    ]
    return "\n".join(lines) + "\n"


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:,.1f} TiB"


def _markdown(p: BackupPlan) -> list[str]:
    stanza = p.stanza
    if p.full_daily:
        schedule = ["- Full backup daily: `pgbackrest --stanza={s} --type=full backup` (at the quietest hour). "
                    f"The data ({_size(p.data_bytes)} at {HORIZON_MONTHS} months, under "
                    f"{_size(FULL_DAILY_BELOW)}) is small enough that a full copy a day costs little, and a restore "
                    "is then one backup plus the WAL since it."]
    else:
        schedule = [f"- Full backup weekly (Sunday): `pgbackrest --stanza={{s}} --type=full backup`; the data "
                    f"({_size(p.data_bytes)} at {HORIZON_MONTHS} months) is too large to copy daily.",
                    "- Differential daily (other days): `pgbackrest --stanza={s} --type=diff backup`: the pages "
                    "changed since the full, so a restore is one full, one differential and at most a day of WAL."]
    if p.incremental_hours:
        schedule.append(f"- Incremental every {p.incremental_hours} h: `pgbackrest --stanza={{s}} --type=incr backup`. "
                        f"A day of WAL ({_size(p.wal_bytes_per_day)}) outweighs half the data, and a restore "
                        "replays the WAL since the last backup: this keeps that replay under half the data's size.")
    rpo_note = ("" if p.replicas else
                " (RPO 0 cannot be met without a synchronous standby: add a replica)" if p.rpo_seconds == 0 else "")
    out = [
        f"pgBackRest (stanza `{stanza}`): `{PGBACKREST_CONF}` for pgBackRest, `{ARCHIVE_CONF}` for PostgreSQL.",
        "",
        f"- **WAL archiving:** `archive_command = '{p.archive_command}'`; `archive_timeout = {p.archive_timeout_s}` "
        f"s: {p.archive_reason}{rpo_note}.",
        f"- **Retention:** {p.retention_days} days of point-in-time recovery ({p.retention_reason}); "
        f"`repo1-retention-full-type=time`, and the last {DIFF_KEPT} differentials.",
        f"- **Size:** {_size(p.launch_bytes)} of data at launch, {_size(p.data_bytes)} at {HORIZON_MONTHS} months, "
        f"{_size(p.wal_bytes_per_day)} of WAL a day (capacity plan); zstd compression typically halves both "
        "in the repository.",
    ]
    if p.encrypt:
        out.append("- **Encryption:** the design holds PII, so the repository is encrypted "
                   "(`repo1-cipher-type=aes-256-cbc`, passphrase from the environment).")
    out += ["", "### Schedule", ""] + [line.format(s=stanza) for line in schedule] + [
        f"- `pgbackrest --stanza={stanza} check` hourly from monitoring: it fails when archiving stops.",
        f"- After installing: `pgbackrest --stanza={stanza} stanza-create`, then "
        f"`pgbackrest --stanza={stanza} check`, then the first full backup.",
        "", "### Restore runbook", ""] + _runbook(p)
    return out


def _runbook(p: BackupPlan) -> list[str]:
    s = p.stanza
    rto = "" if p.rto_seconds is None else (f" The RTO is {p.rto_seconds} s" + (
        ": failover to a replica meets it; a restore is for when every node is lost, or a mistake (a bad "
        "migration, a wrong DELETE) reached the replicas too." if p.replicas else
        ": with no replica, the restore is the recovery; the backup proof measures its time."))
    return [
        "1. Decide the target: a time just before the mistake (`--type=time \"--target=2026-01-31 "
        "09:59:00+00\"`), a restore point the deploy made (`SELECT pg_create_restore_point('before_release_42')`, "
        "then `--type=name --target=before_release_42`), or the end of the archive (`--type=default`, a lost "
        "server)." + rto,
        f"2. See what can be reached: `pgbackrest --stanza={s} info` (oldest backup, archive range).",
        "3. Restore into a new, empty data directory, so the damaged one stays for inspection: "
        f"`sudo -u postgres pgbackrest --stanza={s} --pg1-path=/var/lib/postgresql/15/restore --type=time "
        "\"--target=...\" --target-action=promote restore` (`--delta` over the old one instead saves time when it "
        "is not needed).",
        "4. Start PostgreSQL on it with `archive_mode = off` first (the restored server must not archive into the "
        "repository over the original's timeline until it is chosen), wait for `SELECT pg_is_in_recovery()` to "
        "return false, and check the data: the rows of the last known-good transaction are there, none after it.",
        "5. Switch clients to it (or copy the rows back to the running primary), turn archiving back on and take "
        f"a full backup at once: `pgbackrest --stanza={s} --type=full backup`.",
        "6. Replicas: rebuild them from the new primary (`pg_basebackup -R -C -S <name>` or the failover manager's "
        "reinit).",
    ]
