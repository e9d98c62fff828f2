"""GitHub repository links checked through the GraphQL API instead of their pages.

Input: the run's URLs, a `CheckConfig` whose `github` holds the token and endpoints, and
an httpx client that goes through the SSRF guard (the run's `HostPool`). Output: a
`FetchResult` with `RepoFacts` for each repository link (github.com/OWNER/REPO and its
/issues, /releases, /wiki… pages, `www.` and `http://` spellings), and the deep links
(/blob/…, /tree/…) of repositories that exist, left for the page fetcher. Config:
`CheckConfig.github`, `github_wait` (seconds a low rate limit may be waited out) and
`timeout`; `sleep` and `clock` are injectable.

Choices: one query names up to 100 repositories as aliased `repository(owner:, name:)`
fields plus `rateLimit`, so 5,000 links cost about 50 requests instead of 5,000 page
fetches that github.com answers with 429. An alias answered null with a NOT_FOUND error
is `gone` (its deep links too, without a page fetch); a `nameWithOwner` other than the
link's (GitHub resolves renamed and transferred repositories) is `redirected` to the new
URL; archived and disabled repositories are `ok` with the fact kept. Requests are sent
one after another, as GitHub asks of API clients. When `rateLimit.remaining` cannot pay
for the next query, the run waits for `resetAt` if that is within `github_wait`, else the
links left are `blocked` ("not checked"), never `gone`. An API that never answers (a bad
token, an outage) hands every link back to the page fetcher. The token goes only where
http/ghauth.py allows; the API is never asked to follow a redirect.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx

from curator.check.types import CheckConfig, FetchResult, Outcome, RepoFacts

BATCH = 100  # GitHub's cap on the nodes one query may name at a level
GITHUB_HOSTS = frozenset({"github.com", "www.github.com"})
# First path segments of github.com that are not users or organisations.
_RESERVED = frozenset(
    "about apps blog collections contact customer-stories enterprise events explore features"
    " issues login logout marketplace new notifications orgs organizations pricing pulls"
    " readme search security settings site sponsors team topics trending users join"
    " codespaces dashboard copilot solutions resources".split()
)
# Repository pages whose existence follows from the repository's.
_REPO_PAGES = frozenset(
    {"", "issues", "pulls", "releases", "wiki", "tags", "discussions", "stargazers", "network"}
)
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
_FIELDS = (
    "nameWithOwner url isArchived isDisabled isFork stargazerCount pushedAt description"
    " licenseInfo { spdxId name } primaryLanguage { name }"
)

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RepoLink:
    owner: str
    name: str
    rest: str  # the path after OWNER/REPO, "" for the repository itself
    deep: bool  # /blob/…, /tree/… and other pages whose own path needs a fetch
    origin: str = ""  # scheme://host:port of a local fake of github.com, else ""

    @property
    def key(self) -> str:
        return f"{self.owner}/{self.name}".lower()


def repo_link(url: str, web_origins: frozenset[str] = frozenset()) -> RepoLink | None:
    """The repository a github.com URL points into, or None (not a repository link).
    `web_origins`: other "host:port" origins to read as github.com (a local fake)."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or parts.username or parts.password:
        return None
    if parts.netloc.lower() not in web_origins and (
        host not in GITHUB_HOSTS or port not in (None, 80, 443)
    ):
        return None
    segments = [s for s in parts.path.split("/")]
    segments = segments[1:] if segments and segments[0] == "" else segments
    if len(segments) < 2:
        return None
    owner, name = segments[0], segments[1]
    if name.endswith(".git"):
        name = name[:-4]
    if owner.lower() in _RESERVED or not _NAME.match(owner) or not _NAME.match(name):
        return None
    if name in (".", ".."):
        return None
    rest_segments = [s for s in segments[2:]]
    while rest_segments and rest_segments[-1] == "":
        rest_segments.pop()
    rest = "/".join(rest_segments)
    deep = not (len(rest_segments) <= 1 and rest in _REPO_PAGES)
    origin = f"{parts.scheme}://{parts.netloc}" if parts.netloc.lower() in web_origins else ""
    return RepoLink(owner, name, rest, deep, origin)


def build_query(links: Sequence[RepoLink]) -> str:
    """One GraphQL query naming each repository once under an alias r0, r1, …"""
    fields = [
        f"r{i}: repository(owner: {json.dumps(r.owner)}, name: {json.dumps(r.name)})"
        f" {{ {_FIELDS} }}"
        for i, r in enumerate(links)
    ]
    return "query { rateLimit { remaining resetAt cost } " + " ".join(fields) + " }"


def facts_of(node: dict[str, object]) -> RepoFacts:
    license_info = node.get("licenseInfo")
    language = node.get("primaryLanguage")
    return RepoFacts(
        name_with_owner=str(node.get("nameWithOwner") or ""),
        url=str(node.get("url") or ""),
        archived=bool(node.get("isArchived")),
        disabled=bool(node.get("isDisabled")),
        fork=bool(node.get("isFork")),
        stars=int(node.get("stargazerCount") or 0),  # type: ignore[call-overload]
        pushed_at=_time(node.get("pushedAt")),
        description=(str(node.get("description") or "").strip() or None),
        license=(
            str(license_info.get("spdxId") or license_info.get("name") or "") or None
            if isinstance(license_info, dict)
            else None
        ),
        language=str(language.get("name") or "") or None if isinstance(language, dict) else None,
    )


def _time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class RateLimit:
    remaining: int
    reset_at: datetime | None
    cost: int


@dataclass(frozen=True, slots=True)
class BatchAnswer:
    """What one query said: facts per alias, aliases not found, aliases that failed
    otherwise (with the message), and the rate limit."""

    found: dict[int, RepoFacts]
    missing: frozenset[int]
    failed: dict[int, str]
    rate: RateLimit | None


def read_answer(payload: object, n: int) -> BatchAnswer:
    """Parse a GraphQL answer for aliases r0..r{n-1} (partial answers included)."""
    if not isinstance(payload, dict):
        raise ValueError("GraphQL answer is not a JSON object")
    data = payload.get("data") or {}
    if not isinstance(data, dict):
        raise ValueError("GraphQL answer has no data")
    errors = payload.get("errors") or []
    by_alias: dict[int, tuple[str, str]] = {}
    for error in errors if isinstance(errors, list) else []:
        if not isinstance(error, dict):
            continue
        path = error.get("path") or []
        alias = path[0] if isinstance(path, list) and path else None
        if isinstance(alias, str) and alias[:1] == "r" and alias[1:].isdigit():
            by_alias[int(alias[1:])] = (str(error.get("type") or ""), str(error.get("message")))
    if not data and errors and not by_alias:
        raise ValueError(f"GraphQL error: {errors[0]}")
    found: dict[int, RepoFacts] = {}
    missing: set[int] = set()
    failed: dict[int, str] = {}
    for i in range(n):
        node = data.get(f"r{i}")
        if isinstance(node, dict) and node.get("nameWithOwner"):
            found[i] = facts_of(node)
            continue
        kind, message = by_alias.get(i, ("", "no answer for this repository"))
        if kind == "NOT_FOUND":
            missing.add(i)
        else:
            failed[i] = f"GitHub API: {kind or 'error'}: {message}"
    rate = data.get("rateLimit")
    limit = None
    if isinstance(rate, dict):
        limit = RateLimit(
            int(rate.get("remaining") or 0),
            _time(rate.get("resetAt")),
            int(rate.get("cost") or 1),
        )
    return BatchAnswer(found, frozenset(missing), failed, limit)


def outcome_for(link: RepoLink, url: str, facts: RepoFacts | None) -> FetchResult:
    """The result of a repository link (not a deep one) from what the API said."""
    if facts is None:
        return FetchResult(url, Outcome.GONE, status=404, error="GitHub: repository not found")
    if facts.name_with_owner.lower() != link.key:
        target = f"https://github.com/{facts.name_with_owner}"
        if link.origin:  # a local fake of github.com: stay on it
            target = f"{link.origin}/{facts.name_with_owner}"
        if link.rest:
            target += "/" + link.rest
        return FetchResult(
            url,
            Outcome.REDIRECTED,
            status=301,
            final_url=target,
            title=facts.name_with_owner,
            description=facts.description,
            repo=facts,
        )
    return FetchResult(
        url,
        Outcome.OK,
        status=200,
        title=facts.name_with_owner,
        description=facts.description,
        repo=facts,
    )


class RateLimited(Exception):
    """The API will not answer before its reset, later than the run may wait."""


@dataclass
class GraphQLChecker:
    """Sends the batches for one run; see the module docstring."""

    config: CheckConfig
    client: httpx.AsyncClient
    sleep: Sleep = asyncio.sleep
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    requests: int = 0
    _rate: RateLimit | None = None

    async def check(
        self, urls: Sequence[str], on_result: Callable[[FetchResult], None]
    ) -> list[str]:
        """Report each repository link's result; return the URLs the page fetcher checks
        (deep links of repositories that exist, everything else, and all of them when the
        API cannot be used)."""
        api = self.config.github
        links: dict[str, RepoLink] = {}
        rest: list[str] = []
        for url in urls:
            link = repo_link(url, api.web_origins) if api is not None else None
            if link is None:
                rest.append(url)
            else:
                links[url] = link
        if api is None or not links or not api.may_send(api.graphql_url):
            return rest + list(links)
        by_repo: dict[str, list[tuple[str, RepoLink]]] = {}
        for url, link in links.items():
            by_repo.setdefault(link.key, []).append((url, link))
        repos = [group[0][1] for group in by_repo.values()]
        answered = False
        stopped: str | None = None
        for start in range(0, len(repos), BATCH):
            batch = repos[start : start + BATCH]
            answer: BatchAnswer | None = None
            if stopped is None:
                try:
                    await self._wait_for_budget(len(batch))
                    answer = await self._ask(batch)
                    answered = True
                except RateLimited as exc:
                    stopped = str(exc)
                except (httpx.HTTPError, ValueError, OSError) as exc:
                    if not answered:
                        # Never answered (a bad token, an unreachable API): the pages
                        # can still tell, as they would without a token.
                        return rest + list(links)
                    stopped = f"GitHub API unusable: {type(exc).__name__}: {exc}"
            # Each batch is reported as soon as it is answered: progress, and an
            # interrupted run keeps what it learnt.
            for i, repo in enumerate(batch):
                for url, link in by_repo[repo.key]:
                    result = self._result(url, link, i, answer, stopped)
                    if result is None:
                        rest.append(url)  # a deep link of a live repository: its page
                    else:
                        on_result(result)
        return rest

    @staticmethod
    def _result(
        url: str, link: RepoLink, i: int, answer: BatchAnswer | None, stopped: str | None
    ) -> FetchResult | None:
        if answer is None or (i not in answer.found and i not in answer.missing):
            why = stopped if answer is None else answer.failed.get(i, "GitHub API: no answer")
            return FetchResult(url, Outcome.BLOCKED, error=f"not checked: {why}")
        facts = answer.found.get(i)
        if link.deep:
            if facts is None:
                return FetchResult(
                    url, Outcome.GONE, status=404, error="GitHub: repository not found"
                )
            return None
        return outcome_for(link, url, facts)

    async def _wait_for_budget(self, size: int) -> None:
        rate = self._rate
        if rate is None or rate.remaining >= max(1, rate.cost):
            return
        wait = 0.0
        if rate.reset_at is not None:
            wait = max(0.0, (rate.reset_at - self.now()).total_seconds())
        if rate.reset_at is None or wait > self.config.github_wait:
            when = rate.reset_at.isoformat() if rate.reset_at else "unknown"
            raise RateLimited(
                f"GitHub API rate limit: {rate.remaining} points left, reset at {when},"
                f" more than --github-wait {self.config.github_wait:g} s away"
            )
        await self.sleep(wait + 1.0)
        self._rate = None

    async def _ask(self, batch: Sequence[RepoLink]) -> BatchAnswer:
        api = self.config.github
        assert api is not None
        url = api.graphql_url
        body = json.dumps({"query": build_query(batch)}).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        headers.update(api.auth_headers(url))
        for attempt in range(self.config.retries + 1):
            self.requests += 1
            response = await self.client.post(url, content=body, headers=headers)
            status = response.status_code
            if status in (403, 429):  # a primary or secondary rate limit
                reset = response.headers.get("x-ratelimit-reset")
                retry_after = response.headers.get("retry-after")
                wait = float(retry_after) if retry_after and retry_after.isdigit() else None
                if wait is None and reset and reset.isdigit():
                    wait = max(0.0, int(reset) - self.now().timestamp())
                if wait is None or wait > self.config.github_wait or attempt == self.config.retries:
                    raise RateLimited(f"GitHub API answered {status}: rate limited")
                await self.sleep(wait)
                continue
            if status >= 500 and attempt < self.config.retries:
                await self.sleep(self.config.backoff_base * 2**attempt)
                continue
            if status != 200:
                raise ValueError(f"GraphQL endpoint answered HTTP {status}")
            answer = read_answer(response.json(), len(batch))
            self._rate = answer.rate
            return answer
        raise ValueError("GraphQL endpoint kept failing")
