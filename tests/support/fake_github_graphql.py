"""A fake github.com on 127.0.0.1: repository pages and a GraphQL endpoint.

Pages (`GET /OWNER/REPO[/...]`) answer 200 with the repository's title, 301 to the new
name for a renamed repository, 404 for one that does not exist, and 429 (`Retry-After:
60`) after `page_limit` requests a minute from one client, as github.com does to
anonymous clients. `POST /graphql` answers like GitHub's API: aliased
`repository(owner:, name:)` fields, null plus a `NOT_FOUND` error for a missing one, the
new `nameWithOwner` for a renamed one, `rateLimit { remaining resetAt cost }`, 401 without
the right bearer token, an error beyond 100 nodes, 403 once the points are spent. Every
request's path and headers are logged. Used by tests/check and benchmarks/github_bench.py.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.serving import serving

_ALIAS = re.compile(r'(\w+): repository\(owner: ("(?:[^"\\]|\\.)*"), name: ("(?:[^"\\]|\\.)*")\)')


@dataclass
class Repo:
    name_with_owner: str
    archived: bool = False
    disabled: bool = False
    fork: bool = False
    stars: int = 0
    pushed_at: str = "2026-11-01T00:00:00Z"
    description: str | None = None


@dataclass
class FakeGitHubSite:
    token: str = "t0ken"
    repos: dict[str, Repo] = field(default_factory=dict)  # lower "owner/name" → repo
    renamed: dict[str, str] = field(default_factory=dict)  # lower old → lower new key
    page_limit: int = 60  # page requests a minute from one client before 429
    points: int = 5000  # GraphQL points left
    reset_in: float = 3600.0  # seconds until the points come back
    log: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    _pages_by_client: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    base: str = ""

    def add(self, name: str, **kw: Any) -> Repo:
        repo = self.repos[name.lower()] = Repo(name, **kw)
        return repo

    def rename(self, old: str, new: str, **kw: Any) -> None:
        self.add(new, **kw)
        self.renamed[old.lower()] = new.lower()

    def resolve(self, owner: str, name: str) -> Repo | None:
        key = f"{owner}/{name}".lower()
        return self.repos.get(self.renamed.get(key, key))

    def forget_clients(self) -> None:
        """Start every client's page-rate window afresh (between benchmark runs)."""
        with self._lock:
            self._pages_by_client.clear()

    @property
    def api_requests(self) -> int:
        return sum(1 for method, _, _ in self.log if method == "POST")

    @property
    def page_requests(self) -> int:
        return sum(1 for method, _, _ in self.log if method != "POST")

    def graphql(self, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        if headers.get("authorization") != f"Bearer {self.token}":
            return 401, {}, {"message": "Bad credentials"}
        with self._lock:
            if self.points <= 0:
                reset = int(time.time() + self.reset_in)
                return (
                    403,
                    {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)},
                    {"errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded"}]},
                )
            self.points -= 1
            remaining = self.points
        query = json.loads(body)["query"]
        fields = _ALIAS.findall(query)
        if len(fields) > 100:
            return 200, {}, {"errors": [{"type": "MAX_NODE_LIMIT_EXCEEDED", "message": "too many"}]}
        data: dict[str, Any] = {}
        errors: list[dict[str, Any]] = []
        for alias, owner, name in fields:
            owner, name = json.loads(owner), json.loads(name)
            repo = self.resolve(owner, name)
            if repo is None:
                data[alias] = None
                errors.append(
                    {
                        "type": "NOT_FOUND",
                        "path": [alias],
                        "locations": [{"line": 1, "column": 1}],
                        "message": f"Could not resolve to a Repository with the name "
                        f"'{owner}/{name}'.",
                    }
                )
                continue
            data[alias] = {
                "nameWithOwner": repo.name_with_owner,
                "url": f"https://github.com/{repo.name_with_owner}",
                "isArchived": repo.archived,
                "isDisabled": repo.disabled,
                "isFork": repo.fork,
                "stargazerCount": repo.stars,
                "pushedAt": repo.pushed_at,
                "description": repo.description,
                "licenseInfo": {"spdxId": "MIT", "name": "MIT License"},
                "primaryLanguage": {"name": "Python"},
            }
        if "rateLimit" in query:
            reset = datetime.now(UTC) + timedelta(seconds=self.reset_in)
            data["rateLimit"] = {
                "remaining": remaining,
                "resetAt": reset.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "cost": 1,
            }
        payload: dict[str, Any] = {"data": data}
        if errors:
            payload["errors"] = errors
        return 200, {}, payload

    def page(self, path: str, client: str) -> tuple[int, dict[str, str], str]:
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self._pages_by_client[client] if now - t < 60]
            recent.append(now)
            self._pages_by_client[client] = recent
            if len(recent) > self.page_limit:
                return 429, {"retry-after": "60"}, "Too many requests"
        parts = [p for p in path.split("?")[0].split("/") if p]
        if len(parts) < 2:
            return 200, {}, "<html><head><title>GitHub</title></head></html>"
        owner, name = parts[0], parts[1]
        key = f"{owner}/{name}".lower()
        if key in self.renamed:
            new = self.repos[self.renamed[key]].name_with_owner
            rest = "/".join(parts[2:])
            return 301, {"location": f"{self.base}/{new}" + (f"/{rest}" if rest else "")}, ""
        repo = self.repos.get(key)
        if repo is None:
            return 404, {}, "<html><head><title>Page not found · GitHub</title></head></html>"
        title = f"GitHub - {repo.name_with_owner}: {repo.description or ''}"
        return 200, {}, f"<html><head><title>{title}</title></head><body></body></html>"


@contextmanager
def serve_fake_github(site: FakeGitHubSite | None = None) -> Iterator[FakeGitHubSite]:
    """Serve `site` on a free 127.0.0.1 port (`site.base`); stop it on exit."""
    site = site or FakeGitHubSite()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes: with Nagle on, each keep-alive answer
        # waited for the client's delayed ACK (40 ms), which no real server costs.
        disable_nagle_algorithm = True

        def _send(self, status: int, headers: dict[str, str], body: bytes, ctype: str) -> None:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("content-type", ctype)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _headers(self) -> dict[str, str]:
            return {k.lower(): v for k, v in self.headers.items()}

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            headers = self._headers()
            site.log.append(("POST", self.path, headers))
            if self.path != "/graphql":
                self._send(404, {}, b"{}", "application/json")
                return
            status, extra, payload = site.graphql(body, headers)
            self._send(status, extra, json.dumps(payload).encode(), "application/json")

        def do_GET(self) -> None:
            site.log.append((self.command, self.path, self._headers()))
            status, extra, text = site.page(self.path, self.client_address[0])
            self._send(status, extra, text.encode(), "text/html; charset=utf-8")

        do_HEAD = do_GET

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    with serving(server) as site.base:
        yield site
