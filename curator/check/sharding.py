"""Splitting one scheduled check between several CI jobs: `--shard I/N` and `--run-id`.

Input: the text of `--shard` ("I/N", 1-based), hosts, the CI environment. Output: a
`Shard` that says whether it owns a host, and the default run key. Config: none.

A host belongs to shard `1 + (stable hash of the host) mod N`, the hash being the first
8 bytes of its SHA-256. A balanced assignment by URL counts would even out the shards'
sizes, but it depends on the set of *due* URLs, which differs between shards that start
at different times against one shared database (a shard that finishes early has made its
URLs not due for the next one to start); the hash depends on the host alone, so every
shard agrees on who owns each host whatever it sees, no host is checked by two shards (so
`--per-host` holds across shards) and none is missed. The price: balance is by hosts, so
a list dominated by one host puts most of its URLs into one shard.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from curator.errors import InputError

_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True, slots=True)
class Shard:
    index: int  # 1-based
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def owns(self, host: str) -> bool:
        return shard_of(host, self.count) == self.index

    @property
    def first(self) -> bool:
        """Relative links (not tied to a web host) are reported by the first shard only."""
        return self.index == 1


def shard_of(host: str, count: int) -> int:
    """The 1-based shard that checks `host` when a run is split `count` ways."""
    digest = hashlib.sha256(host.lower().encode("utf-8")).digest()
    return 1 + int.from_bytes(digest[:8], "big") % count


def parse_shard(text: str) -> Shard:
    m = _SHARD.match(text)
    if not m:
        raise InputError(f"--shard {text!r}: use I/N, e.g. 2/4")
    index, count = int(m.group(1)), int(m.group(2))
    if count < 1 or not 1 <= index <= count:
        raise InputError(f"--shard {text!r}: I must be between 1 and N, and N at least 1")
    return Shard(index, count)


def default_run_key(env: Mapping[str, str]) -> str | None:
    """The CI run that shards of one scheduled run share: GitHub's run id and attempt (a
    re-run of failed jobs is a new attempt, and so a new run)."""
    run_id = env.get("GITHUB_RUN_ID", "").strip()
    if not run_id:
        return None
    attempt = env.get("GITHUB_RUN_ATTEMPT", "").strip() or "1"
    return f"{run_id}-{attempt}"
