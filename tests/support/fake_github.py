"""An in-memory fake of the few GitHub issue endpoints `curator ci sync-issue` uses.

`FakeGitHub.handle()` answers like the REST API (labels filter, pull requests mixed into
the issue list, `Link: rel="next"` pagination, 404 for unknown routes). It is served
two ways: through respx (`mount_respx`) for unit tests, and as a real HTTP server on
127.0.0.1 (`serve`) for end-to-end runs of the CLI.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import respx

from tests.support.serving import serving

REPO = "octo/awesome"


@dataclass
class FakeGitHub:
    base: str = "https://api.github.test"
    per_page_cap: int = 100
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: dict[int, list[str]] = field(default_factory=dict)
    writes: list[tuple[str, str]] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    token: str = "t0ken"
    forbid_writes: bool = False  # answer writes like a read-only GITHUB_TOKEN does

    def add(
        self, title: str, body: str = "", labels: tuple[str, ...] = (), pr: bool = False
    ) -> int:
        number = max(self.issues, default=0) + 1
        self.issues[number] = {
            "number": number,
            "title": title,
            "body": body,
            "state": "open",
            "labels": [{"name": n} for n in labels],
            "html_url": f"https://github.test/{REPO}/issues/{number}",
            **({"pull_request": {"url": "x"}} if pr else {}),
        }
        return number

    def open_issues(self, label: str = "link-rot") -> list[dict[str, Any]]:
        return [
            i
            for i in self.issues.values()
            if i["state"] == "open"
            and "pull_request" not in i
            and any(lb["name"] == label for lb in i["labels"])
        ]

    def handle(
        self, method: str, url: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        parts = urlsplit(url)
        path, query = parts.path, dict(parse_qsl(parts.query))
        self.requests.append((method, path))
        if headers.get("authorization") != f"Bearer {self.token}":
            return 401, {}, {"message": "Bad credentials"}
        data = json.loads(body) if body else {}
        issues_path = f"/repos/{REPO}/issues"
        if method in ("POST", "PATCH") and self.forbid_writes:
            return (
                403,
                {"x-ratelimit-remaining": "4999"},
                {"message": "Resource not accessible by integration"},
            )
        if path == issues_path and method == "GET":
            return self._list(query)
        if path == issues_path and method == "POST":
            self.writes.append((method, path))
            number = self.add(data["title"], data.get("body", ""), tuple(data.get("labels", ())))
            return 201, {}, self.issues[number]
        m = re.fullmatch(rf"{issues_path}/(\d+)(/comments)?", path)
        if m and int(m.group(1)) in self.issues:
            number = int(m.group(1))
            self.writes.append((method, path))
            if m.group(2) and method == "POST":
                self.comments.setdefault(number, []).append(data["body"])
                return 201, {}, {"id": len(self.comments[number]), "body": data["body"]}
            if method == "PATCH":
                self.issues[number].update(
                    {k: v for k, v in data.items() if k in ("body", "state", "title")}
                )
                return 200, {}, self.issues[number]
        return 404, {}, {"message": "Not Found"}

    def _list(self, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        label = query.get("labels", "")
        per_page = min(int(query.get("per_page", 30)), self.per_page_cap)
        page = int(query.get("page", 1))
        # The real endpoint lists pull requests too, and filters by label and state.
        found = [
            i
            for i in sorted(self.issues.values(), key=lambda i: i["number"])
            if i["state"] == query.get("state", "open")
            and (not label or any(lb["name"] == label for lb in i["labels"]))
        ]
        chunk = found[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(found):
            nxt = f"{self.base}/repos/{REPO}/issues?state=open&labels={label}&per_page={per_page}"
            headers["link"] = f'<{nxt}&page={page + 1}>; rel="next"'
        return 200, headers, chunk

    # --- transports -----------------------------------------------------------------------

    def respx_handler(self, request: httpx.Request) -> httpx.Response:
        status, headers, payload = self.handle(
            request.method,
            str(request.url),
            {k.lower(): v for k, v in request.headers.items()},
            request.content,
        )
        return httpx.Response(status, headers=headers, json=payload)

    @contextmanager
    def mount_respx(self) -> Iterator[respx.MockRouter]:
        with respx.mock(base_url=self.base, assert_all_called=False) as router:
            router.route().mock(side_effect=self.respx_handler)
            yield router

    @contextmanager
    def serve(self) -> Iterator[str]:
        """Serve the fake on 127.0.0.1; yields the base URL (for GITHUB_API_URL)."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                status, headers, payload = fake.handle(
                    self.command,
                    fake.base + self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                data = json.dumps(payload).encode()
                self.send_response(status)
                for k, v in {**headers, "content-type": "application/json"}.items():
                    self.send_header(k, v)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = _any

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        with serving(server) as self.base:
            yield self.base
