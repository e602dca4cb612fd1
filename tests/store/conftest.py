"""A real PostgreSQL server for the store tests: started once per session, a fresh database per test;
and `url`, which runs a test once per store.

Skipped, saying why, only when the server binaries are missing (CI installs them: .ci/system-packages).
"""

from __future__ import annotations

import uuid

import pytest

from composite.store import _pgserver


@pytest.fixture(scope="session")
def pg_server():
    if _pgserver.binaries() is None:
        pytest.skip(_pgserver.missing_reason())
    server = _pgserver.TemporaryServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(pg_server) -> str:
    """The URL of a new, empty database on the session's server."""
    return pg_server.create_database(f"t_{uuid.uuid4().hex[:12]}")


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def url(request, tmp_path) -> str:
    """Each store in turn, as the URL an engine is given: in memory, a new SQLite file, a new PostgreSQL database."""
    if request.param == "memory":
        return "memory"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'd.db'}"
    return request.getfixturevalue("pg_url")
