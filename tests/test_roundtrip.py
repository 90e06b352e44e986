"""An existing PostgreSQL schema survives import -> spec -> design -> database unchanged."""

from __future__ import annotations

import subprocess
import sys

from schemawright.database import Database, scratch_database
from schemawright.commands.roundtrip import executable_sql, roundtrip
from test_import_postgresql import RICH_DDL


def test_rich_sql_file_round_trips_identically(pg_url):
    result = roundtrip(RICH_DDL, server_url=pg_url)
    assert result.error is None, result.error
    assert result.tables >= 10
    assert result.differences == []


def test_live_database_round_trips_identically_and_is_left_untouched(pg_url):
    with scratch_database(pg_url) as url:
        with Database(url) as db:
            db.execute(executable_sql(RICH_DDL))
            before = db.query("SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace ORDER BY 1")
        result = roundtrip(source_url=url)
        with Database(url) as db:
            after = db.query("SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace ORDER BY 1")
    assert result.passed, (result.error, result.differences)
    assert before == after


def test_round_trip_reports_a_schema_the_spec_cannot_reproduce(pg_url):
    broken = RICH_DDL + "\nCREATE TABLE broken (id integer REFERENCES nowhere (id));\n"
    result = roundtrip(broken, server_url=pg_url)
    assert result.error is not None and "nowhere" in result.error


def test_cli_import_writes_spec_and_dbml_and_checks_the_round_trip(tmp_path, pg_url):
    sql = tmp_path / "rich.sql"
    sql.write_text(RICH_DDL)
    run = subprocess.run([sys.executable, "-m", "schemawright.cli", "import", str(sql), "-o", str(tmp_path / "s.yaml"),
                          "--dbml", str(tmp_path / "s.dbml"), "--roundtrip"], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "round trip of 10 tables: identical" in run.stdout
    assert (tmp_path / "s.yaml").read_text().startswith("# Requirements spec of")
    assert "Table" in (tmp_path / "s.dbml").read_text()
