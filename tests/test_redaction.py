"""Passwords are never printed: 50 connection-string forms, each carrying a distinctive
secret, through `redact()` and through every command that takes --database-url.

Each form names its secret as the user typed it; the checks look for the whole secret and
for every 4-character piece of it (typed and percent-/backslash-decoded), because drivers
quote fragments ("missing '=' after "30-zz""), misparsed URLs put the part after an
unencoded `@` into the host, and so on.  The commands run in this process (typer's
CliRunner) against a closed port (every error path) and, when the machine's PostgreSQL 15
is up (trust auth: any password is accepted), against a real database, so that SARIF,
docs, bench.md, the imported spec and every other written file are searched too.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from psycopg.conninfo import conninfo_to_dict
from typer.testing import CliRunner

from helpers import LOCAL_PG15_URL
from schemawright.cli import app
from schemawright.database import Database, DatabaseError
from schemawright.database.urls import HIDDEN, misread_password, redact, scrub, with_database, with_query

# (id, form, secret as typed in the form).  {u} {h} {p} {d}: user, host, port, database.
FORMS: list[tuple[str, str, str]] = [
    ("userinfo", "postgresql://{u}:S3cr3t-01-zz@{h}:{p}/{d}", "S3cr3t-01-zz"),
    ("postgres-scheme", "postgres://{u}:S3cr3t-02-zz@{h}:{p}/{d}", "S3cr3t-02-zz"),
    ("encoded-at", "postgresql://{u}:S3cr3t%4003-zz@{h}:{p}/{d}", "S3cr3t%4003-zz"),
    ("raw-at", "postgresql://{u}:S3cr3t@04-zz@{h}:{p}/{d}", "S3cr3t@04-zz"),
    ("encoded-colon", "postgresql://{u}:S3cr3t%3A05-zz@{h}:{p}/{d}", "S3cr3t%3A05-zz"),
    ("raw-colon", "postgresql://{u}:S3cr3t:06-zz@{h}:{p}/{d}", "S3cr3t:06-zz"),
    ("encoded-slash", "postgresql://{u}:S3cr3t%2F07-zz@{h}:{p}/{d}", "S3cr3t%2F07-zz"),
    ("raw-slash", "postgresql://{u}:S3cr3t/08-zz@{h}:{p}/{d}", "S3cr3t/08-zz"),
    ("raw-question", "postgresql://{u}:S3cr3t?09-zz@{h}:{p}/{d}", "S3cr3t?09-zz"),
    ("raw-hash", "postgresql://{u}:S3cr3t#10-zz@{h}:{p}/{d}", "S3cr3t#10-zz"),
    ("encoded-hash", "postgresql://{u}:S3cr3t%2311-zz@{h}:{p}/{d}", "S3cr3t%2311-zz"),
    ("raw-space", "postgresql://{u}:S3cr3t 12-zz@{h}:{p}/{d}", "S3cr3t 12-zz"),
    ("encoded-space", "postgresql://{u}:S3cr3t%2013-zz@{h}:{p}/{d}", "S3cr3t%2013-zz"),
    ("malformed-escape", "postgresql://{u}:S3cr3t%zz14-zz@{h}:{p}/{d}", "S3cr3t%zz14-zz"),
    ("encoded-percent", "postgresql://{u}:S3cr3t%2515-zz@{h}:{p}/{d}", "S3cr3t%2515-zz"),
    ("empty-user", "postgresql://:S3cr3t-16-zz@{h}:{p}/{d}", "S3cr3t-16-zz"),
    ("two-hosts", "postgresql://{u}:S3cr3t-17-zz@{h}:{p},{h}:{p}/{d}", "S3cr3t-17-zz"),
    ("userinfo-and-query", "postgresql://{u}:S3cr3t-18-zz@{h}:{p}/{d}?sslmode=disable&application_name=sw",
     "S3cr3t-18-zz"),
    ("query-password", "postgresql://{u}@{h}:{p}/{d}?password=S3cr3t-19-zz", "S3cr3t-19-zz"),
    ("query-sslpassword", "postgresql://{u}@{h}:{p}/{d}?sslpassword=S3cr3t-20-zz&sslmode=disable", "S3cr3t-20-zz"),
    ("query-sslpassword-last", "postgresql://{u}@{h}:{p}/{d}?sslmode=disable&sslkey=/nonexistent/k.pem"
                               "&sslpassword=S3cr3t%2621-zz", "S3cr3t%2621-zz"),
    ("query-raw-ampersand", "postgresql://{u}@{h}:{p}/{d}?password=S3cr3t&22-zz", "S3cr3t&22-zz"),
    ("query-uppercase-key", "postgresql://{u}@{h}:{p}/{d}?PASSWORD=S3cr3t-23-zz", "S3cr3t-23-zz"),
    ("query-encoded-key", "postgresql://{u}@{h}:{p}/{d}?pass%77ord=S3cr3t-24-zz", "S3cr3t-24-zz"),
    ("userinfo-and-sslpassword", "postgresql://{u}:S3cr3t-25-zz@{h}:{p}/{d}?sslpassword=S3cr3t-25-zz", "S3cr3t-25-zz"),
    ("kv", "host={h} port={p} user={u} password=S3cr3t-26-zz dbname={d}", "S3cr3t-26-zz"),
    ("kv-quoted-space", "host={h} port={p} user={u} password='S3cr3t 27-zz' dbname={d}", "S3cr3t 27-zz"),
    ("kv-escaped-quote", "host={h} port={p} user={u} password='S3cr3t\\'28-zz' dbname={d}", "S3cr3t\\'28-zz"),
    ("kv-spaces-around-equals", "host={h} port={p} user={u} password = 'S3cr3t 29 zz' dbname={d}", "S3cr3t 29 zz"),
    ("kv-unquoted-space", "host={h} port={p} user={u} password=S3cr3t 30-zz dbname={d}", "S3cr3t 30-zz"),
    ("kv-sslpassword", "host={h} port={p} user={u} sslpassword=S3cr3t-31-zz dbname={d}", "S3cr3t-31-zz"),
    ("kv-unterminated-quote", "host={h} port={p} user={u} password='S3cr3t-32-zz dbname={d}", "S3cr3t-32-zz"),
    ("kv-backslash-space", "host={h} port={p} user={u} password=S3cr3t\\ 33-zz dbname={d}", "S3cr3t\\ 33-zz"),
    ("kv-password-first", "password=S3cr3t-34-zz host={h} port={p} user={u} dbname={d}", "S3cr3t-34-zz"),
    ("mysql", "mysql://{u}:S3cr3t-35-zz@{h}:{p}/{d}", "S3cr3t-35-zz"),
    ("mysql-pymysql-encoded-at", "mysql+pymysql://{u}:S3cr3t%4036-zz@{h}:{p}/{d}", "S3cr3t%4036-zz"),
    ("mysql-raw-at", "mysql://{u}:S3cr3t@37-zz@{h}:{p}/{d}", "S3cr3t@37-zz"),
    ("mariadb-query", "mariadb://{u}:S3cr3t-38-zz@{h}:{p}/{d}?charset=utf8mb4", "S3cr3t-38-zz"),
    ("mysql-query-password", "mysql+pymysql://{u}@{h}:{p}/{d}?password=S3cr3t-39-zz", "S3cr3t-39-zz"),
    ("sqlalchemy-postgresql", "postgresql+psycopg://{u}:S3cr3t-40-zz@{h}:{p}/{d}", "S3cr3t-40-zz"),
    ("sqlite-query", "sqlite:///nowhere-{p}.db?password=S3cr3t-41-zz", "S3cr3t-41-zz"),
    ("missing-colon", "postgresql//{u}:S3cr3t-42-zz@{h}:{p}/{d}", "S3cr3t-42-zz"),
    ("single-slash", "postgresql:/{u}:S3cr3t-43-zz@{h}:{p}/{d}", "S3cr3t-43-zz"),
    ("other-scheme", "http://{u}:S3cr3t-44-zz@{h}:{p}/{d}", "S3cr3t-44-zz"),
    ("unclosed-ipv6", "postgresql://{u}:S3cr3t-45-zz@[::1:{p}/{d}", "S3cr3t-45-zz"),
    ("leading-space", " postgresql://{u}:S3cr3t-46-zz@{h}:{p}/{d}", "S3cr3t-46-zz"),
    ("no-scheme", "{u}:S3cr3t-47-zz@{h}:{p}/{d}", "S3cr3t-47-zz"),
    ("unknown-query-key", "postgresql://{u}:S3cr3t-48-zz@{h}:{p}/{d}?foo=bar", "S3cr3t-48-zz"),
    ("kv-bare-word", "host={h} port={p} S3cr3t-49-zz", "S3cr3t-49-zz"),
    ("unicode", "postgresql://{u}:S\u00e9cr3t-50-zz@{h}:{p}/{d}", "S\u00e9cr3t-50-zz"),
]
IDS = [form[0] for form in FORMS]
# Forms nobody can read as a connection string: shown as HIDDEN, never partly.
UNREADABLE = {"missing-colon", "single-slash", "leading-space", "no-scheme", "kv-bare-word", "kv-unterminated-quote"}


def fragments(typed: str) -> set[str]:
    """The secret as typed and as meant (percent- or backslash-decoded), and every
    4-character piece of each."""
    whole = {typed, unquote(typed), typed.replace("\\", "")}
    return whole | {s[i:i + 4] for s in whole for i in range(len(s) - 3)}


def leaked(text: str, typed: str) -> list[str]:
    return sorted(f for f in fragments(typed) if f in text)


def without_tmp_names(text: str) -> str:
    """pytest's temporary directories (pytest-32) are not a piece of S3cr3t-32-zz."""
    return re.sub(r"pytest-\d+", "pytest-N", text)


def url_of(form: str, *, user: str = "app", host: str = "127.0.0.1", port: int = 1, db: str = "appdb") -> str:
    return form.format(u=user, h=host, p=port, d=db)


# ----------------------------------------------------------------------------- redact()


@pytest.mark.parametrize(("form", "typed"), [f[1:] for f in FORMS], ids=IDS)
def test_redact_hides_every_piece_of_the_secret(form: str, typed: str) -> None:
    url = url_of(form)
    shown = redact(url)
    assert not leaked(shown, typed), shown
    if any(f[0] in UNREADABLE and f[1] == form for f in FORMS):
        assert shown == HIDDEN
    else:  # still useful: the server and the user are shown
        assert "127.0.0.1" in shown or "nowhere-1.db" in shown or "[::1" in shown, shown
        assert "***" in shown, shown


@pytest.mark.parametrize(("url", "shown"), [
    ("postgresql://app:pw@db.example.com:5433/shop?sslmode=require",
     "postgresql://app:***@db.example.com:5433/shop?sslmode=require"),
    ("postgresql://app@/shop?host=/tmp/sock&sslpassword=x&application_name=me",
     "postgresql://app@/shop?host=/tmp/sock&sslpassword=***&application_name=me"),
    ("host=/tmp/sock user=app password='a b' dbname=shop", "host=/tmp/sock user=app password=*** dbname=shop"),
    ("host=h password = x sslkey=/k.pem passfile=/p", "host=h password = *** sslkey=/k.pem passfile=/p"),
    ("postgresql://app@h/shop", "postgresql://app@h/shop"),
    ("sqlite:///data/app.db", "sqlite:///data/app.db"),
    ("mysql+pymysql://root:pw@localhost/shop", "mysql+pymysql://root:***@localhost/shop"),
    ("host=h dbname='postgresql://u:pw@h/db'", "host=h dbname=***"),
    ("postgresql://u@h/db?scram_client_key=abc&sslmode=disable", "postgresql://u@h/db?scram_client_key=***&sslmode=disable"),
    ("", ""),
])
def test_redact_keeps_everything_that_is_not_secret(url: str, shown: str) -> None:
    assert redact(url) == shown


def test_a_driver_error_never_repeats_the_secret() -> None:
    """Database() itself: parse errors become our own message, connection errors are scrubbed."""
    for _name, form, typed in FORMS:
        url = url_of(form)
        try:
            Database(url).close()
        except DatabaseError as error:
            assert not leaked(str(error), typed), (url, str(error))
        else:  # pragma: no cover - port 1 is closed
            pytest.fail(f"connected to {url}")


def test_a_misparsed_url_is_refused_with_a_hint() -> None:
    with pytest.raises(DatabaseError) as caught:
        Database(url_of("postgresql://{u}:S3cr3t@04-zz@{h}:{p}/{d}"))
    assert "percent-encode" in str(caught.value) and "%40" in str(caught.value)


def test_scrub_keeps_what_a_driver_says_about_the_server() -> None:
    url = "postgresql://app:localhost-pw@localhost:1/appdb"
    said = 'connection to server at "localhost" (::1), port 1 failed: Connection refused'
    assert scrub(said, url) == said  # "localhost" is the host: shown, though the password holds it too
    assert scrub(f"bad URL: {url}", url) == "bad URL: postgresql://app:***@localhost:1/appdb"
    assert scrub('invalid token: "localhost-pw"', url) == "invalid token: …"
    assert "pw" not in scrub("password localhost-pw refused", url)


def parseable(form: str) -> str | None:
    url = url_of(form)
    try:
        conninfo_to_dict(url)
    except Exception:  # noqa: BLE001
        return None
    return None if misread_password(url) else url


@pytest.mark.parametrize("form", [f[1] for f in FORMS if parseable(f[1])],
                         ids=[f[0] for f in FORMS if parseable(f[1])])
def test_pointing_a_url_elsewhere_keeps_what_libpq_reads_from_it(form: str) -> None:
    """Passwords with `#`, `?`, `%25`... survive with_database() (bench, validate) and the
    read-only options advise adds, exactly as libpq reads them."""
    url = url_of(form)
    read = conninfo_to_dict(url)
    assert conninfo_to_dict(with_database(url, "other db")) == {**read, "dbname": "other db"}
    if url.startswith("postgres"):
        assert conninfo_to_dict(with_query(url, options="-c a=b")) == {**read, "options": "-c a=b"}


def test_an_internal_error_never_quotes_the_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    from schemawright.cli import _without_database_urls

    url = "host=h password=S3cr3t 99-zz dbname=d"
    monkeypatch.setattr("sys.argv", ["schemawright", "validate", "x.yaml", "--database-url", url])
    assert not leaked(_without_database_urls(f'ProgrammingError: missing "=" after "99-zz" in {url}'),
                      "S3cr3t 99-zz")
    monkeypatch.setattr("sys.argv", ["schemawright", "lint", f"--database-url={url}"])
    assert not leaked(_without_database_urls(f"ValueError: {url}"), "S3cr3t 99-zz")


def test_database_repr_is_redacted() -> None:
    database = Database.__new__(Database)
    database.url = "postgresql://app@h/db?sslpassword=S3cr3t-98-zz"
    assert not leaked(repr(database), "S3cr3t-98-zz") and "sslpassword=***" in repr(database)


# ----------------------------------------------------------------------------- the commands

SPEC = """\
project: redaction
entities:
  Customer:
    attributes:
      email: {type: email, required: true, unique: true}
access_patterns:
  - name: customer_by_email
    query: SELECT id FROM customers WHERE email = :email
    frequency: 1
    latency_p95_ms: 60000
volumes:
  Customer: {rows: 100}
"""

COMMANDS: dict[str, list[str]] = {
    "validate": ["validate", "{spec}", "--rows", "2"],
    "generate": ["generate", "{spec}", "--scale", "0.1"],
    "bench": ["bench", "{spec}", "--scale", "0.1", "--runs", "1", "--warn-only", "-o", "{out}/bench"],
    "advise": ["advise", "--workload", "{workload}"],
    "advise-json": ["advise", "--workload", "{workload}", "--format", "json"],
    "import": ["import", "-o", "{out}/spec.yaml", "--dbml", "{out}/schema.dbml"],
    "import-roundtrip": ["import", "--roundtrip"],
    "lint-text": ["lint", "--format", "text"],
    "lint-json": ["lint", "--format", "json"],
    "lint-sarif": ["lint", "--format", "sarif"],
    "docs": ["docs", "-o", "{out}/site"],
}


def run_command(args: list[str], url: str, work: Path) -> str:
    """Everything a run shows or writes: stdout, stderr, and every file under `work`."""
    out = work / "out"
    out.mkdir(parents=True, exist_ok=True)
    spec, workload = work / "spec.yaml", work / "workload.sql"
    spec.write_text(SPEC, encoding="utf-8")
    workload.write_text("-- name: one\nSELECT 1;\n", encoding="utf-8")
    filled = [a.format(spec=spec, out=out, workload=workload) for a in args]
    result = CliRunner().invoke(app, [*filled, "--database-url", url], catch_exceptions=True)
    texts = [result.stdout, result.stderr, repr(result.exception) if result.exception else ""]
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        import traceback

        texts.append("".join(traceback.format_exception(result.exception)))
    for path in sorted(work.rglob("*")):
        if path.is_file():
            texts.append(f"--- {path}\n" + path.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(texts)


def leaks_of(command: str, urls: list[tuple[str, str, str]], tmp_path: Path) -> list[str]:
    found = []
    for n, (name, url, typed) in enumerate(urls):
        text = without_tmp_names(run_command(COMMANDS[command], url, tmp_path / f"{n:02d}"))
        pieces = leaked(text, typed)
        if pieces:
            line = next((ln for ln in text.splitlines() if any(p in ln for p in pieces)), "")
            found.append(f"{name}: {pieces[:3]} in {line.strip()[:200]!r}")
    return found


@pytest.mark.parametrize("command", COMMANDS)
def test_no_command_prints_or_writes_the_secret_when_the_server_is_unreachable(command: str, tmp_path: Path) -> None:
    urls = [(name, url_of(form), typed) for name, form, typed in FORMS]
    found = leaks_of(command, urls, tmp_path)
    assert not found, f"{len(found)} of {len(urls)} forms leaked:\n" + "\n".join(found)


def test_the_installed_command_shows_no_secret(tmp_path: Path) -> None:
    """The real entry point (main(): logging, the internal-error handler, a real terminal width)."""
    import os
    import subprocess
    import sys

    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    for name in ("raw-at", "malformed-escape", "kv-unquoted-space", "query-sslpassword"):
        _name, form, typed = next(f for f in FORMS if f[0] == name)
        for args in (["validate", str(spec)], ["lint", "--format", "sarif"]):
            done = subprocess.run([sys.executable, "-m", "schemawright.cli", *args, "--database-url", url_of(form)],
                                  capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "60"})
            assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr
            shown = without_tmp_names(done.stdout + done.stderr)
            assert not leaked(shown, typed), (name, args, shown)


@pytest.fixture(scope="module")
def live_db() -> str:
    """A scratch database with one table on the machine's PostgreSQL 15 (trust auth, so
    every password is accepted and the commands get past connecting)."""
    from schemawright.database import scratch_database

    try:
        with Database(LOCAL_PG15_URL):
            pass
    except DatabaseError as error:
        pytest.skip(f"no PostgreSQL at {LOCAL_PG15_URL}: {error}")
    with scratch_database(LOCAL_PG15_URL) as url, Database(url) as db:
        db.execute("CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL UNIQUE)")
        db.execute("COMMENT ON TABLE accounts IS 'buyers'")
        yield db.dbname


# The forms a PostgreSQL client reads (the others cannot get past parsing).  The commands
# that load data (validate, generate, bench) take a few seconds each, so they get a sample.
LIVE = [f for f in FORMS if f[1].startswith(("postgres", "host=", "password=")) and f[0] not in UNREADABLE]
LIVE_SAMPLE = {"userinfo", "encoded-at", "raw-at", "raw-hash", "malformed-escape", "query-sslpassword",
               "kv-quoted-space", "kv-unquoted-space", "kv-sslpassword", "userinfo-and-sslpassword"}


@pytest.mark.parametrize("command", COMMANDS)
def test_no_command_prints_or_writes_the_secret_on_a_live_server(command: str, live_db: str, tmp_path: Path) -> None:
    forms = LIVE if command not in ("validate", "generate", "bench", "import-roundtrip") else \
        [f for f in LIVE if f[0] in LIVE_SAMPLE]
    urls = [(name, url_of(form, user="postgres", port=5432, db=live_db), typed) for name, form, typed in forms]
    found = leaks_of(command, urls, tmp_path)
    assert not found, f"{len(found)} of {len(urls)} forms leaked:\n" + "\n".join(found)


def test_the_forms_that_should_work_do_work(live_db: str, tmp_path: Path) -> None:
    """A check that the live runs above got past connecting: lint finds the table."""
    url = url_of(FORMS[0][1], user="postgres", port=5432, db=live_db)
    text = run_command(COMMANDS["lint-json"], url, tmp_path)
    assert "accounts" in text and re.search(r"postgresql://postgres:\*\*\*@127\.0\.0\.1:5432/", text), text[:2000]


def test_sslpassword_reaches_sarif_docs_and_bench_md_only_redacted(live_db: str, tmp_path: Path) -> None:
    """The issue's case: `sslpassword=` went verbatim into SARIF, the docs and bench.md."""
    form = next(f[1] for f in FORMS if f[0] == "query-sslpassword")
    url = url_of(form, user="postgres", port=5432, db=live_db)
    sarif = run_command(COMMANDS["lint-sarif"], url, tmp_path / "lint")
    run_command(COMMANDS["docs"], url, tmp_path / "docs")
    run_command(COMMANDS["bench"], url, tmp_path / "bench")
    written = [tmp_path / "docs/out/site/README.md", tmp_path / "bench/out/bench/bench.md"]
    for text in (sarif, *(path.read_text(encoding="utf-8") for path in written)):
        assert "sslpassword=***" in text and "S3cr3t-20-zz" not in text
