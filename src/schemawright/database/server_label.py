"""How a result names the server it ran on: `PostgreSQL 18.6 (embedded)`, or the version and
the redacted URL of a server given with --database-url.  Plans, and so the latencies and the
indexes chosen, differ between major versions; every result says which one it measured."""

from __future__ import annotations

EMBEDDED = "embedded PostgreSQL"  # what results hold as their server when no URL was given


def server_label(server: str | None, version: str | None) -> str:
    """`version` as SHOW server_version gives it (`15.14 (Debian 15.14-0+deb12u1)`): its number is kept."""
    number = version.split()[0] if version and version.split() else ""
    name = f"PostgreSQL {number}" if number else "PostgreSQL (version unknown)"
    if not server or server == EMBEDDED:
        return f"{name} (embedded)"
    return f"{name} at {server}"
