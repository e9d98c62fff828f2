"""DB side of the checker: what to check, writing results and states, runs, exclusions.

Input: a DB (a path, or a SQLAlchemy engine or session: every query here is plain SQL on
the DBAPI connection, see curator/sqlite.py), the current time and selection options
(source, --max-age, --only-new, --budget). Output: a `Plan` (URLs to check, excluded,
skipped, relative links), `ResultWriter` (a thread with its own connection that commits
results in batches: one transaction per ~200 results or per second, so an interrupt loses
only requests still in flight), `StatusRow`s for `curator status`, exclusion CRUD. Every
check result goes into `check_result`; `url_state` holds the state computed by
`state.transition`.
"""

from __future__ import annotations

import fnmatch
import json
import queue
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from curator.check.state import PASSING, StateRecord, title_drifted, transition
from curator.check.types import FetchResult, LinkState, Outcome
from curator.errors import InputError, NotFoundError
from curator.sqlite import connect, fetch_all, from_sql_time, path_of, sql_time, transaction
from curator.urls import LinkKind

if TYPE_CHECKING:
    from sqlmodel import Session

_CHUNK = 500
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


_STATE_SELECT = (
    "SELECT url_id, state, last_outcome, last_status, first_failure_at, consecutive_failures,"
    " flips, last_ok_at, last_checked_at, final_url, title, description, title_drift"
    " FROM url_state WHERE url_id IN "
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


def _chunks(items: Sequence[int]) -> Iterable[Sequence[int]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


def _states(db: Any, url_ids: Sequence[int]) -> dict[int, StateRow]:
    rows: dict[int, StateRow] = {}
    t = from_sql_time
    for chunk in _chunks(url_ids):
        sql = _STATE_SELECT + f"({', '.join('?' * len(chunk))})"
        for r in fetch_all(db, sql, chunk):
            uid, state, outcome, status, first_failure, failures, flips = r[:7]
            ok_at, checked_at, final_url, title, description, drift = r[7:]
            rows[uid] = StateRow(
                uid, state, outcome, status, t(first_failure), failures, flips, t(ok_at),
                t(checked_at), final_url, title, description, bool(drift),
            )  # fmt: skip
    return rows


# --- exclusions ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExclusionView:
    pattern: str
    reason: str
    expires_at: datetime | None
    created_at: datetime
    active: bool


def _compile(pattern: str) -> Callable[[str], bool]:
    if pattern.startswith("re:"):
        try:
            rx = re.compile(pattern[3:])
        except re.error as exc:
            raise InputError(f"bad regular expression {pattern!r}: {exc}") from exc
        return lambda url: rx.search(url) is not None
    return lambda url: fnmatch.fnmatchcase(url, pattern)


class ExclusionMatcher:
    """Active exclusions; `match` returns the reason an URL is excluded, or None."""

    def __init__(self, exclusions: Iterable[ExclusionView]) -> None:
        self._rules = [(_compile(e.pattern), e) for e in exclusions if e.active]

    def match(self, *spellings: str) -> str | None:
        for test, ex in self._rules:
            if any(test(s) for s in spellings):
                return f"exclusion {ex.pattern}" + (f": {ex.reason}" if ex.reason else "")
        return None


def list_exclusions(db: Any, now: datetime) -> list[ExclusionView]:
    rows = fetch_all(
        db, "SELECT pattern, reason, expires_at, created_at FROM exclusion ORDER BY pattern"
    )
    views = []
    for pattern, reason, expires, created in rows:
        expires_at = from_sql_time(expires)
        created_at = from_sql_time(created)
        assert created_at is not None
        views.append(
            ExclusionView(
                pattern, reason, expires_at, created_at, expires_at is None or expires_at > now
            )
        )
    return views


def add_exclusion(
    session: Session, pattern: str, reason: str, expires_at: datetime | None, now: datetime
) -> bool:
    """Add (True) or update (False) the exclusion `pattern`."""
    from sqlmodel import select

    from curator.models import Exclusion

    pattern = pattern.strip()
    if not pattern or pattern == "re:":
        raise InputError("an exclusion needs a non-empty pattern")
    _compile(pattern)
    if expires_at is not None and expires_at <= now:
        raise InputError(f"--expires {expires_at:%Y-%m-%d %H:%M} is already in the past")
    row = session.exec(select(Exclusion).where(Exclusion.pattern == pattern)).first()
    created = row is None
    if row is None:
        row = Exclusion(pattern=pattern, reason=reason, expires_at=expires_at, created_at=now)
    else:
        row.reason, row.expires_at = reason, expires_at
    session.add(row)
    return created


def remove_exclusion(session: Session, pattern: str) -> None:
    from sqlmodel import select

    from curator.models import Exclusion

    row = session.exec(select(Exclusion).where(Exclusion.pattern == pattern.strip())).first()
    if row is None:
        raise NotFoundError(f"no exclusion {pattern!r} (see `curator exclude list`)")
    session.delete(row)


# --- selection ----------------------------------------------------------------------------


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
    states = _states(db, [g[0] for g in groups])
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
    for chunk in _chunks(ids):
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


@dataclass(frozen=True, slots=True)
class Stored:
    """What the run's report needs of what a committed result left in `url_state` (kept
    for every URL of the run, so only that)."""

    state: LinkState
    since: datetime | None  # first_failure_at
    title: str | None
    title_drift: bool


_Item = tuple[int, FetchResult, datetime]
_STATE_COLS = (
    "state",
    "last_outcome",
    "last_status",
    "first_failure_at",
    "consecutive_failures",
    "flips",
    "last_ok_at",
    "last_checked_at",
    "final_url",
    "title",
    "description",
    "title_drift",
)


class ResultWriter:
    """Commits results from a background thread, in batches, so the event loop never
    waits on SQLite (another `curator check` may hold the write lock for a moment)."""

    def __init__(
        self,
        db: Any,
        run_id: int,
        confirm_runs: int,
        confirm_days: float,
        *,
        batch_size: int = 200,
        interval: float = 1.0,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self._path, self._run_id = path_of(db), run_id
        self._conn: sqlite3.Connection | None = None  # the writer thread's own
        self._confirm = (confirm_runs, confirm_days)
        self._batch_size, self._interval = batch_size, interval
        self._on_error = on_error
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name="curator-writer", daemon=True)
        self.stored: dict[int, Stored] = {}
        self.batches = 0
        self.error: BaseException | None = None

    def start(self) -> ResultWriter:
        self._thread.start()
        return self

    def submit(self, url_id: int, result: FetchResult, checked_at: datetime) -> None:
        self._queue.put((url_id, result, checked_at))

    def close(self) -> None:
        """Commit everything submitted so far; re-raise a write error."""
        self._queue.put(None)
        self._thread.join()
        if self.error is not None:
            raise self.error

    def _loop(self) -> None:
        try:
            self._serve()
        finally:
            if self._conn is not None:
                self._conn.close()

    def _serve(self) -> None:
        batch: list[_Item] = []
        deadline = time.monotonic() + self._interval
        while True:
            try:
                item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                item = ()  # type: ignore[assignment]  # a tick: time to flush
            if item is None:
                self._flush(batch)
                return
            if item:
                batch.append(item)
            if len(batch) >= self._batch_size or time.monotonic() >= deadline:
                self._flush(batch)
                batch = []
                deadline = time.monotonic() + self._interval

    def _flush(self, batch: list[_Item]) -> None:
        if not batch or self.error is not None:
            return
        try:
            self._write(batch)
            self.batches += 1
        except BaseException as exc:  # reported by close(); the run is stopped
            self.error = exc
            if self._on_error is not None:
                self._on_error(exc)

    def _write(self, batch: list[_Item]) -> None:
        runs, days = self._confirm
        results: list[tuple[Any, ...]] = []
        states: list[tuple[Any, ...]] = []
        stored: dict[int, Stored] = {}
        if self._conn is None:
            self._conn = connect(self._path)
        with transaction(self._conn, write=True) as conn:
            rows = _states(conn, [uid for uid, _, _ in batch])
            for uid, res, at in batch:
                row = rows.get(uid)
                if res.refused:  # refusing is our policy, not news about the URL
                    record = record_of(row) or StateRecord()
                else:
                    record = transition(record_of(row), res.outcome, at, runs, days, res.status)
                title, description, drift = _titles(row, res)
                final_url = row.final_url if row else None
                if res.outcome is Outcome.REDIRECTED:
                    final_url = res.final_url
                elif res.outcome is Outcome.OK:
                    final_url = None
                redirects = [{"url": h.url, "status": h.status} for h in res.redirects]
                results.append(
                    (
                        uid,
                        self._run_id,
                        sql_time(at),
                        res.status,
                        res.outcome.value,
                        res.final_url,
                        json.dumps(redirects) if redirects else "[]",
                        res.elapsed_ms,
                        res.attempts,
                        res.error,
                        res.title,
                        res.description,
                    )
                )
                states.append(
                    (
                        uid,
                        record.state.value,
                        record.last_outcome.value if record.last_outcome else None,
                        record.last_status,
                        sql_time(record.first_failure_at),
                        record.consecutive_failures,
                        record.flips,
                        sql_time(record.last_ok_at),
                        sql_time(record.last_checked_at),
                        final_url,
                        title,
                        description,
                        drift,
                    )
                )
                stored[uid] = Stored(record.state, record.first_failure_at, title, drift)
            # Plain DBAPI executemany: SQLAlchemy's ORM bulk insert cost more CPU than the
            # rest of the parent process's share of a 20,000-URL run.
            conn.executemany(_INSERT_RESULT, results)
            conn.executemany(_UPSERT_STATE, states)
        self.stored.update(stored)


_RESULT_COLS = (
    "url_id",
    "run_id",
    "checked_at",
    "status",
    "outcome",
    "final_url",
    "redirects",
    "elapsed_ms",
    "attempts",
    "error",
    "title",
    "description",
)
_INSERT_RESULT = (
    f"INSERT INTO check_result ({', '.join(_RESULT_COLS)}) "
    f"VALUES ({', '.join('?' * len(_RESULT_COLS))})"
)
_UPSERT_STATE = (
    f"INSERT INTO url_state (url_id, {', '.join(_STATE_COLS)}) "
    f"VALUES ({', '.join('?' * (len(_STATE_COLS) + 1))}) "
    f"ON CONFLICT (url_id) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in _STATE_COLS)}"
)


def _titles(row: StateRow | None, res: FetchResult) -> tuple[str | None, str | None, bool]:
    """(title, description, drift) to store. Only a passing page may change them, never
    to empty; a drifted title keeps the old one as the reference until it comes back."""
    title = row.title if row else None
    description = row.description if row else None
    drift = row.title_drift if row else False
    if res.outcome not in PASSING:
        return title, description, drift
    new_title = (res.title or "").strip() or None
    if new_title is not None:
        drift = title_drifted(title, new_title)
        if not drift:
            title = new_title
    new_desc = (res.description or "").strip()
    if new_desc and not drift:
        description = new_desc
    return title, description, drift


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


_STATE_ORDER = {s: i for i, s in enumerate([LinkState.BROKEN, LinkState.FLAKY, LinkState.SUSPECT])}


def load_status(
    db: Any, states: Collection[LinkState] | None = None, source: str | None = None
) -> list[StatusRow]:
    """URLs with live links in the given states (default: everything not `ok`)."""
    wanted = {s.value for s in states} if states else None
    groups = {g[0]: g for g in _web_groups(db, _source_id(db, source))}
    locations = _Locations(db)
    out: list[StatusRow] = []
    rows = _states(db, list(groups))
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
