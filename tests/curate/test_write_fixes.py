"""Fixes written into the list files (`--write`), their preview, `--db-only` conflicts on
re-import, `--undo`, and the redirects that are never applied (home and login pages).

Redirects come from a real `curator check --allow-private` against a site on 127.0.0.1."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.local_site import Site, serve_site


@pytest.fixture
def site() -> Iterator[Site]:
    with serve_site() as s:
        s.status.update({"/new": 200, "/fine": 200, "/": 200, "/login?next=/x": 200})
        for old, new in {
            "/old": "/new",
            "/to-root/deep/page": "/",
            "/to-login": "/login?next=/x",
        }.items():
            s.status[old] = 301
            s.location[old] = s.url(new)
        # Another site's home page: the same server under another host name.
        other = s.base.replace("127.0.0.1", "localhost")
        s.status["/elsewhere/page"] = 301
        s.location["/elsewhere/page"] = other + "/"
        yield s


def make_list(site: Site, eol: str = "\n", bom: bool = False, encoding: str = "utf-8") -> str:
    lines = [
        "# 阅读",
        "",
        "## 工具",
        "",
        f"- [Alpha]({site.url('/fine')}) - 不动。",
        f"- [Gamma]({site.url('/old')}) - moved for good.",
        f"- [Root]({site.url('/to-root/deep/page')}) - now the home page.",
        f"- [Login]({site.url('/to-login')}) - now a sign-in form.",
        f"- [Else]({site.url('/elsewhere/page')}) - now another site's home.",
        "",
        f"See also [Gamma]({site.url('/old')}) again.",
        "",
    ]
    return ("\ufeff" if bom else "") + eol.join(lines)


def prepare(tmp_path: Path, text: str, encoding: str = "utf-8") -> tuple[Path, Path, bytes]:
    src = tmp_path / "reading.md"
    data = text.encode(encoding)
    src.write_bytes(data)
    db = tmp_path / "c.db"
    r = run_cli("import", src, "--db", db)
    assert r.code == 0, r.stderr
    r = run_cli("check", "--allow-private", "--max-age", "0", "--retries", "0", "--db", db)
    assert r.code == 0, r.stdout + r.stderr
    return src, db, data


def changed_lines(before: bytes, after: bytes) -> list[tuple[bytes, bytes]]:
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    assert len(old) == len(new)
    return [(a, b) for a, b in zip(old, new, strict=True) if a != b]


def hrefs(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [h for (h,) in conn.execute("SELECT href FROM link ORDER BY id")]


@pytest.mark.parametrize(
    ("eol", "bom", "encoding"),
    [("\n", False, "utf-8"), ("\r\n", True, "utf-8"), ("\r\n", False, "gbk")],
    ids=["utf-8 LF", "BOM CRLF", "GBK CRLF"],
)
def test_write_round_changes_only_the_moved_lines_and_undo_restores(
    tmp_path: Path, site: Site, eol: str, bom: bool, encoding: str
) -> None:
    src, db, before = prepare(tmp_path, make_list(site, eol, bom), encoding)
    links_before = hrefs(db)

    # Without --write: the diff, and nothing changed on disk or in the DB.
    preview = run_cli("apply-redirects", "--db", db)
    assert preview.code == 0, preview.stderr
    assert f"-- [Gamma]({site.url('/old')})" in preview.stdout
    assert f"+- [Gamma]({site.url('/new')})" in preview.stdout
    assert "1 URLs would change in 2 entries" in preview.stdout
    assert src.read_bytes() == before and hrefs(db) == links_before

    r = run_cli("apply-redirects", "--write", "--db", db)
    assert r.code == 0, r.stderr
    assert f"wrote {src}" in r.stdout and "fix batch 1" in r.stdout
    after = src.read_bytes()
    old_b, new_b = site.url("/old").encode(), site.url("/new").encode()
    changes = changed_lines(before, after)
    assert len(changes) == 2
    for a, b in changes:
        assert a.replace(old_b, new_b) == b
    assert after.startswith(b"\xef\xbb\xbf") == bom
    assert after.count(b"\r\n") == before.count(b"\r\n")
    assert after.decode(encoding).count("阅读") == 1  # still in its own encoding

    again = run_cli("import", src, "--db", db)
    assert again.code == 0 and "unchanged" in again.stdout and again.stderr == ""
    log = run_cli("apply-redirects", "--log", "--db", db)
    assert log.stdout.startswith("1\t") and "redirect\t2 links" in log.stdout
    assert f"  {src}:6: {site.url('/old')} -> {site.url('/new')}" in log.stdout.splitlines()
    assert f"  {src}:11: {site.url('/old')} -> {site.url('/new')}" in log.stdout.splitlines()

    undo = run_cli("apply-redirects", "--undo", "1", "--db", db)
    assert undo.code == 0, undo.stderr
    assert "2 links put back" in undo.stdout
    assert src.read_bytes() == before
    assert hrefs(db) == links_before
    assert "unchanged" in run_cli("import", src, "--db", db).stdout
    assert "(undone)" in run_cli("apply-redirects", "--log", "--db", db).stdout
    twice = run_cli("apply-redirects", "--undo", "1", "--db", db)
    assert twice.code == 2 and "already undone" in twice.stderr


def test_redirects_to_home_or_login_pages_are_refused(tmp_path: Path, site: Site) -> None:
    # The checker already reads these redirects as soft 404s (gone, reason soft-404), so
    # apply-redirects never sees them as moves; the list keeps its specific links.
    src, db, _ = prepare(tmp_path, make_list(site))
    r = run_cli("apply-redirects", "--write", "--db", db)
    assert r.code == 0, r.stderr
    assert "1 URLs changed" in r.stdout or "1 URL" in r.stdout, r.stdout
    text = src.read_text(encoding="utf-8")
    for path in ("/to-root/deep/page", "/to-login", "/elsewhere/page"):
        assert site.url(path) in text
    assert "/login?next" not in text and site.url("/new") in text
    status = run_cli("status", "--db", db, "-f", "json")
    reasons = {row["url"]: row.get("reason") for row in json.loads(status.stdout)}
    for path in ("/to-root/deep/page", "/to-login", "/elsewhere/page"):
        assert reasons[site.url(path)] == "soft-404", reasons


def test_a_harmful_move_in_the_db_is_refused_by_apply_redirects(tmp_path: Path, site: Site) -> None:
    # A redirect recorded before the checker knew better (or by hand) is still refused.
    src, db, _ = prepare(tmp_path, make_list(site))
    import sqlite3

    with sqlite3.connect(db) as conn:
        conn.execute(
            "UPDATE url_state SET state = 'ok', last_outcome = 'redirected', final_url = ?,"
            " reason = NULL"
            " WHERE url_id = (SELECT id FROM url WHERE normalized = ?)",
            (site.url("/"), site.url("/to-root/deep/page")),
        )
        conn.execute(
            "UPDATE check_result SET outcome = 'redirected', final_url = ?, reason = NULL"
            " WHERE url_id = (SELECT id FROM url WHERE normalized = ?)",
            (site.url("/"), site.url("/to-root/deep/page")),
        )
    r = run_cli("apply-redirects", "--write", "--db", db)
    assert r.code == 0, r.stderr
    assert "refused: " in r.stderr and "(likely soft 404)" in r.stderr, r.stderr
    assert site.url("/to-root/deep/page") in src.read_text(encoding="utf-8")


def test_write_refuses_a_file_changed_since_import(tmp_path: Path, site: Site) -> None:
    src, db, _ = prepare(tmp_path, make_list(site))
    edited = src.read_bytes() + b"- [New](https://example.org/n) - added by hand.\n"
    src.write_bytes(edited)
    links = hrefs(db)
    r = run_cli("apply-redirects", "--write", "--db", db)
    assert r.code == 2
    assert r.stderr.strip() == (
        f"Error: {src} changed since it was imported; run `curator import {src}` first"
    )
    assert src.read_bytes() == edited and hrefs(db) == links
    assert "no fixes applied yet" in run_cli("apply-redirects", "--log", "--db", db).stdout


def test_db_only_fix_then_reimport_reports_the_conflict(tmp_path: Path, site: Site) -> None:
    src, db, _ = prepare(tmp_path, make_list(site))
    old, new = site.url("/old"), site.url("/new")
    r = run_cli("set-url", old, new, "--db-only", "--db", db)
    assert r.code == 0, r.stderr
    assert src.read_text(encoding="utf-8").count(old) == 2  # the file is not touched
    src.write_text(make_list(site) + "- [Zeta](https://example.org/z) - new.\n", "utf-8")

    r = run_cli("import", src, "--db", db)
    assert r.code == 0, r.stderr
    conflicts = r.stderr.splitlines()
    assert conflicts == [
        f"conflict: {src}:6 has {old}, the DB has {new} "
        "(kept the DB's; `curator import --theirs` takes the file's)",
        f"conflict: {src}:11 has {old}, the DB has {new} "
        "(kept the DB's; `curator import --theirs` takes the file's)",
    ]
    assert old not in hrefs(db) and hrefs(db).count(new) == 2

    r = run_cli("import", src, "--theirs", "--db", db)
    assert r.code == 0 and "took the file's (--theirs)" in r.stderr
    assert new not in hrefs(db) and hrefs(db).count(old) == 2
    assert run_cli("import", src, "--db", db).stderr == ""  # nothing left to disagree on


def test_set_url_previews_by_default_and_writes_with_write(tmp_path: Path, site: Site) -> None:
    src, db, before = prepare(tmp_path, make_list(site))
    old, new = site.url("/fine"), "https://example.org/fine"
    r = run_cli("set-url", old, new, "--db", db)
    assert r.code == 0, r.stderr
    assert f"+- [Alpha]({new}) - 不动。" in r.stdout and "would point" in r.stdout
    assert src.read_bytes() == before and old in hrefs(db)
    both = run_cli("set-url", old, new, "--write", "--db-only", "--db", db)
    assert both.code == 2 and "exclude each other" in both.stderr
    r = run_cli("set-url", old, new, "--write", "--db", db)
    assert r.code == 0, r.stderr
    assert changed_lines(before, src.read_bytes()) == [
        (f"- [Alpha]({old}) - 不动。\n".encode(), f"- [Alpha]({new}) - 不动。\n".encode())
    ]
    assert "unchanged" in run_cli("import", src, "--db", db).stdout
    # The entry keeps its id (and tags) when the file is edited and imported later.
    ids = run_cli("list", "--format", "csv", "--db", db).stdout
    src.write_bytes(src.read_bytes() + b"- [Eta](https://example.org/e) - more.\n")
    r = run_cli("import", src, "--db", db)
    assert "+1 -0" in r.stdout, r.stdout
    assert run_cli("list", "--format", "csv", "--db", db).stdout.startswith(ids.rstrip("\n"))


def test_report_lists_home_and_login_redirects_as_likely_soft_404s(
    tmp_path: Path, site: Site
) -> None:
    _, db, _ = prepare(tmp_path, make_list(site))
    r = run_cli("report", "--db", db)
    assert r.code == 0, r.stderr
    moved, _, failing = r.stdout.partition("Failing, not confirmed yet")
    assert failing, r.stdout
    assert site.url("/old") in moved and site.url("/to-root/deep/page") not in moved
    for path in ("/to-root/deep/page", "/to-login", "/elsewhere/page"):
        assert site.url(path) in failing
    assert failing.count("soft-404") >= 3, failing
    assert site.url("/old") not in failing
