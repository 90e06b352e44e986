"""TLS, pg_hba.conf and pgaudit: the fragments' content, and their proof on a real server.

The proof starts Debian's PostgreSQL with pgaudit (postgresql-15-pgaudit) in a temporary
directory; those tests are skipped, saying so, where the binaries are missing.  Each kind of
broken fragment (trust, TLS off, TLS 1.0 allowed, parameters logged, a class not audited)
is shown to make the proof fail.
"""

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
from schemawright import pipeline
from schemawright.database.configured_server import configured_server, debian_binaries
from schemawright.security.transport import audit_classes, hba_users, pg_hba_conf, postgresql_conf
from schemawright.validation.report import ValidationReport
from schemawright.validation import transport_proof
from schemawright.validation.transport_proof import hba_problems, prove_transport, transport_checks

BINARIES = debian_binaries("pgaudit")
needs_pgaudit = pytest.mark.skipif(BINARIES is None, reason="no PostgreSQL with pgaudit under /usr/lib/postgresql "
                                                            "(Debian: postgresql-15-pgaudit)")

PATIENTS = m.Table(name="patients", columns=(m.Column(name="id", semantic="id"),
                                              m.Column(name="name", semantic="string", pii=True)))
HOSPITAL = m.Design(
    project="Hospital",
    security=m.Security(pii="encrypt", tenant_column="system_id", audit_trail=("Patient",)),
    tables=(PATIENTS,),
    roles=(m.DatabaseRole(name="hospital_owner", kind="owner"),
           m.DatabaseRole(name="hospital_clinician", kind="group", spec_role="clinician"),
           m.DatabaseRole(name="hospital_billing", kind="group", spec_role="billing"),
           m.DatabaseRole(name="hospital_operator", kind="operator", bypass_rls=True),
           m.DatabaseRole(name="hospital_auditor", kind="auditor")),
)
OPERATORS_ONLY = m.Design(project="Hospital", security=m.Security(tenant_column="system_id"),
                          roles=(m.DatabaseRole(name="hospital_owner", kind="owner"),
                                 m.DatabaseRole(name="hospital_operator", kind="operator", bypass_rls=True)))
PLAIN = m.Design(project="shop", security=m.Security(pii="none"))


def _rules(hba: str) -> list[list[str]]:
    return [line.split() for line in hba.splitlines() if line.strip() and not line.startswith("#")]


def _settings(conf: str) -> dict[str, str]:
    return dict(re.findall(r"^([a-z_.]+) = (.+)$", conf, re.M))


def test_pg_hba_lets_tcp_in_only_over_tls_with_scram_and_has_no_trust():
    hba = pg_hba_conf(HOSPITAL)
    rules = _rules(hba)
    assert "trust" not in hba
    assert rules[0] == ["local", "all", "postgres", "peer"]
    assert [r for r in rules if r[0] == "hostnossl"] == [
        ["hostnossl", "all", "all", "0.0.0.0/0", "reject"], ["hostnossl", "all", "all", "::/0", "reject"]]
    tcp = [r for r in rules[1:] if r[0] != "hostnossl"]
    assert {r[0] for r in tcp} == {"hostssl"} and {r[-1] for r in tcp} == {"scram-sha-256"}
    # a service per group's login role, people as members of the operator and auditor roles; never the owner
    assert sorted({r[2] for r in tcp}) == ["+hospital_auditor", "+hospital_operator", "hospital_billing_login",
                                           "hospital_clinician_login"]
    assert {r[1] for r in tcp} == {"hospital"} and {r[3] for r in tcp} == {"0.0.0.0/0", "::/0"}
    assert hba_problems(hba) == []


def test_pg_hba_without_roles_admits_any_role_but_only_over_tls():
    rules = _rules(pg_hba_conf(PLAIN))
    assert [r for r in rules if r[0] == "hostssl"] == [["hostssl", "shop", "all", "0.0.0.0/0", "scram-sha-256"],
                                                        ["hostssl", "shop", "all", "::/0", "scram-sha-256"]]
    assert hba_users(PLAIN) == ()


def test_hba_problems_finds_each_way_around_tls_or_passwords():
    hba = "\n".join(["local all postgres trust", "host all all 10.0.0.0/8 scram-sha-256",
                     "hostnossl all all ::/0 md5", "hostssl db app 0.0.0.0/0 md5  # old clients",
                     "hostssl db app 0.0.0.0/0 scram-sha-256", "# host all all 0.0.0.0/0 trust",
                     "hostssl db app 10.0.0.1 255.255.255.255 trust", "hostssl db app ::/0 md5 clientcert=verify-ca"])
    assert [p.split(":")[0] for p in hba_problems(hba)] == ["line 1", "line 2", "line 3", "line 4", "line 7", "line 8"]


def test_postgresql_conf_requires_tls_12_scram_and_keeps_parameters_out_of_pgaudit():
    conf = postgresql_conf(HOSPITAL)
    settings = _settings(conf)
    assert settings["ssl"] == "on" and settings["ssl_min_protocol_version"] == "'TLSv1.2'"
    assert settings["ssl_cert_file"] == "'server.crt'" and settings["ssl_key_file"] == "'server.key'"
    assert settings["password_encryption"] == "'scram-sha-256'"
    assert settings["shared_preload_libraries"] == "'pgaudit'"
    assert settings["pgaudit.log"] == "'ddl, role, write'"
    assert settings["pgaudit.log_parameter"] == "off" and settings["pgaudit.log_relation"] == "on"
    assert settings["log_connections"] == "on" and settings["log_disconnections"] == "on"
    lines = conf.splitlines()
    assert max(len(line) for line in lines) <= 100
    for number, line in enumerate(lines):  # every setting says why, right above it
        if re.match(r"^[a-z_.]+ = ", line):
            assert lines[number - 1].startswith("# "), line
    assert "app.pii_key" in conf  # the key setting is named where log_parameter explains itself
    assert postgresql_conf(HOSPITAL) == conf and pg_hba_conf(HOSPITAL) == pg_hba_conf(HOSPITAL)


def test_writes_are_audited_only_where_the_design_has_a_reason():
    assert [c for c, _ in audit_classes(PLAIN)] == ["ddl", "role"]
    assert _settings(postgresql_conf(PLAIN))["pgaudit.log"] == "'ddl, role'"
    reason = dict(audit_classes(HOSPITAL))["write"]
    assert "Patient" in reason and "1 column holds PII (patients.name; pii: encrypt)" in reason
    assert "system_id" in reason
    with_pii_only = PLAIN.model_copy(update={"tables": (PATIENTS,)})  # PII is reason enough, even with pii: none
    assert [c for c, _ in audit_classes(with_pii_only)] == ["ddl", "role", "write"]


def test_fragments_are_deliverables_and_the_proof_is_a_validation_check():
    assert {"config/postgresql.security.conf", "config/pg_hba.conf"} <= set(pipeline.DELIVERABLES)
    assert transport_checks in pipeline.CHECKS


def test_without_the_binaries_the_proof_is_not_tried_never_passed(monkeypatch):
    monkeypatch.setattr(transport_proof, "debian_binaries", lambda _library: None)
    checks = prove_transport(PLAIN)
    assert checks[-1].status == "NOT TRIED" and "postgresql-15-pgaudit" in checks[-1].detail
    report = ValidationReport(checks=checks)
    assert report.not_tried == [checks[-1]] and checks[-1] not in report.failures and not checks[-1].passed


@needs_pgaudit
@pytest.mark.parametrize("design", [HOSPITAL, OPERATORS_ONLY, PLAIN], ids=["groups", "operator-members", "no-roles"])
def test_the_generated_fragments_pass_on_a_real_server(design):
    checks = prove_transport(design)
    assert [c for c in checks if c.status != "PASS"] == []
    names = " | ".join(c.name for c in checks)
    for wanted in ("without TLS refused", "wrong password refused", "SCRAM password accepted", "TLS 1.2",
                   "pgaudit logs", "kept out of the log"):
        assert wanted in names


@needs_pgaudit
def test_trust_and_tls_off_fail_the_proof():
    hba = "host all all 127.0.0.1/32 trust\n" + pg_hba_conf(PLAIN)
    conf = postgresql_conf(PLAIN).replace("ssl = on", "ssl = off")
    failed = {c.name: c.detail for c in prove_transport(PLAIN, conf=conf, hba=hba) if c.status == "FAIL"}
    assert "line 1: trust" in failed["transport: pg_hba.conf: no trust, TCP over TLS only"]
    assert failed["transport: connection without TLS refused"] == "ACCEPTED"
    assert "transport: TLS connection with a SCRAM password accepted" in failed


@needs_pgaudit
def test_old_tls_and_logged_parameters_fail_the_proof():
    conf = (postgresql_conf(HOSPITAL).replace("'TLSv1.2'", "'TLSv1'")
            .replace("pgaudit.log_parameter = off", "pgaudit.log_parameter = on"))
    checks = {c.name: c for c in prove_transport(HOSPITAL, conf=conf)}
    assert checks["transport: TLS 1.2 or later and SCRAM passwords"].status == "FAIL"
    leak = checks["transport: parameter values and passwords kept out of the log"]
    assert leak.status == "FAIL" and leak.detail.startswith("the server log holds the key")
    assert checks["transport: connection without TLS refused"].status == "PASS"  # only what was broken fails


@needs_pgaudit
def test_a_statement_class_not_audited_fails_the_proof():
    conf = postgresql_conf(HOSPITAL).replace("pgaudit.log = 'ddl, role, write'", "pgaudit.log = 'ddl, role'")
    failed = [(c.name, c.detail) for c in prove_transport(HOSPITAL, conf=conf) if c.status == "FAIL"]
    assert failed == [("transport: pgaudit logs ddl, role, write", "no AUDIT: SESSION line for WRITE,INSERT")]


@needs_pgaudit
def test_the_server_is_stopped_and_removed_when_the_run_is_interrupted():
    seen: dict[str, Path] = {}
    with pytest.raises(KeyboardInterrupt):
        with configured_server(BINARIES, {"empty.conf": b""}, include="empty.conf") as server:
            seen["directory"] = server.directory
            assert _postgres_in(server.directory / "pg")
            raise KeyboardInterrupt
    assert not seen["directory"].exists()
    assert not _postgres_in(seen["directory"] / "pg")


_HOLD_A_SERVER = """
import sys, time
from pathlib import Path
from schemawright import interrupts
from schemawright.database.configured_server import configured_server, debian_binaries
interrupts.install()
with configured_server(debian_binaries("pgaudit"), {"empty.conf": b""}, include="empty.conf") as server:
    Path(sys.argv[1]).write_text(str(server.directory))
    time.sleep(60)
"""


@needs_pgaudit
def test_sigterm_stops_and_removes_the_server(tmp_path):
    said = tmp_path / "directory"
    process = subprocess.Popen([sys.executable, "-c", _HOLD_A_SERVER, str(said)], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not said.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert said.exists(), process.stderr.read().decode() if process.poll() is not None else "no server in 60 s"
        directory = Path(said.read_text())
        assert _postgres_in(directory / "pg")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) != 0
    finally:
        process.kill()
    assert not directory.exists() and not _postgres_in(directory / "pg")


def _postgres_in(pgdata: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["name", "cwd"]):
        if process.info["name"] == "postgres" and process.info["cwd"] == str(pgdata):
            found.append(process)
    return found
