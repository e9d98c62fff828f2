"""`curator report`: sections over simulated runs, GitHub's size limit, JSON, CI publishing.

The HTTP layer is replaced by a scripted engine (`run_check(engine_fn=...)`) so that each
run's outcomes and clock are exact; the state machine, the DB and the report are real.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from curator.check.runner import CheckOptions, run_check
from curator.check.summary import FailOn
from curator.check.types import FetchResult, LinkState, Outcome
from curator.errors import ExitCode
from curator.ingest.importer import import_paths
from curator.report.actions import make_report
from curator.report.build import build_report
from curator.report.model import Scope, Section
from curator.report.render import (
    ISSUE_BODY_LIMIT,
    issue_report,
    load_issue_report,
    render_json,
    render_markdown,
    report_from_json,
    split_marker,
)
from curator.store.connect import open_engine
from tests.support.cli import SEEDS, run_cli

DAY0 = datetime(2025, 3, 3, 6, 0, tzinfo=UTC)
LIST = """# Reading list

## Papers

- [Alpha](https://alpha.example/paper) - goes 404 and stays down.
- [Flappy](https://flappy.example/) - flaps.
- [Gamma](https://gamma.example/) - recovers.
- [Delta](https://delta.example/) - always fine.
- [Moved](https://old.example/home) - moved for good.
"""
Script = Mapping[str, tuple[Outcome, int | None]]


def scripted(script: Script, titles: Mapping[str, str] | None = None) -> Callable[..., object]:
    """An engine that answers from `script` (by host) instead of the network."""

    async def engine_fn(urls, config, on_result, stop=None):  # type: ignore[no-untyped-def]
        for url in urls:
            host = url.split("/")[2]
            outcome, status = script.get(host, (Outcome.OK, 200))
            final = "https://new.example/home" if outcome is Outcome.REDIRECTED else None
            title = (titles or {}).get(host)
            on_result(FetchResult(url, outcome, status, final_url=final, title=title))

    return engine_fn


def check(db: Path, day: float, script: Script, **kw: object) -> int:
    options = CheckOptions(now=DAY0 + timedelta(days=day), max_age=timedelta(0))
    summary = run_check(open_engine(db), options, engine_fn=scripted(script, **kw))  # type: ignore[arg-type]
    return int(summary.exit_code)


GONE = (Outcome.GONE, 404)
OK = (Outcome.OK, 200)
MOVED = (Outcome.REDIRECTED, 200)


def urls(report_section: tuple[object, ...]) -> set[str]:
    return {item.url for item in report_section}  # type: ignore[attr-defined]


@pytest.fixture
def listing(tmp_path: Path) -> Path:
    path = tmp_path / "list.md"
    path.write_text(LIST, encoding="utf-8")
    return path


def test_sections_follow_the_history_over_four_runs(db: Path, listing: Path) -> None:
    engine = open_engine(db)
    import_paths(engine, [listing])
    base = {"old.example": MOVED}

    check(db, 0, {**base, "alpha.example": GONE, "gamma.example": GONE})
    r1 = build_report(engine)
    assert not r1.has_history and r1.broken == 0
    assert urls(r1.items(Section.SUSPECT)) == {
        "https://alpha.example/paper",
        "https://gamma.example/",
    }
    assert [i.final_url for i in r1.items(Section.REDIRECTED)] == ["https://new.example/home"]

    code = check(
        db, 2, {**base, "alpha.example": GONE, "gamma.example": GONE, "flappy.example": GONE}
    )
    r2 = build_report(engine)
    assert code == ExitCode.BROKEN and r2.broken == 2
    assert urls(r2.items(Section.NEWLY_BROKEN)) == {
        "https://alpha.example/paper",
        "https://gamma.example/",
    }
    alpha = next(i for i in r2.items(Section.NEWLY_BROKEN) if "alpha" in i.url)
    assert alpha.locations == (f"{listing}:5",)
    assert alpha.since == DAY0 and alpha.status == 404 and alpha.previous is LinkState.SUSPECT
    assert urls(r2.items(Section.SUSPECT)) == {"https://flappy.example/"}

    check(db, 4, {**base, "alpha.example": GONE})
    r3 = build_report(engine)
    assert urls(r3.items(Section.STILL_BROKEN)) == {"https://alpha.example/paper"}
    assert not r3.items(Section.NEWLY_BROKEN)
    assert "https://gamma.example/" in urls(r3.items(Section.RECOVERED))

    # The maintainer replaces the dead link; the flapping one fails again.
    listing.write_text(LIST.replace("alpha.example/paper", "alpha.example/new-paper"))
    import_paths(engine, [listing])
    check(db, 6, {**base, "flappy.example": GONE})
    r4 = build_report(engine)
    assert r4.broken == 0 and r4.has_history
    assert urls(r4.items(Section.FIXED)) == {"https://alpha.example/paper"}
    assert urls(r4.items(Section.FLAKY)) == {"https://flappy.example/"}
    assert r4.exit_code(FailOn.CONFIRMED) is ExitCode.OK
    assert r4.exit_code(FailOn.GONE) is ExitCode.BROKEN  # flappy was gone in this run
    assert r4.exit_code(FailOn.NEVER) is ExitCode.OK

    assert "https://gamma.example/" not in urls(r4.items(Section.RECOVERED))  # said in run 3

    # Compared with the state after run 2 instead, gamma recovered and alpha was fixed.
    since = build_report(engine, since=(DAY0 + timedelta(days=3)).isoformat())
    assert since.baseline is not None and since.baseline.id == 2
    assert urls(since.items(Section.RECOVERED)) == {"https://gamma.example/"}
    assert urls(since.items(Section.FIXED)) == {"https://alpha.example/paper"}


def test_report_command_points_at_real_seed_lines(db: Path) -> None:
    engine = open_engine(db)
    import_paths(engine, [SEEDS["frameworks"]])
    hosts = ["github.com", "pytorch.org"]
    script = {h: GONE for h in hosts}
    check(db, 0, script)
    check(db, 3, script)
    r = run_cli("report", "--format", "json", "--db", db)
    assert r.code == 0, r.stderr
    data = json.loads(r.stdout)
    broken = data["newly_broken"]
    assert data["summary"]["broken"] == len(broken) > 5
    lines = SEEDS["frameworks"].read_text(encoding="utf-8").splitlines()
    for item in broken:
        assert item["url"].split("/")[2] in hosts and item["status"] == 404
        for loc in item["locations"]:
            path, _, line = loc.rpartition(":")
            assert Path(path).name == SEEDS["frameworks"].name
            # The line the link is written on (maybe spelled with tracking parameters).
            assert item["url"].split("?")[0] in lines[int(line) - 1]
    md = run_cli("report", "--db", db)
    assert md.code == 0
    assert f"### Newly broken ({len(broken)})" in md.stdout
    assert "seed" not in md.stderr


def test_markdown_fits_the_issue_limit_and_counts_what_it_leaves_out(
    db: Path, tmp_path: Path
) -> None:
    big = tmp_path / "big.md"
    rows = [
        f"- [Paper {i}](https://host{i % 40}.example/papers/{i:05d}-{'x' * 40})"
        for i in range(3000)
    ]
    big.write_text("# Big\n\n## All\n\n" + "\n".join(rows) + "\n", encoding="utf-8")
    engine = open_engine(db)
    import_paths(engine, [big])
    script = {f"host{i}.example": GONE for i in range(40)}
    check(db, 0, script)
    check(db, 2, script)
    report = build_report(engine)
    assert report.broken == 3000
    body = render_markdown(report)
    assert len(body) <= ISSUE_BODY_LIMIT
    shown = body.count("| <https://host")
    left = re.search(r"_…and (\d+) more not shown", body)
    assert left is not None and shown + int(left.group(1)) == 3000
    assert f"{3000 - shown:,} of 3,000 rows are left out" in body
    assert "**3000 links confirmed broken** (3000 new)" in body
    assert split_marker(body)[2] == 3000  # the marker still says how many are broken
    # The JSON report is never truncated.
    assert len(json.loads(render_json(report))["newly_broken"]) == 3000
    # A tighter limit keeps fewer rows but stays valid.
    small = render_markdown(report, limit=5000)
    assert len(small) <= 5000 and small.count("| <https://host") < shown


def test_json_report_reads_back_to_the_same_issue_body(
    db: Path, listing: Path, tmp_path: Path
) -> None:
    engine = open_engine(db)
    import_paths(engine, [listing])
    check(db, 0, {"alpha.example": GONE})
    check(db, 2, {"alpha.example": GONE, "old.example": MOVED})
    report = build_report(engine)
    again = report_from_json(render_json(report))
    assert render_markdown(again) == render_markdown(report)
    path = tmp_path / "report.json"
    path.write_text(render_json(report), encoding="utf-8")
    loaded = load_issue_report(path)
    assert loaded == issue_report(report)
    assert loaded.broken == 1 and loaded.has_history
    md = tmp_path / "report.md"
    md.write_text(render_markdown(report), encoding="utf-8")
    assert load_issue_report(md).digest == loaded.digest
    bad = tmp_path / "notes.md"
    bad.write_text("# just notes\n", encoding="utf-8")
    r = run_cli("ci", "sync-issue", "--repo", "o/r", "--report", bad)
    assert r.code == 2 and "not a curator report" in r.stderr


def test_titles_cannot_mention_people_or_break_the_table(db: Path, listing: Path) -> None:
    engine = open_engine(db)
    import_paths(engine, [listing])
    titles = {"alpha.example": "Fixed by @octocat | see #12 <b>now</b>"}
    check(db, 0, {}, titles=titles)
    check(db, 1, {"alpha.example": GONE})
    check(db, 3, {"alpha.example": GONE})
    body = render_markdown(build_report(engine))
    row = next(line for line in body.splitlines() if "alpha.example" in line)
    assert "@octocat" not in row and "#12" not in row and "<b>" not in row
    assert row.count(" | ") == 4  # five cells: the title's pipe is escaped


def test_scope_run_shows_only_what_the_latest_run_checked(db: Path, listing: Path) -> None:
    engine = open_engine(db)
    import_paths(engine, [listing])
    check(db, 0, {"alpha.example": GONE, "gamma.example": GONE})
    options = CheckOptions(
        now=DAY0 + timedelta(days=1),
        max_age=timedelta(0),
        only_urls=frozenset({"https://gamma.example/"}),
    )
    run_check(engine, options, engine_fn=scripted({"gamma.example": GONE}))  # type: ignore[arg-type]
    everything = build_report(engine)
    pr = build_report(engine, scope=Scope.RUN)
    assert urls(everything.items(Section.SUSPECT)) == {
        "https://alpha.example/paper",
        "https://gamma.example/",
    }
    assert urls(pr.items(Section.SUSPECT)) == {"https://gamma.example/"}
    assert sum(pr.outcomes.values()) == 1


def test_in_github_actions_it_publishes_summary_outputs_and_annotations(
    db: Path, listing: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = open_engine(db)
    import_paths(engine, [listing])
    check(db, 0, {"alpha.example": GONE, "old.example": MOVED})
    check(db, 2, {"alpha.example": GONE, "gamma.example": GONE, "old.example": MOVED})
    summary, outputs = tmp_path / "summary.md", tmp_path / "outputs.txt"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    report_file = tmp_path / "out" / "link-rot.md"
    r = run_cli("report", "--output", report_file, "--db", db)
    assert r.code == 0, r.stderr
    assert "### Newly broken (1)" in summary.read_text(encoding="utf-8")
    assert report_file.read_text(encoding="utf-8") == summary.read_text(encoding="utf-8")
    out = outputs.read_text(encoding="utf-8")
    assert re.search(r"exit-code<<(\S+)\n1\n\1\n", out)
    assert re.search(r"broken<<(\S+)\n1\n\1\n", out)
    assert str(report_file.resolve()) in out
    # Paths are relative to the workspace; lines are 1-based.
    assert "::error file=list.md,line=5,title=Broken link::https%3A" not in r.stdout
    assert "::error file=list.md,line=5,title=Broken link::https://alpha.example/paper" in r.stdout
    assert "::warning file=list.md,line=7,title=Failing link::https://gamma.example/" in r.stdout
    assert "::warning file=list.md,line=9,title=Link moved permanently::" in r.stdout
    # --fail-on gone turns the not-yet-confirmed 404 into an error as well.
    run = make_report(engine, fail_on=FailOn.GONE, ci=True, env={"GITHUB_WORKSPACE": str(tmp_path)})
    assert any(c.startswith("::error file=list.md,line=7,") for c in run.commands)
    assert run.exit_code is ExitCode.BROKEN
    # Outside Actions nothing is published.
    quiet = make_report(engine, env={})
    assert quiet.commands == () and not quiet.in_actions


def test_report_on_an_empty_database_is_a_clear_error(db: Path) -> None:
    r = run_cli("report", "--db", db)
    assert r.code == 2
    assert r.stderr.startswith("Error: ") and "import" in r.stderr


def test_bad_since_is_a_usage_error(db: Path, listing: Path) -> None:
    import_paths(open_engine(db), [listing])
    r = run_cli("report", "--since", "last tuesday", "--db", db)
    assert r.code == 2 and "--since" in r.stderr


def test_outcome_counts_match_the_check_summary(db: Path, tmp_path: Path) -> None:
    """Links the run did not fetch (curator-ignore, relative) count in the report as they
    did in `curator check`'s own summary."""
    path = tmp_path / "list.md"
    path.write_text(
        LIST + "\n<!-- curator-ignore -->\n- [Hidden](https://hidden.example/) - ignored.\n"
        "- [Notes](./notes.md) - a relative link.\n",
        encoding="utf-8",
    )
    engine = open_engine(db)
    import_paths(engine, [path])
    options = CheckOptions(now=DAY0, max_age=timedelta(0))
    summary = run_check(engine, options, engine_fn=scripted({"alpha.example": GONE}))  # type: ignore[arg-type]
    expected = {o.value: n for o, n in summary.counts.items() if n}
    assert expected["excluded"] == 1 and expected["local"] == 1 and expected["gone"] == 1
    outcomes = {k: v for k, v in build_report(engine).outcomes.items() if v}
    assert outcomes == expected
