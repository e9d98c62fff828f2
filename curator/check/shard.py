"""Split a big run by host over this process and worker processes; stream results back.

Input: distinct URLs, a `CheckConfig`, the `on_result` callback, a `stop` event and a
process count. Output: `on_result` called in this process (event-loop thread) for every
URL checked here or by a worker. Config: `concurrency` is divided between the processes;
each worker (`python -m curator.check.worker`) runs the in-process engine on its own event
loop, uvloop when installed.

Hosts, not URLs, are split (largest first onto the least loaded process; the calling
process takes a smaller share as it also stores results), so per-host limits and
Retry-After pauses still hold; only a redirect to a host owned by another process can
exceed `per_host` there. Workers run in their own session so a Ctrl-C reaches only this
process, which then kills them; a worker that dies early has its unreported URLs checked
here.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import heapq
import json
import os
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from curator.check.types import CheckConfig, FetchResult, Hop, Outcome

_LINE_LIMIT = 1 << 20  # a result line is a few KiB at most (titles and errors are capped)
# The calling process also stores results and draws progress, so it takes a smaller share.
PARENT_WEIGHT = 0.6


def partition(
    urls: Sequence[str], weights: Sequence[float], key: Callable[[str], str]
) -> list[list[str]]:
    """Group URLs by host and spread the groups over bins in proportion to `weights`
    (largest group first onto the bin that is least loaded for its weight)."""
    groups: dict[str, list[str]] = defaultdict(list)
    for url in urls:
        groups[key(url)].append(url)
    bins: list[list[str]] = [[] for _ in weights]
    heap = [(0.0, i) for i in range(len(weights))]
    for group in sorted(groups.values(), key=len, reverse=True):
        _, i = heapq.heappop(heap)
        bins[i].extend(group)
        heapq.heappush(heap, (len(bins[i]) / weights[i], i))
    return bins


def config_to_wire(config: CheckConfig) -> dict[str, Any]:
    return dataclasses.asdict(config)


def config_from_wire(data: dict[str, Any]) -> CheckConfig:
    names = {f.name for f in dataclasses.fields(CheckConfig)}
    return CheckConfig(**{k: v for k, v in data.items() if k in names})


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
    ]


def result_from_wire(data: list[Any]) -> FetchResult:
    url, outcome, status, final_url, redirects, title, description, error, attempts, ms = data
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
    )


async def run_sharded(
    urls: Sequence[str],
    config: CheckConfig,
    on_result: Callable[[FetchResult], None],
    stop: asyncio.Event | None,
    processes: int,
) -> None:
    """Check `urls` in this process and `processes - 1` workers, split by host."""
    from curator.check.engine import host_key, run_local

    weights = [PARENT_WEIGHT] + [1.0] * (processes - 1)
    own, *shards = partition(urls, weights, host_key)
    shards = [s for s in shards if s]
    sub = dataclasses.replace(
        config, concurrency=max(1, config.concurrency // (len(shards) + 1)), workers=1
    )
    done: set[str] = set()

    def deliver(result: FetchResult) -> None:
        done.add(result.url)
        on_result(result)

    procs: list[asyncio.subprocess.Process] = []
    tasks: list[asyncio.Future[None]] = []
    try:
        for shard in shards:
            procs.append(await _spawn(shard, sub))
        tasks = [asyncio.ensure_future(_read_results(p, deliver)) for p in procs]
        tasks.append(asyncio.ensure_future(run_local(own, sub, deliver, stop)))
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
    missing = [u for u in urls if u not in done]
    if missing:  # a worker died (killed, out of memory): finish its share here
        await run_local(missing, config, on_result, stop)


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


async def _spawn(urls: list[str], config: CheckConfig) -> asyncio.subprocess.Process:
    proc = await asyncio.create_subprocess_exec(
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
    assert proc.stdin is not None
    # Tokens travel on the pipe, never in argv or the environment.
    proc.stdin.write(json.dumps({"config": config_to_wire(config), "urls": urls}).encode())
    with contextlib.suppress(ConnectionError):
        await proc.stdin.drain()
    proc.stdin.close()
    return proc


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
