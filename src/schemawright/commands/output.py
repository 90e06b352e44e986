"""The consoles every command prints to, and the exit for a spec with errors.

Piped output is not wrapped: on a terminal rich wraps at its width, but a pipe or a file
gets whole lines (a summary cut at 80 columns breaks `grep` and scripts).  COLUMNS, when
set, still decides the width."""

from __future__ import annotations

import os
import sys
from typing import NoReturn, TextIO

import typer
from rich.console import Console

from schemawright.errors import SpecErrors, print_spec_errors

_PIPE_WIDTH = 10_000  # wide enough that a table row is one line


def _console(stream: TextIO, stderr: bool) -> Console:
    if stream.isatty() or os.environ.get("COLUMNS"):
        return Console(stderr=stderr, highlight=False)
    return Console(stderr=stderr, highlight=False, width=_PIPE_WIDTH, soft_wrap=True)


out = _console(sys.stdout, stderr=False)
err = _console(sys.stderr, stderr=True)


def fail_on_spec_errors(exc: SpecErrors) -> NoReturn:
    print_spec_errors(err, exc, "generated")
    raise typer.Exit(1)
