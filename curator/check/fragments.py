"""Fragment checks (`--check-fragments`): which `#anchors` a page or a list really has.

Input: the bytes of a fetched HTML page, or a list's Markdown text; the fragments links
ask for. Output: the set of anchors (`id`/`name` attributes; GitHub heading slugs for a
list) and the fragments that are missing. Pure: no I/O. Config: none.

Fragments that are not anchors are never judged: empty ones, single-page-app routes
(`#/docs`, `#!x`), text fragments (`#:~:text=`), and GitHub's line anchors (`#L10-L20`,
drawn by script). GitHub prefixes the ids of rendered Markdown with `user-content-`, so
either spelling counts.
"""

from __future__ import annotations

import re

from curator.parse.slug import Slugger

MISSING = "fragment-missing"
_ANCHOR_ATTR = re.compile(rb"""\s(?:id|name)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""", re.I)
_ANCHOR_ATTR_TEXT = re.compile(
    r"""<[a-z][^>]*?\s(?:id|name)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""", re.I
)
_LINE_ANCHOR = re.compile(r"^L\d+(?:C\d+)?(?:-L\d+(?:C\d+)?)?$")
_GITHUB_PREFIX = "user-content-"


def judged(fragment: str) -> bool:
    """Is `fragment` an anchor a page can be checked for?"""
    return bool(fragment) and not (
        fragment[0] in "/!" or fragment.startswith(":~:") or _LINE_ANCHOR.match(fragment)
    )


def page_anchors(html: bytes) -> frozenset[str]:
    """Every `id` and `name` attribute value in `html`."""
    found: set[str] = set()
    for m in _ANCHOR_ATTR.finditer(html):
        raw = m.group(1) or m.group(2) or m.group(3) or b""
        found.add(raw.decode("utf-8", "replace"))
    return frozenset(found)


def list_anchors(markdown: str) -> frozenset[str]:
    """The anchors GitHub gives a Markdown file: heading slugs, and explicit HTML ids."""
    from curator.parse.blocks import make_markdown  # markdown-it: not for page checks

    slugger = Slugger()
    found: set[str] = set()
    tokens = make_markdown().parse(markdown)
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and i + 1 < len(tokens):
            inline = tokens[i + 1]
            text = "".join(
                c.content for c in inline.children or () if c.type in ("text", "code_inline")
            )
            found.add(slugger.slug(text))
    for m in _ANCHOR_ATTR_TEXT.finditer(markdown):
        found.add(m.group(1) or m.group(2) or m.group(3) or "")
    return frozenset(found)


def missing(fragments: set[str] | frozenset[str], anchors: frozenset[str]) -> list[str]:
    """The judged fragments not among `anchors`, sorted."""
    return sorted(
        f
        for f in fragments
        if judged(f)
        and f not in anchors
        and f"{_GITHUB_PREFIX}{f}" not in anchors
        and f.lower() not in anchors
    )
