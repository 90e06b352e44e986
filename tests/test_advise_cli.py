"""`schemawright advise` as a user runs it: a subprocess on a live PostgreSQL 15 with HypoPG.

Each test makes its own scratch database on the machine's PostgreSQL 15 (skipped only when that
server or its HypoPG package is absent); the missing-HypoPG case also runs on the embedded
server, which has no HypoPG.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import LOCAL_PG15_URL, require_pg15_hypopg
from schemawright.database import (
    Database,
    DatabaseError,
    scratch_database,
    with_database,
)
from schemawright import model as m
from schemawright.commands.advise import parse_budget, read_only_url
from schemawright.indexing.workload import WorkloadErrors, parse_workload

PG15_URL = LOCAL_PG15_URL
PASSWORD = "n0t-a-real-s3cret"

DDL = """
CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL, name text, profile jsonb);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers(id), status text,
                     placed_at timestamptz NOT NULL, total numeric(10,2), note text DEFAULT repeat('x', 40));
INSERT INTO customers SELECT g, 'user' || g || '@example.com', 'name ' || g,
                             jsonb_build_object('plan', CASE WHEN g % 10 = 0 THEN 'pro' ELSE 'free' END)
FROM generate_series(1, 20000) g;
INSERT INTO orders SELECT g, 1 + (g * 7919) % 20000, CASE WHEN g % 50 = 0 THEN 'open' ELSE 'paid' END,
                          timestamptz '2024-01-01' + g * interval '1 minute', (g % 500) + 0.99
FROM generate_series(1, 100000) g;
CREATE INDEX ix_orders_status ON orders (status);                     -- a prefix of the next one
CREATE INDEX ix_orders_status_placed ON orders (status, placed_at);
CREATE INDEX ix_customers_name ON customers (name);                   -- never used
ANALYZE customers;
ANALYZE orders;
"""

WORKLOAD = """\
-- The application's queries.
-- name: orders_of_customer
-- frequency: 100
SELECT id, placed_at, total FROM orders WHERE customer_id = $1 ORDER BY placed_at DESC LIMIT 20;

-- frequency: 50
SELECT * FROM customers WHERE email = :email;

-- name: open_orders
SELECT id FROM orders WHERE status = 'open' ORDER BY placed_at LIMIT 10;
"""


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "schemawright.cli", *args], check=False, capture_output=True, text=True,
                          timeout=300)


def _with_password(url: str) -> str:
    """The same URL with a password (ignored by trust authentication) that must never be printed."""
    return url.replace("postgres@", f"postgres:{PASSWORD}@", 1)


def _shop(url: str, hypopg: bool = True) -> None:
    with Database(url) as db:
        if hypopg:
            db.execute("CREATE EXTENSION hypopg")
        db.execute(DDL)


@pytest.fixture(scope="module")
def shop_url() -> Iterator[str]:
    require_pg15_hypopg()
    with scratch_database(PG15_URL) as url:
        _shop(url)
        yield url


@pytest.fixture(scope="module")
def workload(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("advise") / "workload.sql"
    path.write_text(WORKLOAD, encoding="utf-8")
    return path


def _snapshot(url: str) -> dict:
    """Everything advise could leave behind: indexes, storage options, extended statistics, extensions."""
    with Database(url) as db:
        return {
            "indexes": db.query("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
                                "ORDER BY 1, 2"),
            "reloptions": db.query("SELECT relname, reloptions::text FROM pg_class c JOIN pg_namespace n "
                                   "ON n.oid = c.relnamespace WHERE n.nspname = 'public' ORDER BY 1"),
            "statistics": db.query("SELECT stxname FROM pg_statistic_ext ORDER BY 1"),
            "extensions": db.query("SELECT extname FROM pg_extension ORDER BY 1"),
            # manual ANALYZEs (autovacuum's own are counted apart, in autoanalyze_count)
            "analyzed": db.query("SELECT relname, analyze_count FROM pg_stat_user_tables ORDER BY 1"),
        }


@pytest.fixture(scope="module")
def text_run(shop_url: str, workload: Path) -> tuple[subprocess.CompletedProcess, dict, dict]:
    before = _snapshot(shop_url)
    result = run("advise", "--database-url", _with_password(shop_url), "--workload", str(workload))
    return result, before, _snapshot(shop_url)


@pytest.fixture(scope="module")
def json_run(shop_url: str, workload: Path) -> tuple[dict, dict, dict]:
    before = _snapshot(shop_url)
    result = run("advise", "--database-url", _with_password(shop_url), "--workload", str(workload),
                 "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), before, _snapshot(shop_url)


# ---------------------------------------------------------------- the advice


def test_text_recommends_concurrent_index_with_costs(text_run) -> None:
    result, _, _ = text_run
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "CREATE INDEX CONCURRENTLY ix_customers_email ON customers (email);" in text
    assert "CREATE INDEX CONCURRENTLY" in text and "ON orders (customer_id" in text
    assert "serves orders_of_customer" in text and "serves q2" in text  # unnamed statement 2 is q2
    assert "size model" in text  # real bytes, not HypoPG's twofold estimate
    assert re.search(r"advisor time: \d+\.\d\d s wall clock; [\d,]+ what-if EXPLAINs \([\d.]+ s\), [\d,]+ costs from "
                     r"the cache, [\d,]+ what-if indexes", text), text
    assert "Workload cost: " in text and " -> " in text
    for name in ("orders_of_customer", "q2", "open_orders"):
        assert any(line.strip().startswith(name) and "->" in line for line in text.splitlines()), name
    assert "Nothing was changed in the database; run again with --apply" in text
    assert re.match(r"Index advice for \S+ \(PostgreSQL \d+\.\d+\)\n", text), text.splitlines()[0]  # which server
    assert PASSWORD not in result.stdout + result.stderr and "***" in text


def test_existing_unused_and_redundant_indexes_are_reported(text_run) -> None:
    text = text_run[0].stdout
    assert "redundant: ix_orders_status on orders" in text
    assert "is a prefix of index ix_orders_status_placed" in text
    assert "unused: ix_customers_name on customers" in text
    assert "DROP INDEX CONCURRENTLY ix_customers_name" in text
    assert "since the last statistics reset" in text  # a reset makes every index look unused
    assert "unused: customers_pkey" not in text  # key constraints are never "unused"
    assert "unused: ix_orders_status_placed" not in text  # open_orders' plan in the cost table uses it
    assert "planned: ix_orders_status_placed on orders" in text and "keep it" in text


def test_json_shape(json_run) -> None:
    data, _, _ = json_run
    assert set(data) == {"version", "database", "whatif", "workload", "budget_bytes", "data_bytes", "advisor", "cost",
                         "create", "patterns", "not_costed", "rejected", "existing", "statistics_reset", "applied",
                         "apply_errors", "server_version"}
    assert data["server_version"].split()[0][:2].isdigit()  # the version advised on, e.g. "15.14 (Debian ...)"
    advisor = data["advisor"]  # the advisor's own time, from the same run
    assert 0 < advisor["seconds"] < 300 and 0 < advisor["explain_seconds"] <= advisor["seconds"]
    assert advisor["whatif_explains"] > 0 and advisor["whatif_indexes"] > 0 and advisor["cache_hits"] > 0
    assert advisor["stopped"] == ""
    assert data["version"] == 1 and data["whatif"] == "hypopg" and PASSWORD not in json.dumps(data)
    assert data["workload"]["statements"] == 3
    assert data["cost"]["after"] < data["cost"]["before"] / 10 and data["cost"]["change"] < -0.9
    assert data["budget_bytes"] == pytest.approx(data["data_bytes"] / 2, rel=0.01)  # default 50 %
    by_table = {c["table"]: c for c in data["create"]}
    assert set(by_table) == {"orders", "customers"}
    for item in data["create"]:
        assert set(item) == {"name", "table", "statement", "patterns", "size_bytes", "size_source", "rules"}
        assert item["statement"].startswith(f"CREATE INDEX CONCURRENTLY {item['name']} ON {item['table']} (")
        assert item["size_bytes"] > 0 and item["size_source"] == "size model"
    assert by_table["orders"]["patterns"] == ["orders_of_customer"]
    patterns = {p["name"]: p for p in data["patterns"]}
    assert set(patterns) == {"open_orders", "orders_of_customer", "q2"}
    assert patterns["orders_of_customer"]["frequency"] == 100
    assert patterns["orders_of_customer"]["cost_after"] < patterns["orders_of_customer"]["cost_before"] / 10
    assert by_table["orders"]["name"] in patterns["orders_of_customer"]["indexes"]
    assert patterns["open_orders"]["indexes"] == ["ix_orders_status_placed"]  # served by what exists
    assert [e["name"] for e in data["existing"]["redundant"]] == ["ix_orders_status"]
    assert "ix_customers_name" in [e["name"] for e in data["existing"]["unused"]]
    # "unused" never contradicts the cost table: open_orders' plan uses ix_orders_status_placed
    planned = {n for p in data["patterns"] for n in p["indexes"]}
    assert not planned & {e["name"] for e in data["existing"]["unused"]}, planned
    assert [e["name"] for e in data["existing"]["planned"]] == ["ix_orders_status_placed"]
    assert "open_orders" in data["existing"]["planned"][0]["detail"]
    assert data["existing"]["duplicate"] == []
    assert all(r["reason"] for r in data["rejected"])
    assert data["applied"] == [] and data["apply_errors"] == []


def test_database_is_unchanged_without_apply(text_run, json_run) -> None:
    for before, after in (text_run[1:], json_run[1:]):
        assert before == after
        assert not any("autovacuum" in (opts or "") for _, opts in after["reloptions"])
    assert text_run[1]["extensions"] == [("hypopg",), ("plpgsql",)]  # nothing created, nothing dropped


def test_budget_share_and_bytes(shop_url: str, workload: Path) -> None:
    tight = run("advise", "--database-url", shop_url, "--workload", str(workload), "--budget", "0", "--format", "json")
    assert tight.returncode == 0, tight.stderr
    data = json.loads(tight.stdout)
    assert data["create"] == [] and data["budget_bytes"] == 0
    assert data["cost"]["after"] == pytest.approx(data["cost"]["before"], rel=0.01)
    assert any("storage budget" in r["reason"] for r in data["rejected"])
    share = json.loads(run("advise", "--database-url", shop_url, "--workload", str(workload), "--budget", "10%",
                           "--format", "json").stdout)
    assert share["budget_bytes"] == pytest.approx(0.1 * share["data_bytes"], rel=0.01)
    assert sum(c["size_bytes"] for c in share["create"]) <= share["budget_bytes"]
    text = run("advise", "--database-url", shop_url, "--workload", str(workload), "--budget", "0").stdout
    assert "Held back by the budgets" in text
    bad = run("advise", "--database-url", shop_url, "--workload", str(workload), "--budget", "lots")
    assert bad.returncode == 2 and "--budget 'lots'" in bad.stderr


def test_apply_creates_the_indexes_concurrently(workload: Path) -> None:
    require_pg15_hypopg()
    with scratch_database(PG15_URL) as url:
        _shop(url)
        result = run("advise", "--database-url", url, "--workload", str(workload), "--apply", "--format", "json")
        assert result.returncode == 0, result.stderr
        data = json.loads(result.stdout)
        wanted = sorted(c["name"] for c in data["create"])
        assert wanted and sorted(data["applied"]) == wanted and data["apply_errors"] == []
        with Database(url) as db:
            valid = dict(db.query("SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c "
                                  "ON c.oid = i.indexrelid WHERE c.relname = ANY(%s)", [wanted]))
            assert valid == {name: True for name in wanted}
            assert "(email)" in db.query_value("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_customers_email'")
        again = json.loads(run("advise", "--database-url", url, "--workload", str(workload), "--format", "json").stdout)
        assert again["cost"]["before"] < data["cost"]["before"] / 10  # the new indexes are in use
        assert "customers" not in {c["table"] for c in again["create"]}


def test_statements_the_server_rejects_are_reported_not_costed(shop_url: str, tmp_path: Path) -> None:
    path = tmp_path / "mixed.sql"
    path.write_text("-- name: broken\nSELECT nope FROM orders WHERE id = $1;\n"
                    "-- name: by_plan\nSELECT id FROM customers WHERE profile ? 'pro' AND email = ?;\n",
                    encoding="utf-8")
    result = run("advise", "--database-url", shop_url, "--workload", str(path))
    assert result.returncode == 0, result.stderr
    assert "broken: not costed: " in result.stdout and "nope" in result.stdout
    assert any(line.strip().startswith("by_plan") and "->" in line for line in result.stdout.splitlines())


# ---------------------------------------------------------------- databases advise cannot work on


def test_missing_hypopg_on_the_embedded_server_exits_2(pg_url: str, workload: Path) -> None:
    with scratch_database(pg_url) as url:
        _shop(url, hypopg=False)
        before = _snapshot(url)
        result = run("advise", "--database-url", url, "--workload", str(workload))
        assert result.returncode == 2, result.stdout + result.stderr
        assert "no HypoPG extension" in result.stderr and "CREATE EXTENSION hypopg" in result.stderr
        assert "hypopg" in result.stderr and "Traceback" not in result.stderr and result.stdout == ""
        assert _snapshot(url) == before


def test_hypopg_available_but_not_created_is_not_created_for_you(workload: Path) -> None:
    require_pg15_hypopg()
    with scratch_database(PG15_URL) as url:
        _shop(url, hypopg=False)
        result = run("advise", "--database-url", url, "--workload", str(workload))
        assert result.returncode == 2
        assert "not created in database" in result.stderr and "CREATE EXTENSION hypopg;" in result.stderr
        with Database(url) as db:
            assert not db.query_value("SELECT 1 FROM pg_extension WHERE extname = 'hypopg'")


def test_without_workload_file_pg_stat_statements_is_needed(shop_url: str) -> None:
    with Database(shop_url) as db:
        loaded = db.query_value("SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'")
    result = run("advise", "--database-url", shop_url)
    if loaded:  # pragma: no cover - this machine's server does not preload it
        assert result.returncode == 0
        return
    assert result.returncode == 2
    assert "pg_stat_statements" in result.stderr and "--workload FILE.sql" in result.stderr


def test_unreachable_database_exits_2_without_password() -> None:
    result = run("advise", "--database-url", f"postgresql://postgres:{PASSWORD}@127.0.0.1:1/nowhere")
    assert result.returncode == 2 and "cannot read postgresql://postgres:***@127.0.0.1:1/nowhere" in result.stderr
    assert PASSWORD not in result.stderr + result.stdout


# ---------------------------------------------------------------- the workload file (no database needed)


def test_workload_parse_errors_are_located(tmp_path: Path) -> None:
    bad = tmp_path / "bad.sql"
    bad.write_text("SELECT 1 FROM orders;\n-- frequency: often\nSELECT *\n  FRM orders;\n", encoding="utf-8")
    result = run("advise", "--database-url", "postgresql://nobody@127.0.0.1:1/x", "--workload", str(bad))
    assert result.returncode == 2
    assert f"{bad}:4:3: error: statement does not parse: syntax error at or near \"FRM\"" in result.stderr
    assert f"{bad}:2:1: error: frequency 'often' is not a number" in result.stderr
    missing = run("advise", "--database-url", "postgresql://nobody@127.0.0.1:1/x", "--workload",
                  str(tmp_path / "nope.sql"))
    assert missing.returncode == 2 and "workload file not found" in missing.stderr


def test_workload_names_frequencies_and_parameter_styles() -> None:
    text = ("/* header */\n-- name: by_email\n-- frequency: 12.5\nSELECT * FROM customers WHERE email = ?;\n"
            "SELECT id FROM customers WHERE profile ? 'plan' AND name = :name::text;\n"
            "UPDATE orders SET status = 'paid' WHERE id = $1;\n"
            "SET work_mem = '64MB';\n-- a trailing comment\n")
    w = parse_workload(text, "w.sql")
    assert [(p.name, p.frequency, p.kind) for p in w.patterns] == [
        ("by_email", 12.5, "read"), ("q2", 1.0, "read"), ("q3", 1.0, "write")]
    assert w.patterns[0].sql == "SELECT * FROM customers WHERE email = ?"
    assert w.skipped == ("w.sql:7:1: SET is not a query or a write; left out",)
    with pytest.raises(WorkloadErrors) as caught:
        parse_workload("-- name: a\nSELECT 1;\n-- name: a\nSELECT 2;\n", "dup.sql")
    assert caught.value.issues[0].line == 4 and "two statements are named 'a'" in caught.value.issues[0].message
    with pytest.raises(WorkloadErrors):
        parse_workload("-- nothing here\n", "empty.sql")


def test_budget_and_read_only_url_helpers() -> None:
    assert parse_budget("10%") == (0.1, None)
    assert parse_budget("1048576") == (None, 1048576)
    assert parse_budget("500MB") == (None, 500 * 1024**2)
    assert parse_budget(None) == (None, None)
    url = read_only_url("postgresql://u:p@h:5432/db?sslmode=disable&options=-c%20work_mem%3D64MB")
    assert "sslmode=disable" in url and "default_transaction_read_only%3Don%20-c%20work_mem%3D64MB" in url
    assert read_only_url("host=h dbname=d").endswith("options='-c default_transaction_read_only=on'")
    assert with_database(read_only_url("postgresql://h/db"), "other").startswith("postgresql://h/other?options=")
    assert read_only_url("host=h options=-cwork_mem=64MB dbname=d") == \
        "host=h  dbname=d options='-c default_transaction_read_only=on -cwork_mem=64MB'"
    assert read_only_url("host=h options='-c search_path=a\\'b'") == \
        "host=h options='-c default_transaction_read_only=on -c search_path=a\\'b'"


def test_every_advise_session_is_read_only(shop_url: str) -> None:
    keywords = "host=127.0.0.1 port=5432 user=postgres dbname=postgres options='-c work_mem=8MB'"
    for url in (read_only_url(shop_url), read_only_url(keywords)):
        with Database(url) as db:
            assert db.query_value("SHOW default_transaction_read_only") == "on"
            with pytest.raises(DatabaseError, match="read-only transaction"):
                db.execute("CREATE TABLE should_not_exist (a int)")
    with Database(read_only_url(keywords)) as db:
        assert db.query_value("SHOW work_mem") == "8MB"  # the user's own options are kept


# ---------------------------------------------------------------- pg_stat_statements (a private PG 15 that preloads it)

PG15_BIN = Path("/usr/lib/postgresql/15/bin")


@pytest.fixture(scope="module")
def pgss_url() -> Iterator[str]:
    """A throw-away PostgreSQL 15 cluster with shared_preload_libraries = pg_stat_statements
    (the machine's server does not preload it), on a Unix socket in a temporary directory."""
    import os
    import shutil
    import tempfile

    if not (PG15_BIN / "initdb").exists() or not (PG15_BIN.parent / "lib" / "pg_stat_statements.so").exists():
        pytest.skip("PostgreSQL 15 server binaries with pg_stat_statements are not installed")
    as_user: list[str] = []
    workdir = Path(tempfile.mkdtemp(prefix="sw-pgss-"))
    if os.geteuid() == 0:  # initdb refuses to run as root
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser")
        shutil.chown(workdir, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data = workdir / "data"
    ctl = [*as_user, str(PG15_BIN / "pg_ctl"), "-D", str(data)]
    try:
        subprocess.run([*as_user, str(PG15_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                        "--no-sync", "-E", "UTF8"], check=True, capture_output=True, timeout=120)
        # -l: the server writes its log there, so it never holds our pipes open
        options = f"-k {workdir} -c listen_addresses='' -c shared_preload_libraries=pg_stat_statements"
        subprocess.run([*ctl, "-l", str(workdir / "log"), "-o", options, "-w", "start"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    except (subprocess.SubprocessError, OSError, KeyError, LookupError) as error:
        subprocess.run([*ctl, "-m", "immediate", "stop"], check=False, capture_output=True, timeout=120)
        shutil.rmtree(workdir, ignore_errors=True)
        pytest.skip(f"cannot start a private PostgreSQL 15: {error}")
    try:
        yield f"postgresql://postgres@/postgres?host={workdir}"
    finally:
        subprocess.run([*ctl, "-m", "immediate", "stop"], check=False, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=120)
        shutil.rmtree(workdir, ignore_errors=True)


def test_workload_from_pg_stat_statements(pgss_url: str) -> None:
    with scratch_database(pgss_url) as url:
        _shop(url)
        with Database(url) as db:
            db.execute("CREATE EXTENSION pg_stat_statements")
            db.execute("SELECT pg_stat_statements_reset()")
            for i in range(1, 41):  # what the application ran: literals become $1 in pg_stat_statements
                db.query(f"SELECT id, placed_at, total FROM orders WHERE customer_id = {i} ORDER BY placed_at DESC")
            for i in range(1, 6):
                db.query(f"SELECT * FROM customers WHERE email = 'user{i}@example.com'")
            db.query("SELECT count(*) FROM pg_class")  # a catalog query: left out
        before = _snapshot(url)
        result = run("advise", "--database-url", url, "--format", "json")
        assert result.returncode == 0, result.stderr
        data = json.loads(result.stdout)
        assert data["workload"]["source"] == "pg_stat_statements"
        patterns = {p["name"]: p for p in data["patterns"]}
        assert sorted(p["frequency"] for p in patterns.values()) == [5.0, 40.0]  # calls as weights
        busiest = max(patterns.values(), key=lambda p: p["frequency"])
        assert busiest["cost_after"] < busiest["cost_before"] / 10
        assert {c["table"] for c in data["create"]} == {"orders", "customers"}
        assert all(c["statement"].startswith("CREATE INDEX CONCURRENTLY") for c in data["create"])
        assert _snapshot(url) == before


def test_workload_literals_are_parameters_before_candidates_are_made(shop_url: str, tmp_path: Path) -> None:
    """`customer_id = 123` in a workload file is one call's value: advise makes its candidates
    from the statement as pg_stat_statements records it (`customer_id = $1`), so no partial
    index `WHERE customer_id = 123`; the control run without the normalisation proposes it."""
    from schemawright.commands.advise import build_report
    from schemawright.importers.postgresql_live import import_postgresql_database
    from schemawright.indexing.select import advise
    from schemawright.validation.table_reads import SampledTables

    sql = "SELECT id, placed_at FROM orders WHERE customer_id = 123 ORDER BY placed_at DESC LIMIT 20"
    path = tmp_path / "literal.sql"
    path.write_text(sql + ";\n", encoding="utf-8")

    def partials(advice) -> list[str]:
        cands = [c.candidate for c in advice.chosen] + [r.candidate for r in advice.rejected]
        return [c.label() for c in cands if c.where and "123" in c.where]

    report = build_report(shop_url, path, None)
    assert partials(report.advice) == []
    assert any(c.candidate.keys[0][0] == "customer_id" for c in report.advice.chosen), report.advice.chosen
    # Control: the same statement with its literal kept does propose the partial index.
    design = import_postgresql_database(shop_url)
    design = design.model_copy(update={"access_patterns": (m.AccessPattern(name="q1", sql=sql),)})
    literal = advise(design, read_only_url(shop_url), whatif="hypopg", allow_builds=False, freeze=False,
                     analyze=False, reads=SampledTables())
    assert partials(literal), "the control should propose WHERE customer_id = 123"
