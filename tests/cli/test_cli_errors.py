"""Usage errors are one line: `Error: …` on stderr, exit 2, no usage box and no traceback.

Runs the real CLI as a subprocess (`python -m curator`), so what a user's shell sees is
what is tested: click's own usage errors and curator's errors look the same.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from curator.errors import ExitCode
from tests.support.cli import ROOT

pytestmark = pytest.mark.slow  # starts a Python process per case


def curator(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"CURATOR_DB", "CURATOR_DEBUG"}}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env["COLUMNS"] = "80"  # long messages must stay on one line, however narrow the terminal
    return subprocess.run(
        [sys.executable, "-m", "curator", *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def assert_one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == ExitCode.USAGE == 2, (proc.returncode, proc.stderr)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("Error: ") and lines[0] != "Error: ", proc.stderr
    assert proc.stdout == ""
    return lines[0]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["list", "--format", "xml"], "'xml'"),
        (["list", "--bogus"], "--bogus"),
        (["frobnicate"], "frobnicate"),
        (["check", "--fail-on", "sometimes"], "'sometimes'"),
        (["import"], "paths"),
        (["tag", "add"], "entry_id"),  # missing argument of a sub-command
    ],
    ids=["bad-choice", "unknown-option", "unknown-command", "bad-fail-on", "missing-arg", "sub"],
)
def test_click_usage_errors_are_one_line(args: list[str], says: str, tmp_path: Path) -> None:
    db = tmp_path / "curator.db"
    line = assert_one_error_line(curator(*args, "--db", str(db), cwd=tmp_path))
    assert says.lower() in line.lower()  # typer spells a missing argument PATHS or paths
    assert "Usage:" not in line and "╭" not in line
    assert not db.exists(), "a usage error writes nothing"


def test_unknown_top_level_option_is_one_line(tmp_path: Path) -> None:
    line = assert_one_error_line(curator("--bogus", cwd=tmp_path))
    assert "--bogus" in line


def test_curator_errors_are_still_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "nope.md"
    proc = curator("import", str(missing), "--db", str(tmp_path / "curator.db"), cwd=tmp_path)
    line = assert_one_error_line(proc)
    assert "nope.md" in line


@pytest.mark.parametrize("args", [["--help"], ["list", "--help"], ["db", "upgrade", "--help"]])
def test_help_still_exits_0(args: list[str], tmp_path: Path) -> None:
    proc = curator(*args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Usage:" in proc.stdout
    assert proc.stderr == ""


def test_no_args_still_shows_help(tmp_path: Path) -> None:
    proc = curator(cwd=tmp_path)
    assert proc.returncode == ExitCode.USAGE, proc.stderr
    assert "Usage:" in proc.stdout + proc.stderr
    assert "Error:" not in proc.stderr
