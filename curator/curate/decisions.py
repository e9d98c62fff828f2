"""A maintainer's decisions, both ways between `curator.toml` and the DB.

From the file: `apply_decisions()` applies exclusions (mirrored), manual tags and vetoes,
category overrides (per URL, to every live entry with that main URL); it runs on import,
check and tag, and returns `DecisionsApplied` (what changed, and the URLs no live entry
has). Into the file: `tag_entry()`, `categorize_entry()` and `exclude_links()` make one
decision in the DB and, when a config file is in use, record it there too (by the entry's
main URL); the CLI and the triage page both call them. Input: a `Db` in a write
transaction, the loaded `Config`. The file is the source of truth.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from curator.check.exclusions import add_exclusion
from curator.curate.rules import Origin
from curator.curate.tagging import ManualTagResult, add_manual, remove_manual
from curator.curate.taxonomy import CategorizeResult, Taxonomy, categorize, load_taxonomy
from curator.store.categories import set_category_override
from curator.store.decisions import (
    category_overrides_with_urls,
    entries_at,
    hand_decisions,
    main_url_of,
    mirror_exclusions,
)
from curator.store.tags import delete_tags
from curator.util.config import (
    Config,
    ExcludeRule,
    edit_config,
    set_category,
    set_exclusion,
    set_manual_tag,
)

if TYPE_CHECKING:
    from curator.store.dbapi import Db


@dataclass(frozen=True, slots=True)
class DecisionsApplied:
    exclusions: int  # exclusion rows added, changed or dropped
    tags: int  # manual tags and vetoes newly applied
    categories: int  # entries given a category override
    unmatched: tuple[str, ...]  # URLs in the file that no live entry has
    dropped: int = 0  # hand tags, vetoes and overrides no longer in the file


def _web(url: str | None) -> bool:
    return bool(url) and str(url).startswith(("http://", "https://"))


def apply_decisions(session: Db, config: Config, now: datetime) -> DecisionsApplied:
    if not config.in_use:
        return DecisionsApplied(0, 0, 0, ())
    exclusions = mirror_exclusions(
        session, [(r.pattern, r.reason, r.expires) for r in config.exclude], now
    )
    unmatched: list[str] = []
    tags = 0
    kept: set[tuple[int, str, bool]] = set()  # (entry, tag, veto) the file asks for
    for table, veto in ((config.tags.manual, False), (config.tags.vetoes, True)):
        for url, names in table.items():
            ids = entries_at(session, url)
            if not ids:
                unmatched.append(url)
            for eid in ids:
                for name in names:
                    r = (
                        remove_manual(session, eid, name)
                        if veto
                        else add_manual(session, eid, name)
                    )
                    tags += r.changed
                    kept.add((eid, name, veto))
    # The file is the record: a hand decision on an entry it could name (a web URL) that it
    # no longer holds was taken out of it (a reverted pull request), so it goes here too.
    # Entries without a web URL cannot be in the file: their decisions stay DB-only.
    stale = [
        tid
        for tid, eid, name, origin, url in hand_decisions(session)
        if _web(url) and (eid, name, origin == Origin.REMOVED) not in kept
    ]
    delete_tags(session, stale)
    dropped = len(stale)
    categories = 0
    pinned: set[int] = set()
    if config.categories:
        taxonomy = load_taxonomy(config.export.taxonomy)
        for url, category in config.categories.items():
            ids = entries_at(session, url)
            if not ids:
                unmatched.append(url)
            for eid in ids:
                categorize(session, taxonomy, eid, category)
                categories += 1
                pinned.add(eid)
    for eid, main in category_overrides_with_urls(session):
        if _web(main) and eid not in pinned:
            set_category_override(session, eid, None)
            dropped += 1
    return DecisionsApplied(exclusions, tags, categories, tuple(sorted(set(unmatched))), dropped)


# -- one decision, into the DB and the file ------------------------------------------


@dataclass(frozen=True, slots=True)
class Recorded:
    """Whether a decision also went into the config file."""

    url: str | None = None  # the URL it is kept under (None: not written)
    skipped: str | None = None  # why an entry decision stayed in the DB only, if it did


def _record(
    db: Db, config: Config, entry_id: int, change: Callable[[str], Callable[[Any], None]]
) -> Recorded:
    """Write a decision about one entry into the file, keyed by its main web URL: the file
    outlives the DB (re-imports, a fresh clone), and a URL names the entry in any list."""
    if not config.in_use:
        return Recorded()
    url = main_url_of(db, entry_id)
    if url is None or not _web(url):
        return Recorded(skipped=f"entry {entry_id} has no web URL: kept in the DB only")
    edit_config(config, change(url))
    return Recorded(url)


def tag_entry(
    db: Db, config: Config, entry_id: int, tag: str, *, veto: bool
) -> tuple[ManualTagResult, Recorded]:
    """Tag an entry by hand (or remove and veto the tag) and record it in the file."""
    r = remove_manual(db, entry_id, tag) if veto else add_manual(db, entry_id, tag)
    recorded = _record(
        db, config, entry_id, lambda url: lambda t: set_manual_tag(t, url, tag, veto)
    )
    return r, recorded


def categorize_entry(
    db: Db, config: Config, taxonomy: Taxonomy, entry_id: int, category: str | None
) -> tuple[CategorizeResult, Recorded]:
    """Pin an entry to a category (None: clear the override) and record it in the file."""
    r = categorize(db, taxonomy, entry_id, category)
    recorded = _record(db, config, entry_id, lambda url: lambda t: set_category(t, url, r.category))
    return r, recorded


def exclude_links(
    db: Db, config: Config, pattern: str, reason: str, until: datetime | None, now: datetime
) -> tuple[bool, Recorded]:
    """Add (True) or update an exclusion and record it in the file."""
    created = add_exclusion(db, pattern, reason, until, now)
    if not config.in_use:
        return created, Recorded()
    rule = ExcludeRule(pattern.strip(), reason, until)
    edit_config(config, lambda table: set_exclusion(table, rule))
    return created, Recorded(pattern.strip())
