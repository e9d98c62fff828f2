"""The enums stored in the database's text columns, defined once for every stage.

Input: nothing. Output: `Outcome` (check_result.outcome, url_state.last_outcome),
`LinkState` (url_state.state), `RunKind` and `RunStatus` (run.kind, run.status). Config:
none. Kept free of SQLAlchemy so that `curator check`, which reaches SQLite through plain
DBAPI, can use them without loading the ORM; schema.py and check/types.py re-export them.
"""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    """What one check of one URL found (a taxonomy, not a status code)."""

    OK = "ok"
    REDIRECTED = "redirected"  # permanent move (301/308 somewhere in the chain); final_url set
    GONE = "gone"  # 404/410, NXDOMAIN
    BLOCKED = "blocked"  # 401/403/429, bot walls (Cloudflare challenge, LinkedIn 999)
    TRANSIENT = "transient"  # 5xx, connection reset, other network errors
    TIMEOUT = "timeout"
    INVALID = "invalid"  # not http(s), refused by the SSRF guard, malformed, redirect loop
    EXCLUDED = "excluded"  # matched an exclusion or `<!-- curator-ignore -->`
    SKIPPED = "skipped"  # checked OK recently (--max-age)
    LOCAL = "local"  # a relative link (resolved against --root/--base-url when given)

    @property
    def is_failure(self) -> bool:
        return self in (Outcome.GONE, Outcome.BLOCKED, Outcome.TRANSIENT, Outcome.TIMEOUT)


class LinkState(StrEnum):
    """Where a URL stands after its history of checks (see check/state.py)."""

    UNCHECKED = "unchecked"
    OK = "ok"
    SUSPECT = "suspect"  # failed once (or not yet confirmed)
    BROKEN = "broken"  # gone in >= confirm_runs checks spanning >= confirm_days
    FLAKY = "flaky"  # alternates between passing and failing
    RECOVERED = "recovered"  # passing again after having been suspect/broken/flaky


class RunKind(StrEnum):
    """What a `run` row records."""

    IMPORT = "import"
    CHECK = "check"
    EXPORT = "export"
    TAG = "tag"


class RunStatus(StrEnum):
    RUNNING = "running"
    DONE = "done"
    INTERRUPTED = "interrupted"  # a signal stopped it; what finished is committed
    FAILED = "failed"
