"""Exports a maintainer would publish: every relative link resolves from where the page is
written (or is absolute under `--base-url`), link texts are not repeated as plain text, the
source is named once per section, counts agree in every file, an entry keeps its own tags,
and two `#fragment`s of one page are two entries. Checked on a fixture, on a fresh export
of the bundled demo and on the committed `exports/`."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from markdown_it import MarkdownIt

from tests.support.cli import ROOT, import_demo, run_cli
from tests.support.export_pages import entries_of

_MD = MarkdownIt("commonmark", {"html": False}).enable("table")
_COUNT = re.compile(r"\b1 (entries|lists|categories|tags|links|rows)\b")


def links_of(text: str) -> list[tuple[str, str]]:
    """(text, href) of every inline link of a Markdown page, as a renderer sees them."""
    found = []
    for block in _MD.parse(text):
        children = block.children or []
        for k, tok in enumerate(children):
            if tok.type == "link_open":
                label = ""
                for t in children[k + 1 :]:
                    if t.type == "link_close":
                        break
                    label += t.content
                found.append((label, str(tok.attrs.get("href", ""))))
    return found


def broken_relative_links(out: Path) -> list[str]:
    bad = []
    for page in sorted(out.rglob("*.md")):
        if page.parent.name == "sources" or page.parent.parent.name == "sources":
            continue  # the lists themselves, byte for byte: their links are theirs
        for _label, href in links_of(page.read_text(encoding="utf-8")):
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path:
                continue  # a web link, or an anchor in this page
            target = (page.parent / unquote(parts.path)).resolve()
            if not target.exists():
                bad.append(f"{page.relative_to(out)}: {href}")
    return bad


def repeated_link_texts(out: Path) -> list[str]:
    """Entries whose plain text lists a label of one of their own links as an item."""
    bad = []
    for page in sorted([*out.glob("*.md"), *out.glob("tags/*.md")]):
        text = page.read_text(encoding="utf-8")
        if "## Contents" not in text or page.name in ("README.md", "CHANGES.md"):
            continue
        for entry in entries_of(text):
            labels = {label.strip() for label, _ in links_of(entry)}
            plain = re.sub(r"\[[^\]]*\]\([^)]*\)", "", entry)
            items = {i.strip() for i in re.split(r"[,，、;；|·\n—]", plain)}
            same = sorted(label for label in labels if label and label in items)
            if same:
                bad.append(f"{page.name}: {same} in {entry[:80]!r}")
    return bad


def count_problems(out: Path) -> list[str]:
    """Every count that disagrees with another file, and every "1 entries"."""
    bad = []
    readme = (out / "README.md").read_text(encoding="utf-8")
    total = int(re.search(r"^(\d+) entr(?:y|ies) from", readme, re.M).group(1))  # type: ignore[union-attr]
    cats = re.findall(r"^\| \[.+?\]\((\w+)\.md\) \| (\d+) \|$", readme, re.M)
    if sum(int(n) for _, n in cats) != total:
        bad.append(f"categories add up to {sum(int(n) for _, n in cats)}, index says {total}")
    for name, n in cats:
        page = (out / f"{name}.md").read_text(encoding="utf-8")
        stated = int(re.search(r"^(\d+) entr(?:y|ies) from", page, re.M).group(1))  # type: ignore[union-attr]
        if not int(n) == stated == len(entries_of(page)):
            bad.append(f"{name}: index {n}, page says {stated}, holds {len(entries_of(page))}")
    for name, n in re.findall(r"^\| \[`.+?`\]\(tags/(\w+)\.md\) \| .* \| (\d+) \|$", readme, re.M):
        page = (out / "tags" / f"{name}.md").read_text(encoding="utf-8")
        if len(entries_of(page)) != int(n):
            bad.append(f"tag {name}: index {n}, page holds {len(entries_of(page))}")
    shown = 0
    for line in re.findall(r"^- \[.+?\]\(sources/.+?\): (.*)$", readme, re.M):
        m = re.match(r"(\d+) entr(?:y|ies)(?: \((\d+) shown)?", line)
        assert m, line
        shown += int(m.group(2) or m.group(1))
    if shown != total:
        bad.append(f"the source lists show {shown} entries, index says {total}")
    changes = (out / "CHANGES.md").read_text(encoding="utf-8")
    m = re.search(r"First export: (\d+) entr|(\d+) now\.", changes)
    if m is None or int(m.group(1) or m.group(2)) != total:
        bad.append(f"CHANGES.md counts {m and (m.group(1) or m.group(2))}, index {total}")
    for page in sorted(out.rglob("*.md")):
        if "sources" not in page.parts:
            bad += [f"{page.name}: {w}" for w in _COUNT.findall(page.read_text(encoding="utf-8"))]
    return bad


def empty_items(out: Path) -> list[str]:
    """List items with nothing in them ("  - "): a note line left empty."""
    return [
        f"{p.name}: {n}"
        for p in sorted([*out.glob("*.md"), *out.glob("tags/*.md")])
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if re.fullmatch(r"\s*[-*]\s*", line)
    ]


def from_lines(out: Path) -> list[str]:
    return [
        f"{p.name}: {line}"
        for p in sorted([*out.glob("*.md"), *out.glob("tags/*.md")])
        for line in p.read_text(encoding="utf-8").splitlines()
        if re.search(r"(^|· )from \*", line.strip())
    ]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The README's set-up, into a temporary DB and directory."""
    tmp = tmp_path_factory.mktemp("demo")
    db = tmp / "curator.db"
    import_demo(db)
    assert run_cli("tag", "--db", db).code == 0
    r = run_cli("export", "--db", db, "--out", tmp / "exports")
    assert r.code == 0, r.stderr
    return tmp / "exports"


def test_the_demo_exports_are_ready_to_publish(demo: Path) -> None:
    assert broken_relative_links(demo) == []
    assert repeated_link_texts(demo) == []
    assert from_lines(demo) == []
    assert empty_items(demo) == []
    assert count_problems(demo) == []
    # The Diffusion series: the three parts are links, not also a "第一篇, 第二篇" text.
    hardware = (demo / "hardware.md").read_text(encoding="utf-8")
    entry = next(e for e in entries_of(hardware) if "深入浅出扩散模型" in e)
    assert "— 从原理,数学推导和代码实现分别讲解SD" in entry
    assert entry.count("第一篇") == 1 and "[第一篇](" in entry


def test_the_committed_exports_are_ready_to_publish() -> None:
    out = ROOT / "exports"
    if not (out / "README.md").exists():
        pytest.skip("no committed exports/ in this checkout")
    assert broken_relative_links(out) == []
    assert repeated_link_texts(out) == []
    assert from_lines(out) == []
    assert empty_items(out) == []
    assert count_problems(out) == []


LIST_A = """# Notes

## Guides

- [Intro](docs/intro.md): the local guide, as in [the notes](#notes)
- [Gone](docs/missing.md): a file that is not in this repository
- [Guide, part 1](https://guide.example/book#part-1)
- [Guide, part 2](https://guide.example/book#part-2)

## Shared

- [Shared page](https://shared.example/page): [第一篇](https://shared.example/1), \
[第二篇](https://shared.example/2), only the rest stays
"""

LIST_B = """# More

## Speed

- [Shared page](https://shared.example/page): listed again, in another section
- [Only here](https://b.example/x)
"""


@pytest.fixture
def fixture_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two lists in a repository-like directory (the current directory, as in CI)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lists" / "docs").mkdir(parents=True)
    (tmp_path / "lists" / "docs" / "intro.md").write_text("# Intro\n", encoding="utf-8")
    (tmp_path / "lists" / "a.md").write_text(LIST_A, encoding="utf-8")
    (tmp_path / "lists" / "b.md").write_text(LIST_B, encoding="utf-8")
    db = tmp_path / "curator.db"
    assert run_cli("import", "lists/a.md", "lists/b.md", "--db", db).code == 0
    assert run_cli("tag", "--db", db).code == 0
    return db


def entry_ids(db: Path, title: str) -> list[int]:
    import json

    r = run_cli("list", "--format", "json", "--search", title, "--db", db)
    assert r.code == 0, r.stderr
    return [int(e["id"]) for e in json.loads(r.stdout) if e["title"] == title]


def test_relative_links_resolve_from_the_export_directory(fixture_db: Path) -> None:
    r = run_cli("export", "--db", fixture_db, "--out", "site/exports")
    assert r.code == 0, r.stderr
    out = Path("site/exports")
    assert broken_relative_links(out) == []
    page = next(p for p in out.glob("*.md") if "Intro" in p.read_text(encoding="utf-8"))
    text = page.read_text(encoding="utf-8")
    assert "[Intro](../../lists/docs/intro.md)" in text  # resolves from site/exports/
    assert "- Gone — a file that is not in this repository" in text  # no link to nowhere
    assert "[the notes](sources/a.md#notes)" in text  # an in-page anchor, from exports/
    assert "note: relative links to files that are not here: 1;" in " ".join(r.stderr.split())
    assert repeated_link_texts(out) == [] and from_lines(out) == [] and count_problems(out) == []


def test_base_url_makes_relative_links_absolute(fixture_db: Path) -> None:
    base = "https://github.com/OWNER/REPO/blob/main/"
    r = run_cli("export", "--db", fixture_db, "--out", "exports", "--base-url", base)
    assert r.code == 0, r.stderr
    text = "".join(p.read_text(encoding="utf-8") for p in Path("exports").glob("*.md"))
    assert f"[Intro]({base}lists/docs/intro.md)" in text
    assert f"[Gone]({base}lists/docs/missing.md)" in text
    assert "not here" not in r.stderr
    bad = run_cli("export", "--db", fixture_db, "--out", "exports", "--base-url", "github/x")
    assert bad.code == 2 and bad.stderr.startswith("Error: --base-url must be an http(s) URL")


def test_fragments_tags_and_counts_of_the_fixture(fixture_db: Path) -> None:
    # The shared page is in a.md › Shared (shown) and b.md › Speed; a tag given to the
    # second place stays with it and does not show on the first.
    b_id = entry_ids(fixture_db, "Shared page")
    assert len(b_id) == 2
    assert run_cli("tag", "add", str(max(b_id)), "perf", "--db", fixture_db).code == 0
    r = run_cli("export", "--db", fixture_db, "--out", "exports")
    assert r.code == 0, r.stderr
    out = Path("exports")
    pages = {p.name: p.read_text(encoding="utf-8") for p in out.glob("*.md")}
    every = "".join(pages.values())
    shared = next(
        e for t in pages.values() if "## Contents" in t for e in entries_of(t) if "Shared page" in e
    )
    assert "perf" not in shared and "also in *b › More › Speed*" in shared
    assert "— only the rest stays" in shared  # the sub-links' labels are not repeated
    assert "[Guide, part 1](https://guide.example/book#part-1)" in every
    assert "[Guide, part 2](https://guide.example/book#part-2)" in every
    readme = pages["README.md"]
    assert re.search(r"^6 entries from 2 lists", readme, re.M), readme
    assert "- [b](sources/b.md): 2 entries (1 shown; 1 repeat of an entry shown once)" in readme
    assert count_problems(out) == [] and from_lines(out) == []
    # No section of the fixture maps to the bundled taxonomy, so the list's own headings
    # are the categories (Guides, Shared, Speed), each counted in the plural.
    assert "6 entries in 3 categories, 0 tags" in r.stdout and "in 3 categories (" in readme


def test_export_keys_of_curator_toml(fixture_db: Path) -> None:
    """[export] out and base_url from the maintainer's file; a flag still wins."""
    base = "https://github.com/OWNER/REPO/blob/main/"
    Path("curator.toml").write_text(f'[export]\nout = "site"\nbase_url = "{base}"\nstars = true\n')
    r = run_cli("export", "--db", fixture_db)
    assert r.code == 0, r.stderr
    text = "".join(p.read_text(encoding="utf-8") for p in Path("site").glob("*.md"))
    assert f"[Intro]({base}lists/docs/intro.md)" in text
    assert not Path("exports").exists()
    r = run_cli("export", "--db", fixture_db, "--out", "other")
    assert r.code == 0 and (Path("other") / "README.md").exists()
    shown = run_cli("config", "show")
    assert "export.stars = true" in shown.stdout and "export.out" in shown.stdout
