"""Hypothesis strategies for nasty awesome-style Markdown, the link oracle, the properties.

Input: nothing. Output: `markdown_docs()` (a strategy of list documents as text);
`web_hrefs_seen(text)`, the multiset of http(s) link targets markdown-it-py itself finds
outside code, computed from its tokens independently of `curator.parse`; and the property
checks `check_parse`, `check_round_trip` and `check_import` (each raises AssertionError
with a one-line reason). Used by `tests/test_fuzz_parser.py` (bounded, in CI) and
`tools/fuzz_import.py` (>= 100k inputs).
"""

from __future__ import annotations

import codecs
import functools
import random
import tempfile
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

from hypothesis import strategies as st
from sqlalchemy import select

from curator.errors import InputError
from curator.export.sources import export_sources
from curator.ingest.importer import import_paths
from curator.parse import decode_bytes, parse_markdown, split_lines
from curator.parse import parallel as parallel_parse
from curator.parse.blocks import make_markdown
from curator.store.connect import open_engine, read_session
from curator.store.schema import Link, SourceVersion
from curator.urls import clean_href


# Strategies are built once and reused: hypothesis computes a label for each new strategy
# object (hashing every element of a sampled_from), which made generation 10x slower.
@functools.cache
def _pick(options: tuple[str, ...]) -> st.SearchStrategy[str]:
    return st.sampled_from(options)


@functools.cache
def _ints(lo: int, hi: int) -> st.SearchStrategy[int]:
    return st.integers(lo, hi)


_BOOL = st.booleans()


# -- URLs -------------------------------------------------------------------------------
HOSTS = (
    "example.com",
    "github.com",
    "arxiv.org",
    "zh.wikipedia.org",
    "例子.测试",
    "www.bilibili.com",
    "EXAMPLE.org",
    "a-b.io:8080",
    "127.0.0.1",
    "[::1]",
    "user:pw@host.net",
    "xn--fsq.com",
)
SEGMENTS = (
    "",
    "a",
    "wiki/Foo_(bar)",
    "Foo_(bar_(baz))",
    "docs/x.md",
    "中文/路径",
    "a%20b",
    "a b",
    "a_b_",
    "__init__",
    "~user",
    "x*y*",
    "q?a=1&b=2",
    "q?utm_source=x&id=3",
    "#frag",
    "p.",
    "p,",
    "x)",
    "(x",
    "a'b",
    'a"b',
    "a\\)b",
    "a|b",
    "[x]",
    "a\u200bb",
    "über",
    "emoji😀",
    "x<y",
    "&amp;",
)
SCHEMES = (
    "http://",
    "https://",
    "https://",
    "https://",
    "HTTPS://",
    "Http://",
    "ftp://",
    "mailto:",
    "javascript:",
    "//",
    "",
    "#",
    "./",
    "file:///",
)


def _url_pool() -> tuple[str, ...]:
    # Precomputed, so drawing a URL is one cheap draw (the 100k fuzz run needs the speed).
    rng = random.Random(7)
    pool = [s + seg for s in ("", "#", "./") for seg in SEGMENTS]
    for scheme in SCHEMES:
        for host in HOSTS:
            pool.append(scheme + host)
            for _ in range(6):
                segs = rng.sample(SEGMENTS, rng.randint(1, 3))
                pool.append(f"{scheme}{host}/{'/'.join(segs)}")
    return tuple(pool)


URL_POOL = _url_pool()


def urls() -> st.SearchStrategy[str]:
    return _pick(URL_POOL)


# -- inline -----------------------------------------------------------------------------
WORDS = (
    "Deep",
    "learning",
    "GPU",
    "CUDA",
    "编译器",
    "深度学习",
    "：",
    "，",
    "、",
    "。",
    "（",
    "）",
    "【",
    "】",
    "《",
    "》",
    "「",
    "」",
    "——",
    " - ",
    ": ",
    "|",
    "\\|",
    "*",
    "**",
    "_",
    "`",
    "[",
    "]",
    "(",
    ")",
    "<",
    ">",
    "!",
    "#",
    "\\",
    "&amp;",
    "&#91;",
    "\u200b",
    "\u200d",
    "\ufeff",
    "\u00ad",
    "\x00",
    "\t",
    "😀",
    "1.",
    "一,",
    "1.1,",
    "~~",
    "www.example.com",
    "http://",
    "https://example.com",
)
LABELS = ("ref", "Ref 2", "中文", "a b", "1", "x]y", "github")


def _word_pool() -> tuple[str, ...]:
    rng = random.Random(11)
    pool = ["", *WORDS]
    for _ in range(600):
        parts = rng.sample(WORDS, rng.randint(2, 4))
        pool.append(rng.choice(("", " ")).join(parts))
    return tuple(pool)


WORD_POOL = _word_pool()


def words() -> st.SearchStrategy[str]:
    return _pick(WORD_POOL)


@st.composite
def inline_piece(draw: st.DrawFn) -> str:
    text = draw(words())
    url = draw(urls())
    kind = draw(_ints(0, 23))
    label = draw(_pick(LABELS))
    return [
        lambda: text,
        lambda: f"[{text or 'x'}]({url})",
        lambda: f"[{text}](<{url}>)",
        lambda: f'[{text}]({url} "a title")',
        lambda: f"[{text}][{label}]",
        lambda: f"[{label}]",
        lambda: f"[{label}][]",
        lambda: url,  # a bare URL: linkify
        lambda: f"<{url}>",  # an autolink
        lambda: f"![{text}]({url})",
        lambda: f"[![badge](https://img.shields.io/badge/{text}-x-blue)]({url})",
        lambda: f'<a href="{url}">{text}</a>',
        lambda: f"<a href='{url}'><img src=\"{url}\"></a>",
        lambda: f'<img src="{url}" alt="{text}">',
        lambda: f"`[{text}]({url})`",  # code: never a link
        lambda: f"[{text}]({url}",  # unclosed
        lambda: f"[{text}",
        lambda: f'<a href="{url}">{text}',  # unclosed tag
        lambda: f"**{text}**",
        lambda: f"**[{text}]({url})**",
        lambda: f"~~[{text}]({url})~~",
        lambda: f"\\[{text}]({url})",  # escaped bracket
        lambda: f"[{text}](\n{url})",
        lambda: f"[`{text}`]({url})",
    ][kind]()


@st.composite
def inline(draw: st.DrawFn) -> str:
    pieces = draw(st.lists(inline_piece(), min_size=1, max_size=4))
    seps = (" ", "", "：", " - ", "，", ", ", "\t", " | ")
    out = pieces[0]
    for p in pieces[1:]:
        out += draw(_pick(seps)) + p
    return out


# -- blocks -----------------------------------------------------------------------------
MARKERS = ("-", "*", "+", "1.", "2)", "10.")


def _indent(text: str, pad: str) -> str:
    return "\n".join(pad + line if line else line for line in text.split("\n"))


@st.composite
def bullet_list(draw: st.DrawFn, depth: int = 0) -> str:
    marker = draw(_pick(MARKERS))
    pad = draw(_pick(("  ", "    ", "\t", "   ")))
    lines = []
    for _ in range(draw(_ints(1, 4 if depth < 2 else 2))):
        item = f"{marker} {draw(inline())}"
        extra = draw(_ints(0, 11))
        if extra == 0 and depth < 8:
            item += "\n" + _indent(draw(bullet_list(depth + 1)), pad)
        elif extra == 1:
            item += "\n" + draw(inline())  # lazy continuation line
        elif extra == 2:
            item += "\n\n" + _indent(draw(inline()), pad)  # a second paragraph
        elif extra == 3 and depth < 2:
            item += "\n" + _indent(draw(block(depth + 1)), pad)
        elif extra == 4:
            item = f"{marker} {'#' * draw(_ints(1, 6))} {draw(inline())}"
        lines.append(item)
    return "\n".join(lines)


@st.composite
def table(draw: st.DrawFn) -> str:
    width = draw(_ints(1, 4))
    outer = draw(_BOOL)

    def row(cells: list[str]) -> str:
        body = " | ".join(c.replace("\n", " ") for c in cells)
        return f"| {body} |" if outer else body

    header = row([draw(inline()) for _ in range(width)])
    delim = row([draw(_pick(("---", ":--", "--:", ":-:"))) for _ in range(width)])
    rows = [
        row([draw(inline()) for _ in range(draw(_ints(0, width + 2)))])  # ragged
        for _ in range(draw(_ints(0, 3)))
    ]
    return "\n".join([header, delim, *rows])


@st.composite
def html_block(draw: st.DrawFn, depth: int = 0) -> str:
    url, url2, text = draw(urls()), draw(urls()), draw(words())
    kind = draw(_ints(0, 6))
    if kind == 0 and depth < 2:
        inner = draw(block(depth + 1))
        return f"<details>\n<summary>{text}</summary>\n\n{inner}\n\n</details>"
    if kind == 1:
        return f'<p align="center">\n  <a href="{url}"><img src="{url2}" alt="{text}"></a>\n</p>'
    if kind == 2:
        return f'<div>\n<a href="{url}">{text}</a> and <a href="{url2}">{text}</a>\n</div>'
    if kind == 3:
        return f'<table><tr><td><a href="{url}">{text}</a></td></tr></table>'
    if kind == 4:
        return f'<div><a href="{url}">{text}<a href="{url2}">nested</a></div>'  # no </a>
    if kind == 5:
        return f'<!-- curator-ignore -->\n<p><a href="{url}">{text}</p>'
    return f"<!-- [{text}]({url}) -->"


@st.composite
def code_block(draw: st.DrawFn) -> str:
    body = "\n".join(draw(st.lists(inline(), min_size=1, max_size=3)))
    fence = draw(_pick(("```", "~~~", "````", "```python")))
    kind = draw(_ints(0, 2))
    if kind == 0:
        return f"{fence}\n{body}\n{fence[:3] if fence[0] == '`' else fence}"
    if kind == 1:
        return f"{fence}\n{body}"  # unclosed: the rest of the document is code
    return _indent(body, "    ")


@st.composite
def block(draw: st.DrawFn, depth: int = 0) -> str:
    kind = draw(_ints(0, 16))
    if kind <= 3:
        return draw(bullet_list(depth))
    if kind == 16:  # deeper than markdown-it's nesting limit (20)
        return _deep(draw(_ints(15, 40)), draw(_pick(("> ", "- ", "1. ", "* > "))), draw(inline()))
    if kind == 4:
        return f"{'#' * draw(_ints(1, 7))} {draw(inline())}"
    if kind == 5:  # a heading link with note bullets
        return f"#### [{draw(words()) or 't'}]({draw(urls())})\n" + draw(bullet_list(depth))
    if kind == 6:
        return draw(table())
    if kind == 7:
        return draw(html_block(depth))
    if kind == 8:
        return draw(code_block())
    if kind == 9:
        return "> " + draw(inline()) + ("\n> " + draw(inline()) if draw(_BOOL) else "")
    if kind == 10:
        return f"[{draw(_pick(LABELS))}]: {draw(urls())}"
    if kind == 11:
        return draw(inline()) + "\n" + draw(_pick(("===", "---", "- - -")))
    if kind == 12:
        return "<!-- curator-ignore -->"
    if kind == 13:
        return f"**{draw(words()) or 'Bold'}**\n" + draw(bullet_list(depth))
    return draw(inline())  # a paragraph


def _deep(levels: int, marker: str, text: str) -> str:
    if marker.startswith(">"):
        return marker * levels + text
    return "\n".join("  " * k * (len(marker) // 2 + 1) + marker + text for k in range(levels))


def _big_list(n: int) -> str:
    return "\n".join(f"- [Item {i}](https://example.com/item/{i}) - note {i}" for i in range(n))


EOLS = ("\n", "\n", "\n", "\r\n", "\r")


@st.composite
def markdown_docs(draw: st.DrawFn) -> str:
    blocks = draw(st.lists(block(), min_size=1, max_size=8))
    if draw(_ints(0, 299)) == 150:  # rarely (not a boundary value): a 10k-item list
        blocks.insert(draw(_ints(0, len(blocks))), _big_list(draw(_ints(2000, 10000))))
    text = blocks[0]
    for b in blocks[1:]:
        text += draw(_pick(("\n\n", "\n", "\n\n\n"))) + b
    eol = draw(_pick(EOLS))
    if eol != "\n":
        text = text.replace("\n", eol)
    if draw(_ints(0, 9)) == 0:  # mixed line endings
        lines = text.split("\n")
        text = "".join(line + draw(_pick(EOLS)) for line in lines)
    if draw(_BOOL):
        text += draw(_pick(EOLS))
    if draw(_ints(0, 4)) == 0:
        text = "\ufeff" + text
    return text


# -- the oracle: what markdown-it-py itself sees -----------------------------------------
_MD = make_markdown()


class _Hrefs(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        want = {"a": "href", "img": "src"}.get(tag)
        for key, value in attrs:
            if key == want and value:
                self.found.append(value)

    handle_startendtag = handle_starttag


def _html_hrefs(html: str) -> list[str]:
    parser = _Hrefs()
    parser.feed(html)
    parser.close()
    return parser.found


def is_web(href: str) -> bool:
    return clean_href(href).lower().startswith(("http://", "https://"))


def web_hrefs_seen(text: str) -> Counter[str]:
    """Every http(s) href/src markdown-it-py finds outside code, with multiplicity."""
    src = text[1:] if text.startswith("\ufeff") else text
    found: list[str] = []
    for tok in _MD.parse(src):
        if tok.type == "html_block":
            found.extend(_html_hrefs(tok.content))
        elif tok.type == "inline":
            for child in tok.children or ():
                if child.type == "link_open":
                    found.append(str(child.attrs.get("href", "")))
                elif child.type == "image":
                    found.append(str(child.attrs.get("src", "")))
                elif child.type == "html_inline":
                    found.extend(_html_hrefs(child.content))
        # fence / code_block: code, never links
    return Counter(h for h in found if is_web(h))


# -- the properties ---------------------------------------------------------------------
# Refusals that are the documented answer to some inputs (NULs everywhere, nothing at all).
ALLOWED_REFUSALS = ("looks like a binary file", "file is empty", "no list entries or links")
ENCODINGS = ("utf-8", "utf-8", "utf-8-sig", "utf-16", "utf-16-be")
_CODECS = {"utf-16": "utf-16-le", "utf-16-be": "utf-16-be"}


def encode(text: str, encoding: str) -> bytes:
    """The bytes of a list file saved in `encoding` (UTF-16 always with its BOM)."""
    if encoding == "utf-16":  # little-endian with a BOM, as Windows editors save it
        return codecs.BOM_UTF16_LE + text.lstrip("\ufeff").encode("utf-16-le")
    if encoding == "utf-16-be":
        return codecs.BOM_UTF16_BE + text.lstrip("\ufeff").encode("utf-16-be")
    return text.encode(encoding)


def parsed_hrefs(text: str) -> Counter[str]:
    doc = parse_markdown(text)
    return Counter(lk.href for e in doc.entries for lk in e.links)


def check_parse(text: str) -> None:
    missing = web_hrefs_seen(text) - parsed_hrefs(text)
    assert not missing, f"links markdown-it sees but the parser lost: {dict(missing)}"


def _refusal_ok(exc: InputError, data: bytes) -> None:
    assert any(reason in exc.message for reason in ALLOWED_REFUSALS), exc.message
    if "no list entries" in exc.message:
        assert not web_hrefs_seen(decode_bytes(data, "x").text), "refused a list with links"


def check_round_trip(text: str, encoding: str) -> None:
    """What the export of an unchanged source does, without a DB: decode, split, rejoin."""
    data = encode(text, encoding)
    try:
        decoded = decode_bytes(data, "fuzz.md")
    except InputError as exc:
        assert any(reason in exc.message for reason in ALLOWED_REFUSALS), exc.message
        return
    assert decoded.text == data.decode(_CODECS.get(encoding, "utf-8")), "decoded text differs"
    again = "".join(split_lines(decoded.text)).encode(decoded.encoding)
    assert again == data, "round trip is not byte-identical"


def check_import(text: str, encoding: str, chunked: bool) -> None:
    """Import `text` into a fresh SQLite DB; check its links and the byte-exact export."""
    data = encode(text, encoding)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.md"
        path.write_bytes(data)
        engine = open_engine(Path(tmp) / "c.db")
        old_min = parallel_parse.PARALLEL_MIN_CHARS
        if chunked:  # the multi-process parser runs on big lists only; force it here
            parallel_parse.PARALLEL_MIN_CHARS = 0
        try:
            try:
                import_paths(engine, [path])
            except InputError as exc:
                _refusal_ok(exc, data)
                return
            finally:
                parallel_parse.PARALLEL_MIN_CHARS = old_min
            with read_session(engine) as session:
                stored = session.execute(select(SourceVersion.text)).scalar_one()
                hrefs = Counter(session.execute(select(Link.href)).scalars().all())
                results = export_sources(session, Path(tmp) / "out")
        finally:
            engine.dispose()
        assert stored == data.decode(_CODECS.get(encoding, "utf-8")), "stored text differs"
        missing = web_hrefs_seen(stored) - hrefs
        assert not missing, f"links markdown-it sees but the DB lacks: {dict(missing)}"
        assert results[0].path.read_bytes() == data, "export is not byte-identical"
