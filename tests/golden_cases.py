"""Golden deliverables of the bundled examples: which cases, and how to render and write them.

Shared by tests/test_golden.py (compare) and `pytest --update-golden` (rewrite).  Layout:
tests/golden/<dialect>/<case>/<deliverable path>, so MySQL or SQLite generators later add a
sibling directory instead of renaming the PostgreSQL one.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from schemawright.pipeline import deliverables, design_file

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
DIALECT = "postgresql"

# Repo-relative spec paths: model.json records the path it was given, so a relative one keeps
# the golden files independent of where the repository is checked out.
EXAMPLES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "examples").glob("*.yaml"))
EXAMPLES.append("src/schemawright/requirements/example.yaml")  # the `init` template
# --normalize changes tables, DDL and docs of these two (for the others only model.json's flag).
NORMALIZED = ["examples/iot_telemetry.yaml", "examples/shop.yaml"]
CASES = [(spec, False) for spec in EXAMPLES] + [(spec, True) for spec in NORMALIZED]


def case_name(spec: str, normalize: bool) -> str:
    return Path(spec).stem + ("-normalized" if normalize else "")


def render(spec: str, normalize: bool) -> dict[str, str]:
    """The deliverables of one case, rendered from the repository root."""
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        return deliverables(design_file(spec, normalize=normalize))
    finally:
        os.chdir(cwd)


def stored(directory: Path) -> dict[str, str]:
    """Files under a golden case directory, by relative path (bytes decoded without newline changes)."""
    return {
        p.relative_to(directory).as_posix(): p.read_bytes().decode("utf-8")
        for p in sorted(directory.rglob("*")) if p.is_file()
    }


def write_case(directory: Path, files: dict[str, str]) -> None:
    shutil.rmtree(directory, ignore_errors=True)
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
