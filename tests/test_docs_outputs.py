"""The command output shown in README.md and docs/*.md is what the commands print today.

scripts/docs_outputs.py regenerates each documented block from a real run (a cog section
naming the command); here its --check mode fails on any drift.  Blocks whose output depends
on time or on the machine (validate, generate, bench, advise) say why they are not checked,
and every `$ schemawright` block must be one or the other, so a new one cannot slip by.
About 15 s: the import --roundtrip block starts an embedded PostgreSQL.
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
