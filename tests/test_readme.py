"""The README a new user reads first (issue 11, section 4): its first spec passes `check`, its
links stay inside the repository, and what it quotes from report.md is what design writes today.
(Command outputs are checked by tests/test_docs_outputs.py; the erd.mmd and data-dictionary.md
excerpts there too.)"""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from schemawright.cli import app

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _tour_spec() -> str:
    tour = README[README.index("## A short tour"):]
    found = re.search(r"```yaml\n(.*?)```", tour, re.S)
    assert found, "no YAML block in the tour"
    return found.group(1)


def test_the_first_spec_of_the_tour_passes_check(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(_tour_spec(), encoding="utf-8")
    result = CliRunner().invoke(app, ["check", str(spec)])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output


def test_no_link_or_path_leaves_the_repository():
    outside = []
    for doc in DOCUMENTS:
        text = doc.read_text(encoding="utf-8")
        targets = re.findall(r"\]\(([^)\s]+)\)", text) + re.findall(r"`(\.\./[^`]*)`", text)
        for target in targets:
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue  # a web address or an anchor in the same page
            path = (doc.parent / target.split("#", 1)[0]).resolve()
            if ROOT not in path.parents and path != ROOT or not path.exists():
                outside.append(f"{doc.relative_to(ROOT)}: {target}")
    assert not outside, "links to files outside the repository (or missing):\n" + "\n".join(outside)


def test_quotes_of_report_md_are_what_design_writes():
    """Each blockquote after a line naming report.md is text of the shop example's report.md
    (tests/golden/, compared with a fresh design in test_golden.py)."""
    report = " ".join((ROOT / "tests" / "golden" / "postgresql" / "shop" / "report.md").read_text(
        encoding="utf-8").split())
    lines = README.splitlines()
    quotes = []
    for i, line in enumerate(lines):
        if line.startswith(">") and not lines[i - 1].startswith(">"):
            j = i
            while j < len(lines) and lines[j].startswith(">"):
                j += 1
            start = i - 2
            while start > 0 and lines[start - 1].strip():
                start -= 1  # the paragraph that introduces the quote
            quotes.append((" ".join(lines[start:i - 1]), " ".join(" ".join(row[1:].split()) for row in lines[i:j])))
    quoted = [(intro, text) for intro, text in quotes if "report.md" in intro]
    assert len(quoted) >= 3, quotes
    for intro, text in quoted:
        body = re.sub(r"^(\*\*[^*]+\*\*|`[^`]+`): ", "", text)  # the README's label for the quote
        assert body in report, f"quoted after {intro!r}, not in report.md:\n{body}"
