"""The GitHub token's rules: only over https to the API base (http only to a loopback API
base), never to pages, never on a redirect hop; proven on a local server that logs headers."""

from __future__ import annotations

from pathlib import Path

import pytest

from curator.check.http.ghauth import GitHubApi, api_from_env
from curator.errors import GitHubError
from curator.report.github import GitHub
from tests.support.cli import run_cli
from tests.support.local_site import serve_site


def test_token_goes_only_to_the_api_base_over_https() -> None:
    api = GitHubApi("s3cret")
    assert api.may_send("https://api.github.com/graphql")
    assert api.may_send("https://api.github.com/repos/o/r/issues")
    assert api.may_send("https://API.github.com:443/graphql")
    assert not api.may_send("http://api.github.com/graphql")  # clear text
    assert not api.may_send("https://api.github.com:8443/graphql")
    assert not api.may_send("https://github.com/o/r")  # pages
    assert not api.may_send("http://github.com/o/r")
    assert not api.may_send("https://api.github.com.evil.example/graphql")
    assert not api.may_send("https://evil.example/?https://api.github.com")
    assert not GitHubApi("").may_send("https://api.github.com/graphql")


def test_enterprise_bases_and_plain_http_only_on_loopback() -> None:
    env = {
        "GH_TOKEN": "t",
        "GITHUB_API_URL": "https://ghe.example/api/v3",
        "GITHUB_GRAPHQL_URL": "https://ghe.example/api/graphql",
    }
    api = api_from_env(env)
    assert api is not None and api.token == "t"
    assert api.may_send("https://ghe.example/api/graphql")
    assert api.may_send("https://ghe.example/api/v3/repos/o/r")
    assert not api.may_send("https://ghe.example/o/r")  # the enterprise server's pages
    assert not api.may_send("https://ghe.example/api/v3x")
    assert api_from_env({}) is None
    local = GitHubApi("t", "http://127.0.0.1:9/api", "http://127.0.0.1:9/api/graphql")
    assert local.may_send("http://127.0.0.1:9/api/graphql")
    assert not local.may_send("http://127.0.0.1:10/api/graphql")
    remote = GitHubApi("t", "http://api.example/api", "http://api.example/api/graphql")
    assert not remote.may_send("http://api.example/api/graphql")
    assert remote.auth_headers("http://api.example/api/graphql") == {}


def test_issue_client_refuses_a_plain_http_api_base_that_is_not_loopback() -> None:
    with pytest.raises(GitHubError, match="only over https"):
        GitHub("o/r", "t", base_url="http://api.example")
    GitHub("o/r", "t", base_url="http://127.0.0.1:9").__exit__()


def test_check_sends_no_token_to_pages_or_redirect_hops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serve_site() as site:
        site.status.update({"/o/r": 301, "/github/o/r": 200, "/p": 302, "/q": 200})
        site.location.update({"/o/r": site.url("/github/o/r"), "/p": site.url("/q")})
        md = tmp_path / "list.md"
        md.write_text(f"# L\n\n- [a]({site.url('/o/r')})\n- [b]({site.url('/p')})\n")
        db = tmp_path / "c.db"
        assert run_cli("import", "--db", db, md).code == 0
        monkeypatch.setenv("GITHUB_TOKEN", "s3cret")
        monkeypatch.setenv("GITHUB_API_URL", site.base)  # even the API's own host: pages
        res = run_cli("check", "--db", db, "--allow-private", "--retries", "0")
        assert res.code == 0, res.stderr
    pages = [p for p in site.requested if not p.startswith("/curator-probe-")]
    assert sorted(pages) == ["/github/o/r", "/o/r", "/p", "/q"]
    assert len(site.all_headers) == len(site.requested)  # the soft-404 probe's too
    assert all("authorization" not in h for h in site.all_headers)
    assert "s3cret" not in res.stdout + res.stderr
