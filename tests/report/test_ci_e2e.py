"""End to end: scheduled runs over injected days against a local web server, the report,
and the tracking issue on a fake GitHub API served over HTTP on 127.0.0.1; then PR mode
(`curator check --diff`) in a real git repository.

The list has four links: one goes 404 and stays down, one flaps, one is down and then
recovers, one is always fine. Runs are Monday/Thursday apart, as the scheduled workflow.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.fake_github import REPO, FakeGitHub
from tests.support.local_site import Site, serve_site

pytestmark = pytest.mark.slow

DAY0 = datetime(2025, 3, 3, 5, 17, tzinfo=UTC)


@pytest.fixture
def site() -> Iterator[Site]:
    with serve_site() as s:
        yield s


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    fake = FakeGitHub()
    with fake.serve():
        yield fake


def write_list(path: Path, site: Site, down: str = "/paper") -> None:
    path.write_text(
        "# Awesome things\n"
        "\n"
        "## Reading\n"
        "\n"
        f"- [Down for good]({site.url(down)}) - goes 404 and stays down.\n"
        f"- [Flapping]({site.url('/flaps')}) - up, down, up, down.\n"
        f"- [Comes back]({site.url('/recovers')}) - down for a while.\n"
        f"- [Always fine]({site.url('/fine')}) - never fails.\n",
        encoding="utf-8",
    )


def test_four_scheduled_runs_one_issue_created_updated_closed(
    tmp_path: Path, site: Site, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    lst, db = Path("awesome.md"), tmp_path / "history" / "curator.db"
    write_list(lst, site)
    monkeypatch.setenv("GITHUB_TOKEN", github.token)
    monkeypatch.setenv("GITHUB_API_URL", github.base)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    flaps = site.url("/flaps")

    def scheduled_run(day: int, status: dict[str, int]) -> tuple[int, str, str]:
        """One run of the workflow: import, check, report, sync-issue."""
        site.status = {"/fine": 200, "/replaced": 200, **status}
        summary, outputs = tmp_path / f"summary-{day}.md", tmp_path / f"out-{day}.txt"
        monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
        monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
        monkeypatch.setenv("CURATOR_NOW", (DAY0 + timedelta(days=day)).isoformat())
        assert run_cli("import", lst, "--db", db).code == 0
        check = run_cli("check", "--allow-private", "--retries", "0", "--db", db)
        assert check.code in (0, 1), check.stderr
        report = run_cli("report", "--format", "json", "--output", "report.json", "--db", db)
        assert report.code == 0, report.stderr
        assert re.search(rf"exit-code<<(\S+)\n{check.code}\n\1", outputs.read_text())
        sync = run_cli("ci", "sync-issue", "--repo", REPO, "--report", "report.json")
        assert sync.code == 0, sync.stderr
        return check.code, sync.stdout.split(":")[0], report.stdout

    def body() -> str:
        [issue] = github.open_issues()
        return str(issue["body"])

    def broken_part(text: str) -> str:
        """The broken sections of an issue body (what the issue is about)."""
        return text.split("<details>")[0]

    # Run 1, Monday: two links fail once. Suspect only: no issue.
    code, action, annotations = scheduled_run(0, {"/paper": 404, "/flaps": 200, "/recovers": 404})
    assert (code, action) == (0, "nothing")
    assert github.issues == {} and github.writes == []
    assert "::warning file=awesome.md,line=5,title=Failing link::" in annotations
    assert "::error" not in annotations

    # Run 2, Thursday: gone twice over 3 days -> confirmed; the issue is created.
    code, action, annotations = scheduled_run(3, {"/paper": 404, "/flaps": 404, "/recovers": 404})
    assert (code, action) == (1, "created")
    text = body()
    assert "**2 links confirmed broken** (2 new)" in text
    assert "### Newly broken (2)" in text and site.url("/paper") in broken_part(text)
    assert "`awesome.md:5`" in text and "`awesome.md:7`" in text and "404 gone" in text
    assert flaps not in broken_part(text)  # failing once more, but not confirmed
    assert "::error file=awesome.md,line=5,title=Broken link::" in annotations
    assert "::error file=awesome.md,line=7,title=Broken link::" in annotations
    assert "::warning file=awesome.md,line=6,title=Failing link::" in annotations
    # The same report again changes nothing on GitHub.
    writes = list(github.writes)
    again = run_cli("ci", "sync-issue", "--repo", REPO, "--report", "report.json")
    assert again.stdout.startswith("unchanged:") and github.writes == writes

    # Run 3, Monday: one link is back; the issue is updated, not duplicated.
    code, action, _ = scheduled_run(7, {"/paper": 404, "/flaps": 200, "/recovers": 200})
    assert (code, action) == (1, "updated")
    text = body()
    assert "**1 link confirmed broken** (0 new)" in text
    assert "### Still broken (1)" in text and "### Recovered (1)" in text
    assert "2025-03-03 (7 d)" in text  # broken since the first failure
    recovered = text.split("### Recovered")[1]
    assert site.url("/recovers") in recovered and site.url("/paper") not in recovered
    assert len(github.issues) == 1

    # The maintainer replaces the dead link. Run 4, Thursday: the flapping link fails
    # again, yet nothing is broken: the issue is closed with a comment.
    write_list(lst, site, down="/replaced")
    code, action, _ = scheduled_run(10, {"/flaps": 404, "/recovers": 200})
    assert (code, action) == (0, "closed")
    assert github.open_issues() == [] and len(github.issues) == 1
    [number] = github.issues
    [comment] = github.comments[number]
    assert "fixed or recovered" in comment and site.url("/paper") in comment
    report = json.loads(Path("report.json").read_text(encoding="utf-8"))
    assert report["summary"]["broken"] == 0
    assert [i["url"] for i in report["flaky"]] == [flaps]
    assert [i["url"] for i in report["fixed"]] == [site.url("/paper")]

    # The flapping link never made it into the broken part of any issue body.
    assert all(flaps not in broken_part(str(i["body"])) for i in github.issues.values())
    assert [w for w in github.writes if w[0] == "POST" and w[1].endswith("/issues")] == [
        ("POST", f"/repos/{REPO}/issues")
    ]


def git(repo: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True, timeout=60
    )
    return proc.stdout


def test_pull_request_mode_checks_only_the_added_links(
    tmp_path: Path, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "list-repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "ci@example.test")
    git(repo, "config", "user.name", "CI")
    write_list(repo / "README.md", site)
    git(repo, "add", "README.md")
    git(repo, "commit", "-q", "-m", "list")
    git(repo, "checkout", "-q", "-b", "add-links")
    text = (repo / "README.md").read_text(encoding="utf-8")
    text = text.replace(
        "- [Always fine]",
        f"- [New and dead]({site.url('/new-dead')}) - added by the PR.\n"
        f"- [New and fine]({site.url('/new-fine')}) - added too.\n"
        "- [Always fine]",
    ).replace("goes 404 and stays down.", "edited text, same link.")
    (repo / "README.md").write_text(text, encoding="utf-8")
    git(repo, "commit", "-q", "-am", "add two links")

    monkeypatch.chdir(repo)
    db = tmp_path / "pr.db"
    site.status = {"/new-fine": 200, "/fine": 200}
    assert run_cli("import", "README.md", "--db", db).code == 0
    r = run_cli(
        "check",
        "--diff",
        "main",
        "--allow-private",
        "--fail-on",
        "gone",
        "--retries",
        "0",
        "--db",
        db,
    )
    assert r.code == 1, r.stderr  # a new link is gone right now
    assert "2 URLs on added lines of 1 Markdown file" in r.stderr
    # Only the two new links were requested: not the edited line's old link, not the rest.
    links = {p for p in site.requested if not p.startswith("/curator-probe-")}  # soft-404 probe
    assert sorted(links) == ["/new-dead", "/new-fine"]

    monkeypatch.setenv("GITHUB_WORKSPACE", str(repo))
    out = run_cli("report", "--scope", "run", "--fail-on", "gone", "--github", "--db", db)
    assert out.code == 0, out.stderr
    assert "::error file=README.md,line=8,title=Failing link::" in out.stdout
    assert out.stdout.count("::") == 2  # one annotation, on the added line
    assert "Run #1 checked 2 URLs in this pull request" in out.stdout

    assert run_cli("check", "--diff", "no-such-branch", "--db", db).code == 2
