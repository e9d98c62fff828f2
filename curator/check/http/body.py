"""Read the head of an HTML body within a byte cap, decompressing as it goes.

Input: an open streaming `httpx.Response`, the cap (`CheckConfig.max_body`). Output: at most
`cap` decoded bytes, stopping early at `</head>` (or at `<body`). Config: none.

Decompression is done here, on raw chunks, with `max_length`, so decompressed bytes count
toward the cap: a gzip bomb yields `cap` bytes and is dropped, never inflated in memory.
Unknown content encodings yield no bytes (no title) rather than garbage.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping

import httpx

_HEAD_END = (b"</head", b"<body")


class CappedDecoder:
    """Incremental gzip/deflate/identity decoder that never outputs more than `cap` bytes."""

    def __init__(self, encoding: str, cap: int) -> None:
        self.remaining = cap
        encoding = encoding.strip().lower()
        self.supported = encoding in ("", "identity", "gzip", "x-gzip", "deflate")
        self._deflate = encoding == "deflate"
        self._z: zlib._Decompress | None = None
        if encoding in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self._deflate:
            self._z = zlib.decompressobj()

    def feed(self, raw: bytes) -> bytes:
        if self.remaining <= 0 or not raw:
            return b""
        if self._z is None:
            out = raw[: self.remaining]
        else:
            try:
                out = self._z.decompress(raw, self.remaining)
            except zlib.error:
                if not self._deflate:
                    raise
                # Some servers send raw deflate without the zlib header.
                self._deflate = False
                self._z = zlib.decompressobj(-zlib.MAX_WBITS)
                out = self._z.decompress(raw, self.remaining)
        self.remaining -= len(out)
        return out


def _head_end(buf: bytearray, scan_from: int) -> int:
    """Index of the first `</head` or `<body` at or after `scan_from` (-1: not yet)."""
    start = max(0, scan_from - 8)  # a marker may straddle two chunks
    window = bytes(buf[start:]).lower()
    hits = [i for i in (window.find(m) for m in _HEAD_END) if i >= 0]
    return start + min(hits) if hits else -1


async def read_head(
    response: httpx.Response,
    headers: Mapping[str, str],
    cap: int,
    buf: bytearray,
    drain_limit: int = 0,
    whole: bool = False,
) -> None:
    """Fill `buf` with the page up to `</head>` or `cap`, whichever comes first (with
    `whole`, up to `cap`: fragment checks need the body's ids).

    `buf` belongs to the caller so that what arrived before a stall or a broken connection
    is kept. When the whole body is known to be at most `drain_limit` bytes, the rest is
    read and dropped, so the connection can be reused. `headers` are the response's, with
    lower-case names (at least content-encoding and content-length when present).
    """
    decoder = CappedDecoder(headers.get("content-encoding", ""), cap)
    if not decoder.supported:
        await drain(response, headers, drain_limit)
        return
    end = -1
    drain_rest = _small(headers, drain_limit)
    async for raw in response.aiter_raw():
        if end >= 0:
            continue
        scan_from = len(buf)
        try:
            buf += decoder.feed(raw)
        except zlib.error:
            end = len(buf)  # corrupt compressed data: keep what decoded cleanly
        if end < 0 and not whole:
            end = _head_end(buf, scan_from)
        if end < 0 and decoder.remaining <= 0:
            end = len(buf)
        if end >= 0:
            del buf[end:]
            if not drain_rest:
                break


def head_length(buf: bytes | bytearray) -> int:
    """Bytes of `buf` before `</head>` or `<body>` (all of it when neither is there)."""
    end = _head_end(bytearray(buf), 0)
    return len(buf) if end < 0 else end


def _small(headers: Mapping[str, str], limit: int) -> bool:
    length = headers.get("content-length", "")
    return length.isdigit() and int(length) <= limit


async def drain(response: httpx.Response, headers: Mapping[str, str], limit: int) -> None:
    """Read a small body to its end so the connection can be reused; larger ones are left
    unread (closing the response then closes the connection)."""
    if _small(headers, limit):
        async for _ in response.aiter_raw():
            pass
