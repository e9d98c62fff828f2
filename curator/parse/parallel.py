"""Parse a large list on several cores: split at top-level headings, stitch the results.

Input: the text of one list. Output: the same `ParsedDocument` as `parse_markdown`, faster
for big files (`parse_document`), or that document in parts, in order, as the workers
deliver them (`ChunkStream`, which the importer stores while later parts are still being
parsed). markdown-it-py is pure Python (about 1 s per MB here), so a 20,000-entry list
would take seconds on one core. The text is cut only at ATX headings at column 0 after a
blank line, outside fenced code, HTML comments and raw HTML blocks, where no block can span
the cut. Reference definitions are collected up front so `[x][ref]` resolves across chunks.
Config: `PARALLEL_MIN_CHARS`, `PARENT_SHARE` and `WORKER_PARTS` (how the text is cut),
the worker count (default: CPU count, at most 4).
"""

from __future__ import annotations

import multiprocessing
import os
import re
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from markdown_it.common.utils import normalizeReference

from curator.parse.blocks import identities, parse_markdown, split_lines, walk_text
from curator.parse.model import ParsedCategory, ParsedDocument, ParsedEntry
from curator.util.perf import gc_paused

PARALLEL_MIN_CHARS = 400_000
# Fraction of the text parsed by the calling process, which also stores the results, and
# how each worker's share is cut so its first part can be stored while it parses the rest.
PARENT_SHARE = 0.38
WORKER_PARTS = (0.65, 0.35)

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^#{1,6}(?:[ \t]|$)")
_RAW_OPEN = re.compile(r"^ {0,3}<(pre|script|style|textarea)(?:\s|>|$)", re.IGNORECASE)
# `[^1]: …` is a footnote, not a reference definition (blocks.py reads it so).
_REFERENCE = re.compile(r"^ {0,3}\[(?!\^)((?:[^\]\\]|\\.){1,999})\]:[ \t]*<?([^\s>]+)>?")

# The document being parsed, inherited by forked workers instead of being pickled to them.
_SHARED: dict[str, Any] = {}


def split_points(
    lines: list[str], parts: int, shares: list[float] | None = None
) -> tuple[list[int], dict[str, dict[str, Any]]]:
    """Line numbers where the text may be cut, nearest to `parts` even shares (or to the
    relative `shares` given), and the reference definitions."""
    candidates: list[int] = []
    refs: dict[str, dict[str, Any]] = {}
    fence = ""
    raw_end = ""
    prev_blank = True
    for i, line in enumerate(lines):
        if i == 0:  # GitHub (and markdown-it here) read the text after a BOM
            line = line.lstrip("\ufeff")
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
    weights = shares or [1.0] * parts
    chosen: list[int] = []
    done = 0.0
    for w in weights[:-1]:
        done += w
        target = int(total * done / sum(weights))
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


class ChunkStream:
    """The parts of one parsed document, in order, each stitched (global entry indexes,
    full category paths) and shaped as a `ParsedDocument` of its own chunk.

    The first chunk is parsed in this process when the stream is made; the others are
    parsed meanwhile by forked workers, so a consumer (the importer) can store a part
    while the next one is still being parsed. `close()` (or the end of iteration) stops
    the workers."""

    def __init__(self, text: str, workers: int | None = None) -> None:
        self.text = text
        self._pool: ProcessPoolExecutor | None = None
        self._futures: list[Future[_Chunk]] = []
        self._stitcher: _Stitcher | None = None
        self._first: ParsedDocument | None = None
        workers = workers or min(os.cpu_count() or 1, 4)
        if (
            len(text) < PARALLEL_MIN_CHARS
            or workers < 2
            or "fork" not in (multiprocessing.get_all_start_methods())
        ):
            self._first = parse_markdown(text)
            return
        lines = split_lines(text)
        cuts, refs = split_points(lines, workers, _shares(workers))
        if not cuts:
            self._first = parse_markdown(text)
            return
        bounds = list(zip([0, *cuts], [*cuts, len(lines)], strict=True))
        self._stitcher = _Stitcher(text, len(lines))
        _SHARED.update(lines=lines, refs=refs)
        try:
            ctx = multiprocessing.get_context("fork")
            self._pool = ProcessPoolExecutor(max_workers=workers - 1, mp_context=ctx)
            self._futures = [self._pool.submit(_parse_chunk, b) for b in bounds[1:]]
            self._first = self._stitcher.part(_parse_chunk(bounds[0]))
        except BaseException:
            self.close()
            raise

    def __iter__(self) -> Iterator[ParsedDocument]:
        try:
            if self._first is not None:
                first, self._first = self._first, None
                yield first
            while self._futures:
                chunk = self._futures.pop(0).result()
                assert self._stitcher is not None
                yield self._stitcher.part(chunk)
        finally:
            self.close()

    @property
    def pending(self) -> bool:
        """Chunks are still being parsed by workers."""
        return bool(self._futures)

    def close(self) -> None:
        self._futures.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
            _SHARED.clear()


def _shares(workers: int) -> list[float]:
    """Relative sizes of the chunks: the parsing process (also the one that stores) gets a
    smaller first chunk, each worker's share is cut in two so its first half can be stored
    while it parses the second, and the last chunks are small so little is left to store
    once the last one arrives."""
    per_worker = (1.0 - PARENT_SHARE) / (workers - 1)
    return [PARENT_SHARE] + [per_worker * p for p in WORKER_PARTS] * (workers - 1)


def parse_document(text: str, workers: int | None = None) -> ParsedDocument:
    """`parse_markdown`, on several processes when the list is large."""
    return merge_parts(text, list(ChunkStream(text, workers)))


def merge_parts(text: str, parts: list[ParsedDocument]) -> ParsedDocument:
    if len(parts) == 1:
        return parts[0]
    doc = ParsedDocument(text, [], [], parts[0].line_count if parts else 0)
    for part in parts:
        doc.entries.extend(part.entries)
        doc.categories.extend(part.categories)
        doc.headings.extend(part.headings)
        doc.normalized.update(part.normalized)
    return doc


class _Stitcher:
    """Turns chunk-local results into parts of the whole document, chunk after chunk."""

    def __init__(self, text: str, line_count: int) -> None:
        self.text = text
        self.line_count = line_count
        self.offset = 0
        self.prev: list[tuple[int, str]] = []  # the heading stack at the end of the last chunk

    def _prefix(self, min_level: int) -> tuple[str, ...]:
        return tuple(title for level, title in self.prev if level < min_level)

    def part(self, chunk: _Chunk) -> ParsedDocument:
        offset = self.offset
        prefixes: dict[int, tuple[str, ...]] = {}
        for entry, min_level in zip(chunk.entries, chunk.entry_min, strict=True):
            prefix = prefixes.get(min_level)
            if prefix is None:
                prefix = prefixes[min_level] = self._prefix(min_level)
            entry.index += offset
            if entry.parent is not None:
                entry.parent += offset
            if prefix:
                entry.category = prefix + entry.category
        categories = [
            replace(cat, path=self._prefix(min_level) + cat.path)
            for cat, min_level in zip(chunk.categories, chunk.category_min, strict=True)
        ]
        self.offset += len(chunk.entries)
        self.prev = [(lv, t) for lv, t in self.prev if lv < chunk.min_level] + chunk.stack
        return ParsedDocument(
            self.text, chunk.entries, categories, self.line_count, chunk.headings, chunk.normalized
        )
