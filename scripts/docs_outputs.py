"""Regenerate the command output shown in README.md and docs/*.md from real runs.

Each documented output sits in a cog section (https://nedbatchelder.com/code/cog/) whose
marker names the command, so the text itself says what produced it:

    <!-- [[[cog show("schemawright design examples/shop.yaml -o out/shop") ]]] -->
    ```
    $ schemawright design examples/shop.yaml -o out/shop
    ...output of a real run...
    ```
    <!-- [[[end]]] -->

    python scripts/docs_outputs.py           # rewrite every section from a real run
    python scripts/docs_outputs.py --check   # exit 1, with a diff, when a section would change (cogapp: test extra)

Commands run in a temporary directory holding a link to examples/, so `-o` outputs never
land in the checkout; COLUMNS is set wide so rich's tables and messages are not wrapped at
80 columns when piped.  Output that depends on time or on the machine (validate, generate,
bench, advise latencies and scratch names) is not regenerated: those blocks carry an
`<!-- output not checked: reason -->` comment instead, and tests/test_docs_outputs.py makes
sure every `$ schemawright` block has one or the other.

The script lives in scripts/ rather than in the package because it runs the CLI on the
repository's examples/, which are not shipped, and rather than in benchmarks/ because it
measures nothing.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = ["README.md", *sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").glob("*.md"))]
WIDTH = "200"  # wide enough that no documented line wraps
CHECK_HINT = "documented output drifted: run `python scripts/docs_outputs.py` and review the diff"


def run(command: str, files: dict[str, str] | None = None) -> str:
    """Output (stdout then stderr, as a terminal shows them interleaved) of one `schemawright ...`
    command run in a scratch directory; `files` copies repository files in under the given names."""
    argv = shlex.split(command)
    assert argv[0] == "schemawright", f"documented commands start with schemawright: {command!r}"
    with tempfile.TemporaryDirectory(prefix="docs-outputs-") as tmp:
        os.symlink(ROOT / "examples", Path(tmp) / "examples")
        for name, source in (files or {}).items():
            shutil.copyfile(ROOT / source, Path(tmp) / name)
        env = {**os.environ, "COLUMNS": WIDTH, "NO_COLOR": "1", "TERM": "dumb"}
        env.pop("SCHEMAWRIGHT_DEBUG", None)
        done = subprocess.run(
            [sys.executable, "-c", "from schemawright.cli import main; main()", *argv[1:]],
            cwd=tmp, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300,
        )
    if done.returncode not in (0, 1) or "internal error" in done.stdout:
        raise RuntimeError(f"{command!r} exited {done.returncode}:\n{done.stdout}")
    return done.stdout


def excerpt(text: str, head: int | None, tail: int) -> str:
    """The first `head` lines, '...', and the last `tail` lines: long outputs shown in part."""
    lines = text.rstrip("\n").split("\n")
    if head is None or len(lines) <= head + tail:
        return "\n".join(lines) + "\n"
    return "\n".join([*lines[:head], "...", *lines[len(lines) - tail:]]) + "\n"


def show(command: str, head: int | None = None, tail: int = 1, files: dict[str, str] | None = None,
         fence: str = "") -> None:
    """Write, into the cog section being generated, a fenced block with the command and its output."""
    import cog  # provided by cogapp while it runs a section

    cog.out(f"```{fence}\n$ {command}\n{excerpt(run(command, files), head, tail)}```\n")


def main(argv: list[str]) -> int:
    from cogapp import Cog

    check = "--check" in argv
    options = ["--check", "--diff", f"--check-fail-msg={CHECK_HINT}"] if check else ["-r"]
    os.chdir(ROOT)
    status = Cog().main(["cog", *options, "--verbosity=1", "-I", str(ROOT / "scripts"),
                         "-p", "from docs_outputs import show", *DOCUMENTS])
    return 1 if status == 5 else status  # cog says 5 for "--check found a change"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
