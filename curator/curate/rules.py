"""Tagging rules: a TOML file → compiled rules → tags with reasons for one entry (pure).

Input: a rules file (`--rules FILE`, else `data/tags.toml` in the working directory, else
the copy packaged in `curator/defaults/`) and `TagInput` views of entries. Output:
`RuleSet` (the tags' badges and descriptions, the rules) and, per entry, `TagHit`s: which
rule fired on which field and what it matched. Keyword matching is case-insensitive and
CJK aware (`keywords.py`): ASCII words need word boundaries ("GPT" never matches "GPU"),
`word*` is a stem, CJK keywords match as substrings. The file's `stop` phrases ("GPU
accelerated", "with GPU support") are blanked out of every text before matching: their
words say how a thing runs, not what it is about. A rule with `unless_entry` (a section
rule) is cancelled when the entry's own words contain one of those keywords. Storing tags
is `tagging.py`'s job.
"""

from __future__ import annotations

import importlib
import re
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import unquote

from curator.curate.keywords import KeywordIndex, Term, spelled
from curator.errors import InputError
from curator.parse.model import CURATED_KINDS, LinkRole, ParsedEntry
from curator.urls import LinkKind, host_of

CURATED = sorted(k.value for k in CURATED_KINDS)
DEFAULT_BADGE = "🏷️"
TAG_NAME = re.compile(r"^[^\W_][\w.-]{0,39}$")


class Field(StrEnum):
    TITLE = "title"
    DESCRIPTION = "description"
    NOTES = "notes"
    CATEGORY = "category"  # every heading of the category path
    SECTION = "section"  # only the deepest heading
    HOST = "host"  # hosts of the main and sub links (keywords are domains)
    URL = "url"  # main and sub link URLs
    COLUMNS = "columns"  # table header names and cell values
    LINKS = "links"  # the texts of the sub-links ("[code]", "slides", a second title)
    PATH = "path"  # the words of the main and sub link paths (repository owner and name)


class Origin(StrEnum):
    RULE = "rule"
    MANUAL = "manual"
    REMOVED = "removed"  # a manual veto: rules never re-add this tag to this entry


@dataclass(frozen=True, slots=True)
class TagInfo:
    name: str
    badge: str = DEFAULT_BADGE
    description: str = ""

    @property
    def label(self) -> str:
        return f"{self.badge} {self.name}"


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    tag: str
    fields: tuple[Field, ...]
    keywords: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    # Keywords in the entry's own words (title, description, notes, columns) that cancel
    # this rule: a heading is only a hint, and the entry's words can point elsewhere.
    unless_entry: tuple[str, ...] = ()
    # Keywords of which the entry's own words must contain one for this rule to fire: a
    # word that names the thing only in some company ("pruning" is perf when it is done to
    # a model, "mobile" is hardware when a model runs there, not when an app targets it).
    with_entry: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RuleSet:
    source: str  # where the rules came from (for messages and Run.arguments)
    tags: tuple[TagInfo, ...]
    rules: tuple[Rule, ...]
    stop: tuple[str, ...] = ()  # phrases blanked out before matching
    # [taglines]: speed words blanked where they sit in a list of a product's virtues.
    tagline_speed: tuple[str, ...] = ()
    tagline_virtues: tuple[str, ...] = ()
    # Table columns that name who made an item (机构, Organization, Authors): their cells
    # say who, not what the item is about ("Kendryte" made a chat model).
    maker_columns: tuple[str, ...] = ()

    def info(self, name: str) -> TagInfo:
        for t in self.tags:
            if t.name == name:
                return t
        return TagInfo(name)


class TagInput(NamedTuple):  # immutable; a NamedTuple is cheap to build 20,000 times
    title: str = ""
    description: str = ""
    notes: str = ""
    category: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    columns: tuple[tuple[str, str], ...] = ()
    links: tuple[str, ...] = ()  # sub-link texts


class TagHit(NamedTuple):
    tag: str
    rule: str
    field: Field
    matched: str

    @property
    def reason(self) -> str:
        return f'{self.rule} ({self.field}: "{self.matched}")'  # StrEnum formats as its value


def reason_of(hits: list[TagHit]) -> str:
    return "; ".join(h.reason for h in hits[:3])


_REASON_PART = re.compile(r'(?P<rule>[^\s;()]+) \((?P<field>[a-z]+): "(?P<matched>.*?)"\)(?:; |$)')


def parse_reason(tag: str, reason: str) -> list[TagHit]:
    """The hits a stored rule reason was written from (`reason_of`'s inverse)."""
    hits = []
    for m in _REASON_PART.finditer(reason):
        try:
            fld = Field(m["field"])
        except ValueError:
            continue
        hits.append(TagHit(tag, m["rule"], fld, m["matched"]))
    return hits


# -- loading --------------------------------------------------------------------------


def packaged_path(name: str) -> Path:
    return Path(str(resources.files("curator") / "defaults" / name))


def resolve_config(explicit: Path | None, name: str) -> Path:
    """`--rules`/`--taxonomy` FILE, else `data/NAME` here, else the packaged default."""
    if explicit is not None:
        return explicit
    local = Path("data") / name
    return local if local.is_file() else packaged_path(name)


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise InputError(f"{path}: no such file") from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML ({exc})") from exc


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise InputError(f"{where} must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def _word_lists(value: Any, where: str) -> dict[str, tuple[str, ...]]:
    """`[words]`: named lists of keywords that several rules share ("@other_purpose")."""
    if not isinstance(value, dict):
        raise InputError(f"{where} must be a table of lists")
    return {name: _strings(words, f"{where}.{name}") for name, words in value.items()}


def _keywords(value: Any, where: str, shared: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """A rule's keyword list, with each "@name" replaced by the `[words]` list it names."""
    out: list[str] = []
    for word in _strings(value, where):
        if not word.startswith("@"):
            out.append(word)
        elif word[1:] in shared:
            out.extend(shared[word[1:]])
        else:
            raise InputError(f"{where}: {word!r} names no list in [words]")
    return tuple(out)


def check_tag_name(name: str, where: str = "tag") -> str:
    if not TAG_NAME.match(name):
        raise InputError(
            f"{where} {name!r} is not a valid tag name (letters, digits, - . _; max 40)"
        )
    return name


def load_rules(path: Path | None = None) -> RuleSet:
    path = resolve_config(path, "tags.toml")
    data = read_toml(path)
    unknown = set(data) - {"tags", "rules", "stop", "taglines", "maker_columns", "words"}
    if unknown:
        raise InputError(
            f"{path}: unknown top-level keys {sorted(unknown)}"
            " (use tags, rules, stop, taglines, maker_columns, words)"
        )
    shared = _word_lists(data.get("words", {}), f"{path}: [words]")
    stop = _strings(data.get("stop", []), f"{path}: stop")
    taglines = data.get("taglines") or {}
    if not isinstance(taglines, dict) or set(taglines) - {"speed", "virtues"}:
        raise InputError(f"{path}: [taglines] takes only speed = [...] and virtues = [...]")
    speed = _strings(taglines.get("speed", []), f"{path}: taglines.speed")
    virtues = _strings(taglines.get("virtues", []), f"{path}: taglines.virtues")
    makers = _strings(data.get("maker_columns", []), f"{path}: maker_columns")
    tags: list[TagInfo] = []
    for name, meta in (data.get("tags") or {}).items():
        check_tag_name(name, f"{path}: [tags.{name}]")
        if not isinstance(meta, dict):
            raise InputError(f"{path}: [tags.{name}] must be a table")
        tags.append(
            TagInfo(name, str(meta.get("badge", DEFAULT_BADGE)), str(meta.get("description", "")))
        )
    rules: list[Rule] = []
    known = {t.name for t in tags}
    for i, raw in enumerate(data.get("rules") or []):
        where = f"{path}: rule #{i + 1}"
        if not isinstance(raw, dict):
            raise InputError(f"{where} must be a table ([[rules]])")
        bad = set(raw) - {
            "name",
            "tag",
            "fields",
            "keywords",
            "patterns",
            "unless",
            "unless_entry",
            "with_entry",
        }
        if bad:
            raise InputError(f"{where}: unknown keys {sorted(bad)}")
        tag = check_tag_name(str(raw.get("tag", "")), f"{where}: tag")
        name = str(raw.get("name") or f"{tag}-{i + 1}")
        where = f"{path}: rule {name!r}"
        try:
            fields = tuple(Field(f) for f in _strings(raw.get("fields", []), f"{where}: fields"))
        except ValueError as exc:
            choices = ", ".join(f.value for f in Field)
            raise InputError(f"{where}: unknown field ({exc}); use {choices}") from exc
        if not fields:
            raise InputError(f"{where}: fields is empty")
        keywords = _keywords(raw.get("keywords", []), f"{where}: keywords", shared)
        patterns = _strings(raw.get("patterns", []), f"{where}: patterns")
        if not keywords and not patterns:
            raise InputError(f"{where}: needs keywords or patterns")
        for p in patterns:
            try:
                re.compile(p)
            except re.error as exc:
                raise InputError(f"{where}: bad pattern {p!r} ({exc})") from exc
        unless = _keywords(raw.get("unless", []), f"{where}: unless", shared)
        unless_entry = _keywords(raw.get("unless_entry", []), f"{where}: unless_entry", shared)
        with_entry = _keywords(raw.get("with_entry", []), f"{where}: with_entry", shared)
        rules.append(Rule(name, tag, fields, keywords, patterns, unless, unless_entry, with_entry))
        if tag not in known:
            tags.append(TagInfo(tag))
            known.add(tag)
    if not rules:
        raise InputError(f"{path}: no [[rules]]")
    return RuleSet(str(path), tuple(tags), tuple(rules), stop, speed, virtues, makers)


def _alternation(phrases: tuple[str, ...]) -> str:
    """Phrases as one regex group, to run on lowercased text: longest first, words on word
    boundaries, any run of spaces or hyphens between them ("GPU accelerated" also matches
    "GPU-accelerated")."""
    parts = []
    for phrase in sorted(phrases, key=len, reverse=True):
        words = [re.escape(w) for w in re.split(r"[\s\-]+", phrase.lower()) if w]
        body = r"[\s\-]+".join(words)
        left = r"(?<![a-z0-9])" if phrase[0].isascii() and phrase[0].isalnum() else ""
        right = r"(?![a-z0-9])" if phrase[-1].isascii() and phrase[-1].isalnum() else ""
        parts.append(left + body + right)
    return "(?:" + "|".join(parts) + ")"


def stop_pattern(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    """One regex for the stop phrases, to run on lowercased text."""
    return re.compile(_alternation(phrases)) if phrases else None


_CJK_WORD = "\u4e00-\u9fff"  # CJK ideographs: no spaces between words


def tagline_pattern(
    speed: tuple[str, ...], virtues: tuple[str, ...]
) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]] | None:
    """Regexes (on lowercased text) for a coordination of two or more adjectives ("simple,
    fast and reliable"), for its speed words, and for its virtue words. A speed word in a
    list of virtues is a tagline; speed words listed only with each other ("fast and
    memory-efficient") say what the item is for."""
    if not speed or not virtues:
        return None
    s, v = _alternation(speed), _alternation(virtues)
    # "the fastest and most interactive": intensifiers ride along with the word they lift.
    item = f"(?:(?:most|more|very|highly|extremely|super|really|truly)\\s+)?(?:{s}|{v})"
    # Chinese lists the same virtues with 、，和 or 且, or with nothing between two words
    # ("轻量高性能").
    glue = (
        r"\s*(?:,|;|/|&|\+|、|，|；|和|且|又|与|\band\b|\bor\b)\s*(?:(?:and|&)\s+)?"
        rf"|(?<=[{_CJK_WORD}])(?=[{_CJK_WORD}])"
    )
    chain = re.compile(f"{item}(?:(?:{glue}){item})+")
    return chain, re.compile(s), re.compile(v)


# -- matching -------------------------------------------------------------------------


_PATH = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*([^?#]*)")
_PATH_SEPARATORS = re.compile(r"[/_.\-+%]+")


def _path_words(url: str) -> str:
    """The words of a URL's path ("/NVIDIA/cutlass/tree/main" → "NVIDIA cutlass tree
    main"), percent-decoded; "" for a URL without a path."""
    m = _PATH.match(url)
    path = unquote(m.group(1)) if m else ""
    return _PATH_SEPARATORS.sub(" ", path).strip()


_HOST = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://(?:[^/?#@]*@)?([^/?#:]*)")


def _host(url: str) -> str:
    m = _HOST.match(url)
    return m.group(1).lower().rstrip(".") if m else host_of(url)


_PARSER: Any = importlib.import_module("re._parser")  # the sre parser, not public API
_LITERAL = importlib.import_module("re._constants").LITERAL


def required_literal(pattern: str) -> str | None:
    """The longest run of plain characters every match of `pattern` contains,
    lowercased (a cheap `in` test before the search), or None when there is none."""
    try:
        parsed = _PARSER.parse(pattern, re.IGNORECASE)
    except (re.error, ValueError, TypeError):
        return None
    best, run = "", ""
    for op, arg in [*parsed, (None, None)]:
        if op is _LITERAL:
            run += chr(arg)
            continue
        if len(run.strip()) > len(best):
            best = run.strip()
        run = ""
    # One ASCII letter is in most texts; one CJK character ("《") is selective enough.
    return best.lower() if len(best) >= 2 or (best and not best.isascii()) else None


def _gate(
    pats: list[tuple[int, list[tuple[str | None, re.Pattern[str]]]]] | None,
) -> re.Pattern[str] | None:
    literals = [lit for _, ps in pats or () for lit, _ in ps]
    if not literals or any(lit is None for lit in literals):
        return None
    return re.compile("|".join(re.escape(lit) for lit in sorted({x for x in literals if x})))


Hit = tuple[Field, str]  # (field, matched text) of a rule that fired
STOP_RULE = -1  # the rule number of stop phrases in the keyword index
# A text's keyword matches for the fields, its lowercased form, the text with its stop
# phrases blanked, and the entry-level keywords (unless_entry, with_entry) found in it.
_Memo = tuple[dict[tuple[int, bool], str], str, str, tuple[int, ...]]


NOTE_LINES = 6


def _opening(notes: str) -> str:
    """The first lines of an entry's notes. A short note is a remark about the item; a
    long one is a digest or an outline of its contents, whose body mentions everything in
    passing (a paper's digest says GPUs are parallel; that is not what the paper is about)."""
    if notes.count("\n") < NOTE_LINES:
        return notes
    return "\n".join(notes.split("\n", NOTE_LINES)[:NOTE_LINES])


def _span(m: re.Match[str]) -> tuple[int, int]:
    return m.span()


class _Plan(NamedTuple):
    """What the rules do with the values of one field, worked out once."""

    field: Field
    keywords: bool  # scanned with the keyword index
    url: bool  # scanned with the URL substring keywords
    wanted: frozenset[int]  # rules looking at this field
    # Per rule: (literal every match contains or None, pattern).
    patterns: list[tuple[int, list[tuple[str | None, re.Pattern[str]]]]] | None
    # One search of the lowercased value for any of those literals (None: some pattern
    # has no literal, so every value is searched).
    gate: re.Pattern[str] | None


@dataclass(slots=True)
class Tagger:
    """Rules compiled once into one keyword index; `tag()` is pure and fast."""

    ruleset: RuleSet
    _index: KeywordIndex = field(init=False)
    _url_keywords: list[tuple[int, str, bool]] = field(init=False)
    _domains: dict[str, list[int]] = field(init=False)
    _hosts: dict[str, list[int]] = field(init=False)  # host → rules of its domains, in order
    _cache: dict[tuple[str, ...], dict[int, Hit]] = field(init=False)
    # Keyword matches per text: descriptions and notes repeat ("论文", a list's two versions).
    # Value → (matches, lowercased text, text with the stop phrases blanked).
    _matches: dict[str, _Memo] = field(init=False)
    _reasons: dict[str, str] = field(init=False)
    _names: list[tuple[str, str]] = field(init=False)  # (tag, rule name) per rule
    _plans: dict[Field, _Plan] = field(init=False)
    _stop: re.Pattern[str] | None = field(init=False)
    _stop_gate: re.Pattern[str] | None = field(init=False)  # a word of each stop phrase
    _taglines: tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]] | None = field(init=False)
    _vetoable: frozenset[int] = field(init=False)  # rules with unless_entry keywords
    _conditional: frozenset[int] = field(init=False)  # rules with with_entry keywords
    _rule_count: int = field(init=False)
    _makers: frozenset[str] = field(init=False)  # maker column names, lowercased
    _maker_header: dict[str, bool] = field(init=False)

    def __post_init__(self) -> None:
        self._makers = frozenset(m.strip().lower() for m in self.ruleset.maker_columns)
        self._maker_header = {}
        self._stop = stop_pattern(self.ruleset.stop)
        keys = {max(re.split(r"[\s\-]+", p.lower()), key=len) for p in self.ruleset.stop}
        self._stop_gate = re.compile("|".join(re.escape(k) for k in sorted(keys))) if keys else None
        # unless_entry keywords ride in the one index as rule n + i (no field wants them):
        # the entry's texts are scanned once, and the veto reads the memo.
        n = self._rule_count = len(self.ruleset.rules)
        terms: list[Term] = [
            Term(k, n + i, False) for i, r in enumerate(self.ruleset.rules) for k in r.unless_entry
        ]
        self._vetoable = frozenset(t.rule - n for t in terms)
        # with_entry keywords likewise, as rule 2n + i.
        needs = [
            Term(k, 2 * n + i, False)
            for i, r in enumerate(self.ruleset.rules)
            for k in r.with_entry
        ]
        self._conditional = frozenset(t.rule - 2 * n for t in needs)
        terms += needs
        # Stop phrases too, as rule -1: a text is blanked and scanned again only when the
        # scan found one (few texts), not searched for them first (every text).
        terms += [Term(phrase, STOP_RULE, False) for phrase in self.ruleset.stop]
        self._taglines = tagline_pattern(self.ruleset.tagline_speed, self.ruleset.tagline_virtues)
        if self._taglines is not None:
            terms += [Term(word, STOP_RULE, False) for word in self.ruleset.tagline_speed]
        self._domains = defaultdict(list)
        patterns: dict[Field, list[tuple[int, list[tuple[str | None, re.Pattern[str]]]]]] = (
            defaultdict(list)
        )
        fields: list[frozenset[Field]] = []
        kw_fields: set[Field] = set()
        self._url_keywords = []
        for i, rule in enumerate(self.ruleset.rules):
            fields.append(frozenset(rule.fields))
            terms.extend(Term(k, i, False) for k in rule.keywords)
            terms.extend(Term(k, i, True) for k in rule.unless)
            if rule.keywords or rule.unless:
                kw_fields.update(rule.fields)
            if Field.URL in rule.fields:
                self._url_keywords += [(i, k.lower(), False) for k in rule.keywords]
                self._url_keywords += [(i, k.lower(), True) for k in rule.unless]
            if Field.HOST in rule.fields:
                for k in rule.keywords:
                    self._domains[k.lower().lstrip(".")].append(i)
            if rule.patterns:
                compiled = [
                    (required_literal(p), re.compile(p, re.IGNORECASE)) for p in rule.patterns
                ]
                for f in rule.fields:
                    patterns[f].append((i, compiled))
        keyword_fields = kw_fields - {Field.HOST, Field.URL}
        self._index = KeywordIndex(terms)
        self._cache = {}
        self._matches = {}
        self._reasons = {}
        self._hosts = {}
        self._names = [(r.tag, r.name) for r in self.ruleset.rules]
        self._plans = {
            f: _Plan(
                f,
                f in keyword_fields,
                f is Field.URL and bool(self._url_keywords),
                frozenset(i for i, fs in enumerate(fields) if f in fs),
                patterns.get(f),
                _gate(patterns.get(f)),
            )
            for f in Field
        }

    def _url_scan(self, url: str) -> dict[tuple[int, bool], str]:
        """In URLs keywords are plain substrings: "textbook" in ".../tree/main/Textbook"."""
        low = url.lower()
        found: dict[tuple[int, bool], str] = {}
        for i, kw, negative in self._url_keywords:
            if kw in low:
                found.setdefault((i, negative), kw)
        return found

    def _unstopped(self, value: str) -> str:
        """The value with its stop phrases and tagline speed words blanked by spaces of
        the same length (reasons still quote the text as written)."""
        low = value.lower()
        if len(low) != len(value):  # lowercasing moved positions: keep them aligned
            low = "".join(c.lower() if len(c.lower()) == 1 else c for c in value)
        spans: list[tuple[int, int]] = []
        stop = self._stop
        if stop is not None and (self._stop_gate is None or self._stop_gate.search(low)):
            spans += [m.span() for m in stop.finditer(low)]
        if self._taglines is not None:
            chain, speed, virtue = self._taglines
            for m in chain.finditer(low):
                text = m.group(0)
                if virtue.search(text):
                    start = m.start()
                    spans += [(start + a, start + b) for a, b in map(_span, speed.finditer(text))]
        for a, b in spans:
            value = value[:a] + " " * (b - a) + value[b:]
        return value

    def _memo(self, value: str) -> _Memo:
        memo = self._matches.get(value)
        if memo is None:
            found, low = self._index.matches(value)
            text = value
            if (STOP_RULE, False) in found:
                text = self._unstopped(value)
                if text != value:
                    found, low = self._index.matches(text)
                found.pop((STOP_RULE, False), None)
            # Keywords of unless_entry / with_entry (rule numbers n and up) are kept apart:
            # no field wants them, only the entry-level check reads them.
            n = self._rule_count
            entry: tuple[int, ...] = ()
            if found and max(found)[0] >= n:  # one C-level pass for the common "none"
                entry = tuple(j for j, _ in found if j >= n)
                found = {k: v for k, v in found.items() if k[0] < n}
            memo = self._matches[value] = (found, low, text, entry)
        return memo

    def _value(self, first: dict[int, Hit], plan: _Plan, value: str) -> None:
        """Add the hits of one field value for rules that have none yet."""
        fld, keywords, url, wanted, pats, gate = plan
        low: str | None = None
        if keywords:
            found, low, value, _ = self._memo(value)
        elif url:
            found = self._url_scan(value)
        else:
            found = {}
            if pats and fld is not Field.HOST:
                value = self._unstopped(value)
        # A negative term found for a rule vetoes the rule in this value.
        for (i, negative), matched in found.items():
            if negative or i in first or i not in wanted or (i, True) in found:
                continue
            first[i] = (fld, matched if low is None else spelled(value, low, matched))
        if not pats:
            return
        if low is None:
            low = value.lower()
        # Most values contain none of the patterns' literals: one search says so.
        if gate is not None and not gate.search(low):
            return
        for i, rule_pats in pats:
            if i in first or (i, True) in found:
                continue
            for literal, p in rule_pats:
                if literal is not None and literal not in low:
                    continue
                m = p.search(value)
                if m:
                    first[i] = (fld, m.group(0))
                    break

    def _category(self, path: tuple[str, ...]) -> dict[int, Hit]:
        """Hits of a category path (category and section fields), computed once per path."""
        hits = self._cache.get(path)
        if hits is None:
            hits = {}
            plan = self._plans[Field.CATEGORY]
            for heading in path:
                self._value(hits, plan, heading)
            if path:
                self._value(hits, self._plans[Field.SECTION], path[-1])
            self._cache[path] = hits
        return hits

    def _column(self, kind: str, value: str) -> dict[int, Hit]:
        """Hits of a table header name (the same few names on every row) or of a cell
        (cells repeat down a table: frameworks, years, yes/no), computed once."""
        key = (kind, value)
        hits = self._cache.get(key)
        if hits is None:
            hits = self._cache[key] = {}
            self._value(hits, self._plans[Field.COLUMNS], value)
        return hits

    def _is_maker(self, header: str) -> bool:
        """A header names a maker when it, or a part of it split on "/", "|", "、" or ","
        ("机构/个人"), is one of `maker_columns`."""
        found = self._maker_header.get(header)
        if found is None:
            name = header.strip().lower()
            parts = {name, *(p.strip() for p in re.split(r"[/|、,]", name))}
            found = self._maker_header[header] = not self._makers.isdisjoint(parts)
        return found

    def _host_rules(self, host: str) -> list[int]:
        """Rules whose domain keyword is the host or a parent domain of it, longest first."""
        rules = self._hosts.get(host)
        if rules is None:
            parts = host.split(".")
            rules = self._hosts[host] = [
                i for k in range(len(parts) - 1) for i in self._domains.get(".".join(parts[k:]), ())
            ]
        return rules

    def _without_makers(self, item: TagInput) -> TagInput:
        """The row without its maker cells: in its columns, in its description (a table
        row's description is its other cells joined with " | ") and in the texts of the
        links those cells hold."""
        makers = {cell for name, cell in item.columns if cell and self._is_maker(name)}
        if not makers:
            return item
        return item._replace(
            description=" | ".join(p for p in item.description.split(" | ") if p not in makers),
            columns=tuple((n, c) for n, c in item.columns if not self._is_maker(n)),
            links=tuple(t for t in item.links if not any(t in cell for cell in makers)),
        )

    def _first(self, item: TagInput) -> dict[int, Hit]:
        """The first hit of each rule that fires: field values in a fixed order."""
        if item.columns and self._makers:
            item = self._without_makers(item)
        first: dict[int, Hit] = {}
        plans = self._plans
        if item.title:
            self._value(first, plans[Field.TITLE], item.title)
        if item.description:
            self._value(first, plans[Field.DESCRIPTION], item.description)
        notes = _opening(item.notes) if item.notes else ""
        if notes:
            self._value(first, plans[Field.NOTES], notes)
        for i, hit in self._category(item.category).items():
            first.setdefault(i, hit)
        if item.urls:
            url_plan = plans[Field.URL]
            for url in item.urls:
                self._value(first, url_plan, url)
            path_plan = plans[Field.PATH]
            if path_plan.wanted:
                for url in item.urls:
                    words = _path_words(url)
                    if words:
                        self._value(first, path_plan, words)
        if item.links:
            links_plan = plans[Field.LINKS]
            if links_plan.wanted:
                for text in item.links:
                    if text:
                        self._value(first, links_plan, text)
        for name, cell in item.columns:
            for i, hit in self._column("\0columns", name).items():
                first.setdefault(i, hit)
            if cell:
                for i, hit in self._column("\0cell", cell).items():
                    first.setdefault(i, hit)
        if self._domains:
            for url in item.urls:
                host = _host(url)
                for i in self._host_rules(host):
                    if i not in first:
                        first[i] = (Field.HOST, host)
        if (self._vetoable and not self._vetoable.isdisjoint(first)) or (
            self._conditional and not self._conditional.isdisjoint(first)
        ):
            self._check_entry(first, item, notes)
        return first

    def _check_entry(self, first: dict[int, Hit], item: TagInput, notes: str) -> None:
        """Drop the rules whose `unless_entry` keywords are in the entry's own words, and
        those whose `with_entry` keywords are not."""
        n = self._rule_count
        own = [item.title, item.description, notes]
        own += [cell for _, cell in item.columns]
        present: set[int] = set()
        for text in own:
            if text:
                for j in self._memo(text)[3]:
                    if j >= 2 * n:
                        present.add(j - 2 * n)
                    elif j >= n:
                        first.pop(j - n, None)
        for i in self._conditional - present:
            first.pop(i, None)

    def hits(self, item: TagInput) -> list[TagHit]:
        """One hit per rule that fires (first matching field value), in rule order."""
        first = self._first(item)
        names = self._names
        return [TagHit(*names[i], *first[i]) for i in sorted(first)]

    def tag(self, item: TagInput) -> dict[str, list[TagHit]]:
        out: dict[str, list[TagHit]] = {}
        for hit in self.hits(item):
            out.setdefault(hit.tag, []).append(hit)
        return out

    def reasons(self, item: TagInput) -> dict[str, str]:
        """`reason_of` of each tag of `tag(item)`, built without the per-hit objects."""
        first = self._first(item)
        if not first:
            return {}
        names = self._names
        parts: dict[str, list[str]] = {}
        for i in sorted(first):
            tag, rule = names[i]
            fld, matched = first[i]
            found = parts.get(tag)
            if found is None:
                parts[tag] = [f'{rule} ({fld}: "{matched}")']  # StrEnum formats as its value
            elif len(found) < 3:
                found.append(f'{rule} ({fld}: "{matched}")')
        # One str object per distinct reason (a few thousand for 20,000 entries): pickling
        # a worker's results (perf.map_split) then sends each once, 4x fewer bytes.
        seen = self._reasons
        out = {}
        for tag, texts in parts.items():
            reason = "; ".join(texts)
            out[tag] = seen.setdefault(reason, reason)
        return out

    def reasons_all(self, items: list[TagInput]) -> list[dict[str, str]]:
        return [self.reasons(item) for item in items]


def input_from_parsed(entry: ParsedEntry) -> TagInput:
    """The same view `load_inputs` builds from the DB, straight from the parser."""
    return TagInput(
        entry.title,
        entry.description,
        entry.notes,
        entry.category,
        tuple(
            lk.href
            for lk in entry.links
            if lk.kind == LinkKind.WEB and lk.role in (LinkRole.MAIN, LinkRole.SUB)
        ),
        tuple((entry.columns or {}).items()),
        tuple(lk.text for lk in entry.links if lk.role == LinkRole.SUB and lk.text),
    )
