"""Decisions from `curator.toml` applied to the DB: exclusions (mirrored), manual tags and
vetoes, category overrides (per URL, applied to every live entry with that main URL).

Input: a `Db` in a write transaction, the loaded `Config`, the time. Output: `DecisionsApplied`
(what changed, and the URLs that no live entry has). The file is the source of truth: run
on import, check and tag. Config: `Config.exclude`, `Config.tags`, `Config.categories`,
`Config.export.taxonomy`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from curator.curate.tagging import add_manual, remove_manual
from curator.curate.taxonomy import categorize, load_taxonomy
from curator.store.decisions import entries_at, mirror_exclusions
from curator.util.config import Config

if TYPE_CHECKING:
    from curator.store.dbapi import Db


@dataclass(frozen=True, slots=True)
class DecisionsApplied:
    exclusions: int  # exclusion rows added, changed or dropped
    tags: int  # manual tags and vetoes newly applied
    categories: int  # entries given a category override
    unmatched: tuple[str, ...]  # URLs in the file that no live entry has


def apply_decisions(session: Db, config: Config, now: datetime) -> DecisionsApplied:
    if not config.in_use:
        return DecisionsApplied(0, 0, 0, ())
    exclusions = mirror_exclusions(
        session, [(r.pattern, r.reason, r.expires) for r in config.exclude], now
    )
    unmatched: list[str] = []
    tags = 0
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
    categories = 0
    if config.categories:
        taxonomy = load_taxonomy(config.export.taxonomy)
        for url, category in config.categories.items():
            ids = entries_at(session, url)
            if not ids:
                unmatched.append(url)
            for eid in ids:
                categorize(session, taxonomy, eid, category)
                categories += 1
    return DecisionsApplied(exclusions, tags, categories, tuple(sorted(set(unmatched))))
