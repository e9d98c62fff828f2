"""URL identity: normalization and link kinds."""

from __future__ import annotations

import pytest

from curator.urls import LinkKind, classify, host_of, normalize


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("HTTPS://GitHub.com/openai/whisper/", "https://github.com/openai/whisper"),
        ("https://github.com:443/x", "https://github.com/x"),
        ("http://a.example:80/", "http://a.example/"),
        ("https://a.example/p?utm_source=x&id=3&utm_medium=y", "https://a.example/p?id=3"),
        ("https://a.example/p#section", "https://a.example/p"),
        ("https://a.example/\u200bp", "https://a.example/p"),
    ],
)
def test_same_identity(a: str, b: str) -> None:
    assert normalize(a) == normalize(b)


def test_different_identity() -> None:
    assert normalize("https://a.example/x") != normalize("https://a.example/y")
    assert normalize("https://a.example:8080/") != normalize("https://a.example/")


@pytest.mark.parametrize(
    ("href", "kind"),
    [
        ("https://x.org", LinkKind.WEB),
        ("http://x.org", LinkKind.WEB),
        ("./1-math_ml_basic/x.md", LinkKind.RELATIVE),
        ("2-deep_learning_basic/x.md", LinkKind.RELATIVE),
        ("#项目概述", LinkKind.ANCHOR),
        ("mailto:a@b.c", LinkKind.MAILTO),
        ("ftp://x.org/f", LinkKind.OTHER),
        ("javascript:alert(1)", LinkKind.OTHER),
    ],
)
def test_classify(href: str, kind: LinkKind) -> None:
    assert classify(href) is kind


def test_host() -> None:
    assert host_of("https://User@GitHub.com:8443/x") == "github.com"
    assert host_of("not a url") == ""


@pytest.mark.parametrize(
    "url",
    ["https://GitHub.com/x", "http://u:p@h.example:8080/p?q=1", "http://[::1]:81/", "https://a.b"],
)
def test_host_of_normalized_agrees_with_host_of(url: str) -> None:
    from curator.urls import host_of_normalized

    assert host_of_normalized(normalize(url)) == host_of(url)


@pytest.mark.parametrize(
    ("href", "norm"),
    [
        ("//cdn.example/lib.js", "https://cdn.example/lib.js"),  # scheme-relative: https
        ("https://a.example", "https://a.example/"),  # an empty path is "/"
        ("https://a.example./x", "https://a.example/x"),  # the root dot of the host
        ("https://a.example/x///", "https://a.example/x"),
        ("https://u:p@A.example:8443/x", "https://u:p@a.example:8443/x"),  # userinfo kept
        ("http://[::1]:80/", "http://[::1]/"),
        ("https://a.example/%7Euser/a b", "https://a.example/~user/a%20b"),
        ("https://a.example/p?fbclid=1&gclid=2", "https://a.example/p"),
        ("https://a.example/p?b=2&a=1", "https://a.example/p?b=2&a=1"),  # order is meaning
        ("https://a.example/p?x=", "https://a.example/p?x="),  # blank values kept
        ("  https://a.example/p\u200b ", "https://a.example/p"),
    ],
)
def test_normalize_exact_forms(href: str, norm: str) -> None:
    assert normalize(href) == norm


@pytest.mark.parametrize(
    "href", ["./docs/x.md", "#top", "mailto:A@B.example", "ftp://Host/x", "http://[bad"]
)
def test_normalize_leaves_non_web_and_broken_hrefs_as_written(href: str) -> None:
    assert normalize(href) == href


def test_clean_href_and_strip_invisible() -> None:
    from curator.urls import clean_href, strip_invisible

    assert strip_invisible("a\u200bb\ufeffc") == "abc"
    assert strip_invisible("plain ascii ") == "plain ascii "
    assert clean_href(" \u200bhttps://a.example/x\u200c\n") == "https://a.example/x"


@pytest.mark.parametrize(
    ("href", "kind"),
    [
        ("", LinkKind.OTHER),
        ("\u200b", LinkKind.OTHER),  # nothing left once cleaned
        ("//cdn.example/x", LinkKind.WEB),
        ("C:/Users/x.md", LinkKind.RELATIVE),  # a drive letter is no scheme
        ("HTTPS://X.org", LinkKind.WEB),
        ("http://1.1,](", LinkKind.WEB),  # what linkify can yield: still a web link
    ],
)
def test_classify_edge_cases(href: str, kind: LinkKind) -> None:
    assert classify(href) is kind
