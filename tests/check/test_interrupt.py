"""Ctrl-C / SIGTERM during `curator check`: finished results are committed, the process
exits 130 / 143 with a summary, the DB stays sound and a rerun continues. Also: two runs
on one DB at once."""

from __future__ import annotations

import asyncio
import http.server
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from curator.check.runner import CheckOptions, run_check
from curator.check.summary import CheckInterrupted
from curator.check.types import CheckConfig, FetchResult, Outcome
from curator.errors import ExitCode
from curator.ingest.importer import import_paths
from curator.store.connect import open_engine
from tests.support.serving import serving

N_URLS = 200
DELAY_S = 0.3


def write_list(path: Path, base: str, n: int) -> Path:
    lines = ["# Slow list", "", "## Pages", ""]
    lines += [f"- [Page {i}]({base}/slow/{i}) - number {i}." for i in range(n)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def count(db: Path, sql: str = "select count(*) from check_result") -> int:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("sig", "code"), [(signal.SIGINT, ExitCode.INTERRUPTED), (signal.SIGTERM, ExitCode.TERMINATED)]
)
def test_signal_in_process_commits_finished_results(
    tmp_path: Path, sig: signal.Signals, code: ExitCode
) -> None:
    """A fake engine reports 30 results, then the process gets a signal mid-run."""
    db = tmp_path / "c.db"
    import_paths(open_engine(db), [write_list(tmp_path / "l.md", "https://x.test", 100)])

    async def engine(
        urls: Sequence[str],
        config: CheckConfig,
        on_result: Callable[[FetchResult], None],
        stop: asyncio.Event | None = None,
    ) -> None:
        assert stop is not None
        for url in urls[:30]:
            on_result(FetchResult(url, Outcome.OK, 200))
        os.kill(os.getpid(), sig)
        await asyncio.wait_for(stop.wait(), 10)  # the runner's handler stops us

    now = datetime(2024, 1, 1, tzinfo=UTC)
    with pytest.raises(CheckInterrupted) as caught:
        run_check(open_engine(db), CheckOptions(now=now), engine_fn=engine)
    assert caught.value.exit_code is code
    assert caught.value.summary.checked == 30 and caught.value.summary.to_check == 100
    assert count(db) == 30
    assert count(db, "select count(*) from url_state where state = 'ok'") == 30
    assert count(db, "select count(*) from run where status = 'interrupted'") == 1
    # The handlers are gone again: the default SIGINT behaviour is back.
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the default backlog of 5 drops concurrent connects for 1 s

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that hung up (the interrupted run) is expected here


class _SlowHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        time.sleep(DELAY_S)
        body = f"<html><head><title>{self.path}</title></head></html>".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_HEAD = do_GET


@pytest.fixture
def slow_server() -> Iterator[str]:
    with serving(_Server(("127.0.0.1", 0), _SlowHandler)) as base:
        yield base


def curator(db: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "curator", "check", "--db", str(db), "--allow-private", *args]


def run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CI": "true"}
    env.pop("CURATOR_DB", None)
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("sig", "code"), [(signal.SIGINT, ExitCode.INTERRUPTED), (signal.SIGTERM, ExitCode.TERMINATED)]
)
def test_signal_to_a_real_run_keeps_results_and_rerun_continues(
    tmp_path: Path, slow_server: str, sig: signal.Signals, code: ExitCode
) -> None:
    db = tmp_path / "c.db"
    import_paths(open_engine(db), [write_list(tmp_path / "l.md", slow_server, N_URLS)])
    slow = curator(db, "--concurrency", "4", "--per-host", "4", "--retries", "0")
    env = {**os.environ, "CI": "true"}
    proc = subprocess.Popen(
        slow, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 30
        while not db.exists() or count(db) < 8:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "no results were committed"
            time.sleep(0.05)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == code, err
    assert f"interrupted by {sig.name}" in out
    assert "finished results are saved" in err
    done = count(db)
    assert 8 <= done < N_URLS
    assert count(db, "select count(distinct url_id) from check_result") == done
    assert count(db, "select count(*) from run where status = 'interrupted'") == 1
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()

    rerun = run(curator(db, "--only-new", "--concurrency", "100", "--per-host", "100"), tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    assert rerun.stdout.startswith(f"checked {N_URLS - done} of {N_URLS - done} URLs")
    assert count(db) == N_URLS
    assert count(db, "select count(distinct url_id) from check_result") == N_URLS


@pytest.mark.slow
def test_two_runs_on_one_db_at_once(tmp_path: Path, slow_server: str) -> None:
    db = tmp_path / "c.db"
    import_paths(open_engine(db), [write_list(tmp_path / "l.md", slow_server, 60)])
    cmd = curator(db, "--max-age", "0", "--concurrency", "30", "--per-host", "30")
    env = {**os.environ, "CI": "true"}
    procs = [
        subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    results = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    assert count(db) == 120
    assert count(db, "select count(*) from run where status = 'done'") == 2
    assert count(db, "select count(*) from url_state where state = 'ok'") == 60
