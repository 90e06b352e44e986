"""SIGTERM and SIGHUP end a run the way Ctrl-C does: by unwinding, so that every context
manager on the way out drops its scratch database and stops its embedded server.

Python's default for SIGTERM and SIGHUP is to die on the spot, leaving both behind.
`install()` (called by the command line) makes SIGINT, SIGTERM and SIGHUP raise
`Interrupted`, a KeyboardInterrupt, so no `except Exception` swallows it and psycopg
cancels a running query as it does for Ctrl-C.  Only the first signal raises: once the run
is unwinding, more signals (a second Ctrl-C, a service manager repeating SIGTERM) must not
cut its cleanup short.  A few steps must not be cut in half either (a database created but
not yet handed to the code that drops it, an embedded server half started): they run under
`shielded()`, which holds a signal until the step is done.
"""

from __future__ import annotations

import signal
from types import FrameType

HANDLED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Interrupted(KeyboardInterrupt):
    """The run was asked to stop by a signal."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.signame = signal.Signals(signum).name
        super().__init__(f"interrupted by {self.signame}")

    @property
    def exit_code(self) -> int:
        return 128 + self.signum  # the shell's convention: 130 for INT, 143 for TERM, 129 for HUP


_received: list[int] = []  # every signal handled, in order; the first one names the stop
_stopping = False  # Interrupted was raised: later signals must not cut the cleanup short
_depth = 0  # how many shielded() blocks are open


def _handler(signum: int, _frame: FrameType | None) -> None:
    global _stopping
    _received.append(signum)
    if _stopping or _depth:
        return  # already unwinding, or held until the shielded block ends
    _stopping = True
    raise Interrupted(signum)


def install() -> None:
    """Route SIGINT, SIGTERM and SIGHUP to `Interrupted` (call from the main thread)."""
    for signum in HANDLED:
        signal.signal(signum, _handler)


def ignore() -> None:
    """Ignore these signals from now on: for the last steps of a run whose cleanup is done
    (Python would restore the default handlers while it exits, and die of a late signal)."""
    for signum in HANDLED:
        signal.signal(signum, signal.SIG_IGN)


def received() -> Interrupted | None:
    """The first signal this process was stopped by, if any.  (The command line asks: typer
    turns any KeyboardInterrupt into exit code 130 on its way out.)"""
    return Interrupted(_received[0]) if _received else None


class shielded:  # noqa: N801 - used as a `with` statement, like contextlib's helpers
    """Hold SIGINT/SIGTERM/SIGHUP until the block ends, then raise `Interrupted` for the
    first one held (unless the run is already stopping)."""

    def __enter__(self) -> None:
        global _depth
        _depth += 1

    def __exit__(self, *_exc: object) -> None:
        global _depth, _stopping
        _depth -= 1
        if _depth or _stopping or not _received:
            return
        _stopping = True
        raise Interrupted(_received[0])
