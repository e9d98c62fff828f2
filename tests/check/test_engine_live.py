"""The engine against a real HTTP server on 127.0.0.1 (random port) that this file starts
and stops: charsets, a hang, huge and endless bodies, a gzip bomb, Retry-After, a 1 MB
header, a redirect loop, stopping a run, and sharding over worker processes."""

from __future__ import annotations

import asyncio
import socket
import socketserver
import sys
import threading
import time
import zlib
from collections import Counter
from collections.abc import Iterator

import pytest

from curator.check.engine import check_url_sync, run_checks
from curator.check.types import CheckConfig, FetchResult, Outcome
from tests.support.serving import serving

pytestmark = pytest.mark.slow

GBK_TITLE = "深度学习系统：设计与实现"
BIG5_TITLE = "深度學習系統：設計與實現"
BIG = 5 * 1024 * 1024


class Handler(socketserver.BaseRequestHandler):
    server: LiveServer

    def handle(self) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.request.recv(65536)
            if not chunk:
                return
            data += chunk
        path = data.split(b" ", 2)[1].decode()
        self.server.hits[path] += 1
        route = getattr(self, "route_" + path.strip("/").split("/")[0].replace("-", "_"), None)
        if route is None:
            self.send(404, b"<html><head><title>Not found</title></head></html>")
        else:
            route(path)

    def send(
        self,
        status: int,
        body: bytes = b"",
        ctype: str = "text/html",
        extra: str = "",
        length: int | None = None,
    ) -> None:
        head = (
            f"HTTP/1.1 {status} X\r\nContent-Type: {ctype}\r\nConnection: close\r\n{extra}"
            f"Content-Length: {len(body) if length is None else length}\r\n\r\n"
        )
        self.request.sendall(head.encode("latin-1") + body)

    def stream(self, status_line: bytes, chunks: Iterator[bytes]) -> None:
        """Send chunks until done or the client goes away; record what happened."""
        sent, aborted = 0, False
        try:
            self.request.sendall(status_line)
            for chunk in chunks:
                self.request.sendall(chunk)
                sent += len(chunk)
        except OSError:
            aborted = True
        self.server.streams.append((sent, aborted))

    def route_ok(self, path: str) -> None:
        self.send(200, b"<html><head><title>OK page</title></head><body>hi</body></html>")

    def route_gbk(self, path: str) -> None:
        page = f"<html><head><title>{GBK_TITLE}</title></head><body>中文</body></html>"
        self.send(200, page.encode("gbk"), ctype="text/html; charset=gbk")

    def route_gbk_meta(self, path: str) -> None:
        page = f'<html><head><meta charset="gb2312"><title>{GBK_TITLE}</title></head></html>'
        self.send(200, page.encode("gbk"))

    def route_big5(self, path: str) -> None:  # no declaration at all: detection
        page = f"<html><head><title>{BIG5_TITLE}</title></head><body>繁體</body></html>"
        self.send(200, page.encode("big5"))

    def route_hang(self, path: str) -> None:
        self.server.stopping.wait(30)

    def route_big(self, path: str) -> None:
        first = b"<html><head><title>Big</title>"
        head = f"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {BIG}\r\n\r\n"
        chunks = (
            first + b"x" * (65536 - len(first)) if i == 0 else b"x" * 65536 for i in range(80)
        )
        self.stream(head.encode(), chunks)

    def route_endless(self, path: str) -> None:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n"
        first = b"<html><head><title>Endless</title>"

        def chunks() -> Iterator[bytes]:
            yield b"%x\r\n%s\r\n" % (len(first), first)
            while not self.server.stopping.is_set():
                yield b"4000\r\n" + b"y" * 0x4000 + b"\r\n"

        self.stream(head, chunks())

    def route_bomb(self, path: str) -> None:
        bomb = self.server.bomb()
        extra = "Content-Encoding: gzip\r\n"
        self.send(200, bomb, extra=extra)

    def route_ratelimit(self, path: str) -> None:
        if self.server.hits[path] == 1:
            self.send(429, b"slow down", ctype="text/plain", extra="Retry-After: 1\r\n")
        else:
            self.send(200, b"<html><head><title>Finally</title></head></html>")

    def route_parked(self, path: str) -> None:
        sedo = b'<script src="https://sedoparking.com/frmpark/p.js"></script>'
        self.send(200, b"<html><head><title>for sale</title>" + sedo + b"</head></html>")

    def route_hugeheader(self, path: str) -> None:
        self.send(200, b"<title>x</title>", extra=f"X-Huge: {'h' * (1 << 20)}\r\n")

    def route_loop(self, path: str) -> None:
        other = "/loop/b" if path == "/loop/a" else "/loop/a"
        self.send(302, extra=f"Location: {other}\r\n")

    def route_trickle(self, path: str) -> None:
        """Headers at once, then one byte every 0.2 s: a read timeout alone never fires."""
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1000\r\n\r\n"

        def bytes_slowly() -> Iterator[bytes]:
            for _ in range(1000):
                if self.server.stopping.wait(0.2):
                    return
                yield b"<"

        self.stream(head, bytes_slowly())


class LiveServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.hits: Counter[str] = Counter()
        self.streams: list[tuple[int, bool]] = []
        self.stopping = threading.Event()
        self._bomb: bytes | None = None
        self._lock = threading.Lock()

    def bomb(self) -> bytes:
        """A title, then 200 MiB of zeros, gzipped to about 200 KB."""
        with self._lock:
            if self._bomb is None:
                c = zlib.compressobj(9, zlib.DEFLATED, 31)
                parts = [c.compress(b"<html><head><title>Bomb</title>")]
                parts += [c.compress(bytes(1 << 20)) for _ in range(200)]
                self._bomb = b"".join([*parts, c.flush()])
            return self._bomb

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.server_address[1]}{path}"


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    srv = LiveServer()
    with serving(srv):
        yield srv
        srv.stopping.set()


def cfg(**kw: object) -> CheckConfig:
    base: dict[str, object] = {"allow_private": True, "timeout": 2.0, "retries": 1}
    return CheckConfig(**{**base, **kw})  # type: ignore[arg-type]


def run(urls: list[str], config: CheckConfig) -> dict[str, FetchResult]:
    results: dict[str, FetchResult] = {}

    def keep(r: FetchResult) -> None:
        assert r.url not in results
        results[r.url] = r

    asyncio.run(run_checks(urls, config, keep))
    return results


def test_charsets_gbk_and_big5(server: LiveServer) -> None:
    paths = ["/gbk", "/gbk-meta", "/big5"]
    results = run([server.url(p) for p in paths], cfg())
    titles = {p: results[server.url(p)].title for p in paths}
    assert titles == {"/gbk": GBK_TITLE, "/gbk-meta": GBK_TITLE, "/big5": BIG5_TITLE}


def test_hang_comes_back_as_timeout(server: LiveServer) -> None:
    started = time.monotonic()
    r = check_url_sync(server.url("/hang"), cfg(timeout=1.0, retries=1, backoff_base=0.05))
    took = time.monotonic() - started
    assert (r.outcome, r.attempts, r.status) == (Outcome.TIMEOUT, 2, None)
    # Sanity bound, not a benchmark: two 1 s attempts, never the 30 s the server would hang.
    assert took < 10


def test_trickling_body_cannot_stretch_an_attempt(server: LiveServer) -> None:
    r = check_url_sync(server.url("/trickle"), cfg(timeout=1.0, retries=0))
    # The status arrived; the stalled body is given up at the deadline.
    assert r.outcome is Outcome.OK and r.status == 200


def test_five_megabyte_body_is_cut_at_the_cap(server: LiveServer) -> None:
    before = len(server.streams)
    r = check_url_sync(server.url("/big"), cfg(max_body=64 * 1024))
    assert (r.outcome, r.title) == (Outcome.OK, "Big")
    deadline = time.monotonic() + 5
    while len(server.streams) == before and time.monotonic() < deadline:
        time.sleep(0.05)
    sent, aborted = server.streams[before]
    assert aborted and sent < BIG  # the client hung up instead of taking 5 MB


def test_endless_chunked_body_is_cut_at_the_cap(server: LiveServer) -> None:
    r = check_url_sync(server.url("/endless"), cfg(timeout=5.0))
    assert (r.outcome, r.title) == (Outcome.OK, "Endless")


def test_gzip_bomb_is_cut_at_the_cap(server: LiveServer) -> None:
    r = check_url_sync(server.url("/bomb"), cfg(timeout=10.0))
    assert (r.outcome, r.title) == (Outcome.OK, "Bomb")


def test_429_with_retry_after_then_200(server: LiveServer) -> None:
    r = check_url_sync(server.url("/ratelimit"), cfg())
    assert (r.outcome, r.attempts, r.title) == (Outcome.OK, 2, "Finally")
    assert server.hits["/ratelimit"] == 2


def test_megabyte_header_is_a_transient_error_not_a_hang(server: LiveServer) -> None:
    r = check_url_sync(server.url("/hugeheader"), cfg(retries=0))
    assert r.outcome is Outcome.TRANSIENT and r.error


def test_redirect_loop_is_invalid(server: LiveServer) -> None:
    r = check_url_sync(server.url("/loop/a"), cfg())
    assert r.outcome is Outcome.INVALID and "loop" in (r.error or "")
    assert [h.status for h in r.redirects] == [302, 302]


def test_refused_without_allow_private_and_nothing_sent(server: LiveServer) -> None:
    before = sum(server.hits.values())
    r = check_url_sync(server.url("/ok"), cfg(allow_private=False))
    assert r.outcome is Outcome.INVALID and sum(server.hits.values()) == before


def test_connection_refused_is_transient() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again before the check: nothing listens
    r = check_url_sync(f"http://127.0.0.1:{port}/", cfg(retries=0))
    assert r.outcome is Outcome.TRANSIENT and r.status is None


def test_stop_returns_promptly_and_reports_only_finished_checks(server: LiveServer) -> None:
    async def scenario() -> tuple[list[FetchResult], float]:
        stop = asyncio.Event()
        results: list[FetchResult] = []
        urls = [server.url("/ok")] + [server.url(f"/hang/{i}") for i in range(5)]
        loop = asyncio.get_running_loop()
        loop.call_later(0.5, stop.set)
        await run_checks(urls, cfg(timeout=30.0), results.append, stop)
        return results, loop.time()

    started = time.monotonic()
    results, _ = asyncio.run(scenario())
    assert [r.url for r in results] == [server.url("/ok")]
    assert time.monotonic() - started < 5  # sanity bound: far below the 30 s timeout


def test_sharded_run_matches_in_process_run(server: LiveServer) -> None:
    """Two worker processes, split by host (127.0.0.1 and localhost)."""
    paths = ["/ok", "/gbk", "/big5", "/missing", "/loop/a", "/parked"]
    urls = [server.url(p, h) for p in paths for h in ("127.0.0.1", "localhost")]
    sharded = run(urls, cfg(workers=2, shard_min_urls=0))
    local = run(urls, cfg(workers=1))
    summary = {u: (r.outcome, r.title, r.status, r.reason) for u, r in sharded.items()}
    assert summary == {u: (r.outcome, r.title, r.status, r.reason) for u, r in local.items()}
    assert summary[server.url("/parked", "localhost")][::3] == (Outcome.GONE, "parked")
    assert summary[server.url("/gbk", "localhost")] == (Outcome.OK, GBK_TITLE, 200, None)
    assert summary[server.url("/missing", "localhost")][0] is Outcome.GONE


def test_sharded_run_stops_promptly(server: LiveServer) -> None:
    async def scenario() -> list[FetchResult]:
        stop = asyncio.Event()
        results: list[FetchResult] = []
        urls = [server.url(f"/hang/{i}", h) for i in range(3) for h in ("127.0.0.1", "localhost")]
        asyncio.get_running_loop().call_later(1.5, stop.set)
        await run_checks(urls, cfg(timeout=30.0, workers=2, shard_min_urls=0), results.append, stop)
        return results

    started = time.monotonic()
    assert asyncio.run(scenario()) == []
    assert time.monotonic() - started < 6


def test_urls_of_a_worker_that_dies_are_checked_in_process(
    server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from curator.check import shard

    async def dying_worker(config: CheckConfig) -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            "import sys; sys.exit(3)",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )

    monkeypatch.setattr(shard, "_spawn", dying_worker)
    urls = [server.url(p, h) for p in ("/ok", "/missing") for h in ("127.0.0.1", "localhost")]
    results = run(urls, cfg(workers=2, shard_min_urls=0))
    assert sorted(results) == sorted(urls)
    assert results[server.url("/ok", "localhost")].outcome is Outcome.OK
    assert results[server.url("/missing", "localhost")].outcome is Outcome.GONE


def test_prestarted_worker_is_taken_by_the_run(
    server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`curator check` starts a worker before its selection; the run uses that one."""
    from curator.check import shard

    launched: list[int] = []
    launch = shard._launch

    async def counting_launch() -> asyncio.subprocess.Process:
        proc = await launch()
        launched.append(proc.pid)
        return proc

    monkeypatch.setattr(shard, "_launch", counting_launch)
    urls = [server.url(p, h) for p in ("/ok", "/gbk") for h in ("127.0.0.1", "localhost")]

    async def scenario() -> list[FetchResult]:
        results: list[FetchResult] = []
        await shard.prestart(1)
        try:
            await run_checks(urls, cfg(workers=2, shard_min_urls=0), results.append)
        finally:
            await shard.discard_warm()
        return results

    results = asyncio.run(scenario())
    assert len(launched) == 1  # the prestarted worker, and no second one
    assert sorted(r.url for r in results) == sorted(urls)
    assert {r.title for r in results if r.url.endswith("/gbk")} == {GBK_TITLE}


def test_unused_prestarted_worker_exits_cleanly() -> None:
    from curator.check import shard

    async def scenario() -> int | None:
        await shard.prestart(1)
        proc = shard._warm[0]
        await shard.discard_warm()
        return proc.returncode

    assert asyncio.run(scenario()) == 0
