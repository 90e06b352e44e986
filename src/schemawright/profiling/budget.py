"""A search budget for `normalize`: time and memory, ending with a partial answer that says so.

Dependency discovery can explode: 20 rows of random small integers in 100 columns hold
millions of minimal FDs with three columns on the left (4.2 GB before a MemoryError), and every
dependency kept makes each closure of the decomposition slower.  So:

- each desbordante call runs in a forked child with a deadline and an address-space limit
  (`run_bounded`); a child over either is killed and the parent carries on without its result;
- a call that finds more than `max_dependencies` dependencies gives none of them back;
- the search goes down to fewer columns on the left until a level fits, so what is kept is
  complete up to that level (file_profile.discover_fds);
- the decomposition stops splitting at the deadline and keeps what it has split so far.

Each cut is written as a note for the command's summary and normalize.md.  Without a budget
(`SearchBudget()` never given) everything runs in-process as before.
"""

from __future__ import annotations

import math
import os
import pickle
import resource
import select
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

DEFAULT_SECONDS = 60.0
DEFAULT_MAX_DEPENDENCIES = 20_000
DEFAULT_MEMORY = 1024**3  # address space a discovery child may add to the parent's
DISCOVERY_SHARE = 0.7  # of the time: what is left is for the decomposition

T = TypeVar("T")


class OverBudget(Exception):
    """A bounded call did not finish; the message says which bound stopped it."""


class TooManyDependencies(OverBudget):
    def __init__(self, count: int, cap: int):
        super().__init__(f"more than the cap of {cap:,} dependencies ({count:,} found)")
        self.count = count


@dataclass
class SearchBudget:
    seconds: float | None = DEFAULT_SECONDS
    max_dependencies: int | None = DEFAULT_MAX_DEPENDENCIES
    memory_bytes: int = DEFAULT_MEMORY
    started: float = field(default_factory=time.monotonic)
    notes: list[str] = field(default_factory=list)  # every cut, in the order it happened

    def left(self, share: float = 1.0) -> float | None:
        """Seconds left until `share` of the budget is spent (None: no time limit)."""
        if self.seconds is None:
            return None
        return max(0.0, self.started + share * self.seconds - time.monotonic())

    def expired(self, share: float = 1.0) -> bool:
        left = self.left(share)
        return left is not None and left <= 0

    def stopped(self) -> str:
        return f"search stopped at the {self.seconds:g} s time budget" if self.seconds is not None else "search stopped"


def _lower_limit(kind: int, soft: int, hard: int) -> None:
    """Set a resource limit, never above the one already in force: a process may lower its
    hard limit but not raise it (normalize run under `ulimit -v`, or by a test harness)."""
    _, current = resource.getrlimit(kind)
    if current != resource.RLIM_INFINITY:
        soft, hard = min(soft, current), min(hard, current)
    resource.setrlimit(kind, (soft, hard))


def run_bounded(work: Callable[[], T], seconds: float | None, memory_bytes: int) -> T:
    """`work()` in a forked child killed after `seconds` or when it needs more than
    `memory_bytes` of address space beyond the parent's; raise OverBudget then.  Where fork
    is missing, `work()` runs here unbounded."""
    if not hasattr(os, "fork"):
        return work()
    if seconds is not None and seconds <= 0:
        raise OverBudget("no time left in the budget")
    reader, writer = os.pipe()
    limit = _address_space() + memory_bytes
    pid = os.fork()
    if pid == 0:  # the child: no console, no cleanup handlers, only the work and its answer
        os.close(reader)
        try:
            for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                signal.signal(number, signal.SIG_DFL)  # the parent's cleanup handlers are not ours
            _lower_limit(resource.RLIMIT_AS, limit, limit)
            if seconds is not None:  # ends the child even if the parent dies before killing it
                _lower_limit(resource.RLIMIT_CPU, math.ceil(seconds) + 1, math.ceil(seconds) + 2)
            answer: tuple = ("ok", work())
        except MemoryError:
            answer = ("over", f"more than the memory bound ({memory_bytes / 1024**3:g} GB)")
        except OverBudget as error:
            answer = ("over", str(error))
        except BaseException as error:  # noqa: BLE001 - handed to the parent, which raises it
            answer = ("error", error)
        try:
            data = pickle.dumps(answer)
        except Exception as error:  # noqa: BLE001
            data = pickle.dumps(("error", RuntimeError(f"cannot return the result: {error}")))
        with os.fdopen(writer, "wb") as out:
            out.write(data)
        os._exit(0)
    os.close(writer)
    try:
        data = _read_until(reader, None if seconds is None else time.monotonic() + seconds)
    except TimeoutError:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise OverBudget(f"not finished within {seconds:.1f} s") from None
    finally:
        os.close(reader)
    _, status = os.waitpid(pid, 0)
    if not data:  # killed: desbordante aborts (std::bad_alloc) when the address space runs out
        raise OverBudget(f"the profiler stopped (status {status}), most likely at the memory bound "
                         f"({memory_bytes / 1024**3:g} GB)")
    kind, value = pickle.loads(data)
    if kind == "over":
        raise OverBudget(value)
    if kind == "error":
        raise value
    return value


def _read_until(fd: int, deadline: float | None) -> bytes:
    chunks = []
    while True:
        wait = None if deadline is None else deadline - time.monotonic()
        if wait is not None and wait <= 0:
            raise TimeoutError
        ready, _, _ = select.select([fd], [], [], wait)
        if not ready:
            raise TimeoutError
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _address_space() -> int:
    """The process's current virtual size (the child's limit is counted from it)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
