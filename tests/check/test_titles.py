"""Titles and descriptions from page heads: charsets (GBK, Big5), fallbacks, caps; the
capped decompressor that cuts gzip bombs."""

from __future__ import annotations

import gzip
import zlib

import pytest

from curator.check.http.body import CappedDecoder
from curator.check.http.titles import (
    MAX_TEXT,
    charset_from_content_type,
    decode_html,
    extract_meta,
)

GBK_TITLE = "深度学习系统：设计与实现 - 中文教程"
BIG5_TITLE = "深度學習系統：設計與實現 - 繁體中文教學"


def page(title: str, *, meta: str = "", extra: str = "") -> str:
    return (
        f"<!DOCTYPE html><html><head>{meta}"
        '<meta name="viewport" content="width=device-width">'
        f"<title>{title}</title>{extra}</head><body><p>正文</p></body></html>"
    )


@pytest.mark.parametrize("label", ["gbk", "GB2312", "gb18030"])
def test_gbk_title_from_the_http_charset(label: str) -> None:
    body = page(GBK_TITLE).encode("gbk")
    assert extract_meta(body, label).title == GBK_TITLE


def test_gbk_title_from_meta_charset() -> None:
    body = page(GBK_TITLE, meta='<meta charset="gb2312">').encode("gbk")
    assert extract_meta(body, None).title == GBK_TITLE


def test_gbk_title_from_http_equiv() -> None:
    meta = '<meta http-equiv="Content-Type" content="text/html; charset=gbk">'
    assert extract_meta(page(GBK_TITLE, meta=meta).encode("gbk")).title == GBK_TITLE


def test_gbk_title_detected_without_any_declaration() -> None:
    assert extract_meta(page(GBK_TITLE).encode("gbk")).title == GBK_TITLE


def test_big5_title_declared_and_detected() -> None:
    body = page(BIG5_TITLE).encode("big5")
    assert extract_meta(body, "big5").title == BIG5_TITLE
    assert extract_meta(body).title == BIG5_TITLE


def test_wrong_http_charset_falls_back_to_meta_then_detection() -> None:
    # A server that says UTF-8 in front of a GBK page: the strict decode fails, meta wins.
    body = page(GBK_TITLE, meta='<meta charset="gbk">').encode("gbk")
    assert extract_meta(body, "utf-8").title == GBK_TITLE


def test_unknown_charset_label_is_ignored() -> None:
    assert extract_meta(page("Plain").encode(), "x-no-such-charset").title == "Plain"


def test_body_cut_inside_a_multibyte_character_still_decodes() -> None:
    body = ("<html><head><title>" + GBK_TITLE).encode("gbk")
    assert extract_meta(body[:-1], "gbk").title == GBK_TITLE[:-1]


def test_og_title_is_the_fallback_and_description_falls_back_to_og() -> None:
    extra = (
        '<meta property="og:title" content="OG Title">'
        '<meta property="og:description" content="OG description">'
    )
    meta = extract_meta(page("", extra=extra).encode())
    assert meta.title == "OG Title"
    assert meta.description == "OG description"


def test_meta_description_wins_over_og_description() -> None:
    extra = (
        '<meta name="description" content="  Real\n  description ">'
        '<meta property="og:description" content="OG description">'
    )
    assert extract_meta(page("T", extra=extra).encode()).description == "Real description"


def test_title_whitespace_collapsed_entities_decoded_and_capped() -> None:
    meta = extract_meta(page("  A &amp;\n\t B  ").encode())
    assert meta.title == "A & B"
    long = extract_meta(page("x" * 1000).encode()).title
    assert long is not None and len(long) == MAX_TEXT


def test_page_without_title_or_meta() -> None:
    assert extract_meta(b"<html><head></head><body>hi</body></html>").title is None
    assert extract_meta(b"").title is None


def test_charset_from_content_type() -> None:
    assert charset_from_content_type('text/html; charset="GBK"') == "GBK"
    assert charset_from_content_type("text/html") is None
    assert charset_from_content_type(None) is None


def test_decode_html_prefers_utf8_bom() -> None:
    assert decode_html("\ufeff<title>é</title>".encode("utf-8-sig")) == "<title>é</title>"


def test_gzip_bomb_is_cut_at_the_cap() -> None:
    bomb = gzip.compress(b"<html><head><title>Bomb</title>" + b"\0" * (50 << 20), 9)
    assert len(bomb) < 100_000  # 50 MiB of zeros in well under 100 KB
    decoder = CappedDecoder("gzip", 4096)
    out = b"".join(decoder.feed(bomb[i : i + 16384]) for i in range(0, len(bomb), 16384))
    assert len(out) == 4096
    assert out.startswith(b"<html><head><title>Bomb")


def test_raw_deflate_without_zlib_header_is_decoded() -> None:
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    raw = compressor.compress(b"<title>Raw</title>") + compressor.flush()
    assert CappedDecoder("deflate", 1000).feed(raw) == b"<title>Raw</title>"


def test_unsupported_encoding_is_flagged() -> None:
    assert not CappedDecoder("br", 1000).supported
    assert CappedDecoder("identity", 3).feed(b"abcdef") == b"abc"


SIMPLIFIED = ["机器学习", "动手学深度学习", "知乎专栏 - 随心写作，自由表达", "清华大学", "菜鸟教程"]
TRADITIONAL = ["機器學習", "臺灣大學開放式課程", "國立清華大學", "維基百科，自由的百科全書"]


@pytest.mark.parametrize(
    ("title", "codec"),
    [(t, "gbk") for t in SIMPLIFIED] + [(t, "big5") for t in TRADITIONAL],
)
def test_short_undeclared_chinese_heads_are_detected(title: str, codec: str) -> None:
    # Only the head is read, so detection sees little more than the title.
    head = f"<html><head><title>{title}</title>".encode(codec)
    assert extract_meta(head).title == title


def test_undeclared_latin1_page_is_not_mistaken_for_chinese() -> None:
    head = "<html><head><title>Café crème brûlée à la française</title>".encode("cp1252")
    assert extract_meta(head).title == "Café crème brûlée à la française"


@pytest.mark.parametrize(
    ("title", "codec"),
    [
        ("Über die Größe", "cp1252"),
        ("日本語のページです", "cp932"),
    ],
)
def test_other_undeclared_legacy_encodings(title: str, codec: str) -> None:
    # Best effort: on a head this short, detection also reads some Cyrillic as cp1250.
    head = f"<html><head><title>{title}</title>".encode(codec)
    assert extract_meta(head).title == title


def test_titles_inside_svg_comments_and_scripts_are_not_the_page_title() -> None:
    head = (
        "<html><head><!-- <title>Commented</title> -->"
        "<script>var s = '<title>Scripted</title>';</script>"
        "<svg><title>Icon</title></svg><title>Real &lt;one&gt;</title></head>"
    )
    assert extract_meta(head.encode()).title == "Real <one>"


def test_unclosed_title_and_broken_markup_still_yield_what_was_read() -> None:
    assert extract_meta(b"<html><head><title>Half a title").title == "Half a title"
    broken = extract_meta(b"<html><head><meta content='x' name=description <title>T")
    assert broken.description == "x"  # the unclosed tag swallowed the title; no crash
    assert extract_meta(b"<head><title>A</title><title>B</title>").title == "A"
