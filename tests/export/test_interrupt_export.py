"""An export interrupted mid-write leaves every old file whole and no temp file behind.

The DB changes between two exports so that every page changes; the second export is then
stopped part-way: by a failing write (disk full at the Nth rename, or a failing fsync) in
process, and by SIGINT / SIGTERM sent to a real `curator export` subprocess whose writes
are slowed down. Afterwards each file holds either its old bytes or its new bytes, never a
mix, no `*.tmp` file is left, and a rerun completes the export.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from curator.util import fsutil
from tests.support.cli import LISTS, run_cli

EXPORTS = [("export",), ("export", "--sources")]


def files(out: Path) -> dict[Path, bytes]:
    return {p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def temp_files(out: Path) -> list[Path]:
    return [p for p in out.rglob("*") if p.name.endswith(".tmp")]


def two_states(tmp_path: Path, export: tuple[str, ...]) -> tuple[Path, Path, dict[Path, bytes]]:
    """A DB exported once (the old files), then changed so that every page would change."""
    db, out = tmp_path / "curator.db", tmp_path / "out"
    assert run_cli("import", LISTS, "--db", db).code == 0
    assert run_cli(*export, "--out", out, "--db", db).code == 0
    old = files(out)
    moved = tmp_path / "moved"
    moved.mkdir()
    for seed in LISTS.glob("*.md"):  # every URL moves: every page, every source changes
        text = seed.read_text(encoding="utf-8").replace("https://", "https://mirror.")
        (moved / seed.name).write_text(text, encoding="utf-8")
    r = run_cli("import", moved, "--db", db)
    assert r.code == 0, r.stderr
    return db, out, old


def assert_whole(
    interrupted: dict[Path, bytes], old: dict[Path, bytes], new: dict[Path, bytes]
) -> None:
    """Each file after the interruption is the old one or the new one, whole."""
    for path, data in interrupted.items():
        assert data in (old.get(path), new.get(path)), f"{path} is neither old nor new"
    assert set(old) <= set(interrupted), "an old file vanished"
    assert any(new[p] != old.get(p) for p in new), "the second export must change files"


@pytest.mark.parametrize("export", EXPORTS)
@pytest.mark.parametrize("failing", ["replace", "fsync"])
def test_write_failure_mid_export_keeps_old_files_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, export: tuple[str, ...], failing: str
) -> None:
    db, out, old = two_states(tmp_path, export)
    real = getattr(os, failing)
    calls = {"n": 0}

    def flaky(*args: object) -> None:
        calls["n"] += 1
        if calls["n"] == 3:  # two files are replaced, the third write fails: disk full
            raise OSError(errno.ENOSPC, "No space left on device")
        real(*args)

    monkeypatch.setattr(fsutil.os, failing, flaky)
    r = run_cli(*export, "--out", out, "--db", db)
    monkeypatch.setattr(fsutil.os, failing, real)
    assert r.code == 3
    assert r.stderr == "Error: internal error: OSError: [Errno 28] No space left on device\n"
    assert not temp_files(out), "temp files left behind"
    interrupted = files(out)
    changed = [p for p in old if interrupted.get(p) != old[p]]
    assert len(changed) == 2, "exactly the two files renamed before the failure are new"
    r = run_cli(*export, "--out", out, "--db", db)  # a rerun finishes the job
    assert r.code == 0, r.stderr
    assert_whole(interrupted, old, files(out))


SLOW_EXPORT = """
import os, sys, time
real = os.fsync
def slow(fd):
    time.sleep(0.15)  # widen every write so the signal lands mid-export
    real(fd)
os.fsync = slow
from curator.cli.app import main
main(sys.argv[1:])
"""


@pytest.mark.slow
@pytest.mark.parametrize(
    ("sig", "code", "message"),
    # typer turns Ctrl-C into a silent exit 130; SIGTERM gets a line of its own.
    [(signal.SIGINT, 130, ""), (signal.SIGTERM, 143, "Error: terminated\n")],
)
def test_signal_mid_export_keeps_old_files_whole(
    tmp_path: Path, sig: signal.Signals, code: int, message: str
) -> None:
    db, out, old = two_states(tmp_path, ("export",))
    cmd = [sys.executable, "-c", SLOW_EXPORT, "export", "--out", str(out), "--db", str(db)]
    env = {k: v for k, v in os.environ.items() if k != "CURATOR_DB"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not any(files(out).get(p) != old[p] for p in old if (out / p).exists()):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the export never replaced a file"
            time.sleep(0.02)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert (proc.returncode, err) == (code, message)
    assert not temp_files(out), "temp files left behind"
    interrupted = files(out)
    assert any(interrupted[p] == old[p] for p in old), "the signal came after the last write"
    r = run_cli("export", "--out", out, "--db", db)
    assert r.code == 0, r.stderr
    assert_whole(interrupted, old, files(out))
