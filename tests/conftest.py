"""Shared fixtures: a fresh DB path, an in-process CLI runner, no $CURATOR_DB leaking in,
and a real PostgreSQL server (started once per session) with a fresh database per test."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.pg import PostgresServer, start_server


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "curator.db"


@pytest.fixture
def cli():  # type: ignore[no-untyped-def]
    return run_cli


@pytest.fixture(autouse=True)
def _no_env_db(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CURATOR_DB", raising=False)
    # Never the internet: no GitHub API from a CI runner's token, and Wayback lookups go to
    # a closed loopback port (refused by the SSRF guard unless a test allows private).
    for name in ("GITHUB_TOKEN", "GH_TOKEN", "GITHUB_API_URL", "GITHUB_GRAPHQL_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CURATOR_WAYBACK_URL", "http://127.0.0.1:9")
    monkeypatch.setattr(sys, "argv", ["curator"])


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL server per test session (tests/support/pg.py)."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed (pip install -e '.[test]')")
    try:
        server = start_server()
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"no PostgreSQL server for this session: {exc}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(pg_server: PostgresServer) -> str:
    """A fresh, empty database on the session's server: its postgresql:// URL."""
    return pg_server.create_database(f"t_{uuid.uuid4().hex[:16]}")
