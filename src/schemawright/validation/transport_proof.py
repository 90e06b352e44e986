"""Prove the TLS and pgaudit fragments (security/transport.py) on a throw-away server.

The server (database/configured_server.py) runs the machine's PostgreSQL with pgaudit, with
postgresql.security.conf included and pg_hba.conf in place as a user installs them, and a
self-signed certificate made for this run.  Proven: pg_hba.conf has no `trust` and lets TCP in
only over TLS; a connection without TLS is refused; a TLS connection with the SCRAM password of
a login role is accepted (the client verifies the certificate) and a wrong password refused;
the server requires TLS 1.2 or later; pgaudit logs each statement class pgaudit.log promises;
a bound parameter (a fake key) and the password never reach the log.

A TLS 1.1 handshake is not attempted: the client's OpenSSL refuses TLS below 1.2 on its own,
so the attempt would pass whatever the server allowed; the server's own setting is read
instead.  Without the binaries or pgaudit the proof is NOT TRIED: no PASS, since it was not
made, and no FAIL of the design either (the embedded server has no TLS and no pgaudit).
"""

from __future__ import annotations

import datetime
import ipaddress
import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from schemawright import model as m
from schemawright.database import Database, DatabaseError, with_user
from schemawright.database.configured_server import (
    Server,
    ServerError,
    configured_server,
    debian_binaries,
    scram_verifier,
)
from schemawright.security.names import database_name
from schemawright.security.transport import audit_classes, hba_users, pg_hba_conf, postgresql_conf
from schemawright.sql.quoting import quote_ident
from schemawright.validation.report import FAIL, NOT_TRIED, PASS, Check

CONF = "postgresql.security.conf"
PROBE_ROLE = "schemawright_probe_login"  # logs in when pg_hba.conf names `all` or the members of a role
PROBE_TABLE = "sw_transport_probe"
LOG_WAIT_S = 0.5  # a finished statement's lines are in the log already (no collector); this covers a slow disk
INSTALL_HINT = "Debian: apt-get install postgresql-15 postgresql-15-pgaudit"
# pgaudit class -> (CLASS and COMMAND of its log line, a statement of that class on the probe table).
_PROBES = {
    "ddl": ("DDL,CREATE TABLE", f"CREATE TABLE {PROBE_TABLE} (id integer, secret text)"),
    "role": ("ROLE,GRANT", f"GRANT SELECT ON {PROBE_TABLE} TO PUBLIC"),
    "write": ("WRITE,INSERT", f"INSERT INTO {PROBE_TABLE} VALUES (%s, %s)"),
}
_METHODS = {"trust", "reject", "scram-sha-256", "md5", "password", "gss", "sspi", "ident", "peer", "ldap", "radius",
            "cert", "pam", "bsd"}
_AUDIT_LINE = re.compile(r"AUDIT: SESSION,\d+,\d+,([A-Z]+,[A-Z ]+),")


def transport_checks(_db: Database, design: m.Design, **_: object) -> Iterator[Check]:
    """pipeline.CHECKS entry: the design's fragments proven on their own server (not the scratch database)."""
    yield from prove_transport(design)


def prove_transport(design: m.Design, conf: str | None = None, hba: str | None = None) -> list[Check]:
    """The checks for `conf` and `hba` (default: the design's fragments)."""
    conf = postgresql_conf(design) if conf is None else conf
    hba = pg_hba_conf(design) if hba is None else hba
    problems = hba_problems(hba)
    checks = [Check("transport: pg_hba.conf: no trust, TCP over TLS only", FAIL if problems else PASS,
                    "; ".join(problems) or "hostssl lines with scram-sha-256; hostnossl lines reject")]
    binaries = debian_binaries("pgaudit")
    if binaries is None:
        return [*checks, Check("transport: TLS and pgaudit on a scratch server", NOT_TRIED,
                               f"no PostgreSQL with pgaudit under /usr/lib/postgresql ({INSTALL_HINT})")]
    login, database = _login(design), database_name(design)
    password = secrets.token_urlsafe(24)  # never printed: it only goes into the connection string
    certificate, key = _self_signed()
    # pgaudit's extension (so that DDL lines name their object) goes into template1 first: the new database copies it.
    bootstrap = [("template1", "CREATE EXTENSION pgaudit;\n" + _roles_sql(design, login, password) +
                  f"CREATE DATABASE {quote_ident(database)} OWNER {quote_ident(login)};\n")]
    files = {CONF: conf.encode(), "pg_hba.conf": hba.encode(), "server.crt": certificate, "server.key": key}
    try:
        with configured_server(binaries, files, include=CONF, bootstrap=bootstrap) as server:
            root = server.directory / "root.crt"  # the client trusts only this run's certificate
            root.write_bytes(certificate)
            return checks + _probe(server, design, login, database, password, root)
    except ServerError as error:
        return [*checks, Check("transport: TLS and pgaudit on a scratch server", FAIL,
                               f"PostgreSQL {binaries.version} with these fragments did not start: {error}")]


def _login(design: m.Design) -> str:
    """The role the proof logs in as: the first group's login role, else a member of the first role
    pg_hba.conf admits by membership (`+role`), else (pg_hba.conf admits `all`) a probe role."""
    users = hba_users(design)
    return users[0] if users and not users[0].startswith("+") else PROBE_ROLE


def _roles_sql(design: m.Design, login: str, password: str) -> str:
    """Single-user SQL: the login role with a SCRAM verifier (the password itself never reaches the
    server), a member of the group pg_hba.conf names with `+`, allowed to SHOW the TLS settings."""
    sql = f"CREATE ROLE {quote_ident(login)} LOGIN PASSWORD '{scram_verifier(password)}';\n"
    sql += f"GRANT pg_read_all_settings TO {quote_ident(login)};\n"
    users = hba_users(design)
    if login == PROBE_ROLE and users:
        group = quote_ident(users[0].removeprefix("+"))
        sql += f"CREATE ROLE {group} NOLOGIN;\nGRANT {group} TO {quote_ident(login)};\n"
    return sql


def hba_problems(hba: str) -> list[str]:
    """Lines of a pg_hba.conf that let a connection in without TLS or without a password."""
    problems = []
    for number, line in enumerate(hba.splitlines(), start=1):
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        kind = fields[0]
        method = next((f for f in fields[3:] if f in _METHODS), "?")  # after the address (and mask), before options
        if method == "trust":
            problems.append(f"line {number}: trust lets in anyone who can reach the server")
        elif kind in ("host", "hostgssenc") and method != "reject":
            problems.append(f"line {number}: {kind} accepts connections without TLS")
        elif kind == "hostnossl" and method != "reject":
            problems.append(f"line {number}: hostnossl accepts connections without TLS")
        elif kind == "hostssl" and method not in ("scram-sha-256", "cert", "reject"):
            problems.append(f"line {number}: hostssl with {method} (use scram-sha-256)")
    return problems


def _probe(server: Server, design: m.Design, login: str, database: str, password: str, root: Path) -> list[Check]:
    base = f"host={server.host} port={server.port} dbname={database} connect_timeout=10"
    quoted_root = "'" + str(root).replace("\\", "\\\\").replace("'", "\\'") + "'"  # a conninfo value
    right = with_user(f"{base} sslmode=verify-full sslrootcert={quoted_root}", login, password)
    checks = [_refused("transport: connection without TLS refused",
                       with_user(f"{base} sslmode=disable", login, password), "no encryption"),
              _refused("transport: wrong password refused over TLS",
                       with_user(f"{base} sslmode=require", login, "not-" + password), "password authentication")]
    fake_key = "sw-fake-key-" + secrets.token_hex(16)
    try:
        with Database(right) as db:
            version, cipher = db.query("SELECT version, cipher FROM pg_stat_ssl WHERE pid = pg_backend_pid()")[0]
            minimum, encryption = db.query_value("SHOW ssl_min_protocol_version"), db.query_value(
                "SHOW password_encryption")
            for _marker, sql in _PROBES.values():
                db.execute(sql, [1, fake_key] if "%s" in sql else None)
    except DatabaseError as error:
        return [*checks, Check("transport: TLS connection with a SCRAM password accepted", FAIL, str(error)),
                Check("transport: pgaudit", FAIL, "not tried: no TLS connection")]
    users = hba_users(design)
    member = f" (a member of {users[0][1:]})" if login == PROBE_ROLE and users else ""
    checks.append(Check("transport: TLS connection with a SCRAM password accepted", PASS,
                        f"{version}, {cipher}; certificate verified (verify-full); login {login}{member}"))
    ok = minimum in ("TLSv1.2", "TLSv1.3") and encryption == "scram-sha-256"
    checks.append(Check("transport: TLS 1.2 or later and SCRAM passwords", PASS if ok else FAIL,
                        f"ssl_min_protocol_version = {minimum}, password_encryption = {encryption}"))
    return checks + _audit_checks(server, design, {"key": fake_key, "password": password})


def _audit_checks(server: Server, design: m.Design, hidden: dict[str, str]) -> list[Check]:
    promised = [name for name, _ in audit_classes(design)]
    wanted = {_PROBES[name][0] for name in promised}
    deadline = time.monotonic() + LOG_WAIT_S
    while True:
        log = server.log_text()
        seen = {match[1] for line in log.splitlines() if PROBE_TABLE in line for match in [_AUDIT_LINE.search(line)]
                if match}
        if wanted <= seen or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    missing = sorted(wanted - seen)
    audit = Check(f"transport: pgaudit logs {', '.join(promised)}", FAIL if missing else PASS,
                  (f"no AUDIT: SESSION line for {', '.join(missing)}" if missing else
                   "AUDIT: SESSION lines for " + ", ".join(sorted(wanted))))
    leaked = sorted(name for name, value in hidden.items() if value in log)
    kept = Check("transport: parameter values and passwords kept out of the log", FAIL if leaked else PASS,
                 f"the server log holds the {' and the '.join(leaked)} (pgaudit.log_parameter must be off)"
                 if leaked else "a fake key bound as a parameter and the login's password are not in the server log")
    return [audit, kept]


def _refused(name: str, url: str, expected: str) -> Check:
    try:
        with Database(url):
            pass
    except DatabaseError as error:
        said = str(error).split("FATAL:", 1)[-1].strip()  # the server's words, without libpq's "connection to ..."
        return Check(name, PASS if expected in said else FAIL,
                     f"refused: {said}" if expected in said else f"refused for another reason: {said}")
    return Check(name, FAIL, "ACCEPTED")


def _self_signed() -> tuple[bytes, bytes]:
    """A certificate for 127.0.0.1 and localhost, valid for a day, and its private key (PEM).
    Made for this run only; the key is written to the server's directory (0600) and nowhere else."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    names = x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=1)).add_extension(names, critical=False)
                   .sign(key, hashes.SHA256()))
    return (certificate.public_bytes(serialization.Encoding.PEM),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()))
