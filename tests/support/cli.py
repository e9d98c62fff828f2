"""Helpers every test stage uses: the repository's paths, the bundled seeds, and `run_cli`,
which runs `curator ARGS` in-process and returns its exit code and output."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LISTS = ROOT / "data" / "lists"
HISTORY = ROOT / "data" / "history"  # older versions of the lists (imported with `--as`)
SEEDS = {
    "v1": HISTORY / "deep_learning_system-v1.md",
    "dls": LISTS / "deep_learning_system.md",
    "models": LISTS / "dl_models_and_algorithms.md",
    "study": LISTS / "study_resources.md",
    "frameworks": LISTS / "ml_frameworks.md",
}


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str


def run_cli(*args: str | Path) -> CliResult:
    """Run `curator ARGS` in-process through `cli.main`, capturing output and exit code."""
    from curator.cli.app import main

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with redirect_stdout(out), redirect_stderr(err):
        try:
            main([str(a) for a in args])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return CliResult(code, out.getvalue(), err.getvalue())


def import_demo(db: Path) -> None:
    """Import the bundled lists as the README's set-up does: the older version of
    deep_learning_system first, as the same source, then every current list."""
    r = run_cli("import", "--as", "deep_learning_system", SEEDS["v1"], "--db", db)
    assert r.code == 0, r.stderr
    r = run_cli("import", LISTS, "--db", db)
    assert r.code == 0, r.stderr
