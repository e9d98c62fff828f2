"""Chunked parsing on several processes gives exactly what one process gives."""

from __future__ import annotations

import pytest
from conftest import SEEDS

import curator.parse.parallel as parallel
from curator.parse import ParsedDocument, parse_markdown


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
