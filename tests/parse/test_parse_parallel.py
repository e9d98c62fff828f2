"""Chunked parsing on several processes gives exactly what one process gives, and so
does an import that stores a list while its last chunks are still being parsed."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest

import curator.parse.parallel as parallel
from curator.errors import InputError
from curator.ingest.importer import import_paths
from curator.parse import ParsedDocument, parse_markdown
from curator.store.connect import open_engine
from curator.util import perf
from tests.support.cli import SEEDS


def _key(doc: ParsedDocument) -> list[tuple[object, ...]]:
    return [
        (
            e.index,
            e.kind,
            e.title,
            e.url,
            e.category,
            e.line_start,
            e.line_end,
            e.parent,
            tuple(e.links),
            e.notes,
            e.description,
            e.ignored,
        )
        for e in doc.entries
    ]


@pytest.fixture(autouse=True)
def _always_split(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "PARALLEL_MIN_CHARS", 0)


@pytest.mark.parametrize("key", ["dls", "models", "frameworks"])
def test_seed_chunks_match_serial_parse(key: str) -> None:
    text = SEEDS[key].read_text(encoding="utf-8")
    serial = parse_markdown(text)
    split = parallel.parse_document(text, workers=3)
    assert _key(split) == _key(serial)
    assert split.categories == serial.categories
    assert split.headings == serial.headings


def test_cuts_avoid_code_comments_and_keep_references() -> None:
    text = (
        "# Top\n\n## A\n\n- [a][r1]\n\n```\n\n# not a heading\n\n```\n\n"
        "<!--\n\n# commented out\n\n-->\n\n### A.1\n\n- [b](https://b.example/)\n\n"
        "## B\n\n- [c][r2]\n- [d][r1]\n\n[r1]: https://r1.example/\n[r2]: https://r2.example/\n"
    )
    lines = text.splitlines(keepends=True)
    cuts, refs = parallel.split_points(lines, 4)
    assert all(not lines[c].startswith("# not") and not lines[c].startswith("# comm") for c in cuts)
    assert set(refs) == {"R1", "R2"}
    serial = parse_markdown(text)
    split = parallel.parse_document(text, workers=4)
    assert _key(split) == _key(serial)
    assert [e.url for e in split.curated] == [
        "https://r1.example/",
        "https://b.example/",
        "https://r2.example/",
        "https://r1.example/",
    ]
    assert split.curated[1].category == ("Top", "A", "A.1")
    assert split.curated[2].category == ("Top", "B")


def _rows(db: Path) -> dict[str, list[tuple[object, ...]]]:
    with closing(sqlite3.connect(db)) as conn:
        return {
            "entry": conn.execute(
                "SELECT id, stable_key, kind, title, url, description, notes, category,"
                " parent_id, position, line_start, line_end, columns, ignored, removed_at"
                " FROM entry ORDER BY id"
            ).fetchall(),
            "link": conn.execute(
                "SELECT link.entry_id, url.normalized, href, text, kind, role, line, position,"
                " excluded FROM link LEFT JOIN url ON url.id = link.url_id"
                " ORDER BY entry_id, position"
            ).fetchall(),
            "category": conn.execute(
                "SELECT path, title, level, line, kind FROM category ORDER BY id"
            ).fetchall(),
        }


def test_streamed_import_stores_what_a_serial_parse_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last file is stored part by part while workers parse the rest: same rows, same
    diff on re-import as parsing it whole first."""
    now = datetime(2024, 1, 1, tzinfo=UTC)
    results = []
    for name, min_chars in (("serial", 10**9), ("streamed", 0)):
        monkeypatch.setattr(parallel, "PARALLEL_MIN_CHARS", min_chars)
        db = tmp_path / f"{name}.db"
        engine = open_engine(db)
        first = import_paths(engine, [SEEDS["v1"]], as_name="dls", now=now)
        second = import_paths(engine, [SEEDS["dls"]], as_name="dls", now=now)
        engine.dispose()
        results.append((first, second, _rows(db)))
    assert results[0] == results[1]


def test_streamed_import_of_prose_is_refused_and_rolled_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel, "PARALLEL_MIN_CHARS", 0)
    prose = tmp_path / "prose.md"
    prose.write_text("".join(f"# Part {k}\n\nJust words, no links.\n\n" for k in range(8)))
    engine = open_engine(tmp_path / "c.db")
    with pytest.raises(InputError, match="no list entries or links found"):
        import_paths(engine, [prose])
    with closing(sqlite3.connect(tmp_path / "c.db")) as conn:
        assert conn.execute("SELECT count(*) FROM source").fetchone() == (0,)


def test_map_split_gives_the_serial_result(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(perf, "SPLIT_MIN_ITEMS", 0)
    items = list(range(1001))
    assert perf.map_split(_squares, items) == _squares(items)


def _squares(items: list[int]) -> list[int]:
    return [i * i for i in items]
