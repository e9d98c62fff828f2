"""GitHub REST client for the one self-updating link-rot tracking issue.

Input: a repository `OWNER/NAME`, a token (the caller reads `$GITHUB_TOKEN`), the API base
(`$GITHUB_API_URL`, as GitHub Actions sets it, else https://api.github.com) and an
`IssueReport`. Output: a `SyncResult` saying what happened to the issue: created, updated,
closed with a comment, or left alone. Config: `sleep`/`clock` are injectable and waits for
rate limits are capped (`max_wait`), so tests never sleep.

Idempotent: the open issue is found by label (following `Link: rel="next"` pages), and its
body's hidden digest marker is compared with the new report's; the same report twice
makes no write. Rate limits (403/429 with `retry-after`, or `x-ratelimit-remaining: 0` with
`x-ratelimit-reset`) are waited out and retried; a 403 that is not a rate limit is a
missing permission and raises `GitHubError` (exit 2) saying which permission is needed.
The token is only ever sent to the API base (http/ghauth.py: https, or http on loopback):
redirects are not followed and pagination links to another origin are refused.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

import httpx

from curator.check.http.ghauth import base_allowed
from curator.errors import GitHubError
from curator.report.render import REPORT_MARK, IssueReport, split_marker

DEFAULT_API = "https://api.github.com"
DEFAULT_LABEL = "link-rot"
DEFAULT_TITLE = "Link rot report"
MAX_PAGES = 50  # 5,000 open issues with the label is far beyond any sane repository
SECONDARY_LIMIT_WAIT = 60.0  # GitHub's advice when a secondary limit gives no retry-after
_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_PERMISSION_HINT = (
    "the token lacks a permission: give the workflow `permissions: issues: write` "
    "(and `contents: read`), or use a token that may write issues in this repository"
)


class SyncAction(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    CLOSED = "closed"
    UNCHANGED = "unchanged"  # the open issue already shows this report
    NOTHING = "nothing"  # nothing broken and no open issue
    KEPT_OPEN = "kept-open"  # nothing broken, but no earlier run to confirm the fixes against


@dataclass(frozen=True, slots=True)
class Issue:
    number: int
    title: str
    body: str
    html_url: str

    @classmethod
    def of(cls, data: dict[str, Any]) -> Issue:
        return cls(
            int(data["number"]),
            data.get("title") or "",
            data.get("body") or "",
            data.get("html_url") or "",
        )


@dataclass(frozen=True, slots=True)
class SyncResult:
    action: SyncAction
    issue: int | None
    url: str | None
    message: str


class GitHub:
    """A small synchronous client for the few issue endpoints curator needs."""

    def __init__(
        self,
        repo: str,
        token: str,
        *,
        base_url: str = DEFAULT_API,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        max_wait: float = 300.0,
        retries: int = 3,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not _REPO.match(repo):
            raise GitHubError(f"--repo {repo!r}: expected OWNER/NAME, e.g. octo-org/awesome-list")
        if not token:
            raise GitHubError(
                "GITHUB_TOKEN is not set: add `env: GITHUB_TOKEN: ${{ github.token }}` to the step"
            )
        if not base_allowed(base_url):
            raise GitHubError(
                f"GitHub API base {base_url!r}: the token goes only over https "
                "(or plain http to a loopback test server)"
            )
        self.repo = repo
        self._base = base_url.rstrip("/")
        self._sleep, self._clock = sleep, clock
        self._max_wait, self._retries = max_wait, retries
        self._client = httpx.Client(
            base_url=self._base,
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": "curator-link-rot",
            },
            timeout=timeout,
            follow_redirects=False,
            transport=transport,
        )

    def __enter__(self) -> GitHub:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._client.close()

    # --- transport ------------------------------------------------------------------------

    def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        what = f"{method} {urlsplit(url).path or url}"
        for attempt in range(self._retries + 1):
            try:
                resp = self._client.request(method, url, **kwargs)
            except httpx.HTTPError as exc:
                if attempt < self._retries:
                    self._sleep(2.0**attempt)
                    continue
                raise GitHubError(f"cannot reach {self._base} ({what}): {exc}") from exc
            wait = self._rate_limit_wait(resp)
            if wait is not None:
                if wait > self._max_wait:
                    raise GitHubError(
                        f"GitHub rate limit on {what}: retry allowed in {wait:.0f} s, more than "
                        f"the {self._max_wait:.0f} s curator waits; run it again later"
                    )
                if attempt == self._retries:
                    raise GitHubError(
                        f"GitHub rate limit on {what}: still limited after {attempt + 1} tries"
                    )
                self._sleep(wait)
                continue
            if resp.status_code >= 500 and attempt < self._retries:
                self._sleep(2.0**attempt)
                continue
            if resp.is_error:
                raise self._error(what, resp)
            return resp
        raise AssertionError("unreachable")  # the loop always returns or raises

    def _rate_limit_wait(self, resp: httpx.Response) -> float | None:
        if resp.status_code not in (403, 429):
            return None
        headers = resp.headers
        retry_after = headers.get("retry-after")
        if retry_after is not None:
            try:
                return max(0.0, float(retry_after))
            except ValueError:
                return SECONDARY_LIMIT_WAIT
        if headers.get("x-ratelimit-remaining") == "0" and headers.get("x-ratelimit-reset"):
            try:
                return max(0.0, float(headers["x-ratelimit-reset"]) - self._clock()) + 1.0
            except ValueError:
                return SECONDARY_LIMIT_WAIT
        if resp.status_code == 429 or "rate limit" in _message(resp).lower():
            return SECONDARY_LIMIT_WAIT
        return None  # a plain 403: a permission problem, not worth waiting for

    def _error(self, what: str, resp: httpx.Response) -> GitHubError:
        code, msg = resp.status_code, _message(resp)
        if code == 401:
            return GitHubError(f"GitHub rejected the token ({what}: 401 {msg}); check GITHUB_TOKEN")
        if code == 403:
            return GitHubError(f"GitHub refused {what} (403 {msg}): {_PERMISSION_HINT}")
        if code == 404:
            return GitHubError(
                f"{self.repo}: repository not found, or the token cannot see it ({what}: 404)"
            )
        if code == 410:
            return GitHubError(f"{self.repo}: issues are disabled in this repository (410)")
        return GitHubError(f"GitHub API error on {what}: {code} {msg}")

    def _pages(self, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        url: str | None = path
        query: dict[str, Any] | None = params
        for _ in range(MAX_PAGES):
            if url is None:
                return
            resp = self._request("GET", url, params=query)
            data = resp.json()
            if not isinstance(data, list):
                raise GitHubError(f"GitHub API: expected a list from GET {path}")
            yield from data
            url, query = resp.links.get("next", {}).get("url"), None
            if url is not None and not _same_origin(url, self._base):
                raise GitHubError(f"GitHub API: refusing a next-page link to another host: {url}")

    # --- issues ---------------------------------------------------------------------------

    def find_open_issue(self, label: str, title: str = DEFAULT_TITLE) -> Issue | None:
        """The oldest open issue with `label` that curator wrote (else one titled `title`)."""
        params = {
            "state": "open",
            "labels": label,
            "per_page": 100,
            "sort": "created",
            "direction": "asc",
        }
        issues = [
            Issue.of(item)
            for item in self._pages(f"/repos/{self.repo}/issues", params)
            if "pull_request" not in item  # this endpoint lists pull requests too
        ]
        ours = [i for i in issues if REPORT_MARK in i.body] or [
            i for i in issues if i.title == title
        ]
        return ours[0] if ours else None

    def create_issue(self, title: str, body: str, labels: list[str]) -> Issue:
        resp = self._request(
            "POST",
            f"/repos/{self.repo}/issues",
            json={"title": title, "body": body, "labels": labels},
        )
        return Issue.of(resp.json())

    def update_issue(self, number: int, **fields: Any) -> Issue:
        resp = self._request("PATCH", f"/repos/{self.repo}/issues/{number}", json=fields)
        return Issue.of(resp.json())

    def comment(self, number: int, body: str) -> None:
        self._request("POST", f"/repos/{self.repo}/issues/{number}/comments", json={"body": body})


def _message(resp: httpx.Response) -> str:
    try:
        data = resp.json()
    except ValueError:
        return resp.reason_phrase
    if isinstance(data, dict) and data.get("message"):
        return str(data["message"])
    return resp.reason_phrase


def _same_origin(url: str, base: str) -> bool:
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)


def sync_issue(
    gh: GitHub, report: IssueReport, *, label: str = DEFAULT_LABEL, title: str = DEFAULT_TITLE
) -> SyncResult:
    """Create, update or close the tracking issue so that it shows `report`."""
    issue = gh.find_open_issue(label, title)
    if report.broken:
        if issue is None:
            made = gh.create_issue(title, report.body, [label])
            return SyncResult(
                SyncAction.CREATED, made.number, made.html_url, f"opened issue #{made.number}"
            )
        _, digest, _, _ = split_marker(issue.body)
        if digest == report.digest:
            return SyncResult(
                SyncAction.UNCHANGED,
                issue.number,
                issue.html_url,
                f"issue #{issue.number} is up to date",
            )
        gh.update_issue(issue.number, body=report.body)
        return SyncResult(
            SyncAction.UPDATED, issue.number, issue.html_url, f"updated issue #{issue.number}"
        )
    if issue is None:
        return SyncResult(
            SyncAction.NOTHING, None, None, "no confirmed broken links and no open issue"
        )
    if not report.has_history:
        # A first run (or a lost cache) cannot tell fixed from not-yet-confirmed.
        return SyncResult(
            SyncAction.KEPT_OPEN,
            issue.number,
            issue.html_url,
            f"issue #{issue.number} kept open: no earlier run to confirm the fixes against",
        )
    gh.comment(issue.number, report.close_comment)
    gh.update_issue(issue.number, state="closed", state_reason="completed")
    return SyncResult(
        SyncAction.CLOSED, issue.number, issue.html_url, f"closed issue #{issue.number}"
    )
