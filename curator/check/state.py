"""Per-URL state machine and title drift: pure functions, no DB, no clock, no I/O.

Input: the previous `StateRecord` of a URL (or None), the outcome of a new check, the time
of that check and the confirmation thresholds (`--confirm-runs`, `--confirm-days`).
Output: the new `StateRecord`. `title_drifted(old, new)` says whether a page title changed
so much that the page is likely parked or a soft 404.

States (`LinkState`):
- `ok`: passing. `suspect`: failing, not (yet) confirmed.
- `broken`: `gone` in at least `confirm_runs` checks of the current failure streak, and the
  first of them at least `confirm_days` before this one. `blocked`, `transient`, `timeout`
  and `invalid` never count towards it: they can make a URL suspect or flaky, never broken,
  though they do not end the streak of a URL that is already broken.
- `flaky`: it keeps alternating. `flips` counts pass↔fail changes in the recent history:
  every change adds one, every pass after a pass takes one away (so a URL that settles
  down stops being flaky after a few clean checks), capped at `FLIP_MEMORY`. A failure
  with >= 2 flips (it failed, came back and failed again) or any check with >= 3 flips
  is flaky.
- `recovered`: passing again after suspect/broken/flaky (one check; then `ok`).
Outcomes that say nothing about the URL (`excluded`, `skipped`, `local`) leave the record
unchanged.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from curator.check.types import LinkState, Outcome

PASSING = frozenset({Outcome.OK, Outcome.REDIRECTED})
FAILING = frozenset(
    {Outcome.GONE, Outcome.BLOCKED, Outcome.TRANSIENT, Outcome.TIMEOUT, Outcome.INVALID}
)
FLIP_MEMORY = 5
FLAKY_FLIPS_FAILING = 2
FLAKY_FLIPS_PASSING = 3
DRIFT_THRESHOLD = 0.2


@dataclass(frozen=True, slots=True)
class StateRecord:
    """What `url_state` remembers about one URL's history."""

    state: LinkState = LinkState.UNCHECKED
    last_outcome: Outcome | None = None
    last_status: int | None = None
    # Start of the current failure streak; once the streak has a `gone`, the time of its
    # first `gone` (the clock `confirm_days` is measured on).
    first_failure_at: datetime | None = None
    consecutive_failures: int = 0  # `gone` results in the current failure streak
    flips: int = 0
    last_ok_at: datetime | None = None
    last_checked_at: datetime | None = None

    @property
    def passing(self) -> bool | None:
        """True/False after a pass/fail, None if never checked."""
        if self.last_outcome in PASSING:
            return True
        if self.last_outcome in FAILING:
            return False
        return None


def transition(
    prev: StateRecord | None,
    outcome: Outcome,
    now: datetime,
    confirm_runs: int,
    confirm_days: float,
    status: int | None = None,
) -> StateRecord:
    """The record after a check of the URL at `now` found `outcome`."""
    prev = prev or StateRecord()
    if outcome not in PASSING and outcome not in FAILING:
        return prev
    was_passing = prev.passing
    passing = outcome in PASSING
    flips = prev.flips
    if was_passing is not None and was_passing != passing:
        flips = min(flips + 1, FLIP_MEMORY)
    elif was_passing and passing:
        flips = max(flips - 1, 0)
    base = replace(prev, last_outcome=outcome, last_status=status, flips=flips, last_checked_at=now)
    if passing:
        if flips >= FLAKY_FLIPS_PASSING:
            state = LinkState.FLAKY
        elif prev.state in (LinkState.SUSPECT, LinkState.BROKEN, LinkState.FLAKY):
            state = LinkState.RECOVERED
        else:
            state = LinkState.OK
        return replace(
            base, state=state, first_failure_at=None, consecutive_failures=0, last_ok_at=now
        )

    gone = outcome is Outcome.GONE
    first = prev.first_failure_at if was_passing is False else None
    streak = prev.consecutive_failures if was_passing is False else 0
    if gone:
        if streak == 0:
            first = now  # the confirm_days clock starts at the first `gone`
        streak += 1
    if first is None:
        first = now
    confirmed = gone and streak >= confirm_runs and now - first >= timedelta(days=confirm_days)
    if confirmed or (prev.state is LinkState.BROKEN and was_passing is False):
        state = LinkState.BROKEN
    elif flips >= FLAKY_FLIPS_FAILING:
        state = LinkState.FLAKY
    else:
        state = LinkState.SUSPECT
    return replace(base, state=state, first_failure_at=first, consecutive_failures=streak)


# --- title drift -------------------------------------------------------------------------

_WORD = re.compile(r"\w+", re.UNICODE)
_SPACE = re.compile(r"\s+")
# Titles a parked domain, a registrar or a soft-404 page shows instead of the real page.
_PARKED = re.compile(
    r"domain (?:name )?(?:is )?for sale|buy this domain|this domain (?:may be|is) for sale"
    r"|parked (?:free|domain)|domain (?:has )?expired|page not found|404 not found"
    r"|^(?:404|not found|error 404)\b|域名(?:出售|转让|已过期)|页面不存在|找不到(?:页面|网页)",
    re.IGNORECASE,
)


def _is_cjk(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F") and ch.isalnum()


def _words(text: str) -> set[str]:
    """Word tokens; a run of CJK characters becomes its character bigrams (no spaces)."""
    out: set[str] = set()
    for word in _WORD.findall(text.lower()):
        if any(_is_cjk(c) for c in word):
            out.update(_bigrams(word) or {word})
        else:
            out.add(word)
    return out


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


def _jaccard(a: set[str], b: set[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def title_similarity(old: str, new: str) -> float:
    """0..1: the larger of word-token and character-bigram Jaccard similarity."""
    a = _SPACE.sub(" ", old.strip().lower())
    b = _SPACE.sub(" ", new.strip().lower())
    return max(_jaccard(_words(a), _words(b)), _jaccard(_bigrams(a), _bigrams(b)))


def title_drifted(old: str | None, new: str | None) -> bool:
    """True if `new` shares almost nothing with `old`, or newly looks parked / not found."""
    if not old or not new or not old.strip() or not new.strip():
        return False
    if _PARKED.search(new) and not _PARKED.search(old):
        return True
    return title_similarity(old, new) < DRIFT_THRESHOLD
