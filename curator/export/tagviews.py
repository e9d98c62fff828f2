"""Tag pages: `exports/tags/<tag>.md`, one tag's entries across all lists.

Input: `ExportData`. Output: Markdown (UTF-8 bytes) per tag that has entries: the tag's badge and
description, a ToC, then its entries grouped by canonical category (taxonomy order), each
with its source list and a link to its category page.
"""

from __future__ import annotations

from curator.export.categories import GENERATED, EntryRenderer, Render, md, toc
from curator.export.collect import ExportData, OutEntry
from curator.export.slug import Slugger


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
        f"{intro}{len(entries)} entries from {lists} list{'s' if lists != 1 else ''}, "
        "grouped by category. Back to the [index](../README.md).",
        "",
        "## Contents",
        "",
        *toc(slugger, [(data.category_title(c), len(es)) for c, es in groups]),
    ]
    parts = ["\n".join(out).encode()]
    for cat, es in groups:
        head = f"\n## {md(data.category_title(cat))}\n\nAll entries of this category: "
        parts.append(f"{head}[{cat}.md](../{cat}.md)\n".encode())
        parts += [render(e, 1) for e in es]
    parts.append(b"")  # the final newline
    return b"\n".join(parts)
