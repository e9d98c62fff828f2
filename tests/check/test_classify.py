"""check/classify.py on its own: status codes, headers and errors to outcomes, retry
decisions and waits. Pure functions, so every case is a direct call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from curator.check.classify import (
    backoff_seconds,
    is_bot_wall,
    outcome_for_status,
    retry_after_seconds,
    retryable_status,
    verdict_for_error,
)
from curator.check.http.guard import GuardRefused, NameNotResolved, ResolveFailed
from curator.check.types import REFUSED, Outcome

CLOUDFLARE = {"server": "cloudflare", "cf-ray": "8a1b2c3d4e5f-AMS"}
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "permanent", "outcome"),
    [
        (200, False, Outcome.OK),
        (204, False, Outcome.OK),
        (304, False, Outcome.OK),  # not a redirect hop: the page is there
        (200, True, Outcome.REDIRECTED),  # every hop on the way was 301/308
        (404, False, Outcome.GONE),
        (410, True, Outcome.GONE),  # a permanent move to a missing page is still gone
        (401, False, Outcome.BLOCKED),
        (403, False, Outcome.BLOCKED),
        (429, False, Outcome.BLOCKED),
        (451, False, Outcome.BLOCKED),
        (418, False, Outcome.BLOCKED),  # other 4xx: the server answers, but not to us
        (408, False, Outcome.TRANSIENT),
        (500, False, Outcome.TRANSIENT),
        (503, False, Outcome.TRANSIENT),
        (599, False, Outcome.TRANSIENT),
    ],
)
def test_outcome_for_status(status: int, permanent: bool, outcome: Outcome) -> None:
    assert outcome_for_status(status, {}, permanent) is outcome


def test_bot_walls_are_blocked_not_gone_or_transient() -> None:
    assert is_bot_wall(999, {})  # LinkedIn
    assert is_bot_wall(200, {"cf-mitigated": "Challenge"})  # any status, any case
    assert is_bot_wall(403, CLOUDFLARE) and is_bot_wall(503, CLOUDFLARE)
    assert outcome_for_status(503, CLOUDFLARE, False) is Outcome.BLOCKED
    assert outcome_for_status(999, {}, False) is Outcome.BLOCKED
    # a plain 403/503, or Cloudflare's 404, is what it says
    assert not is_bot_wall(403, {"server": "nginx"})
    assert not is_bot_wall(503, {"cf-ray": "x"})  # no Cloudflare server header
    assert not is_bot_wall(404, CLOUDFLARE)
    assert outcome_for_status(404, CLOUDFLARE, False) is Outcome.GONE


@pytest.mark.parametrize(
    ("status", "headers", "retry"),
    [
        (408, {}, True),
        (429, {}, True),
        (500, {}, True),
        (502, {}, True),
        (599, {}, True),
        (404, {}, False),
        (403, {}, False),
        (200, {}, False),
        (600, {}, False),
        (503, CLOUDFLARE, False),  # a bot wall will not go away by asking again
    ],
)
def test_retryable_status(status: int, headers: dict[str, str], retry: bool) -> None:
    assert retryable_status(status, headers) is retry


@pytest.mark.parametrize(
    ("exc", "outcome", "retry", "message"),
    [
        (GuardRefused("loopback address 127.0.0.1"), Outcome.INVALID, False, None),
        (NameNotResolved("nx.example: no such host"), Outcome.GONE, False, None),
        (ResolveFailed("SERVFAIL"), Outcome.TRANSIENT, True, None),
        (TimeoutError(), Outcome.TIMEOUT, True, "TimeoutError: timed out"),
        (httpx.ReadTimeout("read"), Outcome.TIMEOUT, True, "ReadTimeout: read"),
        (httpx.InvalidURL("bad"), Outcome.INVALID, False, "InvalidURL: bad"),
        (httpx.UnsupportedProtocol("ftp"), Outcome.INVALID, False, None),
        (httpx.ConnectError("reset"), Outcome.TRANSIENT, True, "ConnectError: reset"),
        (ConnectionResetError(), Outcome.TRANSIENT, True, "ConnectionResetError: network error"),
        (ValueError("bug"), Outcome.TRANSIENT, False, "internal error: ValueError: bug"),
    ],
)
def test_verdict_for_error(
    exc: BaseException, outcome: Outcome, retry: bool, message: str | None
) -> None:
    verdict = verdict_for_error(exc)
    assert (verdict.outcome, verdict.retry) == (outcome, retry)
    if message is not None:
        assert verdict.message == message


def test_a_refusal_is_marked_as_ours() -> None:
    verdict = verdict_for_error(GuardRefused("private address 10.0.0.1"))
    assert verdict.message == f"{REFUSED}private address 10.0.0.1"


def test_error_messages_are_one_short_line() -> None:
    verdict = verdict_for_error(OSError("line one\n  line two " + "x" * 500))
    assert "\n" not in verdict.message
    assert verdict.message.startswith("OSError: line one line two")
    assert len(verdict.message) == 300


@pytest.mark.parametrize(
    ("value", "cap", "wait"),
    [
        (None, 60.0, None),
        ("", 60.0, None),
        ("7", 60.0, 7.0),
        (" 2.5 ", 60.0, 2.5),
        ("3600", 60.0, 60.0),  # capped
        ("-5", 60.0, 0.0),  # never negative
        ("nan", 60.0, None),
        ("soon", 60.0, None),
        (format_datetime(NOW + timedelta(seconds=30), usegmt=True), 60.0, 30.0),
        (format_datetime(NOW - timedelta(minutes=5), usegmt=True), 60.0, 0.0),  # past
        (format_datetime(NOW + timedelta(hours=2), usegmt=True), 60.0, 60.0),
    ],
)
def test_retry_after_seconds(value: str | None, cap: float, wait: float | None) -> None:
    assert retry_after_seconds(value, NOW, cap) == wait


def test_backoff_doubles_and_jitter_spreads_it() -> None:
    assert [backoff_seconds(n, 0.5, 0.5) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 4.0]
    assert backoff_seconds(1, 1.0, 0.0) == 0.5  # jitter in [0, 1): half to 1.5 times
    assert backoff_seconds(1, 1.0, 0.999) == pytest.approx(1.499)
