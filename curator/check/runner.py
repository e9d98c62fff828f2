"""One `curator check` run: select due URLs, check them, commit results, summarize.

Input: the DB (a path, or an SQLAlchemy engine), `CheckOptions` (selection, state
thresholds, --fail-on, --root / --base-url, the clock) and the HTTP engine function
(`engine.run_checks`, injectable for tests). Output: a `CheckSummary` whose `exit_code`
the CLI uses, or `CheckInterrupted` (exit 130/143) after a SIGINT/SIGTERM, raised once
every finished result is committed. Results are committed by `results.ResultWriter` in
batches while the run goes on. The DB (SQLite or PostgreSQL) is reached through plain
DBAPI (curator/store/dbapi.py), so this process never loads SQLAlchemy unless the DB is
new or needs a migration.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote, urljoin, urlsplit

from curator.check import fragments, results, store
from curator.check.resultsfile import ResultRecord, RunHeader, write_results_file
from curator.check.sharding import Shard
from curator.check.state import PASSING
from curator.check.summary import CheckInterrupted, CheckSummary, FailOn, UrlReport
from curator.check.types import ArchiveLookup, CheckConfig, FetchResult, LinkState, Outcome
from curator.errors import ExitCode, InputError
from curator.store import sources
from curator.store.current import open_current
from curator.store.dbapi import connect, path_of, transaction
from curator.store.kinds import RunStatus
from curator.store.links import url_and_host_counts
from curator.urls import normalize
from curator.util.perf import run_sync
from curator.util.when import parse_duration as parse_duration
from curator.util.when import parse_time as parse_time

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from curator.store.dbapi import Where
    from curator.store.target import DbTarget

STOP_GRACE_S = 5.0  # how long a stopped engine may take to hand back before it is cancelled


class EngineFn(Protocol):
    def __call__(
        self,
        urls: Sequence[str],
        config: CheckConfig,
        on_result: Callable[[FetchResult], None],
        stop: asyncio.Event | None = None,
    ) -> Awaitable[None]: ...


class ProgressSink(Protocol):
    """Told the number of URLs to check, then each result as it arrives, then the end
    (called from the event-loop thread; the CLI's rich bar and plain lines implement it)."""

    def start(self, total: int) -> None: ...
    def update(self, result: FetchResult) -> None: ...
    def finish(self) -> None: ...


class NullProgress:
    def start(self, total: int) -> None:
        pass

    def update(self, result: FetchResult) -> None:
        pass

    def finish(self) -> None:
        pass


@dataclass(frozen=True, slots=True)
class CheckOptions:
    config: CheckConfig = field(default_factory=CheckConfig)
    source: str | None = None
    max_age: timedelta = timedelta(days=1)
    only_new: bool = False
    budget: int | None = None
    confirm_runs: int = 2
    confirm_days: float = 2.0
    fail_on: FailOn = FailOn.CONFIRMED
    root: Path | None = None
    base_url: str | None = None
    now: datetime | None = None  # a fixed clock (tests, simulations); else the real time
    only_urls: frozenset[str] | None = None  # normalized URLs to keep (`--diff`)
    archive_lookup: ArchiveLookup = ArchiveLookup.BROKEN
    check_fragments: bool = False  # `page#frag` against the page, `#anchor` against the list
    wayback_url: str = "https://archive.org"  # the availability API's base
    shard: Shard | None = None  # only the hosts this shard owns (`--shard I/N`)
    run_key: str | None = None  # shared by the shards of one run (`--run-id`)
    results_out: Path | None = None  # also write the results to this file (for `merge`)

    def clock(self) -> datetime:
        return self.now or datetime.now(UTC)

    def as_arguments(self) -> dict[str, Any]:
        c = self.config
        return {
            "source": self.source,
            "max_age_s": self.max_age.total_seconds(),
            "only_new": self.only_new,
            "budget": self.budget,
            "confirm_runs": self.confirm_runs,
            "confirm_days": self.confirm_days,
            "fail_on": self.fail_on.value,
            "root": str(self.root) if self.root else None,
            "base_url": self.base_url,
            "concurrency": c.concurrency,
            "per_host": c.per_host,
            "timeout": c.timeout,
            "retries": c.retries,
            "allow_private": c.allow_private,
            "archive_lookup": self.archive_lookup.value,
            "check_fragments": self.check_fragments,
            "now": self.now.isoformat() if self.now else None,
            "shard": str(self.shard) if self.shard else None,
        }


def _validate(options: CheckOptions) -> None:
    if options.root is not None and not options.root.is_dir():
        raise InputError(f"--root {options.root}: not a directory")
    if options.base_url is not None:
        parts = urlsplit(options.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InputError(f"--base-url {options.base_url!r}: must be an http(s) URL")
    if options.budget is not None and options.budget < 0:
        raise InputError("--budget must be 0 or more")


def _local_on_disk(link: store.LocalLink, root: Path) -> UrlReport:
    path = unquote(urlsplit(link.href).path)
    target = root / path.lstrip("/") if path else root
    found = target.exists()
    return UrlReport(
        url=link.href,
        outcome=Outcome.OK if found else Outcome.GONE,
        error=None if found else f"no such file: {target}",
        locations=link.locations,
    )


class _Run:
    """Mutable bookkeeping of one run; everything the event loop touches lives here."""

    def __init__(self, options: CheckOptions, plan: store.Plan, progress: ProgressSink) -> None:
        self.options, self.progress = options, progress
        self.requests: dict[str, list[store.Target | store.LocalLink]] = {}
        self.by_norm: dict[str, str] = {}
        for t in plan.check:
            self._want(t.url, t, t.normalized)  # normalized by the store already
        self.local_reports: list[UrlReport] = []
        for link in plan.local:
            if options.root is not None:
                self.local_reports.append(_local_on_disk(link, options.root))
            elif options.base_url is not None:
                self._want(urljoin(options.base_url, link.href), link)
            else:
                self.local_reports.append(
                    UrlReport(
                        link.href,
                        Outcome.LOCAL,
                        error="relative link, not checked (give --root or --base-url)",
                        locations=link.locations,
                    )
                )
        self.results: dict[str, FetchResult] = {}
        self.checked_at: dict[str, datetime] = {}
        self.writer: results.ResultWriter | None = None
        self.fragments: dict[int, set[str]] = {}  # url id → fragments its links ask for
        self.fragment_results: dict[int, FetchResult] = {}  # url id → with fragment-missing

    def fragment_urls(self) -> frozenset[str]:
        """Request URLs whose page must be read for its anchors."""
        return frozenset(
            key
            for key, whos in self.requests.items()
            if any(isinstance(w, store.Target) and w.url_id in self.fragments for w in whos)
        )

    def _with_fragments(self, url_id: int, result: FetchResult) -> FetchResult:
        wanted = self.fragments.get(url_id)
        if not wanted or result.anchors is None or result.outcome not in PASSING:
            return result
        gone = fragments.missing(wanted, result.anchors)
        if not gone:
            return result
        detailed = replace(
            result,
            reason=fragments.MISSING,
            error="no anchor " + ", ".join(f"#{f}" for f in gone),
        )
        self.fragment_results[url_id] = detailed
        return detailed

    def _want(
        self, url: str, who: store.Target | store.LocalLink, normalized: str | None = None
    ) -> None:
        key = self.by_norm.setdefault(normalized or normalize(url), url)
        self.requests.setdefault(key, []).append(who)

    def on_result(self, result: FetchResult) -> None:
        key = result.url if result.url in self.requests else self.by_norm.get(normalize(result.url))
        if key is None or key in self.results:
            return  # not ours, or a duplicate: each URL counts once per run
        self.results[key] = result
        at = self.checked_at[key] = self.options.clock()
        assert self.writer is not None
        for who in self.requests[key]:
            if isinstance(who, store.Target):
                self.writer.submit(who.url_id, self._with_fragments(who.url_id, result), at)
        self.progress.update(result)


async def _drive(
    run: _Run, db: Where, run_id: int, engine_fn: EngineFn, options: CheckOptions
) -> str | None:
    """Run the engine with SIGINT/SIGTERM turned into a stop; return the signal's name."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    received: list[str] = []

    def on_signal(sig: signal.Signals) -> None:
        if not received:
            received.append(sig.name)
        stop.set()

    def on_write_error(_exc: BaseException) -> None:
        loop.call_soon_threadsafe(stop.set)

    run.writer = results.ResultWriter(
        db, run_id, options.confirm_runs, options.confirm_days, on_error=on_write_error
    ).start()
    installed: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, on_signal, sig)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):
            pass  # not the main thread (embedded use): the caller handles signals
    try:
        task = asyncio.ensure_future(
            engine_fn(list(run.requests), options.config, run.on_result, stop=stop)
        )
        stopped = asyncio.ensure_future(stop.wait())
        await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if not task.done():
            await asyncio.wait({task}, timeout=STOP_GRACE_S)
            task.cancel()
        stopped.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    finally:
        try:
            run.writer.close()  # commits every result handed over so far
        finally:
            for sig in installed:
                loop.remove_signal_handler(sig)
    return received[0] if received else None


def run_check(
    db: str | Path | DbTarget | Engine,
    options: CheckOptions,
    *,
    engine_fn: EngineFn | None = None,
    progress: ProgressSink | None = None,
) -> CheckSummary:
    """Check what is due in `db` (a path or an engine); raise `CheckInterrupted` after a
    signal (results committed)."""
    _validate(options)
    path = open_current(path_of(db))
    warm = _workers_to_prestart(path, options) if engine_fn is None else 0
    return run_sync(_run_check(path, options, engine_fn, progress or NullProgress(), warm))


def _workers_to_prestart(db: Where, options: CheckOptions) -> int:
    """Worker processes a run will likely use, guessed from the stored URLs and hosts
    before the (slower) selection; a wrong guess costs one idle start-up."""
    from curator.check.shard import worker_count

    with contextlib.closing(connect(db)) as conn:
        urls, hosts = url_and_host_counts(conn)
    if options.budget is not None:
        urls = min(urls, options.budget)
    return worker_count(options.config, urls, hosts) - 1


async def _run_check(
    db: Where,
    options: CheckOptions,
    engine_fn: EngineFn | None,
    progress: ProgressSink,
    warm: int,
) -> CheckSummary:
    from curator.check import shard

    if warm and options.only_urls is None:
        await shard.prestart(warm)  # their imports overlap ours and the selection below
    try:
        if engine_fn is None:
            from curator.check.engine import run_checks  # httpx, bs4: 0.3 s of imports

            gc.freeze()  # as gc_relaxed() did for the modules imported before it
            engine_fn = run_checks
        return await _select_and_run(db, options, engine_fn, progress)
    finally:
        await shard.discard_warm()


async def _select_and_run(
    db: Where, options: CheckOptions, engine_fn: EngineFn, progress: ProgressSink
) -> CheckSummary:
    started = options.clock()
    t0 = time.monotonic()
    with contextlib.closing(connect(db)) as conn, transaction(conn):
        plan = store.select_targets(
            conn,
            started,
            source=options.source,
            max_age=options.max_age,
            only_new=options.only_new,
            budget=options.budget,
            shard=options.shard,
        )
    if options.only_urls is not None:  # pull-request mode: only the links it adds
        keep = options.only_urls
        plan = replace(
            plan,
            check=tuple(t for t in plan.check if t.normalized in keep),
            excluded=tuple(e for e in plan.excluded if e[0].normalized in keep),
            skipped=tuple(t for t in plan.skipped if t.normalized in keep),
            local=(),
        )
    run = _Run(options, plan, progress)
    if options.check_fragments:
        options = _prepare_fragments(db, run, options)
    run_key = options.run_key
    if run_key is None and options.results_out is not None:
        run_key = uuid.uuid4().hex  # `merge` needs a key to recognise results it has
    shard = str(options.shard) if options.shard else None
    run_id = store.start_run(db, options.as_arguments(), started, run_key, shard)
    progress.start(len(run.requests))
    try:
        signame = await _drive(run, db, run_id, engine_fn, options)
        if signame is None and options.archive_lookup is not ArchiveLookup.OFF:
            await _lookup_archives(run, db, options)
    except BaseException:
        store.finish_run(
            db, run_id, {"checked": len(run.results)}, RunStatus.FAILED, options.clock()
        )
        raise
    finally:
        progress.finish()
    summary = _summarize(run, plan, run_id, started, time.monotonic() - t0, signame)
    counts: dict[str, Any] = {o.value: n for o, n in summary.counts.items() if n}
    counts.update(checked=summary.checked, broken=summary.confirmed_broken)
    status = RunStatus.INTERRUPTED if signame else RunStatus.DONE
    finished = options.clock()
    store.finish_run(db, run_id, counts, status, finished)
    if options.results_out is not None:
        assert run_key is not None
        header = RunHeader(
            run_key, shard, started, finished, status, options.confirm_runs,
            options.confirm_days, counts, options.as_arguments(),
        )  # fmt: skip
        write_results_file(options.results_out, header, _records(run))
    if signame:
        raise CheckInterrupted(
            f"{signame}: stopped after {summary.checked} of {summary.to_check} URLs; "
            "finished results are saved (run again to continue)",
            summary.exit_code,
            summary,
        )
    return summary


def _prepare_fragments(db: Where, run: _Run, options: CheckOptions) -> CheckOptions:
    """Load which fragments links ask for, report the lists' own `#anchor` links that
    point nowhere, and have the pages of `page#frag` links read for their anchors."""
    from curator.store import fragments as stored

    with contextlib.closing(connect(db)) as conn, transaction(conn):
        source_id = sources.source_id(conn, options.source)
        run.fragments = stored.web_fragments(conn, source_id)
        anchors = stored.anchor_links(conn, source_id)
        texts = stored.source_texts(conn, {a.source_id for a in anchors})
    found: dict[int, frozenset[str]] = {}
    missing: dict[tuple[int, str], list[str]] = {}
    for a in anchors:
        if a.source_id not in found:
            found[a.source_id] = fragments.list_anchors(texts.get(a.source_id, ("", ""))[1])
        if fragments.missing({stored.fragment_of(a.href)}, found[a.source_id]):
            missing.setdefault((a.source_id, a.href), []).append(a.location)
    for (sid, href), where in missing.items():
        run.local_reports.append(
            UrlReport(
                href,
                Outcome.LOCAL,
                error=f"no heading or anchor {href} in {texts.get(sid, ('?', ''))[0]}",
                locations=tuple(where),
                reason=fragments.MISSING,
            )
        )
    config = replace(options.config, fragment_urls=run.fragment_urls())
    return replace(options, config=config)


async def _lookup_archives(run: _Run, db: Where, options: CheckOptions) -> None:
    """Ask the Wayback Machine once for each newly broken link (every gone one with
    `--archive-lookup all`) and store what it has."""
    from curator.check import wayback
    from curator.store.snapshots import save_archived_urls

    assert run.writer is not None
    stored = run.writer.stored
    urls = {
        who.url_id: who.url
        for whos in run.requests.values()
        for who in whos
        if isinstance(who, store.Target)
    }
    every_gone = options.archive_lookup is ArchiveLookup.ALL
    wanted = [
        (uid, urls[uid], s.last_ok_at)
        for uid, s in stored.items()
        if s.archived_url is None
        and uid in urls
        and (s.state is LinkState.BROKEN or (every_gone and s.outcome is Outcome.GONE))
    ]
    found = await wayback.lookup_all(wanted, options.config, options.wayback_url)
    save_archived_urls(db, found)
    for uid, url in found.items():
        stored[uid] = replace(stored[uid], archived_url=url)


def _records(run: _Run) -> list[ResultRecord]:
    """What `--results-out` writes: each checked web URL once, in the order checked."""
    out: list[ResultRecord] = []
    for key, result in run.results.items():
        target = next((w for w in run.requests[key] if isinstance(w, store.Target)), None)
        if target is not None:
            result = run.fragment_results.get(target.url_id, result)
            out.append(ResultRecord(target.normalized, run.checked_at[key], result))
    return out


def _summarize(
    run: _Run,
    plan: store.Plan,
    run_id: int,
    started: datetime,
    elapsed: float,
    signame: str | None,
) -> CheckSummary:
    assert run.writer is not None
    stored = run.writer.stored
    reports: list[UrlReport] = list(run.local_reports)
    for key, result in run.results.items():
        for who in run.requests[key]:
            s = stored.get(who.url_id) if isinstance(who, store.Target) else None
            if isinstance(who, store.Target):
                result = run.fragment_results.get(who.url_id, result)
            reports.append(
                UrlReport(
                    url=result.url if isinstance(who, store.LocalLink) else who.url,
                    outcome=result.outcome,
                    status=result.status,
                    final_url=result.final_url,
                    redirects=result.redirects,
                    title=result.title or (s.title if s else None),
                    error=result.error,
                    attempts=result.attempts,
                    elapsed_ms=result.elapsed_ms,
                    state=s.state if s else None,
                    locations=who.locations,
                    title_drift=s.title_drift if s else False,
                    since=s.since if s else None,
                    reason=result.reason,
                    archived_url=(s.archived_url or None) if s else None,
                )
            )
    not_checked: list[tuple[store.Target, Outcome, str | None]]
    not_checked = [(t, Outcome.SKIPPED, None) for t in plan.skipped]
    not_checked += [(t, Outcome.EXCLUDED, why) for t, why in plan.excluded]
    for t, outcome, why in not_checked:
        reports.append(
            UrlReport(
                url=t.url,
                outcome=outcome,
                status=t.prev.last_status if t.prev and outcome is Outcome.SKIPPED else None,
                final_url=t.final_url,
                title=t.title,
                error=why,
                state=t.prev.state if t.prev else None,
                locations=t.locations,
                title_drift=t.title_drift,
                since=t.prev.first_failure_at if t.prev else None,
            )
        )
    reports.sort(key=lambda r: (r.url, r.locations))
    tally = Counter(r.outcome for r in reports)
    summary = CheckSummary(
        run_id=run_id,
        started_at=started,
        elapsed_s=elapsed,
        to_check=len(run.requests),
        checked=len(run.results),
        results=tuple(reports),
        exit_code=ExitCode.OK,
        fail_on=run.options.fail_on,
        interrupted_by=signame,
        counts={o: tally.get(o, 0) for o in Outcome},
    )
    if signame:
        code = ExitCode.TERMINATED if signame == "SIGTERM" else ExitCode.INTERRUPTED
    elif run.options.fail_on is FailOn.CONFIRMED:
        code = ExitCode.BROKEN if summary.confirmed_broken else ExitCode.OK
    elif run.options.fail_on is FailOn.GONE:
        code = ExitCode.BROKEN if tally.get(Outcome.GONE) else ExitCode.OK
    else:
        code = ExitCode.OK
    return replace(summary, exit_code=code)
