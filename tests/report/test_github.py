"""`curator ci sync-issue` against a fake GitHub API (respx): one issue, created, updated,
closed, never duplicated; pagination, rate limits and permissions."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import respx

from curator.check.types import LinkState, Outcome
from curator.errors import GitHubError
from curator.report.github import GitHub, SyncAction, sync_issue
from curator.report.model import Report, ReportItem, RunInfo, Scope, Section
from curator.report.render import REPORT_MARK, issue_report, render_json
from tests.support.cli import run_cli
from tests.support.fake_github import REPO, FakeGitHub

T1 = datetime(2025, 3, 5, 6, tzinfo=UTC)


def item(
    url: str, state: LinkState = LinkState.BROKEN, prev: LinkState = LinkState.SUSPECT
) -> ReportItem:
    return ReportItem(
        url=url,
        state=state,
        previous=prev,
        outcome=Outcome.GONE if state is LinkState.BROKEN else Outcome.OK,
        status=404 if state is LinkState.BROKEN else 200,
        since=datetime(2025, 3, 3, 6, tzinfo=UTC) if state is LinkState.BROKEN else None,
        last_checked_at=T1,
        final_url=None,
        archived_url=None,
        title=None,
        error=None,
        locations=("README.md:12",),
    )


def make_report(
    *broken: str, recovered: tuple[str, ...] = (), history: bool = True, run: int = 2
) -> Report:
    sections = {}
    if broken:
        sections[Section.NEWLY_BROKEN] = tuple(item(u) for u in broken)
    if recovered:
        sections[Section.RECOVERED] = tuple(
            item(u, LinkState.RECOVERED, LinkState.BROKEN) for u in recovered
        )
    return Report(
        scope=Scope.ALL,
        run=RunInfo(run, T1, T1, "done"),
        baseline=RunInfo(run - 1, T1, T1, "done") if history else None,
        baseline_at=T1 if history else None,
        check_runs=run,
        outcomes={"gone": len(broken), "ok": 3},
        sections=sections,
    )


@pytest.fixture
def fake() -> FakeGitHub:
    return FakeGitHub()


def client(fake: FakeGitHub, **kw: object) -> GitHub:
    return GitHub(REPO, fake.token, base_url=fake.base, sleep=lambda s: None, **kw)  # type: ignore[arg-type]


def test_no_issue_yet_creates_one_with_the_label(fake: FakeGitHub) -> None:
    fake.add("Unrelated bug", labels=("bug",))
    with fake.mount_respx(), client(fake) as gh:
        result = sync_issue(gh, issue_report(make_report("https://a.example/x")))
    assert result.action is SyncAction.CREATED
    [issue] = fake.open_issues()
    assert issue["title"] == "Link rot report" and result.issue == issue["number"]
    assert REPORT_MARK in issue["body"] and "https://a.example/x" in issue["body"]
    assert fake.writes == [("POST", f"/repos/{REPO}/issues")]


def test_open_issue_and_a_new_report_updates_it(fake: FakeGitHub) -> None:
    with fake.mount_respx(), client(fake) as gh:
        first = sync_issue(gh, issue_report(make_report("https://a.example/x")))
        second = sync_issue(
            gh, issue_report(make_report("https://a.example/x", "https://b.example/", run=3))
        )
    assert (first.action, second.action) == (SyncAction.CREATED, SyncAction.UPDATED)
    [issue] = fake.open_issues()  # updated, not duplicated
    assert "https://b.example/" in issue["body"]
    assert fake.writes[-1] == ("PATCH", f"/repos/{REPO}/issues/{issue['number']}")


def test_clean_report_closes_the_issue_with_a_comment(fake: FakeGitHub) -> None:
    with fake.mount_respx(), client(fake) as gh:
        sync_issue(gh, issue_report(make_report("https://a.example/x")))
        result = sync_issue(
            gh, issue_report(make_report(recovered=("https://a.example/x",), run=3))
        )
        again = sync_issue(gh, issue_report(make_report(recovered=("https://a.example/x",), run=3)))
    assert result.action is SyncAction.CLOSED and again.action is SyncAction.NOTHING
    assert fake.issues[result.issue]["state"] == "closed"  # type: ignore[index]
    [comment] = fake.comments[result.issue]  # type: ignore[index]
    assert "fixed or recovered" in comment and "https://a.example/x" in comment


def test_without_history_a_clean_report_keeps_the_issue_open(fake: FakeGitHub) -> None:
    """A lost cache makes a fresh DB whose first run confirms nothing: not a fix."""
    with fake.mount_respx(), client(fake) as gh:
        sync_issue(gh, issue_report(make_report("https://a.example/x")))
        result = sync_issue(gh, issue_report(make_report(history=False, run=1)))
    assert result.action is SyncAction.KEPT_OPEN
    assert len(fake.open_issues()) == 1 and len(fake.writes) == 1


def test_same_report_twice_writes_nothing(
    fake: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "report.json"
    path.write_text(render_json(make_report("https://a.example/x")), encoding="utf-8")
    monkeypatch.setenv("GITHUB_TOKEN", fake.token)
    monkeypatch.setenv("GITHUB_API_URL", fake.base)
    with fake.mount_respx():
        first = run_cli("ci", "sync-issue", "--repo", REPO, "--report", path)
        writes = list(fake.writes)
        second = run_cli("ci", "sync-issue", "--repo", REPO, "--report", path)
    assert first.code == 0 and first.stdout.startswith("created: opened issue #1")
    assert second.code == 0 and second.stdout.startswith("unchanged: issue #1 is up to date")
    assert fake.writes == writes == [("POST", f"/repos/{REPO}/issues")]
    assert fake.requests[-1][0] == "GET"


def test_finds_the_issue_on_a_later_page_and_skips_pull_requests(fake: FakeGitHub) -> None:
    fake.per_page_cap = 2  # force several pages
    for n in range(3):
        fake.add(f"Dead link in PR {n}", labels=("link-rot",), pr=True)
    fake.add("Someone else's issue", labels=("link-rot",))
    ours = issue_report(make_report("https://a.example/x"))
    number = fake.add("Link rot report", body=ours.body, labels=("link-rot",))
    with fake.mount_respx() as router, client(fake) as gh:
        found = gh.find_open_issue("link-rot")
        result = sync_issue(gh, ours)
        pages = [c.request.url for c in router.calls if c.request.method == "GET"]
    assert found is not None and found.number == number
    assert result.action is SyncAction.UNCHANGED and fake.writes == []
    assert len(pages) == 6 and "page=3" in str(pages[2])


def test_next_page_on_another_host_is_refused(fake: FakeGitHub) -> None:
    with respx.mock(base_url=fake.base) as router:
        router.get(f"/repos/{REPO}/issues").respond(
            200, json=[], headers={"link": '<https://evil.test/steal?page=2>; rel="next"'}
        )
        with client(fake) as gh, pytest.raises(GitHubError, match="another host"):
            gh.find_open_issue("link-rot")


def test_403_without_permission_is_a_clear_error_and_exit_2(
    fake: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.forbid_writes = True
    path = tmp_path / "report.json"
    path.write_text(render_json(make_report("https://a.example/x")), encoding="utf-8")
    monkeypatch.setenv("GITHUB_TOKEN", fake.token)
    monkeypatch.setenv("GITHUB_API_URL", fake.base)
    with fake.mount_respx():
        r = run_cli("ci", "sync-issue", "--repo", REPO, "--report", path)
    assert r.code == 2
    assert r.stderr.startswith("Error: GitHub refused POST /repos/octo/awesome/issues (403")
    assert "Resource not accessible by integration" in r.stderr
    assert "issues: write" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert fake.open_issues() == []


def test_missing_token_and_bad_repo_are_usage_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "report.json"
    path.write_text(render_json(make_report("https://a.example/x")), encoding="utf-8")
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("GH_TOKEN", raising=False)
    r = run_cli("ci", "sync-issue", "--repo", REPO, "--report", path)
    assert r.code == 2 and "GITHUB_TOKEN is not set" in r.stderr
    monkeypatch.setenv("GITHUB_TOKEN", "x")
    r = run_cli("ci", "sync-issue", "--repo", "not a repo", "--report", path)
    assert r.code == 2 and "OWNER/NAME" in r.stderr


def test_bad_token_is_reported_as_such(fake: FakeGitHub) -> None:
    with (
        fake.mount_respx(),
        GitHub(REPO, "wrong", base_url=fake.base) as gh,
        pytest.raises(GitHubError, match="rejected the token") as exc,
    ):
        gh.find_open_issue("link-rot")
    assert exc.value.exit_code == 2


@pytest.mark.parametrize(
    ("status", "headers", "waited"),
    [
        (429, {"retry-after": "7"}, 7.0),
        (403, {"retry-after": "2"}, 2.0),
        (403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1030"}, 31.0),
        (403, {}, 60.0),  # a secondary rate limit, said only in the message
    ],
    ids=["429-retry-after", "403-retry-after", "403-reset", "secondary"],
)
def test_rate_limits_are_waited_out_and_retried(
    status: int, headers: dict[str, str], waited: float
) -> None:
    sleeps: list[float] = []
    base = "https://api.github.test"
    with respx.mock(base_url=base) as router:
        route = router.get(f"/repos/{REPO}/issues")
        route.side_effect = [
            httpx.Response(status, headers=headers, json={"message": "API rate limit exceeded"}),
            httpx.Response(200, json=[]),
        ]
        with GitHub(REPO, "t", base_url=base, sleep=sleeps.append, clock=lambda: 1000.0) as gh:
            assert gh.find_open_issue("link-rot") is None
    assert sleeps == [waited] and route.call_count == 2


def test_a_rate_limit_longer_than_the_cap_fails_without_waiting() -> None:
    sleeps: list[float] = []
    base = "https://api.github.test"
    with respx.mock(base_url=base) as router:
        router.get(f"/repos/{REPO}/issues").respond(
            403, headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "4600"}, json={}
        )
        with (
            GitHub(REPO, "t", base_url=base, sleep=sleeps.append, clock=lambda: 1000.0) as gh,
            pytest.raises(GitHubError, match=r"retry allowed in 3601 s"),
        ):
            gh.find_open_issue("link-rot")
    assert sleeps == []


def test_server_errors_are_retried_then_reported() -> None:
    sleeps: list[float] = []
    base = "https://api.github.test"
    with respx.mock(base_url=base) as router:
        route = router.get(f"/repos/{REPO}/issues").respond(502, json={"message": "Bad gateway"})
        with (
            GitHub(REPO, "t", base_url=base, sleep=sleeps.append, retries=2) as gh,
            pytest.raises(GitHubError, match="502 Bad gateway"),
        ):
            gh.find_open_issue("link-rot")
    assert route.call_count == 3 and sleeps == [1.0, 2.0]
