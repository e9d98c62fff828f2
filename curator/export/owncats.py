"""Categories from a list's own headings, for lists the taxonomy knows nothing about.

Input: the taxonomy and the category paths (headings) of one source list with their entry
counts. Output: `own_categories()` → {path: CategoryInfo} for every path of a list whose unmapped
paths hold at least half of its entries (a Go or shell list against the deep-learning
taxonomy), else {}. Such a list keeps its own sections as
categories instead of filing them under Miscellaneous: the first heading below the list's
title (the heading every entry shares), named by its GitHub slug; inside a section holding
most of the list, its subsections. Config: none; a list that should be mapped differently
gets its own taxonomy file (`curator export --taxonomy FILE`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from curator.curate.taxonomy import MISC, CategoryInfo, Taxonomy
from curator.export.slug import github_slug

# Names the export already uses for its own files and folders.
RESERVED = frozenset({"readme", "changes", "tags", "sources", "curator", MISC})
GENERIC = frozenset({"misc", "miscellaneous", "other", "others"})


def _common_prefix(paths: list[tuple[str, ...]]) -> int:
    n = min(len(p) for p in paths)
    first = paths[0]
    for i in range(n):
        if any(p[i] != first[i] for p in paths):
            return i
    return n


def category_name(heading: str, taken: Iterable[str] = ()) -> str:
    """A file-safe category name for a heading ("Web Frameworks" → "web-frameworks")."""
    name = github_slug(" ".join(heading.split())).strip("-_")[:60] or "section"
    if name.lower() in RESERVED or name in set(taken):
        name = f"{name}-section"
    return name


def own_categories(
    taxonomy: Taxonomy, counts: Mapping[tuple[str, ...], int]
) -> dict[tuple[str, ...], CategoryInfo]:
    """Own categories for the paths of a list the taxonomy does not fit (`counts`: entries
    per path)."""
    distinct = sorted(counts)
    if not distinct:
        return {}
    unmapped = [p for p in distinct if taxonomy.classify(p).category == MISC]
    if 2 * sum(counts[p] for p in unmapped) < sum(counts.values()):
        return {}  # a list the taxonomy fits: its few stray sections stay in misc
    # A list on another topic keeps all its headings: there the taxonomy's words mean other
    # things (a Go list's "Web Frameworks" are not deep-learning frameworks, its "Hardware"
    # is GPIO and Bluetooth libraries), so its mapped sections would be filed wrongly.
    # The list's title is the heading every entry shares; its sections come next.
    depth = _common_prefix(distinct) if len(distinct) > 1 else max(len(distinct[0]) - 1, 0)
    total = sum(counts.values())
    taken = set(taxonomy.names)
    out: dict[tuple[str, ...], CategoryInfo] = {}
    by_heading: dict[str, CategoryInfo] = {}
    for path in distinct:
        level = _level(path, depth, distinct, counts, total)
        if level is None:
            continue  # entries above the first section stay in misc
        heading = path[level]
        if heading.strip().lower() in GENERIC:
            continue  # the list's own "Miscellaneous" is the taxonomy's
        info = by_heading.get(heading)
        if info is None:
            info = by_heading[heading] = CategoryInfo(category_name(heading, taken), heading)
        out[path] = info
    return out


def _level(
    path: tuple[str, ...],
    depth: int,
    paths: list[tuple[str, ...]],
    counts: Mapping[tuple[str, ...], int],
    total: int,
) -> int | None:
    """The heading level that names this path's category: the first section level, one
    deeper inside a section that holds most of the list ("Packages" › "Image")."""
    if len(path) <= depth:
        return None
    while len(path) > depth + 1:
        head = path[: depth + 1]
        inside = sum(counts[p] for p in paths if p[: depth + 1] == head)
        if 2 * inside <= total:
            break
        depth += 1
    return depth
