"""Soft 404s, parking pages and redirects of deep links to the root: `gone` with a reason,
against local servers (one per behaviour, so each is its own origin with its own probe)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from curator.check.http.softpages import Page, matches_probe, parked, says_missing
from curator.urls import redirect_to_root
from tests.support.cli import run_cli
from tests.support.routed_site import serve


def _html(title: str, extra: str = "") -> str:
    return f"<html><head><title>{title}</title>{extra}</head><body>x</body></html>"


def soft_site(path: str) -> tuple[int, dict[str, str], str]:
    if path == "/docs/real":
        return 200, {}, _html("Real page")
    return 200, {}, _html("Page not found – Example")  # every unknown path, with 200


def spa_site(path: str) -> tuple[int, dict[str, str], str]:
    return 200, {}, _html("App")  # one shell for every path: proves nothing


def honest_site(path: str) -> tuple[int, dict[str, str], str]:
    if path == "/page":
        return 200, {}, _html("Page not found is a fine title for a blog post")
    return 404, {}, _html("Not found")


def parked_site(path: str) -> tuple[int, dict[str, str], str]:
    sedo = '<script src="https://sedoparking.com/frmpark/x.js"></script>'
    return 200, {}, _html("example.test", sedo)


def moving_site(path: str) -> tuple[int, dict[str, str], str]:
    if path == "/deep/old-post":
        return 301, {"location": "/"}, ""
    if path == "/members/area":
        return 301, {"location": "/login?next=/members/area"}, ""
    if path == "/moved":
        return 301, {"location": "/new-home/moved"}, ""
    return 200, {}, _html(f"Page {path}")


def test_pages_that_answer_but_are_gone(tmp_path: Path) -> None:
    with (
        serve(soft_site) as (soft, soft_hits),
        serve(spa_site) as (spa, _),
        serve(honest_site) as (honest, _),
        serve(parked_site) as (park, _),
        serve(moving_site) as (move, _),
    ):
        links = [
            f"{soft}/docs/real",
            f"{soft}/docs/removed",
            f"{soft}/",
            f"{spa}/a",
            f"{honest}/page",
            f"{park}/tools",
            f"{move}/deep/old-post",
            f"{move}/members/area",
            f"{move}/moved",
        ]
        md = tmp_path / "list.md"
        md.write_text("# L\n\n" + "".join(f"- [x{i}]({u})\n" for i, u in enumerate(links)))
        db = tmp_path / "c.db"
        assert run_cli("import", "--db", db, md).code == 0
        args = ("check", "--db", db, "--allow-private", "--retries", "0", "-f", "json")
        res = run_cli(*args, "--now", "2026-12-01T00:00:00")
        got = {r["url"]: r for r in json.loads(res.stdout)["results"]}
        assert sum(1 for h in soft_hits if h.startswith("/curator-probe-")) == 1  # once a host
        res2 = run_cli(*args, "--now", "2026-12-04T00:00:00", "--max-age", "0")
        again = {r["url"]: r for r in json.loads(res2.stdout)["results"]}
        text = run_cli(
            "check", "--db", db, "--allow-private", "--retries", "0", "--max-age", "0",
            "--now", "2026-12-05T00:00:00",
        )  # fmt: skip
    verdict = {u: (r["outcome"], r["reason"]) for u, r in got.items()}
    assert verdict == {
        f"{soft}/docs/real": ("ok", None),
        f"{soft}/docs/removed": ("gone", "soft-404"),
        f"{soft}/": ("ok", None),  # the root is never judged against the probe
        f"{spa}/a": ("ok", None),
        f"{honest}/page": ("ok", None),
        f"{park}/tools": ("gone", "parked"),
        f"{move}/deep/old-post": ("gone", "soft-404"),
        f"{move}/members/area": ("gone", "soft-404"),
        f"{move}/moved": ("redirected", None),
    }
    # confirmed across runs like any other gone
    assert again[f"{soft}/docs/removed"]["state"] == "broken"
    assert again[f"{park}/tools"]["state"] == "broken"
    status = run_cli("status", "--db", db, "--broken", "-f", "json")
    reasons = {r["url"]: r["reason"] for r in json.loads(status.stdout)}
    assert reasons[f"{soft}/docs/removed"] == "soft-404"
    assert reasons[f"{park}/tools"] == "parked"
    assert "[soft-404]" in text.stdout and "[parked]" in text.stdout
    md_report = run_cli("report", "--db", db)
    assert "gone (soft-404)" in md_report.stdout and "gone (parked)" in md_report.stdout
    out = tmp_path / "exports"
    assert run_cli("export", "--db", db, "--out", out).code == 0
    page = "\n".join(p.read_text() for p in out.glob("*.md"))
    assert f"({soft}/docs/removed) 💀 (soft-404)" in page
    assert f"({park}/tools) 💀 (parked)" in page
    # apply-redirects never offers a redirect to the root or a login page as a fix
    fixes = run_cli("apply-redirects", "--db", db, "--dry-run").stdout
    changed = [ln for ln in fixes.splitlines() if ln.startswith(("+ ", "- ", "+-", "--"))]
    changed = [ln for ln in changed if not ln.startswith(("+++", "---"))]
    assert changed and all("old-post" not in ln and "members" not in ln for ln in changed)


@pytest.mark.parametrize(
    ("source", "target", "expected"),
    [
        ("https://a.example/blog/post-1", "https://a.example/", True),
        ("https://a.example/blog/post-1", "https://www.a.example/index.html", True),
        ("https://a.example/x", "https://a.example/login?next=/x", True),
        ("https://a.example/x", "https://sso.example/users/sign_in", True),
        ("https://a.example/", "https://a.example/en/", False),  # the root moving is a move
        ("https://a.example/blog", "https://a.example/blog/", False),
        # a deep link sent to another site's home page: not a move either (issue: "or to
        # another site's home page")
        ("https://a.example/old", "https://b.example/", True),
        ("https://a.example/", "https://b.example/", False),  # a home page moving is a move
        ("https://a.example/old", "https://a.example/new/old", False),
    ],
)
def test_redirect_to_root_predicate(source: str, target: str, expected: bool) -> None:
    assert redirect_to_root(source, target) is expected


def test_parking_marks_and_probe_fingerprints() -> None:
    page = Page("https://x.test/a", "https://x.test/a", "x.test", 300)
    assert parked(page, b"<script src='//parkingcrew.net/x.js'>")
    assert parked(page, b"<meta name=description content='This domain is for sale!'>")
    assert parked(Page("https://x.test/a", "https://www.hugedomains.com/d", None, 10), b"")
    assert not parked(page, b"<link href='https://jordan.com/x'><title>dandan.com</title>")
    assert says_missing("404 – Page not found") and says_missing("页面不存在")
    assert not says_missing("Error handling in Rust")
    probe = Page("https://x.test/curator-probe-1", "https://x.test/404", "Oops", 900)
    moved = Page("https://x.test/a", "https://x.test/404", "Oops", 900)
    assert matches_probe(moved, probe)
    same_title = Page("https://x.test/b", "https://x.test/b", "Oops", 900)
    assert not matches_probe(same_title, probe)  # an ordinary title proves nothing
