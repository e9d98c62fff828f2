"""The export index: `exports/README.md`.

Input: `ExportData` and the category/tag pages that were written. Output: Markdown with
each category and its count (linked to its page), the tag legend (badge, meaning, count,
linked to the tag page), the status markers, the date of the last link check (from the
DB, so the file only changes when the data does), and the source lists.
"""

from __future__ import annotations

from curator.export.categories import GENERATED, MARKERS, md, toc
from curator.export.collect import ExportData, LinkStatus
from curator.export.slug import Slugger
from curator.util.words import counted

MARKER_TEXT = {
    LinkStatus.BROKEN: "confirmed broken by the last checks; an archived copy is linked "
    "when one is known",
    LinkStatus.FLAKY: "flaky: fails now and then",
    LinkStatus.MOVED: "permanently moved; the link points to the new address",
}


def render_index(data: ExportData, categories: dict[str, int], tags: dict[str, int]) -> str:
    n = len(data.entries)
    lists = len(data.sources)
    checked = (
        f"Links last checked on {data.last_check:%Y-%m-%d}."
        if data.last_check is not None
        else "Links have not been checked yet (`curator check`); no status markers are shown."
    )
    slugger = Slugger()
    title = "Reading lists by category"
    slugger.slug(title)
    slugger.slug("Contents")
    parts = ["Categories", "Tags", "Status markers", "Source lists"]
    out = [
        GENERATED,
        f"# {title}",
        "",
        f"{counted(n, 'entry')} from {counted(lists, 'list')}, in "
        f"{counted(len(categories), 'category')} (an entry found in several places is counted "
        f"once). {checked} What changed since the previous export: "
        "[CHANGES.md](CHANGES.md).",
        "",
        "## Contents",
        "",
        *[line.rsplit(" (", 1)[0] for line in toc(slugger, [(p, 0) for p in parts])],
        "",
        "## Categories",
        "",
        "| Category | Entries |",
        "| --- | ---: |",
    ]
    out += [
        f"| [{md(data.category_title(c))}]({c}.md) | {count} |"
        for c, count in categories.items()
        if count
    ]
    out += ["", "## Tags", "", "| Tag | Meaning | Entries |", "| --- | --- | ---: |"]
    # A tag no entry has would be a row of 0 (and a link to a page that is not written).
    for t in data.tag_order:
        if not tags.get(t):
            continue
        info = data.rules.info(t)
        out.append(f"| [`{info.label}`](tags/{t}.md) | {md(info.description)} | {tags[t]} |")
    out += ["", "## Status markers", "", "| Marker | Meaning |", "| --- | --- |"]
    out += [f"| {MARKERS[s]} | {MARKER_TEXT[s]} |" for s in MARKERS]
    out += ["", "## Source lists", ""]
    for s in data.sources:
        repeats = s.entries - s.shown
        also = (
            f" ({s.shown} shown; {counted(repeats, 'repeat')} of an entry shown once)"
            if repeats
            else ""
        )
        out.append(f"- [{md(s.name)}](sources/{s.filename}): {counted(s.entries, 'entry')}{also}")
    return "\n".join(out) + "\n"
