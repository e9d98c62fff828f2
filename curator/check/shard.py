"""Split a big run by host over worker processes and stream their results back.

Input: distinct URLs, a `CheckConfig`, the `on_result` callback, a `stop` event, a worker
count. Output: `on_result` called in this process (event-loop thread) for every URL a worker
finished. Config: `concurrency` is divided between the workers; each worker runs the
in-process engine (`python -m curator.check.worker`) on its own event loop, uvloop when
installed.

Hosts, not URLs, are split (largest first onto the least loaded worker), so per-host limits
and Retry-After pauses still hold; only a redirect to a host owned by another worker can
exceed `per_host` there. Workers run in their own session so a Ctrl-C reaches only this
process, which then kills them; a worker that dies early has its unreported URLs checked here.
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


def partition(urls: Sequence[str], parts: int, key: Callable[[str], str]) -> list[list[str]]:
    """Group URLs by host and spread the groups over `parts` bins of similar size."""
    groups: dict[str, list[str]] = defaultdict(list)
    for url in urls:
        groups[key(url)].append(url)
    bins: list[list[str]] = [[] for _ in range(parts)]
    heap = [(0, i) for i in range(parts)]
    for group in sorted(groups.values(), key=len, reverse=True):
        size, i = heapq.heappop(heap)
        bins[i].extend(group)
        heapq.heappush(heap, (size + len(group), i))
    return [b for b in bins if b]


def config_to_wire(config: CheckConfig) -> dict[str, Any]:
    return dataclasses.asdict(config)


def config_from_wire(data: dict[str, Any]) -> CheckConfig:
    names = {f.name for f in dataclasses.fields(CheckConfig)}
    return CheckConfig(**{k: v for k, v in data.items() if k in names})


def result_to_wire(result: FetchResult) -> dict[str, Any]:
    data = dataclasses.asdict(result)
    data["redirects"] = [[h.url, h.status] for h in result.redirects]
    return data


def result_from_wire(data: dict[str, Any]) -> FetchResult:
    data["outcome"] = Outcome(data["outcome"])
    data["redirects"] = tuple(Hop(url, status) for url, status in data["redirects"])
    return FetchResult(**data)


async def run_sharded(
    urls: Sequence[str],
    config: CheckConfig,
    on_result: Callable[[FetchResult], None],
    stop: asyncio.Event | None,
    workers: int,
) -> None:
    from curator.check.engine import host_key, run_local

    shards = partition(urls, workers, host_key)
    sub = dataclasses.replace(
        config, concurrency=max(1, config.concurrency // len(shards)), workers=1
    )
    done: set[str] = set()

    def deliver(result: FetchResult) -> None:
        done.add(result.url)
        on_result(result)

    procs: list[asyncio.subprocess.Process] = []
    try:
        for shard in shards:
            procs.append(await _spawn(shard, sub))
        readers = [asyncio.ensure_future(_read_results(p, deliver)) for p in procs]
        waiter = asyncio.ensure_future(asyncio.gather(*readers))
        stopper = asyncio.ensure_future(stop.wait()) if stop is not None else None
        await asyncio.wait([t for t in (waiter, stopper) if t], return_when="FIRST_COMPLETED")
        if stopper is not None:
            stopper.cancel()
        if stop is not None and stop.is_set():
            waiter.cancel()
            return
        await waiter
    finally:
        for proc in procs:
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
        for proc in procs:
            await proc.wait()
    missing = [u for u in urls if u not in done]
    if missing:  # a worker died (killed, out of memory): finish its share here
        await run_local(missing, config, on_result, stop)


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
