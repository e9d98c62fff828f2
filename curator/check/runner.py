"""One `curator check` run: select due URLs, check them, commit results, summarize.

Input: the DB (a path, or an SQLAlchemy engine), `CheckOptions` (selection, state
thresholds, --fail-on, --root / --base-url, the clock) and the HTTP engine function
(`engine.run_checks`, injectable for tests). Output: a `CheckSummary` whose `exit_code`
the CLI uses, or `CheckInterrupted` (exit 130/143) after a SIGINT/SIGTERM, raised once
every finished result is committed. Results are committed by `results.ResultWriter` in
batches while the run goes on. The DB (SQLite or PostgreSQL) is reached through plain
DBAPI (curator/store/dbapi.py), so this process never loads SQLAlchemy unless the DB is
new or needs a migration.

Memory: while the run goes on, this process holds a url id per URL still to come back and
little else; each result goes to the writer thread (and to `--results-out`'s temporary
file) as it arrives. The report is read back from the DB at the end, into a temporary
file (check/reports.py), so the process's peak grows far less than the list does.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote, urljoin, urlsplit

from curator.check import fragments, results, store
from curator.check.reports import ReportSpool, RunReports, order
from curator.check.resultsfile import ResultRecord, ResultsSpool, RunHeader
from curator.check.sharding import Shard
from curator.check.state import PASSING
from curator.check.summary import CheckInterrupted, CheckSummary, FailOn, UrlReport, tally
from curator.check.types import ArchiveLookup, CheckConfig, FetchResult, LinkState, Outcome
from curator.errors import ExitCode, InputError
from curator.store import sources
from curator.store.current import open_current
from curator.store.dbapi import connect, path_of, transaction
from curator.store.kinds import RunStatus
from curator.store.links import url_and_host_counts, url_spellings
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
    """Mutable bookkeeping of one run; everything the event loop touches lives here.

    Per URL it keeps only what is needed until its result comes back: the request URL and
    the url id to store the result under (normalized spellings only where they differ,
    for `--results-out`); the plan's targets are dropped once these are made."""

    def __init__(
        self,
        options: CheckOptions,
        plan: store.Plan,
        progress: ProgressSink,
        spool: ResultsSpool | None = None,
    ) -> None:
        self.options, self.progress, self.spool = options, progress, spool
        self.source_id = plan.source_id
        # Request URL → the url id its result is stored under; a second url row spelt
        # alike (normalized by an older version) and relative links resolved to it
        # (--base-url) wait in `more` and `links`.
        self.ids: dict[str, int] = {}
        self.norms: dict[str, str] = {}  # request URL → normalized, where they differ
        self.more: dict[str, list[int]] = {}
        self.links: dict[str, list[store.LocalLink]] = {}
        for t in plan.check:
            if t.url in self.ids:
                self.more.setdefault(t.url, []).append(t.url_id)
                continue
            self.ids[t.url] = t.url_id
            if t.normalized != t.url:
                self.norms[t.url] = t.normalized
        self.skipped = frozenset(t.url_id for t in plan.skipped)
        self.excluded = {t.url_id: why for t, why in plan.excluded}
        self.local_reports: list[UrlReport] = []
        by_norm: dict[str, str] | None = None
        for link in plan.local:
            if options.root is not None:
                self.local_reports.append(_local_on_disk(link, options.root))
            elif options.base_url is not None:
                if by_norm is None:
                    by_norm = {self.norms.get(u, u): u for u in self.ids}
                url = urljoin(options.base_url, link.href)
                key = by_norm.setdefault(normalize(url), url)
                self.links.setdefault(key, []).append(link)
            else:
                self.local_reports.append(
                    UrlReport(
                        link.href,
                        Outcome.LOCAL,
                        error="relative link, not checked (give --root or --base-url)",
                        locations=link.locations,
                    )
                )
        self.urls = [*self.ids, *(k for k in self.links if k not in self.ids)]
        self.to_check = len(self.urls)
        self.checked = 0
        self._by_norm: dict[str, str] | None = None  # made if a result comes back respelt
        self.writer: results.ResultWriter | None = None
        self.fragments: dict[int, set[str]] = {}  # url id → fragments its links ask for

    def fragment_urls(self) -> frozenset[str]:
        """Request URLs whose page must be read for its anchors."""
        wanted = self.fragments
        return frozenset(
            key
            for key, uid in self.ids.items()
            if uid in wanted or any(u in wanted for u in self.more.get(key, ()))
        )

    def _with_fragments(self, url_id: int, result: FetchResult) -> FetchResult:
        wanted = self.fragments.get(url_id)
        if not wanted or result.anchors is None or result.outcome not in PASSING:
            return result
        gone = fragments.missing(wanted, result.anchors)
        if not gone:
            return result
        return replace(
            result,
            reason=fragments.MISSING,
            error="no anchor " + ", ".join(f"#{f}" for f in gone),
        )

    def _key_of(self, url: str) -> str | None:
        """The request URL a result is for (an engine may hand it back spelt otherwise)."""
        if url in self.ids or url in self.links:
            return url
        if self._by_norm is None:
            pending = [*self.ids, *self.links]
            self._by_norm = {
                self.norms.get(k, k) if k in self.ids else normalize(k): k for k in pending
            }
        key = self._by_norm.get(normalize(url))
        return key if key in self.ids or key in self.links else None

    def on_result(self, result: FetchResult) -> None:
        key = self._key_of(result.url)
        if key is None:
            return  # not ours, or a duplicate: each URL counts once per run
        uid = self.ids.pop(key, None)
        at = self.options.clock()
        self.checked += 1
        assert self.writer is not None
        detailed = result  # relative links to the page report what its url row got
        if uid is not None:
            detailed = self._with_fragments(uid, result)
            self.writer.submit(uid, detailed, at)
            if self.spool is not None:
                self.spool.add(ResultRecord(self.norms.get(key, key), at, detailed))
            for other in self.more.pop(key, ()):
                detailed = self._with_fragments(other, result)
                self.writer.submit(other, detailed, at)
        for link in self.links.pop(key, ()):
            self.local_reports.append(_link_report(link, detailed))
        self.progress.update(result)


def _link_report(link: store.LocalLink, result: FetchResult) -> UrlReport:
    """A relative link checked as a web URL (`--base-url`): reported as its result, with
    no state (it has no url row)."""
    return UrlReport(
        url=result.url,
        outcome=result.outcome,
        status=result.status,
        final_url=result.final_url,
        redirects=result.redirects,
        title=result.title or None,
        error=result.error,
        attempts=result.attempts,
        elapsed_ms=result.elapsed_ms,
        locations=link.locations,
        reason=result.reason,
    )


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
        task = asyncio.ensure_future(engine_fn(run.urls, options.config, run.on_result, stop=stop))
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
    spool = ResultsSpool() if options.results_out is not None else None
    try:
        # The plan is not kept: its targets would outlive their use by the whole run.
        run = _Run(options, _select(db, options, started), progress, spool)
        return await _check(db, options, engine_fn, run, started, t0)
    finally:
        if spool is not None:
            spool.close()


def _select(db: Where, options: CheckOptions, started: datetime) -> store.Plan:
    with contextlib.closing(connect(db)) as conn, transaction(conn):
        plan = store.select_targets(
            conn,
            started,
            source=options.source,
            max_age=options.max_age,
            only_new=options.only_new,
            budget=options.budget,
            shard=options.shard,
            locations=False,  # read back with the results (check/reports.py)
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
    return plan


async def _check(
    db: Where,
    options: CheckOptions,
    engine_fn: EngineFn,
    run: _Run,
    started: datetime,
    t0: float,
) -> CheckSummary:
    if options.check_fragments:
        options = _prepare_fragments(db, run, options)
    run_key = options.run_key
    if run_key is None and options.results_out is not None:
        run_key = uuid.uuid4().hex  # `merge` needs a key to recognise results it has
    shard = str(options.shard) if options.shard else None
    run_id = store.start_run(db, options.as_arguments(), started, run_key, shard)
    progress = run.progress
    progress.start(run.to_check)
    try:
        signame = await _drive(run, db, run_id, engine_fn, options)
        if signame is None and options.archive_lookup is not ArchiveLookup.OFF:
            await _lookup_archives(run, db, options)
    except BaseException:
        store.finish_run(db, run_id, {"checked": run.checked}, RunStatus.FAILED, options.clock())
        raise
    finally:
        progress.finish()
    summary = _summarize(run, db, run_id, started, time.monotonic() - t0, signame)
    counts: dict[str, Any] = {o.value: n for o, n in summary.counts.items() if n}
    counts.update(checked=summary.checked, broken=summary.confirmed_broken)
    status = RunStatus.INTERRUPTED if signame else RunStatus.DONE
    finished = options.clock()
    store.finish_run(db, run_id, counts, status, finished)
    if options.results_out is not None:
        assert run_key is not None and run.spool is not None
        header = RunHeader(
            run_key, shard, started, finished, status, options.confirm_runs,
            options.confirm_days, counts, options.as_arguments(),
        )  # fmt: skip
        run.spool.write(options.results_out, header)
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
    unarchived = run.writer.unarchived
    every_gone = options.archive_lookup is ArchiveLookup.ALL
    ids = [
        uid
        for uid, s in unarchived.items()
        if s.state is LinkState.BROKEN or (every_gone and s.outcome is Outcome.GONE)
    ]
    if not ids:
        return
    with contextlib.closing(connect(db)) as conn, transaction(conn):
        urls = url_spellings(conn, ids)
    wanted = [(uid, urls[uid], unarchived[uid].last_ok_at) for uid in ids if uid in urls]
    found = await wayback.lookup_all(wanted, options.config, options.wayback_url)
    save_archived_urls(db, found)


def _summarize(
    run: _Run,
    db: Where,
    run_id: int,
    started: datetime,
    elapsed: float,
    signame: str | None,
) -> CheckSummary:
    local = tuple(sorted(run.local_reports, key=order))
    reports = RunReports(db, run_id, run.source_id, run.skipped, run.excluded, local)
    spool = ReportSpool()  # one read of the DB; every format then reads the spool
    sums = tally(spool.adding(reports))
    if signame:
        code = ExitCode.TERMINATED if signame == "SIGTERM" else ExitCode.INTERRUPTED
    elif run.options.fail_on is FailOn.CONFIRMED:
        code = ExitCode.BROKEN if sums.confirmed_broken else ExitCode.OK
    elif run.options.fail_on is FailOn.GONE:
        code = ExitCode.BROKEN if sums.counts[Outcome.GONE] else ExitCode.OK
    else:
        code = ExitCode.OK
    return CheckSummary(
        run_id=run_id,
        started_at=started,
        elapsed_s=elapsed,
        to_check=run.to_check,
        checked=run.checked,
        results=spool,
        exit_code=code,
        fail_on=run.options.fail_on,
        interrupted_by=signame,
        counts=sums.counts,
        total=sums.total,
        confirmed_broken=sums.confirmed_broken,
        title_drifts=sums.title_drifts,
        refused_private=sums.refused_private,
        problems=sums.problems,
    )
