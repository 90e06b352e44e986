"""Prove the replication plan: a primary and a streaming replica of the machine's PostgreSQL 15,
started from config/postgresql.replication.conf and config/standby.conf as written, on Unix
sockets in temporary directories (database/configured_server.py).

The replica is made as a failover manager makes one: pg_basebackup -R with its slot and its name
in synchronous_standby_names.  The design's schema (render_up) is applied on the primary; then a
ledger (ledger.py) is written at the write patterns' peak rate, each row as large as the capacity
plan's peak WAL a second divided by that rate -- one numbered row per transaction, not the patterns
themselves, so that every acknowledged commit can be looked for on the replica -- while
pg_stat_replication's lag is sampled.  With RPO 0 the replica is then cut
off (its primary_conninfo cleared) while the writes go on: a synchronous primary holds their
commits, an asynchronous one acknowledges writes no standby has.  The primary is stopped as a
crash does (immediate), the replica promoted (pg_promote) and the acknowledged rows counted on it.

Checks: the replica streams in the planned mode (sync/quorum for RPO 0, async otherwise); the
replay lag under writes stays under the lag alert threshold (itself under the RPO); writes lost
at failover are 0 for RPO 0, and acknowledged within the RPO before the crash otherwise; the
promotion plus the failover manager's detection time fits the RTO.  NOT TRIED without the
PostgreSQL 15 binaries.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from schemawright.database import Database, DatabaseError
from schemawright.database.configured_server import (
    Binaries,
    Server,
    ServerError,
    configured_server,
    copied_server,
    debian_binaries,
    stop_immediately,
)
from schemawright.scaling.plan import plan_operations
from schemawright.scaling.replication import PRIMARY_CONF, STANDBY_CONF, ReplicationPlan
from schemawright.sql.postgresql import render_up
from schemawright.validation.operations.context import OperationsRun
from schemawright.validation.operations.ledger import CREATE_LEDGER, LedgerWriter, ledger_ids
from schemawright.validation.report import FAIL, NOT_MEASURED, NOT_TRIED, PASS, Check

MAJOR = 15
INSTALL_HINT = "Debian: apt-get install postgresql-15"
# The proof's own servers admit only their owner over their private socket (a 0700 directory).
HBA = "local all postgres trust\nlocal replication postgres trust\n"
WRITE_SECONDS = 3.0  # long enough for pg_stat_replication's lag to be sampled a few dozen times
PARTITION_SECONDS = 1.0  # RPO 0: writes attempted while the replica is cut off
SAMPLE_EVERY_S = 0.1
MIN_RATE, MAX_RATE = 20.0, 2000.0  # writes/s: a design with few writes still gets a measurable stream
# Each ledger row carries the design's peak WAL a second spread over its writes (capacity plan), so the
# replica receives about the WAL volume it would; capped to what this shared machine can stream.
MIN_PAYLOAD, MAX_PAYLOAD = 200, 32 * 1024
MAX_WAL_BYTES_PER_S = 16 * 1024**2
STREAM_WAIT_S = 30
NAME = "operations: replication"


@dataclass(frozen=True)
class Lag:
    replay_s: float  # the largest replay_lag seen
    flush_s: float
    bytes: int  # the largest pg_current_wal_lsn() - replay_lsn
    samples: int


def checks(run: OperationsRun, *, cut_off_s: float | None = None) -> Iterator[Check]:
    """`cut_off_s`: an asynchronous plan's replica cut off that long before the crash (a test's network
    partition longer than the RPO, which must fail the writes-lost check).  RPO 0 is always cut off."""
    plan = plan_operations(run.design).section("replication", ReplicationPlan)
    if not plan.replicas:
        yield Check(NAME, NOT_TRIED, "the design plans no replica (availability.replicas: 0): its RPO and RTO rest "
                                     "on backups, which the backup proof measures")
        return
    binaries = debian_binaries(major=MAJOR)
    if binaries is None:
        yield Check(NAME, NOT_TRIED, f"no PostgreSQL {MAJOR} under /usr/lib/postgresql ({INSTALL_HINT})")
        return
    primary_conf, standby_conf = run.files.get(PRIMARY_CONF), run.files.get(STANDBY_CONF)
    if primary_conf is None or standby_conf is None:
        yield Check(NAME, FAIL, f"{PRIMARY_CONF} or {STANDBY_CONF} missing from the deliverables")
        return
    try:
        cut_off = PARTITION_SECONDS if plan.synchronous else cut_off_s
        yield from _prove(binaries, run, plan, primary_conf, standby_conf, cut_off)
    except (ServerError, DatabaseError) as error:
        yield Check(NAME, FAIL, f"primary and replica from the generated settings: {error}")


def _prove(binaries: Binaries, run: OperationsRun, plan: ReplicationPlan, primary_conf: str,
           standby_conf: str, cut_off: float | None) -> Iterator[Check]:
    name = plan.standby_names[0]
    files = {"postgresql.replication.conf": primary_conf.encode(), "pg_hba.conf": HBA.encode()}
    run.say("replication: starting a primary")
    with configured_server(binaries, files, include="postgresql.replication.conf") as primary:
        with Database(_url(primary)) as db:
            # No standby exists yet: a synchronous commit would wait for one forever.
            db.execute("SET synchronous_commit = local")
            db.execute(render_up(run.design))
            db.execute(CREATE_LEDGER)
        run.say(f"replication: pg_basebackup of the primary into {name}")
        backup = lambda pgdata: [str(binaries.bindir / "pg_basebackup"), "-h", str(primary.directory),  # noqa: E731
                                 "-p", str(primary.port), "-U", "postgres", "-D", str(pgdata), "-X", "stream",
                                 "-c", "fast", "-R", "-C", "-S", name, "-d", f"application_name={name}"]
        with copied_server(binaries, backup, {"standby.conf": standby_conf.encode()}, include="standby.conf") as replica:
            yield _streaming(primary, name, plan, run)
            yield from _failover(binaries, primary, replica, name, plan, run, cut_off)


def _streaming(primary: Server, name: str, plan: ReplicationPlan, run: OperationsRun) -> Check:
    """The replica streams, in the mode the plan asks: sync or quorum for RPO 0, async otherwise."""
    wanted = ("sync", "quorum") if plan.synchronous else ("async",)
    deadline, row = time.monotonic() + STREAM_WAIT_S, None
    with Database(_url(primary)) as db:
        while time.monotonic() < deadline:
            # A standby is a synchronous candidate only once it has reported a flush position: until
            # then any standby shows async, so the mode is read after that.
            rows = db.query("SELECT state, sync_state FROM pg_stat_replication WHERE application_name = %s "
                            "AND flush_lsn IS NOT NULL", [name])
            row = rows[0] if rows else None
            if row and row[0] == "streaming":
                break
            time.sleep(SAMPLE_EVERY_S)
        names = db.query_value("SHOW synchronous_standby_names")
    mode = "synchronous (RPO 0)" if plan.synchronous else f"asynchronous (RPO {plan.lag_budget_seconds:g} s)"
    if row is None or row[0] != "streaming":
        return Check(f"{NAME}: {name} streams", FAIL, f"{name} not streaming after {STREAM_WAIT_S} s: {row}")
    status = PASS if row[1] in wanted else FAIL
    return Check(f"{NAME}: {name} streams, {mode}", status,
                 f"pg_stat_replication: state {row[0]}, sync_state {row[1]} (wanted {' or '.join(wanted)}); "
                 f"the primary runs with synchronous_standby_names = '{names}'")


def _failover(binaries: Binaries, primary: Server, replica: Server, name: str, plan: ReplicationPlan,
              run: OperationsRun, cut_off: float | None) -> Iterator[Check]:
    rate = min(MAX_RATE, max(MIN_RATE, plan.write_rate))
    wal_rate = min(MAX_WAL_BYTES_PER_S, plan.peak_wal_bytes_per_second)
    size = round(min(MAX_PAYLOAD, max(MIN_PAYLOAD, wal_rate / rate)))
    run.say(f"replication: writing {rate:g} rows/s of {size:,} bytes for {WRITE_SECONDS:g} s, sampling the lag")
    writer = LedgerWriter(_url(primary), rate, size)
    writer.start()
    try:
        sampling = time.monotonic()
        lag = _sample_lag(primary, name, WRITE_SECONDS)
        achieved = writer.acknowledged.since(sampling) / (time.monotonic() - sampling)
        yield _lag_check(lag, plan, rate, achieved, size)
        if cut_off:
            _cut_off(replica, primary, name)
            time.sleep(cut_off)
        crash_at = time.monotonic()
        run.say("replication: stopping the primary (immediate) and promoting the replica")
        stop_immediately(binaries, primary)
    finally:
        writer.stop()
        writer.join(timeout=10)
    promoted_in = _promote(replica)
    present = ledger_ids(_url(replica))
    yield _lost_check(writer, present, crash_at, plan, cut_off)
    yield _promotion_check(promoted_in, plan)


def _sample_lag(primary: Server, name: str, seconds: float) -> Lag:
    replay = flush = 0.0
    lag_bytes = samples = 0
    deadline = time.monotonic() + seconds
    with Database(_url(primary)) as db:
        while time.monotonic() < deadline:
            rows = db.query("SELECT COALESCE(extract(epoch FROM replay_lag), 0)::float8, "
                            "COALESCE(extract(epoch FROM flush_lag), 0)::float8, "
                            "pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint "
                            "FROM pg_stat_replication WHERE application_name = %s", [name])
            if rows:
                replay, flush = max(replay, rows[0][0]), max(flush, rows[0][1])
                lag_bytes, samples = max(lag_bytes, rows[0][2] or 0), samples + 1
            time.sleep(SAMPLE_EVERY_S)
    return Lag(replay, flush, lag_bytes, samples)


def _lag_check(lag: Lag, plan: ReplicationPlan, rate: float, achieved: float, size: int) -> Check:
    alert = plan.lag_alert_seconds or 0.0
    detail = (f"largest replay lag {lag.replay_s * 1000:.1f} ms, flush lag {lag.flush_s * 1000:.1f} ms, "
              f"{lag.bytes:,} bytes of WAL behind, over {lag.samples} samples at {achieved:,.0f} writes/s (asked {rate:g}) "
              f"of {size:,} bytes (the design's peak WAL: {plan.peak_wal_bytes_per_second / 1024**2:,.1f} MiB/s); "
              f"lag alert {alert:g} s, RPO {plan.lag_budget_seconds:g} s")
    if not lag.samples:
        return Check(f"{NAME}: lag under writes", FAIL, "the replica vanished from pg_stat_replication: " + detail)
    return Check(f"{NAME}: lag under writes below the {alert:g} s alert", PASS if lag.replay_s < alert else FAIL,
                 detail)


def _cut_off(replica: Server, primary: Server, name: str) -> None:
    """The replica stops receiving WAL (a network partition): its primary_conninfo is cleared,
    which PostgreSQL 13+ applies on reload by stopping the WAL receiver."""
    with Database(_url(replica)) as db:
        db.execute("ALTER SYSTEM SET primary_conninfo = ''")
        db.execute("SELECT pg_reload_conf()")
    deadline = time.monotonic() + STREAM_WAIT_S
    with Database(_url(primary)) as db:
        while db.query("SELECT 1 FROM pg_stat_replication WHERE application_name = %s", [name]):
            if time.monotonic() > deadline:
                raise ServerError(f"{name} still connected {STREAM_WAIT_S} s after its primary_conninfo was cleared")
            time.sleep(SAMPLE_EVERY_S / 2)


def _promote(replica: Server) -> float:
    """Seconds from pg_promote() until the promoted replica commits a write."""
    started = time.monotonic()
    with Database(_url(replica)) as db:
        if not db.query_value("SELECT pg_promote(true, 60)"):
            raise ServerError("pg_promote() did not finish within 60 s")
        # With nobody left to confirm it, a synchronous commit would wait: the failover manager clears
        # synchronous_standby_names; a local commit stands in for that here.
        db.execute("SET synchronous_commit = local")
        db.execute("CREATE TEMP TABLE sw_promoted (at timestamptz)")
        db.execute("INSERT INTO sw_promoted VALUES (now())")
    return time.monotonic() - started


def _lost_check(writer: LedgerWriter, present: set[int], crash_at: float, plan: ReplicationPlan,
                cut_off: float | None) -> Check:
    acked = writer.acknowledged
    lost = [(i, t) for i, t in zip(acked.ids, acked.at, strict=True) if i not in present]
    window = crash_at - min(t for _, t in lost) if lost else 0.0
    partition = (f"; {acked.since(crash_at - cut_off)} acknowledged while the replica was cut off "
                 f"({cut_off:g} s)" if cut_off else "")
    detail = (f"{len(acked.ids):,} writes acknowledged, {len(present):,} rows on the promoted replica, "
              f"{len(lost):,} lost{partition}")
    if plan.synchronous:
        return Check(f"{NAME}: no acknowledged write lost at failover (RPO 0)", FAIL if lost else PASS, detail)
    budget = plan.lag_budget_seconds or 0.0
    detail += f" (acknowledged in the last {window * 1000:.0f} ms before the crash; RPO {budget:g} s)" if lost else ""
    return Check(f"{NAME}: writes lost at failover within the RPO", PASS if window <= budget else FAIL, detail)


def _promotion_check(promoted_in: float, plan: ReplicationPlan) -> Check:
    detection = plan.detection_seconds or 0
    total = detection + promoted_in
    detail = (f"promotion took {promoted_in:.2f} s (pg_promote to a committed write); with {plan.manager}'s "
              f"{detection} s to notice the primary is gone: {total:.1f} s")
    if plan.rto_seconds is None:
        return Check(f"{NAME}: failover time", NOT_MEASURED, detail + "; no RTO stated to hold it against")
    return Check(f"{NAME}: failover within the {plan.rto_seconds} s RTO", PASS if total <= plan.rto_seconds else FAIL,
                 f"{detail} against the RTO of {plan.rto_seconds} s")


def _url(server: Server) -> str:
    return f"host={server.directory} port={server.port} user=postgres dbname=postgres connect_timeout=10"


def conf_with(conf: str, settings: Mapping[str, str]) -> str:
    """`conf` with each setting replaced (or added): for tests that break a generated file."""
    for key, value in settings.items():
        line = f"{key} = {value}"
        conf, found = re.subn(rf"(?m)^{re.escape(key)}\s*=.*$", line, conf)
        conf += "" if found else line + "\n"
    return conf
