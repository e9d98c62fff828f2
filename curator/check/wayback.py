"""Archived copies of dead links from the Wayback Machine's availability API.

Input: (url id, URL, when it was last seen alive) for links a check found broken, a
`CheckConfig` (timeout, allow_private: the lookup goes through the same SSRF guard and
transport as every check request) and the API base (`CURATOR_WAYBACK_URL`, default
https://archive.org). Output: url id → the snapshot's URL, "" when the archive has none
(so the link is not asked about again), nothing when the lookup failed (asked again next
run). Config: `WAYBACK_URL`, `CONCURRENCY`.

One GET of `/wayback/available?url=…&timestamp=…` per link, with the timestamp of the
last time the link answered (the API returns the snapshot closest to it); only a
snapshot that was itself a 2xx page is kept.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping, Sequence
from datetime import datetime
from urllib.parse import urlencode

import httpx

from curator.check.http import guard
from curator.check.types import CheckConfig

WAYBACK_URL = "https://archive.org"
CONCURRENCY = 4  # archive.org is one host: stay polite


def base_from_env(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    return (env.get("CURATOR_WAYBACK_URL") or WAYBACK_URL).strip().rstrip("/")


def query_url(base: str, url: str, alive_at: datetime | None) -> str:
    params = {"url": url}
    if alive_at is not None:
        params["timestamp"] = f"{alive_at:%Y%m%d%H%M%S}"
    return f"{base}/wayback/available?{urlencode(params)}"


def snapshot_of(payload: object) -> str:
    """The snapshot URL in an availability answer, or "" when there is none."""
    if not isinstance(payload, dict):
        return ""
    closest = (payload.get("archived_snapshots") or {}).get("closest")
    if not isinstance(closest, dict) or not closest.get("available"):
        return ""
    status = str(closest.get("status") or "200")
    url = closest.get("url")
    if not isinstance(url, str) or not status.startswith("2"):
        return ""
    return url.replace("http://web.archive.org/", "https://web.archive.org/", 1)


async def lookup_all(
    wanted: Sequence[tuple[int, str, datetime | None]],
    config: CheckConfig,
    base: str,
) -> dict[int, str]:
    """Ask the archive about each link; see the module docstring."""
    if not wanted:
        return {}
    from curator.check.engine import HostPool
    from curator.check.shard import host_key

    if guard.refusal(base, config.allow_private):
        return {}  # the guard refuses the API itself: ask nothing
    hosts = HostPool(config, None)
    client = hosts.client(host_key(base))
    gate = asyncio.Semaphore(CONCURRENCY)
    found: dict[int, str] = {}

    async def one(uid: int, url: str, alive_at: datetime | None) -> None:
        async with gate:
            try:
                response = await client.get(
                    query_url(base, url, alive_at), headers={"Accept": "application/json"}
                )
            except (
                httpx.HTTPError,
                OSError,
                TimeoutError,
                guard.GuardRefused,
                guard.NameNotResolved,
                guard.ResolveFailed,
            ):
                return  # asked again next run
            if response.status_code != 200:
                return
            try:
                found[uid] = snapshot_of(response.json())
            except ValueError:
                return

    try:
        await asyncio.gather(*(one(*w) for w in wanted))
    finally:
        await hosts.aclose()
    return found
