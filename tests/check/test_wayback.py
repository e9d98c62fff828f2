"""Archived copies of broken links from a local fake of the Wayback availability API."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from curator.check.types import CheckConfig
from curator.check.wayback import lookup_all, snapshot_of
from tests.support.cli import run_cli
from tests.support.local_site import serve_site
from tests.support.routed_site import serve


def _snapshot(url: str, ts: str) -> dict[str, object]:
    return {
        "url": url,
        "archived_snapshots": {
            "closest": {
                "available": True,
                "status": "200",
                "timestamp": ts,
                "url": f"http://web.archive.org/web/{ts}/{url}",
            }
        },
    }


def test_snapshot_of_keeps_only_live_snapshots() -> None:
    assert snapshot_of(_snapshot("https://a.test/x", "20240101000000")) == (
        "https://web.archive.org/web/20240101000000/https://a.test/x"
    )
    assert snapshot_of({"archived_snapshots": {}}) == ""
    dead = _snapshot("https://a.test/x", "2024")
    dead["archived_snapshots"]["closest"]["status"] = "404"  # type: ignore[index]
    assert snapshot_of(dead) == ""


@contextmanager
def serve_archive() -> Iterator[tuple[str, list[str]]]:
    """A fake availability API: a 2025 snapshot of whatever URL is asked about."""

    def route(path: str) -> tuple[int, dict[str, str], str]:
        url = parse_qs(urlsplit(path).query)["url"][0]
        body = json.dumps(_snapshot(url, "20250101000000"))
        return 200, {"content-type": "application/json"}, body

    with serve(route) as (base, calls):
        yield base, calls


def _run(db: Path, day: int, *extra: str) -> dict[str, dict[str, object]]:
    res = run_cli(
        "check", "--db", db, "--allow-private", "--retries", "0", "--max-age", "0",
        "-f", "json", "--now", f"2026-12-0{day}T00:00:00", *extra,
    )  # fmt: skip
    assert res.stdout, res.stderr
    return {r["url"]: r for r in json.loads(res.stdout)["results"]}


def test_broken_links_get_one_lookup_and_show_the_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serve_site() as site, serve_archive() as (archive, calls):
        site.status["/alive"] = 200
        site.status["/dies"] = 200
        md = tmp_path / "list.md"
        md.write_text(f"# L\n\n- [a]({site.url('/alive')})\n- [d]({site.url('/dies')})\n")
        db = tmp_path / "c.db"
        assert run_cli("import", "--db", db, md).code == 0
        monkeypatch.setenv("CURATOR_WAYBACK_URL", archive)
        _run(db, 1)  # both alive
        del site.status["/dies"]  # now 404
        first = _run(db, 2)
        assert first[site.url("/dies")]["state"] == "suspect"
        assert calls == []  # not confirmed yet: no lookup
        second = _run(db, 5)
        asked = [parse_qs(urlsplit(p).query) for p in calls]
        third = _run(db, 6)
        assert len(calls) == 1  # once, and not again in the third run
    dies = site.url("/dies")
    copy = f"https://web.archive.org/web/20250101000000/{dies}"
    assert second[dies]["state"] == "broken" and second[dies]["archived_url"] == copy
    assert asked[0]["url"] == [dies]
    assert asked[0]["timestamp"][0].startswith("20261201")  # last seen alive
    assert third[dies]["archived_url"] == copy
    status = json.loads(run_cli("status", "--db", db, "--broken", "-f", "json").stdout)
    assert [(r["url"], r["archived_url"]) for r in status] == [(dies, copy)]
    report = run_cli("report", "--db", db).stdout
    assert f"[archived]({copy})" in report
    out = tmp_path / "exports"
    assert run_cli("export", "--db", db, "--out", out).code == 0
    page = "\n".join(p.read_text() for p in out.glob("*.md"))
    assert f"({dies}) 💀 [archived copy]({copy})" in page


def test_lookup_all_and_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with serve_site() as site, serve_archive() as (archive, calls):
        md = tmp_path / "list.md"
        md.write_text(f"# L\n\n- [d]({site.url('/gone')})\n")
        db = tmp_path / "c.db"
        assert run_cli("import", "--db", db, md).code == 0
        monkeypatch.setenv("CURATOR_WAYBACK_URL", archive)
        _run(db, 1, "--no-archive-lookup", "--archive-lookup", "all")
        assert calls == []
        _run(db, 1)  # gone but not confirmed: the default asks nothing
        assert calls == []
        got = _run(db, 2, "--archive-lookup", "all")
        assert len(calls) == 1
    copy = f"https://web.archive.org/web/20250101000000/{site.url('/gone')}"
    assert got[site.url("/gone")]["archived_url"] == copy


def test_the_lookup_goes_through_the_ssrf_guard() -> None:
    with serve_archive() as (archive, calls):
        wanted = [(1, "https://a.test/x", None)]
        refused = asyncio.run(lookup_all(wanted, CheckConfig(), archive))
        assert refused == {} and calls == []  # a loopback API needs --allow-private
        allowed = asyncio.run(lookup_all(wanted, CheckConfig(allow_private=True), archive))
        assert allowed == {1: "https://web.archive.org/web/20250101000000/https://a.test/x"}
        assert len(calls) == 1
