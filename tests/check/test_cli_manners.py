"""`curator check` and what reads its results, through the CLI against a local server:
`--user-agent` and per-host `--header`, the `--allow-private` hint, `curator history`,
and `report` with `--confirm-days 0`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.local_site import serve_site

DAY = "2026-03-0{}T08:00:00+00:00"


def listing(tmp_path: Path, *urls: str) -> Path:
    path = tmp_path / "list.md"
    body = "".join(f"- [Link {i}]({u})\n" for i, u in enumerate(urls))
    path.write_text(f"# Links\n\n{body}", encoding="utf-8")
    return path


def test_user_agent_and_headers_go_to_their_host_only(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    with serve_site() as site:
        site.status.update({"/a": 200, "/b": 200})
        port = site.base.rsplit(":", 1)[1]
        other = f"http://localhost:{port}/b"  # the same server under another host name
        assert run_cli("import", listing(tmp_path, site.url("/a"), other), "--db", db).code == 0
        r = run_cli(
            "check",
            "--allow-private",
            "--user-agent",
            "my-list-bot/2.0 (+https://example.org/bot)",
            "--header",
            "127.0.0.1: X-Api-Key: s3cret",
            "--header",
            "127.0.0.1: Accept: text/html",
            "--db",
            db,
        )
        assert r.code == 0, r.stderr
    a, b = site.headers["/a"], site.headers["/b"]
    assert a["user-agent"] == b["user-agent"] == "my-list-bot/2.0 (+https://example.org/bot)"
    assert a["x-api-key"] == "s3cret" and a["accept"] == "text/html"
    assert "x-api-key" not in b and b["accept"] != "text/html"


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("no colon at all", "expected 'host: Name: value'"),
        ("example.org: Bad Name: x", "'Bad Name' is not a header name"),
        ("example.org: Host: other.example", "Host is set by curator itself"),
        ("exa mple.org: X-A: b", "is not a host name"),
    ],
)
def test_bad_header_options_are_usage_errors(tmp_path: Path, option: str, message: str) -> None:
    db = tmp_path / "c.db"
    assert run_cli("import", listing(tmp_path, "https://a.example/"), "--db", db).code == 0
    r = run_cli("check", "--header", option, "--db", db)
    assert r.code == 2 and message in r.stderr and r.stderr.startswith("Error: ")
    assert run_cli("history", "https://a.example/", "--db", db, "-f", "json").code == 0
    r = run_cli("check", "--user-agent", "", "--db", db)
    assert r.code == 2 and "--user-agent cannot be empty" in r.stderr


def test_links_refused_as_local_addresses_get_a_hint(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    with serve_site() as site:
        site.status["/a"] = 200
        assert run_cli("import", listing(tmp_path, site.url("/a")), "--db", db).code == 0
        r = run_cli("check", "--db", db)
        assert r.code == 0
        assert "refused: address 127.0.0.1 is loopback" in r.stdout
        hint = [line for line in r.stderr.splitlines() if line.startswith("hint: ")]
        assert hint == [
            "hint: 1 URL refused as local or private addresses (loopback, 10.x, 192.168.x, "
            "...); add --allow-private if this list is meant to link to a local or intranet "
            "site"
        ]
        assert site.requested == []  # refused: no packet was sent
        r = run_cli("check", "--allow-private", "--max-age", "0", "--db", db)
        pages = [p for p in site.requested if not p.startswith("/curator-probe-")]
        assert r.code == 0 and "hint:" not in r.stderr and pages == ["/a"]  # + soft-404 probe


def test_history_shows_one_links_results_over_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "c.db"
    with serve_site() as site:
        moved, page = site.url("/moved"), site.url("/page")
        site.status.update({"/moved": 200, "/page": 200})
        assert run_cli("import", listing(tmp_path, moved, page), "--db", db).code == 0
        r = run_cli("history", moved, "--db", db)
        assert r.code == 0 and "never checked, 0 checks" in r.stdout
        assert "has not been checked yet; run `curator check`" in r.stderr
        for day, (status, location) in enumerate([(200, None), (301, page), (404, None)], 1):
            site.status["/moved"] = status
            site.location.pop("/moved", None)
            if location:
                site.location["/moved"] = location
            monkeypatch.setenv("CURATOR_NOW", DAY.format(day))
            assert run_cli("check", "--allow-private", "--max-age", "0", "--db", db).code == 0
    monkeypatch.delenv("CURATOR_NOW")
    r = run_cli("history", moved + "#part", "--format", "json", "--db", db)  # any spelling
    assert r.code == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["url"] == moved and data["state"] == "suspect"
    got = [
        (x["checked_at"][:10], x["outcome"], x["status"], x["redirect_to"]) for x in data["results"]
    ]
    assert got == [
        ("2026-03-01", "ok", 200, None),
        ("2026-03-02", "redirected", 200, page),
        ("2026-03-03", "gone", 404, None),
    ]
    assert data["results"][0]["title"] == "Page /moved"
    table = run_cli("history", moved, "--db", db)
    assert table.code == 0
    assert "2026-03-02 08:00" in table.stdout and "redirected" in table.stdout
    assert "3 checks" in table.stdout
    nope = run_cli("history", "https://nowhere.example/", "--db", db)
    assert nope.code == 2
    assert (
        nope.stderr
        == "Error: no list links https://nowhere.example/ (see `curator list --search`)\n"
    )


def test_report_honours_confirm_days_zero(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With `--confirm-runs 1 --confirm-days 0` a 404 is broken at once: the next run's
    report says "still broken" (not "newly broken" again), and then "recovered"."""
    db = tmp_path / "c.db"
    with serve_site() as site:
        assert run_cli("import", listing(tmp_path, site.url("/gone")), "--db", db).code == 0

        def run(day: int) -> dict[str, int]:
            monkeypatch.setenv("CURATOR_NOW", DAY.format(day))
            args = ("--allow-private", "--max-age", "0", "--confirm-runs", "1")
            r = run_cli("check", *args, "--confirm-days", "0", "--fail-on", "never", "--db", db)
            assert r.code == 0, r.stderr
            r = run_cli("report", "--format", "json", "--db", db)
            assert r.code == 0, r.stderr
            summary = json.loads(r.stdout)["summary"]
            return {k: summary[k] for k in ("newly_broken", "still_broken", "recovered")}

        assert run(1) == {"newly_broken": 1, "still_broken": 0, "recovered": 0}
        assert run(2) == {"newly_broken": 0, "still_broken": 1, "recovered": 0}
        site.status["/gone"] = 200
        assert run(3) == {"newly_broken": 0, "still_broken": 0, "recovered": 1}
