"""The checker's HTTP/1.1 layer (netio + transport) against a scripted server on 127.0.0.1.

Each test's server answers the n-th request head it reads with the n-th scripted reply,
byte for byte, and counts connections, so keep-alive reuse, framing (chunked, length,
until close, HEAD), interim answers and broken servers are seen exactly as on the wire.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import httpx
import pytest

from curator.check.http.guard import GuardedBackend
from curator.check.http.netio import MAX_HEAD, AsyncioBackend
from curator.check.http.transport import GuardedTransport, SharedSSL

Reply = bytes | Callable[[asyncio.StreamWriter], Awaitable[None]]


@dataclass
class Scripted:
    replies: list[Reply]
    close_after: set[int] = field(default_factory=set)  # close the socket after reply n
    connections: int = 0
    heads: list[bytes] = field(default_factory=list)
    port: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                n = len(self.heads)
                self.heads.append(head)
                reply = self.replies[n]
                if isinstance(reply, bytes):
                    writer.write(reply)
                    await writer.drain()
                else:
                    await reply(writer)
                if n in self.close_after:
                    break
        except (asyncio.IncompleteReadError, ConnectionError, IndexError):
            pass
        finally:
            writer.close()


@contextlib.asynccontextmanager
async def serving(script: Scripted) -> AsyncIterator[GuardedTransport]:
    """`script` served on 127.0.0.1 (`script.port` set) and a transport to send to it."""
    server = await asyncio.start_server(script.handle, "127.0.0.1", 0)
    script.port = server.sockets[0].getsockname()[1]
    transport = GuardedTransport(
        GuardedBackend(AsyncioBackend(), allow_private=True), SharedSSL(), 4
    )
    try:
        yield transport
    finally:
        await transport.aclose()
        server.close()
        await server.wait_closed()


async def fetch_all(
    script: Scripted, requests: list[tuple[str, str]], headers: dict[str, str] | None = None
) -> list[tuple[int, bytes]]:
    """Send `requests` (method, path) one after another; return (status, body) of each."""
    out = []
    async with serving(script) as transport:
        for method, path in requests:
            request = httpx.Request(
                method,
                f"http://127.0.0.1:{script.port}{path}",
                headers=headers,
                extensions={"timeout": {"connect": 5.0, "read": 5.0}},
            )
            response = await transport.handle_async_request(request)
            try:
                body = b"".join([chunk async for chunk in response.aiter_raw()])
            finally:
                await response.aclose()
            out.append((response.status_code, body))
    return out


def ok(body: bytes, extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n%s" % (len(body), extra, body)


def test_kept_alive_connection_serves_the_next_request() -> None:
    script = Scripted([ok(b"one"), ok(b"two"), ok(b"three")])
    got = asyncio.run(fetch_all(script, [("GET", "/1"), ("GET", "/2"), ("GET", "/3")]))
    assert got == [(200, b"one"), (200, b"two"), (200, b"three")]
    assert script.connections == 1
    assert script.heads[0].startswith(b"GET /1 HTTP/1.1\r\n")
    assert f"Host: 127.0.0.1:{script.port}".encode() in script.heads[0]


def test_connection_dropped_while_idle_is_replaced_without_an_error() -> None:
    script = Scripted([ok(b"one"), ok(b"two")], close_after={0})
    got = asyncio.run(fetch_all(script, [("GET", "/1"), ("GET", "/2")]))
    assert got == [(200, b"one"), (200, b"two")]
    assert script.connections == 2


def test_connection_close_header_is_obeyed() -> None:
    script = Scripted([ok(b"one", b"Connection: close\r\n"), ok(b"two")])
    got = asyncio.run(fetch_all(script, [("GET", "/1"), ("GET", "/2")]))
    assert got == [(200, b"one"), (200, b"two")]
    assert script.connections == 2


def test_chunked_body_is_reassembled_and_the_connection_kept() -> None:
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    )
    script = Scripted([chunked, ok(b"next")])
    got = asyncio.run(fetch_all(script, [("GET", "/1"), ("GET", "/2")]))
    assert got == [(200, b"hello world"), (200, b"next")]
    assert script.connections == 1


def test_body_delimited_by_the_end_of_the_connection() -> None:
    script = Scripted([b"HTTP/1.0 200 OK\r\n\r\nuntil the end"], close_after={0})
    assert asyncio.run(fetch_all(script, [("GET", "/")])) == [(200, b"until the end")]


def test_head_answer_with_a_length_has_no_body_and_keeps_the_connection() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n"
    script = Scripted([head, ok(b"after")])
    got = asyncio.run(fetch_all(script, [("HEAD", "/"), ("GET", "/2")]))
    assert got == [(200, b""), (200, b"after")]
    assert script.connections == 1
    assert script.heads[0].startswith(b"HEAD / HTTP/1.1")


def test_interim_100_continue_is_skipped() -> None:
    script = Scripted([b"HTTP/1.1 100 Continue\r\n\r\n" + ok(b"final")])
    assert asyncio.run(fetch_all(script, [("GET", "/")])) == [(200, b"final")]


def test_204_and_304_end_with_their_head() -> None:
    script = Scripted([b"HTTP/1.1 204 No Content\r\n\r\n", b"HTTP/1.1 304 Not Modified\r\n\r\n"])
    got = asyncio.run(fetch_all(script, [("GET", "/1"), ("GET", "/2")]))
    assert got == [(204, b""), (304, b"")]
    assert script.connections == 1


def test_garbage_instead_of_a_status_line_is_a_protocol_error() -> None:
    script = Scripted([b"SSH-2.0-OpenSSH_9.6\r\n\r\n"])
    with pytest.raises(httpx.RemoteProtocolError):
        asyncio.run(fetch_all(script, [("GET", "/")]))


def test_silent_close_on_a_fresh_connection_is_an_error_not_a_retry() -> None:
    script = Scripted([b""], close_after={0})
    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        asyncio.run(fetch_all(script, [("GET", "/")]))
    assert script.connections == 1


def test_body_cut_short_is_a_read_error() -> None:
    script = Scripted([b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b"], {0})
    with pytest.raises(httpx.ReadError):
        asyncio.run(fetch_all(script, [("GET", "/")]))


def test_head_larger_than_the_cap_is_refused() -> None:
    huge = b"HTTP/1.1 200 OK\r\nX-Filler: " + b"a" * (MAX_HEAD + 10) + b"\r\n\r\n"
    with pytest.raises(httpx.RemoteProtocolError, match="head over"):
        asyncio.run(fetch_all(Scripted([huge]), [("GET", "/")]))


def test_header_that_would_split_the_request_is_refused_before_sending() -> None:
    script = Scripted([ok(b"x")])
    with pytest.raises(httpx.LocalProtocolError):
        asyncio.run(fetch_all(script, [("GET", "/")], {"X-Token": "a\r\nEvil: 1"}))
    assert script.heads == []


def test_read_timeout_when_the_head_never_comes() -> None:
    async def stall(writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(30)

    async def scenario() -> None:
        script = Scripted([stall])
        async with serving(script) as transport:
            request = httpx.Request(
                "GET",
                f"http://127.0.0.1:{script.port}/",
                extensions={"timeout": {"read": 0.2}},
            )
            with pytest.raises(httpx.ReadTimeout):
                await transport.handle_async_request(request)

    asyncio.run(scenario())


def test_pooled_connection_found_closing_at_send_time_is_replaced() -> None:
    async def scenario() -> tuple[list[int], int]:
        script = Scripted([ok(b"one"), ok(b"two")])
        statuses = []
        async with serving(script) as transport:
            for i in range(2):
                if i == 1:  # closing, but connection_lost() has not run yet
                    for conns in transport._idle.values():
                        for conn in conns:
                            assert conn.transport is not None
                            conn.transport.close()
                request = httpx.Request("GET", f"http://127.0.0.1:{script.port}/{i}")
                response = await transport.handle_async_request(request)
                await response.aread()
                await response.aclose()
                statuses.append(response.status_code)
        return statuses, script.connections

    assert asyncio.run(scenario()) == ([200, 200], 2)
