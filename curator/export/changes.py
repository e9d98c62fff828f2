"""`exports/CHANGES.md`: what moved since the previous export, and the state it compares to.

Input: `ExportData` (its snapshot of entries and broken URLs) and the `export_state` rows.
Output: `Changes` (entries added/removed, links newly broken/recovered) and its Markdown.
The baseline is the last recorded export whose content differs from now: exporting twice
with no change in between compares with the same baseline, so CHANGES.md stays
byte-identical; `record()` adds a row only when the content changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from curator.export.categories import GENERATED, md, md_url, where
from curator.export.collect import ExportData, OutEntry
from curator.store.exportstate import latest_snapshots, save_snapshot
from curator.urls import normalize
from curator.util.words import counted

if TYPE_CHECKING:
    from curator.store.dbapi import Db


@dataclass(frozen=True, slots=True)
class Changed:
    title: str
    where: str
    url: str | None


@dataclass(frozen=True, slots=True)
class Changes:
    baseline_at: datetime | None  # None: first export
    previous: int
    now: int
    added: tuple[Changed, ...]
    removed: tuple[Changed, ...]
    broken: tuple[Changed, ...]
    recovered: tuple[Changed, ...]
    record: bool  # the content differs from the last recorded export


def _split(item: str) -> tuple[str, str, str]:
    eid, _, rest = item.partition("\t")
    source, _, title = rest.partition("\t")
    return eid, source, title


def compute(db: Db, data: ExportData) -> Changes:
    rows = latest_snapshots(db, 2)
    same = bool(rows) and (
        list(rows[0].entries) == list(data.snapshot) and list(rows[0].broken) == list(data.broken)
    )
    base = (rows[1] if len(rows) > 1 else None) if same else (rows[0] if rows else None)
    if base is None:
        return Changes(None, 0, len(data.snapshot), (), (), (), (), not same)
    by_id = {e.id: e for e in data.entries}
    for e in data.entries:
        for o in e.also_in:
            by_id.setdefault(o.entry_id, e)
    old = {_split(s)[0]: _split(s) for s in base.entries}
    new = {_split(s)[0]: _split(s) for s in data.snapshot}

    def changed(item: tuple[str, str, str]) -> Changed:
        entry = by_id.get(int(item[0])) if item[0].isdigit() else None
        url = entry.main.target if entry is not None and entry.main is not None else None
        return Changed(item[2], item[1], url)

    added = tuple(changed(new[k]) for k in new if k not in old)
    removed = tuple(changed(old[k]) for k in old if k not in new)
    was = set(base.broken)
    now = set(data.broken)
    newly = [u for u in data.broken if u not in was]
    gone = sorted(was - now)
    urls: dict[str, OutEntry] = {}
    if newly or gone:  # normalizing every link costs; most exports have nothing to report
        for e in data.entries:
            for lk in (e.main, *e.subs):
                if lk is not None:
                    urls.setdefault(normalize(lk.href), e)

    def link(url: str) -> Changed:
        e = urls.get(url)
        return Changed(e.title if e else url, where(e.source, e.section) if e else "", url)

    broken = tuple(link(u) for u in newly)
    recovered = tuple(link(u) for u in gone if u in urls)
    return Changes(
        base.exported_at,
        len(base.entries),
        len(data.snapshot),
        added,
        removed,
        broken,
        recovered,
        not same,
    )


def record(db: Db, data: ExportData, now: datetime) -> None:
    save_snapshot(db, data.snapshot, data.broken, now)


def _item(c: Changed) -> str:
    title = f"[{md(c.title)}]({md_url(c.url)})" if c.url else md(c.title)
    return f"- {title} — *{md(c.where)}*" if c.where else f"- {title}"


def render_changes(ch: Changes) -> str:
    out = [GENERATED, "# Changes", ""]
    if ch.baseline_at is None:
        out += [
            f"First export: {counted(ch.now, 'entry')}. The next export lists here what was "
            "added or "
            "removed and which links broke or recovered since this one.",
        ]
        return "\n".join(out) + "\n"
    out.append(
        f"Since the export of {ch.baseline_at:%Y-%m-%d}: {counted(ch.previous, 'entry')} "
        f"then, {ch.now} now. Back to the [index](README.md)."
    )
    for title, items in (
        ("Added", ch.added),
        ("Removed", ch.removed),
        ("Newly broken links", ch.broken),
        ("Recovered links", ch.recovered),
    ):
        out += ["", f"## {title} ({len(items)})", ""]
        out += [_item(c) for c in items] if items else ["None."]
    return "\n".join(out) + "\n"
