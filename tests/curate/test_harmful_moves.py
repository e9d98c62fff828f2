"""`urls.is_harmful_move`: which permanent redirects are not moves (likely soft 404s)."""

from __future__ import annotations

import pytest

from curator.urls import HarmfulMove, is_harmful_move


@pytest.mark.parametrize(
    ("old", "new", "why"),
    [
        ("https://a.org/docs/guide/intro", "https://a.org/", HarmfulMove.SITE_ROOT),
        ("https://a.org/post?id=3", "https://www.a.org", HarmfulMove.SITE_ROOT),
        ("https://a.org/x/y", "https://a.org/index.html", HarmfulMove.SITE_ROOT),
        ("https://a.org/x/y", "https://a.org/en-us/", HarmfulMove.SITE_ROOT),
        ("https://old.org/paper.pdf", "https://parking.example/", HarmfulMove.OTHER_HOME),
        ("https://a.org/x", "https://a.org/login?next=/x", HarmfulMove.LOGIN),
        ("https://a.org/x", "https://a.org/users/sign_in", HarmfulMove.LOGIN),
        ("https://a.org/x", "https://a.org/signup", HarmfulMove.LOGIN),
        ("https://docs.a.org/x", "https://accounts.b.com/ServiceLogin?c=1", HarmfulMove.LOGIN),
        ("https://a.org/x", "https://login.a.org/", HarmfulMove.LOGIN),
    ],
)
def test_not_a_move(old: str, new: str, why: HarmfulMove) -> None:
    assert is_harmful_move(old, new) is why


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("http://a.org/x", "https://a.org/x"),  # https upgrade
        ("https://github.com/a/b", "https://github.com/c/b"),  # repository transferred
        ("https://a.org/", "https://b.org/"),  # a renamed domain: home to home
        ("https://a.org/docs/v1/", "https://a.org/docs/v2/"),
        ("https://github.com/ab/repo", "https://github.com/ab"),  # a profile, not a home page
        ("https://a.org/login", "https://a.org/auth/login"),  # a login page already
    ],
)
def test_real_moves_pass(old: str, new: str) -> None:
    assert is_harmful_move(old, new) is None
