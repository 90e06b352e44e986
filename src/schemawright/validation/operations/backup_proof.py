"""Prove the backup plan: point-in-time recovery with Debian's pgBackRest on a scratch PostgreSQL 15.

The server runs with config/postgresql.backup.conf as written (its archive_command pushes WAL
with pgBackRest), pgBackRest with config/pgbackrest.conf as written except where it must point
into this run's temporary directory (repository, logs, lock, the server's socket, and a cipher
passphrase made for the run when the repository is encrypted).  The design's schema is applied and
filler rows of the capacity plan's launch bytes times the run's scale (64 MiB at least, 1 GiB at
most) loaded -- a restore's time follows the bytes, not the tables -- the stanza created and a full
backup taken; then a numbered ledger (ledger.py) gets rows, a restore point is made, and more rows
follow.  The original server is stopped.  The backup is restored to
that point (--type=name) into a NEW data directory, which is started and promoted: exactly the
rows committed before the point must be there.  The restore's time is measured and extrapolated
to the capacity plan's bytes at 12 months plus the WAL since the last backup, against the RTO.
NOT TRIED without the PostgreSQL 15 binaries or pgbackrest.
"""

from __future__ import annotations

import configparser
import io
import json
import secrets
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from schemawright.database import Database, DatabaseError
from schemawright.database.configured_server import (
    Binaries,
    Server,
    ServerError,
    configured_server,
    copied_server,
    debian_binaries,
    private_directory,
    run_as_server,
    write_for_server,
)
from schemawright.scaling.backup import ARCHIVE_CONF, PGBACKREST_CONF, BackupPlan
from schemawright.scaling.plan import plan_operations
from schemawright.sql.postgresql import render_up
from schemawright.validation.operations.context import OperationsRun
from schemawright.validation.operations.ledger import CREATE_LEDGER, ledger_ids, write_rows
from schemawright.validation.report import FAIL, NOT_MEASURED, NOT_TRIED, PASS, Check

MAJOR = 15
INSTALL_HINT = "Debian: apt-get install postgresql-15 pgbackrest"
HBA = "local all postgres trust\nlocal replication postgres trust\n"
RESTORE_POINT = "sw_before_later_writes"
ROWS_BEFORE, ROWS_AFTER = 300, 200
BACKUP_TIMEOUT_S = 600
NAME = "operations: backup"
# The bytes a restore copies, at the run's share of the capacity plan's launch size: random hex text
# (compresses about as well as real rows do), in a table of its own beside the design's schema.
FILLER_ROW_BYTES = 300  # a row of 256 hex characters with its header and line pointer
MAX_FILLER_BYTES = 1024**3
MIN_FILLER_BYTES = 64 * 1024**2  # below this the copy's rate is mostly pgBackRest's start-up, not bytes
CREATE_FILLER = "CREATE TABLE sw_operations_filler (id bigint PRIMARY KEY, payload text NOT NULL)"
FILL = ("INSERT INTO sw_operations_filler SELECT g, md5(random()::text) || md5(random()::text) || "
        "md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text) || "
        "md5(random()::text) || md5(random()::text) FROM generate_series(1, %s) AS g")


@dataclass(frozen=True)
class Restore:
    seconds: float  # pgbackrest restore, start, recovery to the point and promotion
    copy_seconds: float  # the pgbackrest restore alone
    database_bytes: int  # the backup's database size (pgbackrest info)
    rows: int
    rows_expected: int
    wrong_ids: int  # rows present that were written after the point, or missing before it


def checks(run: OperationsRun, *, restore_point_after_later_writes: bool = False) -> Iterator[Check]:
    """`restore_point_after_later_writes`: a test's wrong target, which must fail the row count."""
    plan = plan_operations(run.design).section("backup", BackupPlan)
    binaries = debian_binaries(major=MAJOR)
    if binaries is None or shutil.which("pgbackrest") is None:
        missing = f"PostgreSQL {MAJOR} under /usr/lib/postgresql" if binaries is None else "pgbackrest"
        yield Check(NAME, NOT_TRIED, f"no {missing} ({INSTALL_HINT})")
        return
    pgbackrest_conf, archive_conf = run.files.get(PGBACKREST_CONF), run.files.get(ARCHIVE_CONF)
    if pgbackrest_conf is None or archive_conf is None:
        yield Check(NAME, FAIL, f"{PGBACKREST_CONF} or {ARCHIVE_CONF} missing from the deliverables")
        return
    try:
        restore = _prove(binaries, run, plan, pgbackrest_conf, archive_conf, restore_point_after_later_writes)
    except (ServerError, DatabaseError) as error:
        yield Check(f"{NAME}: point-in-time restore", FAIL, str(error))
        return
    yield _rows_check(restore)
    yield _time_check(restore, plan, run.scale)


def _prove(binaries: Binaries, run: OperationsRun, plan: BackupPlan, pgbackrest_conf: str, archive_conf: str,
           point_late: bool) -> Restore:
    with private_directory(binaries) as (work, _user):
        conf = work / "pgbackrest.conf"
        env = {"PGBACKREST_CONFIG": str(conf)}  # the archive_command as written finds this run's repository
        files = {"postgresql.backup.conf": archive_conf.encode(), "pg_hba.conf": HBA.encode()}
        run.say("backup: starting PostgreSQL with WAL archiving to pgBackRest")
        with configured_server(binaries, files, include="postgresql.backup.conf", env=env) as server:
            write_for_server(conf, proof_conf(pgbackrest_conf, plan.stanza, work, server).encode())
            run.say(f"backup: the design's schema and {_mib(_filler_bytes(plan, run.scale))} of rows "
                    f"(scale {run.scale:g})")
            _load(server, run, plan)
            _pgbackrest(env, plan.stanza, "stanza-create")
            run.say("backup: full backup")
            _pgbackrest(env, plan.stanza, "--type=full", "backup")
            before = _writes(server, point_late)
            _pgbackrest(env, plan.stanza, "check")  # switches WAL and waits until it is archived
            size = _backup_bytes(env, plan.stanza)
        run.say("backup: restoring to the restore point into a new data directory")
        restore = lambda pgdata: ["pgbackrest", f"--stanza={plan.stanza}", f"--pg1-path={pgdata}",  # noqa: E731
                                  "--type=name", f"--target={RESTORE_POINT}", "--target-action=promote", "restore"]
        started = time.monotonic()
        with copied_server(binaries, restore, {"restore.conf": b"archive_mode = off\n"}, include="restore.conf",
                           env=env, timeout_s=BACKUP_TIMEOUT_S) as restored:
            _wait_promoted(restored)
            seconds = time.monotonic() - started
            present = ledger_ids(_url(restored))
            copy_seconds = restored.filled_in_s or seconds
    return Restore(seconds, copy_seconds, size, len(present), len(before), len(present ^ set(before)))


def _filler_bytes(plan: BackupPlan, scale: float) -> int:
    return min(MAX_FILLER_BYTES, max(MIN_FILLER_BYTES, round(plan.launch_bytes * scale)))


def _load(server: Server, run: OperationsRun, plan: BackupPlan) -> None:
    """The design's schema (empty) and filler rows of the scaled launch size: the restore's time depends on
    the bytes it copies and replays, not on which tables hold them."""
    with Database(_url(server)) as db:
        db.execute(render_up(run.design))
        db.execute(CREATE_FILLER)
        db.execute(FILL, [max(1, _filler_bytes(plan, run.scale) // FILLER_ROW_BYTES)])


def proof_conf(generated: str, stanza: str, work: Path, server: Server) -> str:
    """The generated pgbackrest.conf with what must point into this run: repository, logs, lock,
    the server's data directory and socket; every other option as written."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keep pgBackRest's option names
    parser.read_string(generated)
    if "global" not in parser:
        parser["global"] = {}
    glob = parser["global"]
    glob.update({"repo1-path": str(work / "repo"), "log-path": str(work / "log"), "lock-path": str(work / "lock"),
                 "spool-path": str(work / "spool"), "log-level-console": "warn", "archive-timeout": "60",
                 "process-max": "2"})  # this machine's share, not the target's cores
    if "repo1-cipher-type" in glob:
        glob["repo1-cipher-pass"] = secrets.token_urlsafe(24)  # written 0600, deleted with the run
    if stanza not in parser:  # the archive_command's stanza must be the configured one: pgBackRest then fails
        parser[stanza] = {}
    parser[stanza].update({"pg1-path": str(server.pgdata), "pg1-port": str(server.port),
                           "pg1-socket-path": str(server.directory), "pg1-user": "postgres"})
    out = io.StringIO()
    parser.write(out, space_around_delimiters=False)
    return out.getvalue()


def _pgbackrest(env: dict[str, str], stanza: str, *args: str) -> None:
    run_as_server(["pgbackrest", f"--stanza={stanza}", *args], what=f"pgbackrest {args[-1]}", env=env,
                  timeout_s=BACKUP_TIMEOUT_S)


def _writes(server: Server, point_late: bool) -> list[int]:
    """Ledger rows, the restore point, more rows (the point made after both when `point_late`); the
    ids of the rows before the point is meant to be."""
    with Database(_url(server)) as db:
        db.execute(CREATE_LEDGER)
    before = write_rows(_url(server), ROWS_BEFORE, 1)
    if not point_late:
        _restore_point(server)
    write_rows(_url(server), ROWS_AFTER, ROWS_BEFORE + 1)
    if point_late:
        _restore_point(server)
    return before


def _restore_point(server: Server) -> None:
    with Database(_url(server)) as db:
        db.query("SELECT pg_create_restore_point(%s)", [RESTORE_POINT])


def _backup_bytes(env: dict[str, str], stanza: str) -> int:
    done = run_as_server(["pgbackrest", f"--stanza={stanza}", "--output=json", "info"], what="pgbackrest info",
                         env=env)
    info = json.loads(done.stdout)
    return int(info[0]["backup"][-1]["info"]["size"])


def _wait_promoted(server: Server, timeout_s: float = BACKUP_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    with Database(_url(server)) as db:
        while db.query_value("SELECT pg_is_in_recovery()"):
            if time.monotonic() > deadline:
                raise ServerError(f"the restored server still in recovery after {timeout_s:g} s")
            time.sleep(0.05)


def _rows_check(r: Restore) -> Check:
    ok = r.rows == r.rows_expected and not r.wrong_ids
    return Check(f"{NAME}: restore to the restore point has exactly the rows committed before it", PASS if ok else FAIL,
                 f"{r.rows} ledger rows on the restored server, {r.rows_expected} committed before "
                 f"'{RESTORE_POINT}' and {ROWS_AFTER} after it; {r.wrong_ids} rows differ")


def _time_check(r: Restore, plan: BackupPlan, scale: float) -> Check:
    """The copy scales with the bytes; start-up, recovery and promotion are taken as fixed.  WAL since
    the last backup is counted at the copy's rate (replay is often slower: an optimistic part)."""
    rate = r.database_bytes / r.copy_seconds if r.copy_seconds else 0.0
    fixed = max(0.0, r.seconds - r.copy_seconds)
    wal = plan.wal_bytes_per_day * (plan.incremental_hours or 24) / 24
    target = plan.data_bytes + wal
    estimate = target / rate + fixed if rate else float("inf")
    detail = (f"restored {_mib(r.database_bytes)} (scale {scale:g}) in {r.copy_seconds:.1f} s ({_mib(rate)}/s) and "
              f"recovered to the point and promoted in {fixed:.1f} s more; at 12 months {_mib(plan.data_bytes)} of "
              f"data + {_mib(wal)} of WAL since the last backup -> about {_duration(estimate)} at that rate")
    if plan.rto_seconds is None:
        return Check(f"{NAME}: restore time", NOT_MEASURED, detail + "; no RTO stated to hold it against")
    within = estimate <= plan.rto_seconds
    if plan.replicas:
        # Failover meets the RTO (the replication proof); a restore is the way back only when every node is
        # lost, or a mistake reached the replicas too: its time is reported against the RTO, not held to it.
        return Check(f"{NAME}: restore measured and extrapolated (RTO {plan.rto_seconds} s met by failover)", PASS,
                     f"{detail}; " + ("within the RTO even with every node lost" if within else
                                      f"over the {plan.rto_seconds} s RTO if every node is lost: failover covers "
                                      "the RTO, a restore does not"))
    return Check(f"{NAME}: restore within the {plan.rto_seconds} s RTO (no replica)", PASS if within else FAIL,
                 f"{detail}; RTO {plan.rto_seconds} s")


def _mib(n: float) -> str:
    return f"{n / 1024**2:,.1f} MiB" if n < 1024**3 else f"{n / 1024**3:,.1f} GiB"


def _duration(seconds: float) -> str:
    return f"{seconds:,.0f} s" if seconds < 3600 else f"{seconds / 3600:,.1f} h"


def _url(server: Server) -> str:
    return f"host={server.directory} port={server.port} user=postgres dbname=postgres connect_timeout=10"
