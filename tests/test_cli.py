"""The commands as a user runs them: a subprocess, real files, a real PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from helpers import LOCAL_PG15_URL

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
LOCAL_PG15 = LOCAL_PG15_URL


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "schemawright.cli", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=300)


def test_init_then_check_then_design(tmp_path):
    assert run("init", cwd=tmp_path).returncode == 0
    spec = tmp_path / "schemawright.yaml"
    assert spec.exists()
    again = run("init", cwd=tmp_path)
    assert again.returncode == 1 and "already exists" in again.stderr
    checked = run("check", str(spec))
    assert checked.returncode == 0 and "OK" in checked.stdout
    designed = run("design", str(spec), "-o", str(tmp_path / "out"), "--offline")
    assert designed.returncode == 0, designed.stderr
    produced = {p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*") if p.is_file()}
    expected = {"schema.sql", "migrations/0001_initial.up.sql", "migrations/0001_initial.down.sql", "erd.mmd",
                "erd.dot", "data-dictionary.md", "report.md", "model.json"}
    assert expected <= produced


def test_design_output_is_byte_identical_between_runs(tmp_path):
    spec = str(EXAMPLES[0])
    assert run("design", spec, "-o", str(tmp_path / "a")).returncode == 0
    assert run("design", spec, "-o", str(tmp_path / "b")).returncode == 0
    for path in sorted((tmp_path / "a").rglob("*")):
        if path.is_file():
            assert path.read_bytes() == (tmp_path / "b" / path.relative_to(tmp_path / "a")).read_bytes(), path.name


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_validate_passes_on_every_example_with_the_embedded_server(example):
    result = run("validate", str(example))
    if "pii: encrypt" in example.read_text():
        # The embedded server is built without pgcrypto: said plainly, before anything runs (the local
        # server test below validates these examples).
        assert result.returncode == 1 and "has no pgcrypto" in result.stdout + result.stderr
        return
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 failed" in result.stdout and "FAIL" not in result.stdout
    assert "database empty after down" in result.stdout


def _reachable(url: str) -> bool:
    try:
        psycopg.connect(url, connect_timeout=2).close()
        return True
    except psycopg.OperationalError:
        return False


@pytest.mark.skipif(not _reachable(LOCAL_PG15), reason="no PostgreSQL server on 127.0.0.1:5432")
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_validate_passes_on_the_local_server_and_leaves_no_database(example):
    with psycopg.connect(LOCAL_PG15) as conn:
        before = {r[0] for r in conn.execute("SELECT datname FROM pg_database")}
    result = run("validate", str(example), "--database-url", LOCAL_PG15)
    assert result.returncode == 0, result.stdout + result.stderr
    with psycopg.connect(LOCAL_PG15) as conn:
        after = {r[0] for r in conn.execute("SELECT datname FROM pg_database")}
    # Others may drop their own databases meanwhile, or create one: a scratch database named after a
    # process still alive is another run's (ours has exited, so its leftovers name a dead process).
    assert not {d for d in after - before if not _of_a_live_process(d)}


def _of_a_live_process(database: str) -> bool:
    import psutil

    from schemawright.database.leftovers import _SCRATCH

    match = _SCRATCH.fullmatch(database)
    return match is not None and psutil.pid_exists(int(match["pid"]))


def test_validate_fails_and_exits_nonzero_when_a_pattern_breaks(tmp_path):
    spec = tmp_path / "slow.yaml"
    spec.write_text(
        "project: p\n"
        "entities:\n  Item: {attributes: {n: integer}}\n"
        "access_patterns:\n"
        "  - name: impossible\n"
        "    query: SELECT count(*) FROM items a, items b, items c, items d, generate_series(1, 200) g\n"
        "    latency_p95_ms: 0.001\n")
    result = run("validate", str(spec))
    assert result.returncode == 1
    assert "FAIL" in result.stdout and "1 failed" in result.stdout


def test_bad_database_url_is_a_clear_error(tmp_path):
    result = run("validate", str(EXAMPLES[0]), "--database-url", "postgresql://nobody:secret@127.0.0.1:1/x")
    assert result.returncode != 0
    assert "Traceback" not in result.stdout + result.stderr
    assert "secret" not in result.stdout + result.stderr  # passwords are never printed


def test_version_and_help_list_every_command():
    from schemawright import __version__

    assert run("--version").stdout.strip() == f"schemawright {__version__}"
    listing = run("--help").stdout
    for command in ("init", "check", "design", "validate", "import", "lint", "docs", "advise", "generate", "schema"):
        assert f"  {command} " in listing, command
