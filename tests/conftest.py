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
    monkeypatch.setattr(sys, "argv", ["curator"])
