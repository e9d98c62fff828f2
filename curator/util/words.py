"""Counted nouns for messages and pages: `counted(1, "entry")` is "1 entry".

Input: a number and the singular (and the plural when it is not the singular + "s").
Output: the text. No config.
"""

from __future__ import annotations

_IRREGULAR = {"entry": "entries", "category": "categories", "this": "these"}


def counted(n: int, singular: str, plural: str | None = None) -> str:
    if n == 1:
        return f"{n} {singular}"
    return f"{n} {plural or _IRREGULAR.get(singular) or singular + 's'}"
