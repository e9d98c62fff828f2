"""Response and error → outcome, retry decisions and waits. Pure: no I/O, no clock reads.

Input: a final status code with its (lower-case) headers, whether every redirect hop was
permanent, or the exception an attempt raised; a Retry-After value and "now" for waits.
Output: an `Outcome`, whether to retry, and how long to wait. Config: none (the caller
passes caps and bases from `CheckConfig`).

Taxonomy: 2xx (and non-redirect 3xx) ok, or `redirected` when every hop was 301/308;
404/410 and NXDOMAIN `gone`; 401/403/429/451/999, other 4xx and bot walls (Cloudflare
challenge) `blocked`; 5xx, 408, resets and other network errors `transient`; our own
deadline `timeout`; guard refusals, bad URLs and redirect loops `invalid`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from curator.check.http.guard import GuardRefused, NameNotResolved, ResolveFailed
from curator.check.types import REFUSED, Outcome

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_STATUSES = frozenset({301, 308})
GONE_STATUSES = frozenset({404, 410})
RETRY_STATUSES = frozenset({408, 429})
METHOD_REJECTED = frozenset({405, 501})  # retried once with the other method


@dataclass(frozen=True, slots=True)
class ErrorVerdict:
    outcome: Outcome
    message: str
    retry: bool


def is_bot_wall(status: int, headers: Mapping[str, str]) -> bool:
    """Cloudflare challenges and LinkedIn's 999: the page may well exist."""
    if status == 999 or headers.get("cf-mitigated", "").lower() == "challenge":
        return True
    return (
        status in (403, 503)
        and "cf-ray" in headers
        and headers.get("server", "").lower().startswith("cloudflare")
    )


def outcome_for_status(status: int, headers: Mapping[str, str], permanent: bool) -> Outcome:
    """The outcome of a final (non-redirect) response; `permanent`: all hops were 301/308."""
    if is_bot_wall(status, headers):
        return Outcome.BLOCKED
    if status < 400:
        return Outcome.REDIRECTED if permanent else Outcome.OK
    if status in GONE_STATUSES:
        return Outcome.GONE
    if status == 408 or status >= 500:
        return Outcome.TRANSIENT
    return Outcome.BLOCKED


def retryable_status(status: int, headers: Mapping[str, str]) -> bool:
    return (status in RETRY_STATUSES or 500 <= status < 600) and not is_bot_wall(status, headers)


def verdict_for_error(exc: BaseException) -> ErrorVerdict:
    """What an exception raised during one attempt means, and whether to retry it."""
    if isinstance(exc, GuardRefused):
        return ErrorVerdict(Outcome.INVALID, f"{REFUSED}{exc}", retry=False)
    if isinstance(exc, NameNotResolved):
        return ErrorVerdict(Outcome.GONE, str(exc), retry=False)
    if isinstance(exc, ResolveFailed):
        return ErrorVerdict(Outcome.TRANSIENT, str(exc), retry=True)
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return ErrorVerdict(Outcome.TIMEOUT, _describe(exc, "timed out"), retry=True)
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol | httpx.LocalProtocolError):
        return ErrorVerdict(Outcome.INVALID, _describe(exc, "invalid URL"), retry=False)
    if isinstance(exc, httpx.TransportError | OSError):
        return ErrorVerdict(Outcome.TRANSIENT, _describe(exc, "network error"), retry=True)
    return ErrorVerdict(Outcome.TRANSIENT, f"internal error: {_describe(exc, '')}", retry=False)


def _describe(exc: BaseException, fallback: str) -> str:
    text = " ".join(str(exc).split())
    name = type(exc).__name__
    return f"{name}: {text}"[:300] if text else f"{name}: {fallback}"


def retry_after_seconds(value: str | None, now: datetime, cap: float) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), capped.

    None when the header is absent or unreadable (then the caller backs off normally).
    """
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - now).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), cap)


def backoff_seconds(attempt: int, base: float, jitter: float) -> float:
    """Exponential backoff after failed attempt number `attempt` (1-based).

    `jitter` in [0, 1) spreads retries of many URLs so they do not hit a host together.
    """
    return base * (2 ** (attempt - 1)) * (0.5 + jitter)
