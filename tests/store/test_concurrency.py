"""Two `curator check` processes and one `curator import` on one DB at the same time.

All three are real subprocesses against a slow local server (--allow-private). The import
is big (one transaction of several thousand entries) so it holds the write lock while the
checks try to store results. Every process must finish with its normal exit code and no
`database is locked` or traceback, the DB must pass `PRAGMA integrity_check`, every row
each process wrote must be there, and a follow-up check sees the imported URLs.
"""

from __future__ import annotations

import http.server
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.serving import serving

N_FIRST = 60  # URLs in the list the checks run on
N_BIG = 4000  # entries in the list imported meanwhile
BIG_URLS = 40  # ...pointing at this many distinct URLs


class Slow(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        time.sleep(0.05)
        body = f"<html><head><title>page {self.path}</title></head></html>".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    httpd.daemon_threads = True
    with serving(httpd) as base:
        yield base


def query(db: Path, sql: str) -> int:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


def curator(db: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "curator", *args, "--db", str(db)]


@pytest.mark.slow
def test_two_checks_and_an_import_at_once(tmp_path: Path, server: str) -> None:
    first = tmp_path / "first.md"
    first.write_text(
        "# First\n\n" + "".join(f"- [p{i}]({server}/a/{i}) - page\n" for i in range(N_FIRST)),
        encoding="utf-8",
    )
    big = tmp_path / "big.md"
    big.write_text(
        "# Big\n\n"
        + "".join(
            f"## Part {i // 100}\n\n" * (i % 100 == 0)
            + f"- [entry {i}]({server}/b/{i % BIG_URLS}#e{i}) - note {i}\n"
            for i in range(N_BIG)
        ),
        encoding="utf-8",
    )
    db = tmp_path / "curator.db"
    assert run_cli("import", first, "--db", db).code == 0

    env = {**{k: v for k, v in os.environ.items() if k != "CURATOR_DB"}, "CI": "true"}
    check = ("check", "--allow-private", "--max-age", "0", "--retries", "0")
    cmds = [
        curator(db, *check, "--concurrency", "8", "--per-host", "8"),
        curator(db, *check, "--concurrency", "4", "--per-host", "4"),
        curator(db, "import", str(big)),
    ]
    procs = [
        subprocess.Popen(c, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for c in cmds
    ]
    outs = [p.communicate(timeout=180) for p in procs]
    for proc, (out, err) in zip(procs, outs, strict=True):
        text = (out + err).decode("utf-8", "replace")
        assert proc.returncode == 0, text
        assert "database is locked" not in text and "Traceback" not in text, text
    assert outs[2][0].decode().startswith(f"big: v1 +{N_BIG} -0 ~0")

    assert query(db, "SELECT count(*) FROM run WHERE kind = 'check' AND status = 'done'") == 2
    checked = query(db, "SELECT count(*) FROM check_result")
    assert checked >= 2 * N_FIRST  # each run checked at least the first list's URLs
    assert query(db, "SELECT count(*) FROM check_result WHERE outcome != 'ok'") == 0
    assert query(db, "SELECT count(*) FROM entry WHERE source_id = 2") == N_BIG
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()

    rerun = subprocess.run(
        curator(db, *check, "--only-new"), env=env, capture_output=True, text=True, timeout=120
    )
    assert rerun.returncode == 0, rerun.stderr
    assert query(db, "SELECT count(DISTINCT url_id) FROM check_result") == N_FIRST + BIG_URLS
