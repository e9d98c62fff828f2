"""The DB side of `curator check` with a fake HTTP engine: what gets checked, what gets
stored, batching, skips (--max-age, --only-new, --budget), exclusions, curator-ignore."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from curator.check.exclusions import add_exclusion
from curator.check.results import ResultWriter
from curator.check.runner import CheckOptions, parse_duration, parse_time, run_check
from curator.check.store import start_run
from curator.check.summary import FailOn
from curator.check.types import CheckConfig, FetchResult, Hop, LinkState, Outcome
from curator.errors import ExitCode, InputError, NotFoundError
from curator.ingest.importer import import_paths
from curator.store.connect import open_engine, write_session

T0 = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)

LIST = """# Test list

## Tools

- [Alpha](https://a.test/ok/1) - fine.
- [Beta](https://a.test/gone/1) - a 404.
- [Gamma](https://b.test/redir/1) - moved for good.
- [Delta](https://a.test/ok/1) - the same URL as Alpha, another entry.
- [Eps](https://c.test/timeout/1) - hangs.

## More

- [Zeta](https://b.test/ok/2) - fine, see also [docs](./docs/zeta.md).

<!-- curator-ignore -->
- [Ignored](https://d.test/ignored/1) - never checked.
"""


@dataclass
class FakeEngine:
    """Answers by path: /ok/ 200, /gone/ 404, /redir/ 301 -> /ok/, /timeout/ timeout."""

    titles: dict[str, str | None] = field(default_factory=dict)
    calls: list[list[str]] = field(default_factory=list)

    def answer(self, url: str) -> FetchResult:
        if "/gone/" in url:
            return FetchResult(url, Outcome.GONE, 404, url, title="Not Found")
        if "/redir/" in url:
            final = url.replace("/redir/", "/ok/")
            return FetchResult(
                url, Outcome.REDIRECTED, 200, final, (Hop(url, 301), Hop(final, 200))
            )
        if "/timeout/" in url:
            return FetchResult(url, Outcome.TIMEOUT, None, error="timed out", attempts=3)
        title = self.titles.get(url, "Title of " + url.rsplit("/", 2)[-2])
        return FetchResult(url, Outcome.OK, 200, url, title=title, elapsed_ms=12)

    async def __call__(
        self,
        urls: Sequence[str],
        config: CheckConfig,
        on_result: Callable[[FetchResult], None],
        stop: asyncio.Event | None = None,
    ) -> None:
        self.calls.append(list(urls))
        for url in urls:
            await asyncio.sleep(0)
            on_result(self.answer(url))


@pytest.fixture
def listdb(tmp_path: Path) -> Path:
    md = tmp_path / "list.md"
    md.write_text(LIST, encoding="utf-8")
    db = tmp_path / "curator.db"
    import_paths(open_engine(db), [md], now=T0)
    return db


def rows(db: Path, sql: str) -> list[tuple]:  # type: ignore[type-arg]
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def check(db: Path, fake: FakeEngine, at: datetime, **kw) -> object:  # type: ignore[no-untyped-def]
    return run_check(open_engine(db), CheckOptions(now=at, **kw), engine_fn=fake)


def test_each_url_checked_once_and_every_result_stored(listdb: Path) -> None:
    fake = FakeEngine()
    summary = check(listdb, fake, T0)
    requested = fake.calls[0]
    assert sorted(requested) == [
        "https://a.test/gone/1",
        "https://a.test/ok/1",
        "https://b.test/ok/2",
        "https://b.test/redir/1",
        "https://c.test/timeout/1",
    ]  # Alpha and Delta share a URL; the ignored entry and the relative link are not fetched
    stored = rows(listdb, "select outcome, status, attempts, run_id from check_result")
    assert sorted(o for o, *_ in stored) == ["gone", "ok", "ok", "redirected", "timeout"]
    assert {r[3] for r in stored} == {summary.run_id}  # type: ignore[attr-defined]
    run = rows(listdb, "select kind, status, counts from run where kind='check'")
    assert run[0][:2] == ("check", "done")
    assert '"checked": 5' in run[0][2]
    by_outcome = {r.outcome: r for r in summary.results}  # type: ignore[attr-defined]
    assert by_outcome[Outcome.EXCLUDED].url == "https://d.test/ignored/1"
    assert by_outcome[Outcome.LOCAL].url == "./docs/zeta.md"
    alpha = next(r for r in summary.results if r.url == "https://a.test/ok/1")  # type: ignore[attr-defined]
    assert len(alpha.locations) == 2 and all(loc.endswith((":5", ":8")) for loc in alpha.locations)


def test_state_title_and_final_url_are_stored(listdb: Path) -> None:
    fake = FakeEngine()
    check(listdb, fake, T0)
    state = dict(
        rows(
            listdb,
            "select u.url, s.state || '|' || coalesce(s.final_url, '') || '|' || "
            "coalesce(s.title, '') from url_state s join url u on u.id = s.url_id",
        )
    )
    assert state["https://b.test/redir/1"] == "ok|https://b.test/ok/1|"
    assert state["https://a.test/ok/1"] == "ok||Title of ok"
    assert state["https://a.test/gone/1"] == "suspect||"  # a 404 page's title is not kept
    assert state["https://c.test/timeout/1"] == "suspect||"
    assert "https://d.test/ignored/1" not in state


def test_titles_never_overwritten_with_empty_and_drift_flagged(listdb: Path) -> None:
    fake = FakeEngine(titles={"https://a.test/ok/1": "Alpha — the library"})
    check(listdb, fake, T0)
    fake.titles = {"https://a.test/ok/1": None, "https://b.test/ok/2": "example.com is for sale"}
    summary = check(listdb, fake, T0 + timedelta(days=2))
    got = dict(
        rows(
            listdb,
            "select u.url, s.title || '|' || s.title_drift from url_state s "
            "join url u on u.id = s.url_id where s.title is not null",
        )
    )
    assert got["https://a.test/ok/1"] == "Alpha — the library|0"
    assert got["https://b.test/ok/2"] == "Title of ok|1"  # the reference title is kept
    zeta = next(r for r in summary.results if r.url == "https://b.test/ok/2")  # type: ignore[attr-defined]
    assert zeta.title_drift and zeta.title == "example.com is for sale"


def test_max_age_skips_recent_passes_but_rechecks_failures(listdb: Path) -> None:
    fake = FakeEngine()
    check(listdb, fake, T0)
    check(listdb, fake, T0 + timedelta(hours=2))
    assert sorted(fake.calls[1]) == ["https://a.test/gone/1", "https://c.test/timeout/1"]
    check(listdb, fake, T0 + timedelta(hours=3), max_age=parse_duration("30m"))
    assert len(fake.calls[2]) == 5
    check(listdb, fake, T0 + timedelta(hours=4), max_age=parse_duration("0"))
    assert len(fake.calls[3]) == 5
    assert rows(listdb, "select count(*) from check_result")[0][0] == 5 + 2 + 5 + 5


def test_only_new_checks_only_urls_never_checked(listdb: Path, tmp_path: Path) -> None:
    fake = FakeEngine()
    check(listdb, fake, T0)
    md = tmp_path / "list.md"
    md.write_text(LIST + "- [New](https://e.test/ok/9) - added later.\n", encoding="utf-8")
    import_paths(open_engine(listdb), [md], now=T0)
    summary = check(listdb, fake, T0 + timedelta(days=5), only_new=True)
    assert fake.calls[1] == ["https://e.test/ok/9"]
    skipped = [r.url for r in summary.results if r.outcome is Outcome.SKIPPED]  # type: ignore[attr-defined]
    assert len(skipped) == 5


def test_budget_takes_the_oldest_checked_first(listdb: Path) -> None:
    fake = FakeEngine()
    check(listdb, fake, T0, budget=2)
    check(listdb, fake, T0 + timedelta(days=2), budget=2)
    first, second = set(fake.calls[0]), set(fake.calls[1])
    assert len(first) == len(second) == 2 and not first & second  # never-checked ones first
    third = check(listdb, fake, T0 + timedelta(days=4), budget=3)
    assert set(fake.calls[2]) >= first  # the oldest checks come next
    assert sum(r.outcome is Outcome.SKIPPED for r in third.results) == 2  # type: ignore[attr-defined]


def test_exclusions_glob_regex_and_expiry(listdb: Path) -> None:
    engine = open_engine(listdb)
    with write_session(engine) as s:
        add_exclusion(s, "https://b.test/*", "paywalled", None, T0)
        add_exclusion(s, r"re:timeout/\d+$", "slow host", None, T0)
        add_exclusion(s, "https://a.test/gone/*", "until fixed", T0 + timedelta(days=1), T0)
    fake = FakeEngine()
    summary = check(listdb, fake, T0)
    assert sorted(fake.calls[0]) == ["https://a.test/ok/1"]
    reasons = {r.url: r.error for r in summary.results if r.outcome is Outcome.EXCLUDED}  # type: ignore[attr-defined]
    assert reasons["https://b.test/ok/2"] == "exclusion https://b.test/*: paywalled"
    assert reasons["https://c.test/timeout/1"].startswith("exclusion re:")
    assert reasons["https://d.test/ignored/1"] == "<!-- curator-ignore -->"
    check(listdb, fake, T0 + timedelta(days=2), max_age=timedelta(days=7))  # gone/* expired
    assert fake.calls[1] == ["https://a.test/gone/1"]
    with write_session(engine) as s, pytest.raises(InputError):
        add_exclusion(s, "re:(unclosed", "x", None, T0)


def test_confirmed_broken_drives_the_exit_code(listdb: Path) -> None:
    fake = FakeEngine()
    assert check(listdb, fake, T0).exit_code is ExitCode.OK  # type: ignore[attr-defined]
    gone = check(listdb, fake, T0 + timedelta(days=1), fail_on=FailOn.GONE)
    assert gone.exit_code is ExitCode.BROKEN  # type: ignore[attr-defined]
    later = check(listdb, fake, T0 + timedelta(days=2, hours=1))
    assert later.exit_code is ExitCode.BROKEN  # type: ignore[attr-defined]
    broken = [r for r in later.results if r.state is LinkState.BROKEN]  # type: ignore[attr-defined]
    assert [r.url for r in broken] == ["https://a.test/gone/1"]
    assert broken[0].since == T0
    never = check(listdb, fake, T0 + timedelta(days=3), fail_on=FailOn.NEVER)
    assert never.exit_code is ExitCode.OK  # type: ignore[attr-defined]


def test_source_filter_and_bad_input(listdb: Path, tmp_path: Path) -> None:
    fake = FakeEngine()
    with pytest.raises(NotFoundError, match="no source named 'nope'"):
        check(listdb, fake, T0, source="nope")
    summary = check(listdb, fake, T0, source="list")
    assert summary.checked == 5  # type: ignore[attr-defined]
    with pytest.raises(InputError, match="not a directory"):
        check(listdb, fake, T0, root=tmp_path / "missing")
    with pytest.raises(InputError, match="base-url"):
        check(listdb, fake, T0, base_url="ftp://x")
    with pytest.raises(InputError, match="no lists yet"):
        check(tmp_path / "empty.db", fake, T0)
    for bad in ("soon", "1y", "-1d"):
        with pytest.raises(InputError):
            parse_duration(bad)
    assert parse_duration("12h") == timedelta(hours=12)
    assert parse_time("2024-05-01") == datetime(2024, 5, 1, tzinfo=UTC)


def test_relative_links_with_root_and_base_url(listdb: Path, tmp_path: Path) -> None:
    fake = FakeEngine()
    (tmp_path / "docs").mkdir()
    summary = check(listdb, fake, T0, root=tmp_path)
    local = next(r for r in summary.results if r.url == "./docs/zeta.md")  # type: ignore[attr-defined]
    assert local.outcome is Outcome.GONE and "no such file" in (local.error or "")
    (tmp_path / "docs" / "zeta.md").write_text("hi", encoding="utf-8")
    summary = check(listdb, fake, T0, root=tmp_path)
    local = next(r for r in summary.results if r.url == "./docs/zeta.md")  # type: ignore[attr-defined]
    assert local.outcome is Outcome.OK
    summary = check(listdb, fake, T0, base_url="https://site.test/repo/blob/main/")
    resolved = "https://site.test/repo/blob/main/docs/zeta.md"
    assert resolved in fake.calls[-1]
    assert not any(u.startswith("./") for u in fake.calls[-1])
    local = next(r for r in summary.results if r.url == resolved)  # type: ignore[attr-defined]
    assert local.outcome is Outcome.OK and local.locations[0].endswith("list.md:13")


def test_writer_commits_in_batches_and_on_a_timer(listdb: Path) -> None:
    engine = open_engine(listdb)
    run_id = start_run(engine, {}, T0)
    ids = [r[0] for r in rows(listdb, "select id from url order by id")]
    writer = ResultWriter(engine, run_id, 2, 2, batch_size=2, interval=3600).start()
    for uid in ids[:5]:
        writer.submit(uid, FetchResult(f"u{uid}", Outcome.OK, 200), T0)
    deadline = time.monotonic() + 10
    while rows(listdb, "select count(*) from check_result")[0][0] < 4:
        assert time.monotonic() < deadline, "two full batches were never committed"
        time.sleep(0.02)
    writer.close()
    assert rows(listdb, "select count(*) from check_result")[0][0] == 5
    assert writer.batches == 3
    # With a short interval, a single result is committed without waiting for a full batch.
    timed = ResultWriter(engine, run_id, 2, 2, batch_size=1000, interval=0.05).start()
    timed.submit(ids[5], FetchResult("u", Outcome.GONE, 404), T0)
    deadline = time.monotonic() + 10
    while rows(listdb, "select count(*) from check_result")[0][0] < 6:
        assert time.monotonic() < deadline, "the timer never flushed"
        time.sleep(0.02)
    timed.close()
    assert timed.batches == 1


def test_seed_lists_each_url_once_with_every_location(tmp_path: Path) -> None:
    from tests.support.cli import LISTS

    db = tmp_path / "seeds.db"
    import_paths(open_engine(db), [LISTS], now=T0)
    fake = FakeEngine()
    summary = check(db, fake, T0)
    requested = fake.calls[0]
    n_urls = rows(
        db,
        "select count(distinct url_id) from link l join entry e on e.id = "
        "l.entry_id where e.removed_at is null and l.kind = 'web'",
    )[0][0]
    assert len(requested) == len(set(requested)) == n_urls > 100
    expected = {
        f"{path}:{line + 1}"
        for path, line in rows(
            db,
            "select s.path, l.line from link l join entry e on e.id = l.entry_id "
            "join source s on s.id = e.source_id where e.removed_at is null and l.kind = 'web'",
        )
    }
    web = [r for r in summary.results if r.outcome is not Outcome.LOCAL]  # type: ignore[attr-defined]
    assert {loc for r in web for loc in r.locations} == expected
    assert all(loc.split(":")[-1].isdigit() for r in web for loc in r.locations)
    local = [r for r in summary.results if r.outcome is Outcome.LOCAL]  # type: ignore[attr-defined]
    assert any("1-math_ml_basic" in r.url for r in local)
    assert rows(db, "select count(*) from check_result")[0][0] == n_urls


@dataclass
class RefusingEngine(FakeEngine):
    """Like FakeEngine, but the guard refuses every URL on host a.test while `refuse`."""

    refuse: bool = True

    def answer(self, url: str) -> FetchResult:
        if self.refuse and "//a.test/" in url:
            return FetchResult(url, Outcome.INVALID, error="refused: address 10.0.0.1 is private")
        return super().answer(url)


def test_a_refused_url_keeps_its_state(listdb: Path) -> None:
    """Refusing a private address is curator's policy, not news about the link: it neither
    starts a failure streak nor makes the next pass a 'recovery'."""
    state_sql = (
        "select s.state, s.last_outcome from url_state s join url u on u.id = s.url_id "
        "where u.url = 'https://a.test/ok/1'"
    )
    fake = RefusingEngine(refuse=False)
    check(listdb, fake, T0)
    assert rows(listdb, state_sql) == [("ok", "ok")]
    fake.refuse = True
    summary = check(listdb, fake, T0 + timedelta(days=2))
    refused = next(r for r in summary.results if r.url == "https://a.test/ok/1")  # type: ignore[attr-defined]
    assert refused.outcome is Outcome.INVALID and refused.error.startswith("refused: ")
    assert rows(listdb, state_sql) == [("ok", "ok")]  # unchanged, not suspect
    fake.refuse = False
    check(listdb, fake, T0 + timedelta(days=4))
    assert rows(listdb, state_sql) == [("ok", "ok")]  # not 'recovered': it never failed
    results = rows(
        listdb,
        "select r.outcome from check_result r join url u on u.id = r.url_id "
        "where u.url = 'https://a.test/ok/1' order by r.checked_at",
    )
    assert [o for (o,) in results] == ["ok", "invalid", "ok"]  # the history keeps all three


def test_urls_slow_at_their_last_check_go_first(listdb: Path) -> None:
    fake = FakeEngine()
    check(listdb, fake, T0)
    slow = fake.calls[0][-1]  # last in the list's order (URL ids) on a first check
    with sqlite3.connect(listdb) as conn:
        conn.execute(
            "UPDATE check_result SET elapsed_ms = 9000"
            " WHERE url_id = (SELECT id FROM url WHERE url = ?)",
            (slow,),
        )
    check(listdb, fake, T0 + timedelta(days=2), max_age=timedelta(0))
    assert fake.calls[1][0] == slow
    assert sorted(fake.calls[1]) == sorted(fake.calls[0])
    assert fake.calls[1][1:] == [u for u in fake.calls[0] if u != slow]  # the rest in order
