"""Archived copies the lists already link to: shown next to 💀 in `curator report` and in the
category export, found without any network call (the checks here are scripted)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from curator.check.runner import CheckOptions, run_check
from curator.check.types import CheckConfig, FetchResult, Outcome
from curator.curate.archives import archive_target, match_archives
from curator.store.connect import open_engine
from tests.support.cli import run_cli

DAY0 = datetime(2025, 3, 3, 6, 0, tzinfo=UTC)
WAYBACK = "https://web.archive.org/web/2020/https://x.example/a"
SHORT = "https://archive.ph/AbCd1"
LIST = f"""# Reading list

## Papers

- [Gone paper](https://x.example/a) - dead now, see the [archive]({WAYBACK}).
- [No copy](https://y.example/b) - dead too, nothing archived.
- [Short](https://z.example/c) - dead, [archived]({SHORT}).
- [Fine](https://ok.example/) - alive, [archive](https://web.archive.org/web/2021/https://ok.example/).
"""


async def engine_fn(
    urls: Sequence[str],
    config: CheckConfig,
    on_result: Callable[[FetchResult], None],
    stop: asyncio.Event | None = None,
) -> None:
    """404 for x/y/z.example, 200 for everything else (the archives too): no network."""
    for url in urls:
        if url.split("/")[2] in {"x.example", "y.example", "z.example"}:
            on_result(FetchResult(url, Outcome.GONE, 404, url))
        else:
            on_result(FetchResult(url, Outcome.OK, 200, url))


@pytest.fixture
def broken_db(tmp_path: Path) -> Path:
    src = tmp_path / "reading.md"
    src.write_text(LIST, encoding="utf-8")
    db = tmp_path / "c.db"
    assert run_cli("import", src, "--db", db).code == 0
    for day in (0, 3):  # gone twice, 3 days apart: confirmed broken
        options = CheckOptions(now=DAY0 + timedelta(days=day), max_age=timedelta(0))
        run_check(open_engine(db), options, engine_fn=engine_fn)
    return db


def test_report_shows_the_archived_copy_of_a_broken_link(broken_db: Path) -> None:
    r = run_cli("report", "--no-github", "--db", broken_db)
    assert r.code == 0, r.stderr
    rows = {
        m.group(1): line
        for line in r.stdout.splitlines()
        if (m := re.match(r"\| <(https://[xyz]\.example/\w)>", line))
    }
    assert set(rows) == {"https://x.example/a", "https://y.example/b", "https://z.example/c"}
    assert rows["https://x.example/a"].endswith(f"| [archived]({WAYBACK}) |")
    assert rows["https://z.example/c"].endswith(f"| [archived]({SHORT}) |")
    assert rows["https://y.example/b"].endswith("| – |")
    data = run_cli("report", "--no-github", "--format", "json", "--db", broken_db).stdout
    assert f'"archived_url": "{WAYBACK}"' in data


def test_category_export_puts_the_archived_copy_next_to_the_skull(
    broken_db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "exports"
    r = run_cli("export", "--out", out, "--db", broken_db)
    assert r.code == 0, r.stderr
    lines = [
        line
        for page in sorted(out.glob("*.md"))
        if page.name not in {"README.md", "CHANGES.md"}
        for line in page.read_text(encoding="utf-8").splitlines()
    ]
    gone = next(line for line in lines if "[Gone paper](" in line)
    assert f"(https://x.example/a) 💀 [archived copy]({WAYBACK})" in gone
    short = next(line for line in lines if "[Short](" in line)
    assert f"(https://z.example/c) 💀 [archived copy]({SHORT})" in short
    no_copy = next(line for line in lines if "[No copy](" in line)
    assert "💀" in no_copy and "archived copy" not in no_copy
    fine = next(line for line in lines if "[Fine](" in line)
    assert "💀" not in fine and "archived copy" not in fine


def test_archive_links_are_recognised_by_their_shape() -> None:
    assert archive_target(WAYBACK) == "https://x.example/a"
    assert archive_target("https://web.archive.org/web/2020id_/x.example/a") == (
        "http://x.example/a"
    )
    assert archive_target("https://archive.ph/2020.01.01/https://x.example/a") == (
        "https://x.example/a"
    )
    assert archive_target("https://archive.today/newest/https://x.example/a") == (
        "https://x.example/a"
    )
    assert archive_target(SHORT) == ""  # a copy of something: the entry's main link
    assert archive_target("https://archive.org/details/some-upload") is None
    assert archive_target("https://x.example/archive.html") is None
    # Matched within an entry only, by URL (http/https and trailing slash aside).
    entries = [
        [
            (1, "https://x.example/a/", "main"),
            (9, "http://web.archive.org/web/1/x.example/a", "sub"),
        ],
        [(2, "https://y.example/b", "main"), (3, "https://y.example/docs", "sub")],
        [(4, "https://z.example/c", "main"), (8, SHORT, "sub")],
        [
            (5, "https://w.example/", "main"),
            (6, "https://web.archive.org/web/1/other.example/", "sub"),
        ],
    ]
    assert match_archives(entries) == {
        1: "http://web.archive.org/web/1/x.example/a",
        4: SHORT,
    }
