"""HTTP/1.1 connections on asyncio, with responses parsed by httptools.

Input: an IP and port to dial (the guard has already resolved and vetted the host), and for
https the shared SSL context and the hostname for SNI and certificate checks. Output:
`AsyncioBackend.connect_tcp()` -> an `HttpConnection` that sends one request at a time and
hands back the status, the raw headers and the body chunks. Config: none; the timeouts
come from the caller per call. Errors are httpx's (`ConnectError`, `ReadTimeout`,
`RemoteProtocolError`, ...), so `classify.py` reads them like any httpx error.

Why not httpcore: its pool and h11 (a pure-Python HTTP parser) cost 1.5 ms of CPU per
request on this machine, which made the checker CPU-bound well below the latency limit.
httptools wraps llhttp, the C parser of Node.js (uvicorn uses it for the same reason), and
parses on `data_received` with no coroutine per chunk.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque

import httptools
import httpx

_HIGH_WATER = 256 * 1024  # stop reading from the socket beyond this many unread bytes
_LOW_WATER = 64 * 1024
_NO_BODY_STATUSES = frozenset({204, 304})
MAX_HEAD = 64 * 1024  # status line and headers; more is an attack or a broken server (as h11)


class StaleConnection(httpx.RemoteProtocolError):
    """A kept-alive connection was closed by the server before it answered at all: the
    request never reached it, so it is safe to send again on a fresh connection."""


def _expire(waiter: asyncio.Future[None], error: type[Exception]) -> None:
    if not waiter.done():
        waiter.set_exception(error("timed out"))


class HttpConnection(asyncio.Protocol):
    """One HTTP/1.1 connection. `send()` a request, `receive_head()`, then `next_chunk()`
    until it returns b"". `reusable` says whether the next request may use it."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self._parser: httptools.HttpResponseParser | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._chunks: deque[bytes] = deque()
        self._buffered = 0
        self._paused = False
        self._no_body = False
        self._framed = False
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.head_done = False
        self.complete = False
        self.keep_alive = False
        self.closed = False
        self.received = False  # any byte of the current response
        self._head_bytes = 0
        self._header_bytes = 0
        self.error: httpx.TransportError | None = None
        self.idle_since = 0.0
        self.requests = 0

    # -- asyncio.Protocol --------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        parser = self._parser
        if parser is None:
            # Bytes nobody asked for (or after a body-less answer): the framing is lost.
            self.keep_alive = False
            self._close()
            return
        self.received = True
        try:
            parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(httpx.RemoteProtocolError("server switched protocols"))
            return
        except Exception as exc:  # HttpParserError and its kin: a malformed response
            self._fail(httpx.RemoteProtocolError(f"malformed HTTP response: {exc}"))
            return
        if not self.head_done and self.error is None:
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEAD:
                self._fail(httpx.RemoteProtocolError(f"response head over {MAX_HEAD} bytes"))

    def eof_received(self) -> bool | None:
        return None  # close the transport; connection_lost() settles the response

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.keep_alive = False
        if self._parser is not None and not self.complete and self.error is None:
            if not self.head_done:
                if not self.received and self.requests > 1:
                    self.error = StaleConnection("kept-alive connection closed by the server")
                elif exc is not None:
                    self.error = httpx.ReadError(str(exc) or type(exc).__name__)
                else:
                    self.error = httpx.RemoteProtocolError(
                        "server disconnected without sending a response"
                    )
            elif self._framed:
                self.error = httpx.ReadError(
                    str(exc) if exc else "connection closed before the end of the body"
                )
            else:
                self.complete = True  # a body delimited by the end of the connection
        self._wake()

    # -- httptools callbacks -------------------------------------------------------------

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))
        self._header_bytes += len(name) + len(value)
        if self._header_bytes > MAX_HEAD and self.error is None:
            # A head that arrived in one piece is only seen here.
            self._fail(httpx.RemoteProtocolError(f"response head over {MAX_HEAD} bytes"))

    def on_headers_complete(self) -> None:
        parser = self._parser
        if parser is None:
            self.keep_alive = False  # a second answer to one request
            return
        status = parser.get_status_code()
        if 100 <= status < 200 and status != 101:
            self.headers = []  # an interim answer; the real one follows
            return
        self.status = status
        self.head_done = True
        for name, value in self.headers:
            lowered = name.lower()
            if lowered == b"content-length" or (
                lowered == b"transfer-encoding" and b"chunked" in value.lower()
            ):
                self._framed = True
        if self._no_body or status in _NO_BODY_STATUSES:
            self.complete = True
            self.keep_alive = parser.should_keep_alive()
            self._parser = None  # the answer ends with its head, whatever it announced
        self._wake()

    def on_body(self, body: bytes) -> None:
        if self._parser is None:
            self.keep_alive = False  # a body after an answer that has none
            return
        self._chunks.append(body)
        self._buffered += len(body)
        if self._buffered > _HIGH_WATER and not self._paused and self.transport is not None:
            self._paused = True
            self.transport.pause_reading()
        self._wake()

    def on_message_complete(self) -> None:
        parser = self._parser
        if parser is None or not self.head_done:
            return  # the end of an interim (1xx) answer, or of one nobody asked for
        self.complete = True
        self.keep_alive = parser.should_keep_alive()
        self._parser = None
        self._wake()

    # -- the caller's side ---------------------------------------------------------------

    @property
    def reusable(self) -> bool:
        return self.complete and self.keep_alive and not self.closed and not self._chunks

    def send(self, request: bytes, no_body: bool) -> None:
        """Write one request (head and body, already serialized) and expect its answer."""
        if self.closed or self.transport is None or self.transport.is_closing():
            raise StaleConnection("connection closed")
        self.requests += 1
        self._parser = httptools.HttpResponseParser(self)
        self._no_body = no_body
        self._framed = False
        self.status, self.headers = 0, []
        self.head_done = self.complete = self.received = self.keep_alive = False
        self._head_bytes = 0
        self._header_bytes = 0
        self.transport.write(request)

    async def receive_head(self, timeout: float | None) -> None:
        while not self.head_done:
            if self.error is not None:
                raise self.error
            await self._wait(timeout)

    async def next_chunk(self, timeout: float | None) -> bytes:
        """The next piece of the body, or b"" at its end."""
        while True:
            if self._chunks:
                chunk = self._chunks.popleft()
                self._buffered -= len(chunk)
                if self._paused and self._buffered < _LOW_WATER and self.transport is not None:
                    self._paused = False
                    self.transport.resume_reading()
                return chunk
            if self.complete:
                return b""
            if self.error is not None:
                raise self.error
            await self._wait(timeout)

    def close(self) -> None:
        self.keep_alive = False
        self._close()

    def _close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def _fail(self, error: httpx.TransportError) -> None:
        self.error = error
        self.keep_alive = False
        self._parser = None
        if self.transport is not None:
            self.transport.abort()
        self._wake()

    async def _wait(self, timeout: float | None) -> None:
        loop = asyncio.get_running_loop()
        waiter = self._waiter = loop.create_future()
        timer = (
            loop.call_later(timeout, _expire, waiter, httpx.ReadTimeout)
            if timeout is not None
            else None
        )
        try:
            await waiter
        finally:
            self._waiter = None
            if timer is not None:
                timer.cancel()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


class AsyncioBackend:
    """Dials an address (already vetted) and returns an `HttpConnection` on it."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        ssl_context: ssl.SSLContext | None = None,
        server_hostname: str | None = None,
    ) -> HttpConnection:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                _, connection = await loop.create_connection(
                    HttpConnection,
                    host,
                    port,
                    ssl=ssl_context,
                    server_hostname=server_hostname if ssl_context is not None else None,
                    ssl_handshake_timeout=(timeout or None) if ssl_context is not None else None,
                )
        except TimeoutError as exc:
            raise httpx.ConnectTimeout(f"connect to {host}:{port} timed out") from exc
        except OSError as exc:  # ssl.SSLError (a failed handshake or certificate) included
            raise httpx.ConnectError(_describe_os_error(exc)) from exc
        return connection


def _describe_os_error(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
