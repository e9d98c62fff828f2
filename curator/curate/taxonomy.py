"""Taxonomy: source headings → canonical categories, per-entry overrides, the stats report.

Input: a taxonomy file (`--taxonomy FILE`, else `data/taxonomy.toml` in the working
directory, else the packaged `curator/defaults/taxonomy.toml`) and entries' category paths.
Output: `Taxonomy.classify(path)` → `Placement` (pure); `categorize()` stores a
`CategoryOverride`; `canonical_categories()` gives every current entry its category
(override first, else nearest mapped heading, else misc); `taxonomy_report()` is what
`curator stats` shows. Categories are computed on the fly (no stored column): rules are
cheap and a changed taxonomy file applies at once.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from curator.curate.keywords import KeywordIndex, Term
from curator.curate.rules import CURATED, check_tag_name, read_toml, resolve_config
from curator.errors import InputError, NotFoundError
from curator.store.categories import (
    category_overrides,
    live_entry,
    live_entry_paths,
    set_category_override,
)
from curator.store.sources import source_names
from curator.util.words import did_you_mean

if TYPE_CHECKING:
    from curator.store.dbapi import Db

MISC = "misc"


@dataclass(frozen=True, slots=True)
class CategoryInfo:
    name: str
    title: str


@dataclass(frozen=True, slots=True)
class Placement:
    category: str
    heading: str | None = None  # the heading that decided it (None: misc by default)
    keyword: str | None = None
    override: bool = False


@dataclass(slots=True)
class Taxonomy:
    source: str
    categories: tuple[CategoryInfo, ...]
    rules: tuple[tuple[str, tuple[str, ...]], ...]  # (category, keywords), in order
    _index: KeywordIndex = field(init=False)
    _cache: dict[str, tuple[str, str] | None] = field(init=False)

    def __post_init__(self) -> None:
        self._index = KeywordIndex(
            [Term(k, i) for i, (_, kws) in enumerate(self.rules) for k in kws]
        )
        self._cache = {}

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.categories]

    def title(self, name: str) -> str:
        for c in self.categories:
            if c.name == name:
                return c.title
        return name

    def check(self, name: str) -> str:
        if name not in self.names:
            raise InputError(
                f"unknown category {name!r}{did_you_mean(name, self.names)};"
                f" choose from {', '.join(self.names)}"
            )
        return name

    def heading_category(self, heading: str) -> tuple[str, str] | None:
        """(category, keyword) of the first rule with a keyword in this heading."""
        if heading not in self._cache:
            found = self._index.scan(heading)
            first = min(found) if found else None
            self._cache[heading] = (
                (self.rules[first][0], found[first][0]) if first is not None else None
            )
        return self._cache[heading]

    def classify(self, path: tuple[str, ...] | list[str]) -> Placement:
        for heading in reversed(path):
            hit = self.heading_category(heading)
            if hit is not None:
                return Placement(hit[0], heading, hit[1])
        return Placement(MISC)


def load_taxonomy(path: Path | None = None) -> Taxonomy:
    path = resolve_config(path, "taxonomy.toml")
    data = read_toml(path)
    unknown = set(data) - {"categories", "rules"}
    if unknown:
        raise InputError(f"{path}: unknown top-level keys {sorted(unknown)}")
    cats = []
    for name, meta in (data.get("categories") or {}).items():
        check_tag_name(name, f"{path}: category")
        if not isinstance(meta, dict):
            raise InputError(f"{path}: [categories.{name}] must be a table")
        cats.append(CategoryInfo(name, str(meta.get("title") or name)))
    names = {c.name for c in cats}
    if MISC not in names:
        cats.append(CategoryInfo(MISC, "Miscellaneous"))
        names.add(MISC)
    rules = []
    for i, raw in enumerate(data.get("rules") or []):
        if not isinstance(raw, dict) or set(raw) - {"category", "keywords"}:
            raise InputError(f"{path}: rule #{i + 1} must have only category and keywords")
        cat = str(raw.get("category", ""))
        if cat not in names:
            raise InputError(f"{path}: rule #{i + 1}: unknown category {cat!r}")
        kws = raw.get("keywords")
        if not isinstance(kws, list) or not kws or not all(isinstance(k, str) for k in kws):
            raise InputError(f"{path}: rule #{i + 1}: keywords must be a list of strings")
        rules.append((cat, tuple(k for k in kws if k.strip())))
    return Taxonomy(str(path), tuple(cats), tuple(rules))


# -- the database side ----------------------------------------------------------------


def overrides(db: Db) -> dict[int, str]:
    return category_overrides(db)


def canonical_categories(db: Db, taxonomy: Taxonomy) -> dict[int, Placement]:
    """Placement of every current curated entry, by entry id."""
    manual = category_overrides(db)
    out: dict[int, Placement] = {}
    for e in live_entry_paths(db, CURATED):
        if e.entry_id in manual:
            out[e.entry_id] = Placement(manual[e.entry_id], override=True)
        else:
            out[e.entry_id] = taxonomy.classify(e.category)
    return out


@dataclass(frozen=True, slots=True)
class CategorizeResult:
    entry_id: int
    title: str
    category: str | None  # None: override cleared
    computed: str  # what the headings say


def categorize(db: Db, taxonomy: Taxonomy, entry_id: int, category: str | None) -> CategorizeResult:
    """Pin one entry to a canonical category (None: go back to the headings' category)."""
    entry = live_entry(db, entry_id)
    if entry is None:
        raise NotFoundError(f"no entry with id {entry_id} (see `curator list`)")
    if category is not None:
        taxonomy.check(category)
    set_category_override(db, entry_id, category)
    computed = taxonomy.classify(entry.category).category
    return CategorizeResult(entry_id, entry.title, category, computed)


@dataclass(frozen=True, slots=True)
class MappingRow:
    source: str
    section: str  # category path joined with " / "
    category: str
    heading: str | None
    keyword: str | None
    entries: int


@dataclass(frozen=True, slots=True)
class TaxonomyReport:
    taxonomy: str
    mapping: list[MappingRow]
    counts: dict[str, int]  # per canonical category, overrides included
    overrides: int
    misc: list[MappingRow]  # sections left in misc (no mapped heading)
    misc_entries: list[tuple[int, str, str]]  # (entry id, source, title), overrides too

    def as_json(self) -> dict[str, object]:
        def row(r: MappingRow) -> dict[str, object]:
            return {
                "source": r.source,
                "section": r.section,
                "category": r.category,
                "heading": r.heading,
                "keyword": r.keyword,
                "entries": r.entries,
            }

        return {
            "file": self.taxonomy,
            "counts": self.counts,
            "overrides": self.overrides,
            "mapping": [row(r) for r in self.mapping],
            "misc": [row(r) for r in self.misc],
            "misc_entries": [{"id": i, "source": s, "title": t} for i, s, t in self.misc_entries],
        }


def taxonomy_report(db: Db, taxonomy: Taxonomy) -> TaxonomyReport:
    names = source_names(db)
    manual = category_overrides(db)
    sections: Counter[tuple[str, tuple[str, ...]]] = Counter()
    counts: Counter[str] = Counter()
    misc_entries = []
    for eid, sid, path, title in live_entry_paths(db, CURATED):
        key = (names[sid], path)
        sections[key] += 1
        cat = manual.get(eid) or taxonomy.classify(key[1]).category
        counts[cat] += 1
        if cat == MISC:
            misc_entries.append((eid, names[sid], title))
    mapping = []
    for (source, path), n in sorted(sections.items()):
        p = taxonomy.classify(path)
        mapping.append(
            MappingRow(
                source, " / ".join(path) or "(no heading)", p.category, p.heading, p.keyword, n
            )
        )
    ordered = {c: counts[c] for c in taxonomy.names if counts[c]}
    return TaxonomyReport(
        taxonomy.source,
        mapping,
        ordered,
        len(manual),
        [r for r in mapping if r.category == MISC],
        misc_entries,
    )
