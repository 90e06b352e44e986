"""Connection pooling (issue 15): PgBouncer sized by Little's law, and proven with Debian's pgbouncer
in front of a scratch PostgreSQL 15 running the patterns with the tenant set per transaction.

The proof's tests load saas_tracker (row-level security by tenant) once and run three cases on
it: the generated file with SET LOCAL (PASS), the same with session-level SET (the tenant and the
role leak to the next client of the server connection: FAIL), a file whose pool outgrows the plan
(session mode, no max_db_connections: FAIL), and the driver preparing statements on the server (FAIL)."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from schemawright import model as m
from schemawright.pipeline import deliverables, design_file
from schemawright.scaling.plan import OperationsPlan
from schemawright.scaling.pooling import PGBOUNCER_INI, plan
from schemawright.scaling.session_state import session_uses
from schemawright.performance import pooled_proof
from schemawright.performance.pooled_proof import prove_cases, prove_pooling
from schemawright.validation.operations.pgbouncer_process import pgbouncer_binary, proof_ini, running_pgbouncer
from schemawright.validation.operations.pooling_proof import Case

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
needs_pgbouncer = pytest.mark.skipif(pgbouncer_binary() is None or pooled_proof.debian_binaries(major=15) is None,
                                     reason="no pgbouncer or PostgreSQL 15 (Debian: apt-get install pgbouncer "
                                            "postgresql-15)")


def _plan(design: m.Design):  # noqa: ANN202
    return plan(design, OperationsPlan(design, {}))


def _on_cores(design: m.Design, cores: int) -> m.Design:
    return design.model_copy(update={"machine": design.machine.model_copy(update={"cores": cores})})


def _ini(text: str) -> dict[str, str]:
    return dict(re.findall(r"^([a-z_]+) = ?(.*)$", text, re.M))


def test_shop_pool_is_sized_by_littles_law_and_capped_by_the_cores():
    design = _on_cores(design_file(EXAMPLES / "shop.yaml"), 4)
    pool = _plan(design)
    # sum of rate x p95 over the 18 patterns: 250 x 20 ms + 150 x 15 ms + 400 x 5 ms + ...
    assert round(pool.in_flight, 2) == 13.62
    assert pool.needed == 21  # 13.62 + 2 x sqrt(13.62)
    assert design.machine.cores == 4 and pool.machine_limit == 9
    assert (pool.default_pool_size, pool.reserve_pool_size, pool.server_connections) == (9, 4, 13)
    assert pool.max_client_conn == 150 and not pool.clients_given
    ini = _ini(deliverables(design)[PGBOUNCER_INI])
    assert ini["pool_mode"] == "transaction" and ini["max_db_connections"] == "13"
    assert ini["default_pool_size"] == "9" and ini["reserve_pool_size"] == "4" and ini["max_client_conn"] == "150"
    text = "\n".join(pool.markdown())
    assert "| products_in_category | 250 | 20 | 5.000 |" in text and "**13.62**" in text
    assert "capped at 9" in text and "`app.user_id`" in text


def test_app_connections_and_a_larger_machine_change_the_sizes():
    design = _on_cores(design_file(EXAMPLES / "shop.yaml"), 16)
    bigger = design.model_copy(update={"operations": design.operations.model_copy(update={"app_connections": 600})})
    pool = _plan(bigger)
    assert pool.default_pool_size == 21 and pool.server_connections == 25  # no longer capped: 33 useful
    assert pool.max_client_conn == 600 and pool.clients_given


def test_session_features_are_found_where_the_design_uses_them():
    function = m.Function(name="take_job", returns="void", body=(
        "BEGIN PERFORM pg_advisory_lock(42); SET app.tenant_id = '7'; LISTEN jobs; "
        "CREATE TEMP TABLE scratch (id int); UPDATE jobs SET state = 'x'; END"))
    safe = m.Function(name="fine", returns="void", body=(
        "BEGIN PERFORM pg_advisory_xact_lock(42); PERFORM set_config('app.tenant_id', '7', true); "
        "CREATE TEMP TABLE t (id int) ON COMMIT DROP; UPDATE jobs\n SET state = 'x'; END"))
    pattern = m.AccessPattern(name="held", sql="DECLARE c CURSOR WITH HOLD FOR SELECT 1")
    design = m.Design(project="jobs", functions=(function, safe), access_patterns=(pattern,))
    found = {(u.feature, u.where) for u in session_uses(design)}
    assert found == {("advisory_lock", "function take_job"), ("session_setting", "function take_job"),
                     ("listen", "function take_job"), ("temp_table", "function take_job"),
                     ("hold_cursor", "pattern held")}
    text = "\n".join(_plan(design).markdown())
    assert "**uses it:** function take_job" in text


def test_the_proof_ini_changes_only_the_address_port_socket_auth_file_and_database(tmp_path):
    generated = deliverables(design_file(EXAMPLES / "shop.yaml"))[PGBOUNCER_INI]
    rewritten = proof_ini(generated, port=7777, directory=tmp_path, server_port=5555, database="scratch_x")
    before, after = _ini(generated), _ini(rewritten)
    changed = {k for k in before if before[k] != after.get(k)}
    assert changed == {"shop", "listen_port", "unix_socket_dir", "auth_file"}  # listen_addr: loopback already
    assert "shop = host=127.0.0.1 port=5555 dbname=scratch_x" in rewritten


@needs_pgbouncer
def test_pooled_run_passes_and_session_settings_or_an_oversized_pool_fail():
    design = design_file(EXAMPLES / "saas_tracker.yaml")
    files = deliverables(design)
    planned = _plan(design).server_connections
    oversized = re.sub(r"^max_db_connections = .*$", "", files[PGBOUNCER_INI], flags=re.M)
    oversized = re.sub(r"^default_pool_size = .*$", "default_pool_size = 80", oversized, flags=re.M)
    oversized = re.sub(r"^pool_mode = .*$", "pool_mode = session", oversized, flags=re.M)  # a client, a server
    good, leaky, large, prepared = prove_cases(
        design, files, [Case(), Case(local=False), Case(ini=oversized, seconds=6), Case(prepared=True)],
        scale=0.001, seed=3, seconds=2)
    by_name = {c.name.split(": ", 2)[-1]: c for c in good.checks}
    assert all(c.status == "PASS" for c in good.checks), good.checks
    assert set(by_name) >= {"the patterns run through PgBouncer in transaction mode",
                            "nothing a transaction sets outlives it on a shared server connection",
                            "tenant isolation holds through the pooler", f"server connections stay within the plan's {planned}"}
    assert good.figures and good.figures.throughput > 0 and good.figures.shared_with_other_tenant > 0
    assert good.peak and 0 < good.peak.servers <= planned < good.figures.clients
    failed = {c.name.split(": ", 2)[-1] for c in leaky.checks if c.status == "FAIL"}
    assert failed == {"nothing a transaction sets outlives it on a shared server connection",
                      "tenant isolation holds through the pooler"}
    assert any("app.tenant_id = " in c.detail for c in leaky.checks)
    failed = [c for c in large.checks if c.status == "FAIL"]
    assert [c.name for c in failed] == [f"operations: pooling: server connections stay within the plan's {planned}"]
    assert large.peak and large.peak.servers > planned
    # server-side prepared statements (psycopg's prepare_threshold=0) do not survive transaction pooling
    failed = [c for c in prepared.checks if c.status == "FAIL"]
    assert [c.name for c in failed][:1] == ["operations: pooling: the patterns run through PgBouncer in transaction mode"]
    assert "prepared statement" in failed[0].detail


def test_without_pgbouncer_the_proof_is_not_tried(monkeypatch):
    monkeypatch.setattr(pooled_proof, "pgbouncer_binary", lambda: None)
    design = design_file(EXAMPLES / "shop.yaml")
    proof = prove_pooling(design, deliverables(design), scale=0.001, seed=1)
    assert [c.status for c in proof.checks] == ["NOT TRIED"] and "pgbouncer" in proof.checks[0].detail


@needs_pgbouncer
def test_pgbouncer_is_stopped_and_its_directory_removed_when_the_run_fails():
    generated = deliverables(design_file(EXAMPLES / "shop.yaml"))[PGBOUNCER_INI]
    binary = pgbouncer_binary()
    assert binary
    seen = {}
    with pytest.raises(RuntimeError, match="boom"):
        with running_pgbouncer(binary, generated, server_port=1, database="x", users={"pgbouncer_admin": "pw"},
                               admin=("pgbouncer_admin", "pw")) as bouncer:
            seen["dir"] = bouncer.directory
            seen["pids"] = {p.pid for p in psutil.process_iter(["name", "cmdline"])
                            if p.info["name"] == "pgbouncer" and str(bouncer.directory) in " ".join(p.info["cmdline"])}
            assert seen["pids"]
            raise RuntimeError("boom")
    assert not seen["dir"].exists()
    assert not any(psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
                   for pid in seen["pids"])


_HOLD_PGBOUNCER = """
import sys, time
from pathlib import Path
from schemawright import interrupts
from schemawright.pipeline import deliverables, design_file
from schemawright.validation.operations.pgbouncer_process import pgbouncer_binary, running_pgbouncer
interrupts.install()
generated = deliverables(design_file(sys.argv[2]))["config/pgbouncer.ini"]
with running_pgbouncer(pgbouncer_binary(), generated, server_port=1, database="x", users={"pgbouncer_admin": "pw"},
                       admin=("pgbouncer_admin", "pw")) as bouncer:
    Path(sys.argv[1]).write_text(str(bouncer.directory))
    time.sleep(60)
"""


@needs_pgbouncer
def test_sigterm_stops_pgbouncer_and_removes_its_directory(tmp_path):
    said = tmp_path / "directory"
    process = subprocess.Popen([sys.executable, "-c", _HOLD_PGBOUNCER, str(said), str(EXAMPLES / "shop.yaml")],
                               stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not said.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert said.exists(), process.stderr.read().decode() if process.poll() is not None else "no pgbouncer in 60 s"
        directory = Path(said.read_text())
        assert _pgbouncers_in(directory)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) != 0
    finally:
        process.kill()
    assert not directory.exists() and not _pgbouncers_in(directory)


def _pgbouncers_in(directory: Path) -> list[psutil.Process]:
    return [p for p in psutil.process_iter(["name", "cmdline", "status"])
            if p.info["name"] == "pgbouncer" and str(directory) in " ".join(p.info["cmdline"] or ())
            and p.info["status"] != psutil.STATUS_ZOMBIE]
