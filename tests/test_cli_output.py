"""Piped output is whole lines: a pipe or a file is not wrapped at 80 columns (COLUMNS still rules)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _design(tmp_path: Path, **env: str) -> list[str]:
    environ = {k: v for k, v in os.environ.items() if k != "COLUMNS"} | env
    result = subprocess.run([sys.executable, "-c", "from schemawright.cli import main; main()", "design",
                             str(ROOT / "examples" / "shop.yaml"), "-o", str(tmp_path / "out"), "--offline"],
                            capture_output=True, text=True, env=environ, timeout=300, check=True)
    return result.stdout.splitlines()


def test_piped_summary_is_one_line(tmp_path: Path) -> None:
    first = _design(tmp_path)[0]
    assert len(first) > 80
    assert first.startswith("designed ") and first.endswith("decisions recorded in report.md)")


def test_columns_still_sets_the_width(tmp_path: Path) -> None:
    first = _design(tmp_path, COLUMNS="60")[0]
    assert len(first) <= 60 and not first.endswith("report.md)")
