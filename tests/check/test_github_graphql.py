"""GraphQL batching of repository links (check/github.py), with respx."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import respx

from curator.check.github import GraphQLChecker, repo_link
from curator.check.http.ghauth import GitHubApi
from curator.check.types import CheckConfig, FetchResult, Outcome

API = GitHubApi("s3cret")
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _node(name: str, **kw: Any) -> dict[str, Any]:
    return {
        "nameWithOwner": name,
        "url": f"https://github.com/{name}",
        "isArchived": False,
        "isDisabled": False,
        "isFork": False,
        "stargazerCount": 7,
        "pushedAt": "2026-11-01T00:00:00Z",
        "description": "d",
        "licenseInfo": {"spdxId": "MIT"},
        "primaryLanguage": {"name": "C"},
        **kw,
    }


def _run(
    urls: list[str], handler: Any, wait: float = 60.0
) -> tuple[list[FetchResult], list[str], list[float], list[httpx.Request]]:
    seen: list[httpx.Request] = []
    sleeps: list[float] = []

    async def sleep(s: float) -> None:
        sleeps.append(s)

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request, len(seen))  # type: ignore[no-any-return]

    async def go() -> tuple[list[FetchResult], list[str]]:
        results: list[FetchResult] = []
        with respx.mock(assert_all_called=False) as mock:
            mock.post("https://api.github.com/graphql").mock(side_effect=record)
            async with httpx.AsyncClient() as client:
                config = CheckConfig(github=API, github_wait=wait, retries=0)
                checker = GraphQLChecker(config, client, sleep=sleep, now=lambda: NOW)
                rest = await checker.check(urls, results.append)
        return results, rest

    results, rest = asyncio.run(go())
    return results, rest, sleeps, seen


def _aliases(request: httpx.Request) -> list[str]:
    query = json.loads(request.content)["query"]
    return re.findall(r"(\w+): repository\(", query)


def test_repo_links_and_what_is_not_one() -> None:
    r = repo_link("http://www.github.com/Octo/Repo.git/")
    assert r is not None and (r.owner, r.name, r.rest, r.deep) == ("Octo", "Repo", "", False)
    for page in ("issues", "releases", "wiki", "pulls"):
        link = repo_link(f"https://github.com/o/r/{page}")
        assert link is not None and not link.deep
    deep = repo_link("https://github.com/o/r/blob/main/a.md#L3")
    assert deep is not None and deep.deep and deep.rest == "blob/main/a.md"
    for url in (
        "https://github.com/o",
        "https://github.com/orgs/x",
        "https://github.com/topics/ml",
        "https://gist.github.com/o/r",
        "https://github.com:8443/o/r",
        "ftp://github.com/o/r",
    ):
        assert repo_link(url) is None, url


def test_one_query_with_aliases_partial_not_found_and_a_rename() -> None:
    def handler(request: httpx.Request, n: int) -> httpx.Response:
        assert request.headers["authorization"] == "Bearer s3cret"
        assert _aliases(request) == ["r0", "r1", "r2"]
        return httpx.Response(
            200,
            json={
                "data": {
                    "rateLimit": {"remaining": 4999, "resetAt": "2026-12-01T01:00:00Z", "cost": 1},
                    "r0": _node("o/a", isArchived=True),
                    "r1": None,
                    "r2": _node("new-owner/c"),
                },
                "errors": [{"type": "NOT_FOUND", "path": ["r1"], "message": "Could not resolve"}],
            },
        )

    urls = [
        "https://github.com/o/a",
        "https://github.com/o/b",
        "https://github.com/o/c/issues",
        "https://github.com/o/b/blob/main/x",
        "https://github.com/o/a/tree/main/src",
        "https://example.org/",
    ]
    results, rest, _, seen = _run(urls, handler)
    assert len(seen) == 1
    by = {r.url: r for r in results}
    assert by["https://github.com/o/a"].outcome is Outcome.OK
    assert (
        by["https://github.com/o/a"].repo is not None and by["https://github.com/o/a"].repo.archived
    )
    assert by["https://github.com/o/b"].outcome is Outcome.GONE
    assert by["https://github.com/o/b/blob/main/x"].outcome is Outcome.GONE  # no page fetch
    moved = by["https://github.com/o/c/issues"]
    assert moved.outcome is Outcome.REDIRECTED
    assert moved.final_url == "https://github.com/new-owner/c/issues"
    assert sorted(rest) == ["https://example.org/", "https://github.com/o/a/tree/main/src"]


def test_batches_of_at_most_100_and_a_low_rate_limit_waited_out() -> None:
    reset = NOW + timedelta(seconds=30)

    def handler(request: httpx.Request, n: int) -> httpx.Response:
        aliases = _aliases(request)
        assert len(aliases) <= 100
        data: dict[str, Any] = {a: _node(f"o/r{int(a[1:]) + 100 * (n - 1)}") for a in aliases}
        data["rateLimit"] = {"remaining": 0, "resetAt": reset.isoformat(), "cost": 1}
        return httpx.Response(200, json={"data": data})

    urls = [f"https://github.com/o/r{i}" for i in range(250)]
    results, rest, sleeps, seen = _run(urls, handler)
    assert len(seen) == 3 and rest == []
    assert [len(_aliases(r)) for r in seen] == [100, 100, 50]
    assert all(r.outcome is Outcome.OK for r in results) and len(results) == 250
    assert sleeps == [31.0, 31.0]  # waited for the reset before each later batch


def test_rate_limit_reset_beyond_github_wait_leaves_the_rest_unchecked() -> None:
    def handler(request: httpx.Request, n: int) -> httpx.Response:
        data: dict[str, Any] = {a: _node(f"o/r{a[1:]}") for a in _aliases(request)}
        data["rateLimit"] = {"remaining": 0, "resetAt": "2026-12-01T01:00:00Z", "cost": 1}
        return httpx.Response(200, json={"data": data})

    urls = [f"https://github.com/o/r{i}" for i in range(150)]
    results, _, sleeps, seen = _run(urls, handler, wait=60)
    assert len(seen) == 1 and sleeps == []
    outcomes = [r.outcome for r in results]
    assert outcomes.count(Outcome.OK) == 100 and outcomes.count(Outcome.BLOCKED) == 50
    assert Outcome.GONE not in outcomes
    blocked = next(r for r in results if r.outcome is Outcome.BLOCKED)
    assert blocked.error is not None and "rate limit" in blocked.error


def test_a_redirect_from_the_api_is_not_followed_with_the_token() -> None:
    with respx.mock(assert_all_called=False) as mock:
        mock.post("https://api.github.com/graphql").respond(
            307, headers={"location": "https://evil.example/graphql"}
        )
        evil = mock.post("https://evil.example/graphql").respond(200, json={"data": {}})

        async def go() -> list[FetchResult]:
            results: list[FetchResult] = []
            async with httpx.AsyncClient() as client:
                checker = GraphQLChecker(CheckConfig(github=API, retries=0), client)
                await checker.check(["https://github.com/o/r"], results.append)
            return results

        results = asyncio.run(go())
    assert evil.call_count == 0
    assert results == []  # handed back to the page fetcher, which sends no token


def test_a_bad_token_hands_the_links_back_to_the_page_fetcher() -> None:
    def handler(request: httpx.Request, n: int) -> httpx.Response:
        return httpx.Response(401, json={"message": "Bad credentials"})

    urls = ["https://github.com/o/a", "https://github.com/o/b/blob/main/x"]
    results, rest, _, seen = _run(urls, handler)
    assert len(seen) == 1 and results == [] and sorted(rest) == sorted(urls)
