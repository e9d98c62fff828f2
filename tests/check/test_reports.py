"""A check's report is read back from the DB once the run ends and kept in a temporary
file (check/reports.py); its JSON and JUnit forms are written as the reports are read,
never built as one string.

What a user gets must not change: the reports below are compared with the one-string
renderings `curator check` used while it kept every result in memory (copied here as the
reference). A real SQLite file, the real HTTP engine (--allow-private) and the small
server on 127.0.0.1 of test_cli.py; 1,200 URLs, so that the selection, the DB reads and
the writers all go past their batch sizes (500 and 1,000 rows).
"""

from __future__ import annotations

import gc
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from curator.check.runner import CheckOptions, run_check
from curator.check.summary import CheckSummary, FailOn, UrlReport
from curator.check.types import CheckConfig, LinkState, Outcome
from curator.cli import checkformat
from curator.util.fsutil import atomic_writer
from tests.check.test_cli import server  # noqa: F401  (server: the fixture)
from tests.support.cli import run_cli

pytestmark = pytest.mark.slow

N = 1200
KINDS = ("ok", "ok", "ok", "gone", "redir", "forbidden")
T0 = datetime(2026, 12, 1, tzinfo=UTC)


def make_list(tmp_path: Path, base: str) -> tuple[Path, Path]:
    lines = ["# Many", "", "## Links", ""]
    lines += [f"- [L{i}]({base}/{KINDS[i % len(KINDS)]}/{i}) - number {i}." for i in range(N)]
    lines += [
        f"- [Again]({base}/ok/0) - the first URL, twice.",
        "",
        "<!-- curator-ignore -->",
        f"- [Quiet]({base}/ok/quiet) - not checked.",
        "",
        "- [Guide](./docs/guide.md) - relative.",
    ]
    md = tmp_path / "many.md"
    md.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = tmp_path / "c.db"
    assert run_cli("import", md, "--db", db).code == 0
    return db, md


# --- the renderings of the in-memory report, as they were -----------------------------


def old_problems(results: list[UrlReport]) -> list[UrlReport]:
    skip = (Outcome.OK, Outcome.SKIPPED, Outcome.EXCLUDED, Outcome.LOCAL)
    rank = {
        o: i
        for i, o in enumerate(
            [
                Outcome.GONE,
                Outcome.INVALID,
                Outcome.TIMEOUT,
                Outcome.TRANSIENT,
                Outcome.BLOCKED,
                Outcome.REDIRECTED,
            ]
        )
    }
    found = [r for r in results if r.outcome not in skip or r.broken or r.title_drift or r.reason]
    return sorted(found, key=lambda r: (not r.broken, rank.get(r.outcome, 99), r.url))


def old_json(summary: CheckSummary, results: list[UrlReport]) -> str:
    head = json.dumps({o.value: summary.counts.get(o, 0) for o in Outcome}, ensure_ascii=False)
    if not results:
        return f'{{\n  "summary": {head},\n  "results": []\n}}\n'
    rows = ",\n    ".join(json.dumps(r.as_json(), ensure_ascii=False) for r in results)
    return f'{{\n  "summary": {head},\n  "results": [\n    {rows}\n  ]\n}}\n'


def old_junit(summary: CheckSummary, results: list[UrlReport]) -> str:
    suite = ET.Element(
        "testsuite",
        name="curator check",
        tests=str(len(results)),
        time=f"{summary.elapsed_s:.3f}",
        timestamp=summary.started_at.isoformat(),
    )
    failures = skipped = 0
    for r in results:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=", ".join(r.locations) or "curator",
            name=r.url,
            time=f"{r.elapsed_ms / 1000:.3f}",
        )
        line = checkformat._problem_line(r)
        if r.outcome is Outcome.GONE or r.broken:
            failures += 1
            state = r.state.value if r.state else "unchecked"
            fail = ET.SubElement(
                case, "failure", type=r.outcome.value, message=f"{r.outcome.value} ({state})"
            )
            fail.text = line
        elif r.outcome in (Outcome.SKIPPED, Outcome.EXCLUDED) or (
            r.outcome is Outcome.LOCAL and r.status is None
        ):
            skipped += 1
            ET.SubElement(case, "skipped", message=r.error or r.outcome.value)
        elif r.outcome not in (Outcome.OK, Outcome.LOCAL):
            ET.SubElement(case, "system-out").text = line
    suite.set("failures", str(failures))
    suite.set("skipped", str(skipped))
    suite.set("errors", "0")
    ET.indent(suite)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, "unicode") + "\n"


def written(tmp_path: Path, summary: CheckSummary, fmt: checkformat.CheckFormat) -> str:
    out = tmp_path / f"report.{fmt.value}"
    with atomic_writer(out) as fh:
        checkformat.write(summary, fmt, fh)
    return out.read_text(encoding="utf-8")


# --- the tests ----------------------------------------------------------------------------


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
def test_reports_read_back_and_streamed_equal_the_in_memory_forms(
    tmp_path: Path,
    server: tuple[str, list[str]],  # noqa: F811
) -> None:
    base, _hits = server
    db, md = make_list(tmp_path, base)
    config = CheckConfig(allow_private=True, retries=0, timeout=5.0)
    summary = run_check(db, CheckOptions(config=config, now=T0, fail_on=FailOn.NEVER))
    results = list(summary.results)

    # every URL once, in (url, locations) order, counted as the summary says
    assert results == list(summary.results)  # read again: the same
    assert len(results) == summary.total == N + 2  # + the ignored entry and the relative link
    assert results == sorted(results, key=lambda r: (r.url, r.locations))
    assert len({r.url for r in results}) == len(results)
    tally = Counter(r.outcome for r in results)
    assert summary.counts == {o: tally.get(o, 0) for o in Outcome}
    assert tally[Outcome.GONE] == N // len(KINDS) and tally[Outcome.EXCLUDED] == 1
    assert summary.checked == summary.to_check == N
    assert summary.confirmed_broken == sum(r.broken for r in results) == 0
    assert list(summary.problems) == old_problems(results)
    first = next(r for r in results if r.url == f"{base}/ok/0")
    assert first.locations == (f"{md}:5", f"{md}:{N + 5}") and first.state is LinkState.OK
    moved = next(r for r in results if r.url == f"{base}/redir/4")
    assert (moved.outcome, moved.final_url, moved.title) == (
        Outcome.REDIRECTED,
        f"{base}/ok/4",
        "Page 4",
    )

    # the written forms are the one-string forms, to the byte
    assert written(tmp_path, summary, checkformat.CheckFormat.JSON) == old_json(summary, results)
    assert written(tmp_path, summary, checkformat.CheckFormat.JUNIT) == old_junit(summary, results)

    # a reader may stop early; the next run checks and writes as ever
    partial = iter(summary.results)
    assert next(partial) == results[0]
    del partial
    gc.collect()
    later = run_check(db, CheckOptions(config=config, now=T0, fail_on=FailOn.NEVER))
    assert list(summary.results) == results  # the first run's report, as it ended
    failing = tally[Outcome.GONE] + tally[Outcome.BLOCKED]  # checked again; passes are not
    assert later.checked == failing and later.counts[Outcome.SKIPPED] == N - failing
    again = list(later.results)
    assert [r.url for r in again] == [r.url for r in results]
    ok = next(r for r in again if r.url == f"{base}/ok/0")
    assert (ok.outcome, ok.status, ok.state, ok.title) == (
        Outcome.SKIPPED,
        200,
        LinkState.OK,
        "Page 0",
    )


def test_a_reports_file_equals_what_stdout_shows(
    tmp_path: Path,
    server: tuple[str, list[str]],  # noqa: F811
) -> None:
    base, _hits = server
    db, _md = make_list(tmp_path, base)
    args = ("check", "--db", db, "--allow-private", "--retries", "0", "--max-age", "0")
    args += ("--now", "2026-12-01T00:00:00", "--fail-on", "never")
    out, results_file = tmp_path / "out.json", tmp_path / "results.jsonl"
    assert run_cli(*args, "-f", "json", "-o", out, "--results-out", results_file).code == 0
    shown = run_cli(*args, "-f", "json")
    assert shown.code == 0, shown.stderr

    def without_times(text: str) -> dict[str, object]:
        data = json.loads(text)
        for r in data["results"]:
            r.pop("elapsed_ms")
        return data

    assert without_times(out.read_text(encoding="utf-8")) == without_times(shown.stdout)
    lines = results_file.read_text(encoding="utf-8").splitlines()
    header, records = json.loads(lines[0]), [json.loads(line) for line in lines[1:]]
    assert header["counts"]["checked"] == len(records) == N
    assert len({r["normalized"] for r in records}) == N  # each checked URL once
