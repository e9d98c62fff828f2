"""Heading anchors exactly as GitHub makes them, for ToCs that resolve on GitHub.

Input: heading text as rendered (markup removed). Output: the anchor (without `#`).
GitHub lowercases the text, deletes every character that is not a letter, mark, decimal
or letter number, connector punctuation (`_`), hyphen or space (Ruby `/[^\\p{Word}\\- ]/`),
and turns each space into `-` (no collapsing: "a - b" → "a---b"). CJK letters are kept
("一，数学基础专栏" → "一数学基础专栏"). A repeated anchor gets `-1`, `-2`, … in document
order; like github-slugger, a suffixed anchor that is itself taken gets the next number.
The deep_learning_system seeds' hand-written ToCs are the ground truth (tests/test_slug.py).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

_KEEP_CATEGORIES = frozenset({"Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "Pc"})


@lru_cache(maxsize=4096)
def _keep(ch: str) -> bool:
    return ch in "- " or unicodedata.category(ch) in _KEEP_CATEGORIES


def github_slug(text: str) -> str:
    """The anchor GitHub gives one heading (before de-duplication)."""
    return "".join(ch for ch in text.lower() if _keep(ch)).replace(" ", "-")


class Slugger:
    """Unique anchors for the headings of one document, fed in document order."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}

    def slug(self, text: str) -> str:
        base = github_slug(text)
        result = base
        while result in self.seen:
            self.seen[base] += 1
            result = f"{base}-{self.seen[base]}"
        self.seen[result] = 0
        return result
