"""Every deliverable of every bundled example, byte for byte against tests/golden/.

A refactor must leave these unchanged.  When a change of output is intended, regenerate with
`pytest tests/test_golden.py --update-golden` and review the diff in git before committing.
"""

from __future__ import annotations

import difflib

import pytest

from golden_cases import CASES, DIALECT, GOLDEN, case_name, render, stored, write_case


@pytest.mark.parametrize(("spec", "normalize"), CASES, ids=[case_name(*c) for c in CASES])
def test_deliverables_match_golden(spec, normalize, request):
    directory = GOLDEN / DIALECT / case_name(spec, normalize)
    files = render(spec, normalize)
    if request.config.getoption("--update-golden"):
        write_case(directory, files)
        return
    expected = stored(directory)
    assert sorted(files) == sorted(expected), (
        f"deliverable set changed for {spec}: missing {sorted(set(expected) - set(files))}, "
        f"new {sorted(set(files) - set(expected))} (regenerate with --update-golden)"
    )
    drifted = [name for name in files if files[name] != expected[name]]
    diff = "".join(
        line
        for name in drifted
        for line in difflib.unified_diff(
            expected[name].splitlines(keepends=True), files[name].splitlines(keepends=True),
            f"golden/{name}", f"now/{name}", n=2,
        )
    )
    assert not drifted, f"{spec}: {drifted} differ from {directory} (regenerate with --update-golden):\n{diff[:6000]}"
