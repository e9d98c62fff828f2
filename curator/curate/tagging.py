"""`curator tag`: apply the rules to the DB, and tags set by hand.

Input: a `Db` in a write transaction, a `RuleSet` (rules.py), entry ids and tag names.
Output: `TagRunResult` / `ManualTagResult`. Rule tags are `Tag` rows with origin `rule`
and a reason ("rule (field: "matched text")"); a run replaces only those, in the caller's
one transaction (the SQL is store/tags.py's). Manual tags (`manual`) and vetoes
(`removed`, left by `tag remove`) are never touched by a run and win over it; they hang
off entry ids, which re-imports keep.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from curator.curate.rules import (
    CURATED,
    Field,
    Origin,
    RuleSet,
    Tagger,
    TagInput,
    check_tag_name,
    load_rules,
    parse_reason,
)
from curator.errors import NotFoundError
from curator.store.categories import EntryBrief, live_entry
from curator.store.entries import live_entry_texts, live_main_and_sub_links
from curator.store.kinds import RunKind, RunStatus
from curator.store.names import require_tag
from curator.store.runs import record_run
from curator.store.tags import (
    all_tags,
    delete_tags,
    insert_tags,
    set_reasons,
    tag_on_entry,
    tag_rows_of,
)
from curator.util.jsoncache import JsonCache
from curator.util.perf import gc_paused, map_split

if TYPE_CHECKING:
    from curator.store.dbapi import Db


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


def load_inputs(db: Db) -> dict[int, TagInput]:
    """TagInput for every current curated entry, by entry id."""
    rows = live_entry_texts(db, CURATED)
    urls: dict[int, list[str]] = defaultdict(list)
    texts: dict[int, list[str]] = defaultdict(list)  # sub-link texts
    for eid, href, text, kind, role, _url_id in live_main_and_sub_links(db):
        if kind == "web":
            urls[eid].append(href)
        if role == "sub" and text:
            texts[eid].append(text)
    decode = JsonCache()
    return {
        eid: TagInput(
            title or "",
            desc or "",
            notes or "",
            decode.path(cat),
            tuple(urls.get(eid, ())),
            decode.items(cols),
            tuple(texts.get(eid, ())),
        )
        for eid, title, desc, notes, cat, cols in rows
    }


@gc_paused()
def apply_rules(db: Db, ruleset: RuleSet, now: datetime | None = None) -> TagRunResult:
    """Re-apply the rules to every current entry; manual tags and vetoes are kept."""
    now = now or datetime.now(UTC)
    tagger = Tagger(ruleset)
    inputs = load_inputs(db)
    user: dict[tuple[int, str], str] = {}
    existing: dict[tuple[int, str], tuple[int, str]] = {}
    for tid, eid, name, kind, reason in all_tags(db):
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
        (reason, existing[key][0])
        for key, reason in wanted.items()
        if key in existing and existing[key][1] != reason
    ]
    delete_tags(db, stale)
    insert_tags(db, new)
    set_reasons(db, changed)
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
    record_run(
        db,
        RunKind.TAG,
        now,
        datetime.now(UTC),
        {"rules": ruleset.source},
        {"entries": result.entries, "added": result.added, "removed": result.removed},
        RunStatus.DONE,
    )
    return result


@dataclass(frozen=True, slots=True)
class ManualTagResult:
    entry_id: int
    title: str
    tag: str
    added: bool  # False: removed (and vetoed)
    changed: bool  # False when it was already so


def _entry(db: Db, entry_id: int) -> EntryBrief:
    entry = live_entry(db, entry_id)
    if entry is None:
        raise NotFoundError(f"no entry with id {entry_id} (see `curator list`)")
    return entry


def add_manual(db: Db, entry_id: int, tag: str) -> ManualTagResult:
    """A manual tag: wins over rules, survives re-import and `curator tag`."""
    check_tag_name(tag)
    entry = _entry(db, entry_id)
    rows = tag_on_entry(db, entry_id, tag)
    if Origin.MANUAL in rows:
        return ManualTagResult(entry_id, entry.title, tag, True, False)
    delete_tags(db, [rows[o] for o in (Origin.REMOVED, Origin.RULE) if o in rows])
    insert_tags(db, [(entry_id, tag, Origin.MANUAL.value, "manual")])
    return ManualTagResult(entry_id, entry.title, tag, True, True)


def _rule_tags() -> list[str]:
    return [t.name for t in load_rules(None).tags]


def remove_manual(
    db: Db, entry_id: int, tag: str, known: Iterable[str] | None = None
) -> ManualTagResult:
    """Remove a tag and veto it, so later rule runs do not put it back. A tag neither on
    any entry nor in the rules (`known`, default: the bundled or data/ rules) is a typo."""
    check_tag_name(tag)
    entry = _entry(db, entry_id)
    require_tag(db, tag, known if known is not None else _rule_tags())
    rows = tag_on_entry(db, entry_id, tag)
    if Origin.REMOVED in rows and len(rows) == 1:
        return ManualTagResult(entry_id, entry.title, tag, False, False)
    delete_tags(db, [rows[o] for o in (Origin.MANUAL, Origin.RULE) if o in rows])
    if Origin.REMOVED not in rows:
        insert_tags(db, [(entry_id, tag, Origin.REMOVED.value, "removed by hand")])
    return ManualTagResult(entry_id, entry.title, tag, False, True)


@dataclass(frozen=True, slots=True)
class TagReason:
    tag: str
    origin: Origin
    rule: str | None  # None for manual tags and vetoes
    field: Field | None
    matched: str | None
    weak: bool  # from a heading (a hint), not from the entry's own words


@dataclass(frozen=True, slots=True)
class TagExplanation:
    entry_id: int
    title: str
    category: tuple[str, ...]
    reasons: tuple[TagReason, ...]

    @property
    def tags(self) -> list[str]:
        vetoed = {r.tag for r in self.reasons if r.origin == Origin.REMOVED}
        return sorted({r.tag for r in self.reasons if r.tag not in vetoed})


HEADING_FIELDS = (Field.SECTION, Field.CATEGORY)


def explain(db: Db, entry_id: int) -> TagExplanation:
    """Why an entry has each of its tags: rule, field and matched text, or by hand."""
    entry = _entry(db, entry_id)
    reasons: list[TagReason] = []
    for name, origin, reason in tag_rows_of(db, entry_id):
        kind = Origin(origin)
        hits = parse_reason(name, reason) if kind == Origin.RULE else []
        if not hits:
            reasons.append(TagReason(name, kind, None, None, None, False))
        for h in hits:
            weak = h.field in HEADING_FIELDS
            reasons.append(TagReason(name, kind, h.rule, h.field, h.matched, weak))
    return TagExplanation(entry_id, entry.title, entry.category, tuple(reasons))
