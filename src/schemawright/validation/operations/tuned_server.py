"""A scratch PostgreSQL server started with a postgresql.conf fragment (the configuration proof's).

Runs the machine's PostgreSQL (database/configured_server.py: temporary directory, loopback,
stopped and deleted on every way out) with the fragment included last and the superuser
reachable over loopback with a SCRAM password made for this run only (no trust line).  Memory
settings are scaled down when the target machine has more memory than this one has free for
the servers the proof runs at once (they must start here), and the proof says so.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from schemawright.database.configured_server import Binaries, Server, configured_server, scram_verifier

FRAGMENT = "postgresql.operations.conf"
MEMORY_SETTINGS = ("shared_buffers", "effective_cache_size", "work_mem", "maintenance_work_mem",
                   "autovacuum_work_mem")
FLOORS = {"shared_buffers": 128 * 1024**2, "effective_cache_size": 4 * 1024**3, "maintenance_work_mem": 64 * 1024**2,
          "autovacuum_work_mem": 64 * 1024**2}  # PostgreSQL's defaults
_LINE = re.compile(r"^\s*(\w+)\s*=\s*'?([^'#]*?)'?\s*(?:#.*)?$")
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*(B|kB|MB|GB|TB)$")
UNITS = {"B": 1, "kB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}


@dataclass(frozen=True)
class Running:
    server: Server
    url: str  # the superuser over loopback, with this run's password


def settings_in(text: str) -> dict[str, str]:
    """name -> value of every `name = value` line of a postgresql.conf fragment, in order."""
    found = {}
    for line in text.splitlines():
        if (match := _LINE.match(line)) and not line.lstrip().startswith("#"):
            found[match.group(1)] = match.group(2).strip()
    return found


def available_memory() -> int:
    """Bytes this machine has free for new processes (MemAvailable), 0 when unknown."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def fitted(text: str, target_memory_gb: float, servers: int = 1) -> tuple[str, str]:
    """`text` with its memory settings scaled by (memory free here / servers) / the target's memory
    when that is below 1 (they must start here), and a note saying so ('' when nothing changed)."""
    free = available_memory()
    share = free / servers if free else 0
    target = target_memory_gb * UNITS["GB"]
    if not share or share >= target:
        return text, ""
    factor = share / target
    lines, changed = [], False
    for line in text.splitlines():
        match = _LINE.match(line)
        size = _SIZE.match(match.group(2).strip()) if match and match.group(1) in MEMORY_SETTINGS else None
        if match and size:
            written = int(float(size.group(1)) * UNITS[size.group(2)])
            scaled = max(int(written * factor) // UNITS["MB"] * UNITS["MB"], FLOORS.get(match.group(1), UNITS["MB"]))
            new = f"{match.group(1)} = {min(written, scaled) // UNITS['MB']}MB"
            changed, line = changed or new != line, new
        lines.append(line)
    if not changed:
        return text, ""
    note = (f"memory settings scaled by {factor:.2f} (at least PostgreSQL's defaults): the target machine has "
            f"{target_memory_gb:g} GiB, this one {free / UNITS['GB']:.1f} GiB free for {servers} server(s)")
    return "\n".join(lines) + "\n", note


@contextmanager
def tuned_server(binaries: Binaries, fragment: str) -> Iterator[Running]:
    """A scratch server with `fragment` included last; raises ServerError when it does not start
    (a setting PostgreSQL refuses stops it: the error is the log's last lines)."""
    password = secrets.token_urlsafe(24)
    bootstrap = [("postgres", f"ALTER ROLE postgres PASSWORD '{scram_verifier(password)}';")]
    files = {FRAGMENT: fragment.encode(), "pg_hba.conf": b"host all all 127.0.0.1/32 scram-sha-256\n"}
    with configured_server(binaries, files, include=FRAGMENT, bootstrap=bootstrap) as server:
        yield Running(server, f"postgresql://postgres:{quote(password, safe='')}@{server.host}:{server.port}/postgres")
