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
