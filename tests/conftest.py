"""Shared fixtures: a fresh DB path, an in-process CLI runner, no $CURATOR_DB leaking in."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.support.cli import run_cli


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
