"""The SSRF guard: URL-level refusals, and connect-time refusals of resolved addresses,
proven against real local servers that count connections (they must see none)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable

import pytest
import trustme

from curator.check.engine import HostPool, run_checks
from curator.check.http import guard
from curator.check.http.fetch import Fetcher
from curator.check.http.guard import GuardedBackend, GuardRefused, NameNotResolved
from curator.check.http.netio import AsyncioBackend
from curator.check.types import CheckConfig, FetchResult, Outcome

REFUSED = [
    "http://127.0.0.1/",
    "http://127.8.9.10:8080/x",
    "http://10.1.2.3/",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/",
    "http://0.0.0.0/",
    "http://224.0.0.1/",
    "http://240.0.0.1/",
    "http://[::1]/",
    "http://[::]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:169.254.169.254]/",
    "http://[fc00::1]/",
    "http://[fd12:3456::1]/",
    "http://[fe80::1]/",
    "http://[ff02::1]/",
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 of 169.254.169.254
    "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
    "http://2130706433/",
    "http://0x7f.1/",
    "http://0x7f000001/",
    "http://0177.0.0.1/",
    "http://127.1/",
    "http://example.com@127.0.0.1/",
    "http://user:pw@[::1]:8080/",
    "file:///etc/passwd",
    "gopher://example.com/_x",
    "ftp://example.com/file",
    "javascript:alert(1)",
    "http:///nohost",
    "http://[::1",
    "http://example.com:99999/",
]
ALLOWED = [
    "https://example.com/",
    "http://93.184.216.34/",
    "https://[2606:4700:4700::1111]/",
    "http://127.0.0.1@example.com/",  # userinfo, real host is example.com
    "HTTPS://EXAMPLE.COM./x",
]


@pytest.mark.parametrize("url", REFUSED)
def test_refused(url: str) -> None:
    assert guard.refusal(url, allow_private=False)


@pytest.mark.parametrize("url", ALLOWED)
def test_allowed(url: str) -> None:
    assert guard.refusal(url, allow_private=False) is None


def test_allow_private_admits_private_addresses_but_never_other_schemes() -> None:
    assert guard.refusal("http://127.0.0.1:8080/", allow_private=True) is None
    assert guard.refusal("http://[::1]/", allow_private=True) is None
    assert guard.refusal("file:///etc/passwd", allow_private=True)


def test_reasons_name_the_real_address() -> None:
    assert "127.0.0.1" in (guard.refusal("http://0x7f.1/", False) or "")
    assert "link-local" in (guard.refusal("http://169.254.169.254/", False) or "")
    assert "127.0.0.1" in (guard.refusal("http://[::ffff:7f00:1]/", False) or "")


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class CountingServer:
    """A loopback HTTP(S) server that counts connections and answers a fixed response."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        response: bytes | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host = host
        self.ssl_context = ssl_context
        self.connections = 0
        self.requests: list[bytes] = []
        page = b"<html><head><title>Hi</title></head>x"
        self.response = response or (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(page), page)
        )
        self.port = 0
        self._server: asyncio.Server | None = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            self.requests.append(await reader.readuntil(b"\r\n\r\n"))
            writer.write(self.response)
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def __aenter__(self) -> CountingServer:
        self._server = await asyncio.start_server(self._handle, self.host, 0, ssl=self.ssl_context)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()


def stub_resolver(table: dict[str, list[str]], calls: list[str] | None = None):  # type: ignore[no-untyped-def]
    async def resolve(host: str) -> list[str]:
        if calls is not None:
            calls.append(host)
        if host not in table:
            raise NameNotResolved(f"name does not resolve: {host}")
        return table[host]

    return resolve


def check_all(
    urls: list[str], resolver: guard.Resolver, **config: object
) -> dict[str, FetchResult]:
    results: dict[str, FetchResult] = {}
    cfg = CheckConfig(**{"timeout": 5.0, "retries": 0, **config})  # type: ignore[arg-type]
    asyncio.run(run_checks(urls, cfg, lambda r: results.__setitem__(r.url, r), None, resolver))
    return results


def test_public_name_resolving_to_loopback_is_refused_and_sends_nothing() -> None:
    async def scenario() -> tuple[int, FetchResult]:
        async with CountingServer() as server:
            results: list[FetchResult] = []
            resolver = stub_resolver({"innocent.example": ["127.0.0.1"]})
            url = f"http://innocent.example:{server.port}/"
            await run_checks([url], CheckConfig(retries=0), results.append, None, resolver)
            return server.connections, results[0]

    connections, result = asyncio.run(scenario())
    assert connections == 0
    assert result.outcome is Outcome.INVALID
    assert "127.0.0.1" in (result.error or "") and "loopback" in (result.error or "")


def test_one_private_answer_among_public_ones_refuses_the_host() -> None:
    resolver = stub_resolver({"mixed.example": ["93.184.216.34", "10.0.0.7"]})
    result = check_all(["http://mixed.example/"], resolver)["http://mixed.example/"]
    assert result.outcome is Outcome.INVALID and "10.0.0.7" in (result.error or "")


def test_nxdomain_is_gone_and_not_retried() -> None:
    calls: list[str] = []
    result = check_all(["https://no-such-host.example/"], stub_resolver({}, calls), retries=2)
    r = result["https://no-such-host.example/"]
    assert (r.outcome, r.attempts, calls) == (Outcome.GONE, 1, ["no-such-host.example"])


def test_gaierror_from_a_resolver_is_mapped() -> None:
    async def failing(host: str) -> list[str]:
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    r = check_all(["https://flaky-dns.example/"], failing, retries=1)["https://flaky-dns.example/"]
    assert (r.outcome, r.attempts) == (Outcome.TRANSIENT, 2)


def test_resolved_address_is_dialled_with_the_hostname_in_host_header() -> None:
    async def scenario() -> tuple[CountingServer, FetchResult, list[str]]:
        async with CountingServer() as server:
            calls: list[str] = []
            resolver = stub_resolver({"site.test": ["127.0.0.1"]}, calls)
            urls = [f"http://site.test:{server.port}/{i}" for i in range(3)]
            results: list[FetchResult] = []
            cfg = CheckConfig(allow_private=True, retries=0, per_host=1)
            await run_checks(urls, cfg, results.append, None, resolver)
            return server, results[0], calls

    server, result, calls = asyncio.run(scenario())
    assert result.outcome is Outcome.OK and result.title == "Hi"
    assert calls == ["site.test"]  # resolved once; every connection uses the vetted answer
    assert all(f"Host: site.test:{server.port}".encode() in r for r in server.requests)


def test_backend_refuses_before_connecting() -> None:
    async def scenario() -> int:
        async with CountingServer() as server:
            backend = GuardedBackend(AsyncioBackend(), stub_resolver({"x.test": ["127.0.0.1"]}))
            with pytest.raises(GuardRefused):
                await backend.connect_tcp("x.test", server.port)
            with pytest.raises(GuardRefused):
                await backend.connect_tcp("2130706433", server.port)
            with pytest.raises(GuardRefused):
                await backend.connect_tcp("127.0.0.1", server.port)
            return server.connections

    assert asyncio.run(scenario()) == 0


def test_redirect_hop_to_a_name_resolving_to_a_private_address_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A public page redirects to internal.test (resolving to a private address).

    Loopback stands in for the public internet here: 127.0.0.1 is treated as public, while
    127.0.0.3, where the "internal" server listens, stays refused.
    """
    original = guard.address_refusal
    monkeypatch.setattr(
        guard,
        "address_refusal",
        lambda ip: None if ip == ipaddress.ip_address("127.0.0.1") else original(ip),
    )
    guard.host_refusal.cache_clear()  # verdicts are cached per host

    async def scenario() -> tuple[int, int, FetchResult, FetchResult]:
        async with CountingServer("127.0.0.3") as internal:
            location = f"http://internal.test:{internal.port}/secret"
            redirect = (
                f"HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n"
                "Connection: close\r\n\r\n"
            ).encode()
            metadata = (
                b"HTTP/1.1 301 Moved\r\nLocation: http://169.254.169.254/latest/meta-data/\r\n"
                b"Content-Length: 0\r\nConnection: close\r\n\r\n"
            )
            async with (
                CountingServer(response=redirect) as public,
                CountingServer(response=metadata) as public2,
            ):
                resolver = stub_resolver(
                    {"public.test": ["127.0.0.1"], "internal.test": ["127.0.0.3"]}
                )
                results: dict[str, FetchResult] = {}
                urls = [f"http://public.test:{public.port}/", f"http://127.0.0.1:{public2.port}/"]
                await run_checks(
                    urls,
                    CheckConfig(retries=0),
                    lambda r: results.__setitem__(r.url, r),
                    None,
                    resolver,
                )
                return public.connections, internal.connections, results[urls[0]], results[urls[1]]

    try:
        public_conns, internal_conns, to_internal, to_metadata = asyncio.run(scenario())
    finally:
        guard.host_refusal.cache_clear()
    assert public_conns == 1 and internal_conns == 0
    assert to_internal.outcome is Outcome.INVALID and "127.0.0.3" in (to_internal.error or "")
    assert to_internal.redirects[0].status == 302
    assert to_metadata.outcome is Outcome.INVALID
    assert "169.254.169.254" in (to_metadata.error or "")


def fetch_tls(cert_host: str) -> tuple[FetchResult, list[str | None], list[str]]:
    """https://site.test/ with site.test resolving to 127.0.0.1, where a server presents a
    certificate for `cert_host`. Returns the result, the SNI names seen, the DNS lookups."""
    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(cert_host).configure_cert(server_ctx)
    sni: list[str | None] = []
    server_ctx.sni_callback = lambda sock, name, ctx: sni.append(name)  # type: ignore[assignment,misc]
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)
    calls: list[str] = []

    async def scenario() -> FetchResult:
        async with CountingServer(ssl_context=server_ctx) as server:
            config = CheckConfig(allow_private=True, retries=0, timeout=5.0)
            resolver = stub_resolver({"site.test": ["127.0.0.1"]}, calls)
            hosts = HostPool(config, resolver, ssl_context=client_ctx)
            await hosts.slots.acquire()
            try:
                return await Fetcher(config, hosts).check(f"https://site.test:{server.port}/")
            finally:
                await hosts.aclose()

    return asyncio.run(scenario()), sni, calls


def test_tls_to_the_vetted_ip_uses_the_hostname_for_sni_and_verification() -> None:
    result, sni, calls = fetch_tls("site.test")
    assert (result.outcome, result.title) == (Outcome.OK, "Hi")
    assert sni == ["site.test"] and calls == ["site.test"]


def test_tls_certificate_for_another_name_is_rejected() -> None:
    result, _, _ = fetch_tls("other.test")
    assert result.outcome is Outcome.TRANSIENT
    assert "certificate" in (result.error or "").lower()


def test_localhost_through_the_system_resolver_is_refused_and_sends_nothing() -> None:
    async def scenario() -> tuple[int, FetchResult]:
        async with CountingServer() as server:
            results: list[FetchResult] = []
            url = f"http://localhost:{server.port}/"
            await run_checks([url], CheckConfig(retries=0), results.append)
            return server.connections, results[0]

    connections, result = asyncio.run(scenario())
    assert connections == 0
    assert result.outcome is Outcome.INVALID and "loopback" in (result.error or "")
