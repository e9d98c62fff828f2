"""SSRF guard: which URLs and which resolved addresses the checker may talk to.

Input: a URL (before each request, every redirect hop included) and, at connect time, the
hostname the transport is about to dial. Output: `refusal(url) -> str | None` (a reason, or
None when the URL may be fetched) and `GuardedBackend`, which resolves the hostname itself,
refuses private/loopback/link-local/multicast/reserved/unspecified/shared addresses (and
IPv4 hidden in IPv6), and dials the vetted IP (through `netio.AsyncioBackend`) so a second,
rebinding DNS answer is never used. TLS SNI, the certificate check and the Host header still
carry the hostname. Config: `allow_private` turns the address checks off; a
`Resolver` (async hostname -> list of IP strings) can be injected, default `system_resolver`.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import re
import socket
import ssl
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import httpx

from curator.check.http.netio import AsyncioBackend, HttpConnection

Resolver = Callable[[str], Awaitable[list[str]]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOWED_SCHEMES = frozenset({"http", "https"})
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT (RFC 6598)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Only digits, hex digits, x and dots: what inet_aton would read as an IPv4 address.
_NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}\.?$", re.I)
_NXDOMAIN_CODES = frozenset(
    code
    for code in (getattr(socket, "EAI_NONAME", None), getattr(socket, "EAI_NODATA", None))
    if code is not None
)


# The refusals `--allow-private` lifts (an address, a name resolving to one, a numeric
# spelling of one), as `address_refusal` and `host_refusal` word them.
_PRIVATE = re.compile(
    r"^(address \S+ is |non-canonical IPv4 spelling |\S+ resolves to \S+, which is )"
)


def is_private_refusal(reason: str) -> bool:
    """Whether a refusal (without the `refused: ` prefix) is about a local address."""
    return bool(_PRIVATE.match(reason))


class GuardRefused(Exception):
    """The guard refused to connect; the message is the reason (outcome `invalid`)."""


class NameNotResolved(Exception):
    """The hostname does not exist (NXDOMAIN): outcome `gone`."""


class ResolveFailed(Exception):
    """DNS failed for another reason (SERVFAIL, no network): outcome `transient`."""


def address_refusal(ip: IPAddress) -> str | None:
    """Why connecting to `ip` is refused, or None when it is a public unicast address."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            reason = address_refusal(embedded)
            return f"{reason} (embeds IPv4 {embedded})" if reason else None
    for name, hit in (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("shared address space", isinstance(ip, ipaddress.IPv4Address) and ip in _SHARED),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
    ):
        if hit:
            return name
    return None if ip.is_global else "not globally routable"


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    # Mapped (::ffff:a.b.c.d), NAT64 and 6to4 addresses reach the IPv4 address they embed.
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    return None


def parse_ip(host: str) -> IPAddress | None:
    """`host` as an IP address (IPv6 with or without brackets, zone id dropped), else None."""
    host = host.strip("[]").split("%", 1)[0]
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def numeric_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The address an all-numeric host denotes with inet_aton rules (2130706433, 0x7f.1,
    0177.0.0.1, 127.1), which is how the system resolver would read it; else None."""
    if not _NUMERIC_HOST.match(host):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host.rstrip(".")))
    except OSError:
        return None


@functools.lru_cache(maxsize=4096)  # hosts repeat across a run; ipaddress is slow
def host_refusal(host: str, allow_private: bool) -> str | None:
    """Why `host` (as in the URL) is refused before any DNS or packet, or None."""
    if not host:
        return "URL has no host"
    ip = parse_ip(host)
    if ip is None and _NUMERIC_HOST.match(host):
        ip4 = numeric_ipv4(host)
        if ip4 is None:
            return f"malformed numeric host {host!r}"
        if not allow_private:
            return f"non-canonical IPv4 spelling {host!r} (= {ip4})"
        return None
    if ip is None or allow_private:
        return None
    reason = address_refusal(ip)
    return f"address {ip} is {reason}" if reason else None


def refusal(url: str, allow_private: bool) -> str | None:
    """Why `url` must not be fetched (scheme, malformed, literal private address), or None.

    Hostnames are judged again on their resolved addresses by `GuardedBackend`.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        return f"malformed URL: {exc}"
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        return f"scheme {scheme + ':' if scheme else '(none)'} is not http(s)"
    return host_refusal(host.lower(), allow_private)


@functools.cache
def _dns_pool() -> ThreadPoolExecutor:
    # getaddrinfo blocks a thread per lookup; the loop's default pool (uvloop: 4 threads)
    # would make a list with thousands of distinct hosts wait on DNS.
    return ThreadPoolExecutor(max_workers=32, thread_name_prefix="curator-dns")


async def system_resolver(host: str) -> list[str]:
    """Resolve with the system's getaddrinfo; NXDOMAIN -> NameNotResolved."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.run_in_executor(
            _dns_pool(), socket.getaddrinfo, host, None, 0, socket.SOCK_STREAM
        )
    except socket.gaierror as exc:
        if exc.errno in _NXDOMAIN_CODES:
            raise NameNotResolved(f"name does not resolve: {host}") from exc
        raise ResolveFailed(f"DNS lookup failed for {host}: {exc.strerror}") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class GuardedBackend:
    """Resolve, vet every address, then dial the vetted IP with the inner backend.

    Resolutions are cached for the backend's life (one run), so every connection to a host
    uses the same vetted answer.
    """

    def __init__(
        self,
        inner: AsyncioBackend,
        resolver: Resolver | None = None,
        allow_private: bool = False,
    ) -> None:
        self._inner = inner
        self._resolver = resolver or system_resolver
        self._allow_private = allow_private
        self._cache: dict[str, asyncio.Future[list[str]]] = {}

    async def resolve(self, host: str) -> list[str]:
        """The vetted addresses of `host`; raises GuardRefused / NameNotResolved / ..."""
        reason = host_refusal(host, self._allow_private)
        if reason:
            raise GuardRefused(reason)
        ip = parse_ip(host) or numeric_ipv4(host)
        if ip is not None:
            return [str(ip)]
        fut = self._cache.get(host)
        if fut is None:
            fut = self._cache[host] = asyncio.ensure_future(self._lookup(host))
        # shield: one waiter's cancellation must not cancel the lookup the others share
        return await asyncio.shield(fut)

    async def _lookup(self, host: str) -> list[str]:
        try:
            ips = await self._resolver(host)
        except NameNotResolved:
            raise
        except socket.gaierror as exc:
            if exc.errno in _NXDOMAIN_CODES:
                raise NameNotResolved(f"name does not resolve: {host}") from exc
            self._cache.pop(host, None)  # a failed lookup may succeed on the retry
            raise ResolveFailed(f"DNS lookup failed for {host}: {exc}") from exc
        except BaseException:
            self._cache.pop(host, None)
            raise
        if not ips:
            raise NameNotResolved(f"name does not resolve: {host}")
        if not self._allow_private:
            for raw in ips:
                ip = parse_ip(raw)
                reason = address_refusal(ip) if ip else "not an IP address"
                if reason:
                    raise GuardRefused(f"{host} resolves to {raw}, which is {reason}")
        return ips

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        ssl_context: ssl.SSLContext | None = None,
        server_hostname: str | None = None,
    ) -> HttpConnection:
        """A connection to the first vetted address of `host` that answers."""
        ips = await self.resolve(host)
        last: Exception | None = None
        for ip in ips:
            try:
                return await self._inner.connect_tcp(
                    ip, port, timeout, ssl_context=ssl_context, server_hostname=server_hostname
                )
            except (httpx.ConnectError, OSError) as exc:
                last = exc
        assert last is not None
        raise last
