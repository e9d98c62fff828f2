"""The store's query functions on real SQLite files: what each returns and writes.

A small list is imported through the CLI (so the rows are what curator really stores);
each test then calls store functions on a plain sqlite3 connection, as `curator check`
does, and reads the tables back with SQL of its own.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from curator.errors import NotFoundError
from curator.store import (
    categories,
    entries,
    exclusions,
    exportstate,
    links,
    results,
    runs,
    sources,
    urlstate,
    versions,
)
from curator.store.dbapi import connect, transaction
from curator.store.kinds import LinkState, Outcome, RunKind, RunStatus
from tests.support.cli import run_cli

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
LIST = """# Tools

## Editors

- [Vim](https://vim.example/) - the editor. [mirror](https://web.archive.org/web/2020/https://vim.example/)
- [Emacs](https://emacs.example/docs?utm_source=x) - another one.
- [Docs](./docs/guide.md) - local.

## Shells

- [Zsh](https://zsh.example/) - a shell, also [at vim](https://VIM.example).
"""


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "c.db"
    src = tmp_path / "tools.md"
    src.write_text(LIST, encoding="utf-8")
    r = run_cli("import", src, "--db", path)
    assert r.code == 0, r.stderr
    return path


@pytest.fixture
def conn(db: Path) -> Iterator[sqlite3.Connection]:
    c = connect(db)
    try:
        yield c
    finally:
        c.close()


def url_id(conn: sqlite3.Connection, normalized: str) -> int:
    row = conn.execute("SELECT id FROM url WHERE normalized = ?", (normalized,)).fetchone()
    assert row is not None, normalized
    return int(row[0])


def test_sources(conn: sqlite3.Connection) -> None:
    assert sources.has_sources(conn)
    assert sources.source_id(conn, None) is None
    sid = sources.source_id(conn, "tools")
    assert sources.source_names(conn) == {sid: "tools"}
    assert [s.name for s in sources.sources_by_name(conn)] == ["tools"]
    assert sources.sources_by_name(conn, "nope") == []
    assert sources.source_paths(conn)[sid].endswith("tools.md")
    with pytest.raises(NotFoundError, match=r"no source named 'nope' \(known: tools\)"):
        sources.source_id(conn, "nope")


def test_web_and_local_groups(conn: sqlite3.Connection) -> None:
    groups = links.web_groups(conn, None)
    by_norm = {g.normalized: g for g in groups}
    vim = by_norm["https://vim.example/"]
    sid = sources.source_id(conn, "tools")
    # two links (the Vim entry, the Zsh entry's "at vim"): one group, both 1-based lines
    assert sorted(vim.where.split(",")) == [f"{sid}:11", f"{sid}:5"]
    assert by_norm["https://emacs.example/docs"].url == "https://emacs.example/docs?utm_source=x"
    assert not any(g.ignored for g in groups)
    assert [g.url_id for g in groups] == sorted(g.url_id for g in groups)
    assert [lg.href for lg in links.local_groups(conn, None)] == ["./docs/guide.md"]
    assert links.web_groups(conn, sid) == groups
    urls, hosts = links.url_and_host_counts(conn)
    # vim, emacs, zsh and the archive copy: four URLs on four hosts
    assert (
        (urls, hosts) == (4, 4) == (len(groups), len({g.url.split("/")[2].lower() for g in groups}))
    )


def test_links_of_entries_linking(conn: sqlite3.Connection) -> None:
    vim = url_id(conn, "https://vim.example/")
    found = links.links_of_entries_linking(conn, [vim])
    hrefs = [lk.href for lk in found]
    # both entries that link vim, every link of each, in document order
    assert hrefs == [
        "https://vim.example/",
        "https://web.archive.org/web/2020/https://vim.example/",
        "https://zsh.example/",
        "https://VIM.example",
    ]
    assert links.links_of_entries_linking(conn, []) == []


def test_set_url_primitives(conn: sqlite3.Connection) -> None:
    with transaction(conn, write=True):
        found = links.live_links_to(conn, "https://vim.example", "https://vim.example/", None)
        assert len(found) == 2 and {lk.role for lk in found} == {"main", "sub"}
        new_id = links.ensure_url(
            conn, "https://neovim.example/", "https://neovim.example", "neovim.example"
        )
        assert links.ensure_url(conn, "https://neovim.example/", "x", "x") == new_id  # found
        links.repoint_links(conn, found, "https://neovim.example", new_id)
    rows = conn.execute("SELECT href, url_id FROM link WHERE url_id = ?", (new_id,)).fetchall()
    assert rows == [("https://neovim.example", new_id)] * 2
    # only the entry whose main link moved gets a new url
    assert conn.execute(
        "SELECT title FROM entry WHERE url = 'https://neovim.example'"
    ).fetchall() == [("Vim",)]


def test_url_state_round_trip_keeps_archived_url(conn: sqlite3.Connection) -> None:
    vim = url_id(conn, "https://vim.example/")
    row = urlstate.StateRow(
        vim, LinkState.SUSPECT.value, Outcome.GONE.value, 404, T0, 1, 0, None, T0,
        None, "Vim", None, False,
    )  # fmt: skip
    with transaction(conn, write=True):
        urlstate.upsert_states(conn, [row])
        conn.execute(
            "UPDATE url_state SET archived_url = 'https://a.example/' WHERE url_id = ?", (vim,)
        )
    assert urlstate.states_of(conn, [vim]) == {vim: row}
    later = row._replace(
        state=LinkState.BROKEN.value, consecutive_failures=2, last_checked_at=T0 + timedelta(days=3)
    )
    with transaction(conn, write=True):
        urlstate.upsert_states(conn, [later])
    assert urlstate.states_of(conn, [vim, 99999]) == {vim: later}
    assert conn.execute("SELECT archived_url FROM url_state").fetchall() == [
        ("https://a.example/",)
    ]


def test_redirected_urls(conn: sqlite3.Connection) -> None:
    vim, zsh = url_id(conn, "https://vim.example/"), url_id(conn, "https://zsh.example/")
    base = urlstate.StateRow(vim, "ok", Outcome.REDIRECTED.value, 200, None, 0, 0, T0, T0,
                             "https://vim.example/new", None, None, False)  # fmt: skip
    with transaction(conn, write=True):
        urlstate.upsert_states(conn, [base, base._replace(url_id=zsh, last_outcome="ok")])
    [(spelling,)] = conn.execute("SELECT url FROM url WHERE id = ?", (vim,)).fetchall()
    assert urlstate.redirected_urls(conn) == [
        urlstate.Redirected(spelling, "https://vim.example/", "https://vim.example/new")
    ]


def test_results_and_runs(db: Path, conn: sqlite3.Connection) -> None:
    vim = url_id(conn, "https://vim.example/")
    run_id = runs.start_run(db, RunKind.CHECK, {"budget": 3}, T0)
    hop = {"url": "https://b/", "status": 301}
    rows = [
        results.ResultRow(vim, run_id, T0, 200, "ok", None, [], 1500, 1, None, "Vim", None),
        results.ResultRow(
            vim, run_id, T0, 301, "redirected", "https://b/", [hop], 20, 2, None, None, None
        ),
    ]
    with transaction(conn, write=True):
        results.insert_results(conn, rows)
    assert results.last_elapsed_ms(conn, [vim, 4242]) == {vim: 20}
    stored = conn.execute("SELECT redirects, checked_at FROM check_result ORDER BY id").fetchall()
    assert stored == [
        ("[]", "2024-05-01 12:00:00.000000"),
        ('[{"url": "https://b/", "status": 301}]', "2024-05-01 12:00:00.000000"),
    ]
    runs.finish_run(db, run_id, {"checked": 2}, RunStatus.DONE, T0 + timedelta(minutes=1))
    row = conn.execute(
        "SELECT kind, status, counts, arguments FROM run WHERE id = ?", (run_id,)
    ).fetchone()
    assert row == ("check", "done", '{"checked": 2}', '{"budget": 3}')


def test_exclusions(conn: sqlite3.Connection) -> None:
    with transaction(conn, write=True):
        assert exclusions.save_exclusion(conn, "https://b.example/*", "flaky", None, T0)
        assert not exclusions.save_exclusion(
            conn, "https://b.example/*", "gone", T0 + timedelta(days=1), T0
        )
        assert exclusions.save_exclusion(conn, "re:^https://a", "", None, T0)
    assert exclusions.exclusion_rows(conn) == [
        exclusions.ExclusionRow("https://b.example/*", "gone", T0 + timedelta(days=1), T0),
        exclusions.ExclusionRow("re:^https://a", "", None, T0),
    ]
    with transaction(conn, write=True):
        assert exclusions.delete_exclusion(conn, "re:^https://a")
        assert not exclusions.delete_exclusion(conn, "re:^https://a")
    assert [r.pattern for r in exclusions.exclusion_rows(conn)] == ["https://b.example/*"]


def test_export_snapshots(conn: sqlite3.Connection) -> None:
    assert exportstate.latest_snapshots(conn, 2) == []
    with transaction(conn, write=True):
        exportstate.save_snapshot(conn, ["1\ttools\tVim"], [], T0)
        exportstate.save_snapshot(
            conn, ["1\ttools\tVim", "2\ttools\tZsh"], ["https://z/"], T0 + timedelta(hours=1)
        )
    newest, older = exportstate.latest_snapshots(conn, 2)
    assert newest == exportstate.ExportSnapshot(
        T0 + timedelta(hours=1), ("1\ttools\tVim", "2\ttools\tZsh"), ("https://z/",)
    )
    assert older.entries == ("1\ttools\tVim",) and older.broken == ()
    assert len(exportstate.latest_snapshots(conn, 1)) == 1


def test_categories_and_overrides(conn: sqlite3.Connection) -> None:
    paths = categories.live_entry_paths(conn, ["bullet"])
    assert [(p.title, p.category) for p in paths] == [
        ("Vim", ("Tools", "Editors")),
        ("Emacs", ("Tools", "Editors")),
        ("Docs", ("Tools", "Editors")),
        ("Zsh", ("Tools", "Shells")),
    ]
    vim = paths[0].entry_id
    assert categories.live_entry(conn, vim) == categories.EntryBrief(
        vim, "Vim", ("Tools", "Editors")
    )
    assert categories.live_entry(conn, 99999) is None
    with transaction(conn, write=True):
        categories.set_category_override(conn, vim, "tools")
        categories.set_category_override(conn, vim, "editors")  # an upsert
    assert categories.category_overrides(conn) == {vim: "editors"}
    with transaction(conn, write=True):
        categories.set_category_override(conn, vim, None)
    assert categories.category_overrides(conn) == {}


def test_versions_and_edited_entries(conn: sqlite3.Connection) -> None:
    stored = versions.versions_of(conn, "tools")
    assert stored.current == 1 and list(stored.by_number) == [1]
    assert stored.by_number[1].text == LIST
    [(vid,)] = conn.execute("SELECT current_version_id FROM source").fetchall()
    assert versions.version_text(conn, vid) == versions.StoredText(LIST, "utf-8")
    assert versions.version_text(conn, None) is None
    with pytest.raises(NotFoundError):
        versions.versions_of(conn, "nope")
    sid = sources.source_id(conn, "tools")
    assert sid is not None
    assert entries.edited_entries(conn, sid) == []
    conn.execute(
        "UPDATE link SET href = 'https://zsh.example/new' WHERE href = 'https://zsh.example/'"
    )
    [edited] = entries.edited_entries(conn, sid)
    assert edited.title == "Zsh"
    assert [(lk.orig_href, lk.href) for lk in entries.edited_links(conn, edited.id)] == [
        ("https://zsh.example/", "https://zsh.example/new")
    ]


def test_plain_dbapi_column_lists_follow_the_schema() -> None:
    """The check path's row types are its column lists; they must match schema.py (which
    it may not import: SQLAlchemy stays unloaded on `curator check`)."""
    from curator.store.schema import CheckResult, UrlState

    state_cols = [c.name for c in UrlState.__table__.columns]  # type: ignore[attr-defined]
    assert [c for c in state_cols if c not in urlstate.NOT_WRITTEN_HERE] == list(urlstate.COLUMNS)
    result_cols = [c.name for c in CheckResult.__table__.columns]  # type: ignore[attr-defined]
    assert result_cols == ["id", *results.COLUMNS]


def test_the_schema_revision_is_written_once() -> None:
    from curator.store import dbapi, migrate

    assert migrate.HEAD is dbapi.SCHEMA_HEAD
    assert migrate.script_head() == dbapi.SCHEMA_HEAD
