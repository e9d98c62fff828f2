"""What to check and what stands where: the checker's view of the stored links and states.

Input: a `Db` (a sqlite3 or psycopg connection, or a session: the store's queries it calls are plain
SQL on the DBAPI connection), the current time and selection options (source, --max-age,
--only-new, --budget). Output: a `Plan` (URLs to check, excluded, skipped, relative links),
and `StatusRow`s for `curator status`. Config: none. The SQL lives in curator/store/
(links, urlstate, results, runs, sources); results are written by results.py.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from curator.check.exclusions import ExclusionMatcher, list_exclusions
from curator.check.sharding import Shard
from curator.check.state import PASSING, StateRecord
from curator.check.types import LinkState, Outcome
from curator.errors import InputError
from curator.store import runs
from curator.store.dbapi import IN_CHUNK, path_of
from curator.store.kinds import RunKind, RunStatus
from curator.store.links import iter_web_groups, local_groups, web_groups
from curator.store.results import last_elapsed_ms
from curator.store.sources import has_sources, source_id, source_paths
from curator.store.urlstate import StateRow, archived_urls, states_of
from curator.urls import host_of_normalized

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from curator.store.dbapi import Db, Where

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
    source_id: int | None = None  # the `--source` the selection was made in


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


# --- selection ----------------------------------------------------------------------------


class Locations:
    """ "path:line" locations from `group_concat`'s "source_id:line,..." (integers only, so
    no path can break the format), sorted by path, then line."""

    def __init__(self, db: Db) -> None:
        self.paths = source_paths(db)

    def __call__(self, where: str) -> tuple[str, ...]:
        paths = self.paths
        if "," not in where:  # one link: most URLs of a list
            s, n = where.split(":")
            return (f"{paths[int(s)]}:{int(n)}",)
        pairs = {(paths[int(s)], int(n)) for s, n in (p.split(":") for p in where.split(","))}
        return tuple(f"{p}:{n}" for p, n in sorted(pairs))


def select_targets(
    db: Db,
    now: datetime,
    *,
    source: str | None = None,
    max_age: timedelta = timedelta(days=1),
    only_new: bool = False,
    budget: int | None = None,
    shard: Shard | None = None,
    locations: bool = True,
) -> Plan:
    """Group live links by URL and split them into check / excluded / skipped / local;
    with `shard`, only the URLs of the hosts that shard owns (and `--budget` per shard).
    `locations=False`: web targets without their locations (a check reads them back with
    its results, check/reports.py); relative links keep theirs."""
    if not has_sources(db):
        raise InputError("the database has no lists yet: run `curator import FILE` first")
    sid = source_id(db, source)
    located = Locations(db)
    matcher = ExclusionMatcher(list_exclusions(db, now))

    due: list[Target] = []
    out_excluded: list[tuple[Target, str]] = []
    skipped: list[Target] = []
    for uid, url, norm, where, ignored, row in _with_states(db, sid, locations):
        if shard is not None and not shard.owns(host_of_normalized(norm)):
            continue
        norm = url if norm == url else norm  # one string, not two equal ones, per URL
        target = Target(
            uid,
            url,
            norm,
            located(where) if where else (),
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
    local_ok = shard is None or shard.first
    return Plan(
        tuple(due),
        tuple(out_excluded),
        tuple(skipped),
        tuple(
            LocalLink(href, located(where))
            for href, where in (local_groups(db, sid) if local_ok else ())
        ),
        sid,
    )


def _with_states(
    db: Db, sid: int | None, locations: bool
) -> Iterator[tuple[int, str, str, str, bool, StateRow | None]]:
    """Each web group with its `url_state` row, read a slice at a time: the rows of a
    100,000-URL list held at once cost the check's parent a third of its peak memory."""
    groups = iter_web_groups(db, sid, locations=locations)
    while chunk := list(itertools.islice(groups, IN_CHUNK)):
        states = states_of(db, [g.url_id for g in chunk])
        for g in chunk:
            yield g.url_id, g.url, g.normalized, g.where, g.ignored, states.get(g.url_id)


def _slowest_first(db: Db, due: list[Target]) -> list[Target]:
    """URLs that took over a second at their last check (hangs, slow servers) go first,
    slowest first, so their wait overlaps the rest of the run instead of trailing after
    it; the others keep their order."""
    elapsed = last_elapsed_ms(db, [t.url_id for t in due if t.prev is not None])
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


def start_run(
    db: Where | Engine,
    arguments: dict[str, Any],
    now: datetime,
    run_key: str | None = None,
    shard: str | None = None,
) -> int:
    """A `run` row for this check (`db`: a path, or an engine a caller holds); its id.
    `run_key`/`shard`: the run the shards of a sharded check share, and this one's "I/N"."""
    return runs.start_run(path_of(db), RunKind.CHECK, arguments, now, run_key, shard)


def finish_run(
    db: Where | Engine, run_id: int, counts: dict[str, Any], status: RunStatus, now: datetime
) -> None:
    runs.finish_run(path_of(db), run_id, counts, status, now)


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
    db: Db, states: Collection[LinkState] | None = None, source: str | None = None
) -> list[StatusRow]:
    """URLs with live links in the given states (default: everything not `ok`)."""
    wanted = {s.value for s in states} if states else None
    groups = {g.url_id: g for g in web_groups(db, source_id(db, source))}
    locations = Locations(db)
    out: list[StatusRow] = []
    rows = states_of(db, list(groups))
    archived = archived_urls(db, list(rows))
    for uid, row in rows.items():
        state = LinkState(row.state)
        if wanted is not None and state.value not in wanted:
            continue
        if wanted is None and state in (LinkState.OK, LinkState.UNCHECKED):
            continue
        out.append(
            StatusRow(
                groups[uid].url,
                state,
                row.first_failure_at,
                Outcome(row.last_outcome) if row.last_outcome else None,
                row.last_status,
                row.last_checked_at,
                row.final_url,
                row.title,
                row.title_drift,
                locations(groups[uid].where),
                row.reason,
                archived.get(uid),
            )
        )
    if wanted is not None and LinkState.UNCHECKED.value in wanted:
        out.extend(
            StatusRow(
                groups[uid].url,
                LinkState.UNCHECKED,
                None,
                None,
                None,
                None,
                None,
                None,
                False,
                locations(groups[uid].where),
            )
            for uid in groups
            if uid not in rows
        )
    out.sort(key=lambda r: (_STATE_ORDER.get(r.state, 9), r.since or _EPOCH, r.url))
    return out
