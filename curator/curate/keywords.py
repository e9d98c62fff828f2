"""Keyword index: many keywords of many rules, matched against short texts in one pass.

Input: `Term`s (keyword text, rule number, negative flag). Output: `KeywordIndex.scan(text)`
→ {rule: (matched text, negative)}, or the lower-level `matches(text)` (what the tagger
uses: it spells out only the terms it keeps). Config: none. Matching is case-insensitive:

- ASCII keywords match whole words only. Text and keyword are both cut into runs of
  letters and runs of digits, so "GPT" never matches "GPU", "T4" matches "T4" but not
  "AT4", "HBM" matches "HBM3e", and "A100" matches "A100s" (but not "a 100": a keyword
  written without a separator needs none in the text). A keyword ending in a letter
  also matches its plural ("GPU" matches "GPUs"). Multi-word keywords ("tokens per
  second", "tensor core") match consecutive words whatever separates them (space, hyphen,
  CJK).
- A single ASCII word ending in `*` is a stem: it matches words that start with it at a
  word boundary ("accelerat*" matches "Accelerating", not "decelerate"; "optimi*" matches
  "optimise" and "optimized").
- Keywords of CJK (non-ASCII) characters match as plain substrings: Chinese has no
  spaces, so "显存" must match inside "显存占用".
- Other keywords ("c++", "tokens/s", "kernel 优化") match as substrings whose ASCII ends
  are not inside a word.

Used by `tags.py` (rules) and `taxonomy.py` (headings). A scan is one regex pass for the
words, a set intersection, one regex pass for the characters that can start a CJK keyword
and a dict lookup at each, and a substring test per other keyword, which keeps tagging
20,000 entries well under a second (see benchmarks/tag_export_bench.py).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

WORD = re.compile(r"[a-z]+|[0-9]+")
NON_ASCII = re.compile(r"[^\x00-\x7f]+")


@dataclass(frozen=True, slots=True)
class Term:
    text: str
    rule: int
    negative: bool = False


def words_of(text: str) -> list[str]:
    return WORD.findall(text.lower())


def _plurals(word: str) -> tuple[str, ...]:
    """Forms of a keyword's last word that also match ("gpu" → "gpus", "gpues")."""
    if not word.isalpha() or word.endswith("s"):
        return (word,)
    return (word, word + "s", word + "es")


class KeywordIndex:
    def __init__(self, terms: list[Term]) -> None:
        self.single: dict[str, list[Term]] = defaultdict(list)
        self.multi: dict[str, list[tuple[tuple[str, ...], Term]]] = defaultdict(list)
        self.cjk: dict[str, list[Term]] = defaultdict(list)
        self.literal: list[tuple[str, re.Pattern[str], Term]] = []
        self.stems: dict[str, list[Term]] = defaultdict(list)
        for term in terms:
            low = term.text.lower().strip()
            if not low:
                continue
            if re.fullmatch(r"[a-z0-9]+\*", low):
                self.stems[low[:-1]].append(term)
            elif all(not c.isascii() for c in low):
                self.cjk[low].append(term)
            elif re.fullmatch(r"[a-z0-9]+(?:[\s\-_]+[a-z0-9]+)*", low):
                parts = tuple(words_of(low))
                if len(parts) == 1:
                    for form in _plurals(parts[0]):
                        self.single[form].append(term)
                else:
                    self.multi[parts[0]].append((parts, term))
            else:  # punctuation, or ASCII and CJK mixed ("kernel 优化")
                left = r"(?<![a-z0-9])" if low[0].isascii() and low[0].isalnum() else ""
                right = r"(?![a-z0-9])" if low[-1].isascii() and low[-1].isalnum() else ""
                self.literal.append((low, re.compile(left + re.escape(low) + right), term))
        self.starts = frozenset(self.single) | frozenset(self.multi)
        # CJK keywords by their first two characters (or one, for one-character keywords):
        # each position of a CJK run that starts a keyword costs one dict lookup, and a
        # regex (C speed) finds those positions.
        self.cjk_heads: dict[str, list[str]] = defaultdict(list)
        for k in sorted(self.cjk):
            self.cjk_heads[k[:2]].append(k)
        self.cjk_short = any(len(k) == 1 for k in self.cjk)
        self.cjk_starts = re.compile(
            "[" + "".join(sorted({re.escape(k[0]) for k in self.cjk})) + "]" if self.cjk else "(?!)"
        )
        # (rule, negative) keys made once, not per match: scans run ~60,000 times a run.
        single_keys = {w: tuple((t.rule, t.negative) for t in ts) for w, ts in self.single.items()}
        # Per multi-word term: its words but the last (a list, compared with a slice of the
        # text's words), the forms its last word may take, and its key.
        # A keyword written without separators ("A100") needs them glued in the text too:
        # "A100s" is the GPU, "a 100-page book" is not.
        multi = {
            w: tuple(
                (
                    list(parts[:-1]),
                    frozenset(_plurals(parts[-1])),
                    (t.rule, t.negative),
                    t.text,
                    t.text.lower() if re.fullmatch(r"[a-z0-9]+", t.text.lower()) else None,
                )
                for parts, t in ts
            )
            for w, ts in self.multi.items()
        }
        self.word_terms = {w: (single_keys.get(w, ()), multi.get(w, ())) for w in self.starts}
        # One regex finds every word that starts with a stem (longest stem first).
        stems = sorted(self.stems, key=len, reverse=True)
        self.stem_rx = (
            re.compile(r"(?<![a-z0-9])(?:" + "|".join(map(re.escape, stems)) + r")[a-z]*")
            if stems
            else None
        )
        # Most texts hold no stem at all: one C-speed search of the plain stems says so.
        self.stem_gate = re.compile("|".join(map(re.escape, stems))) if stems else None
        self.stem_keys = [
            (stem, tuple((t.rule, t.negative) for t in self.stems[stem])) for stem in stems
        ]
        self.cjk_keys = {
            k: tuple(((t.rule, t.negative), t.text) for t in ts) for k, ts in self.cjk.items()
        }

    def scan(self, text: str) -> dict[int, tuple[str, bool]]:
        """Every rule with a term in `text`: rule → (matched text, negative)."""
        found, low = self.matches(text)
        out: dict[int, tuple[str, bool]] = {}
        for (rule, negative), matched in found.items():
            # A negative term wins for its rule: report it so callers can veto.
            if negative or rule not in out:
                out[rule] = (spelled(text, low, matched), negative)
        return out

    def matches(self, text: str) -> tuple[dict[tuple[int, bool], str], str]:
        """(rule, negative) → the first term found for it (lowercase, or as in the rules),
        and the lowercased text; `spelled()` gives a term as written in the text."""
        found: dict[tuple[int, bool], str] = {}
        low = text.lower()
        words = WORD.findall(low)
        # Set intersection (C speed) finds the few words that start a term; they are then
        # visited in text order, so the keyword quoted in a reason is the same every run
        # (set order depends on the per-process hash seed).
        hits = self.starts.intersection(words)
        if hits:
            word_terms = self.word_terms
            wordset: set[str] | None = None
            for word in hits if len(hits) == 1 else sorted(hits, key=words.index):
                keys, multi = word_terms[word]
                for key in keys:
                    if key not in found:
                        found[key] = word
                if not multi:
                    continue
                if wordset is None:
                    wordset = set(words)
                for init, lasts, key, term_text, glued in multi:
                    # Cheap tests first: most texts with "a" or "kernel" lack the other words.
                    if key in found or lasts.isdisjoint(wordset):
                        continue
                    if glued is not None and glued not in low:
                        continue
                    n = len(init) + 1
                    for pos, w in enumerate(words):
                        if w != word:
                            continue
                        window = words[pos : pos + n]
                        if len(window) == n and window[-1] in lasts and window[:-1] == init:
                            found[key] = term_text
                            break
        if self.stem_rx is not None and self.stem_gate is not None and self.stem_gate.search(low):
            for m in self.stem_rx.finditer(low):
                word = m.group(0)
                for stem, keys in self.stem_keys:
                    if word.startswith(stem):
                        for key in keys:
                            found.setdefault(key, word)
        if self.cjk and not low.isascii():
            # A CJK keyword is all non-ASCII: it matches in `low` where it matches in the
            # run of non-ASCII characters around it.
            heads, cjk_keys, short = self.cjk_heads, self.cjk_keys, self.cjk_short
            for m in self.cjk_starts.finditer(low):
                i = m.start()
                for head in (low[i : i + 2], low[i]) if short else (low[i : i + 2],):
                    for kw in heads.get(head, ()):
                        if low.startswith(kw, i):
                            for rule_key, kw_text in cjk_keys[kw]:
                                found.setdefault(rule_key, kw_text)
        for low_kw, rx, term in self.literal:
            if low_kw in low and rx.search(low):
                found.setdefault((term.rule, term.negative), term.text)
        return found, low


def spelled(text: str, low: str, matched: str) -> str:
    """A term as spelled in the text (reasons are shown to users); when lowercasing changed
    the length, positions do not line up and the term is kept."""
    if len(low) == len(text):
        pos = low.find(matched.lower())
        if pos >= 0:
            return text[pos : pos + len(matched)]
    return matched
