"""SSRF matrix, end to end: `curator check` (no --allow-private) refuses every way into a
private network, and no packet reaches one.

A real `curator check` subprocess runs on a list of hostile URLs. Two local servers: the
victim on 127.0.0.1 (counts requests; must get none) and a "public" host that redirects
into private ranges. Name resolution is a stub (no real DNS: `public.test` is a global
address, `loopy.test` is 127.0.0.1, ...), and the TCP dialler is wrapped so that the one
global address is routed to the public server and every dial is logged: the log must hold
nothing but that route. A control run with --allow-private proves the victim answers.
"""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.serving import serving

PUBLIC_IP = "93.184.216.34"  # a global address the guard accepts; the dialler reroutes it

BOOTSTRAP = """
import ipaddress, json, os, sys
import curator.check.engine as engine
import curator.check.http.guard as guard

ZONE = json.loads(os.environ["SSRF_ZONE"])
PUBLIC_PORT = int(os.environ["SSRF_PUBLIC_PORT"])
LOG = os.environ["SSRF_DIAL_LOG"]

async def stub_resolver(host):
    if host in ZONE:
        return ZONE[host]
    raise guard.NameNotResolved(f"name does not resolve: {host}")  # never real DNS

class LoggedBackend(engine.AsyncioBackend):
    async def connect_tcp(self, host, port, *args, **kwargs):
        with open(LOG, "a") as fh:
            fh.write(f"{host} {port}\\n")
        if host == os.environ["SSRF_PUBLIC_IP"]:
            host, port = "127.0.0.1", PUBLIC_PORT
        elif not ipaddress.ip_address(host).is_loopback:
            raise OSError("test dialler: no packet leaves this machine")
        return await super().connect_tcp(host, port, *args, **kwargs)

guard.system_resolver = stub_resolver
engine.AsyncioBackend = LoggedBackend
from curator.cli.app import main
main(sys.argv[1:])
"""


@dataclass
class Server:
    port: int
    hits: list[str] = field(default_factory=list)


def serve(handler_factory) -> Iterator[Server]:  # type: ignore[no-untyped-def]
    server_info = Server(0)
    handler = handler_factory(server_info)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server_info.port = httpd.server_address[1]
    with serving(httpd):
        yield server_info


def _quiet(cls):  # type: ignore[no-untyped-def]
    cls.log_message = lambda *a: None
    return cls


@pytest.fixture
def victim() -> Iterator[Server]:
    def factory(info: Server):  # type: ignore[no-untyped-def]
        @_quiet
        class Victim(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                info.hits.append(self.path)
                body = b"<html><head><title>secret</title></head></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_HEAD = do_GET

        return Victim

    yield from serve(factory)


def redirects(victim_port: int) -> dict[str, str]:
    """Paths on the public host and where each redirects to."""
    v = victim_port
    return {
        "/to/loopback": f"http://127.0.0.1:{v}/secret",
        "/to/localhost": f"http://localhost:{v}/",
        "/to/loopy-name": f"http://loopy.test:{v}/",
        "/to/metadata": "http://169.254.169.254/latest/meta-data/",
        "/to/ten": "http://10.1.2.3/admin",
        "/to/decimal": f"http://2130706433:{v}/",
        "/to/mapped-v6": f"http://[::ffff:127.0.0.1]:{v}/",
        "/to/userinfo": f"http://public.test@127.0.0.1:{v}/",
        "/to/file": "file:///etc/passwd",
        "/to/gopher": f"gopher://127.0.0.1:{v}/_GET%20/",
        "/to/ftp": f"ftp://127.0.0.1:{v}/",
        "/hop/then-private": "/to/loopback",  # public -> public -> private
    }


@pytest.fixture
def public(victim: Server) -> Iterator[Server]:
    targets = redirects(victim.port)

    def factory(info: Server):  # type: ignore[no-untyped-def]
        @_quiet
        class Public(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                info.hits.append(self.path)
                target = targets.get(self.path)
                if target is None:
                    self.send_response(200)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                    return
                self.send_response(302 if self.path.startswith("/to/") else 301)
                self.send_header("Location", target)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_HEAD = do_GET

        return Public

    yield from serve(factory)


def direct_urls(v: int) -> list[str]:
    """Hostile URLs written straight into a list."""
    return [
        f"http://127.0.0.1:{v}/",
        "http://10.0.0.1/",
        "http://172.16.0.1/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://0.0.0.0/",
        f"http://[::1]:{v}/",
        f"http://[::ffff:127.0.0.1]:{v}/",
        "http://[fc00::1]/",
        "http://[fd12:3456::1]/",
        f"http://2130706433:{v}/",  # decimal
        f"http://0x7f.1:{v}/",  # hex
        f"http://0177.0.0.1:{v}/",  # octal
        f"http://127.1:{v}/",  # short form
        f"http://localhost:{v}/",  # a name that resolves to loopback
        f"http://loopy.test:{v}/",  # ditto, through the stub resolver
        f"http://ten.test:{v}/",  # a name that resolves to 10.x
        f"http://example.com@127.0.0.1:{v}/",  # userinfo trick
        f"https://127.0.0.1:{v}/",
    ]


NON_WEB = ["file:///etc/passwd", "gopher://127.0.0.1:{v}/_x", "ftp://127.0.0.1:{v}/"]


def run_check(tmp_path: Path, db: Path, public: Server, *extra: str) -> dict[str, dict]:  # type: ignore[type-arg]
    zone = {
        "public.test": [PUBLIC_IP],
        "loopy.test": ["127.0.0.1"],
        "ten.test": ["10.9.8.7"],
        "localhost": ["127.0.0.1"],
    }
    log = tmp_path / "dials.log"
    env = {
        **{k: v for k, v in os.environ.items() if k != "CURATOR_DB"},
        "CI": "true",
        "SSRF_ZONE": json.dumps(zone),
        "SSRF_PUBLIC_PORT": str(public.port),
        "SSRF_PUBLIC_IP": PUBLIC_IP,
        "SSRF_DIAL_LOG": str(log),
    }
    report = tmp_path / "report.json"
    cmd = [sys.executable, "-c", BOOTSTRAP, "check", "--db", str(db), "--max-age", "0"]
    cmd += ["--retries", "0", "--timeout", "5", "--format", "json", "-o", str(report), *extra]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode in (0, 1), proc.stderr
    results = json.loads(report.read_text(encoding="utf-8"))["results"]
    return {r["url"]: r for r in results}


def dials(tmp_path: Path) -> list[str]:
    log = tmp_path / "dials.log"
    return log.read_text(encoding="utf-8").split("\n")[:-1] if log.exists() else []


@pytest.mark.slow
def test_every_ssrf_trick_is_refused_and_no_packet_is_sent(
    tmp_path: Path, victim: Server, public: Server
) -> None:
    v = victim.port
    direct = direct_urls(v)
    via_redirect = [f"http://public.test{path}" for path in redirects(v)]
    lines = ["# Hostile", ""]
    lines += [f"- [u{i}]({u})" for i, u in enumerate(direct + via_redirect)]
    lines += [f"- [n{i}]({u.format(v=v)})" for i, u in enumerate(NON_WEB)]
    lst = tmp_path / "hostile.md"
    lst.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = tmp_path / "curator.db"
    assert run_cli("import", lst, "--db", db).code == 0

    results = run_check(tmp_path, db, public)

    assert victim.hits == [], "a request reached the private server"
    assert set(dials(tmp_path)) == {f"{PUBLIC_IP} 80"}, "a dial other than the public host"
    for url in direct + via_redirect:
        assert url in results, f"{url} was not checked"
        r = results[url]
        assert r["outcome"] == "invalid", (url, r)
        assert r["error"].startswith("refused: "), (url, r["error"])
    for url in via_redirect:  # the public hop was made, the private one refused
        assert results[url]["redirects"], url
    assert {p.split("?")[0] for p in public.hits} == set(redirects(v)), "public host reached"
    for url in NON_WEB:  # never a check target: not web links
        assert url.format(v=v) not in results


@pytest.mark.slow
def test_control_the_victim_answers_when_private_is_allowed(
    tmp_path: Path, victim: Server, public: Server
) -> None:
    # Without this, "zero requests" above could mean a dead server.
    lst = tmp_path / "ok.md"
    lst.write_text(
        f"# Ok\n\n- [v](http://127.0.0.1:{victim.port}/ok)\n- [r](http://public.test/to/loopback)\n",
        encoding="utf-8",
    )
    db = tmp_path / "curator.db"
    assert run_cli("import", lst, "--db", db).code == 0
    results = run_check(tmp_path, db, public, "--allow-private")
    assert results[f"http://127.0.0.1:{victim.port}/ok"]["outcome"] == "ok"
    assert results["http://public.test/to/loopback"]["outcome"] == "ok"
    # (plus the soft-404 probe of a path that cannot exist, once per origin)
    assert sorted(h for h in victim.hits if "curator-probe-" not in h) == ["/ok", "/secret"]
