"""Types shared by the checker: outcomes, link states, fetch results and configuration.

Input: nothing. Output: enums and frozen dataclasses; no behaviour beyond trivial helpers.
`Outcome` and `LinkState` are stored in the DB, so they are defined in store/kinds.py and
re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from curator.store.kinds import LinkState as LinkState
from curator.store.kinds import Outcome as Outcome

if TYPE_CHECKING:
    from curator.check.http.ghauth import GitHubApi


class ArchiveLookup(StrEnum):
    """Which gone links get a Wayback Machine lookup after a check (check/wayback.py)."""

    BROKEN = "broken"  # confirmed broken (default)
    ALL = "all"  # every gone one
    OFF = "off"


@dataclass(frozen=True, slots=True)
class Hop:
    url: str
    status: int


# How the error of a result the SSRF guard refused begins (outcome `invalid`).
REFUSED = "refused: "


@dataclass(frozen=True, slots=True)
class RepoFacts:
    """What the GitHub API says of a repository (check/github.py)."""

    name_with_owner: str
    url: str
    archived: bool = False
    disabled: bool = False
    fork: bool = False
    stars: int = 0
    pushed_at: datetime | None = None
    description: str | None = None
    license: str | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class FetchResult:
    """The result of checking one URL once (after retries)."""

    url: str
    outcome: Outcome
    status: int | None = None
    final_url: str | None = None
    redirects: tuple[Hop, ...] = ()
    title: str | None = None
    description: str | None = None
    error: str | None = None
    attempts: int = 1
    elapsed_ms: int = 0
    repo: RepoFacts | None = None  # a GitHub repository link checked through the API
    # Why a page that answered is `gone` (soft-404, parked) or a detail (fragment-missing).
    reason: str | None = None
    anchors: frozenset[str] | None = None  # id/name values, for URLs in `fragment_urls`

    @property
    def refused(self) -> bool:
        """The guard refused it: a policy decision, which says nothing about the URL."""
        return self.outcome is Outcome.INVALID and (self.error or "").startswith(REFUSED)


@dataclass(frozen=True, slots=True)
class CheckConfig:
    concurrency: int = 128
    per_host: int = 10
    timeout: float = 10.0  # seconds, connect and read, per attempt
    retries: int = 2
    max_body: int = 256 * 1024  # bytes read from an HTML body (for the title)
    max_redirects: int = 10
    max_retry_after: float = 60.0
    allow_private: bool = False
    user_agent: str = "curator-linkcheck/0.1 (+https://github.com/curator)"
    # The GitHub API token and endpoints (repo links checked through GraphQL); never
    # attached to page fetches.
    github: GitHubApi | None = None
    github_wait: float = 60.0  # seconds a low API rate limit may be waited out
    # Compare 2xx HTML pages with one probe per host of a path that cannot exist.
    soft404: bool = True
    # URLs whose page is read past </head> (up to max_body) for its id/name anchors.
    fragment_urls: frozenset[str] = frozenset()
    # host → {header name: value} (`check --header`, curator.toml [check.headers."host"]);
    # sent only to that exact host too.
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    backoff_base: float = 0.5  # seconds before the first retry; doubles, with jitter
    # Processes that share the hosts of a big run, the calling one included (0: one per
    # core, at most 4; 1: only the calling process). Small runs always stay in-process.
    workers: int = 0
    shard_min_urls: int = 1000  # fewer URLs than this are never sharded
