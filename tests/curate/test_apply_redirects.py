"""`curator apply-redirects`: permanent redirects recorded by a (scripted) check become
`set-url` edits, so the round-trip export changes exactly the lines of those entries."""

from __future__ import annotations

import asyncio
import difflib
import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from curator.check.runner import CheckOptions, run_check
from curator.check.types import CheckConfig, FetchResult, Hop, Outcome
from curator.store.connect import open_engine
from tests.support.cli import run_cli

T0 = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
LIST = """# Reading

## Tools

- [Alpha](https://a.test/fine) - stays where it is.
- [Gamma](https://b.test/old) - moved for good.
- [Delta](https://c.test/page/?utm_source=feed) - "moves" to itself minus the tracking.
- [Eps](https://d.test/gone) - a 404, not a redirect.

## More

- [Gamma again](https://b.test/old) - the same URL in another entry.
"""
MOVES = {
    "https://b.test/old": "https://b.test/new",
    "https://c.test/page/?utm_source=feed": "https://c.test/page",
}


async def engine_fn(
    urls: Sequence[str],
    config: CheckConfig,
    on_result: Callable[[FetchResult], None],
    stop: asyncio.Event | None = None,
) -> None:
    """301 for the URLs in MOVES, 404 for /gone, 200 for the rest: no network."""
    for url in urls:
        if url in MOVES:
            final = MOVES[url]
            hops = (Hop(url, 301), Hop(final, 200))
            on_result(FetchResult(url, Outcome.REDIRECTED, 200, final, hops))
        elif url.endswith("/gone"):
            on_result(FetchResult(url, Outcome.GONE, 404, url))
        else:
            on_result(FetchResult(url, Outcome.OK, 200, url))


def setup(tmp_path: Path) -> tuple[Path, Path]:
    src = tmp_path / "reading.md"
    src.write_text(LIST, encoding="utf-8")
    db = tmp_path / "c.db"
    assert run_cli("import", src, "--db", db).code == 0
    run_check(open_engine(db), CheckOptions(now=T0), engine_fn=engine_fn)
    return src, db


def changed_lines(src: Path, out: Path) -> list[str]:
    before = src.read_text(encoding="utf-8").splitlines(keepends=True)
    after = (out / "sources" / src.name).read_text(encoding="utf-8").splitlines(keepends=True)
    return [
        ln
        for ln in difflib.unified_diff(before, after, n=0)
        if ln.startswith(("+", "-")) and not ln.startswith(("+++", "---"))
    ]


def links_snapshot(db: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT id, href, url_id FROM link ORDER BY id").fetchall()


def test_apply_redirects_rewrites_exactly_the_moved_entries(tmp_path: Path) -> None:
    src, db = setup(tmp_path)
    r = run_cli("apply-redirects", "--db-only", "--db", db)
    assert r.code == 0, r.stderr
    assert r.stdout.splitlines() == [
        "https://b.test/old -> https://b.test/new (2 entries)",
        "fix batch 1 (undo: curator apply-redirects --undo 1)",
        "1 URLs changed in 2 entries (1 redirects to the same URL skipped, 0 unusable,"
        " 0 refused as likely soft 404s)",
    ]
    assert run_cli("export", "--sources", "--out", tmp_path / "out", "--db", db).code == 0
    assert changed_lines(src, tmp_path / "out") == [
        "-- [Gamma](https://b.test/old) - moved for good.\n",
        "+- [Gamma](https://b.test/new) - moved for good.\n",
        "-- [Gamma again](https://b.test/old) - the same URL in another entry.\n",
        "+- [Gamma again](https://b.test/new) - the same URL in another entry.\n",
    ]

    # Nothing links to the old URL any more: a second run has nothing to do.
    snapshot = links_snapshot(db)
    again = run_cli("apply-redirects", "--db-only", "--db", db)
    assert again.code == 0, again.stderr
    assert again.stdout == (
        "0 URLs changed in 0 entries (1 redirects to the same URL skipped, 0 unusable,"
        " 0 refused as likely soft 404s)\n"
    )
    assert links_snapshot(db) == snapshot


def test_dry_run_changes_nothing(tmp_path: Path) -> None:
    src, db = setup(tmp_path)
    snapshot = links_snapshot(db)
    r = run_cli("apply-redirects", "--dry-run", "--db", db)
    assert r.code == 0, r.stderr
    assert r.stdout.splitlines() == [
        "https://b.test/old -> https://b.test/new (2 entries)",
        f"--- a/{src}",
        f"+++ b/{src}",
        "@@ -5,3 +5,3 @@",
        " - [Alpha](https://a.test/fine) - stays where it is.",
        "-- [Gamma](https://b.test/old) - moved for good.",
        "+- [Gamma](https://b.test/new) - moved for good.",
        ' - [Delta](https://c.test/page/?utm_source=feed) - "moves" to itself minus the tracking.',
        "@@ -11,2 +11,2 @@",
        " ",
        "-- [Gamma again](https://b.test/old) - the same URL in another entry.",
        "+- [Gamma again](https://b.test/new) - the same URL in another entry.",
        "1 URLs would change in 2 entries (1 redirects to the same URL skipped, 0 unusable,"
        " 0 refused as likely soft 404s)",
    ]
    assert src.read_text(encoding="utf-8") == LIST
    assert links_snapshot(db) == snapshot
    run_cli("export", "--sources", "--out", tmp_path / "out", "--db", db)
    assert changed_lines(src, tmp_path / "out") == []


def test_source_option_limits_the_change_and_unknown_source_is_an_error(
    tmp_path: Path,
) -> None:
    src, db = setup(tmp_path)
    other = tmp_path / "other.md"
    other.write_text("# Other\n\n- [Gamma](https://b.test/old) - here too.\n", encoding="utf-8")
    assert run_cli("import", other, "--db", db).code == 0
    r = run_cli("apply-redirects", "--source", "other", "--db-only", "--db", db)
    assert r.code == 0, r.stderr
    assert "https://b.test/old -> https://b.test/new (1 entries)" in r.stdout
    run_cli("export", "--sources", "--out", tmp_path / "out", "--db", db)
    assert changed_lines(src, tmp_path / "out") == []
    assert "b.test/new" in (tmp_path / "out" / "sources" / "other.md").read_text(encoding="utf-8")
    bad = run_cli("apply-redirects", "--source", "nope", "--db", db)
    assert (
        bad.code == 2
        and bad.stderr.strip() == "Error: no source named 'nope' (see `curator stats`)"
    )
