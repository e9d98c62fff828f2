"""Durations and times as users write them on the command line or in stored reports.

Input: text such as `30m`, `12h`, `7d`, or an ISO date / date-time. Output: a `timedelta`,
or a tz-aware UTC `datetime`; `InputError` (exit 2) naming the option for anything else.
Config: none. Shared by the check (`--max-age`, `--now`, `--expires`) and the report
(`--since`, times read back from a JSON report), which is why it is not in check/.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from curator.errors import InputError

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$", re.IGNORECASE)
_UNITS = {"": 86400, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta:
    """'30m', '12h', '1d', '7d', '90s', '2w'; a bare number means days; '0' means none."""
    m = _DURATION.match(text)
    if not m:
        raise InputError(f"bad duration {text!r}: use e.g. 30m, 12h, 1d or 7d")
    return timedelta(seconds=float(m.group(1)) * _UNITS[m.group(2).lower()])


def parse_time(text: str, what: str = "--now") -> datetime:
    """An ISO date or date-time; naive values are taken as UTC."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise InputError(f"{what}: {text!r} is not an ISO date/time (2024-05-01T12:00)") from exc
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
