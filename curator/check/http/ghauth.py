"""Where a GitHub token may go: the one policy every GitHub client of curator follows.

Input: the environment (`GITHUB_TOKEN`, else `GH_TOKEN`; `GITHUB_API_URL` and
`GITHUB_GRAPHQL_URL` as GitHub Actions sets them, default https://api.github.com and
https://api.github.com/graphql; `CURATOR_GITHUB_WEB`, origins a local fake of github.com
pages serves, for tests and benchmarks) and a URL about to be requested. Output: a `GitHubApi`
(or None without a token) and `may_send(url)`. Config: none.

Rules: the token goes only to the API base (same scheme, host and port, under its path),
only over https, except to an API base on a loopback address (local test servers), and
never to github.com pages. Clients that use it must not follow redirects with it; the
page fetcher never attaches it at all.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from curator.check.http.guard import parse_ip

DEFAULT_API_URL = "https://api.github.com"


def _origin_and_path(url: str) -> tuple[str, str, int | None, str] | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if port is None:
        port = {"https": 443, "http": 80}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port, parts.path.rstrip("/")


def is_loopback_host(host: str) -> bool:
    if host.lower().rstrip(".") == "localhost":
        return True
    ip = parse_ip(host)
    return ip is not None and ip.is_loopback


def base_allowed(base: str) -> bool:
    """An API base the token may be sent to at all: https, or http on a loopback address."""
    parts = _origin_and_path(base)
    if parts is None or not parts[1]:
        return False
    scheme, host = parts[0], parts[1]
    return scheme == "https" or (scheme == "http" and is_loopback_host(host))


def under_base(url: str, base: str) -> bool:
    """`url` is on `base`'s origin and under its path (no other host, port or scheme)."""
    u, b = _origin_and_path(url), _origin_and_path(base)
    if u is None or b is None or u[:3] != b[:3]:
        return False
    return u[3] == b[3] or u[3].startswith(b[3] + "/")


@dataclass(frozen=True, slots=True)
class GitHubApi:
    """A token and the API endpoints it belongs to."""

    token: str
    api_url: str = DEFAULT_API_URL
    graphql_url: str = DEFAULT_API_URL + "/graphql"
    # Origins ("host:port") served like github.com's pages: a local fake in tests and
    # benchmarks (`CURATOR_GITHUB_WEB`); they never get the token either.
    web_origins: frozenset[str] = frozenset()

    def may_send(self, url: str) -> bool:
        """May a request to `url` carry the token?"""
        if not self.token:
            return False
        return any(base_allowed(b) and under_base(url, b) for b in (self.api_url, self.graphql_url))

    def auth_headers(self, url: str) -> dict[str, str]:
        """The Authorization header for `url`, or none when the policy forbids it."""
        return {"Authorization": f"Bearer {self.token}"} if self.may_send(url) else {}


def api_from_env(env: Mapping[str, str] | None = None) -> GitHubApi | None:
    """The token and endpoints from the environment; None without a token."""
    env = os.environ if env is None else env
    token = (env.get("GITHUB_TOKEN") or env.get("GH_TOKEN") or "").strip()
    if not token:
        return None
    api = (env.get("GITHUB_API_URL") or DEFAULT_API_URL).strip().rstrip("/")
    graphql = (env.get("GITHUB_GRAPHQL_URL") or f"{api}/graphql").strip().rstrip("/")
    web = frozenset(
        urlsplit(o.strip()).netloc.lower()
        for o in (env.get("CURATOR_GITHUB_WEB") or "").split(",")
        if o.strip()
    )
    return GitHubApi(token, api, graphql, web)
