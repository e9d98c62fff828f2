"""Heading anchors are GitHub's: the seeds' hand-written ToCs and our exported ToCs resolve."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

import pytest

from curator.export.slug import Slugger, github_slug
from curator.parse import EntryKind, decode_bytes, parse_markdown
from tests.support.cli import SEEDS, run_cli


def anchors_and_toc(text: str) -> tuple[set[str], list[str]]:
    doc = parse_markdown(text)
    slugger = Slugger()
    anchors = {slugger.slug(title) for _, title in doc.headings}
    toc = [
        unquote(link.href[1:])
        for e in doc.entries
        if e.kind == EntryKind.TOC
        for link in e.links
        if link.href.startswith("#")
    ]
    return anchors, toc


@pytest.mark.parametrize("seed", ["dls", "v1"])
def test_every_toc_anchor_of_the_deep_learning_system_seeds_resolves(seed: str) -> None:
    text = decode_bytes(SEEDS[seed].read_bytes(), str(SEEDS[seed])).text
    anchors, toc = anchors_and_toc(text)
    assert len(toc) >= 9  # the whole ToC was found, not just a part of it
    assert "一数学基础专栏" in toc
    missing = [a for a in toc if a not in anchors]
    assert not missing, f"ToC anchors our slugger does not produce: {missing}"
    if seed == "dls":
        assert {"七大语言模型推理及服务化", "star-history"} <= set(toc)


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("Star History", "star-history"),
        ("一，数学基础专栏", "一数学基础专栏"),
        ("5，AI/NPU/GPU 芯片特性", "5ainpugpu-芯片特性"),
        ("C++ & Rust!", "c--rust"),  # each space becomes a hyphen, none collapsed
        ("⚡ perf", "-perf"),  # emoji are symbols: removed
        ("snake_case and kebab-case", "snake_case-and-kebab-case"),
        ("Café Ⅻ ²", "café-ⅻ-"),  # letters and letter numbers stay, other numbers go
        ("deep_learning_system › 参考资料", "deep_learning_system--参考资料"),
    ],
)
def test_github_slug(heading: str, anchor: str) -> None:
    assert github_slug(heading) == anchor


def test_repeated_headings_get_numbered_like_github() -> None:
    s = Slugger()
    assert [s.slug(h) for h in ["Intro", "Intro", "Intro-1", "Intro"]] == [
        "intro",
        "intro-1",
        "intro-1-1",
        "intro-2",
    ]


def test_exported_tocs_resolve_to_their_own_headings(tmp_path: Path, db: Path) -> None:
    assert run_cli("import", SEEDS["dls"].parent, "--db", db).code == 0
    assert run_cli("tag", "--db", db).code == 0
    out = tmp_path / "exports"
    assert run_cli("export", "--out", out, "--db", db).code == 0
    pages = [p for p in out.rglob("*.md") if p.parent.name != "sources" and p.name != "CHANGES.md"]
    assert len(pages) > 10
    checked = 0
    for page in pages:
        anchors, toc = anchors_and_toc(page.read_text(encoding="utf-8"))
        assert toc, f"{page} has no ToC"
        missing = [a for a in toc if a not in anchors]
        assert not missing, f"{page}: {missing}"
        checked += len(toc)
    assert checked > 50
