"""`curator report`: what changed in link health since a baseline (default: the previous run).

Input: an engine, a baseline (`--since last-run`, or an ISO date) and a scope (`all` live
URLs, or only the URLs checked in the latest run, for pull-request mode). Output: a
`Report` whose sections are newly broken, still broken, recovered, removed from the lists
(or excluded), redirected (with the suggested canonical URL), failing-but-unconfirmed and
flaky, plus the outcome counts of the latest run. Read-only: it never writes the DB.

The state of each URL *at the baseline* is recomputed by replaying its check history
through the checker's own state machine (`check.state.transition`) with each run's
`--confirm-runs/--confirm-days`, so "newly broken" means exactly "broken now, and not
broken at the baseline". Rendering (Markdown within GitHub's size limit, JSON) lives in
`render.py`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from curator.check.runner import CheckOptions
from curator.check.state import FAILING, PASSING, StateRecord, transition
from curator.check.store import Target, select_targets
from curator.check.types import LinkState, Outcome
from curator.curate.archives import archived_copies
from curator.report.model import Report, ReportItem, RunInfo, Scope, Section
from curator.store import results
from curator.store.connect import read_session
from curator.store.kinds import RunKind, RunStatus
from curator.store.links import url_spellings
from curator.store.repofacts import load_repos
from curator.store.runs import RunRow, runs_of_kind
from curator.store.urlstate import StateRow, archived_urls, states_of
from curator.urls import is_harmful_move
from curator.util.when import parse_time

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from curator.store.dbapi import Db

LAST_RUN = "last-run"
_DEFAULTS = CheckOptions()
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
STALE_AFTER = timedelta(days=365)  # a repository without a push this long is listed


def _run_info(group: Sequence[RunRow]) -> RunInfo:
    """One run, or the shards of one run read as one: first id, earliest start, latest
    finish (none while a shard is unfinished), and the first status that is not `done`."""
    first = group[0]
    finished = [r.finished_at for r in group]
    status = next((r.status for r in group if r.status is not RunStatus.DONE), first.status)
    return RunInfo(
        first.id,
        _sec(min(r.started_at for r in group)),
        _second(max(f for f in finished if f is not None)) if all(finished) else None,
        status.value,
    )


def _as_groups(runs: list[RunRow]) -> list[list[RunRow]]:
    """Check runs grouped by run key (the shards of one run, in any order), ordered by
    their first start; a run without a key is a group of its own."""
    groups: dict[object, list[RunRow]] = {}
    for r in runs:
        groups.setdefault(r.run_key or ("id", r.id), []).append(r)
    return sorted(groups.values(), key=lambda g: (g[0].started_at, g[0].id))


def _sec(t: datetime) -> datetime:
    # Whole seconds: the JSON report keeps no more, and a report read back from JSON must
    # render byte for byte like the one built from the DB (the issue sync compares digests).
    return t.replace(microsecond=0)


def _second(t: datetime | None) -> datetime | None:
    return _sec(t) if t else None


def _confirm_of(arguments: dict[str, Any] | None) -> tuple[int, float]:
    # `is None`, not `or`: `--confirm-days 0` is a setting (confirm at once), and reading
    # it as "unset" (2 days) replayed a different state than the run stored, so the same
    # link was announced as newly broken on every run.
    args = arguments or {}
    runs, days = args.get("confirm_runs"), args.get("confirm_days")
    return (
        int(_DEFAULTS.confirm_runs if runs is None else runs),
        float(_DEFAULTS.confirm_days if days is None else days),
    )


def replay_states(db: Db, url_ids: Sequence[int], before: datetime) -> dict[int, LinkState]:
    """State of each URL after its last check strictly before `before` (UNCHECKED if none),
    recomputed from `check_result` with the thresholds each run was made with."""
    confirm = {r.id: _confirm_of(r.arguments) for r in runs_of_kind(db, RunKind.CHECK)}
    records: dict[int, StateRecord] = {}
    for res in results.history_before(db, url_ids, before):
        runs, days = confirm.get(res.run_id or -1, _confirm_of(None))
        records[res.url_id] = transition(
            records.get(res.url_id),
            Outcome(res.outcome),
            res.checked_at,
            runs,
            days,
            res.status,
        )
    return {uid: records[uid].state if uid in records else LinkState.UNCHECKED for uid in url_ids}


def _item(
    row: StateRow,
    url: str,
    previous: LinkState,
    error: str | None,
    locations: tuple[str, ...],
    archived: str | None = None,
) -> ReportItem:
    return ReportItem(
        url=url,
        state=LinkState(row.state),
        previous=previous,
        outcome=Outcome(row.last_outcome) if row.last_outcome else None,
        status=row.last_status,
        since=_second(row.first_failure_at),
        last_checked_at=_second(row.last_checked_at),
        final_url=row.final_url,
        archived_url=archived,
        title=row.title,
        error=error,
        locations=locations,
        reason=row.reason,
        title_drift=row.title_drift,
    )


def _section_of(item: ReportItem) -> Section | None:
    if item.state is LinkState.BROKEN:
        return Section.STILL_BROKEN if item.previous is LinkState.BROKEN else Section.NEWLY_BROKEN
    if item.state is LinkState.FLAKY:
        return Section.FLAKY
    if item.state is LinkState.SUSPECT:
        return Section.SUSPECT
    passing = item.outcome in PASSING
    if passing and item.previous is LinkState.BROKEN:  # one that an issue listed
        return Section.RECOVERED
    if item.outcome is Outcome.REDIRECTED and item.final_url:
        if is_harmful_move(item.url, item.final_url):
            return Section.SOFT_404  # never suggested as the link's new address
        return Section.REDIRECTED
    return None


def build_report(engine: Engine, *, since: str = LAST_RUN, scope: Scope = Scope.ALL) -> Report:
    """The report of the latest check run against the baseline `since`."""
    with read_session(engine) as session:
        return _build(session, since, scope)


def _build(db: Db, since: str, scope: Scope) -> Report:
    groups = _as_groups(runs_of_kind(db, RunKind.CHECK))
    latest = groups[-1] if groups else None
    latest_ids = [r.id for r in latest] if latest else []
    latest_at = min(r.started_at for r in latest) if latest else None
    last_run = since.strip().lower() == LAST_RUN
    baseline_at = latest_at if last_run else parse_time(since, "--since")
    earlier = [g for g in groups if baseline_at is not None and g[0].started_at < baseline_at]
    earlier = [g for g in earlier if g is not latest]
    baseline = earlier[-1] if earlier else None
    outcomes: dict[str, int] = {}
    checked_now: set[int] = set()
    if latest is not None:
        outcomes = results.outcome_counts(db, latest_ids)
        # The run's own summary also counts what it did not fetch (excluded, skipped,
        # local), exactly as `curator check` printed it (summed over shards).
        named = {o.value for o in Outcome}
        summed: dict[str, int] = {}
        for r in latest:
            for k, v in (r.counts or {}).items():
                if k in named and k not in outcomes:
                    summed[k] = summed.get(k, 0) + int(v)
        outcomes.update(summed)
        checked_now = results.urls_of_run(db, latest_ids)

    plan = select_targets(db, latest_at or _EPOCH)
    live: dict[int, Target] = {t.url_id: t for t in (*plan.check, *plan.skipped)}
    if scope is Scope.RUN:
        live = {uid: t for uid, t in live.items() if uid in checked_now}
    gone_from_lists: set[int] = set()
    if baseline is not None and scope is Scope.ALL:
        # Failing in the baseline run and not live now: removed from the lists or excluded.
        failing_then = results.urls_of_run(db, [r.id for r in baseline], [o.value for o in FAILING])
        gone_from_lists = failing_then - set(live)

    candidates = sorted(set(live) | gone_from_lists)
    states = states_of(db, candidates)
    candidates = [uid for uid in candidates if uid in states]
    stored_archives = archived_urls(db, candidates)
    repos = {
        r.url_id: r.describe()
        for r in load_repos(db, latest_at or _EPOCH, STALE_AFTER)
        if r.url_id in live and (r.archived or r.disabled or r.stale)
    }
    failed_before: set[int] = set()
    if baseline_at is not None:
        failing = [o.value for o in FAILING]
        failed_before = results.checked_before(db, candidates, baseline_at, failing)
    # Only a URL that failed before the baseline can have been anything but ok/unchecked
    # then, so only those histories are replayed.
    previous = replay_states(db, sorted(failed_before), baseline_at) if baseline_at else {}
    interesting = [
        uid
        for uid in candidates
        if uid in failed_before
        or uid in gone_from_lists
        or states[uid].state != LinkState.OK.value
        or states[uid].last_outcome == Outcome.REDIRECTED.value
        or states[uid].title_drift
        or uid in repos
    ]
    errors = results.last_errors(db, interesting)
    if baseline_at is not None:
        seen_before = results.checked_before(db, interesting, baseline_at)
    else:
        seen_before = set()
    urls = url_spellings(db, [uid for uid in interesting if uid not in live])
    # Archive links the lists put next to a broken URL: the report can point at them.
    known = archived_copies(
        db,
        [
            uid
            for uid in interesting
            if uid in live
            and states[uid].state == LinkState.BROKEN.value
            and uid not in stored_archives
        ],
    )

    sections: dict[Section, list[ReportItem]] = defaultdict(list)
    for uid in interesting:
        unchecked = LinkState.OK if uid in seen_before else LinkState.UNCHECKED
        before = previous.get(uid, unchecked)
        target = live.get(uid)
        url = target.url if target else urls.get(uid, "")
        where = target.locations if target else ()
        archived = stored_archives.get(uid) or known.get(uid)
        item = _item(states[uid], url, before, errors.get(uid), where, archived)
        if target is not None:
            section = _section_of(item)
            if section is None and uid in repos:
                item, section = replace(item, repo=repos[uid]), Section.REPOS
            elif section is None and item.title_drift:
                section = Section.TITLE_DRIFT
        else:
            section = Section.FIXED if before is LinkState.BROKEN else None
        if section is not None:
            sections[section].append(item)
    return Report(
        scope=scope,
        run=_run_info(latest) if latest else None,
        baseline=_run_info(baseline) if baseline else None,
        baseline_at=_second(baseline_at),
        check_runs=len(groups),
        outcomes=outcomes,
        sections={s: tuple(sorted(sections[s], key=_sort_key)) for s in Section if sections[s]},
    )


def _sort_key(item: ReportItem) -> tuple[Any, ...]:
    first = item.locations[0] if item.locations else ""
    path, _, line = first.rpartition(":")
    return (item.since or _EPOCH, path, int(line) if line.isdigit() else 0, item.url)
