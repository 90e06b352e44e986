"""The command output shown in README.md and docs/*.md is what the commands print today.

scripts/docs_outputs.py regenerates each documented block from a real run (a cog section
naming the command); here its --check mode fails on any drift.  Blocks whose output depends
on time or on the machine (validate, generate, bench, advise) say why they are not checked,
and every `$ schemawright` block must be one or the other, so a new one cannot slip by.
About 15 s: the import --roundtrip block starts an embedded PostgreSQL.  The README's literal
excerpts of the shop deliverables (erd.mmd, data-dictionary.md) are checked against tests/golden/.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "docs_outputs.py"
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_every_documented_command_output_is_generated_or_says_why_not():
    unaccounted = []
    for doc in DOCUMENTS:
        lines = doc.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines[1:], start=1):
            if line.startswith("$ schemawright") and lines[i - 1].startswith("```"):
                before = lines[i - 2] if i >= 2 else ""
                if not re.match(r"<!-- (\[\[\[cog show\(|output not checked: \S)", before):
                    unaccounted.append(f"{doc.relative_to(ROOT)}:{i + 1}: {line}")
    assert not unaccounted, "output blocks with neither a cog section nor a reason:\n" + "\n".join(unaccounted)


@pytest.mark.skipif(shutil.which("dot") is None, reason="the design output lists erd.svg, written only with Graphviz")
def test_documented_outputs_match_real_runs():
    done = subprocess.run([sys.executable, str(SCRIPT), "--check"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr


def _lines_after(text: str, heading: str) -> list[str]:
    """The lines of the first fenced block or table after the line containing `heading`."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if heading in line) + 1
    while not lines[start].strip():
        start += 1
    if lines[start].startswith("```"):
        end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("```"))
        return lines[start + 1:end]
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    return lines[start:end]


def test_readme_excerpts_of_the_shop_deliverables_are_in_the_golden_files():
    """The README quotes parts of erd.mmd and data-dictionary.md literally; each quoted line is
    still a line of the shop example's deliverable (tests/golden/, compared in test_golden.py)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    golden = ROOT / "tests" / "golden" / "postgresql" / "shop"
    for heading, name in [("(`erd.mmd`):", "erd.mmd"), ("One entry of `data-dictionary.md`", "data-dictionary.md")]:
        quoted = _lines_after(readme, heading)
        actual = {line.strip() for line in (golden / name).read_text(encoding="utf-8").splitlines()}
        assert quoted, f"no excerpt found after {heading!r}"
        missing = [line for line in quoted if line.strip() not in actual and not line.startswith("| ---")]
        assert not missing, f"README lines no longer in {name}:\n" + "\n".join(missing)
