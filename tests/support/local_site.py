"""A local web server on 127.0.0.1 whose pages answer with the status a test sets."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.support.serving import serving


class Site:
    """Unknown paths answer 404; `requested` records every path asked for, `headers` the
    request headers last sent for each path (names lower-cased), `all_headers` those of every
    request in order; `location` adds a Location header (for 301s)."""

    def __init__(self) -> None:
        self.status: dict[str, int] = {}
        self.location: dict[str, str] = {}
        self.requested: list[str] = []
        self.headers: dict[str, dict[str, str]] = {}
        self.all_headers: list[dict[str, str]] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.requested.append(self.path)
                site.headers[self.path] = {k.lower(): v for k, v in self.headers.items()}
                site.all_headers.append(site.headers[self.path])
                code = site.status.get(self.path, 404)
                body = f"<html><head><title>Page {self.path}</title></head></html>".encode()
                self.send_response(code)
                if self.path in site.location:
                    self.send_header("location", site.location[self.path])
                self.send_header("content-type", "text/html; charset=utf-8")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_HEAD = do_GET

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path


@contextmanager
def serve_site() -> Iterator[Site]:
    """Start a `Site` on a free port; stop it (and its thread) on exit."""
    s = Site()
    with serving(s.server):
        yield s
