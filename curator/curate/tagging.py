"""`curator tag`: apply the rules to the DB, and tags set by hand.

Input: an open write session, a `RuleSet` (tags.py), entry ids and tag names. Output:
`TagRunResult` / `ManualTagResult`. Rule tags are `Tag` rows with origin `rule` and a
reason ("rule (field: "matched text")"); a run replaces only those, in the caller's one
transaction. Manual tags (`manual`) and vetoes (`removed`, left by `tag remove`) are never
touched by a run and win over it; they hang off entry ids, which re-imports keep.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlmodel import Session, col

from curator.curate.rules import (
    CURATED,
    Origin,
    RuleSet,
    Tagger,
    TagInput,
    check_tag_name,
    load_rules,
)
from curator.errors import NotFoundError
from curator.store.dbapi import fetch_all, insert_rows
from curator.store.names import require_tag
from curator.store.schema import Entry, Run, Tag
from curator.util.perf import gc_paused, map_split


@dataclass(frozen=True, slots=True)
class TagRunResult:
    rules: str
    entries: int
    added: int
    removed: int
    updated: int
    manual: int
    vetoed: int
    per_tag: dict[str, int]


class JsonCache:
    """json.loads with memory: category paths repeat across thousands of entries."""

    def __init__(self) -> None:
        self.seen: dict[str | None, Any] = {None: None}
        self.paths: dict[str | None, tuple[str, ...]] = {None: ()}
        self.pairs: dict[str | None, tuple[tuple[str, str], ...]] = {None: ()}

    def __call__(self, text: str | None) -> Any:
        try:
            return self.seen[text]
        except KeyError:
            value = self.seen[text] = json.loads(text) if text else None
            return value

    def path(self, text: str | None) -> tuple[str, ...]:
        """A JSON list (a category path) as a tuple, made once per distinct text."""
        try:
            return self.paths[text]
        except KeyError:
            value = self.paths[text] = tuple(self(text) or ())
            return value

    def items(self, text: str | None) -> tuple[tuple[str, str], ...]:
        """A JSON object (table columns) as a tuple of pairs, made once per distinct text."""
        try:
            return self.pairs[text]
        except KeyError:
            value = self.pairs[text] = tuple((self(text) or {}).items())
            return value


CURATED_IN = f"({', '.join('?' * len(CURATED))})"  # SQL placeholders for CURATED


def load_inputs(session: Session) -> dict[int, TagInput]:
    """TagInput for every current curated entry, by entry id."""
    rows = fetch_all(
        session,
        "SELECT id, title, description, notes, category, columns FROM entry"
        f" WHERE removed_at IS NULL AND kind IN {CURATED_IN}",
        CURATED,
    )
    urls: dict[int, list[str]] = defaultdict(list)
    for eid, href in fetch_all(
        session,
        "SELECT link.entry_id, link.href FROM link JOIN entry ON entry.id = link.entry_id"
        " WHERE entry.removed_at IS NULL AND link.kind = 'web' AND link.role IN ('main', 'sub')"
        " ORDER BY link.entry_id, link.position",
    ):
        urls[eid].append(href)
    decode = JsonCache()
    return {
        eid: TagInput(
            title or "",
            desc or "",
            notes or "",
            decode.path(cat),
            tuple(urls.get(eid, ())),
            decode.items(cols),
        )
        for eid, title, desc, notes, cat, cols in rows
    }


@gc_paused()
def apply_rules(session: Session, ruleset: RuleSet, now: datetime | None = None) -> TagRunResult:
    """Re-apply the rules to every current entry; manual tags and vetoes are kept."""
    now = now or datetime.now(UTC)
    tagger = Tagger(ruleset)
    inputs = load_inputs(session)
    user: dict[tuple[int, str], str] = {}
    existing: dict[tuple[int, str], tuple[int, str]] = {}
    for tid, eid, name, kind, reason in fetch_all(
        session, "SELECT id, entry_id, name, origin, reason FROM tag"
    ):
        if kind == Origin.RULE:
            existing[(eid, name)] = (tid, reason)
        else:
            user[(eid, name)] = kind
    wanted: dict[tuple[int, str], str] = {}
    vetoed = 0
    # Matching is pure and most of a run's CPU: half of the entries on another core.
    reasons = map_split(tagger.reasons_all, list(inputs.values()))
    for eid, found in zip(inputs, reasons, strict=True):
        for tag, reason in found.items():
            origin = user.get((eid, tag)) if user else None
            if origin == Origin.REMOVED:
                vetoed += 1
            elif origin != Origin.MANUAL:
                wanted[(eid, tag)] = reason
    per_tag: dict[str, int] = defaultdict(int)
    for _, tag in wanted:
        per_tag[tag] += 1
    for (eid, tag), origin in user.items():
        if origin == Origin.MANUAL and eid in inputs:
            per_tag[tag] += 1
    stale = [tid for key, (tid, _) in existing.items() if key[0] in inputs and key not in wanted]
    new = [
        (eid, tag, Origin.RULE.value, reason)
        for (eid, tag), reason in wanted.items()
        if (eid, tag) not in existing
    ]
    changed = [
        {"b_id": existing[key][0], "reason": reason}
        for key, reason in wanted.items()
        if key in existing and existing[key][1] != reason
    ]
    for i in range(0, len(stale), 500):
        session.execute(delete(Tag).where(col(Tag.id).in_(stale[i : i + 500])))
    if new:
        # Straight to sqlite3: the ORM bulk path costs ~10x more.
        insert_rows(session, "tag", ("entry_id", "name", "origin", "reason"), new)
    if changed:
        session.connection().execute(
            update(Tag).where(col(Tag.id) == bindparam("b_id")).values(reason=bindparam("reason")),
            changed,
        )
    manual = sum(1 for o in user.values() if o == Origin.MANUAL)
    result = TagRunResult(
        ruleset.source,
        len(inputs),
        len(new),
        len(stale),
        len(changed),
        manual,
        vetoed,
        dict(sorted(per_tag.items())),
    )
    session.add(
        Run(
            kind="tag",
            started_at=now,
            finished_at=datetime.now(UTC),
            arguments={"rules": ruleset.source},
            counts={"entries": result.entries, "added": result.added, "removed": result.removed},
            status="done",
        )
    )
    return result


@dataclass(frozen=True, slots=True)
class ManualTagResult:
    entry_id: int
    title: str
    tag: str
    added: bool  # False: removed (and vetoed)
    changed: bool  # False when it was already so


def _entry(session: Session, entry_id: int) -> Entry:
    entry = session.get(Entry, entry_id)
    if entry is None or entry.removed_at is not None:
        raise NotFoundError(f"no entry with id {entry_id} (see `curator list`)")
    return entry


def _tag_rows(session: Session, entry_id: int, tag: str) -> dict[str, Tag]:
    """The rows of one tag on one entry, by origin (rule / manual / removed)."""
    return {
        t.origin: t
        for t in session.execute(
            select(Tag).where(col(Tag.entry_id) == entry_id, col(Tag.name) == tag)
        ).scalars()
    }


def add_manual(session: Session, entry_id: int, tag: str) -> ManualTagResult:
    """A manual tag: wins over rules, survives re-import and `curator tag`."""
    check_tag_name(tag)
    entry = _entry(session, entry_id)
    rows = _tag_rows(session, entry_id, tag)
    if Origin.MANUAL in rows:
        return ManualTagResult(entry_id, entry.title, tag, True, False)
    for origin in (Origin.REMOVED, Origin.RULE):
        if origin in rows:
            session.delete(rows[origin])
    session.add(Tag(entry_id=entry_id, name=tag, origin=Origin.MANUAL.value, reason="manual"))
    return ManualTagResult(entry_id, entry.title, tag, True, True)


def _rule_tags() -> list[str]:
    return [t.name for t in load_rules(None).tags]


def remove_manual(
    session: Session, entry_id: int, tag: str, known: Iterable[str] | None = None
) -> ManualTagResult:
    """Remove a tag and veto it, so later rule runs do not put it back. A tag neither on
    any entry nor in the rules (`known`, default: the bundled or data/ rules) is a typo."""
    check_tag_name(tag)
    entry = _entry(session, entry_id)
    require_tag(session, tag, known if known is not None else _rule_tags())
    rows = _tag_rows(session, entry_id, tag)
    if Origin.REMOVED in rows and len(rows) == 1:
        return ManualTagResult(entry_id, entry.title, tag, False, False)
    for origin in (Origin.MANUAL, Origin.RULE):
        if origin in rows:
            session.delete(rows[origin])
    if Origin.REMOVED not in rows:
        session.add(
            Tag(entry_id=entry_id, name=tag, origin=Origin.REMOVED.value, reason="removed by hand")
        )
    return ManualTagResult(entry_id, entry.title, tag, False, True)
