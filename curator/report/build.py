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
`report_render.py`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from curator.check.runner import CheckOptions, parse_time
from curator.check.state import FAILING, PASSING, StateRecord, transition
from curator.check.store import Target, select_targets
from curator.check.types import LinkState, Outcome
from curator.curate.archives import archived_copies
from curator.report.model import Report, ReportItem, RunInfo, Scope, Section
from curator.store.connect import read_session
from curator.store.dbapi import in_chunks
from curator.store.repofacts import load_repos
from curator.store.schema import CheckResult, Run, Url, UrlState

LAST_RUN = "last-run"
_DEFAULTS = CheckOptions()
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
STALE_AFTER = timedelta(days=365)  # a repository without a push this long is listed


def _run_info(run: Run) -> RunInfo:
    assert run.id is not None
    return RunInfo(run.id, _sec(run.started_at), _second(run.finished_at), run.status)


def _sec(t: datetime) -> datetime:
    # Whole seconds: the JSON report keeps no more, and a report read back from JSON must
    # render byte for byte like the one built from the DB (the issue sync compares digests).
    return t.replace(microsecond=0)


def _second(t: datetime | None) -> datetime | None:
    return _sec(t) if t else None


def _confirm_of(arguments: dict[str, Any] | None) -> tuple[int, float]:
    args = arguments or {}
    return (
        int(args.get("confirm_runs") or _DEFAULTS.confirm_runs),
        float(args.get("confirm_days") or _DEFAULTS.confirm_days),
    )


def replay_states(
    session: Session, url_ids: Sequence[int], before: datetime
) -> dict[int, LinkState]:
    """State of each URL after its last check strictly before `before` (UNCHECKED if none),
    recomputed from `check_result` with the thresholds each run was made with."""
    confirm = {
        r.id: _confirm_of(r.arguments) for r in session.exec(select(Run).where(Run.kind == "check"))
    }
    records: dict[int, StateRecord] = {}
    for chunk in in_chunks(list(url_ids)):
        stmt = (
            select(CheckResult)
            .where(col(CheckResult.url_id).in_(chunk), col(CheckResult.checked_at) < before)
            .order_by(col(CheckResult.url_id), col(CheckResult.checked_at), col(CheckResult.id))
        )
        for res in session.exec(stmt):
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


def _ever_failed_before(session: Session, url_ids: Sequence[int], before: datetime) -> set[int]:
    failing = [o.value for o in FAILING]
    found: set[int] = set()
    for chunk in in_chunks(list(url_ids)):
        stmt = select(CheckResult.url_id).where(
            col(CheckResult.url_id).in_(chunk),
            col(CheckResult.checked_at) < before,
            col(CheckResult.outcome).in_(failing),
        )
        found.update(session.exec(stmt.distinct()))
    return found


def _checked_before(session: Session, url_ids: Sequence[int], before: datetime) -> set[int]:
    found: set[int] = set()
    for chunk in in_chunks(list(url_ids)):
        stmt = select(CheckResult.url_id).where(
            col(CheckResult.url_id).in_(chunk), col(CheckResult.checked_at) < before
        )
        found.update(session.exec(stmt.distinct()))
    return found


def _last_results(session: Session, url_ids: Sequence[int]) -> dict[int, CheckResult]:
    last: dict[int, CheckResult] = {}
    for chunk in in_chunks(list(url_ids)):
        newest = (
            select(func.max(CheckResult.id))
            .where(col(CheckResult.url_id).in_(chunk))
            .group_by(col(CheckResult.url_id))
        )
        stmt = select(CheckResult).where(col(CheckResult.id).in_(newest))
        last.update((r.url_id, r) for r in session.exec(stmt))
    return last


def _item(
    row: UrlState,
    url: str,
    previous: LinkState,
    last: CheckResult | None,
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
        archived_url=row.archived_url or archived,
        title=row.title,
        error=last.error if last else None,
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
        return Section.REDIRECTED
    return None


def _check_runs(session: Session) -> list[Run]:
    stmt = select(Run).where(Run.kind == "check").order_by(col(Run.started_at), col(Run.id))
    return list(session.exec(stmt))


def build_report(engine: Engine, *, since: str = LAST_RUN, scope: Scope = Scope.ALL) -> Report:
    """The report of the latest check run against the baseline `since`."""
    with read_session(engine) as session:
        return _build(session, since, scope)


def _build(session: Session, since: str, scope: Scope) -> Report:
    runs = _check_runs(session)
    latest = runs[-1] if runs else None
    if since.strip().lower() == LAST_RUN:
        baseline_at = latest.started_at if latest else None
    else:
        baseline_at = parse_time(since, "--since")
    earlier = [r for r in runs if baseline_at is not None and r.started_at < baseline_at]
    baseline = earlier[-1] if earlier else None
    outcomes: dict[str, int] = {}
    checked_now: set[int] = set()
    if latest is not None:
        tally = (
            select(CheckResult.outcome, func.count())
            .where(CheckResult.run_id == latest.id)
            .group_by(col(CheckResult.outcome))
        )
        outcomes = dict(session.exec(tally).all())
        # The run's own summary also counts what it did not fetch (excluded, skipped,
        # local), exactly as `curator check` printed it.
        named = {o.value for o in Outcome}
        outcomes.update({k: v for k, v in (latest.counts or {}).items() if k in named})
        checked_now = set(
            session.exec(select(CheckResult.url_id).where(CheckResult.run_id == latest.id))
        )

    plan = select_targets(session, latest.started_at if latest else _EPOCH)
    live: dict[int, Target] = {t.url_id: t for t in (*plan.check, *plan.skipped)}
    if scope is Scope.RUN:
        live = {uid: t for uid, t in live.items() if uid in checked_now}
    gone_from_lists: set[int] = set()
    if baseline is not None and scope is Scope.ALL:
        # Failing in the baseline run and not live now: removed from the lists or excluded.
        failing_then = select(CheckResult.url_id).where(
            CheckResult.run_id == baseline.id,
            col(CheckResult.outcome).in_([o.value for o in FAILING]),
        )
        gone_from_lists = set(session.exec(failing_then)) - set(live)

    candidates = sorted(set(live) | gone_from_lists)
    states: dict[int, UrlState] = {}
    for chunk in in_chunks(candidates):
        stmt2 = select(UrlState).where(col(UrlState.url_id).in_(chunk))
        states.update((r.url_id, r) for r in session.exec(stmt2))
    candidates = [uid for uid in candidates if uid in states]
    now = latest.started_at.replace(tzinfo=UTC) if latest else _EPOCH
    repos = {
        r.url_id: r.describe()
        for r in load_repos(session, now, STALE_AFTER)
        if r.url_id in live and (r.archived or r.disabled or r.stale)
    }
    failed_before: set[int] = set()
    if baseline_at is not None:
        failed_before = _ever_failed_before(session, candidates, baseline_at)
    # Only a URL that failed before the baseline can have been anything but ok/unchecked
    # then, so only those histories are replayed.
    previous = replay_states(session, sorted(failed_before), baseline_at) if baseline_at else {}
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
    last = _last_results(session, interesting)
    if baseline_at is not None:
        seen_before = _checked_before(session, interesting, baseline_at)
    else:
        seen_before = set()
    urls = _url_texts(session, [uid for uid in interesting if uid not in live])
    # Archive links the lists put next to a broken URL: the report can point at them.
    known = archived_copies(
        session,
        [
            uid
            for uid in interesting
            if uid in live
            and states[uid].state == LinkState.BROKEN.value
            and not states[uid].archived_url
        ],
    )

    sections: dict[Section, list[ReportItem]] = defaultdict(list)
    for uid in interesting:
        unchecked = LinkState.OK if uid in seen_before else LinkState.UNCHECKED
        before = previous.get(uid, unchecked)
        target = live.get(uid)
        url = target.url if target else urls.get(uid, "")
        where = target.locations if target else ()
        item = _item(states[uid], url, before, last.get(uid), where, known.get(uid))
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
        check_runs=len(runs),
        outcomes=outcomes,
        sections={s: tuple(sorted(sections[s], key=_sort_key)) for s in Section if sections[s]},
    )


def _sort_key(item: ReportItem) -> tuple[Any, ...]:
    first = item.locations[0] if item.locations else ""
    path, _, line = first.rpartition(":")
    return (item.since or _EPOCH, path, int(line) if line.isdigit() else 0, item.url)


def _url_texts(session: Session, url_ids: Sequence[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for chunk in in_chunks(list(url_ids)):
        for uid, url in session.exec(select(Url.id, Url.url).where(col(Url.id).in_(chunk))):
            assert uid is not None
            found[uid] = url
    return found
