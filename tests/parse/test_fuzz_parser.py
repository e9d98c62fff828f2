"""Property tests: nasty Markdown never crashes the import, loses no link, round-trips.

The oracle (`strategies.web_hrefs_seen`) walks markdown-it-py's own tokens: every http(s)
href/src it finds outside code must end up as a `Link.href` in the DB. A bounded number of
examples runs here; `tools/fuzz_import.py` runs the same properties on >= 100,000 inputs.
The regression cases at the bottom are bugs the fuzzer found (see CHANGELOG).
"""

from __future__ import annotations

import codecs
import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from curator.errors import InputError
from curator.ingest.importer import import_paths
from curator.parse import decode_bytes
from curator.store.connect import open_engine
from curator.urls import LinkKind, classify
from tests.support.dbsnap import db_snapshot
from tests.support.strategies import (
    ENCODINGS,
    check_import,
    check_parse,
    check_round_trip,
    markdown_docs,
    parsed_hrefs,
    web_hrefs_seen,
)

FUZZ = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
BIG_LIST = "# Big\n\n" + "\n".join(f"- [Item {i}](https://ex.com/{i}) - n" for i in range(10_000))


@settings(FUZZ, max_examples=300)
@given(markdown_docs())
def test_parse_never_raises_and_keeps_every_web_link(text: str) -> None:
    check_parse(text)


@settings(FUZZ, max_examples=100)
@given(markdown_docs(), st.sampled_from(ENCODINGS))
def test_unchanged_text_round_trips_byte_for_byte(text: str, encoding: str) -> None:
    check_round_trip(text, encoding)


@settings(FUZZ, max_examples=40)
@given(markdown_docs(), st.sampled_from(ENCODINGS), st.booleans())
@example(BIG_LIST, "utf-8", False)
def test_import_never_raises_keeps_links_and_round_trips(
    text: str, encoding: str, chunked: bool
) -> None:
    check_import(text, encoding, chunked)


# -- truly arbitrary input, not only Markdown-shaped -------------------------------------
@settings(FUZZ, max_examples=200)
@given(st.text(), st.sampled_from(ENCODINGS))
@example("\r\n\r\u2028\x85\ufeff- [a](https://a.example/)\r", "utf-8-sig")
def test_arbitrary_text_parses_and_round_trips(text: str, encoding: str) -> None:
    check_parse(text)  # parse_markdown never raises and keeps every web link
    check_round_trip(text, encoding)


@pytest.fixture(scope="module")
def stocked_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One DB with one imported list, built once: @given reruns the test body many times."""
    root = tmp_path_factory.mktemp("fuzz-bytes")
    seed = root / "seed.md"
    seed.write_text("# Tools\n\n- [One](https://one.example/) - first\n", encoding="utf-8")
    engine = open_engine(root / "stocked.db")
    try:
        import_paths(engine, [seed])
    finally:
        engine.dispose()
    return root / "stocked.db"


@settings(FUZZ, max_examples=100)
@given(st.binary(max_size=4096))
@example(b"")
@example(b"\x00" * 64)
@example(codecs.BOM_UTF16_LE + b"\x00\xd8")  # a lone surrogate after a UTF-16 BOM
@example("# 列表\n\n- [一](https://a.example/)\n".encode("gbk"))  # a legacy encoding
@example(b"- [x](https://x.example/)\n")  # a list that imports
def test_arbitrary_bytes_import_or_are_refused_cleanly(stocked_db: Path, data: bytes) -> None:
    try:
        decoded = decode_bytes(data, "fuzz.md")
    except InputError:
        pass
    else:
        assert decoded.text.encode(decoded.encoding) == data, "decoding does not round-trip"
    with tempfile.TemporaryDirectory(dir=stocked_db.parent) as tmp:
        db, path = Path(tmp) / "c.db", Path(tmp) / "fuzz.md"
        with closing(sqlite3.connect(stocked_db)) as src, closing(sqlite3.connect(db)) as dst:
            src.backup(dst)  # a fresh copy per example: examples must not depend on each other
        path.write_bytes(data)
        before = db_snapshot(db)
        engine = open_engine(db)
        try:
            import_paths(engine, [path])
        except InputError:
            assert db_snapshot(db) == before, "a refused import changed the DB"
        finally:
            engine.dispose()


# -- regressions found by the fuzzer ----------------------------------------------------
REGRESSIONS = {
    "heading inside a list item": ("- ## https://example.com GPU\n", "https://example.com"),
    "heading link inside a list item": ("1. ### [t](http://a.example/x)\n", "http://a.example/x"),
    "category heading with a link": ("## Tools [docs](https://d.example/)\n", "https://d.example/"),
    "badge in a category heading": (
        "# Awesome [![a](https://awesome.re/badge.svg)](https://awesome.re)\n",
        "https://awesome.re",
    ),
    "link in a table header": ("| [h](https://h.example/) | b |\n|---|---|\n| c | d |\n", None),
    "unclosed <a> in an HTML block": ('<p><a href="https://u.example/">GPU</p>\n', None),
    "nested <a> in an HTML block": (
        '<div><a href="https://one.example/">x<a href="https://two.example/">y</a></div>\n',
        "https://one.example/",
    ),
    "ToC-like list whose HTML holds a web image": (
        '2) <img src="https://i.example/" alt="x">\n2) <a href="#a">y</a>\n',
        "https://i.example/",
    ),
}


@pytest.mark.parametrize("name", list(REGRESSIONS))
def test_fuzzer_regressions_keep_the_link(name: str) -> None:
    text, href = REGRESSIONS[name]
    seen = web_hrefs_seen(text)
    assert seen, "the oracle must see a link here"
    if href is not None:
        assert href in seen
    assert not seen - parsed_hrefs(text)


def test_classify_survives_unbalanced_bracket_in_host() -> None:
    # An autolinker once produced `http://1.1,](`; urlsplit raises on it.
    assert classify("http://1.1,](") == LinkKind.WEB
