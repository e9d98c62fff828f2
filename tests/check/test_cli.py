"""`curator check`, `status` and `exclude` end to end: a real SQLite file, the real HTTP
engine (with --allow-private) and a small HTTP server on 127.0.0.1 started by the test."""

from __future__ import annotations

import http.server
import json
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from tests.support.cli import run_cli
from tests.support.serving import serving

pytestmark = pytest.mark.slow


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the default backlog of 5 drops concurrent connects for 1 s

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that hung up (the interrupted run) is expected here


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hits: list[str]

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:
        self.hits.append(self.path)
        kind = self.path.split("/")[1]
        if kind == "gone":
            self._send(404, b"<html><head><title>Not Found</title></head></html>")
        elif kind == "redir":
            self._send(301, headers={"Location": self.path.replace("/redir/", "/ok/")})
        elif kind == "forbidden":
            self._send(403, b"no bots")
        else:
            title = f"Page {self.path.rsplit('/', 1)[-1]}"
            body = f"<html><head><title>{title}</title></head><body>hi</body></html>".encode()
            self._send(200, body, {"Content-Type": "text/html; charset=utf-8"})

    do_HEAD = do_GET


@pytest.fixture
def server() -> Iterator[tuple[str, list[str]]]:
    hits: list[str] = []
    handler = type("Handler", (_Handler,), {"hits": hits})
    with serving(_Server(("127.0.0.1", 0), handler)) as base:
        yield base, hits


def make_db(tmp_path: Path, base: str) -> tuple[Path, Path]:
    md = tmp_path / "links.md"
    md.write_text(
        "# Links\n\n## Good\n\n"
        f"- [One]({base}/ok/1) - fine.\n"
        f"- [Moved]({base}/redir/2) - moved for good.\n"
        f"- [One again]({base}/ok/1) - same URL.\n\n"
        "## Bad\n\n"
        f"- [Gone]({base}/gone/3) - 404.\n"
        f"- [Walled]({base}/forbidden/4) - 403.\n"
        "- [Docs](./docs/guide.md) - relative.\n",
        encoding="utf-8",
    )
    db = tmp_path / "c.db"
    assert run_cli("import", md, "--db", db).code == 0
    return db, md


def check(db: Path, *args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    res = run_cli("check", "--db", db, "--allow-private", "--retries", "0", "-f", "json", *args)
    assert res.stdout, res.stderr
    return res.code, json.loads(res.stdout)


def test_json_report_shape_and_content(tmp_path: Path, server: tuple[str, list[str]]) -> None:
    base, hits = server
    db, md = make_db(tmp_path, base)
    code, data = check(db)
    assert code == 0
    assert set(data) == {"summary", "results"}
    assert data["summary"] == {
        "ok": 1,
        "redirected": 1,
        "gone": 1,
        "blocked": 1,
        "transient": 0,
        "timeout": 0,
        "invalid": 0,
        "excluded": 0,
        "skipped": 0,
        "local": 1,
    }
    keys = {
        "url",
        "outcome",
        "status",
        "final_url",
        "redirects",
        "title",
        "error",
        "attempts",
        "elapsed_ms",
        "state",
        "locations",
        "reason",
        "title_drift",
        "archived_url",
    }
    assert all(set(r) == keys for r in data["results"])
    by_url = {r["url"]: r for r in data["results"]}
    one = by_url[f"{base}/ok/1"]
    assert (one["outcome"], one["status"], one["title"], one["state"]) == (
        "ok",
        200,
        "Page 1",
        "ok",
    )
    assert one["locations"] == [f"{md}:5", f"{md}:7"]
    assert hits.count("/ok/1") == 1  # two entries, one request
    moved = by_url[f"{base}/redir/2"]
    assert moved["outcome"] == "redirected" and moved["final_url"] == f"{base}/ok/2"
    assert moved["redirects"][0] == {"url": f"{base}/redir/2", "status": 301}
    gone = by_url[f"{base}/gone/3"]
    assert (gone["outcome"], gone["status"], gone["state"]) == ("gone", 404, "suspect")
    assert gone["locations"] == [f"{md}:11"]
    assert by_url["./docs/guide.md"]["outcome"] == "local"


def test_exit_codes_follow_fail_on_and_confirmation(
    tmp_path: Path, server: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, _ = server
    db, md = make_db(tmp_path, base)
    day = "2024-06-0{}T09:00:00Z"
    assert check(db, "--now", day.format(1))[0] == 0  # gone once: suspect only
    assert check(db, "--now", day.format(1), "--fail-on", "gone")[0] == 1
    monkeypatch.setenv("CURATOR_NOW", day.format(2))  # the clock can come from the env too
    assert check(db)[0] == 0  # two runs, one day: not yet
    monkeypatch.delenv("CURATOR_NOW")
    code, data = check(db, "--now", day.format(3))
    assert code == 1
    states = {r["url"]: r["state"] for r in data["results"]}
    assert states[f"{base}/gone/3"] == "broken"
    assert states[f"{base}/forbidden/4"] == "suspect"  # blocked never confirms
    assert check(db, "--now", day.format(4), "--fail-on", "never")[0] == 0
    # The broken URL stays broken (and fails the run) even when this run does not fetch it.
    code, data = check(db, "--now", day.format(4), "--budget", "0")
    assert code == 1 and data["summary"]["skipped"] == 4

    status = run_cli("status", "--db", db, "--broken", "--format", "json")
    assert status.code == 0
    rows = json.loads(status.stdout)
    assert [(r["url"], r["state"], r["locations"]) for r in rows] == [
        (f"{base}/gone/3", "broken", [f"{md}:11"])
    ]
    assert rows[0]["since"] == "2024-06-01T09:00:00+00:00"
    assert rows[0]["last_status"] == 404
    table = run_cli("status", "--db", db)
    assert (
        "broken" in table.stdout and "suspect" in table.stdout and f"{md.name}:11" in table.stdout
    )
    flaky = run_cli("status", "--db", db, "--state", "flaky", "--format", "json")
    assert json.loads(flaky.stdout) == []
    both = run_cli("status", "--db", db, "--state", "ok", "--state", "suspect", "-f", "json")
    assert sorted(r["state"] for r in json.loads(both.stdout)) == ["ok", "ok", "suspect"]
    bad = run_cli("status", "--db", db, "--state", "dead")
    assert bad.code == 2


def test_exclusions_from_the_cli(tmp_path: Path, server: tuple[str, list[str]]) -> None:
    base, hits = server
    db, _ = make_db(tmp_path, base)
    add = run_cli("exclude", "add", f"{base}/gone/*", "--reason", "known dead", "--db", db)
    assert add.code == 0 and "added" in add.stdout
    assert run_cli("exclude", "add", "re:forbidden/\\d", "--reason", "walls", "--db", db).code == 0
    listed = json.loads(run_cli("exclude", "list", "--format", "json", "--db", db).stdout)
    assert [(e["pattern"], e["reason"], e["active"]) for e in listed] == [
        (f"{base}/gone/*", "known dead", True),
        ("re:forbidden/\\d", "walls", True),
    ]
    code, data = check(db, "--fail-on", "gone")
    assert code == 0
    assert data["summary"]["excluded"] == 2
    assert not any(h.startswith(("/gone/", "/forbidden/")) for h in hits)
    excluded = {r["url"]: r["error"] for r in data["results"] if r["outcome"] == "excluded"}
    assert excluded[f"{base}/gone/3"] == f"exclusion {base}/gone/*: known dead"

    assert run_cli("exclude", "remove", f"{base}/gone/*", "--db", db).code == 0
    missing = run_cli("exclude", "remove", f"{base}/gone/*", "--db", db)
    assert missing.code == 2 and missing.stderr.startswith("Error: no exclusion")
    bad = run_cli("exclude", "add", "re:(", "--reason", "x", "--db", db)
    assert bad.code == 2 and "bad regular expression" in bad.stderr
    past = run_cli("exclude", "add", "x*", "--reason", "x", "--expires", "2000-01-01", "--db", db)
    assert past.code == 2 and "in the past" in past.stderr
    assert check(db, "--fail-on", "gone")[0] == 1


def test_output_files_markdown_and_junit(tmp_path: Path, server: tuple[str, list[str]]) -> None:
    base, _ = server
    db, _ = make_db(tmp_path, base)
    report = tmp_path / "out" / "report.md"
    res = run_cli("check", "--db", db, "--allow-private", "-f", "markdown", "-o", report)
    assert res.code == 0
    text = report.read_text(encoding="utf-8")
    assert text.startswith("# Link check") and f"<{base}/gone/3>" in text
    assert "moved to" in text and "| gone | 1 |" in text
    assert "checked 4 of 4 URLs" in res.stdout  # the short summary still goes to stdout

    junit = tmp_path / "junit.xml"
    res = run_cli(
        "check", "--db", db, "--allow-private", "--max-age", "0", "-f", "junit", "-o", junit
    )
    suite = ET.parse(junit).getroot()
    assert suite.tag == "testsuite" and suite.get("tests") == "5"
    failed = [c.get("name") for c in suite.iter("testcase") if c.find("failure") is not None]
    assert failed == [f"{base}/gone/3"]
    assert suite.get("failures") == "1" and suite.get("skipped") == "1"  # the relative link


def test_relative_links_with_root(tmp_path: Path, server: tuple[str, list[str]]) -> None:
    base, _ = server
    db, _ = make_db(tmp_path, base)
    (tmp_path / "docs").mkdir()
    code, data = check(db, "--root", str(tmp_path), "--fail-on", "gone", "--source", "links")
    local = next(r for r in data["results"] if r["url"] == "./docs/guide.md")
    assert local["outcome"] == "gone" and code == 1
    (tmp_path / "docs" / "guide.md").write_text("# Guide\n", encoding="utf-8")
    code, data = check(db, "--root", str(tmp_path), "--max-age", "0")
    assert next(r for r in data["results"] if r["url"] == "./docs/guide.md")["outcome"] == "ok"


def test_usage_errors_exit_2(tmp_path: Path, server: tuple[str, list[str]]) -> None:
    base, hits = server
    db, _ = make_db(tmp_path, base)
    for args, message in [
        (("--max-age", "soon"), "bad duration"),
        (("--source", "nope"), "no source named"),
        (("--root", str(tmp_path / "nowhere")), "not a directory"),
        (("--now", "yesterday"), "not an ISO date"),
        (("--base-url", "docs/"), "must be an http(s) URL"),
    ]:
        res = run_cli("check", "--db", db, *args)
        assert res.code == 2, args
        assert res.stderr.startswith("Error:") and message in res.stderr
    assert run_cli("check", "--db", db, "--fail-on", "sometimes").code == 2
    assert not hits
    empty = run_cli("check", "--db", tmp_path / "empty.db")
    assert empty.code == 2 and "no lists yet" in empty.stderr


def test_text_output_and_github_token(
    tmp_path: Path, server: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, _ = server
    db, md = make_db(tmp_path, base)
    monkeypatch.setenv("CI", "true")
    res = run_cli("check", "--db", db, "--allow-private", "--retries", "0")
    assert res.code == 0
    lines = res.stdout.splitlines()
    assert lines[0].startswith("checked 4 of 4 URLs")
    assert any(line.startswith("gone") and f"{md}:11" in line for line in lines)
    assert "checking 4 URLs" in res.stderr  # plain progress lines, no bar

    import curator.check.runner as runner

    seen = {}

    def fake_run_check(engine, options, **kw):  # type: ignore[no-untyped-def]
        seen["github"] = options.config.github
        raise runner.InputError("stop here")

    monkeypatch.setattr(runner, "run_check", fake_run_check)
    monkeypatch.setenv("GITHUB_TOKEN", "t0k")
    assert run_cli("check", "--db", db).code == 2
    assert seen["github"].token == "t0k"
    assert seen["github"].api_url == "https://api.github.com"
    assert seen["github"].graphql_url == "https://api.github.com/graphql"


def test_terminal_gets_a_summary_table(
    tmp_path: Path, server: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    import curator.cli.progress as progress

    base, _ = server
    db, _ = make_db(tmp_path, base)
    monkeypatch.setattr(progress, "is_interactive", lambda: True)
    res = run_cli("check", "--db", db, "--allow-private", "--retries", "0", "--fail-on", "gone")
    assert res.code == 1
    assert "┃ outcome" in res.stdout and "confirmed broken" in res.stdout
    assert any(line.startswith("gone") for line in res.stdout.splitlines())
    assert "checking" in res.stderr and "4/4" in res.stderr  # the bar
    assert "progress " not in res.stderr  # not the plain lines


def test_check_runs_without_loading_the_orm(tmp_path: Path, server: tuple[str, list[str]]) -> None:
    """The check's parent process talks to SQLite directly: SQLAlchemy and SQLModel
    (about 25 MiB) stay unloaded, and the results still land in the DB."""
    import subprocess
    import sys

    base, _ = server
    db, _md = make_db(tmp_path, base)
    code = (
        "import sys\n"
        "from curator.cli.app import main\n"
        f"sys.argv = ['curator', 'check', '--db', {str(db)!r}, '--allow-private', "
        "'--retries', '0', '-f', 'json']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('sqlalchemy', 'sqlmodel') if m in sys.modules))\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.stdout.strip().splitlines()[-1] == "[]", res.stderr
    status = run_cli("status", "--db", db, "--state", "ok", "-f", "json")
    passing = {row["url"] for row in json.loads(status.stdout)}
    assert passing == {f"{base}/ok/1", f"{base}/redir/2"}  # a permanent move passes
