"""Words for messages and pages: counted nouns (`counted(1, "entry")` is "1 entry") and
"did you mean" hints for mistyped names.

Input: a number and the singular (and the plural when it is not the singular + "s"); a
name and the known ones. Output: the text. No config.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

_IRREGULAR = {"entry": "entries", "category": "categories", "this": "these"}


def counted(n: int, singular: str, plural: str | None = None) -> str:
    if n == 1:
        return f"{n} {singular}"
    return f"{n} {plural or _IRREGULAR.get(singular) or singular + 's'}"


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """ " (did you mean 'x'?)" for the closest of `choices` to a mistyped `name` (difflib,
    case-insensitive), or "" when none is close."""
    by_fold = {c.casefold(): c for c in choices}
    folded = name.casefold()
    # A unique name that starts with what was typed (a shortened name), else the closest.
    starts = [c for c in by_fold if folded and c.startswith(folded)]
    close = starts if len(starts) == 1 else []
    close = close or difflib.get_close_matches(folded, list(by_fold), n=1, cutoff=0.6)
    return f" (did you mean {by_fold[close[0]]!r}?)" if close else ""
