"""Parse a large list on several cores: split at top-level headings, stitch the results.

Input: the text of one list. Output: the same `ParsedDocument` as `parse_markdown`, faster
for big files. markdown-it-py is pure Python (about 1 s per MB here), so a 20,000-entry list
would take seconds on one core. The text is cut only at ATX headings at column 0 after a
blank line, outside fenced code, HTML comments and raw HTML blocks, where no block can span
the cut. Reference definitions are collected up front so `[x][ref]` resolves across chunks.
Config: `PARALLEL_MIN_CHARS`, the worker count (default: CPU count, at most 4).
"""

from __future__ import annotations

import multiprocessing
import os
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from markdown_it.common.utils import normalizeReference

from curator.parse.blocks import identities, parse_markdown, split_lines, walk_text
from curator.parse.model import ParsedCategory, ParsedDocument, ParsedEntry
from curator.perf import gc_paused

PARALLEL_MIN_CHARS = 400_000

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^#{1,6}(?:[ \t]|$)")
_RAW_OPEN = re.compile(r"^ {0,3}<(pre|script|style|textarea)(?:\s|>|$)", re.IGNORECASE)
_REFERENCE = re.compile(r"^ {0,3}\[((?:[^\]\\]|\\.){1,999})\]:[ \t]*<?([^\s>]+)>?")

# The document being parsed, inherited by forked workers instead of being pickled to them.
_SHARED: dict[str, Any] = {}


def split_points(lines: list[str], parts: int) -> tuple[list[int], dict[str, dict[str, Any]]]:
    """Line numbers where the text may be cut, nearest to `parts` even shares; references."""
    candidates: list[int] = []
    refs: dict[str, dict[str, Any]] = {}
    fence = ""
    raw_end = ""
    prev_blank = True
    for i, line in enumerate(lines):
        if fence:
            stripped = line.strip()
            if stripped.startswith(fence) and set(stripped) == {fence[0]}:
                fence = ""
            prev_blank = False
            continue
        if raw_end:
            if raw_end in line.lower():
                raw_end = ""
            prev_blank = not line.strip()
            continue
        m = _FENCE.match(line)
        if m:
            fence = m.group(1)
        elif "<!--" in line and "-->" not in line[line.index("<!--") :]:
            raw_end = "-->"
        elif m2 := _RAW_OPEN.match(line):
            if f"</{m2.group(1).lower()}>" not in line.lower():
                raw_end = f"</{m2.group(1).lower()}>"
        elif prev_blank and i > 0 and _HEADING.match(line):
            candidates.append(i)
        elif "]:" in line and (ref := _REFERENCE.match(line)):
            label = normalizeReference(ref.group(1))
            refs.setdefault(label, {"href": ref.group(2), "title": "", "map": [i, i + 1]})
        prev_blank = not line.strip()
    if not candidates or parts < 2:
        return [], refs
    total = len(lines)
    chosen: list[int] = []
    for k in range(1, parts):
        target = total * k // parts
        best = min(candidates, key=lambda c: abs(c - target))
        if best not in chosen:
            chosen.append(best)
    return sorted(chosen), refs


@dataclass(frozen=True, slots=True)
class _Chunk:
    entries: list[ParsedEntry]
    entry_min: list[int]
    categories: list[ParsedCategory]
    category_min: list[int]
    headings: list[tuple[int, str]]
    stack: list[tuple[int, str]]
    min_level: int
    normalized: dict[str, str]


def _parse_chunk(bounds: tuple[int, int]) -> _Chunk:
    with gc_paused():
        return _parse_chunk_now(bounds)


def _parse_chunk_now(bounds: tuple[int, int]) -> _Chunk:
    start, end = bounds
    lines: list[str] = _SHARED["lines"]
    env = {"references": dict(_SHARED["refs"])}
    walker = walk_text("".join(lines[start:end]), lines, outline=False, line_offset=start, env=env)
    return _Chunk(
        walker.entries,
        walker.entry_min_levels,
        walker.categories,
        walker.category_min_levels,
        walker.headings,
        walker.stack,
        walker.min_level,
        identities(walker.entries),
    )


def parse_document(text: str, workers: int | None = None) -> ParsedDocument:
    """`parse_markdown`, on several processes when the list is large."""
    workers = workers or min(os.cpu_count() or 1, 4)
    if (
        len(text) < PARALLEL_MIN_CHARS
        or workers < 2
        or "fork" not in (multiprocessing.get_all_start_methods())
    ):
        return parse_markdown(text)
    lines = split_lines(text)
    cuts, refs = split_points(lines, workers)
    if not cuts:
        return parse_markdown(text)
    bounds = list(zip([0, *cuts], [*cuts, len(lines)], strict=True))
    _SHARED.update(lines=lines, refs=refs)
    try:
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=len(bounds) - 1, mp_context=ctx) as pool:
            futures = [pool.submit(_parse_chunk, b) for b in bounds[1:]]
            chunks = [_parse_chunk(bounds[0])] + [f.result() for f in futures]
    finally:
        _SHARED.clear()
    return _stitch(text, lines, chunks)


def _stitch(text: str, lines: list[str], chunks: list[_Chunk]) -> ParsedDocument:
    entries: list[ParsedEntry] = []
    categories: list[ParsedCategory] = []
    headings: list[tuple[int, str]] = []
    normalized: dict[str, str] = {}
    prev: list[tuple[int, str]] = []
    for chunk in chunks:
        offset = len(entries)

        def prefix(min_level: int) -> tuple[str, ...]:
            return tuple(title for level, title in prev if level < min_level)  # noqa: B023

        for entry, min_level in zip(chunk.entries, chunk.entry_min, strict=True):
            entry.index += offset
            if entry.parent is not None:
                entry.parent += offset
            entry.category = prefix(min_level) + entry.category
            entries.append(entry)
        for cat, min_level in zip(chunk.categories, chunk.category_min, strict=True):
            categories.append(replace(cat, path=prefix(min_level) + cat.path))
        headings.extend(chunk.headings)
        normalized.update(chunk.normalized)
        prev = [(lv, t) for lv, t in prev if lv < chunk.min_level] + chunk.stack
    return ParsedDocument(text, entries, categories, len(lines), headings, normalized)
