"""Typed output of the parser: a `ParsedDocument` made of categories, entries and links.

Input: nothing (plain data). Output: frozen/slotted dataclasses and enums shared by the
parser, the importer and the renderer. Lines are 0-based here; the UI shows them 1-based.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from curator.urls import LinkKind, normalize


class EntryKind(StrEnum):
    BULLET = "bullet"  # a list item, at any depth
    PARAGRAPH = "paragraph"  # a paragraph that is a link or a bare name with notes under it
    TABLE_ROW = "table_row"
    HEADING_LINK = "heading_link"  # `#### [title](url)` with note bullets under it
    HTML = "html"  # an <a href> in an HTML block (e.g. inside <details>)
    TOC = "toc"  # a table of contents: kept for its links, never shown as an entry
    BADGE = "badge"  # badges and decorative images: kept for their links, never shown
    PROSE = "prose"  # a prose paragraph that mentions links: kept for them, never shown


# Kinds that are curated items; TOC and BADGE only hold links.
CURATED_KINDS = frozenset(
    {
        EntryKind.BULLET,
        EntryKind.PARAGRAPH,
        EntryKind.TABLE_ROW,
        EntryKind.HEADING_LINK,
        EntryKind.HTML,
    }
)


class LinkRole(StrEnum):
    MAIN = "main"
    SUB = "sub"
    IMAGE = "image"
    BADGE = "badge"


class ShownRole(StrEnum):
    """What a stored link is to a reader (`curator links --role`), from the kind of the
    entry holding it and its `LinkRole`: an entry's main link, a sub-link (or image), a
    badge, or a link of prose or of a table of contents."""

    ENTRY = "entry"
    SUB = "sub"
    BADGE = "badge"
    PROSE = "prose"
    TOC = "toc"


class CategoryKind(StrEnum):
    HEADING = "heading"  # ATX or setext
    PSEUDO = "pseudo"  # `1，**神经网络基础部件**：` or a bold-only line before a list
    OUTLINE = "outline"  # `一,计算机系统` / `1.1,计算机系统书籍` in lists without headings


@dataclass(frozen=True, slots=True)
class ParsedLink:
    href: str  # as written (reference links resolved by markdown-it)
    text: str
    kind: LinkKind
    role: LinkRole
    line: int

    def __reduce__(self) -> tuple[type[ParsedLink], tuple[object, ...]]:
        # Chunks come back from worker processes pickled: the default state protocol of
        # slotted dataclasses calls `fields()` per object and doubles the cost of a parse.
        return ParsedLink, (self.href, self.text, self.kind, self.role, self.line)


@dataclass(frozen=True, slots=True)
class ParsedCategory:
    path: tuple[str, ...]
    title: str
    level: int
    line: int
    kind: CategoryKind


@dataclass(slots=True)
class ParsedEntry:
    index: int
    kind: EntryKind
    title: str
    url: str | None
    description: str
    category: tuple[str, ...]
    line_start: int
    line_end: int  # exclusive
    parent: int | None = None
    depth: int = 0
    notes: str = ""
    links: list[ParsedLink] = field(default_factory=list)
    columns: dict[str, str] | None = None
    ignored: bool = False

    def __reduce__(self) -> tuple[type[ParsedEntry], tuple[object, ...]]:
        return ParsedEntry, (
            self.index,
            self.kind,
            self.title,
            self.url,
            self.description,
            self.category,
            self.line_start,
            self.line_end,
            self.parent,
            self.depth,
            self.notes,
            self.links,
            self.columns,
            self.ignored,
        )

    @property
    def curated(self) -> bool:
        return self.kind in CURATED_KINDS


@dataclass(slots=True)
class ParsedDocument:
    text: str
    entries: list[ParsedEntry]
    categories: list[ParsedCategory]
    line_count: int
    # Heading text as GitHub slugs it, in order (the exporter's slugger is tested on these).
    headings: list[tuple[int, str]] = field(default_factory=list)
    # href → `urls.normalize(href)` for every web link and main URL, computed while parsing
    # (on every core for big lists) so the importer does not redo it on one.
    normalized: dict[str, str] = field(default_factory=dict)

    def identity(self, href: str) -> str:
        found = self.normalized.get(href)
        return found if found is not None else normalize(href)

    @property
    def curated(self) -> list[ParsedEntry]:
        return [e for e in self.entries if e.curated]
