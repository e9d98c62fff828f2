"""Tag pages: `exports/tags/<tag>.md`, one tag's entries across all lists.

Input: `ExportData`. Output: Markdown (UTF-8 bytes) per tag that has entries: the tag's badge and
description, a ToC, then its entries grouped by canonical category (taxonomy order) with a
link to the category page, and in each category by source section (a heading naming the
list and its headings once).
"""

from __future__ import annotations

from curator.export.categories import GENERATED, EntryRenderer, Render, md, toc, where
from curator.export.collect import ExportData, OutEntry
from curator.export.slug import Slugger
from curator.util.words import counted


def render_tag(
    data: ExportData, tag: str, entries: list[OutEntry], render: Render | None = None
) -> bytes:
    """The page as UTF-8 bytes (see categories.EntryRenderer)."""
    render = render or EntryRenderer(data)
    info = data.rules.info(tag)
    by_cat: dict[str, list[OutEntry]] = {c: [] for c in data.taxonomy.names}
    for e in entries:
        by_cat.setdefault(e.category, []).append(e)
    groups = [(c, es) for c, es in by_cat.items() if es]
    lists = len({e.source for e in entries})
    slugger = Slugger()
    slugger.slug(info.label)
    slugger.slug("Contents")
    intro = f"{md(info.description.rstrip('.'))}. " if info.description else ""
    out = [
        GENERATED,
        f"# {md(info.label)}",
        "",
        f"{intro}{counted(len(entries), 'entry')} from {counted(lists, 'list')}, "
        "grouped by category. Back to the [index](../README.md).",
        "",
        "## Contents",
        "",
        *toc(slugger, [(data.category_title(c), len(es)) for c, es in groups]),
    ]
    parts = ["\n".join(out).encode()]
    for cat, es in groups:
        head = f"\n## {md(data.category_title(cat))}\n\nAll entries of this category: "
        parts.append(f"{head}[{cat}.md](../{cat}.md)".encode())
        sections: dict[tuple[str, tuple[str, ...]], list[OutEntry]] = {}
        for e in es:
            sections.setdefault((e.source, e.section), []).append(e)
        for (src, sec), section in sections.items():
            parts.append(f"\n### {md(where(src, sec))}\n".encode())
            parts += [render(e, 1) for e in section]
    parts.append(b"")  # the final newline
    return b"\n".join(parts)
