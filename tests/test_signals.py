"""SIGTERM and SIGHUP end a run as Ctrl-C does, and the next run removes what SIGKILL left.

Each test runs the real command line as a subprocess, waits until it holds a scratch
database or an embedded server, signals it, and then looks for anything left behind:
the scratch database on the server, the embedded server's directory, a postgres process
still running from that directory.  TMPDIR is a directory of the test's own, so the
run's directories are exactly the ones found there.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import psycopg
import pytest
from helpers import LOCAL_PG15_URL, local_pg15_reachable

from schemawright.database import Database
from schemawright.database.leftovers import remove_dead_embedded_dirs, remove_dead_scratch_databases
from schemawright.database.owner import host_tag
from schemawright.database.scratch import SANDBOX_SUFFIX, SCRATCH_PREFIX, scratch_name

ROOT = Path(__file__).resolve().parents[1]
SHOP = ROOT / "examples" / "shop.yaml"
PG15_URL = LOCAL_PG15_URL
WAIT_S = 60

needs_pg15 = pytest.mark.skipif(not local_pg15_reachable(), reason="no PostgreSQL on 127.0.0.1:5432")


@pytest.fixture
def tmpdir_short() -> Iterator[Path]:
    """The runs' TMPDIR.  Short on purpose: the embedded server's socket lives in its data
    directory only when the path fits a Unix socket name (about 100 bytes)."""
    base = Path(tempfile.mkdtemp(prefix="sw-sig-", dir="/tmp"))
    (base / "t").mkdir()
    yield base / "t"
    shutil.rmtree(base, ignore_errors=True)


class Run:
    """One `schemawright ...` subprocess with its own TMPDIR and captured output."""

    def __init__(self, args: list[str], tmpdir: Path) -> None:
        self.tmpdir = tmpdir
        self.stdout = tmpdir.parent / f"{len(list(tmpdir.parent.glob('*.out')))}.out"
        self.stderr = self.stdout.with_suffix(".err")
        env = {**os.environ, "TMPDIR": str(tmpdir)}
        env.pop("SCHEMAWRIGHT_DEBUG", None)
        with self.stdout.open("wb") as out, self.stderr.open("wb") as err:
            self.process = subprocess.Popen([sys.executable, "-m", "schemawright.cli", *args], cwd=ROOT,
                                            env=env, stdout=out, stderr=err)
        self.pid = self.process.pid

    def wait_for(self, condition, what: str):  # noqa: ANN001, ANN201 - a predicate, its truthy result
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            found = condition()
            if found:
                return found
            if self.process.poll() is not None:
                pytest.fail(f"the run ended ({self.process.returncode}) before {what}:\n{self.error_text()}")
            time.sleep(0.05)
        self.process.kill()
        pytest.fail(f"timed out waiting for {what}")

    def finish(self) -> int:
        try:
            return self.process.wait(WAIT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            pytest.fail("the run did not end after the signal")

    def error_text(self) -> str:
        return self.stderr.read_text(errors="replace")

    def embedded_dirs(self) -> list[Path]:
        return sorted(self.tmpdir.glob("schemawright-pg-*"))


def _scratch_databases_of(pid: int) -> set[str]:
    """Scratch databases the process `pid` is connected to (matched by its client ports)."""
    try:
        ports = {c.laddr.port for c in psutil.Process(pid).net_connections(kind="tcp")}
    except psutil.NoSuchProcess:
        return set()
    with psycopg.connect(PG15_URL, autocommit=True) as conn:
        rows = conn.execute("SELECT datname, client_port FROM pg_stat_activity WHERE starts_with(datname, %s)",
                            [SCRATCH_PREFIX]).fetchall()
    return {name for name, port in rows if port in ports}


def _existing(names: set[str]) -> set[str]:
    with psycopg.connect(PG15_URL, autocommit=True) as conn:
        rows = conn.execute("SELECT datname FROM pg_database WHERE datname = ANY(%s)", [list(names)]).fetchall()
    return {name for (name,) in rows}


def _named_after(pid: int) -> set[str]:
    """Scratch databases and roles on the server whose names carry this host and `pid`."""
    pattern = f"{SCRATCH_PREFIX}{host_tag()}_{pid}_%".replace("_", r"\_")
    with psycopg.connect(PG15_URL, autocommit=True) as conn:
        rows = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %(p)s "
                            "UNION ALL SELECT rolname FROM pg_roles WHERE rolname LIKE %(p)s", {"p": pattern}).fetchall()
    return {name for (name,) in rows}


def _postgres_processes_under(directory: Path) -> list[psutil.Process]:
    """postgres processes whose command line or working directory lies under `directory`."""
    found = []
    for process in psutil.process_iter(["name", "cmdline", "cwd"]):
        if process.info["name"] != "postgres":
            continue
        text = " ".join(process.info["cmdline"] or []) + " " + (process.info["cwd"] or "")
        if str(directory) in text:
            found.append(process)
    return found


def _ready_postmaster(run: Run) -> int | None:
    for directory in run.embedded_dirs():
        pid_file = directory / "pg" / "postmaster.pid"
        try:
            lines = pid_file.read_text().splitlines()
        except OSError:
            continue
        if len(lines) >= 8 and lines[7].strip() == "ready":
            return int(lines[0])
    return None


def _assert_ended_cleanly(run: Run, code: int, signame: str) -> None:
    returncode = run.finish()
    stderr = run.error_text()
    assert returncode == code, stderr
    assert "Traceback" not in stderr, stderr
    assert stderr.strip().splitlines()[-1] == f"interrupted by {signame}", stderr


SIGNALS = [pytest.param(signal.SIGTERM, 143, id="SIGTERM"), pytest.param(signal.SIGHUP, 129, id="SIGHUP")]


@needs_pg15
@pytest.mark.parametrize(("signum", "code"), SIGNALS)
@pytest.mark.parametrize("command", [["validate", str(SHOP)], ["bench", str(SHOP), "--scale", "0.001"],
                                     ["design", str(SHOP), "-o", "/dev/null/never-written"]],
                         ids=["validate", "bench", "design"])  # bench and design: the index planner's database
def test_signal_drops_the_scratch_database_on_a_server(tmpdir_short: Path, signum: int, code: int,
                                                       command: list[str]) -> None:
    run = Run([*command, "--database-url", PG15_URL], tmpdir_short)
    ours = run.wait_for(lambda: _scratch_databases_of(run.pid), "its scratch database")
    run.process.send_signal(signum)
    _assert_ended_cleanly(run, code, signal.Signals(signum).name)
    assert _existing(ours) == set()
    assert all(f"_{run.pid}_" in name for name in ours), ours  # the owner's PID is in the name
    assert _named_after(run.pid) == set()  # nor its sandbox role


@pytest.mark.parametrize(("signum", "code"), SIGNALS)
@pytest.mark.parametrize("moment", ["starting", "running"])
def test_signal_stops_and_removes_the_embedded_server(tmpdir_short: Path, signum: int, code: int,
                                                      moment: str) -> None:
    run = Run(["validate", str(SHOP)], tmpdir_short)
    if moment == "starting":  # initdb or pg_ctl start is under way
        run.wait_for(lambda: [d for d in run.embedded_dirs() if (d / "pg").exists()], "the data directory")
    else:
        run.wait_for(lambda: _ready_postmaster(run), "a running embedded server")
    run.process.send_signal(signum)
    _assert_ended_cleanly(run, code, signal.Signals(signum).name)
    assert run.embedded_dirs() == []
    assert _postgres_processes_under(tmpdir_short) == []


@pytest.mark.parametrize("gap", [0.0, 0.05, 0.2])
def test_more_signals_do_not_cut_the_cleanup_short(tmpdir_short: Path, gap: float) -> None:
    run = Run(["validate", str(SHOP)], tmpdir_short)
    run.wait_for(lambda: _ready_postmaster(run), "a running embedded server")
    for signum in (signal.SIGTERM, signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        run.process.send_signal(signum)
        time.sleep(gap)
    _assert_ended_cleanly(run, 143, "SIGTERM")  # the first signal names the stop
    assert run.embedded_dirs() == []
    assert _postgres_processes_under(tmpdir_short) == []


def test_sigint_still_ends_the_run_cleanly(tmpdir_short: Path) -> None:
    run = Run(["validate", str(SHOP)], tmpdir_short)
    run.wait_for(lambda: _ready_postmaster(run), "a running embedded server")
    run.process.send_signal(signal.SIGINT)
    _assert_ended_cleanly(run, 130, "SIGINT")
    assert run.embedded_dirs() == []
    assert _postgres_processes_under(tmpdir_short) == []


def test_the_next_run_removes_what_a_killed_embedded_run_left(tmpdir_short: Path) -> None:
    killed = Run(["validate", str(SHOP)], tmpdir_short)
    postmaster = killed.wait_for(lambda: _ready_postmaster(killed), "a running embedded server")
    killed.process.kill()
    killed.finish()
    left = killed.embedded_dirs()
    assert len(left) == 1 and left[0].name.startswith(f"schemawright-pg-{host_tag()}-{killed.pid}-")
    assert psutil.pid_exists(postmaster)  # SIGKILL cannot be handled: the server is orphaned
    # Neither a directory whose owner is alive nor a name that does not match is touched.
    alive = tmpdir_short / f"schemawright-pg-{host_tag()}-{os.getpid()}-keep1234"
    foreign = tmpdir_short / f"schemawright-pg-{'0' * 8}-{_dead_pid()}-other123"  # another host's
    alive.mkdir()
    foreign.mkdir()

    after = Run(["validate", str(SHOP)], tmpdir_short)
    assert after.finish() == 0, after.error_text()
    assert after.embedded_dirs() == sorted([alive, foreign])
    assert not psutil.pid_exists(postmaster) or psutil.Process(postmaster).status() == psutil.STATUS_ZOMBIE
    assert _postgres_processes_under(tmpdir_short) == []


@needs_pg15
def test_the_next_run_drops_what_a_killed_run_left_on_a_server(tmpdir_short: Path) -> None:
    killed = Run(["validate", str(SHOP), "--database-url", PG15_URL], tmpdir_short)
    ours = killed.wait_for(lambda: _scratch_databases_of(killed.pid), "its scratch database")
    killed.process.kill()
    killed.finish()
    assert _existing(ours) == ours  # SIGKILL cannot be handled: the database is left
    left = _named_after(killed.pid)
    assert ours <= left

    after = Run(["validate", str(SHOP), "--database-url", PG15_URL], tmpdir_short)
    assert after.finish() == 0, after.error_text()
    assert _named_after(killed.pid) == set()  # the database, and the sandbox role when there is one


@needs_pg15
def test_leftover_cleanup_never_touches_a_live_owner_or_another_host() -> None:
    dead_pid = _dead_pid()
    names = {
        "alive": scratch_name(pid=os.getpid()),
        "other host": scratch_name(pid=dead_pid, host="0" * 8),
        "old form": SCRATCH_PREFIX + "0123456789abcdef",
        "dead": scratch_name(pid=dead_pid),
    }
    assert all(len(name.encode()) <= 63 for name in names.values())
    with psycopg.connect(PG15_URL, autocommit=True) as conn:
        for name in names.values():
            conn.execute(f'CREATE DATABASE "{name}"')
    try:
        with Database(PG15_URL) as admin:
            removed = remove_dead_scratch_databases(admin)
        assert names["dead"] in removed
        kept = {names["alive"], names["other host"], names["old form"]}
        assert _existing(kept) == kept and not set(removed) & kept
    finally:
        with psycopg.connect(PG15_URL, autocommit=True) as conn:
            for name in names.values():
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def test_scratch_names_leave_room_for_the_sandbox_suffix() -> None:
    longest = scratch_name(pid=2**32 - 1) + SANDBOX_SUFFIX
    assert len(longest.encode()) <= 63  # PostgreSQL would truncate a longer name silently


def test_embedded_cleanup_leaves_live_owners_and_other_names(tmp_path: Path) -> None:
    tag, dead_pid = host_tag(), _dead_pid()
    dead = tmp_path / f"schemawright-pg-{tag}-{dead_pid}-abcd_123"
    keep = [tmp_path / f"schemawright-pg-{tag}-{os.getpid()}-abcd_123",  # owner alive
            tmp_path / f"schemawright-pg-{'0' * 8}-{dead_pid}-abcd_123",  # another host
            tmp_path / f"schemawright-pg-{tag}-{dead_pid}-abc",  # not a name we make
            tmp_path / f"schemawright-pg-{tag}-{dead_pid}-abcd_123x",
            tmp_path / f"schemawright-pg-{dead_pid}-abcd_123",
            tmp_path / f"other-{tag}-{dead_pid}-abcd_123"]
    for path in [dead, *keep]:
        (path / "pg").mkdir(parents=True)
    assert remove_dead_embedded_dirs(tmp_path) == [dead]
    assert sorted(tmp_path.iterdir()) == sorted(keep)


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    assert not psutil.pid_exists(process.pid)
    return process.pid
