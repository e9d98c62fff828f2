"""DB side of the checker: what to check, each URL's stored state, runs, status rows.

Input: a DB (a path, or a SQLAlchemy engine or session: every query here is plain SQL on
the DBAPI connection, see curator/store/dbapi.py), the current time and selection options
(source, --max-age, --only-new, --budget). Output: a `Plan` (URLs to check, excluded,
skipped, relative links), `StateRow`s of `url_state`, `run` rows, and `StatusRow`s for
`curator status`. Config: none. Results are written by results.py; exclusions live in
exclusions.py.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from curator.check.exclusions import ExclusionMatcher, list_exclusions
from curator.check.state import PASSING, StateRecord
from curator.check.types import LinkState, Outcome
from curator.errors import InputError, NotFoundError
from curator.store.dbapi import (
    connect,
    fetch_all,
    from_sql_time,
    in_chunks,
    path_of,
    sql_time,
    transaction,
)
from curator.urls import LinkKind

_SLOW_MS = 1000  # a URL this slow at its last check is started first (see _slowest_first)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Target:
    """One normalized web URL and everything the report needs to say about it."""

    url_id: int
    url: str  # what is requested
    normalized: str
    locations: tuple[str, ...]  # "source_path:line", 1-based
    ignored: bool  # every link to it sits in a `<!-- curator-ignore -->` entry
    prev: StateRecord | None
    title: str | None = None
    final_url: str | None = None
    title_drift: bool = False


@dataclass(frozen=True, slots=True)
class LocalLink:
    href: str  # as written, e.g. ./docs/x.md
    locations: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Plan:
    check: tuple[Target, ...]
    excluded: tuple[tuple[Target, str], ...]  # with the reason
    skipped: tuple[Target, ...]
    local: tuple[LocalLink, ...]


class StateRow(NamedTuple):
    """A `url_state` row read with plain DBAPI (the ORM costs ~50 µs a row, and a check
    reads every checked URL's row twice: to select it and to store its result)."""

    url_id: int
    state: str
    last_outcome: str | None
    last_status: int | None
    first_failure_at: datetime | None
    consecutive_failures: int
    flips: int
    last_ok_at: datetime | None
    last_checked_at: datetime | None
    final_url: str | None
    title: str | None
    description: str | None
    title_drift: bool
    reason: str | None = None
    archived_url: str | None = None  # "" once a lookup found no copy


_STATE_SELECT = (
    "SELECT url_id, state, last_outcome, last_status, first_failure_at, consecutive_failures,"
    " flips, last_ok_at, last_checked_at, final_url, title, description, title_drift, reason,"
    " archived_url FROM url_state WHERE url_id IN "
)


def record_of(row: StateRow | None) -> StateRecord | None:
    if row is None:
        return None
    return StateRecord(
        state=LinkState(row.state),
        last_outcome=Outcome(row.last_outcome) if row.last_outcome else None,
        last_status=row.last_status,
        first_failure_at=row.first_failure_at,
        consecutive_failures=row.consecutive_failures,
        flips=row.flips,
        last_ok_at=row.last_ok_at,
        last_checked_at=row.last_checked_at,
    )


def states_of(db: Any, url_ids: Sequence[int]) -> dict[int, StateRow]:
    rows: dict[int, StateRow] = {}
    t = from_sql_time
    for chunk in in_chunks(url_ids):
        sql = _STATE_SELECT + f"({', '.join('?' * len(chunk))})"
        for r in fetch_all(db, sql, chunk):
            uid, state, outcome, status, first_failure, failures, flips = r[:7]
            ok_at, checked_at, final_url, title, description, drift, reason, archived = r[7:]
            rows[uid] = StateRow(
                uid, state, outcome, status, t(first_failure), failures, flips, t(ok_at),
                t(checked_at), final_url, title, description, bool(drift), reason, archived,
            )  # fmt: skip
    return rows


# --- selection ----------------------------------------------------------------------------


def source_id(db: Any, source: str | None) -> int | None:
    """The id of the source named `source` (None for all); NotFoundError when unknown."""
    return _source_id(db, source)


def _source_id(db: Any, source: str | None) -> int | None:
    if source is None:
        return None
    found = fetch_all(db, "SELECT id FROM source WHERE name = ?", (source,))
    if not found:
        names = [n for (n,) in fetch_all(db, "SELECT name FROM source ORDER BY name")]
        raise NotFoundError(f"no source named {source!r} (known: {', '.join(names) or '-'})")
    return int(found[0][0])


# Links of current entries, of one kind (?), in one source (?, ?) or all (NULL, NULL).
_LIVE_FROM = (
    " FROM link JOIN entry ON entry.id = link.entry_id JOIN source ON source.id = entry.source_id"
)
_LIVE_WHERE = " WHERE entry.removed_at IS NULL AND link.kind = ? AND (? IS NULL OR source.id = ?)"


def _web_groups(db: Any, source_id: int | None) -> list[Any]:
    """(url id, url, normalized, "source_id:line,...", all ignored) per web URL.

    Grouped by SQLite: one row per URL instead of one ORM row per link keeps the selection
    of 20,000 URLs at a fraction of the time and of the memory it left behind."""
    return fetch_all(
        db,
        "SELECT url.id, url.url, url.normalized,"
        " group_concat(entry.source_id || ':' || (link.line + 1)), min(link.excluded)"
        + _LIVE_FROM
        + " JOIN url ON url.id = link.url_id"
        + _LIVE_WHERE
        + " GROUP BY url.id ORDER BY url.id",
        (LinkKind.WEB.value, source_id, source_id),
    )


class _Locations:
    """ "path:line" locations from `group_concat`'s "source_id:line,..." (integers only, so
    no path can break the format), sorted by path, then line."""

    def __init__(self, db: Any) -> None:
        self.paths: dict[int, str] = dict(fetch_all(db, "SELECT id, path FROM source"))

    def __call__(self, where: str) -> tuple[str, ...]:
        paths = self.paths
        pairs = {(paths[int(s)], int(n)) for s, n in (p.split(":") for p in where.split(","))}
        return tuple(f"{p}:{n}" for p, n in sorted(pairs))


def select_targets(
    db: Any,
    now: datetime,
    *,
    source: str | None = None,
    max_age: timedelta = timedelta(days=1),
    only_new: bool = False,
    budget: int | None = None,
) -> Plan:
    """Group live links by URL and split them into check / excluded / skipped / local."""
    if not fetch_all(db, "SELECT 1 FROM source LIMIT 1"):
        raise InputError("the database has no lists yet: run `curator import FILE` first")
    source_id = _source_id(db, source)
    groups = _web_groups(db, source_id)
    states = states_of(db, [g[0] for g in groups])
    locations = _Locations(db)
    matcher = ExclusionMatcher(list_exclusions(db, now))

    due: list[Target] = []
    out_excluded: list[tuple[Target, str]] = []
    skipped: list[Target] = []
    for uid, url, norm, where, ignored in groups:
        norm = url if norm == url else norm  # one string, not two equal ones, per URL
        row = states.get(uid)
        target = Target(
            uid,
            url,
            norm,
            locations(where),
            bool(ignored),
            record_of(row),
            row.title if row else None,
            row.final_url if row else None,
            row.title_drift if row else False,
        )
        reason = "<!-- curator-ignore -->" if target.ignored else matcher.match(url, norm)
        if reason is not None:
            out_excluded.append((target, reason))
        elif _is_due(target.prev, now, max_age, only_new):
            due.append(target)
        else:
            skipped.append(target)
    if budget is not None and len(due) > budget:
        due.sort(key=lambda t: (_last_checked(t.prev), t.url_id))
        skipped.extend(due[budget:])
        due = due[:budget]
    due = _slowest_first(db, due)
    return Plan(
        tuple(due),
        tuple(out_excluded),
        tuple(skipped),
        tuple(
            LocalLink(href, locations(where))
            for href, where in fetch_all(
                db,
                "SELECT link.href, group_concat(entry.source_id || ':' || (link.line + 1))"
                + _LIVE_FROM
                + _LIVE_WHERE
                + " GROUP BY link.href ORDER BY link.href",
                (LinkKind.RELATIVE.value, source_id, source_id),
            )
        ),
    )


def _slowest_first(db: Any, due: list[Target]) -> list[Target]:
    """URLs that took over a second at their last check (hangs, slow servers) go first,
    slowest first, so their wait overlaps the rest of the run instead of trailing after
    it; the others keep their order."""
    ids = [t.url_id for t in due if t.prev is not None]
    elapsed: dict[int, int] = {}
    for chunk in in_chunks(ids):
        elapsed.update(
            fetch_all(
                db,
                "SELECT url_id, elapsed_ms FROM check_result WHERE id IN (SELECT max(id)"
                f" FROM check_result WHERE url_id IN ({', '.join('?' * len(chunk))})"
                " GROUP BY url_id)",
                chunk,
            )
        )
    slow = {uid: ms for uid, ms in elapsed.items() if ms and ms >= _SLOW_MS}
    if not slow:
        return due
    return sorted(due, key=lambda t: -slow.get(t.url_id, 0))


def _last_checked(prev: StateRecord | None) -> datetime:
    return prev.last_checked_at if prev and prev.last_checked_at else _EPOCH


def _is_due(prev: StateRecord | None, now: datetime, max_age: timedelta, only_new: bool) -> bool:
    if prev is None or prev.last_checked_at is None:
        return True
    if only_new:
        return False
    # Only a recent *pass* is trusted; a recent failure is checked again.
    fresh = now - prev.last_checked_at < max_age
    return not (prev.last_outcome in PASSING and fresh)


# --- runs and results ---------------------------------------------------------------------


def start_run(db: Any, arguments: dict[str, Any], now: datetime) -> int:
    """A `run` row for this check (`db`: a path or an engine); its id."""
    with closing(connect(path_of(db))) as conn, transaction(conn, write=True):
        cursor = conn.execute(
            "INSERT INTO run (kind, started_at, arguments, counts, status)"
            " VALUES ('check', ?, ?, '{}', 'running')",
            (sql_time(now), json.dumps(arguments)),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid


def finish_run(db: Any, run_id: int, counts: dict[str, Any], status: str, now: datetime) -> None:
    with closing(connect(path_of(db))) as conn, transaction(conn, write=True):
        conn.execute(
            "UPDATE run SET finished_at = ?, counts = ?, status = ? WHERE id = ?",
            (sql_time(now), json.dumps(counts), status, run_id),
        )


# --- status -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatusRow:
    url: str
    state: LinkState
    since: datetime | None  # first_failure_at
    last_outcome: Outcome | None
    last_status: int | None
    last_checked_at: datetime | None
    final_url: str | None
    title: str | None
    title_drift: bool
    locations: tuple[str, ...]
    reason: str | None = None  # soft-404, parked, fragment-missing
    archived_url: str | None = None


_STATE_ORDER = {s: i for i, s in enumerate([LinkState.BROKEN, LinkState.FLAKY, LinkState.SUSPECT])}


def load_status(
    db: Any, states: Collection[LinkState] | None = None, source: str | None = None
) -> list[StatusRow]:
    """URLs with live links in the given states (default: everything not `ok`)."""
    wanted = {s.value for s in states} if states else None
    groups = {g[0]: g for g in _web_groups(db, _source_id(db, source))}
    locations = _Locations(db)
    out: list[StatusRow] = []
    rows = states_of(db, list(groups))
    for uid, row in rows.items():
        state = LinkState(row.state)
        if wanted is not None and state.value not in wanted:
            continue
        if wanted is None and state in (LinkState.OK, LinkState.UNCHECKED):
            continue
        out.append(
            StatusRow(
                groups[uid][1],
                state,
                row.first_failure_at,
                Outcome(row.last_outcome) if row.last_outcome else None,
                row.last_status,
                row.last_checked_at,
                row.final_url,
                row.title,
                row.title_drift,
                locations(groups[uid][3]),
                row.reason,
                row.archived_url or None,
            )
        )
    if wanted is not None and LinkState.UNCHECKED.value in wanted:
        out.extend(
            StatusRow(
                groups[uid][1],
                LinkState.UNCHECKED,
                None,
                None,
                None,
                None,
                None,
                None,
                False,
                locations(groups[uid][3]),
            )
            for uid in groups
            if uid not in rows
        )
    out.sort(key=lambda r: (_STATE_ORDER.get(r.state, 9), r.since or _EPOCH, r.url))
    return out
