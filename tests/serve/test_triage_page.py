"""`curator serve`: the triage page in a real browser (Debian's chromium driven by
playwright) on a DB with a real check's results from a local server, and its guards: CSRF
tokens on every change, the access token, the Host check, the bind rule."""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.cli import ROOT, run_cli
from tests.support.local_site import Site, serve_site

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@dataclass
class Lists:
    db: Path
    md: Path
    site: Site


@pytest.fixture
def checked(tmp_path: Path) -> Iterator[Lists]:
    """A list with a moved, a gone and a fine link, imported and checked once."""
    with serve_site() as site:
        site.status.update({"/old": 301, "/new": 200, "/ok": 200})
        site.location["/old"] = site.url("/new")
        md = tmp_path / "list.md"
        md.write_text(
            "# Tools\n\n"
            f"- [Mover]({site.url('/old')}) - it moved permanently\n"
            f"- [Goner]({site.url('/gone')}) - a dead page\n"
            f"- [Fine]({site.url('/ok')}) - alive and well\n",
            encoding="utf-8",
        )
        db = tmp_path / "curator.db"
        assert run_cli("import", md, "--db", db).code == 0
        res = run_cli("check", "--allow-private", "--retries", "0", "--db", db)
        assert res.code == 0, res.stderr
        yield Lists(db, md, site)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(db: Path, *extra: str, config: Path | None = None) -> Iterator[str]:
    """`curator serve` as a subprocess on a free port, until the block ends; with `config`,
    that file is its curator.toml."""
    port = _free_port()
    log = db.with_suffix(".serve.log")
    env = {**os.environ, "CURATOR_CONFIG": str(config) if config else ""}
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "curator.cli", "serve", "--port", str(port)),
                *("--db", str(db), *extra),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(log.read_text()) from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


def _request(
    url: str, data: dict[str, str] | None = None, headers: dict[str, str] | None = None
) -> tuple[int, str, dict[str, str]]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    req = urllib.request.Request(url, data=body, headers=headers or {})
    try:
        with opener.open(req, timeout=10) as resp:
            return resp.status, resp.read().decode(), dict(resp.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), dict(exc.headers)


def _rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def test_page_in_a_browser_accepts_a_move_excludes_a_link_and_retags(
    checked: Lists, tmp_path: Path
) -> None:
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium (Debian package `chromium`): no browser to drive")
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip package playwright")
    old, new, gone = (checked.site.url(p) for p in ("/old", "/new", "/gone"))
    original = checked.md.read_text(encoding="utf-8").splitlines()
    with serving(checked.db) as base, sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(base + "/")
            moved = page.locator("table.section-moved tr", has_text=old)
            assert "list.md:3" in moved.inner_text()
            suspect = page.locator("table.section-suspect tr", has_text=gone)
            assert "404" in suspect.inner_text() and "list.md:4" in suspect.inner_text()

            moved.get_by_role("button", name="Accept move").click()
            page.wait_for_selector("#message")
            message = page.inner_text("#message")
            assert f"{old} -> {new} (1 entries; wrote " in message and "list.md" in message
            assert page.locator("table.section-moved").count() == 0

            row = page.locator("table.section-suspect tr", has_text=gone)
            row.locator("input[name=reason]").fill("dead for good")
            row.locator("input[name=expires]").fill("2031-01-01")
            row.get_by_role("button", name="Exclude").click()
            page.wait_for_selector("#message")
            assert f"added exclusion {gone}" in page.inner_text("#message")
            assert page.locator("table.section-suspect").count() == 0  # decided: off the list

            page.goto(base + "/entries?q=Fine")
            entry = page.locator("tr[data-entry]", has_text="Fine")
            entry.locator("form.tag input[name=tag]").fill("perf")
            entry.get_by_role("button", name="Add tag").click()
            page.wait_for_selector("#message")
            assert "added tag perf" in page.inner_text("#message")
            entry = page.locator("tr[data-entry]", has_text="Fine")
            entry.locator("select[name=category]").select_option("hardware")
            entry.locator("form.categorize button").click()
            page.wait_for_selector("#message")

            shot = tmp_path / "triage.png"
            page.goto(base + "/")
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 2000

    db = checked.db
    assert _rows(db, "SELECT url FROM entry WHERE title = 'Mover'") == [(new,)]
    assert _rows(db, "SELECT href FROM link WHERE text = 'Mover'") == [(new,)]
    [(pattern, reason, expires)] = _rows(db, "SELECT pattern, reason, expires_at FROM exclusion")
    assert (pattern, reason) == (gone, "dead for good") and str(expires).startswith("2031-01-01")
    assert _rows(
        db,
        "SELECT tag.name, tag.origin FROM tag JOIN entry ON entry.id = tag.entry_id"
        " WHERE entry.title = 'Fine' AND tag.origin = 'manual'",
    ) == [("perf", "manual")]
    assert _rows(db, "SELECT canonical FROM category_override") == [("hardware",)]
    # The accepted move is written into the list file itself (as `apply-redirects --write`
    # does): that line only, and importing the file again changes nothing.
    written = checked.md.read_text(encoding="utf-8").splitlines()
    assert [i for i, (a, b) in enumerate(zip(original, written, strict=True)) if a != b] == [2]
    assert f"[Mover]({new})" in written[2]
    again = run_cli("import", checked.md, "--db", db)
    assert again.code == 0 and "unchanged" in again.stdout, again.stdout + again.stderr


def test_a_post_without_the_csrf_token_is_refused(checked: Lists) -> None:
    gone = checked.site.url("/gone")
    form = {"pattern": gone, "reason": "x", "back": "/"}
    with serving(checked.db) as base:
        assert _request(base + "/exclude", form)[0] == 403
        assert _request(base + "/exclude", form | {"csrf": "123.abc"})[0] == 403
        assert _request(base + "/accept-move", {"url": checked.site.url("/old")})[0] == 403
        assert _request(base + "/exclude")[0] == 405  # a GET never changes anything
        assert _rows(checked.db, "SELECT count(*) FROM exclusion") == [(0,)]
        # The same form with the token from the page goes through.
        status, html, _ = _request(base + "/")
        assert status == 200
        m = re.search(r'name="csrf" value="([^"]+)"', html)
        assert m is not None
        status, _, headers = _request(base + "/exclude", form | {"csrf": m.group(1)})
        assert status == 303 and "done=added" in headers["location"]
        assert _rows(checked.db, "SELECT pattern FROM exclusion") == [(gone,)]
        # A page asked for under another host name (DNS rebinding) is refused.
        assert _request(base + "/", headers={"Host": "evil.example"})[0] == 400


def test_the_token_is_required_on_every_request_when_given(checked: Lists) -> None:
    with serving(checked.db, "--token", "s3cret") as base:
        assert _request(base + "/")[0] == 403
        assert _request(base + "/", headers={"X-Curator-Token": "wrong"})[0] == 403
        status, html, _ = _request(base + "/", headers={"X-Curator-Token": "s3cret"})
        assert status == 200 and "Links to triage" in html
        status, _, headers = _request(base + "/?token=s3cret")
        assert status == 303 and headers["location"] == "/"
        assert "curator_token=s3cret" in headers["set-cookie"]
        assert "httponly" in headers["set-cookie"].lower()
        status, _, _ = _request(base + "/", headers={"Cookie": "curator_token=s3cret"})
        assert status == 200


def test_a_non_loopback_bind_without_a_token_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "never.db"
    res = run_cli("serve", "--host", "0.0.0.0", "--db", db)
    assert res.code == 2
    assert res.stderr.startswith("Error: --host 0.0.0.0: serving on a non-loopback address")
    assert res.stderr.count("\n") == 1
    assert not db.exists()


def test_soft_404s_and_parked_pages_are_listed_by_the_checks_reason(tmp_path: Path) -> None:
    """A deep link sent to the site root is a soft 404 (gone, with its reason): it is listed
    under soft-404, not under its state; a page that merely answers is not listed at all."""
    with serve_site() as site:
        site.status.update({"/docs/guide": 301, "/": 200, "/ok": 200})
        site.location["/docs/guide"] = site.url("/")
        md = tmp_path / "list.md"
        md.write_text(
            f"# Tools\n\n- [Guide]({site.url('/docs/guide')}) - docs\n"
            f"- [Fine]({site.url('/ok')}) - alive\n",
            encoding="utf-8",
        )
        db = tmp_path / "curator.db"
        assert run_cli("import", md, "--db", db).code == 0
        res = run_cli("check", "--allow-private", "--retries", "0", "--db", db)
        assert res.code == 0, res.stderr
    assert _rows(db, "SELECT reason FROM url_state WHERE reason IS NOT NULL") == [("soft-404",)]
    with serving(db) as base:
        status, html, _ = _request(base + "/")
    assert status == 200
    m = re.search(r'<table class="section-soft-404">(.*?)</table>', html, re.S)
    assert m is not None, html
    assert site.url("/docs/guide") in m.group(1) and "list.md:3" in m.group(1)
    assert '<span class="reason">soft-404</span>' in m.group(1)
    assert "section-suspect" not in html and site.url("/ok") not in html


def test_decisions_made_on_the_page_go_into_curator_toml(checked: Lists, tmp_path: Path) -> None:
    """With a curator.toml in use, the page records exclusions and tags in it (comments
    kept), as `curator exclude add` and `curator tag add` do."""
    from curator.util.config import load_config

    toml = tmp_path / "curator.toml"
    toml.write_text("# decisions of this list's maintainers\n[check]\ntimeout = 20\n")
    gone = checked.site.url("/gone")
    with serving(checked.db, config=toml) as base:
        status, html, _ = _request(base + "/entries?q=Fine")
        assert status == 200
        csrf = re.search(r'name="csrf" value="([^"]+)"', html)
        assert csrf is not None
        entry = re.search(r'data-entry="(\d+)"', html)
        assert entry is not None
        form = {"csrf": csrf.group(1), "back": "/"}
        status, _, headers = _request(
            base + "/exclude", {**form, "pattern": gone, "reason": "dead for good"}
        )
        assert status == 303 and "error" not in headers["location"]
        status, _, headers = _request(
            base + "/tag", {**form, "entry_id": entry.group(1), "tag": "perf"}
        )
        assert status == 303 and "error" not in headers["location"]
    text = toml.read_text()
    assert text.startswith("# decisions of this list's maintainers")  # comments kept
    cfg = load_config(tmp_path)
    assert [(e.pattern, e.reason) for e in cfg.exclude] == [(gone, "dead for good")]
    assert any("perf" in tags for tags in cfg.tags.manual.values()), text
