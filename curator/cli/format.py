"""Formatting of library results for the terminal and for files: table, JSON, CSV.

Input: typed views from `queries.py` and friends. Output: strings (JSON/CSV) or rich
renderables (tables). No DB access, no exits.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from rich.table import Table

if TYPE_CHECKING:
    from pathlib import Path

    from curator.check.merge import MergeSummary
    from curator.curate.tagging import TagExplanation
    from curator.curate.taxonomy import TaxonomyReport
    from curator.ingest.versions import VersionDiff
    from curator.store.copy import CopyResult
    from curator.store.fixes import FixBatch
    from curator.store.linklist import StoredLink
    from curator.store.queries import Duplicate, EntryView, Stats
    from curator.store.repofacts import RepoRow
    from curator.util.config import SettingView


class OutputFormat(StrEnum):
    """`--format` of commands that list rows: `list`, `dupes`, `diff`."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"


class TableFormat(StrEnum):
    """`--format` of commands whose output is several tables or a nested document."""

    TABLE = "table"
    JSON = "json"


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def to_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n"


def entries_json(entries: Iterable[EntryView]) -> str:
    return to_json([e.as_json() for e in entries])


def entries_csv(entries: Iterable[EntryView]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["id", "source", "category", "title", "url", "description", "tags", "line"])
    for e in entries:
        writer.writerow(
            [
                e.id,
                e.source,
                " / ".join(e.category),
                e.title,
                e.url or "",
                e.description,
                ";".join(t.name for t in e.tags),
                e.line,
            ]
        )
    return buf.getvalue()


def entries_table(entries: Sequence[EntryView]) -> Table:
    table = Table(show_lines=False, title=f"{len(entries)} entries")
    for col in ("id", "source:line", "category", "title", "url", "tags"):
        table.add_column(col, overflow="fold")
    for e in entries:
        table.add_row(
            str(e.id),
            f"{e.source}:{e.line}",
            " / ".join(e.category[-2:]),
            e.title,
            e.url or "",
            ", ".join(t.name for t in e.tags),
        )
    return table


def links_json(links: Iterable[StoredLink]) -> str:
    return to_json([lk.as_json() for lk in links])


def links_csv(links: Iterable[StoredLink]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["source", "file", "line", "url", "text", "kind", "role", "state", "entry"])
    for lk in links:
        writer.writerow(
            [
                lk.source,
                lk.path,
                lk.line,
                lk.href,
                lk.text,
                lk.kind,
                lk.role.value,
                lk.state or "",
                lk.entry_title,
            ]
        )
    return buf.getvalue()


def links_table(links: Sequence[StoredLink]) -> Table:
    table = Table(show_lines=False, title=f"{len(links)} links")
    for col in ("file:line", "url", "text", "kind", "role", "state"):
        table.add_column(col, overflow="fold")
    for lk in links:
        table.add_row(
            f"{lk.path}:{lk.line}", lk.href, lk.text, lk.kind, lk.role.value, lk.state or ""
        )
    return table


def stats_tables(stats: Stats) -> list[Table]:
    src = Table(title="sources")
    for col in ("source", "version", "entries", "links", "categories"):
        src.add_column(col)
    for s in stats.sources:
        src.add_row(s.name, str(s.version), str(s.entries), str(s.links), str(s.categories))
    cats = Table(title="entries per category")
    for col in ("source", "category", "entries"):
        cats.add_column(col, overflow="fold")
    for source, cat, n in stats.categories:
        cats.add_row(source, cat, str(n))
    kinds = Table(title="links by kind")
    kinds.add_column("kind")
    kinds.add_column("links")
    for kind, n in sorted(stats.link_kinds.items()):
        kinds.add_row(kind, str(n))
    kinds.add_row("duplicate URLs", str(stats.duplicates))
    return [src, cats, kinds]


def stats_json(stats: Stats, taxonomy: TaxonomyReport | None = None) -> str:
    extra = {"taxonomy": taxonomy.as_json()} if taxonomy is not None else {}
    return to_json(
        {
            "sources": [
                {
                    "name": s.name,
                    "version": s.version,
                    "entries": s.entries,
                    "links": s.links,
                    "categories": s.categories,
                }
                for s in stats.sources
            ],
            "categories": [
                {"source": a, "category": b, "entries": n} for a, b, n in stats.categories
            ],
            "link_kinds": stats.link_kinds,
            "duplicates": stats.duplicates,
            **extra,
        }
    )


def taxonomy_tables(report: TaxonomyReport) -> list[Table]:
    """`curator stats`: which heading maps each section to which canonical category."""
    mapping = Table(title=f"canonical categories ({report.taxonomy})")
    for c in ("source", "section", "category", "by heading", "entries"):
        mapping.add_column(c, overflow="fold")
    for r in report.mapping:
        by = f"{r.heading} ({r.keyword})" if r.heading else "(no mapped heading)"
        mapping.add_row(r.source, r.section, r.category, by, str(r.entries))
    counts = Table(title=f"entries per category ({report.overrides} set by hand)")
    counts.add_column("category")
    counts.add_column("entries")
    for cat, n in report.counts.items():
        counts.add_row(cat, str(n))
    shown = report.misc_entries[:50]  # `--format json` lists them all
    more = len(report.misc_entries) - len(shown)
    misc = Table(
        title=f"left in misc: {len(report.misc_entries)} entries"
        + (f" (first {len(shown)} shown)" if more else ""),
        caption="move one with `curator categorize ENTRY_ID CATEGORY`",
    )
    for c in ("id", "source", "title"):
        misc.add_column(c, overflow="fold")
    for eid, source, title in shown:
        misc.add_row(str(eid), source, title)
    return [mapping, counts, misc]


def duplicates_text(dupes: Sequence[Duplicate]) -> str:
    lines = [f"{len(dupes)} URLs appear more than once"]
    for d in dupes:
        lines.append(d.normalized)
        lines.extend(f"  {src}:{line}  {title}" for src, line, title in d.locations)
    return "\n".join(lines) + "\n"


def duplicates_json(dupes: Sequence[Duplicate]) -> str:
    return to_json(
        [
            {
                "url": d.normalized,
                "locations": [{"source": s, "line": ln, "title": t} for s, ln, t in d.locations],
            }
            for d in dupes
        ]
    )


def duplicates_csv(dupes: Sequence[Duplicate]) -> str:
    """One row per place a duplicated URL appears."""
    return _csv(
        ["url", "source", "line", "title"],
        ([d.normalized, src, line, title] for d in dupes for src, line, title in d.locations),
    )


_MARK = {"added": "+", "removed": "-", "changed": "~"}


def version_diff_text(diff: VersionDiff) -> str:
    from curator.ingest.versions import Change

    lines = [
        f"{diff.source}: v{diff.old} -> v{diff.new} +{diff.count(Change.ADDED)} "
        f"-{diff.count(Change.REMOVED)} ~{diff.count(Change.CHANGED)}"
    ]
    for c in diff.changes:
        where = " › ".join(c.category) or "(no heading)"
        what = f" ({', '.join(c.fields)})" if c.fields else ""
        url = f" <{c.url}>" if c.url else ""
        lines.append(f"{_MARK[c.change.value]} [{where}] {c.title}{url} line {c.line}{what}")
    return "\n".join(lines) + "\n"


def version_diff_json(diff: VersionDiff) -> str:
    return to_json(
        {
            "source": diff.source,
            "old": diff.old,
            "new": diff.new,
            "changes": [
                {
                    "change": c.change.value,
                    "title": c.title,
                    "category": list(c.category),
                    "url": c.url,
                    "line": c.line,
                    "fields": list(c.fields),
                }
                for c in diff.changes
            ],
        }
    )


def copy_text(result: CopyResult) -> str:
    """`curator db copy`: where from and to, then the rows per table."""
    verb = "replaced" if result.replaced else "copied into"
    lines = [f"{result.source} {verb} {result.destination}: {result.rows} rows"]
    lines += [f"  {t.table}: {t.rows}" for t in result.tables]
    return "\n".join(lines) + "\n"


def version_diff_csv(diff: VersionDiff) -> str:
    """One row per changed entry; `fields` lists what changed in a changed one."""
    return _csv(
        ["change", "category", "title", "url", "line", "fields"],
        (
            [
                c.change.value,
                " / ".join(c.category),
                c.title,
                c.url or "",
                c.line,
                ";".join(c.fields),
            ]
            for c in diff.changes
        ),
    )


def explanation(ex: TagExplanation, fmt: TableFormat) -> str:
    """`curator tag --explain ID`: one line per reason (table), or the whole as JSON."""
    if fmt == TableFormat.JSON:
        return to_json(
            {
                "id": ex.entry_id,
                "title": ex.title,
                "category": list(ex.category),
                "tags": ex.tags,
                "reasons": [
                    {
                        "tag": r.tag,
                        "origin": str(r.origin),
                        "rule": r.rule,
                        "field": None if r.field is None else str(r.field),
                        "matched": r.matched,
                        "weak": r.weak,
                    }
                    for r in ex.reasons
                ],
            }
        )
    lines = [f"{ex.entry_id} {ex.title}", f"  category: {' > '.join(ex.category) or '-'}"]
    if not ex.reasons:
        lines.append("  no tags")
    for r in ex.reasons:
        if r.origin == "manual":
            lines.append(f"  {r.tag}: added by hand (wins over the rules)")
        elif r.origin == "removed":
            lines.append(f"  {r.tag}: removed by hand (the rules will not add it back)")
        elif r.rule is None:
            lines.append(f"  {r.tag}: rule (no reason stored)")
        else:
            hint = " (a heading: the weaker kind of reason)" if r.weak else ""
            lines.append(f'  {r.tag}: {r.rule}, {r.field}: "{r.matched}"{hint}')
    return "\n".join(lines) + "\n"


def merge_text(summary: MergeSummary) -> str:
    keys = ", ".join(summary.run_keys)
    lines = [
        f"merged {summary.files} file{'' if summary.files == 1 else 's'} into run {keys}: "
        f"{summary.results_added} results added, {summary.already_present} already present, "
        f"{summary.runs_added} shard runs added"
    ]
    if summary.unknown_urls:
        lines.append(f"skipped {summary.unknown_urls} results for URLs not in this database")
    return "\n".join(lines) + "\n"


def fix_batches_text(batches: Sequence[FixBatch]) -> str:
    """`curator apply-redirects --log`: one line per batch of fixes."""
    if not batches:
        return "no fixes applied yet\n"
    lines = []
    for b in batches:
        where = ", ".join(b.files) if b.files else "DB only"
        state = " (undone)" if b.undone else ""
        plural = "" if b.links == 1 else "s"
        lines.append(
            f"{b.batch}\t{b.applied_at:%Y-%m-%d %H:%M}\t{b.kind}\t{b.links} link{plural}"
            f"\t{where}{state}\n"
        )
        lines.extend(f"  {where_}: {old} -> {new}\n" for old, new, where_ in b.fixes)
    return "".join(lines)


def settings_text(path: Path | None, views: Sequence[SettingView]) -> str:
    """`curator config show`: key = value  # origin, one per line."""
    head = f"# config file: {path}\n" if path else "# no curator.toml found (defaults only)\n"
    lines = [head]
    for v in views:
        value = json.dumps(
            str(v.value) if hasattr(v.value, "parts") else v.value, ensure_ascii=False
        )
        lines.append(f"{v.key} = {value}  # {v.origin}\n")
    return "".join(lines)


def repos_json(rows: Iterable[RepoRow]) -> str:
    return to_json(
        [
            {
                "url": r.link,
                "name_with_owner": r.name_with_owner,
                "new_url": r.url if r.renamed else None,
                "archived": r.archived,
                "disabled": r.disabled,
                "renamed": r.renamed,
                "stale": r.stale,
                "pushed_at": r.pushed_at.isoformat() if r.pushed_at else None,
                "stars": r.stars,
            }
            for r in rows
        ]
    )


def repos_table(rows: Sequence[RepoRow]) -> Table:
    table = Table(title=f"{len(rows)} GitHub repositories archived, renamed or stale")
    for name in ("url", "what", "stars"):
        table.add_column(name, overflow="fold")
    for r in rows:
        table.add_row(r.link, r.describe(), str(r.stars))
    return table
