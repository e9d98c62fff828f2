"""A local HTTP server on 127.0.0.1 whose answers come from a function of the path:
`route(path) -> (status, headers, body)` (HTML unless the headers give a content-type).
Yields its base URL and the paths asked, in order; with `requests=[]`, each request's
path and headers are also appended there. GET and HEAD; stopped when the block ends."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.support.serving import serving

Route = Callable[[str], tuple[int, dict[str, str], str]]


@contextmanager
def serve(
    route: Route, requests: list[tuple[str, Message]] | None = None
) -> Iterator[tuple[str, list[str]]]:
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            if requests is not None:
                requests.append((self.path, self.headers))
            status, headers, body = route(self.path)
            data = body.encode()
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            if not any(k.lower() == "content-type" for k in headers):
                self.send_header("content-type", "text/html; charset=utf-8")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_HEAD = do_GET

        def log_message(self, *args: object) -> None:
            pass

    with serving(ThreadingHTTPServer(("127.0.0.1", 0), Handler)) as base:
        yield base, hits
