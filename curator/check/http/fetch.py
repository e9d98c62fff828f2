"""Check one URL: guarded redirect hops, GET/HEAD, retries with backoff and Retry-After.

Input: a URL and a `Hosts` registry (per-host client and gate, global slots) from
engine.py. Output: one `FetchResult`. Config: `CheckConfig` (timeout, retries, backoff_base,
max_redirects, max_retry_after, max_body, allow_private, headers); `sleep`, `clock` and
`jitter` are injectable so tests need not wait.

Choices: each hop is a streaming GET (a page's title needs the body; HEAD first would
double the requests for HTML). When the GET answers 405/501, the same hop is tried once
with HEAD and that answer is used unless it is 405/501 too. Retries are per hop;
`attempts` is 1 + the retries made over the whole chain (the HEAD fallback is not a retry).
Retry-After slows that host only, in two steps (`HostGate.throttle`): a first 429/503
with Retry-After makes that URL wait and halves the host's concurrency until the wait is
over; another one from the host within that window pauses the whole host (every job for it
waits), as a server limiting the client rather than one URL answers every request so. A
waiting job gives its global slot back meanwhile, so the rest of the run keeps going. Each
attempt has an overall deadline of `timeout`, since httpx's read timeout restarts with every
trickled byte. The guard runs before every hop. Pages never carry a token (a GitHub token
goes only to the API, through check/github.py; see http/ghauth.py).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx

from curator.check import classify, fragments
from curator.check.http import body, guard, softpages
from curator.check.http.titles import PageMeta, charset_from_content_type, extract_meta
from curator.check.http.transport import HostClient
from curator.check.types import REFUSED, CheckConfig, FetchResult, Hop, Outcome
from curator.urls import redirect_to_root

# What classify.py and body.py read of a response's headers.
_KEPT_HEADERS = frozenset(
    {
        "location",
        "retry-after",
        "content-type",
        "server",
        "cf-ray",
        "cf-mitigated",
        "content-encoding",
        "content-length",
    }
)
_HTML_TYPES = ("text/html", "application/xhtml+xml")
PASSING_OUTCOMES = (Outcome.OK, Outcome.REDIRECTED)
DRAIN_LIMIT = 64 * 1024  # bodies this small may be read to the end to keep the connection

Sleep = Callable[[float], Awaitable[None]]
_NO_META = PageMeta()
_CLOSED = httpx.ByteStream(b"")


class HostGate:
    """Per-host concurrency limit, and how Retry-After slows the host."""

    def __init__(self, limit: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = max(1, limit)
        self._sem = asyncio.Semaphore(self.limit)
        self._clock = clock
        self.paused_until = 0.0
        self.slowed_until = 0.0
        self.active = 0
        self.waiting = 0  # jobs sitting out a Retry-After of their own (nothing in flight)

    def pause_left(self) -> float:
        return max(0.0, self.paused_until - self._clock())

    def slow_left(self) -> float:
        return max(0.0, self.slowed_until - self._clock())

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, self._clock() + seconds)

    def throttle(self, seconds: float) -> bool:
        """A Retry-After of `seconds` from this host: slow it (half its concurrency) for that
        long, or pause it when it was already slowed. True when the host is now paused."""
        now = self._clock()
        escalate = now < self.slowed_until
        self.slowed_until = max(self.slowed_until, now + seconds)
        if escalate:
            self.pause(seconds)
        return escalate

    def allowed(self) -> int:
        """How many jobs the host may run now: half its limit while slowed."""
        return max(1, self.limit // 2) if self._clock() < self.slowed_until else self.limit

    async def __aenter__(self) -> HostGate:
        await self._sem.acquire()
        self.active += 1
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.active -= 1
        self._sem.release()


class Hosts(Protocol):
    """What the fetcher needs from the engine: per-host clients and gates, global slots."""

    slots: asyncio.Semaphore

    def client(self, host: str) -> HostClient: ...

    def gate(self, host: str) -> HostGate: ...

    def released(self, host: str) -> None: ...


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int
    headers: dict[str, str]
    meta: PageMeta = _NO_META
    head: bytes | None = None  # what was read of a 2xx HTML body


@dataclass(slots=True)
class _Hop:
    """The outcome of one hop after its retries: an answer or an error verdict."""

    attempts: int
    answer: _Answer | None = None
    error: classify.ErrorVerdict | None = None


def kept_headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """The headers the checker reads, lower-cased, from one pass over the raw list (each
    lookup in httpx's Headers scans and decodes them all). Repeated headers are joined with
    ", " as httpx does; values decode as UTF-8, else Latin-1."""
    kept: dict[str, str] = {}
    for raw_name, raw_value in raw:
        name = raw_name.decode("latin-1").lower()
        if name not in _KEPT_HEADERS:
            continue
        try:
            value = raw_value.decode("utf-8")
        except UnicodeDecodeError:
            value = raw_value.decode("latin-1")
        kept[name] = f"{kept[name]}, {value}" if name in kept else value
    return kept


def _loop_key(url: httpx.URL) -> tuple[str, str, int | None, bytes]:
    """What a request goes to, however the URL is spelled (`A.example:443` = `a.example/`)."""
    return url.scheme, url.host, url.port, url.raw_path or b"/"


@dataclass
class Fetcher:
    config: CheckConfig
    hosts: Hosts
    sleep: Sleep = asyncio.sleep
    clock: Callable[[], float] = time.monotonic
    jitter: Callable[[], float] = random.random
    # Origin → the run's probe of a path that cannot exist there (soft 404s).
    _probes: dict[str, asyncio.Future[softpages.Page | None]] = field(default_factory=dict)
    _headers: dict[str, dict[str, str]] = field(init=False)

    def __post_init__(self) -> None:
        self._headers = {h.lower(): hs for h, hs in self.config.headers.items()}

    async def check(self, url: str) -> FetchResult:
        """Check `url`; call with one of `hosts.slots` held (given back during waits)."""
        whole = url in self.config.fragment_urls
        result, answer = await self._follow(url, whole)
        if whole and answer is not None and answer.head is not None:
            result = replace(result, anchors=fragments.page_anchors(answer.head))
        if result.outcome is Outcome.REDIRECTED and redirect_to_root(url, result.final_url or url):
            return replace(
                result,
                outcome=Outcome.GONE,
                reason=softpages.SOFT_404,
                error="permanent redirect of a deep link to the site root or a login page",
            )
        if answer is None or answer.head is None or result.outcome not in PASSING_OUTCOMES:
            return result
        size = body.head_length(answer.head) if whole else len(answer.head)
        page = softpages.Page(url, result.final_url or url, result.title, size)
        if softpages.parked(page, answer.head):
            return replace(
                result, outcome=Outcome.GONE, reason=softpages.PARKED, error="parked domain"
            )
        if self.config.soft404 and not softpages.is_root(url):
            probe = await self._probe(page.final_url)
            if probe is not None and softpages.matches_probe(page, probe):
                return replace(
                    result,
                    outcome=Outcome.GONE,
                    reason=softpages.SOFT_404,
                    error=f"looks like what the host serves for a missing page ({probe.url})",
                )
        return result

    async def _probe(self, url: str) -> softpages.Page | None:
        """What `url`'s host answers for a path that cannot exist (once per origin and
        run; None when it answers honestly with an error)."""
        end = url.find("/", url.find("//") + 2)
        key = url if end < 0 else url[:end]  # the origin, as spelt: cheap, once per page
        task = self._probes.get(key)
        if task is None:
            task = self._probes[key] = asyncio.ensure_future(self._run_probe(url))
        elif task.done():
            return task.result()  # every page after the first: no await, no shield
        return await asyncio.shield(task)

    async def _run_probe(self, url: str) -> softpages.Page | None:
        target = softpages.probe_url(url)
        result, answer = await self._follow(target)
        if answer is None or answer.head is None or not 200 <= (result.status or 0) < 300:
            return None
        return softpages.Page(target, result.final_url or target, result.title, len(answer.head))

    async def _follow(self, url: str, whole: bool = False) -> tuple[FetchResult, _Answer | None]:
        """Follow `url`'s redirects by hand; the result and the final answer, if any."""
        start = self.clock()
        hops: list[Hop] = []
        seen: set[tuple[str, str, int | None, bytes]] = set()
        current, retries, permanent = url, 0, True

        def result(outcome: Outcome, **kw: Any) -> FetchResult:
            return FetchResult(
                url=url,
                outcome=outcome,
                final_url=current if hops else None,
                redirects=tuple(hops),
                attempts=1 + retries,
                elapsed_ms=int((self.clock() - start) * 1000),
                **kw,
            )

        parsed: httpx.URL | None = None
        while True:
            reason = guard.refusal(current, self.config.allow_private)
            if reason:
                return result(Outcome.INVALID, error=f"{REFUSED}{reason}"), None
            try:
                parsed = parsed or httpx.URL(current)
            except (httpx.InvalidURL, ValueError) as exc:
                return result(Outcome.INVALID, error=f"malformed URL: {exc}"), None
            seen.add(_loop_key(parsed))
            hop = await self._hop(parsed, whole)
            retries += hop.attempts - 1
            if hop.error is not None:
                return result(hop.error.outcome, error=hop.error.message), None
            assert hop.answer is not None
            status, headers = hop.answer.status, hop.answer.headers
            if status in classify.REDIRECT_STATUSES and not classify.is_bot_wall(status, headers):
                location = headers.get("location")
                if not location:
                    return result(
                        Outcome.INVALID, status=status, error="redirect without Location"
                    ), None
                hops.append(Hop(current, status))
                permanent = permanent and status in classify.PERMANENT_STATUSES
                try:
                    parsed = parsed.join(location)
                except (httpx.InvalidURL, ValueError) as exc:
                    return result(
                        Outcome.INVALID, status=status, error=f"bad Location: {exc}"
                    ), None
                target = str(parsed)
                if _loop_key(parsed) in seen:
                    return result(
                        Outcome.INVALID, status=status, error=f"redirect loop: {target}"
                    ), None
                if len(hops) > self.config.max_redirects:
                    return result(
                        Outcome.INVALID,
                        status=status,
                        error=f"too many redirects (more than {self.config.max_redirects})",
                    ), None
                current = target
                continue
            outcome = classify.outcome_for_status(status, headers, permanent and bool(hops))
            done = result(
                outcome,
                status=status,
                title=hop.answer.meta.title,
                description=hop.answer.meta.description,
                error=None if outcome in (Outcome.OK, Outcome.REDIRECTED) else f"HTTP {status}",
            )
            return done, hop.answer

    async def _hop(self, url: httpx.URL, whole: bool = False) -> _Hop:
        """One URL (no redirects followed) with retries; GET, then HEAD on 405/501."""
        host = url.host.lower()
        attempt = 0
        while True:
            attempt += 1
            try:
                answer = await self._attempt(url, host, "GET", whole)
                if answer.status in classify.METHOD_REJECTED:
                    head = await self._attempt(url, host, "HEAD")
                    if head.status not in classify.METHOD_REJECTED:
                        answer = head
            except Exception as exc:
                verdict = classify.verdict_for_error(exc)
                if verdict.retry and attempt <= self.config.retries:
                    await self._idle(self._backoff(attempt))
                    continue
                return _Hop(attempt, error=verdict)
            if attempt <= self.config.retries and classify.retryable_status(
                answer.status, answer.headers
            ):
                wait = classify.retry_after_seconds(
                    answer.headers.get("retry-after"),
                    datetime.now(UTC),
                    self.config.max_retry_after,
                )
                if wait is None:
                    await self._idle(self._backoff(attempt))
                else:
                    gate = self.hosts.gate(host)
                    if not gate.throttle(wait):  # only this URL waits; the host goes on
                        gate.waiting += 1
                        try:
                            await self._idle(wait)
                        finally:
                            gate.waiting -= 1
                continue
            return _Hop(attempt, answer=answer)

    def _backoff(self, attempt: int) -> float:
        return classify.backoff_seconds(attempt, self.config.backoff_base, self.jitter())

    async def _idle(self, seconds: float) -> None:
        """Wait without holding a global slot, so other hosts' requests can use it."""
        if seconds <= 0:
            return
        self.hosts.slots.release()
        try:
            await self.sleep(seconds)
        finally:
            await self.hosts.slots.acquire()

    async def _attempt(
        self, url: httpx.URL, host: str, method: str, whole: bool = False
    ) -> _Answer:
        gate = self.hosts.gate(host)
        while (left := gate.pause_left()) > 0:
            await self._idle(left)
        headers = dict(self._headers.get(host, ()))
        try:
            async with gate:
                client = self.hosts.client(host)
                deadline = asyncio.get_running_loop().time() + self.config.timeout
                async with asyncio.timeout_at(deadline):
                    response = await client.open(method, url, headers)
                try:
                    return await self._read(response, method, deadline, whole)
                finally:
                    await response.aclose()
                    # httpx links a response and its stream both ways; cutting the link
                    # lets reference counting free the chain instead of the cyclic GC.
                    response.stream = _CLOSED
        finally:
            self.hosts.released(host)

    async def _read(
        self, response: httpx.Response, method: str, deadline: float, whole: bool = False
    ) -> _Answer:
        headers = kept_headers(response.headers.raw)
        content_type = headers.get("content-type", "")
        head: bytearray | None = None
        if (
            method == "GET"
            and 200 <= response.status_code < 300
            and content_type.split(";", 1)[0].strip().lower() in _HTML_TYPES
        ):
            head = bytearray()
        try:
            async with asyncio.timeout_at(deadline):
                if head is not None:
                    await body.read_head(
                        response, headers, self.config.max_body, head, DRAIN_LIMIT, whole
                    )
                elif not 200 <= response.status_code < 300:
                    # Error pages and redirects are small: reading them keeps the connection.
                    # Other 2xx content (PDFs, archives) is never read.
                    await body.drain(response, headers, DRAIN_LIMIT)
        except (TimeoutError, httpx.TransportError):
            pass  # the status is in; a body that stalls or breaks later does not change it
        meta = _NO_META
        if head:
            page_head = bytes(head[: body.head_length(head)]) if whole else bytes(head)
            meta = extract_meta(page_head, charset_from_content_type(content_type))
        return _Answer(response.status_code, headers, meta, bytes(head) if head else None)
