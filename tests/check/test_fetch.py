"""One URL through the fetcher, with HTTP mocked by respx: every outcome, retries and
backoff, Retry-After, redirect chains, the guard on every hop, byte caps, tokens, cookies.

Time is simulated: the fetcher and the host gates get a fake clock whose `sleep` only
records the wait and moves the clock on, so backoffs of seconds take no time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email.utils import format_datetime

import httpx
import pytest
import respx

from curator.check.engine import HostPool, run_checks
from curator.check.http.fetch import Fetcher
from curator.check.http.ghauth import GitHubApi
from curator.check.types import CheckConfig, FetchResult, Hop, Outcome
from tests.support.respx_checker import CheckerMocker

HTML = {"content-type": "text/html; charset=utf-8"}
PAGE = "<html><head><title>Hello</title></head><body>x</body></html>"


@dataclass
class FakeClock:
    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


def check(url: str, clock: FakeClock | None = None, **config: object) -> FetchResult:
    clock = clock or FakeClock()
    cfg = CheckConfig(**{"backoff_base": 1.0, **config})  # type: ignore[arg-type]

    async def go() -> FetchResult:
        hosts = HostPool(cfg, None, clock=clock)
        fetcher = Fetcher(cfg, hosts, sleep=clock.sleep, clock=clock, jitter=lambda: 0.5)
        await hosts.slots.acquire()
        try:
            return await fetcher.check(url)
        finally:
            hosts.slots.release()
            await hosts.aclose()

    return asyncio.run(go())


@pytest.fixture
def mock() -> respx.MockRouter:
    with respx.mock(assert_all_called=False, using=CheckerMocker.name) as router:
        yield router


# --- outcomes -------------------------------------------------------------------------


def test_ok_with_title_and_description(mock: respx.MockRouter) -> None:
    body = '<html><head><title> Hello </title><meta name="description" content="D"></head>'
    mock.get("https://example.com/").respond(200, headers=HTML, text=body)
    r = check("https://example.com/")
    assert (r.outcome, r.status, r.title, r.description) == (Outcome.OK, 200, "Hello", "D")
    assert r.attempts == 1 and r.redirects == () and r.final_url is None and r.error is None


@pytest.mark.parametrize("status", [404, 410])
def test_gone(mock: respx.MockRouter, status: int) -> None:
    route = mock.get("https://example.com/x").respond(status, headers=HTML, text=PAGE)
    r = check("https://example.com/x")
    assert (r.outcome, r.status, r.attempts, r.title) == (Outcome.GONE, status, 1, None)
    assert r.error == f"HTTP {status}" and route.call_count == 1  # never retried


@pytest.mark.parametrize("status", [401, 403, 999, 451])
def test_blocked_statuses(mock: respx.MockRouter, status: int) -> None:
    mock.get("https://example.com/").respond(status)
    assert check("https://example.com/").outcome is Outcome.BLOCKED


def test_cloudflare_challenge_header_is_blocked_even_with_200(mock: respx.MockRouter) -> None:
    mock.get("https://example.com/").respond(200, headers={"cf-mitigated": "challenge"})
    assert check("https://example.com/").outcome is Outcome.BLOCKED


def test_cloudflare_503_wall_is_blocked_and_not_retried(mock: respx.MockRouter) -> None:
    headers = {"server": "cloudflare", "cf-ray": "8a1b2c3d4e5f-AMS"}
    route = mock.get("https://example.com/").respond(503, headers=headers)
    r = check("https://example.com/")
    assert r.outcome is Outcome.BLOCKED and route.call_count == 1


def test_plain_403_without_cloudflare_headers_is_blocked_too(mock: respx.MockRouter) -> None:
    mock.get("https://example.com/").respond(403, headers={"server": "nginx"})
    assert check("https://example.com/").outcome is Outcome.BLOCKED


def test_5xx_retried_then_transient(mock: respx.MockRouter) -> None:
    clock = FakeClock()
    route = mock.get("https://example.com/").respond(500)
    r = check("https://example.com/", clock, retries=2)
    assert (r.outcome, r.status, r.attempts, route.call_count) == (Outcome.TRANSIENT, 500, 3, 3)
    assert clock.sleeps == [1.0, 2.0]  # exponential: base, 2 x base (jitter fixed at 1x)


def test_5xx_then_success_is_ok(mock: respx.MockRouter) -> None:
    mock.get("https://example.com/").side_effect = [
        httpx.Response(503),
        httpx.Response(200, headers=HTML, text=PAGE),
    ]
    r = check("https://example.com/")
    assert (r.outcome, r.attempts, r.title) == (Outcome.OK, 2, "Hello")


def test_408_is_retried(mock: respx.MockRouter) -> None:
    mock.get("https://example.com/").side_effect = [httpx.Response(408), httpx.Response(200)]
    assert check("https://example.com/").attempts == 2


def test_connect_error_retried_then_transient(mock: respx.MockRouter) -> None:
    route = mock.get("https://example.com/").mock(side_effect=httpx.ConnectError("refused"))
    r = check("https://example.com/", retries=1)
    assert (r.outcome, r.attempts, route.call_count) == (Outcome.TRANSIENT, 2, 2)
    assert r.status is None and r.error is not None and "refused" in r.error


def test_reset_is_transient(mock: respx.MockRouter) -> None:
    mock.get("https://example.com/").mock(side_effect=httpx.ReadError("connection reset"))
    assert check("https://example.com/", retries=0).outcome is Outcome.TRANSIENT


def test_read_timeout_is_timeout_not_gone(mock: respx.MockRouter) -> None:
    mock.get("https://example.com/").mock(side_effect=httpx.ReadTimeout("slow"))
    r = check("https://example.com/", retries=1)
    assert (r.outcome, r.attempts) == (Outcome.TIMEOUT, 2)


def test_retry_after_seconds_makes_the_url_wait(mock: respx.MockRouter) -> None:
    clock = FakeClock()
    mock.get("https://example.com/").side_effect = [
        httpx.Response(429, headers={"retry-after": "7"}),
        httpx.Response(200, headers=HTML, text=PAGE),
    ]
    r = check("https://example.com/", clock)
    assert (r.outcome, r.attempts) == (Outcome.OK, 2)
    assert clock.sleeps == [7.0]


def test_one_retry_after_slows_the_host_and_a_second_one_pauses_it(
    mock: respx.MockRouter,
) -> None:
    from curator.check.http.fetch import HostGate

    clock = FakeClock()
    mock.get("https://example.com/a").side_effect = [
        httpx.Response(429, headers={"retry-after": "5"}),
        httpx.Response(200, headers=HTML, text=PAGE),
    ]
    mock.get("https://example.com/b").side_effect = [
        httpx.Response(429, headers={"retry-after": "5"}),
        httpx.Response(200, headers=HTML, text=PAGE),
    ]
    cfg = CheckConfig(backoff_base=1.0, per_host=10)
    seen: list[tuple[float, float, int]] = []

    async def go() -> list[FetchResult]:
        hosts = HostPool(cfg, None, clock=clock)
        gate: HostGate = hosts.gate("example.com")
        real_sleep = clock.sleep

        async def sleep(seconds: float) -> None:  # what the gate says while a URL waits
            seen.append((gate.slow_left(), gate.pause_left(), gate.allowed()))
            await real_sleep(seconds)

        fetcher = Fetcher(cfg, hosts, sleep=sleep, clock=clock, jitter=lambda: 0.5)
        await hosts.slots.acquire()
        try:
            first = await fetcher.check("https://example.com/a")  # its wait ended the window
            gate.throttle(5.0)  # another URL of the host was just answered 429
            second = await fetcher.check("https://example.com/b")
            return [first, second]
        finally:
            hosts.slots.release()
            await hosts.aclose()

    first, second = asyncio.run(go())
    assert first.outcome is Outcome.OK and second.outcome is Outcome.OK
    # /a: only the URL waited; the host went on at half its limit, not paused.
    assert seen[0] == (5.0, 0.0, 5)
    # /b: a second Retry-After from the slowed host paused the whole host for 5 s.
    assert seen[1][1] == 5.0 and len(seen) == 2


def test_slowed_host_gets_half_its_limit_until_the_window_ends() -> None:
    from curator.check.http.fetch import HostGate

    clock = FakeClock()
    gate = HostGate(10, clock)
    assert (gate.allowed(), gate.throttle(2.0)) == (10, False)
    assert (gate.allowed(), gate.pause_left()) == (5, 0.0)
    clock.now += 2.0
    assert gate.allowed() == 10  # the window is over: full speed again
    assert gate.throttle(1.0) is False and gate.throttle(3.0) is True
    assert gate.pause_left() == 3.0 and HostGate(1, clock).allowed() == 1


def test_retry_after_http_date_and_cap(mock: respx.MockRouter) -> None:
    clock = FakeClock()
    from datetime import UTC, datetime, timedelta

    when = format_datetime(datetime.now(UTC) + timedelta(hours=2), usegmt=True)
    mock.get("https://example.com/").side_effect = [
        httpx.Response(503, headers={"retry-after": when}),
        httpx.Response(200),
    ]
    r = check("https://example.com/", clock, max_retry_after=60.0)
    assert r.outcome is Outcome.OK and clock.sleeps == [60.0]


def test_429_after_all_retries_is_blocked(mock: respx.MockRouter) -> None:
    mock.get("https://example.com/").respond(429, headers={"retry-after": "1"})
    r = check("https://example.com/", retries=2)
    assert (r.outcome, r.attempts, r.status) == (Outcome.BLOCKED, 3, 429)


def test_get_405_falls_back_to_head(mock: respx.MockRouter) -> None:
    mock.get("https://example.com/").respond(405)
    head = mock.head("https://example.com/").respond(200)
    r = check("https://example.com/")
    assert (r.outcome, r.status, r.attempts, head.call_count) == (Outcome.OK, 200, 1, 1)


def test_get_and_head_both_rejected_keeps_the_get_answer(mock: respx.MockRouter) -> None:
    mock.get("https://example.com/").respond(501)
    mock.head("https://example.com/").respond(405)
    r = check("https://example.com/", retries=0)
    assert (r.outcome, r.status) == (Outcome.TRANSIENT, 501)


# --- redirects ------------------------------------------------------------------------


def redirect(mock: respx.MockRouter, src: str, status: int, dst: str) -> respx.Route:
    return mock.get(src).respond(status, headers={"location": dst})


def test_permanent_chain_is_redirected_with_each_hop(mock: respx.MockRouter) -> None:
    redirect(mock, "http://a.example/", 301, "https://a.example/")
    redirect(mock, "https://a.example/", 308, "/new")  # relative Location
    mock.get("https://a.example/new").respond(200, headers=HTML, text=PAGE)
    r = check("http://a.example/")
    assert r.outcome is Outcome.REDIRECTED
    assert r.final_url == "https://a.example/new" and r.status == 200 and r.title == "Hello"
    assert r.redirects == (Hop("http://a.example/", 301), Hop("https://a.example/", 308))


@pytest.mark.parametrize("status", [302, 303, 307])
def test_temporary_redirect_is_ok_but_records_the_final_url(
    mock: respx.MockRouter, status: int
) -> None:
    redirect(mock, "https://a.example/", status, "https://b.example/login")
    mock.get("https://b.example/login").respond(200)
    r = check("https://a.example/")
    assert (r.outcome, r.final_url) == (Outcome.OK, "https://b.example/login")
    assert r.redirects == (Hop("https://a.example/", status),)


def test_chain_with_one_temporary_hop_is_not_permanent(mock: respx.MockRouter) -> None:
    redirect(mock, "https://a.example/", 301, "https://a.example/b")
    redirect(mock, "https://a.example/b", 302, "https://a.example/c")
    mock.get("https://a.example/c").respond(200)
    assert check("https://a.example/").outcome is Outcome.OK


def test_redirect_to_a_404_is_gone_with_final_url(mock: respx.MockRouter) -> None:
    redirect(mock, "https://a.example/", 301, "https://a.example/missing")
    mock.get("https://a.example/missing").respond(404)
    r = check("https://a.example/")
    assert (r.outcome, r.final_url, r.status) == (Outcome.GONE, "https://a.example/missing", 404)


def test_redirect_loop_is_invalid(mock: respx.MockRouter) -> None:
    redirect(mock, "https://a.example/1", 302, "https://a.example/2")
    redirect(mock, "https://a.example/2", 302, "https://a.example/1")
    r = check("https://a.example/1")
    assert r.outcome is Outcome.INVALID and r.error is not None and "loop" in r.error
    assert len(r.redirects) == 2


def test_more_than_ten_hops_is_invalid(mock: respx.MockRouter) -> None:
    for i in range(12):
        redirect(mock, f"https://a.example/{i}", 301, f"https://a.example/{i + 1}")
    mock.get("https://a.example/12").respond(200)
    r = check("https://a.example/0")
    assert r.outcome is Outcome.INVALID and "too many redirects" in (r.error or "")
    assert len(r.redirects) == 11


def test_ten_hops_are_fine(mock: respx.MockRouter) -> None:
    for i in range(10):
        redirect(mock, f"https://a.example/{i}", 301, f"https://a.example/{i + 1}")
    mock.get("https://a.example/10").respond(200)
    r = check("https://a.example/0")
    assert r.outcome is Outcome.REDIRECTED and len(r.redirects) == 10


def test_redirect_without_location_is_invalid(mock: respx.MockRouter) -> None:
    mock.get("https://a.example/").respond(301)
    assert check("https://a.example/").outcome is Outcome.INVALID


# --- the guard on every hop -----------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1/admin",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://2130706433/",
        "http://10.0.0.5/",
        "file:///etc/passwd",
        "gopher://a.example/",
    ],
)
def test_redirect_hop_to_a_private_target_is_refused(mock: respx.MockRouter, target: str) -> None:
    redirect(mock, "https://public.example/", 302, target)
    inner = mock.route(url__startswith=target.split("/")[0] + "//" + target.split("/")[2])
    r = check("https://public.example/")
    assert r.outcome is Outcome.INVALID and (r.error or "").startswith("refused:")
    assert r.redirects == (Hop("https://public.example/", 302),)
    assert not inner.called  # no request for the private hop ever left


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://169.254.169.254/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[fc00::1]/",
        "http://0x7f.1/",
        "http://0177.0.0.1/",
        "http://2130706433/",
        "http://example.com@127.0.0.1/",
        "file:///etc/passwd",
        "ftp://example.com/x",
        "gopher://example.com/",
        "http://[::1",
    ],
)
def test_refused_urls_send_nothing(mock: respx.MockRouter, url: str) -> None:
    r = check(url)
    assert r.outcome is Outcome.INVALID and r.error
    assert not mock.calls


def test_allow_private_lets_loopback_through(mock: respx.MockRouter) -> None:
    mock.get("http://127.0.0.1:8080/").respond(200)
    assert check("http://127.0.0.1:8080/", allow_private=True).outcome is Outcome.OK


# --- bodies, tokens, cookies ----------------------------------------------------------


class CountingStream(httpx.AsyncByteStream):
    """An endless (or long) body that counts how much of it the client pulled."""

    def __init__(self, first: bytes, chunk: bytes, total: int | None = None) -> None:
        self.first, self.chunk, self.total, self.pulled = first, chunk, total, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        data = self.first
        while self.total is None or self.pulled < self.total:
            self.pulled += len(data)
            yield data
            data = self.chunk


def test_html_body_is_read_only_up_to_the_cap(mock: respx.MockRouter) -> None:
    stream = CountingStream(b"<html><head><title>Capped</title>", b"x" * 4096)
    mock.get("https://a.example/").mock(
        return_value=httpx.Response(200, headers=HTML, stream=stream)
    )
    r = check("https://a.example/", max_body=64 * 1024)
    assert (r.outcome, r.title) == (Outcome.OK, "Capped")
    assert stream.pulled <= 64 * 1024 + 4096


def test_reading_stops_at_end_of_head(mock: respx.MockRouter) -> None:
    stream = CountingStream(b"<html><head><title>T</title></head>", b"y" * 4096, 10 << 20)
    mock.get("https://a.example/").mock(
        return_value=httpx.Response(200, headers=HTML, stream=stream)
    )
    assert check("https://a.example/").title == "T"
    assert stream.pulled < 10_000


def test_non_html_body_is_not_read(mock: respx.MockRouter) -> None:
    stream = CountingStream(b"%PDF-1.7", b"z" * 65536, 50 << 20)
    pdf = {"content-type": "application/pdf"}
    mock.get("https://a.example/paper.pdf").mock(
        return_value=httpx.Response(200, headers=pdf, stream=stream)
    )
    r = check("https://a.example/paper.pdf")
    assert r.outcome is Outcome.OK and r.title is None and stream.pulled == 0


def test_pages_never_carry_the_github_token_not_even_github_com_or_its_api(
    mock: respx.MockRouter,
) -> None:
    api = GitHubApi("s3cret")
    page = redirect(mock, "http://github.com/a/b", 301, "https://github.com/a/b")
    https_page = mock.get("https://github.com/a/b").respond(200)
    api_page = mock.get("https://api.github.com/repos/a/b").respond(200)
    assert check("http://github.com/a/b", github=api).outcome is Outcome.REDIRECTED
    assert check("https://api.github.com/repos/a/b", github=api).outcome is Outcome.OK
    for route in (page, https_page, api_page):
        assert "authorization" not in route.calls.last.request.headers


def test_no_cookie_is_ever_sent_back(mock: respx.MockRouter) -> None:
    redirect(mock, "https://a.example/", 302, "https://a.example/next").respond(
        302, headers={"location": "https://a.example/next", "set-cookie": "sid=1; Path=/"}
    )
    nxt = mock.get("https://a.example/next").respond(200)
    assert check("https://a.example/").outcome is Outcome.OK
    assert "cookie" not in nxt.calls.last.request.headers


# --- the engine with respx --------------------------------------------------------------


def test_run_checks_reports_each_distinct_url_once(mock: respx.MockRouter) -> None:
    ok = mock.get("https://a.example/1").respond(200)
    mock.get("https://b.example/2").respond(404)
    results: list[FetchResult] = []
    urls = ["https://a.example/1", "https://b.example/2", "https://a.example/1", "mailto:x@y.z"]
    asyncio.run(run_checks(urls, CheckConfig(workers=1), results.append))
    by_url = {r.url: r.outcome for r in results}
    assert len(results) == 3 and ok.call_count == 1
    assert by_url == {
        "https://a.example/1": Outcome.OK,
        "https://b.example/2": Outcome.GONE,
        "mailto:x@y.z": Outcome.INVALID,
    }


def test_run_checks_respects_the_per_host_limit(mock: respx.MockRouter) -> None:
    in_flight = {"now": 0, "max": 0}

    async def slow(request: httpx.Request) -> httpx.Response:
        in_flight["now"] += 1
        in_flight["max"] = max(in_flight["max"], in_flight["now"])
        await asyncio.sleep(0.01)
        in_flight["now"] -= 1
        return httpx.Response(200)

    mock.get(url__startswith="https://one.example/").mock(side_effect=slow)
    urls = [f"https://one.example/{i}" for i in range(30)]
    results: list[FetchResult] = []
    asyncio.run(run_checks(urls, CheckConfig(per_host=3, workers=1), results.append))
    assert len(results) == 30 and in_flight["max"] == 3


def test_loop_back_to_a_differently_spelled_start_is_caught(mock: respx.MockRouter) -> None:
    redirect(mock, "https://a.example/", 302, "https://a.example/next")
    redirect(mock, "https://a.example/next", 302, "https://A.EXAMPLE:443/")
    r = check("https://A.example:443")
    assert r.outcome is Outcome.INVALID and len(r.redirects) == 2


def test_an_error_in_on_result_stops_the_run_and_is_raised(mock: respx.MockRouter) -> None:
    mock.get(url__startswith="https://a.example/").respond(200)
    seen: list[str] = []

    def explode(result: FetchResult) -> None:
        seen.append(result.url)
        raise RuntimeError("store is full")

    urls = [f"https://a.example/{i}" for i in range(50)]
    with pytest.raises(RuntimeError, match="store is full"):
        asyncio.run(run_checks(urls, CheckConfig(workers=1, per_host=2), explode))
    assert 1 <= len(seen) < 50


def test_kept_headers_lower_case_join_repeats_and_decode_utf8() -> None:
    from curator.check.http.fetch import kept_headers

    raw = [
        (b"Location", "/caf\u00e9".encode()),
        (b"X-Other", b"ignored"),
        (b"CF-RAY", b"1"),
        (b"cf-ray", b"2"),
        (b"Content-Type", b"text/html; charset=\xe9"),  # not UTF-8: read as Latin-1
    ]
    assert kept_headers(raw) == {
        "location": "/caf\u00e9",
        "cf-ray": "1, 2",
        "content-type": "text/html; charset=\u00e9",
    }


def test_engine_runs_a_slowed_host_at_half_its_limit(mock: respx.MockRouter) -> None:
    """100 URLs of one host, 10 at a time; /0 is answered 429 Retry-After: 1 once. For that
    second the host's requests go on, but no more than 5 at a time."""
    loop_time: list[float] = []
    in_flight = 0
    peaks: list[tuple[float, int]] = []
    answered_429 = False

    async def answer(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, answered_429
        now = asyncio.get_running_loop().time()
        if request.url.path == "/0" and not answered_429:
            answered_429 = True
            loop_time.append(now)
            return httpx.Response(429, headers={"retry-after": "1"})
        in_flight += 1
        peaks.append((now, in_flight))
        try:
            await asyncio.sleep(0.1)
        finally:
            in_flight -= 1
        return httpx.Response(200, headers=HTML, text=PAGE)

    mock.route(host="slow.example").mock(side_effect=answer)
    urls = [f"https://slow.example/{i}" for i in range(100)]
    results: list[FetchResult] = []
    cfg = CheckConfig(per_host=10, concurrency=64, workers=1)
    asyncio.run(run_checks(urls, cfg, results.append))
    assert len(results) == 100 and all(r.outcome is Outcome.OK for r in results)
    [t429] = loop_time
    during = [n for t, n in peaks if t429 + 0.15 < t < t429 + 0.95]
    assert during and max(during) <= 5  # going on, at half the limit
    assert max(n for t, n in peaks if t > t429 + 1.05) == 10  # the full limit again after it
