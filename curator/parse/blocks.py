"""Markdown text → `ParsedDocument`, by walking markdown-it-py block tokens.

Input: the decoded text of one list. Output: categories (headings, pseudo headings and
outline lines), entries (bullets, paragraphs, table rows, heading links, HTML links, plus
ToC and badge holders) and every link GitHub would render, each with its source line.
Config: none; the text heuristics live in `heuristics.py`. Pure: no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.token import Token

from curator.parse.autolink import enable_autolinks
from curator.parse.heuristics import (
    heading_title,
    is_generic_label,
    looks_like_pseudo_heading,
    outline_level,
    reads_as_sentence,
    reads_as_title,
    split_title,
    strip_leading_separators,
)
from curator.parse.inline import (
    InlineText,
    Run,
    flatten,
    join_breaks,
    line_text,
    read_tags,
    srcset_urls,
    strip_invisible,
)
from curator.parse.model import (
    CategoryKind,
    EntryKind,
    LinkRole,
    ParsedCategory,
    ParsedDocument,
    ParsedEntry,
    ParsedLink,
)
from curator.urls import LinkKind, classify, normalize
from curator.util.perf import gc_paused

IGNORE_MARKER = "curator-ignore"


def make_markdown() -> MarkdownIt:
    # GFM as GitHub renders lists: tables, strikethrough, raw HTML, bare-URL autolinks.
    # maxNesting: the preset's 20 silently drops the rest of a document once outline notes
    # nest deeper than that (GitHub renders them); 64 levels stay far from the recursion limit.
    md = MarkdownIt("commonmark", {"html": True, "maxNesting": 64})
    md.enable(["table", "strikethrough"])
    enable_autolinks(md)
    # GitHub footnotes: `[^1]: text` is a note (kept as prose), not a reference definition
    # that would turn every `[^1]` into a link.
    md.block.ruler.before(
        "reference", "footnote_def", _footnote_def, {"alt": ["paragraph", "reference"]}
    )
    # GitHub math: `$…$` and `$$…$$` are formulas; brackets in them are not links.
    md.inline.ruler.before("link", "math", _math)
    # Keep hrefs as written (markdown-it would percent-encode them): the round trip edits
    # the source text by finding the href in it, and users type URLs as they see them.
    md.normalizeLink = lambda url: url  # type: ignore[method-assign]
    return md


_FOOTNOTE_DEF = re.compile(r" {0,3}\[\^[^\]\s]+\]:")


def _footnote_def(state: Any, start: int, end: int, silent: bool) -> bool:
    pos = state.bMarks[start] + state.tShift[start]
    line = state.src[pos : state.eMarks[start]]
    m = _FOOTNOTE_DEF.match(line)
    if m is None or state.sCount[start] - state.blkIndent >= 4:
        return False
    if silent:
        return True
    opening = state.push("paragraph_open", "p", 1)
    opening.map = [start, start + 1]
    opening.info = "footnote"
    inline = state.push("inline", "", 0)
    inline.content = line[m.end() :].strip()
    inline.map = [start, start + 1]
    inline.children = []
    state.push("paragraph_close", "p", -1)
    state.line = start + 1
    return True


def _math(state: Any, silent: bool) -> bool:
    src, pos = state.src, state.pos
    if src[pos] != "$" or (pos > 0 and src[pos - 1] == "\\"):
        return False
    fence = "$$" if src.startswith("$$", pos) else "$"
    close = src.find(fence, pos + len(fence))
    body = src[pos + len(fence) : close]
    if (
        close < 0
        or not body.strip()
        or (fence == "$" and (body[0].isspace() or body[-1].isspace()))
    ):
        return False
    if not silent:
        token = state.push("text", "", 0)
        token.content = src[pos : close + len(fence)]
    state.pos = close + len(fence)
    return True


_MD = make_markdown()


class Node:
    """A block token with its children (a plain slotted class: 165k of these per MB)."""

    __slots__ = ("children", "token", "type")

    def __init__(self, type_: str, token: Token, children: list[Node] | None = None) -> None:
        self.type = type_
        self.token = token
        self.children: list[Node] = children if children is not None else []

    @property
    def map(self) -> tuple[int, int]:
        m = self.token.map
        return (m[0], m[1]) if m else (0, 0)


_OPEN_TYPES: dict[str, str] = {}


def build_tree(tokens: list[Token]) -> list[Node]:
    root: list[Node] = []
    stack = [root]
    top = root
    for tok in tokens:
        nesting = tok.nesting
        if nesting == 1:
            kind = tok.type
            name = _OPEN_TYPES.get(kind)
            if name is None:
                name = _OPEN_TYPES[kind] = kind[:-5]  # strip "_open"
            children: list[Node] = []
            top.append(Node(name, tok, children))
            stack.append(children)
            top = children
        elif nesting == -1:
            if len(stack) > 1:
                stack.pop()
                top = stack[-1]
        else:
            top.append(Node(tok.type, tok))
    return root


_WEB_PREFIXES = ("https://", "http://")


def _link_kind(href: str) -> LinkKind:
    # Most hrefs are plain web URLs, each seen once: `classify`'s cache misses on them
    # and it splits every URL only to read back "http(s)".
    return LinkKind.WEB if href.startswith(_WEB_PREFIXES) else classify(href)


def _link_from_run(run: Run, role: LinkRole) -> ParsedLink:
    kind = LinkKind.IMAGE if run.image else _link_kind(run.href or "")
    if run.badge:
        role = LinkRole.BADGE
    elif run.image:
        role = LinkRole.IMAGE
    return ParsedLink(run.href or "", run.text, kind, role, run.line)


def _links(runs: list[Run], main_href: str | None) -> list[ParsedLink]:
    links: list[ParsedLink] = []
    main_done = False
    for run in runs:
        if run.href is None:
            continue
        role = LinkRole.SUB
        if not main_done and main_href is not None and run.href == main_href and not run.image:
            role, main_done = LinkRole.MAIN, True
        links.append(_link_from_run(run, role))
    return links


def _first_target(runs: list[Run]) -> Run | None:
    for run in runs:
        if run.href is not None and not run.image and not run.badge:
            return run
    return None


def _text(runs: list[Run]) -> str:
    return strip_invisible(join_breaks("".join(r.text for r in runs if not r.image)))


@dataclass(slots=True)
class _Head:
    """The first paragraph of an item (or a paragraph), read as title/url/description."""

    title: str
    url: str | None
    description: str
    runs: list[Run]
    starts_with_link: bool


def read_head(lines: list[list[Run]]) -> _Head:
    runs = [r for line in lines for r in line]
    visible = [r for r in runs if r.image or r.href or r.text.strip()]
    target = _first_target(runs)
    if visible and visible[0] is target and target is not None:
        bracketed = _bracketed_head(runs, visible, target)
        if bracketed is not None:
            return bracketed
        rest = _text(runs[runs.index(target) + 1 :])
        # `[Name:](url)`: the separator is not part of the name.
        title = _no_shortcodes(_text([target])).rstrip(_TITLE_TAIL) or (target.href or "")
        return _Head(title, target.href, strip_leading_separators(rest), runs, True)
    cut = next((k for k, r in enumerate(runs) if r.hard), None)
    if cut is not None and (target is None or cut < runs.index(target)):
        title = _text(runs[:cut]).rstrip(_TITLE_TAIL)
        if title:
            # `Title <br> Venue [[Paper]](url)`: the line break ends the name.
            rest = strip_leading_separators(_text(runs[cut + 1 :]))
            return _Head(title, target.href if target else None, rest, runs, False)
    if target is not None:
        bracketed = _bracketed_head(runs, visible, target)
        if bracketed is not None:
            return bracketed
        at = runs.index(target)
        before = _text(runs[:at])
        after = _text(runs[at + 1 :])
        lead = _without_date(runs[:at])
        if lead is not None:
            # `2020-09 [Title](url)`, `[2022-12] **Name** (authors): [[Book]](url)`: a date
            # in front is metadata; the link, or the bold name after it, names the item.
            named = _strong_name(lead + runs[at:])
            if named or (not _text(lead) and not is_generic_label(_text([target]))):
                title = named or _text([target]).rstrip(_TITLE_TAIL)
                rest = _text(runs[at + 1 :]) if not named else _text(runs[at:])
                return _Head(title, target.href, strip_leading_separators(rest), runs, False)
        if _glued_bold_tag(runs[:at]) and not is_generic_label(_text([target])):
            # `**VENUE'YY**-[Title](url)`: the bold tag glued to the link is metadata.
            title = _text([target]).rstrip(_TITLE_TAIL)
            rest = " ".join(p for p in (before.rstrip(_TITLE_TAIL), after) if p)
            return _Head(title, target.href, strip_leading_separators(rest), runs, False)
        named = _strong_name(runs)
        if named and visible[0].strong and named.startswith("[") and named.endswith("]"):
            # `**[TAG]** Title | [[pdf]](url)`: a bold bracketed tag is metadata.
            title = strip_leading_separators(before[len(named) :]).rstrip(_TITLE_TAIL + "(（[【")
            if title:
                rest = " ".join(p for p in (named, after) if p)
                return _Head(title, target.href, rest, runs, False)
        elif named and visible[0].strong:
            # `**Name** - by X | [[website]](url)`: a bold name leads; the rest is metadata.
            said = strip_leading_separators(before[len(named) :])
            rest = " ".join(p for p in (said, after) if p)
            return _Head(named, target.href, rest, runs, False)
        if (
            before.endswith((":", "："))
            and after.startswith(("- ", "– ", ": ", "— "))
            and not is_generic_label(_text([target]))
        ):
            # `Russian: [pymorphy2](url) - a tagger`: the label groups, the link names.
            title = _text([target]).rstrip(_TITLE_TAIL)
            return _Head(title, target.href, strip_leading_separators(after), runs, False)
        title = before.rstrip(_TITLE_TAIL + "(（[【").strip()
        name, said = split_title(title)
        if said and reads_as_sentence(said):
            # `Name: a sentence about it [[Code]](url)`: the sentence describes the name.
            title = name
        else:
            said = ""
        if title:
            rest = " ".join(p for p in (said, _text(runs[at:])) if p)
            return _Head(title, target.href, strip_leading_separators(rest), runs, False)
    text = _text(runs)
    title, desc = split_title(text)
    if desc and text.startswith(":", len(title)) and reads_as_title(desc):
        # `Name: Titled Subtitle` is one paper title, not a name and its description.
        title, desc = text.rstrip(_TITLE_TAIL), ""
    return _Head(title, target.href if target else None, desc, runs, False)


_TITLE_TAIL = " :：,，;；-—|"
_GLUE = frozenset(("", "-", "–", "—", ":", "|"))


_DATE_PREFIX = re.compile(r"^\s*[\[(]?\d{4}(?:[-/.]\d{1,2}){0,2}[\])]?(?:[:：]|\s+-)?(?:\s+|$)")


def _without_date(before: list[Run]) -> list[Run] | None:
    """The runs before a link without a leading date (`2020-09`, `[2021]`, `2021-08:`), or
    None when they do not start with one."""
    k = 0
    while k < len(before) and not before[k].text.strip() and before[k].href is None:
        k += 1
    if k >= len(before) or before[k].href is not None:
        return None
    m = _DATE_PREFIX.match(before[k].text.strip() + " ")
    if m is None:
        return None
    first = before[k]
    left = (first.text.strip() + " ")[m.end() :]
    rest = before[k + 1 :]
    return ([Run(left, strong=first.strong, line=first.line)] if left.strip() else []) + rest


def _keyword_label(runs: list[Run]) -> bool:
    """`AWS [[aws](url)]`: one word, then links that only repeat it (or say `link`)."""
    links = [r for r in runs if r.href]
    words = _text([r for r in runs if r.href is None]).strip(" []()").split()
    if len(words) != 1 or not links or runs[0].href:
        return False
    word = words[0].lower()
    return all(r.text.strip().lower() == word or is_generic_label(r.text) for r in links)


def _glued_bold_tag(before: list[Run]) -> bool:
    """Only bold text before the link, joined to it by at most a dash with no space."""
    glue = "".join(r.text for r in before if not r.strong and not r.image)
    return glue in _GLUE and any(r.strong and r.text.strip() for r in before)


_TAGS = re.compile(r"^(?:\s*\[[^\]\[]*\])+\s*")


def _bracketed_head(runs: list[Run], visible: list[Run], target: Run) -> _Head | None:
    """`[[Venue](url)] Title [[code](…)]`: a bracketed link before the name is its main
    link (the paper), and the name is the plain text after the bracket."""
    k = runs.index(target) + 1
    after = runs[k] if k < len(runs) else None
    if after is None or after.href is not None or not visible:
        return None  # (an empty `[](<>)` link is not visible)
    tail = after.text.lstrip()
    if visible[0] is target:
        # `[[Venue]](url) Title`: the link text itself is the bracketed tag.
        if not (target.text.startswith("[") and target.text.endswith("]")):
            return None
    elif len(visible) >= 3 and visible[0].href is None and visible[0].text.strip() == "[":
        if visible[1] is not target or not tail.startswith("]"):
            return None
        tail = tail[1:]
    else:
        return None
    # More tags may follow (`[72:fire:] Title`); the name is the text after them.
    name = _TAGS.sub("", tail).split("[", 1)[0]
    title = " ".join(name.split()).rstrip(_TITLE_TAIL + ".")
    if not title:
        return None
    rest = _text(runs[k + 1 :])
    return _Head(title, target.href, strip_leading_separators(rest), runs, False)


class _Walker:
    def __init__(self, text: str, lines: list[str], outline: bool) -> None:
        self.text = text
        self.src_lines = lines
        self.outline = outline
        self.entries: list[ParsedEntry] = []
        self.categories: list[ParsedCategory] = []
        self.headings: list[tuple[int, str]] = []
        self.stack: list[tuple[int, str]] = []  # (level, title)
        self.heading_level = 0
        self.ignore_lines: set[int] = set()
        self.owner: int | None = None  # heading-link entry that owns the following lists
        # A `<details><summary>` project: the bullets up to `</details>` are its sub-links.
        self.details_owner: int | None = None
        self.quote_depth = 0
        # For chunked parsing (parallel.py): the lowest heading level pushed so far, seen by
        # each entry and category, says how much of the previous chunk's path still applies.
        self.min_level = 1_000
        self.entry_min_levels: list[int] = []
        self.category_min_levels: list[int] = []

    # -- categories -------------------------------------------------------------------
    @property
    def path(self) -> tuple[str, ...]:
        return tuple(t for _, t in self.stack)

    def close_to(self, level: int) -> None:
        """Leave the categories at `level` and below (a new heading of that level)."""
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
        self.min_level = min(self.min_level, level)  # (a chunk's inherited path ends too)

    def push_category(self, level: int, title: str, line: int, kind: CategoryKind) -> None:
        self.close_to(level)
        self.stack.append((level, title))
        self.categories.append(ParsedCategory(self.path, title, level, line, kind))
        self.category_min_levels.append(self.min_level)

    # -- entries ----------------------------------------------------------------------
    def add(self, entry: ParsedEntry) -> ParsedEntry:
        entry.index = len(self.entries)
        if self._ignored(entry.line_start):
            entry.ignored = True
        self.entries.append(entry)
        self.entry_min_levels.append(self.min_level)
        return entry

    def _ignored(self, line: int) -> bool:
        prev = line - 1
        while prev >= 0 and prev < len(self.src_lines) and not self.src_lines[prev].strip():
            prev -= 1
        return prev in self.ignore_lines

    def new_entry(
        self, kind: EntryKind, head: _Head, span: tuple[int, int], parent: ParsedEntry | None
    ) -> ParsedEntry:
        if kind != EntryKind.HEADING_LINK:
            if _navigation(head):
                # An item named by a link into this document (a ToC line, "back to top",
                # an arrow back to the index) is navigation: its links are kept and
                # checked, it is not a curated item.
                kind = EntryKind.TOC
            elif self.quote_depth or _footer(head):
                kind = EntryKind.PROSE
        return self.add(
            ParsedEntry(
                index=0,
                kind=kind,
                title=_plain_title(head.title),
                url=head.url,
                description=head.description,
                category=self.path,
                line_start=span[0],
                line_end=span[1],
                parent=parent.index if parent else None,
                depth=(parent.depth + 1) if parent else 0,
                links=_links(head.runs, head.url),
            )
        )

    def own_url_tocs(self) -> None:
        """A ToC written with the document's own absolute URL (`https://github.com/o/r#x`):
        items whose links share one page, and whose fragments name this document's
        headings, are navigation like `#x` links are."""
        slugs = {_slug(text) for _, text in self.headings}
        pages: dict[str, list[ParsedEntry]] = {}
        for e in self.entries:
            if e.kind == EntryKind.BULLET and e.url and "#" in e.url and "://" in e.url:
                page, frag = e.url.split("#", 1)
                if _slug(unquote(frag)) in slugs:
                    pages.setdefault(page, []).append(e)
        for items in pages.values():
            if len(items) >= 3:
                for e in items:
                    e.kind = EntryKind.TOC

    # -- walking ----------------------------------------------------------------------
    def walk(self, nodes: list[Node]) -> None:
        i = 0
        while i < len(nodes):
            node = nodes[i]
            nxt = nodes[i + 1] if i + 1 < len(nodes) else None
            t = node.type
            if t == "heading":
                self.heading(node)
            elif t == "paragraph":
                prev = nodes[i - 1] if i > 0 else None
                if prev is not None and prev.type.endswith("_list") and self.description(node):
                    pass  # `介绍：…` under `* [《书名》](url)`: the item's description
                elif self.paragraph(node, nxt):
                    i += 1  # the following list was consumed as this entry's notes
            elif t in ("bullet_list", "ordered_list"):
                self.top_list(node)
            elif t == "table":
                self.table(node)
            elif t == "html_block":
                self.html_block(node)
            elif t == "blockquote":
                # Quoted notes and asides: their links are kept, their items are not the
                # list's items.
                self.quote_depth += 1
                self.walk(node.children)
                self.quote_depth -= 1
            # fences, code blocks, hr: never mined for links
            i += 1

    def heading(self, node: Node) -> None:
        inline = node.children[0].token if node.children else None
        level = int(node.token.tag[1:]) if node.token.tag[1:].isdigit() else 1
        text = flatten(inline) if inline else None
        runs = text.runs() if text else []
        plain = _text(runs)
        self.headings.append((node.map[0], plain))
        target = _first_target(runs)
        others = [r for r in runs if r.href is None and r.text.strip()]
        if (
            target is not None
            and target.href
            and not others
            and classify(target.href) != LinkKind.ANCHOR
        ):
            # `#### [title](url)`: an entry, and the bullets under it are its notes. It
            # still renders as a heading: the items under it sit in its category.
            head = read_head(text.lines if text else [])
            self.close_to(level)  # it sits under the nearest heading of a higher level
            entry = self.new_entry(EntryKind.HEADING_LINK, head, node.map, None)
            self.owner = entry.index
            self.heading_level = level
            self.push_category(level, plain, node.map[0], CategoryKind.HEADING)
            return
        if target is not None and target.href and others:
            head = read_head(text.lines if text else [])
            link_text = _text([target])
            if not head.starts_with_link and head.url and is_generic_label(link_text):
                # `#### 名称: [blog](url)`: an entry named by its text, like a link heading.
                self.close_to(level)
                entry = self.new_entry(EntryKind.HEADING_LINK, head, node.map, None)
                self.owner = entry.index
                self.heading_level = level
                self.push_category(level, head.title, node.map[0], CategoryKind.HEADING)
                return
        self.owner = None
        self.details_owner = None
        self.heading_level = level
        self.push_category(level, _category_name(runs) or plain, node.map[0], CategoryKind.HEADING)
        self.link_holder(runs, node.map, None)  # `# Awesome X [![badge](…)](…)`

    def html_heading(self, level: int, line: int, text: list[str]) -> None:
        name = _category_name([Run(" ".join("".join(text).split()))])
        if not name:
            return  # `<h1><img …></h1>`: a banner, no name to file items under
        self.headings.append((line, name))
        self.owner = None
        self.details_owner = None
        self.heading_level = level
        self.push_category(level, name, line, CategoryKind.HEADING)

    def link_holder(
        self, runs: list[Run], span: tuple[int, int], owner: ParsedEntry | None
    ) -> None:
        """Links outside any entry (a category heading, a table header) are kept as well."""
        links = _links(runs, None)
        if not links:
            return
        if owner is not None:
            owner.links.extend(links)
            return
        decorative = all(lk.role in (LinkRole.BADGE, LinkRole.IMAGE) for lk in links)
        kind = EntryKind.BADGE if decorative else EntryKind.PROSE
        title = _text(runs)[:80]
        self.add(ParsedEntry(0, kind, title, None, "", self.path, span[0], span[1], links=links))

    def description(self, node: Node) -> bool:
        """A paragraph right after an item, without a link of its own, that starts like a
        description (`介绍：…`, `Description: …`) belongs to that item."""
        item = self.entries[-1] if self.entries else None
        if item is None or not item.curated or not item.url or item.line_end > node.map[0]:
            return False  # (an item without a link is more likely a note than a name)
        if any(line.strip() for line in self.src_lines[item.line_end : node.map[0]]):
            return False
        runs = flatten(node.children[0].token).runs()
        if any(r.href is not None for r in runs):
            return False
        text = _text(runs)
        if not _DESCRIPTION_START.match(text) or all(r.strong for r in runs if r.text.strip()):
            return False  # a bold line is a name (`**Title: subtitle**`), not a description
        body = split_title(text)[1] or text
        # The item's line span stays as it is: an edit re-renders the item, not this.
        item.description = f"{item.description} {body}" if item.description else body
        return True

    def paragraph(self, node: Node, nxt: Node | None) -> bool:
        lines = flatten(node.children[0].token).lines
        if node.token.info == "footnote":
            self.link_holder([r for line in lines for r in line], node.map, None)
            return False
        following = nxt if nxt is not None and nxt.type.endswith("_list") else None
        return self._lines_with_outline(lines, node.map, following, None)

    def _outline_hit(self, line: list[Run]) -> tuple[int, str] | None:
        if not self.outline or any(r.href for r in line):
            return None
        plain = line_text(line)
        hit = outline_level(plain)
        return (hit[0], plain) if hit else None

    def _lines_with_outline(
        self,
        lines: list[list[Run]],
        span: tuple[int, int],
        following: Node | None,
        entry: ParsedEntry | None,
    ) -> bool:
        """Walk paragraph lines in order; outline lines switch the category mid-paragraph.

        With `entry`, the lines before the first outline line already belong to it.
        """
        group: list[list[Run]] = []
        start = span[0]
        consumed = False
        seen_outline = False
        for k, line in enumerate(lines):
            hit = self._outline_hit(line)
            if hit is None:
                group.append(line)
                continue
            if group and (seen_outline or entry is None):
                self._paragraph_group(group, (start, span[1]), None)
            group = []
            seen_outline = True
            self.push_category(hit[0], hit[1], span[0] + k, CategoryKind.OUTLINE)
            start = span[0] + k + 1
        if group and (seen_outline or entry is None):
            consumed = self._paragraph_group(group, (start, span[1]), following)
        return consumed

    def _paragraph_group(
        self, lines: list[list[Run]], span: tuple[int, int], following_list: Node | None
    ) -> bool:
        runs = [r for line in lines for r in line]
        plain = _text(runs)
        links = [r for r in runs if r.href is not None]
        content_links = [r for r in links if not r.image and not r.badge]
        if not links:
            strong_only = all(r.strong for r in runs if r.text.strip())
            if (
                following_list is not None
                and plain
                and len(lines) <= 2
                and self._sub_links_only(following_list)
            ):
                # `**Paper title**` then `- Paper: url` / `- Code: url`: one item whose
                # bullets are its links; the whole name is its title.
                head = _Head(plain.rstrip(_TITLE_TAIL), None, "", runs, False)
                end = following_list.map[1]
                entry = self.new_entry(EntryKind.PARAGRAPH, head, (span[0], end), None)
                self.notes_list(following_list, entry)
                return True
            if following_list is not None and self._has_items(following_list):
                # An intro line (`Some useful tools:`, `_Toolkits_`) over a list of items
                # labels them: a sub-category when it reads as one, otherwise nothing.
                if len(plain) <= 60 and (
                    looks_like_pseudo_heading(plain, strong_only) or plain.endswith((":", "："))
                ):
                    self.push_category(
                        self.heading_level + 1, heading_title(plain), span[0], CategoryKind.PSEUDO
                    )
                else:  # a label that is no sub-category still ends the one before it
                    while self.stack and self.stack[-1][0] > self.heading_level:
                        self.stack.pop()
                return False
            if following_list is not None and looks_like_pseudo_heading(plain, strong_only):
                self.push_category(
                    self.heading_level + 1, heading_title(plain), span[0], CategoryKind.PSEUDO
                )
                return False
            if following_list is not None and plain and len(plain) <= 80 and len(lines) == 1:
                head = read_head(lines)
                end = following_list.map[1]
                entry = self.new_entry(EntryKind.PARAGRAPH, head, (span[0], end), None)
                self.notes_list(following_list, entry, titled_items=True)
                return True
            return False  # prose
        if not content_links:  # badges only: a BADGE holder
            self.link_holder(runs, span, None)
            return False
        if following_list is None and _credit_or_bare(runs, content_links):
            self.link_holder(runs, span, None)  # an author line, a lone URL: prose
            return False
        head = read_head(lines)
        named = _strong_name(runs)
        if named:
            head = _Head(named, head.url, head.description, runs, False)
        elif not head.starts_with_link and (
            len(plain) > 200 or len(head.title) > 40 or _sentence(runs)
        ):
            self.link_holder(runs, span, None)  # prose that mentions links: a PROSE holder
            return False
        end = following_list.map[1] if following_list is not None else span[1]
        owner = self.entries[self.owner] if self.owner is not None else None
        entry = self.new_entry(EntryKind.PARAGRAPH, head, (span[0], end), owner)
        if following_list is not None:
            self.notes_list(following_list, entry, titled_items=True)
            return True
        return False

    def _group_label(self, lines: list[list[Run]], rest: list[Node]) -> bool:
        runs = [r for line in lines for r in line]
        if any(r.href for r in runs if not (r.href == "" and not r.image)) and not (
            _keyword_label(runs)
        ):
            # A link of its own (an empty `[label]()` is only a label), unless it is the
            # label's keyword page: `AWS [[aws](…/keywords/aws)]` over a list of items.
            return False
        plain = _text(runs)
        if not plain or len(plain) > 80 or len(lines) > 1:
            return False
        if not rest or any(b.type not in ("bullet_list", "ordered_list") for b in rest):
            return False
        return all(self._has_items(b) for b in rest)

    def _has_items(self, node: Node) -> bool:
        """Most items start with a link that names them (not `[code](…)` sub-links)."""
        named = 0
        for item in node.children:
            head = read_head(self._head_lines(item)[0])
            if head.starts_with_link and head.url and not is_generic_label(head.title):
                named += 1
        return named * 2 > len(node.children)

    def _sub_links_only(self, node: Node) -> bool:
        """Every item is a generic link (`Paper: url`, `[code](url)`), none a name."""
        found = False
        for item in node.children:
            head = read_head(self._head_lines(item)[0])
            if head.url is None or (head.starts_with_link and not is_generic_label(head.title)):
                return False  # no link, or a named item of its own
            found = found or is_generic_label(head.title)
        return found

    def top_list(self, node: Node) -> None:
        if self._is_toc(node):
            runs = [r for item in node.children for r in self._item_runs(item)]
            self.add(
                ParsedEntry(
                    0,
                    EntryKind.TOC,
                    "",
                    None,
                    "",
                    self.path,
                    node.map[0],
                    node.map[1],
                    links=_links(runs, None),
                )
            )
            return
        if self.details_owner is not None:
            owner = self.entries[self.details_owner]
            for item in node.children:
                lines, rest = self._head_lines(item)
                self._merge_notes(owner, lines)
                self._item_body(rest, owner)
            return
        if self.owner is not None:
            self.notes_list(node, self.entries[self.owner])
            return
        for item in node.children:
            self.item(item, None)

    def _item_runs(self, item: Node) -> list[Run]:
        runs: list[Run] = []
        for child in item.children:
            if child.type in ("paragraph", "heading") and child.children:
                runs.extend(flatten(child.children[0].token).runs())
            elif child.type in ("bullet_list", "ordered_list"):
                for sub in child.children:
                    runs.extend(self._item_runs(sub))
        return runs

    def _is_toc(self, node: Node) -> bool:
        # Item by item: a list is almost never a ToC, and its first web link says so
        # without flattening the rest of it (the items are flattened again as entries).
        found = False
        for item in node.children:
            for run in self._item_runs(item):
                # Images and badges inside ToC items (`[Awesome X ![badge](…)](#x)`) do
                # not make it a list of items.
                if run.href is not None and not run.image and not run.badge:
                    if _link_kind(run.href) != LinkKind.ANCHOR:
                        return False
                    found = True
        return found and all(_text_blocks_only(item) for item in node.children)

    def _head_lines(self, item: Node) -> tuple[list[list[Run]], list[Node]]:
        first = item.children[0] if item.children else None
        if first is not None and first.type in ("paragraph", "heading") and first.children:
            return flatten(first.children[0].token).lines, item.children[1:]
        return [], item.children

    def item(self, item: Node, parent: ParsedEntry | None) -> None:
        if item.children and item.children[0].type == "heading":
            # `- ### Heading`: a sub-category inside a list, not an item.
            self.heading(item.children[0])
            self.walk(item.children[1:])
            return
        lines, rest = self._head_lines(item)
        if not lines and not rest:
            return  # an empty bullet
        if self._group_label(lines, rest):
            # `- Promises` / `- **Post-Training**` over a list of items: a label, never an
            # entry, and it takes no child's URL; the items are the parent's.
            self.link_holder([r for line in lines for r in line], item.map, None)
            for block in rest:
                if block.type in ("bullet_list", "ordered_list"):
                    for sub in block.children:
                        self.item(sub, parent)
            return
        cut = next((k for k, ln in enumerate(lines) if self._outline_hit(ln)), len(lines))
        entry = self.new_entry(EntryKind.BULLET, read_head(lines[:cut]), item.map, parent)
        if cut < len(lines):
            # `1.2,设计模式教程` arrived as a lazy continuation line of this item.
            self._lines_with_outline(lines, item.map, None, entry)
        self._item_body(rest, entry)
        self._promote_main(entry)

    def _promote_main(self, entry: ParsedEntry) -> None:
        """An entry without a link of its own takes its first web sub-link as main URL."""
        if entry.url is not None:
            return
        for k, link in enumerate(entry.links):
            if link.kind == LinkKind.WEB and link.role == LinkRole.SUB:
                entry.url = link.href
                entry.links[k] = ParsedLink(
                    link.href, link.text, link.kind, LinkRole.MAIN, link.line
                )
                return

    def _item_body(self, blocks: list[Node], entry: ParsedEntry) -> None:
        for k, block in enumerate(blocks):
            if block.type == "heading":
                # A heading indented into a list item still renders as a heading: it
                # opens a category, and what follows it is walked like the document.
                self.heading(block)
                self.walk(blocks[k + 1 :])
                return
            if block.type in ("bullet_list", "ordered_list"):
                self.notes_list(block, entry)
            elif block.type == "paragraph" and block.children:
                self._merge_notes(entry, flatten(block.children[0].token).lines)
            elif block.type == "table":
                self.table(block, entry)
            elif block.type == "html_block":
                self.html_block(block, entry)
            elif block.type == "blockquote":
                self._item_body(block.children, entry)

    def notes_list(self, node: Node, owner: ParsedEntry, titled_items: bool = False) -> None:
        """Items under an entry: curated items become nested entries, the rest notes.

        `titled_items`: under a paragraph entry, `Title: [link](url)` items are curated too.
        """
        for item in node.children:
            lines, rest = self._head_lines(item)
            head = read_head(lines)
            curated = head.starts_with_link and head.url and not is_generic_label(head.title)
            if not curated and titled_items and head.url and not head.starts_with_link:
                before = _text(
                    head.runs[: next(k for k, r in enumerate(head.runs) if r.href == head.url)]
                )
                curated = before.rstrip().endswith((":", "：")) and len(before) > 4
            if curated:
                self.item(item, owner)
                continue
            self._merge_notes(owner, lines)
            self._item_body(rest, owner)
        self._promote_main(owner)

    def _merge_notes(self, entry: ParsedEntry, lines: list[list[Run]]) -> None:
        runs = [r for line in lines for r in line]
        note = _text(runs)
        if note:
            entry.notes = f"{entry.notes}\n{note}" if entry.notes else note
        entry.links.extend(_links(runs, None))

    def table(self, node: Node, owner: ParsedEntry | None = None) -> None:
        header: list[str] = []
        rows = [
            (
                section.type,
                row,
                [
                    flatten(c.children[0].token, row.map[0]) if c.children else None
                    for c in row.children
                ],
            )
            for section in node.children
            for row in section.children
        ]
        body = [cells for kind, _, cells in rows if kind != "thead"]
        link_cols = _link_columns(body)
        name_col = link_cols[0] if link_cols else -1
        # `| Company | [Model](url) | notes |`: when only one column holds links, they name
        # the items and the plain first column (a company, an author) does not.
        links_name = name_col > 0 and _busy_link_columns(body) == 1
        for section_type, row, cells in rows:
            if section_type == "thead":
                header = [c.plain() if c else "" for c in cells]
                self.link_holder([r for c in cells if c for r in c.runs()], row.map, owner)
                continue
            columns: dict[str, str] = {}
            runs: list[Run] = []
            for k, cell in enumerate(cells):
                name = header[k] if k < len(header) and header[k] else f"col{k + 1}"
                if name in columns:
                    name = f"{name}_{k + 1}"
                columns[name] = _text(cell.runs()) if cell else ""
                if cell:
                    runs.extend(cell.runs())
            first = cells[0].runs() if cells and cells[0] else []
            target = _first_target(runs)
            named = _first_target(first)
            name_cell = cells[name_col] if 0 < name_col < len(cells) else None
            if named is not None:
                # The link in the first cell names the item; what follows it there
                # (citation counts, aliases) is not part of the name.
                target = named
                title = _text([named]) or _text(first)
            elif (
                name_cell is not None
                and (links_name or not _reads_as_name(_text(first)))
                and _reads_as_name(_text(name_cell.runs()))
            ):
                # An index or date column first: the column whose links name the items
                # (a model, a project) names every row, linked or not, over the company
                # or the row's first link.
                linked = _first_target(name_cell.runs())
                target = linked or target
                title = _text([linked]) if linked else _text(name_cell.runs())
            else:
                title = _text(first)
                if not _reads_as_name(title) and target is not None and target.text:
                    # A date, index or badge column first: the linked item names the row.
                    title = _text([target])
                elif not title:
                    title = target.text if target else ""
            if not any(ch.isalpha() for ch in title) and header:
                title = data_row_title(columns) or title
            url = target.href if target else None
            head = _Head(title, url, "", runs, False)
            entry = self.new_entry(EntryKind.TABLE_ROW, head, row.map, owner)
            entry.columns = columns
            entry.description = (
                " | ".join(
                    v for k2, v in list(columns.items())[1:] if v and not k2.startswith("col")
                )
                if header
                else ""
            )

    def html_block(self, node: Node, owner: ParsedEntry | None = None) -> None:
        content = node.token.content
        start = node.map[0]
        if "<!--" in content:
            for k, text_line in enumerate(content.split("\n")):
                if IGNORE_MARKER in text_line:
                    self.ignore_lines.add(start + k)
        href: str | None = None
        text: list[str] = []
        line = start
        badges: list[ParsedLink] = []
        line_of = _line_locator(content, start)
        pos = 0
        in_summary = False
        summary: ParsedEntry | None = None  # the project a `<summary>` names
        summary_text: list[str] = []
        made: list[ParsedEntry] = []  # HTML entries of this block, outside summaries
        small = 0  # inside <sup>/<sub>/<small>: fine print, never an item
        prose: list[str] = []  # text outside links: a sentence makes the links prose
        # `<h3 id="x">Name</h3>`: GitHub renders it as a heading, so it opens a category.
        html_heading: tuple[int, int, list[str]] | None = None  # (level, line, text)

        def finish() -> None:
            nonlocal href, summary
            if href is None:
                return
            title = " ".join("".join(text).split())
            if title:
                link = ParsedLink(href, title, classify(href), LinkRole.MAIN, line)
                if owner is not None:
                    owner.links.append(ParsedLink(href, title, link.kind, LinkRole.SUB, line))
                elif summary is not None:
                    # Licence and package links of a summary belong to its project.
                    summary.links.append(ParsedLink(href, title, link.kind, LinkRole.SUB, line))
                else:
                    kind = EntryKind.TOC if href.startswith("#") else EntryKind.HTML
                    entry = self.add(
                        ParsedEntry(
                            0, kind, title, href, "", self.path, line, line + 1, links=[link]
                        )
                    )
                    if in_summary and kind == EntryKind.HTML:
                        summary = entry
                    elif kind == EntryKind.HTML:
                        if small or (title.startswith("[") and title.endswith("]")):
                            entry.kind = EntryKind.PROSE  # fine print, a `[button]`
                        made.append(entry)
            else:
                badges.append(ParsedLink(href, "", classify(href), LinkRole.BADGE, line))
            href = None

        for tag, attrs in read_tags(content):
            if tag in _HTML_HEADINGS:
                pos = max(pos, content.lower().find("<" + tag, pos))
                html_heading = (int(tag[1]), line_of(pos), [])
            elif tag[1:] in _HTML_HEADINGS and html_heading is not None:
                self.html_heading(html_heading[0], html_heading[1], html_heading[2])
                html_heading = None
            elif tag == "#text" and html_heading is not None:
                html_heading[2].append(attrs["data"])
            if tag == "summary":
                in_summary, summary, summary_text = True, None, []
                self.details_owner = None
            elif tag == "/summary":
                finish()
                in_summary = False
                if summary is not None:
                    summary.description = strip_leading_separators(
                        " ".join("".join(summary_text).split())
                    )
                    self.details_owner = summary.index
            elif tag == "/details":
                self.details_owner = None
            elif tag == "#text" and in_summary and summary is not None and href is None:
                summary_text.append(attrs["data"])
            elif tag == "#text" and href is None and not in_summary:
                prose.append(attrs["data"])
            elif tag in ("sup", "sub", "small"):
                small += 1
            elif tag in ("/sup", "/sub", "/small"):
                small = max(0, small - 1)
            if tag == "a" and attrs.get("href"):
                finish()  # an unclosed <a> ends where the next one starts, as in browsers
                href, text = attrs["href"], []
                pos = content.find(attrs["href"], pos)
                line = line_of(pos)
            elif tag == "/a":
                finish()
            elif tag == "img" and attrs.get("src"):
                pos = max(pos, content.find(attrs["src"], pos))
                badges.append(
                    ParsedLink(
                        attrs["src"],
                        attrs.get("alt", ""),
                        LinkKind.IMAGE,
                        LinkRole.IMAGE,
                        line_of(pos),
                    )
                )
            if tag in ("img", "source") and attrs.get("srcset"):
                # `<picture><source srcset>` (star-history charts): GitHub shows these too.
                for src in srcset_urls(attrs["srcset"]):
                    pos = max(pos, content.find(src, pos))
                    alt = attrs.get("alt", "")
                    badges.append(
                        ParsedLink(src, alt, LinkKind.IMAGE, LinkRole.IMAGE, line_of(pos))
                    )
            elif tag == "#text" and href is not None:
                text.append(attrs["data"])
        finish()  # `<p><a href="…">text</p>`: never closed, still a link
        if made and len(_WORDS.findall(" ".join(prose))) >= 3:
            for entry in made:  # links inside a sentence: prose, kept for their links
                entry.kind = EntryKind.PROSE
        if badges:
            if owner is not None:
                owner.links.extend(badges)
            else:
                self.add(
                    ParsedEntry(
                        0,
                        EntryKind.BADGE,
                        "",
                        None,
                        "",
                        self.path,
                        start,
                        node.map[1],
                        links=badges,
                    )
                )


_HTML_HEADINGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))

_DATE_LIKE = re.compile(r"^[\d\s./:-]+$|^\d{4}[-/.]\d{1,2}")


def _reads_as_name(text: str) -> bool:
    return any(ch.isalpha() for ch in text) and not _DATE_LIKE.match(text)


_WORDS = re.compile(r"[^\W\d_]{2,}")
_PERSON = re.compile(r"^[A-Z][\w.'-]*(?: [A-Z][\w.'-]*){0,3}$")
_SEPARATOR_WORDS = re.compile(r"^(?:[\s,，、;；.&]|and|et al)*$", re.IGNORECASE)


def _credit_or_bare(runs: list[Run], links: list[Run]) -> bool:
    """`[A](…), [B](…), C, [D](…)`: names of people, not an item; or a paragraph that is
    only a URL shown as its own link text."""
    if len(links) == 1 and links[0].text.strip() == (links[0].href or "").strip():
        return not _text([r for r in runs if r is not links[0]])
    if len(links) < 3:
        return False
    between = [r.text for r in runs if r.href is None and not r.image]
    # Plain names may sit between the links too (`Aoyu Li,`): short, comma-separated.
    pieces = [p.strip() for t in between for p in re.split(r"[,，、]", t)]
    return all(_SEPARATOR_WORDS.match(p) or _PERSON.match(p) for p in pieces) and any(
        "," in t or "，" in t or "、" in t for t in between
    )


# `介绍：…`, `Description: …`: a short label and a colon open a description paragraph.
_DESCRIPTION_START = re.compile(r"^[^\W\d_][\w ]{0,15}[:：]\s*\S")


def _slug(text: str) -> str:
    """GitHub's heading anchor, near enough to match a ToC's fragments."""
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def _decoration(word: str) -> bool:
    """An emoji or symbol used as an ornament (`🚀`, `:rocket:` is text and stays)."""
    return all(unicodedata.category(ch)[0] in "SZC" or ch in "\ufe0f\u200d" for ch in word)


_SHORTCODE = re.compile(r"(?<!\S):[a-z0-9_+-]+:(?!\S)")


def _no_shortcodes(text: str) -> str:
    return " ".join(_SHORTCODE.sub(" ", text).split()) if ":" in text else text


def _plain_title(title: str) -> str:
    """A title without emoji shortcodes (`:heavy_dollar_sign:`, GitHub draws an emoji) and
    without emoji ornaments around it (`🦀 Name 🦀`); an emoji-only name stays."""
    words = _no_shortcodes(title).split()
    if words and (_decoration(words[0]) or _decoration(words[-1])):
        while words and _decoration(words[0]):
            words.pop(0)
        while words and _decoration(words[-1]):
            words.pop()
    return " ".join(words) or title


def _category_name(runs: list[Run]) -> str:
    """A heading as a category name: without badges (`# Awesome-LLM [![Awesome](…)](…)`)
    and without emoji-only words around it."""
    words = _text([r for r in runs if not r.badge]).split()
    while words and _decoration(words[0]):
        words.pop(0)
    while words and _decoration(words[-1]):
        words.pop()
    return " ".join(words)


def _sentence(runs: list[Run]) -> bool:
    """`Read the [guide](…) before you send a pull request.`: words run into the link and
    on after it; a name would end at a separator (`Name: [link](…)`, `Name - [link]`)."""
    k = next(i for i, r in enumerate(runs) if r.href is not None and not r.image)
    before = "".join(r.text for r in runs[:k] if not r.image).rstrip()
    after = "".join(r.text for r in runs[k + 1 :] if r.href is None and not r.image)
    if not before or before.endswith((":", "：", "-", "—", "–", "|", ",", "，")):
        return False
    return len(_WORDS.findall(after)) >= 3


def _strong_name(runs: list[Run]) -> str:
    """`**Name** [[Paper](url)]`: a bold name leading a paragraph of its links."""
    k = 0
    while k < len(runs) and not runs[k].text.strip() and runs[k].href is None:
        k += 1
    name: list[Run] = []
    while k < len(runs) and runs[k].strong and runs[k].href is None:
        name.append(runs[k])
        k += 1
    if not name or k >= len(runs):
        return ""
    following = runs[k:]
    if not any(r.href is not None and not r.image for r in following):
        return ""
    return _text(name).rstrip(_TITLE_TAIL)


_NAV_MARKS = ("←", "↑", "⬆", "↥", "⇧", "🔝", "⬅")
_META_FILES = ("license", "licence", "contributing", "code_of_conduct", "code-of-conduct")
_MORE = re.compile(r"^(?:see |and )?more(?:…|\.\.\.| ?»)?$", re.IGNORECASE)


def _navigation(head: _Head) -> bool:
    if head.url is None:
        return False
    return head.url.startswith("#") or (head.starts_with_link and head.title.startswith(_NAV_MARKS))


def _footer(head: _Head) -> bool:
    """A licence or contributing pointer to the repository's own file, a `More…` link,
    an email address."""
    if head.url is None:
        return False
    if _MORE.match(head.title):
        return True
    if head.starts_with_link and head.url.startswith("mailto:") and not head.description:
        # A bare `[e-mail](mailto:…)` is a way to reach the author; a described one
        # (`[dev list](mailto:…) - discussion`) may be a mailing list, an item.
        return True
    if "://" in head.url or head.url.startswith(("//", "mailto:")):
        return False
    name = head.url.split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1].lower()
    return name.split(".", 1)[0] in _META_FILES


def _text_blocks_only(item: Node) -> bool:
    """A ToC item holds paragraphs, headings and sub-lists only: HTML, a table or a quote
    may carry links the ToC entry (built from paragraph runs) would not keep."""
    for child in item.children:
        if child.type in ("bullet_list", "ordered_list"):
            if not all(_text_blocks_only(sub) for sub in child.children):
                return False
        elif child.type not in ("paragraph", "heading", "fence", "code_block", "hr"):
            return False
    return True


def _line_locator(content: str, start: int) -> Callable[[int], int]:
    def line_of(pos: int) -> int:
        return start + content.count("\n", 0, max(pos, 0))

    return line_of


_LINE_END = re.compile(r"(\r\n|\r|\n)")


def split_lines(text: str) -> list[str]:
    """Lines as markdown-it numbers them (it normalizes CR LF and CR to LF), with ends."""
    parts = _LINE_END.split(text)
    lines = [parts[k] + parts[k + 1] for k in range(0, len(parts) - 1, 2)]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def walk_text(
    text: str,
    lines: list[str],
    *,
    outline: bool | None = None,
    line_offset: int = 0,
    env: dict[str, Any] | None = None,
) -> _Walker:
    """Tokenize `text` (all of a document, or a chunk of it starting at `line_offset`) and
    walk it. `lines` are the whole document's lines; token maps are shifted to match."""
    src = text[1:] if text.startswith("\ufeff") else text
    tokens = _MD.parse(src, env if env is not None else {})
    if line_offset:
        for tok in tokens:
            if tok.map:
                tok.map = [tok.map[0] + line_offset, tok.map[1] + line_offset]
    tree = build_tree(tokens)
    if outline is None:
        outline = not any(n.type == "heading" for n in tree)
    walker = _Walker(text, lines, outline=outline)
    walker.walk(tree)
    walker.own_url_tocs()
    return walker


def identities(entries: list[ParsedEntry]) -> dict[str, str]:
    """Normalized form of every web href and main URL (see ParsedDocument.normalized)."""
    out: dict[str, str] = {}
    for e in entries:
        if e.url and e.url not in out and _link_kind(e.url) == LinkKind.WEB:
            out[e.url] = normalize(e.url)
        for lk in e.links:
            if lk.kind == LinkKind.WEB and lk.href not in out:
                out[lk.href] = normalize(lk.href)
    return out


def parse_markdown(text: str) -> ParsedDocument:
    with gc_paused():
        lines = split_lines(text)
        walker = walk_text(text, lines)
        return ParsedDocument(
            text,
            walker.entries,
            walker.categories,
            len(lines),
            walker.headings,
            identities(walker.entries),
        )


# A code host's user or organisation page (`https://github.com/acme`): it names who made
# the item, never the item.
_PROFILE = re.compile(
    r"^https?://(?:www\.)?(?:github\.com|gitlab\.com|gitee\.com|huggingface\.co)/[^/?#]+/?$",
    re.IGNORECASE,
)


def _link_columns(rows: list[list[InlineText | None]]) -> list[int]:
    """Columns whose cells often start with a link naming an item, most such cells first.

    At least two rows, and a third of them, must have one: a lone link says nothing."""
    counts: dict[int, int] = {}
    for cells in rows:
        for k, cell in enumerate(cells):
            if cell is None:
                continue
            runs = [r for r in cell.runs() if r.image or r.href or r.text.strip()]
            lead = runs[0] if runs else None
            # One link that starts the cell: a name (`[x](…) [y](…)` is a links column).
            if (
                sum(1 for r in runs if r.href and not r.image) == 1
                and lead
                and lead.href
                and not (lead.image or lead.badge or is_generic_label(lead.text))
                and not _PROFILE.match(lead.href)
            ):
                counts[k] = counts.get(k, 0) + 1
    cols = [k for k, n in counts.items() if n >= 2 and n * 3 >= len(rows)]
    return sorted(cols, key=lambda k: (-counts[k], k))


def _busy_link_columns(rows: list[list[InlineText | None]]) -> int:
    """How many columns hold a link (any: downloads, licences, sites) in a third of rows."""
    counts: dict[int, int] = {}
    for cells in rows:
        for k, cell in enumerate(cells):
            if cell is not None and any(r.href and not r.image for r in cell.runs()):
                counts[k] = counts.get(k, 0) + 1
    return sum(1 for n in counts.values() if n * 3 >= len(rows))


def data_row_title(columns: dict[str, str]) -> str:
    """A title for a row of figures (`| 1 | FP16 | 13046MiB |`): its first two named cells,
    `Batch_size 1 · 数据类型 FP16`, since a bare `1` says nothing in a listing."""
    named = [(k, v) for k, v in columns.items() if v and not k.startswith("col")]
    return " · ".join(f"{k} {v}" for k, v in named[:2])
