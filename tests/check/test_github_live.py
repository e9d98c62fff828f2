"""`curator check` with a token against a fake GitHub on 127.0.0.1: repository links go
through GraphQL (one request, with the token), pages are fetched only for deep links of
repositories that exist, and no page ever carries the token."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.fake_github_graphql import FakeGitHubSite, serve_fake_github


def _setup(tmp_path: Path, site: FakeGitHubSite, monkeypatch: pytest.MonkeyPatch) -> Path:
    b = site.base
    md = tmp_path / "list.md"
    md.write_text(
        "# Repos\n\n"
        f"- [alive]({b}/octo/alive): a tool\n"
        f"- [alive issues]({b}/Octo/Alive/issues)\n"
        f"- [gone]({b}/octo/gone)\n"
        f"- [old]({b}/octo/old-name)\n"
        f"- [archived]({b}/octo/archived)\n"
        f"- [quiet]({b}/octo/quiet)\n"
        f"- [deep]({b}/octo/alive/blob/main/README.md)\n"
        f"- [deep gone]({b}/octo/gone/tree/main/src)\n"
    )
    db = tmp_path / "c.db"
    assert run_cli("import", "--db", db, md).code == 0
    monkeypatch.setenv("GITHUB_TOKEN", site.token)
    monkeypatch.setenv("GITHUB_API_URL", b)
    monkeypatch.setenv("GITHUB_GRAPHQL_URL", f"{b}/graphql")
    monkeypatch.setenv("CURATOR_GITHUB_WEB", b)
    return db


def _site() -> FakeGitHubSite:
    site = FakeGitHubSite()
    site.add("octo/alive", description="A tool", stars=42)
    site.add("octo/archived", archived=True, pushed_at="2020-01-01T00:00:00Z")
    site.add("octo/quiet", description="Filled in from GitHub")
    site.rename("octo/old-name", "octo/new-name")
    return site


def test_repos_through_graphql_with_the_token_and_pages_without(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serve_fake_github(_site()) as site:
        db = _setup(tmp_path, site, monkeypatch)
        res = run_cli("check", "--db", db, "--allow-private", "--retries", "0", "-f", "json")
        assert res.stdout, res.stderr
        b = site.base
        by_url = {r["url"]: r for r in json.loads(res.stdout)["results"]}
        assert {u.removeprefix(b): r["outcome"] for u, r in by_url.items()} == {
            "/octo/alive": "ok",
            "/Octo/Alive/issues": "ok",
            "/octo/gone": "gone",
            "/octo/old-name": "redirected",
            "/octo/archived": "ok",
            "/octo/quiet": "ok",
            "/octo/alive/blob/main/README.md": "ok",
            "/octo/gone/tree/main/src": "gone",
        }
        assert by_url[f"{b}/octo/old-name"]["final_url"] == f"{b}/octo/new-name"
        posts = [(p, h) for m, p, h in site.log if m == "POST"]
        pages = [(p, h) for m, p, h in site.log if m != "POST"]
        assert len(posts) == 1 and posts[0][1]["authorization"] == f"Bearer {site.token}"
        fetched = [p for p, _ in pages if not p.startswith("/curator-probe-")]
        assert fetched == ["/octo/alive/blob/main/README.md"]  # plus at most one probe
        assert len(pages) <= 2
        assert all("authorization" not in h for _, h in pages)
    with sqlite3.connect(db) as conn:
        facts = dict(
            conn.execute(
                "SELECT name_with_owner, archived FROM repo_fact"
                " JOIN url ON url.id = repo_fact.url_id"
            ).fetchall()
        )
    assert facts == {"octo/alive": 0, "octo/archived": 1, "octo/new-name": 0, "octo/quiet": 0}
    res = run_cli("status", "--db", db, "--repos", "-f", "json")
    assert res.code == 0, res.stderr
    repos = {r["url"].removeprefix(b): r for r in json.loads(res.stdout)}
    assert set(repos) == {"/octo/archived", "/octo/old-name"}
    assert repos["/octo/archived"]["archived"] and repos["/octo/archived"]["stale"]
    assert repos["/octo/old-name"]["renamed"]
    assert repos["/octo/old-name"]["new_url"] == "https://github.com/octo/new-name"
    res = run_cli("apply-redirects", "--db", db, "--dry-run")
    assert f"{b}/octo/old-name -> {b}/octo/new-name" in res.stdout, res.stdout + res.stderr
    res = run_cli("status", "--db", db, "--repos", "--stale-after", "20000d")
    assert "archived" in res.stdout and "no push since" not in res.stdout
    res = run_cli("report", "--db", db, "--format", "json")
    assert res.code == 0, res.stderr
    sections = json.loads(res.stdout)
    assert [i["url"] for i in sections["repos"]] == [f"{b}/octo/archived"]
    assert sections["repos"][0]["repo"] == "archived; no push since 2020-01-01"
    assert [i["final_url"] for i in sections["redirected"]] == [f"{b}/octo/new-name"]
    res = run_cli("report", "--db", db)
    assert "archived; no push since 2020-01-01" in res.stdout
    out = tmp_path / "exports"
    assert run_cli("export", "--db", db, "--out", out).code == 0
    page = "\n".join(p.read_text() for p in out.glob("*.md"))
    assert f"[archived]({b}/octo/archived) 🗄️ 💤" in page
    assert f"[old]({b}/octo/new-name) ↪" in page
    assert f"[alive]({b}/octo/alive) —" in page  # no marks on a live, recent repository
    assert f"[quiet]({b}/octo/quiet) — Filled in from GitHub" in page
    assert "★" not in page
    assert run_cli("export", "--db", db, "--out", out, "--stars").code == 0
    page = "\n".join(p.read_text() for p in out.glob("*.md"))
    assert f"[alive]({b}/octo/alive) ★ 42 —" in page


def test_no_token_over_plain_http_to_a_remote_api_base(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serve_fake_github(_site()) as site:
        db = _setup(tmp_path, site, monkeypatch)
        # An http API base that is not loopback: the token must not go there, so the
        # repository links are fetched as pages (no token) instead.
        monkeypatch.setenv("GITHUB_GRAPHQL_URL", "http://api.example.invalid/graphql")
        res = run_cli("check", "--db", db, "--allow-private", "--retries", "0", "-f", "json")
        assert res.stdout, res.stderr
        assert site.api_requests == 0
        assert site.page_requests >= 6
        assert all("authorization" not in h for _, _, h in site.log)
        outcomes = {r["url"]: r["outcome"] for r in json.loads(res.stdout)["results"]}
        assert outcomes[f"{site.base}/octo/gone"] == "gone"


def test_rate_limit_beyond_github_wait_leaves_links_unchecked_not_gone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = _site()
    site.points = 0
    with serve_fake_github(site):
        db = _setup(tmp_path, site, monkeypatch)
        res = run_cli(
            "check", "--db", db, "--allow-private", "--retries", "0", "-f", "json",
            "--github-wait", "5",
        )  # fmt: skip
        results = json.loads(res.stdout)["results"]
    repo_level = [r for r in results if "/blob/" not in r["url"] and "/tree/" not in r["url"]]
    assert repo_level and all(r["outcome"] == "blocked" for r in repo_level)
    assert all("rate limit" in r["error"] for r in repo_level)
    assert not [r for r in results if r["outcome"] == "gone"]
    assert site.page_requests == 0


def test_reasons_and_repo_facts_travel_through_a_results_file_and_merge(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A shard without the shared DB writes `--results-out`; `curator merge` into another
    DB leaves the same repository facts and the same soft-404 reason there."""
    from tests.support.local_site import serve_site

    with serve_fake_github(_site()) as gh, serve_site() as site:
        site.status.update({"/docs/guide": 301, "/": 200})
        site.location["/docs/guide"] = site.url("/")
        b = gh.base
        md = tmp_path / "list.md"
        md.write_text(
            f"# Repos\n\n- [alive]({b}/octo/alive): a tool\n- [archived]({b}/octo/archived)\n"
            f"- [guide]({site.url('/docs/guide')})\n"
        )
        shard_db, main_db = tmp_path / "shard.db", tmp_path / "main.db"
        for db in (shard_db, main_db):
            assert run_cli("import", "--db", db, md).code == 0
        monkeypatch.setenv("GITHUB_TOKEN", gh.token)
        monkeypatch.setenv("GITHUB_API_URL", b)
        monkeypatch.setenv("GITHUB_GRAPHQL_URL", f"{b}/graphql")
        monkeypatch.setenv("CURATOR_GITHUB_WEB", b)
        out = tmp_path / "shard-1.jsonl"
        res = run_cli(
            "check", "--db", shard_db, "--allow-private", "--retries", "0",
            "--run-id", "ci-7-1", "--results-out", out,
        )  # fmt: skip
        assert res.code == 0, res.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()[1:]]
    by_url = {r["url"]: r for r in lines}
    assert by_url[site.url("/docs/guide")]["reason"] == "soft-404"
    assert by_url[f"{b}/octo/archived"]["repo"]["archived"] is True
    assert run_cli("merge", out, "--db", main_db).code == 0

    facts_sql = (
        "SELECT url.url, name_with_owner, archived, stars, pushed_at, description FROM repo_fact"
        " JOIN url ON url.id = repo_fact.url_id ORDER BY url.url"
    )
    reason_sql = (
        "SELECT url.url, url_state.reason, check_result.reason FROM url_state"
        " JOIN url ON url.id = url_state.url_id"
        " JOIN check_result ON check_result.url_id = url.id ORDER BY url.url"
    )
    with sqlite3.connect(shard_db) as a, sqlite3.connect(main_db) as m:
        assert m.execute(facts_sql).fetchall() == a.execute(facts_sql).fetchall()
        assert len(m.execute(facts_sql).fetchall()) == 2
        assert m.execute(reason_sql).fetchall() == a.execute(reason_sql).fetchall()
        assert (site.url("/docs/guide"), "soft-404", "soft-404") in m.execute(reason_sql)
    res = run_cli("status", "--db", main_db, "--repos", "-f", "json")
    assert [r["url"] for r in json.loads(res.stdout)] == [f"{b}/octo/archived"]


@pytest.mark.slow
def test_repo_facts_on_postgres_match_sqlite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pg_url: str
) -> None:
    """The repository facts a check stores, and what `status --repos`, the report and the
    export make of them, are the same on PostgreSQL as on SQLite."""
    said: dict[str, list[str]] = {}
    with serve_fake_github(_site()) as site:
        sqlite_db = _setup(tmp_path, site, monkeypatch)
        assert run_cli("import", "--db", pg_url, tmp_path / "list.md").code == 0
        for db in (str(sqlite_db), pg_url):
            res = run_cli(
                "check", "--db", db, "--allow-private", "--retries", "0",
                "--now", "2026-06-01T09:00:00Z",
            )  # fmt: skip
            assert res.code == 0, res.stderr
            out = tmp_path / f"exports-{len(said)}"
            assert run_cli("export", "--db", db, "--out", out, "--stars").code == 0
            said[db] = [
                run_cli("status", "--db", db, "--repos", "-f", "json").stdout,
                json.dumps(json.loads(run_cli("report", "--db", db, "-f", "json").stdout)["repos"]),
                "\n".join(p.read_text() for p in sorted(out.glob("*.md"))),
            ]
    on_sqlite, on_pg = said[str(sqlite_db)], said[pg_url]
    assert "octo/archived" in on_sqlite[0] and "archived; no push since" in on_sqlite[1]
    assert "🗄️ 💤" in on_sqlite[2] and "★ 42" in on_sqlite[2]
    assert on_pg[:2] == on_sqlite[:2]
    assert on_pg[2].replace(pg_url, "") == on_sqlite[2].replace(str(sqlite_db), "")
