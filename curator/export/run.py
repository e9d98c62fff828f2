"""`curator export`: write every export file (`export_all`), or one JSON/CSV file.

Input: an engine, the output directory, a format (md/json/csv), optional rules and
taxonomy files, and `base_url` (relative links in the lists are published under it;
without it they are rewritten relative to the output directory when their file exists).
Output: `ExportResult` (each file written or unchanged, files removed).
`md` writes README.md, <category>.md, tags/<tag>.md, sources/*.md and CHANGES.md, removes
pages of categories and tags that are now empty (only files carrying our generated-by
marker), and records the export in `export_state` when its content changed. `json` writes
curator.json (everything, for downstream tools); `csv` writes curator.csv (one row per
entry). Every file is written atomically (fsutil) and only when its bytes change; nothing
in the output depends on the clock, so a second run with the same data changes nothing.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from curator.curate.rules import load_rules
from curator.curate.taxonomy import load_taxonomy
from curator.errors import InputError
from curator.export import changes as changes_mod
from curator.export.categories import GENERATED, EntryRenderer, render_category
from curator.export.collect import ExportData, OutEntry, OutLink, collect
from curator.export.index import render_index
from curator.export.sources import export_sources
from curator.export.tagviews import render_tag
from curator.store.connect import read_session, write_session
from curator.util.fsutil import atomic_write_bytes
from curator.util.perf import gc_paused

RESERVED = {"readme", "changes", "curator", "tags", "sources"}


class ExportFormat(StrEnum):
    MD = "md"
    JSON = "json"
    CSV = "csv"


@dataclass(frozen=True, slots=True)
class FileResult:
    path: Path
    written: bool  # False: the file already had these bytes


@dataclass(frozen=True, slots=True)
class ExportResult:
    files: list[FileResult]
    removed: list[Path]
    entries: int
    categories: int
    tags: int
    stale_tags: bool  # entries were imported after the last `curator tag`
    missing: int = 0  # relative links to files not here (shown unlinked; see `base_url`)


@gc_paused()
def export_all(
    engine: Engine,
    out_dir: Path,
    fmt: ExportFormat = ExportFormat.MD,
    rules: Path | None = None,
    taxonomy: Path | None = None,
    now: datetime | None = None,
    base_url: str | None = None,
    stars: bool = False,
) -> ExportResult:
    ruleset = load_rules(rules)
    tax = load_taxonomy(taxonomy)
    clash = sorted(n for n in tax.names if n.lower() in RESERVED)
    if clash:
        raise InputError(f"category names {clash} would overwrite export files; rename them")
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir} is not a directory")
    if base_url is not None and not re.match(r"https?://[^/\s]+(/\S*)?$", base_url.strip()):
        raise InputError(
            f"--base-url must be an http(s) URL such as "
            f"https://github.com/OWNER/REPO/blob/main/, not {base_url!r}"
        )
    with read_session(engine) as session:
        data = collect(
            session,
            tax,
            ruleset,
            out_dir,
            with_reasons=fmt is ExportFormat.JSON,
            base_url=base_url,
            now=now,
            stars=stars,
        )
        ch = changes_mod.compute(session, data)
        if fmt is ExportFormat.MD:
            src = [FileResult(r.path, r.written) for r in export_sources(session, out_dir)]
    by_cat = data.by_category()
    by_tag = data.by_tag()
    files: list[FileResult] = []
    removed: list[Path] = []

    def write(path: Path, text: str | bytes) -> None:
        raw = text if isinstance(text, bytes) else text.encode()
        files.append(FileResult(path, atomic_write_bytes(path, raw)))

    if fmt is ExportFormat.JSON:
        write(
            out_dir / "curator.json",
            json.dumps(to_json(data, ch), ensure_ascii=False, indent=2) + "\n",
        )
    elif fmt is ExportFormat.CSV:
        write(out_dir / "curator.csv", to_csv(data))
    else:
        render = EntryRenderer(data)
        for cat, entries in by_cat.items():
            write(out_dir / f"{cat}.md", render_category(data, cat, entries, render))
        for tag, entries in by_tag.items():
            write(out_dir / "tags" / f"{tag}.md", render_tag(data, tag, entries, render))
        counts = {c: len(es) for c, es in by_cat.items()}
        write(
            out_dir / "README.md",
            render_index(data, counts, {t: len(es) for t, es in by_tag.items()}),
        )
        write(out_dir / "CHANGES.md", changes_mod.render_changes(ch))
        files.extend(src)
        removed = _remove_stale(out_dir, {f.path for f in files})
        if ch.record:
            with write_session(engine) as session:
                changes_mod.record(session, data, now or datetime.now(UTC))
    return ExportResult(
        files, removed, len(data.entries), len(by_cat), len(by_tag), data.stale_tags, data.missing
    )


def _remove_stale(out_dir: Path, keep: set[Path]) -> list[Path]:
    """Pages of categories/tags that are empty now: only files this exporter generated."""
    removed = []
    for folder in (out_dir, out_dir / "tags"):
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.md")):
            if path in keep:
                continue
            try:
                with path.open(encoding="utf-8") as fh:
                    first = fh.readline().rstrip("\n")
            except (OSError, UnicodeDecodeError):
                continue
            if first == GENERATED:
                path.unlink()
                removed.append(path)
    return removed


def _link(lk: OutLink | None) -> dict[str, Any] | None:
    if lk is None:
        return None
    return {
        "text": lk.text,
        "href": lk.href,
        "target": lk.target or None,  # None: a relative link to a file that is not here
        "status": lk.status.value,
        "archived_url": lk.archived,
    }


def _entry(e: OutEntry) -> dict[str, Any]:
    return {
        "id": e.id,
        "title": e.title,
        "title_fetched": e.title_fetched,
        "link": _link(e.main),
        "description": e.description,
        "notes": list(e.notes),
        "links": [_link(s) for s in e.subs],
        "columns": dict(e.columns) or None,
        "tags": list(e.tags),
        "tag_reasons": [{"tag": r.tag, "origin": r.origin, "reason": r.reason} for r in e.reasons],
        "category": e.category,
        "source": e.source,
        "section": list(e.section),
        "also_in": [
            {"id": o.entry_id, "source": o.source, "section": list(o.section)} for o in e.also_in
        ],
    }


def to_json(data: ExportData, ch: changes_mod.Changes) -> dict[str, Any]:
    by_cat = data.by_category()
    by_tag = data.by_tag()

    def items(xs: tuple[changes_mod.Changed, ...]) -> list[dict[str, Any]]:
        return [{"title": c.title, "where": c.where, "url": c.url} for c in xs]

    return {
        "last_check": data.last_check.isoformat() if data.last_check else None,
        "categories": [
            {"name": c, "title": data.category_title(c), "entries": len(es)}
            for c, es in by_cat.items()
        ],
        "tags": [
            {
                "name": t,
                "badge": data.rules.info(t).badge,
                "description": data.rules.info(t).description,
                "entries": len(by_tag.get(t, ())),
            }
            for t in data.tag_order
        ],
        "sources": [{"name": s.name, "entries": s.entries, "shown": s.shown} for s in data.sources],
        "entries": [_entry(e) for e in data.entries],
        "changes": {
            "since": ch.baseline_at.isoformat() if ch.baseline_at else None,
            "added": items(ch.added),
            "removed": items(ch.removed),
            "newly_broken": items(ch.broken),
            "recovered": items(ch.recovered),
        },
    }


def to_csv(data: ExportData) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(
        [
            "id",
            "category",
            "source",
            "section",
            "title",
            "url",
            "status",
            "tags",
            "also_in",
            "description",
        ]
    )
    for e in data.entries:
        w.writerow(
            [
                e.id,
                e.category,
                e.source,
                " / ".join(e.section),
                e.title,
                e.main.target if e.main else "",
                e.main.status.value if e.main else "",
                ";".join(e.tags),
                ";".join(o.source for o in e.also_in),
                e.description,
            ]
        )
    return buf.getvalue()
