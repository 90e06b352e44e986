"""Who made a scratch database or an embedded server directory: this host, and a PID.

Both names carry `host_tag()` and the creating process's PID, so a later run can tell what
a killed run left (same host, PID gone) from what a live run still uses.  A PID means
something only where it was issued, so the tag covers the host name, the machine id and
the PID namespace: a run in another container or on another machine sharing the server
(or the temporary directory) has another tag, and its things are never touched.
"""

from __future__ import annotations

import functools
import hashlib
import os
import socket
from pathlib import Path

import psutil

TAG_LENGTH = 8


@functools.cache
def host_tag() -> str:
    """Eight hex digits naming this host and PID namespace."""
    parts = [socket.gethostname()]
    for path in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        try:
            parts.append(Path(path).read_text().strip())
            break
        except OSError:
            continue
    try:
        parts.append(os.readlink("/proc/self/ns/pid"))  # Linux: e.g. "pid:[4026531836]"
    except OSError:
        pass
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:TAG_LENGTH]


def is_alive(pid: int) -> bool:
    """True if a process `pid` exists here. A reused PID also counts: when in doubt, keep."""
    return psutil.pid_exists(pid)
