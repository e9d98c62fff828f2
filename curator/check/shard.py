"""Share a big run between this process and worker processes; stream results back.

Input: distinct URLs, a `CheckConfig`, the `on_result` callback, a `stop` event and a
process count (`worker_count()` picks it). Output: `on_result` called in this process
(event-loop thread) for every URL checked here or by a worker. Config: `concurrency` and
`per_host` are divided between the processes; each worker (`python -m
curator.check.worker`) runs the in-process engine on its own event loop, uvloop when
installed.

Work is handed out on demand, a batch at a time, to whichever process has run low, so
every process stays busy until the end however fast it turns out to be (this one also
stores results and starts first; a worker starts later and may share a core with other
work). Batches mix hosts, and each process gets `per_host // processes` connections per
host, so together they never exceed `per_host`; a Retry-After pauses the host in the
process that received it. Workers run in their own session so a Ctrl-C reaches only this
process, which then kills them; a worker that dies early has its unreported URLs checked
here.

Wire format (one JSON document per line): to a worker, first `{"config": {...}}`, then
`{"urls": [...]}` batches, then end of input; from a worker, `result_to_wire` rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import sys
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, Protocol
from urllib.parse import urlsplit

from curator.check.types import CheckConfig, FetchResult, Hop, Outcome

MAX_AUTO_WORKERS = 4
_HELD_BATCHES = 8  # batches a process may hold unfinished before it is sent more
_LINE_LIMIT = 1 << 20  # a result line is a few KiB at most (titles and errors are capped)


OnResult = Callable[[FetchResult], None]


class OpenRun(Protocol):
    """An open-ended in-process run: URLs arrive through `feed` until `close`."""

    def feed(self, urls: Sequence[str]) -> None: ...

    def close(self) -> None: ...


class LocalEngine(Protocol):
    """What a sharded run needs from the in-process engine. engine.py hands it in, so
    that this module never imports engine.py (which imports this one)."""

    def open_ended(self, config: CheckConfig, on_result: OnResult) -> OpenRun: ...

    def drive(self, run: OpenRun, stop: asyncio.Event | None) -> Awaitable[None]: ...

    def run(
        self,
        urls: Sequence[str],
        config: CheckConfig,
        on_result: OnResult,
        stop: asyncio.Event | None,
    ) -> Awaitable[None]: ...


def host_key(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def worker_count(config: CheckConfig, n_urls: int, n_hosts: int) -> int:
    """How many processes a run of `n_urls` over `n_hosts` hosts should use (never more
    than `per_host`: each process gets at least one connection per host)."""
    wanted = config.workers or min(os.cpu_count() or 1, MAX_AUTO_WORKERS)
    if n_urls < config.shard_min_urls:
        return 1
    return max(1, min(wanted, n_hosts, config.per_host))


def interleave(urls: Sequence[str], key: Callable[[str], str]) -> list[str]:
    """URLs round-robin over their hosts, so that any run of them spreads over many hosts."""
    groups: dict[str, deque[str]] = defaultdict(deque)
    for url in urls:
        groups[key(url)].append(url)
    queues = deque(groups.values())
    out: list[str] = []
    while queues:
        queue = queues.popleft()
        out.append(queue.popleft())
        if queue:
            queues.append(queue)
    return out


def config_to_wire(config: CheckConfig) -> dict[str, Any]:
    # Workers fetch pages only: the GitHub API (and its token) stays in the parent.
    data = dataclasses.asdict(dataclasses.replace(config, github=None))
    data["fragment_urls"] = sorted(config.fragment_urls)
    return data


def config_from_wire(data: dict[str, Any]) -> CheckConfig:
    names = {f.name for f in dataclasses.fields(CheckConfig)}
    config = CheckConfig(**{k: v for k, v in data.items() if k in names})
    return dataclasses.replace(config, fragment_urls=frozenset(config.fragment_urls))


def result_to_wire(result: FetchResult) -> list[Any]:
    """A result as a JSON-ready list in field order (`dataclasses.asdict` deep-copies
    every field and was a tenth of a worker's CPU)."""
    return [
        result.url,
        result.outcome.value,
        result.status,
        result.final_url,
        [[h.url, h.status] for h in result.redirects],
        result.title,
        result.description,
        result.error,
        result.attempts,
        result.elapsed_ms,
        result.reason,
        None if result.anchors is None else sorted(result.anchors),
    ]


def result_from_wire(data: list[Any]) -> FetchResult:
    url, outcome, status, final_url, redirects, title, description, error, attempts, ms = data[:10]
    reason, anchors = data[10:12]
    return FetchResult(
        url,
        Outcome(outcome),
        status,
        final_url,
        tuple(Hop(u, s) for u, s in redirects),
        title,
        description,
        error,
        attempts,
        ms,
        reason=reason,
        anchors=None if anchors is None else frozenset(anchors),
    )


def share(config: CheckConfig, processes: int) -> CheckConfig:
    """One process's part of the limits (`processes` never exceeds `per_host`)."""
    return dataclasses.replace(
        config,
        concurrency=max(1, config.concurrency // processes),
        per_host=max(1, config.per_host // processes),
        workers=1,
    )


class _Share:
    """One process's side of the hand-out: what it was sent, what came back, and which
    of its URLs are still out (a few batches: a set of every URL done would grow with
    the run)."""

    def __init__(self, send: Callable[[list[str]], None], close: Callable[[], None]) -> None:
        self._send, self._close = send, close
        self.sent = 0
        self.done = 0
        self.out: set[str] = set()
        self.alive = True

    def send(self, batch: list[str]) -> None:
        self.sent += len(batch)
        self.out.update(batch)
        try:
            self._send(batch)
        except (ConnectionError, RuntimeError):
            self.alive = False  # a dead worker: its URLs are rechecked here at the end

    def close(self) -> None:
        with contextlib.suppress(ConnectionError, RuntimeError):
            self._close()


class _Dispatcher:
    """Hands out `batch` URLs to a share whenever fewer than `low` of its URLs are open."""

    def __init__(self, urls: Iterable[str], batch: int, low: int) -> None:
        self.queue = deque(urls)
        self.batch, self.low = batch, low
        self.shares: list[_Share] = []
        self.closed = False

    def top_up(self, share: _Share) -> None:
        while share.alive and self.queue and share.sent - share.done < self.low:
            n = min(self.batch, len(self.queue))
            share.send([self.queue.popleft() for _ in range(n)])
        if not self.queue and not self.closed:
            self.closed = True
            for s in self.shares:
                s.close()


async def run_sharded(
    urls: Sequence[str],
    config: CheckConfig,
    on_result: Callable[[FetchResult], None],
    stop: asyncio.Event | None,
    processes: int,
    engine: LocalEngine,
) -> None:
    """Check `urls` in this process and `processes - 1` workers, handed out on demand."""
    processes = max(1, min(processes, config.per_host))
    sub = share(config, processes)
    # Each process holds up to 8 batches: its slots stay busy only if enough of its queued
    # URLs belong to hosts that are neither paused (Retry-After) nor at their per-host
    # limit. Measured against 2 batches: N=20000 24.4-25.1 s vs 26.4-26.5 s, N=5000
    # 8.1-9.0 s vs 8.7-9.5 s; the cost is at most one process's 8 batches at the end.
    dispatch = _Dispatcher(
        interleave(urls, host_key), sub.concurrency, _HELD_BATCHES * sub.concurrency
    )

    def deliver_for(s: _Share) -> Callable[[FetchResult], None]:
        def deliver(result: FetchResult) -> None:
            s.done += 1
            s.out.discard(result.url)
            on_result(result)
            dispatch.top_up(s)

        return deliver

    procs: list[asyncio.subprocess.Process] = []
    tasks: list[asyncio.Future[None]] = []
    try:
        for _ in range(processes - 1):
            proc = await _spawn(sub)
            procs.append(proc)
            dispatch.shares.append(_Share(_writer(proc), _closer(proc)))
        local_share = _Share(lambda batch: local.feed(batch), lambda: local.close())
        local = engine.open_ended(sub, deliver_for(local_share))
        dispatch.shares.append(local_share)
        tasks = [
            asyncio.ensure_future(_read_results(p, deliver_for(s)))
            for p, s in zip(procs, dispatch.shares, strict=False)
        ]
        tasks.append(asyncio.ensure_future(engine.drive(local, stop)))
        for s in dispatch.shares:
            dispatch.top_up(s)
        if not await _wait_all(tasks, stop):
            return  # stopped: what finished was delivered, the rest is dropped
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for proc in procs:
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
        for proc in procs:
            await proc.wait()
    left = set(dispatch.queue).union(*(s.out for s in dispatch.shares))
    missing = [u for u in urls if u in left]
    if missing:  # a worker died (killed, out of memory): finish its share here
        await engine.run(missing, config, on_result, stop)


def _writer(proc: asyncio.subprocess.Process) -> Callable[[list[str]], None]:
    def send(batch: list[str]) -> None:
        assert proc.stdin is not None
        if proc.stdin.is_closing():
            raise ConnectionError("worker input closed")
        proc.stdin.write(json.dumps({"urls": batch}).encode() + b"\n")

    return send


def _closer(proc: asyncio.subprocess.Process) -> Callable[[], None]:
    def close() -> None:
        assert proc.stdin is not None
        proc.stdin.close()

    return close


async def _wait_all(tasks: list[asyncio.Future[None]], stop: asyncio.Event | None) -> bool:
    """Wait for every task (raising the first error), or for `stop`: False when stopped."""
    stopper = asyncio.ensure_future(stop.wait()) if stop is not None else None
    pending: set[asyncio.Future[Any]] = set(tasks)
    try:
        while pending:
            watch = pending | {stopper} if stopper is not None else pending
            done, _ = await asyncio.wait(watch, return_when=asyncio.FIRST_COMPLETED)
            for task in done - {stopper}:
                error = task.exception()
                if error is not None:
                    raise error
            if stopper in done:
                return False
            pending -= done
        return True
    finally:
        if stopper is not None:
            stopper.cancel()


# Workers started ahead of a run (`prestart`), waiting for their config; loop-bound.
_warm: list[asyncio.subprocess.Process] = []


async def prestart(count: int) -> None:
    """Start `count` workers now, so that their imports (about 0.5 s of CPU) run on another
    core while this process is still selecting URLs. `run_sharded` takes them;
    `discard_warm` ends any it did not take."""
    for _ in range(count):
        _warm.append(await _launch())


async def discard_warm() -> None:
    """End the workers `prestart` made that no run took (they exit on end of input)."""
    procs = list(_warm)
    _warm.clear()
    for proc in procs:
        if proc.stdin is not None:
            proc.stdin.close()
    for proc in procs:
        try:
            await asyncio.wait_for(proc.wait(), timeout=5.0)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()


async def _spawn(config: CheckConfig) -> asyncio.subprocess.Process:
    proc = _warm.pop() if _warm else await _launch()
    assert proc.stdin is not None
    # Tokens travel on the pipe, never in argv or the environment.
    proc.stdin.write(json.dumps({"config": config_to_wire(config)}).encode() + b"\n")
    return proc


async def _launch() -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "curator.check.worker",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        # Worker noise would garble the progress display; CURATOR_DEBUG shows it.
        stderr=None if os.environ.get("CURATOR_DEBUG") else asyncio.subprocess.DEVNULL,
        start_new_session=True,
        limit=_LINE_LIMIT,
    )


async def _read_results(
    proc: asyncio.subprocess.Process, deliver: Callable[[FetchResult], None]
) -> None:
    assert proc.stdout is not None
    while line := await proc.stdout.readline():
        try:
            result = result_from_wire(json.loads(line))
        except (ValueError, TypeError, KeyError):
            continue  # a partial last line from a killed worker
        deliver(result)
