"""The check scheduler: many URLs → one `FetchResult` each, streamed to a callback.

Input: URLs, a `CheckConfig`, a sync `on_result` callback, an optional `stop` event and an
optional async `Resolver` (hostname → IPs; tests stub DNS with it). Output: `on_result` is
called once per distinct URL, from the event-loop thread, as each check finishes;
`run_checks` returns when all are done, or within about a second of `stop` being set
(unfinished checks are cancelled and not reported). Config: `CheckConfig` (concurrency,
per_host, workers, shard_min_urls and what fetch.py reads).

In one process, URLs are queued per host and started from the host with the longest
backlog among those below `per_host` running jobs and not paused by a Retry-After, so a
list dominated by one host cannot fill the global slots with jobs that only wait. Each
host gets its own small httpx client (one big shared pool is CPU-bound); a host's client
is closed once its queue is empty. Big runs are shared between this process and worker
processes (shard.py, one process per core, work handed out on demand), because httpx
costs one to two milliseconds of CPU per request and one process tops out near one core.
"""

from __future__ import annotations

import asyncio
import heapq
import ssl
import time
from collections import defaultdict, deque
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from curator.check.http.fetch import Fetcher, HostGate
from curator.check.http.guard import GuardedBackend, Resolver
from curator.check.http.netio import AsyncioBackend
from curator.check.http.transport import HostClient, SharedSSL, new_client
from curator.check.shard import OpenRun, host_key, run_sharded, worker_count
from curator.check.types import CheckConfig, FetchResult, Outcome
from curator.util.perf import run_sync

OnResult = Callable[[FetchResult], None]
_CLOSE_GRACE_S = 0.5


async def run_checks(
    urls: Sequence[str],
    config: CheckConfig,
    on_result: OnResult,
    stop: asyncio.Event | None = None,
    resolver: Resolver | None = None,
) -> None:
    """Check each distinct URL once; see the module docstring."""
    unique = list(dict.fromkeys(urls))
    if config.github is not None:
        from curator.check.github import repo_link

        web = config.github.web_origins
        repos = [u for u in unique if repo_link(u, web) is not None]
        if repos:
            others = [u for u in unique if repo_link(u, web) is None]
            await asyncio.gather(
                _run_pages(others, config, on_result, stop, resolver),
                _run_github(repos, config, on_result, stop, resolver),
            )
            return
    await _run_pages(unique, config, on_result, stop, resolver)


async def _run_github(
    urls: Sequence[str],
    config: CheckConfig,
    on_result: OnResult,
    stop: asyncio.Event | None,
    resolver: Resolver | None,
) -> None:
    """Repository links through the GraphQL API (check/github.py), then the deep links
    of repositories that exist as pages."""
    from curator.check.github import GraphQLChecker

    assert config.github is not None
    hosts = HostPool(config, resolver)
    rest: list[str] = []

    async def ask() -> None:
        client = hosts.client(host_key(config.github.graphql_url) if config.github else "")
        rest.extend(await GraphQLChecker(config, client).check(urls, on_result))

    try:
        await _until_stopped(ask(), stop)
    finally:
        await hosts.aclose()
    if rest and not (stop is not None and stop.is_set()):
        await run_local(rest, config, on_result, stop, resolver)


async def _run_pages(
    unique: Sequence[str],
    config: CheckConfig,
    on_result: OnResult,
    stop: asyncio.Event | None,
    resolver: Resolver | None,
) -> None:
    if not unique:
        return
    n_hosts = len({host_key(u) for u in unique})
    workers = 1 if resolver is not None else worker_count(config, len(unique), n_hosts)
    if workers > 1:
        await run_sharded(unique, config, on_result, stop, workers, _ENGINE)
    else:
        await run_local(unique, config, on_result, stop, resolver)


async def run_local(
    urls: Sequence[str],
    config: CheckConfig,
    on_result: OnResult,
    stop: asyncio.Event | None = None,
    resolver: Resolver | None = None,
) -> None:
    """`run_checks` in this process and event loop only."""
    await drive_local(LocalRun(urls, config, on_result, resolver), stop)


async def drive_local(run: LocalRun, stop: asyncio.Event | None = None) -> None:
    """Run `run` until it is done (an open-ended one: until closed and drained) or stopped."""
    try:
        await _until_stopped(run.run(), stop)
    finally:
        await run.hosts.aclose(grace=_CLOSE_GRACE_S if stop is not None and stop.is_set() else None)


async def _until_stopped(coro: Coroutine[Any, Any, None], stop: asyncio.Event | None) -> None:
    """Run `coro`; cancel it as soon as `stop` is set."""
    task = asyncio.ensure_future(coro)
    if stop is None:
        await task
        return
    stopper = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    error = None if task.cancelled() else task.exception()
    if error is not None:
        raise error


class HostPool:
    """Per-host clients and gates for one run, and the global slots (fetch.Hosts)."""

    def __init__(
        self,
        config: CheckConfig,
        resolver: Resolver | None,
        needed: Callable[[str], bool] = lambda host: True,
        clock: Callable[[], float] = time.monotonic,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.slots = asyncio.Semaphore(max(1, config.concurrency))
        self._config = config
        self._clock = clock
        self._needed = needed
        self._backend = GuardedBackend(AsyncioBackend(), resolver, config.allow_private)
        self._ssl = SharedSSL(ssl_context)
        self._clients: dict[str, HostClient] = {}
        self._gates: dict[str, HostGate] = {}
        self._closing: set[asyncio.Task[None]] = set()

    def client(self, host: str) -> HostClient:
        client = self._clients.get(host)
        if client is None:
            client = self._clients[host] = new_client(self._config, self._backend, self._ssl)
        return client

    def gate(self, host: str) -> HostGate:
        gate = self._gates.get(host)
        if gate is None:
            gate = self._gates[host] = HostGate(self._config.per_host, self._clock)
        return gate

    def released(self, host: str) -> None:
        """Close the host's client (and its keep-alive sockets) once nothing needs it."""
        gate = self._gates.get(host)
        if host in self._clients and (gate is None or gate.active == 0) and not self._needed(host):
            task = asyncio.ensure_future(self._clients.pop(host).aclose())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    async def aclose(self, grace: float | None = None) -> None:
        clients, self._clients = list(self._clients.values()), {}
        closing = [asyncio.ensure_future(c.aclose()) for c in clients] + list(self._closing)
        if not closing:
            return
        _, late = await asyncio.wait(closing, timeout=grace)
        for task in late:
            task.cancel()
        await asyncio.gather(*closing, return_exceptions=True)


class LocalRun:
    """Hosts with queued URLs, longest backlog first, within the global and per-host limits.

    An open-ended run (`open_ended=True`) takes more URLs through `feed()` while it runs
    and finishes only after `close()`, once everything fed is done (shard.py feeds it).
    """

    def __init__(
        self,
        urls: Sequence[str],
        config: CheckConfig,
        on_result: OnResult,
        resolver: Resolver | None = None,
        *,
        open_ended: bool = False,
    ) -> None:
        self.config = config
        self.on_result = on_result
        self.pending: dict[str, deque[str]] = {}
        self.left = 0
        self.closed = not open_ended
        self.jobs: dict[str, int] = defaultdict(int)
        # Hosts that may start a job, longest backlog first (a lazy heap: a host's key is
        # its backlog when it was queued). Serving the longest queues first makes the hosts
        # drain together, so the run does not end with a few backlogged hosts (a Retry-After
        # pause puts a host behind) crawling at `per_host` while the other slots idle.
        self.ready: list[tuple[int, int, str]] = []
        self.queued: set[str] = set()
        self._seq = 0
        self.wake = asyncio.Event()
        self.tasks: set[asyncio.Task[None]] = set()
        self.failure: BaseException | None = None
        self.hosts = HostPool(config, resolver, needed=self._needed)
        self.fetcher = Fetcher(config, self.hosts)
        self.feed(urls)

    def feed(self, urls: Sequence[str]) -> None:
        touched: dict[str, None] = {}
        for url in urls:
            host = host_key(url)
            queue = self.pending.get(host)
            if queue is None:
                queue = self.pending[host] = deque()
            queue.append(url)
            touched[host] = None
        self.left += len(urls)
        for host in touched:
            self._requeue(host)

    def close(self) -> None:
        """No more URLs will be fed: finish what is queued, then end."""
        self.closed = True
        self.wake.set()

    def _needed(self, host: str) -> bool:
        # Hosts never queued (redirect targets) keep their client: more hops may come; so
        # does every host of an open-ended run, which may be fed more of its URLs.
        return (
            not self.closed
            or host not in self.pending
            or bool(self.pending[host])
            or self.jobs[host] > 0
        )

    async def run(self) -> None:
        try:
            await self._schedule()
            while self.tasks:
                await asyncio.wait(set(self.tasks), return_when=asyncio.FIRST_COMPLETED)
                self._raise_failure()
        finally:
            for task in self.tasks:
                task.cancel()
            await asyncio.gather(*self.tasks, return_exceptions=True)

    async def _schedule(self) -> None:
        slots = self.hosts.slots
        while self.left or not self.closed:
            await slots.acquire()
            host = self._next_host()
            if host is None:
                slots.release()
                self.wake.clear()
                await self.wake.wait()
                continue
            url = self.pending[host].popleft()
            self.left -= 1
            self.jobs[host] += 1
            self._requeue(host)
            task = asyncio.ensure_future(self._job(host, url))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
            self._raise_failure()

    def _raise_failure(self) -> None:
        if self.failure is not None:
            raise self.failure

    def _next_host(self) -> str | None:
        while self.ready:
            host = heapq.heappop(self.ready)[2]
            self.queued.discard(host)
            if not self.pending[host] or self.jobs[host] >= self.config.per_host:
                continue  # re-queued when one of its jobs finishes
            gate = self.hosts.gate(host)
            pause = gate.pause_left()
            if pause > 0:
                asyncio.get_running_loop().call_later(pause, self._requeue, host)
                continue
            if self.jobs[host] - gate.waiting >= gate.allowed():  # slowed by a Retry-After
                asyncio.get_running_loop().call_later(gate.slow_left(), self._requeue, host)
                continue
            return host
        return None

    def _requeue(self, host: str) -> None:
        if (
            host not in self.queued
            and self.pending[host]
            and self.jobs[host] < self.config.per_host
        ):
            self._seq += 1
            heapq.heappush(self.ready, (-len(self.pending[host]), self._seq, host))
            self.queued.add(host)
            self.wake.set()

    async def _job(self, host: str, url: str) -> None:
        try:
            result = await self.fetcher.check(url)
        except Exception as exc:  # a bug must not sink a 20 000-URL run
            result = FetchResult(
                url, Outcome.TRANSIENT, error=f"internal error: {type(exc).__name__}: {exc}"
            )
        finally:
            self.hosts.slots.release()
            self.jobs[host] -= 1
            self._requeue(host)
            self.hosts.released(host)
        try:
            self.on_result(result)
        except BaseException as exc:  # the caller's bug: stop the run and re-raise it
            if self.failure is None:
                self.failure = exc
            self.wake.set()


class _InProcess:
    """This module's engine as shard.py's `LocalEngine`."""

    def open_ended(self, config: CheckConfig, on_result: OnResult) -> OpenRun:
        return LocalRun([], config, on_result, open_ended=True)

    async def drive(self, run: OpenRun, stop: asyncio.Event | None) -> None:
        assert isinstance(run, LocalRun)
        await drive_local(run, stop)

    async def run(
        self,
        urls: Sequence[str],
        config: CheckConfig,
        on_result: OnResult,
        stop: asyncio.Event | None,
    ) -> None:
        await run_local(urls, config, on_result, stop)


_ENGINE = _InProcess()


def check_url_sync(url: str, config: CheckConfig | None = None) -> FetchResult:
    """Check one URL from synchronous code (debugging, tests)."""
    results: list[FetchResult] = []
    run_sync(run_local([url], config or CheckConfig(), results.append))
    return results[0]
