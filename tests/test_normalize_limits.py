"""`normalize` on inputs that used to end in an internal error or unbounded memory (issue 9):
one data row, a second file of empty values, and narrow files of random small integers whose
minimal dependencies explode (100 columns x 20 rows took 4.2 GB before a MemoryError).
The search budget (profiling/budget.py) must end with a partial answer that says so."""

from __future__ import annotations

import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("desbordante")

from schemawright.profiling.budget import OverBudget, SearchBudget, run_bounded  # noqa: E402
from schemawright.profiling.csv_reader import read_csv  # noqa: E402
from schemawright.profiling.decompose import decompose  # noqa: E402
from schemawright.profiling.file_profile import profile_table  # noqa: E402


def normalize(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "schemawright.cli", "normalize", *args], check=False,
                          capture_output=True, text=True, timeout=timeout, env={**os.environ, "COLUMNS": "300"})


def random_csv(path: Path, columns: int, rows: int, seed: int = 0) -> Path:
    rng = random.Random(seed)
    lines = [",".join(f"c{i}" for i in range(columns))]
    lines += [",".join(str(rng.randint(0, 9)) for _ in range(columns)) for _ in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_one_data_row_gives_one_table_without_key(tmp_path: Path) -> None:
    (tmp_path / "one.csv").write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    done = normalize(str(tmp_path / "one.csv"), "-o", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert "one (a, b, c) key id (surrogate), 1 rows" in done.stdout
    report = (tmp_path / "out" / "normalize.md").read_text(encoding="utf-8")
    assert "every column is constant, so the data shows no key" in report


def test_a_second_file_of_empty_values(tmp_path: Path) -> None:
    (tmp_path / "good.csv").write_text("a,b,c\n1,2,3\n4,5,6\n", encoding="utf-8")
    (tmp_path / "empty.csv").write_text("x,y\n,\n,\n", encoding="utf-8")
    done = normalize(str(tmp_path / "good.csv"), str(tmp_path / "empty.csv"), "-o", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert "good (a, b, c) key a" in done.stdout and "empty (x, y)" in done.stdout
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr


def test_wide_random_file_stops_within_budget_with_a_partial_answer(tmp_path: Path) -> None:
    data = random_csv(tmp_path / "wide.csv", 100, 20)
    assert data.stat().st_size < 5000  # the 4.4 KB file of the report
    start = time.monotonic()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    done = normalize(str(data), "-o", str(tmp_path / "out"), "--time-budget", "6", "--max-dependencies", "5000",
                     timeout=60)
    seconds = time.monotonic() - start
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    assert done.returncode == 0, done.stderr
    assert seconds < 30, seconds  # 6 s of search, plus start-up and the deliverables
    if peak_mb > before / 1024:  # ru_maxrss of children is the largest child so far
        assert peak_mb < 1500, peak_mb
    partial = [line for line in done.stdout.splitlines() if line.strip().startswith("partial:")]
    assert partial, done.stdout
    assert any("dependencies with up to 1 column(s) on the left are complete" in line for line in partial), partial
    report = (tmp_path / "out" / "normalize.md").read_text(encoding="utf-8")
    assert "## Partial result: the search budget ran out" in report
    assert (tmp_path / "out" / "spec.yaml").exists()


def test_the_dependency_cap_keeps_the_complete_levels(tmp_path: Path) -> None:
    table = read_csv(random_csv(tmp_path / "w40.csv", 40, 20))
    budget = SearchBudget(seconds=30, max_dependencies=20_000)
    profile = profile_table(table, 3, budget=budget)
    # 179,248 minimal FDs with up to 3 columns on the left; 3,854 with up to 2.
    assert len(profile.fds) == 3854 and max(len(f.lhs) for f in profile.fds) == 2
    assert any("up to 2 column(s) on the left are complete" in n and ("179,248 found" in n or "not finished" in n)
               for n in budget.notes), budget.notes


def test_decomposition_stops_at_the_deadline(tmp_path: Path) -> None:
    table = read_csv(random_csv(tmp_path / "w40.csv", 40, 20))
    profile = profile_table(table, 2)
    budget = SearchBudget(seconds=0.0)
    result = decompose(profile, budget=budget)
    assert len(result.nodes) == 1 and "decomposition ended after 0 split(s)" in result.decisions[-1]
    assert budget.notes == [f"w40: {result.decisions[-1]}"]


def test_run_bounded_returns_raises_and_kills() -> None:
    assert run_bounded(lambda: [1, 2, 3], 10, 1024**3) == [1, 2, 3]
    with pytest.raises(ZeroDivisionError):
        run_bounded(lambda: 1 / 0, 10, 1024**3)
    start = time.monotonic()
    with pytest.raises(OverBudget, match="not finished within"):
        run_bounded(lambda: time.sleep(30), 0.5, 1024**3)
    assert time.monotonic() - start < 5
    with pytest.raises(OverBudget, match="memory bound"):
        run_bounded(lambda: len(bytearray(512 * 1024**2)), 30, 256 * 1024**2)


def test_run_bounded_under_a_lower_limit_already_in_force() -> None:
    """Under `ulimit -v` (found by benchmarks/fuzz.py's capped workers) the bound may not be raised."""
    code = ("import resource; resource.setrlimit(resource.RLIMIT_AS, (3 * 1024**3, 3 * 1024**3)); "
            "from schemawright.profiling.budget import run_bounded; print(run_bounded(lambda: 42, 10, 8 * 1024**3))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "42", done.stderr


@pytest.mark.parametrize("option, value", [("--time-budget", "0"), ("--max-dependencies", "0")])
def test_budget_options_are_checked(tmp_path: Path, option: str, value: str) -> None:
    (tmp_path / "a.csv").write_text("a,b\n1,2\n3,4\n", encoding="utf-8")
    done = normalize(str(tmp_path / "a.csv"), "-o", str(tmp_path / "out"), option, value)
    assert done.returncode == 2 and f"{option} must be" in done.stderr, done.stderr
