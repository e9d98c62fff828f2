"""Resource caps, end to end: hostile servers cannot make `curator check` hang or bloat.

A real `curator check --allow-private` subprocess checks one hostile URL per run on a
local server: a 5 MB page, an endless chunked body, a gzip bomb, a 1 MB response header,
and redirect loops. Each run must finish (the subprocess has a hard limit), report the
expected outcome within the per-request timeout, and keep its peak RSS within 50 MB of
a run on a tiny page (the process reports its own ru_maxrss). The endless body must be
abandoned early: the server counts what it managed to send before the client hung up.
"""

from __future__ import annotations

import contextlib
import gzip
import http.server
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.serving import serving

TIMEOUT_S = 10
RSS_GROWTH_LIMIT_KB = 50 * 1024

BOOTSTRAP = """
import atexit, os, resource, sys
def report():
    with open(os.environ["RSS_OUT"], "w") as fh:
        fh.write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
atexit.register(report)
from curator.cli.app import main
main(sys.argv[1:])
"""

HEAD = b"<html><head><title>Hostile</title>"


def _gzip_bomb(size: int) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9) as gz:
        gz.write(HEAD)
        block = b" " * (1 << 20)
        for _ in range(size >> 20):
            gz.write(block)
    return buf.getvalue()


class Hostile(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    sent: dict[str, int] = {}  # noqa: RUF012 - per-server tally, reset by the fixture
    bomb = b""

    def log_message(self, *args: object) -> None:
        pass

    def _start(self, status: int = 200, ctype: str = "text/html", **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        for key, value in headers.items():
            self.send_header(key.replace("_", "-"), value)
        self.end_headers()

    def _tally(self, n: int) -> None:
        self.sent[self.path] = self.sent.get(self.path, 0) + n

    def do_GET(self) -> None:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._route()  # a hang-up by the checker is what a cap looks like from here

    def _route(self) -> None:
        path = self.path
        if path == "/tiny":
            body = HEAD + b"</head><body>hi</body></html>"
            self._start(Content_Length=str(len(body)))
            self.wfile.write(body)
        elif path in ("/big", "/big-head"):  # 5 MB, the title in the head or no </head>
            filler = b"<meta name='x' content='y'>" if path == "/big-head" else b"x"
            body = HEAD + (b"</head><body>" if path == "/big" else b"")
            body += filler * (5 * 1024 * 1024 // len(filler))
            self._start(Content_Length=str(len(body)))
            for i in range(0, len(body), 65536):
                self.wfile.write(body[i : i + 65536])
                self._tally(len(body[i : i + 65536]))
        elif path == "/endless":
            self._start(Transfer_Encoding="chunked")
            chunk = b"<meta name='x' content='y'>" * 2000
            frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
            self.wfile.write(b"%x\r\n%s\r\n" % (len(HEAD), HEAD))
            while True:  # no </head>, never an end
                self.wfile.write(frame)
                self._tally(len(chunk))
        elif path == "/bomb":
            self._start(Content_Encoding="gzip", Content_Length=str(len(self.bomb)))
            self.wfile.write(self.bomb)
        elif path == "/big-header":
            self._start(X_Padding="a" * (1024 * 1024), Content_Length="0")
        elif path in ("/loop", "/ping", "/pong"):
            target = {"/loop": "/loop", "/ping": "/pong", "/pong": "/ping"}[path]
            self._start(302, Location=target, Content_Length="0")
        else:
            self._start(404, Content_Length="0")


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # resets from a checker that hung up are the point of these tests


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    Hostile.bomb = _gzip_bomb(256 * 1024 * 1024)  # 256 MB of spaces in ~250 KB
    httpd = _QuietServer(("127.0.0.1", 0), Hostile)
    httpd.daemon_threads = True
    with serving(httpd) as base:
        yield base


def check_one(tmp_path: Path, url: str) -> tuple[dict, int]:  # type: ignore[type-arg]
    """`curator check` on a one-link list; (its JSON result, its peak RSS in KB)."""
    lst = tmp_path / "one.md"
    lst.write_text(f"# One\n\n- [it]({url})\n", encoding="utf-8")
    db = tmp_path / "curator.db"
    assert run_cli("import", lst, "--db", db).code == 0
    report, rss = tmp_path / "report.json", tmp_path / "rss"
    cmd = [sys.executable, "-c", BOOTSTRAP, "check", "--db", str(db), "--allow-private"]
    cmd += ["--retries", "0", "--timeout", str(TIMEOUT_S), "--format", "json", "-o", str(report)]
    env = {**{k: v for k, v in os.environ.items() if k != "CURATOR_DB"}, "CI": "true"}
    env["RSS_OUT"] = str(rss)
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode in (0, 1), proc.stderr
    (result,) = json.loads(report.read_text(encoding="utf-8"))["results"]
    return result, int(rss.read_text())


@pytest.fixture(scope="module")
def baseline_rss(server: str, tmp_path_factory: pytest.TempPathFactory) -> int:
    result, rss = check_one(tmp_path_factory.mktemp("baseline"), f"{server}/tiny")
    assert result["outcome"] == "ok" and result["title"] == "Hostile"
    return rss


CASES = {
    "5 MB page": ("/big", {"ok"}),
    "5 MB head, no </head>": ("/big-head", {"ok"}),
    "endless chunked body": ("/endless", {"ok"}),
    "gzip bomb": ("/bomb", {"ok"}),
    "1 MB header": ("/big-header", {"transient", "invalid"}),
    "redirect to itself": ("/loop", {"invalid"}),
    "redirect ping-pong": ("/ping", {"invalid"}),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_hostile_response_is_cut_short(
    server: str, baseline_rss: int, tmp_path: Path, case: str
) -> None:
    path, outcomes = CASES[case]
    Hostile.sent.clear()
    result, rss = check_one(tmp_path, server + path)
    assert result["outcome"] in outcomes, result
    assert result["elapsed_ms"] < TIMEOUT_S * 1000, result
    assert rss - baseline_rss < RSS_GROWTH_LIMIT_KB, f"peak RSS grew by {rss - baseline_rss} KB"
    if result["outcome"] == "ok":
        assert result["title"] == "Hostile"
    if path in ("/loop", "/ping"):
        assert 1 <= len(result["redirects"]) <= 11
    if path == "/endless":  # the cap is 256 KiB; socket buffers hold a few MB more at most
        assert Hostile.sent.get(path, 0) < 32 * 1024 * 1024
