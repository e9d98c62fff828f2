"""ruff (lint + format) and mypy over all of curator/: the house style is a test."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    path = BIN / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed; install the test extra: pip install -e '.[test]'")
    return found


def _existing(*names: str) -> list[str]:
    return [n for n in names if (ROOT / n).exists()]


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", *_existing("curator", "tests", "benchmarks", "tools")],
        ["ruff", "format", "--check", "curator"],
        ["mypy", "curator"],
    ],
    ids=["ruff-check", "ruff-format", "mypy"],
)
def test_tool_passes(command: list[str]) -> None:
    proc = subprocess.run(
        [_tool(command[0]), *command[1:]], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
