"""`curator db copy` between SQLite and a real PostgreSQL: every table, ids and history kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.support.cli import LISTS, SEEDS, run_cli
from tests.support.dbsnap import core_rows, db_snapshot
from tests.support.local_site import serve_site

pytestmark = pytest.mark.slow


def _ok(*args: str | Path) -> str:
    r = run_cli(*args)
    assert r.code == 0, (args, r.stderr)
    return r.stdout


def test_sqlite_to_postgres_and_back_keeps_every_row(tmp_path: Path, pg_url: str) -> None:
    first, back = tmp_path / "first.db", tmp_path / "back.db"
    _ok("import", LISTS, "--db", first)
    _ok("import", "--as", "deep_learning_system", SEEDS["dls"], "--db", first)  # a 2nd version
    _ok("tag", "--db", first)
    _ok("exclude", "add", "https://*.example.com/*", "--reason", "test", "--db", first)
    said = _ok("db", "copy", first, pg_url)
    assert said.startswith(f"{first} copied into postgresql+psycopg://postgres@")
    _ok("db", "copy", pg_url, back)

    original = core_rows(first)
    assert all(original[t] for t in ("source_version", "entry", "link", "url", "tag", "exclusion"))
    assert core_rows(pg_url) == original
    assert core_rows(back) == original
    # the same exports from all three
    outs = {}
    for name, db in (("first", str(first)), ("pg", pg_url), ("back", str(back))):
        _ok("export", "--out", tmp_path / name, "--db", db)
        outs[name] = {
            p.relative_to(tmp_path / name): p.read_bytes()
            for p in sorted((tmp_path / name).rglob("*.md"))
        }
    assert outs["pg"] == outs["first"] == outs["back"]


def test_ids_continue_after_a_copy_to_postgres(tmp_path: Path, pg_url: str) -> None:
    src = tmp_path / "src.db"
    _ok("import", SEEDS["frameworks"], "--db", src)
    _ok("tag", "--db", src)
    _ok("db", "copy", src, pg_url)
    tags = len(core_rows(pg_url)["tag"])
    _ok("tag", "add", "1", "mytag", "--db", pg_url)  # ORM insert: the sequence must be past max
    _ok("exclude", "add", "https://a.example/*", "--reason", "r", "--db", pg_url)
    rows = core_rows(pg_url)
    assert len(rows["tag"]) == tags + 1
    assert rows["tag"][-1][0] == max(r[0] for r in rows["tag"][:-1]) + 1


def test_non_empty_destination_is_refused_unless_replace(tmp_path: Path, pg_url: str) -> None:
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    _ok("import", SEEDS["study"], "--db", a)
    _ok("import", SEEDS["models"], "--db", b)
    _ok("db", "copy", a, pg_url)
    before_pg, before_b = core_rows(pg_url), db_snapshot(b)

    r = run_cli("db", "copy", b, pg_url)
    assert r.code == 2
    assert "is not empty" in r.stderr and "--replace" in r.stderr
    assert core_rows(pg_url) == before_pg
    r = run_cli("db", "copy", pg_url, b)
    assert r.code == 2
    assert db_snapshot(b) == before_b

    _ok("db", "copy", "--replace", b, pg_url)
    assert core_rows(pg_url) == core_rows(b)


def test_bad_copies_write_nothing(tmp_path: Path) -> None:
    src = tmp_path / "src.db"
    _ok("import", SEEDS["study"], "--db", src)
    for args in (
        (src, src),
        (tmp_path / "missing.db", tmp_path / "new.db"),
        (src, "mysql://u:pw@h/db"),
    ):
        r = run_cli("db", "copy", *args)
        assert r.code == 2, (args, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1
    left = sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(("-wal", "-shm")))
    assert left == ["src.db"]


def test_check_history_survives_the_round_trip(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Runs, check results and URL states (made by `curator check` on SQLite, the only DB
    it runs on so far) copy to PostgreSQL and back; exports show the same broken links."""
    first, back = tmp_path / "first.db", tmp_path / "back.db"
    with serve_site() as site:
        site.status = {"/fine": 200, "/moved": 301}
        site.location = {"/moved": site.url("/fine")}
        lst = tmp_path / "awesome.md"
        lst.write_text(
            "# Things\n\n## Reading\n\n"
            + "".join(
                f"- [{p}]({site.url('/' + p)}) - about {p}.\n" for p in ("fine", "gone", "moved")
            ),
            encoding="utf-8",
        )
        _ok("import", lst, "--db", first)
        day0 = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)
        for day in range(3):
            monkeypatch.setenv("CURATOR_NOW", (day0 + timedelta(days=day)).isoformat())
            r = run_cli("check", "--allow-private", "--db", first)
            assert r.code in (0, 1), r.stderr
    original = core_rows(first)
    assert len(original["run"]) == 3 and len(original["check_result"]) == 9
    assert "broken" in {row[1] for row in original["url_state"]}
    _ok("db", "copy", first, pg_url)
    _ok("db", "copy", pg_url, back)
    assert core_rows(pg_url) == original
    assert core_rows(back) == original
    pages = {}
    for name, db in (("first", str(first)), ("pg", pg_url), ("back", str(back))):
        _ok("export", "--out", tmp_path / name, "--db", db)
        pages[name] = (tmp_path / name / "README.md").read_text(encoding="utf-8")
    assert "💀" in pages["first"]
    assert pages["pg"] == pages["first"] == pages["back"]
