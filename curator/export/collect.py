"""Export data: the DB → one in-memory, de-duplicated view of everything exports show.

Input: a `Db` (session or connection; the SQL is the store's), the taxonomy, the tag
rules (for the legend) and the output directory (relative links are rewritten to resolve
from there). Output: `ExportData`: entries in
source order, each once (an entry found in several lists or sections carries the others
in `also_in`), with canonical category, tags, link status from the last check
(`url_state`; a gone reason such as soft-404 or parked after 💀), GitHub repository facts
(`repo_fact`: 🗄️ archived, 💤 no push in a year, the repository's description for an entry
the list gave none), and the snapshot `changes.py` compares with the previous export.
"""

from __future__ import annotations

import os
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import quote, unquote, urljoin, urlsplit

from curator.curate.archives import match_archives
from curator.curate.rules import CURATED, Origin, RuleSet
from curator.curate.taxonomy import Taxonomy, overrides
from curator.export.owncats import own_categories
from curator.export.sources import source_filename
from curator.store.entries import broken_urls_linked, live_entries_in_order, live_main_and_sub_links
from curator.store.kinds import RunKind
from curator.store.repofacts import RepoMark, marks_by_url
from curator.store.runs import last_finished
from curator.store.sources import SourceRow, sources_by_name
from curator.store.tags import name_combinations, tagged_with_origin, tags_by_name
from curator.store.urlstate import last_checked_at, state_summaries
from curator.store.versions import last_imported_at
from curator.util.jsoncache import JsonCache

if TYPE_CHECKING:
    from curator.store.dbapi import Db

STALE_AFTER = timedelta(days=365)  # a repository without a push this long is 💤
PUNCT_ONLY = re.compile(r"^[\s,，、;；:：/|·.-]*$")
# Separators between the items of a description or note ("a, b、c；d").
_SEP = re.compile(r"(\s*[,，、;；|·]\s*)")


class LinkStatus(StrEnum):
    NONE = "none"  # no check data, or fine
    BROKEN = "broken"  # confirmed broken: 💀 (+ archived copy)
    FLAKY = "flaky"  # ⚠
    MOVED = "moved"  # permanent redirect: the export links the canonical URL


# Records built tens of thousands of times per export are NamedTuples: immutable like a
# frozen dataclass, and about three times cheaper to create.
class OutLink(NamedTuple):
    text: str
    href: str  # the link as stored (after `set-url`)
    target: str  # what exports link to: canonical URL when moved, rewritten when relative
    relative: bool  # target is a path from the export root (prefix "../" one level down)
    status: LinkStatus = LinkStatus.NONE
    archived: str | None = None
    mark: str = ""  # after the status marker: 🗄️ archived / 💤 stale repository, gone reason


class Occurrence(NamedTuple):
    entry_id: int
    source: str
    section: tuple[str, ...]
    title: str = ""


class TagReason(NamedTuple):
    entry_id: int
    tag: str
    origin: str
    reason: str


class OutEntry(NamedTuple):
    id: int
    title: str
    title_fetched: bool  # the title is the fetched page title (the list gave none)
    main: OutLink | None
    description: str
    notes: tuple[str, ...]
    subs: tuple[OutLink, ...]
    columns: tuple[tuple[str, str], ...]
    tags: tuple[str, ...]  # legend order
    reasons: tuple[TagReason, ...]
    category: str
    source: str
    section: tuple[str, ...]
    also_in: tuple[Occurrence, ...]


@dataclass(frozen=True, slots=True)
class SourceInfo:
    name: str
    filename: str
    entries: int  # entries in the list
    shown: int  # of them, those shown under this list (the others repeat an entry shown once)


@dataclass(frozen=True, slots=True)
class ExportData:
    entries: tuple[OutEntry, ...]
    taxonomy: Taxonomy
    rules: RuleSet
    tag_order: tuple[str, ...]  # legend first, then other (manual) tags by name
    sources: tuple[SourceInfo, ...]
    last_check: datetime | None
    snapshot: tuple[str, ...]  # "id<TAB>source<TAB>title" of every entry shown
    broken: tuple[str, ...]  # normalized URLs confirmed broken now
    stale_tags: bool  # entries were imported after the last `curator tag`
    # Categories made from a list's own headings (owncats.py): name → heading.
    own_titles: dict[str, str] = field(default_factory=dict)

    def category_title(self, name: str) -> str:
        return self.own_titles.get(name) or self.taxonomy.title(name)

    missing: int = 0  # relative links to files that do not exist here (shown unlinked)

    def by_category(self) -> dict[str, list[OutEntry]]:
        out: dict[str, list[OutEntry]] = {c: [] for c in self.taxonomy.names}
        for e in self.entries:
            out.setdefault(e.category, []).append(e)
        return {c: es for c, es in out.items() if es}

    def by_tag(self) -> dict[str, list[OutEntry]]:
        out: dict[str, list[OutEntry]] = {t: [] for t in self.tag_order}
        for e in self.entries:
            for t in e.tags:
                out[t].append(e)
        return {t: es for t, es in out.items() if es}


class _State(NamedTuple):
    state: str
    last_outcome: str | None
    final_url: str | None
    archived_url: str | None
    title: str | None
    reason: str | None


def _status(state: _State | None) -> tuple[LinkStatus, str | None, str | None]:
    if state is None:
        return LinkStatus.NONE, None, None
    if state.state == "broken":
        return LinkStatus.BROKEN, None, state.archived_url
    if state.state == "flaky":
        return LinkStatus.FLAKY, None, None
    if state.last_outcome == "redirected" and state.final_url:
        return LinkStatus.MOVED, state.final_url, None
    return LinkStatus.NONE, None, None


class _Paths:
    """Rewrites links that were relative to a source file so they work from exports/: made
    absolute under `base_url` when one is given, else relative to the export directory when
    the target exists there (a link to a file that is not here would lead nowhere: the
    export shows its text without a link, and counts it in `missing`)."""

    def __init__(self, out_dir: Path, sources: dict[int, SourceRow], base_url: str | None) -> None:
        self.root = os.path.abspath(out_dir)
        self.dirs = {sid: os.path.dirname(os.path.abspath(s.path)) for sid, s in sources.items()}
        self.files = {sid: source_filename(s.name) for sid, s in sources.items()}
        self.base = base_url.rstrip("/") + "/" if base_url else None
        # The list's path from the current directory (the repository's root when run
        # there), which is what `base_url` names.
        self.urls = {
            sid: quote(os.path.relpath(os.path.abspath(s.path)).replace(os.sep, "/"), safe="/-._~")
            for sid, s in sources.items()
        }
        self.missing: set[str] = set()

    def resolve(self, sid: int, href: str) -> str:
        """Absolute, decoded path of a relative link (its identity across lists)."""
        path = unquote(urlsplit(href).path)
        return os.path.normpath(os.path.join(self.dirs[sid], path))

    def target(self, sid: int, href: str, kind: str) -> tuple[str, bool]:
        """(what the export links to, whether it is relative to the export root); an empty
        target means "no link"."""
        if kind == "anchor":
            return f"sources/{self.files[sid]}{href}", True
        if kind != "relative":
            return href, False
        if self.base is not None:
            return urljoin(urljoin(self.base, self.urls[sid]), href.strip()), False
        parts = urlsplit(href)
        path = self.resolve(sid, href)
        if not os.path.exists(path):
            self.missing.add(path)
            return "", False
        rel = os.path.relpath(path, self.root).replace(os.sep, "/")
        frag = f"#{parts.fragment}" if parts.fragment else ""
        return quote(rel, safe="/-._~") + frag, True


class _Row(NamedTuple):
    id: int
    source_id: int
    title: str
    description: str
    notes: str
    category: tuple[str, ...]
    columns: tuple[tuple[str, str], ...]


class _Link(NamedTuple):
    href: str
    text: str
    kind: str
    role: str
    url_id: int | None


def _identity(e: _Row, main: _Link | None, paths: _Paths) -> str:
    """What makes two entries without a URL row the same (collect keys those with one by
    the URL row's id)."""
    if main is not None and main.kind == "relative":
        frag = urlsplit(main.href).fragment
        return "f:" + paths.resolve(e.source_id, main.href) + (f"#{frag}" if frag else "")
    cols = "|".join(f"{k}={v}" for k, v in e.columns)
    return f"t:{e.title.casefold()}|{e.description.casefold()}|{cols}"


def _without_labels(text: str, labels: frozenset[str]) -> str:
    """`text` minus the items that are only a link's label: a description such as
    "第一篇, 第二篇, 第三篇, 从原理…" next to those three links keeps "从原理…"."""
    if not labels or not any(t in text for t in labels):
        return text
    pieces = _SEP.split(text)  # item, separator, item, …
    kept = [
        (pieces[i], pieces[i + 1] if i + 1 < len(pieces) else "")
        for i in range(0, len(pieces), 2)
        if pieces[i].strip() not in labels
    ]
    if len(kept) * 2 >= len(pieces):  # nothing dropped
        return text
    return "".join(item + (sep if k < len(kept) - 1 else "") for k, (item, sep) in enumerate(kept))


def _notes(notes: str, labels: frozenset[str]) -> tuple[str, ...]:
    """Note lines, minus the sub-links' labels (shown as links) and lines left empty."""
    if not notes:
        return ()
    out = []
    # Longest label first: "github" must not eat the start of "github.io" or "githubdaily".
    ordered = sorted(labels, key=len, reverse=True)
    for line in notes.splitlines():
        rest = line
        for t in ordered:
            rest = rest.replace(t, "")
        if line.strip() and not PUNCT_ONLY.match(rest):
            kept = _without_labels(line.strip(), labels)
            if kept.strip():
                out.append(kept)
    return tuple(out)


def _load(db: Db) -> tuple[list[_Row], dict[int, list[_Link]], list[int]]:
    """Entries shown, their main and sub links, and the entries whose links mention an
    archive (in entry id order, as `match_archives` wants them)."""
    decode = JsonCache()
    rows = [
        _Row(eid, sid, title or "", desc or "", notes or "", decode.path(cat), decode.items(cols))
        for eid, sid, title, desc, notes, cat, cols in live_entries_in_order(db, CURATED)
    ]
    links: dict[int, list[_Link]] = defaultdict(list)
    archives: list[int] = []
    for eid, href, text, kind, role, url_id in live_main_and_sub_links(db):
        links[eid].append(_Link(href, text, kind, role, url_id))
        if "archive." in href and (not archives or archives[-1] != eid):
            archives.append(eid)
    return rows, links, archives


def _tags(
    db: Db, ids: set[int], with_reasons: bool
) -> tuple[dict[int, Sequence[str]], dict[int, list[TagReason]], set[tuple[int, str]]]:
    """Tag names per shown entry, their reasons (when asked for), and the vetoes."""
    tagged: dict[int, Sequence[str]] = {}
    reasons: dict[int, list[TagReason]] = defaultdict(list)
    vetoed: set[tuple[int, str]] = set()
    if with_reasons:
        names: dict[int, list[str]] = defaultdict(list)
        for eid, name, origin, reason in tags_by_name(db):
            if eid not in ids:
                continue
            if origin == Origin.REMOVED:
                vetoed.add((eid, name))
            else:
                names[eid].append(name)
                reasons[eid].append(TagReason(eid, name, origin, reason))
        return dict(names), reasons, vetoed
    # Without reasons only each entry's set of names matters: SQLite groups the entries by
    # their combination of names (a few dozen), which saves a Python row per tag.
    for eid, name in tagged_with_origin(db, Origin.REMOVED.value):
        if eid in ids:
            vetoed.add((eid, name))
    for combo, entry_ids in name_combinations(db, Origin.REMOVED.value):
        combo_names = tuple(combo.split("\x1f"))
        for eid in map(int, entry_ids.split(",")):
            if eid in ids:
                tagged[eid] = combo_names
    return tagged, reasons, vetoed


def _count(n: int) -> str:
    """1234 → 1.2k, as GitHub shows stars."""
    return f"{n / 1000:.1f}k".replace(".0k", "k") if n >= 1000 else str(n)


def _repo_description(repos: dict[int, RepoMark], link: _Link | None) -> str:
    """The repository's own description, for an entry the list gave none."""
    repo = repos.get(link.url_id) if link is not None and link.url_id is not None else None
    return (repo.description or "") if repo is not None else ""


def collect(
    db: Db,
    taxonomy: Taxonomy,
    rules: RuleSet,
    out_dir: Path,
    with_reasons: bool = True,
    base_url: str | None = None,
    *,
    now: datetime | None = None,
    stars: bool = False,
) -> ExportData:
    """Everything exports show; `with_reasons=False` leaves the tag reasons out (cheaper);
    `base_url` publishes relative links as absolute URLs under it; `stars`: GitHub
    repositories show their star count; `now` dates the 💤 mark."""
    sources = {s.id: s for s in sources_by_name(db)}
    paths = _Paths(out_dir, sources, base_url)
    rows, links, archives = _load(db)
    names = {sid: src.name for sid, src in sources.items()}
    rows.sort(key=lambda e: names[e.source_id])  # stable: positions stay in order
    ids = {e.id for e in rows}
    states = {r[0]: _State(*r[1:]) for r in state_summaries(db)}
    repos = marks_by_url(db, now or datetime.now(UTC), STALE_AFTER)
    tagged, reasons, vetoed = _tags(db, ids, with_reasons)
    pinned = overrides(db)
    # Archive links the lists put next to a URL, shown after 💀 when the check knows none.
    known = (
        match_archives([(lk.url_id, lk.href, lk.role) for lk in links[eid]] for eid in archives)
        if any(st.state == "broken" for st in states.values())
        else {}
    )

    def out_link(sid: int, lk: _Link) -> OutLink:
        if lk.kind == "web" and lk.url_id not in states:  # the common case: nothing to say
            return OutLink(lk.text, lk.href, lk.href, False)
        state = states.get(lk.url_id) if lk.url_id is not None else None
        status, canonical, archived = _status(state)
        if status is LinkStatus.BROKEN and archived is None:
            archived = known.get(lk.url_id) if lk.url_id is not None else None
        target, relative = paths.target(sid, lk.href, lk.kind)
        mark = ""
        if status is LinkStatus.BROKEN and state is not None and state.reason:
            mark = f" ({state.reason})"
        repo = repos.get(lk.url_id) if lk.url_id is not None else None
        if repo is not None:
            mark += (" 🗄️" if repo.archived else "") + (" 💤" if repo.stale else "")
            if stars:
                mark += f" ★ {_count(repo.stars)}"
        return OutLink(lk.text, lk.href, canonical or target, relative, status, archived, mark)

    # The loops below run once per entry: locals, and the common cases (one occurrence,
    # a plain web link without check state) first.
    groups: dict[int | str, list[_Row]] = {}
    mains: dict[int, _Link | None] = {}
    for e in rows:
        found = None
        for lk in links.get(e.id, ()):
            if lk.role == "main":
                found = lk
                break
        mains[e.id] = found
        if found is not None and found.url_id is not None:
            # One Url row per normalized URL, which has no fragment: two sections of one
            # page (`#part-1`, `#part-2`) are two entries.
            frag = urlsplit(found.href).fragment if "#" in found.href else ""
            ident: int | str = f"{found.url_id}#{frag}" if frag else found.url_id
        else:
            ident = _identity(e, found, paths)
        group = groups.get(ident)
        if group is None:
            groups[ident] = [e]
        else:
            group.append(e)

    legend = [t.name for t in rules.tags]
    extra = sorted({t for ts in tagged.values() for t in ts} - set(legend))
    order = {t: i for i, t in enumerate(legend + extra)}
    placed: dict[tuple[str, ...], str] = {}
    own: dict[tuple[int, tuple[str, ...]], str] = {}
    own_titles: dict[str, str] = {}
    source_paths: dict[int, Counter[tuple[str, ...]]] = defaultdict(Counter)
    for e in rows:
        source_paths[e.source_id][e.category] += 1
    for sid, sp in source_paths.items():
        for path, info in own_categories(taxonomy, sp).items():
            if own_titles.setdefault(info.name, info.title) != info.title:
                continue  # two headings with one slug: the first keeps the name
            own[(sid, path)] = info.name
    sorted_tags: dict[tuple[str, ...], tuple[str, ...]] = {}
    out: list[OutEntry] = []
    for group in groups.values():
        first = group[0]
        fid = first.id
        sid = first.source_id
        main_link = mains[fid]
        main = None
        if main_link is not None:
            if main_link.kind == "web" and main_link.url_id not in states:
                main = OutLink(main_link.text, main_link.href, main_link.href, False)
            else:
                main = out_link(sid, main_link)
        lks = links.get(fid)
        subs = tuple(out_link(sid, lk) for lk in lks if lk.role == "sub") if lks else ()
        labels = frozenset(s.text.strip() for s in subs if s.text.strip())
        title, fetched = first.title.strip(), False
        if not title and main_link is not None:
            state = states.get(main_link.url_id) if main_link.url_id is not None else None
            if state is not None and state.title:
                title, fetched = state.title.strip(), True
            else:
                title = main_link.href
        single = len(group) == 1
        # An entry's tags are its own: the same link in another section may carry that
        # section's tags, which are not this one's (the other places are "also in").
        if not vetoed:
            # The common case: tag lists repeat (a few dozen combinations), so sort each once.
            key = tuple(tagged.get(fid, ()))
            tags = sorted_tags.get(key)
            if tags is None:
                tags = sorted_tags[key] = tuple(sorted(set(key), key=order.__getitem__))
        else:
            names_of = {t for t in tagged.get(fid, ()) if (fid, t) not in vetoed}
            tags = tuple(sorted(names_of, key=order.__getitem__))
        pin = next((pinned[e.id] for e in group if e.id in pinned), None) if pinned else None
        category = (
            pin
            or (own.get((sid, first.category)) if own else None)
            or placed.get(first.category)
            or placed.setdefault(first.category, taxonomy.classify(first.category).category)
        )
        out.append(
            OutEntry(
                fid,
                title or "(untitled)",
                fetched,
                main,
                (_without_labels(first.description, labels) if labels else first.description)
                or _repo_description(repos, main_link),
                _notes(first.notes, labels) if first.notes else (),
                subs,
                first.columns,
                tags,
                tuple(r for r in reasons.get(fid, ()) if (fid, r.tag) not in vetoed)
                if with_reasons
                else (),
                category,
                names[sid],
                first.category,
                ()
                if single
                else tuple(
                    Occurrence(e.id, names[e.source_id], e.category, e.title.strip())
                    for e in group[1:]
                ),
            )
        )
    counts: dict[int, int] = defaultdict(int)
    for e in rows:
        counts[e.source_id] += 1
    shown: dict[str, int] = defaultdict(int)
    for oe in out:  # an entry in several lists is shown (and counted) once, under the first
        shown[oe.source] += 1
    source_infos = tuple(
        SourceInfo(s.name, source_filename(s.name), counts[sid], shown[s.name])
        for sid, s in sorted(sources.items(), key=lambda kv: kv[1].name)
    )
    # Confirmed broken URLs linked (main or sub) from the entries shown.
    broken = sorted(broken_urls_linked(db, CURATED))
    return ExportData(
        tuple(out),
        taxonomy,
        rules,
        tuple(legend + extra),
        source_infos,
        _last_check(db),
        # One line per entry shown, so that CHANGES.md counts what the index counts.
        tuple(f"{e.id}\t{e.source}\t{e.title}" for e in out),
        tuple(broken),
        _stale_tags(db, bool(rows)),
        own_titles,
        len(paths.missing),
    )


def _last_check(db: Db) -> datetime | None:
    found = [d for d in (last_checked_at(db), last_finished(db, RunKind.CHECK)) if d is not None]
    # Naive UTC, as the JSON export has always written it (no "+00:00").
    return max(found).replace(tzinfo=None) if found else None


def _stale_tags(db: Db, has_entries: bool) -> bool:
    tagged = last_finished(db, RunKind.TAG)
    imported = last_imported_at(db)
    if tagged is None:
        return has_entries
    return imported is not None and imported > tagged
