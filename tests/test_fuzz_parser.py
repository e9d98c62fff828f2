"""Property tests: nasty Markdown never crashes the import, loses no link, round-trips.

The oracle (`strategies.web_hrefs_seen`) walks markdown-it-py's own tokens: every http(s)
href/src it finds outside code must end up as a `Link.href` in the DB. A bounded number of
examples runs here; `tools/fuzz_import.py` runs the same properties on >= 100,000 inputs.
The regression cases at the bottom are bugs the fuzzer found (see CHANGELOG).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from strategies import (
    ENCODINGS,
    check_import,
    check_parse,
    check_round_trip,
    markdown_docs,
    parsed_hrefs,
    web_hrefs_seen,
)

from curator.urls import LinkKind, classify

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
