"""Lists the taxonomy does not fit keep their own headings as categories; the index never
shows a category or a tag with 0 entries; a list can bring its own taxonomy (issue 14)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.cli import run_cli

SHELL_LIST = """\
# Awesome Terminal

A list of command-line tools.

## Contents

- [Prompts](#prompts)
- [Navigation](#navigation)

## Prompts

- [starship](https://github.com/starship/starship) - Fast, customisable, cross-shell prompt
- [pure](https://github.com/sindresorhus/pure) - Pretty, minimal zsh prompt

## Navigation

- [zoxide](https://github.com/ajeetdsouza/zoxide) - A faster way to navigate your filesystem
- [broot](https://github.com/Canop/broot) - A new way to see and navigate directory trees
- [fzf](https://github.com/junegunn/fzf) - A command-line fuzzy finder

## Miscellaneous

- [tldr](https://github.com/tldr-pages/tldr) - Simplified man pages
"""


def build(tmp_path: Path, *export_args: str) -> tuple[Path, str]:
    src = tmp_path / "terminal.md"
    src.write_text(SHELL_LIST, encoding="utf-8")
    db = tmp_path / "c.db"
    out = tmp_path / "exports"
    assert run_cli("import", src, "--db", db).code == 0
    assert run_cli("tag", "--db", db).code == 0
    r = run_cli("export", "--out", out, "--db", db, *export_args)
    assert r.code == 0, r.stderr
    return out, (out / "README.md").read_text(encoding="utf-8")


def table_rows(index: str, section: str) -> list[list[str]]:
    part = index.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in part.splitlines() if line.startswith("| ") and "---" not in line]
    return [[c.strip() for c in row.strip("|").split("|")] for row in rows[1:]]


def test_a_list_the_taxonomy_does_not_fit_keeps_its_own_headings(tmp_path: Path) -> None:
    out, index = build(tmp_path)
    categories = {row[0]: int(row[1]) for row in table_rows(index, "Categories")}
    assert categories == {
        "[Prompts](prompts.md)": 2,
        "[Navigation](navigation.md)": 3,
        "[Miscellaneous](misc.md)": 1,  # the list's own "Miscellaneous" is the taxonomy's
    }
    page = (out / "navigation.md").read_text(encoding="utf-8")
    assert page.splitlines()[1] == "# Navigation"
    assert "[zoxide](https://github.com/ajeetdsouza/zoxide)" in page
    assert "starship" not in page
    assert not (out / "cv.md").exists()


def test_the_index_shows_no_tag_or_category_with_0_entries(tmp_path: Path) -> None:
    out, index = build(tmp_path)
    for section in ("Categories", "Tags"):
        rows = table_rows(index, section)
        assert rows, section
        assert all(int(row[-1]) > 0 for row in rows), (section, rows)
    tags = [re.search(r"tags/([\w.-]+)\.md", row[0]) for row in table_rows(index, "Tags")]
    names = {m.group(1) for m in tags if m}
    # Only the code tag (GitHub repositories) applies to this list; "faster way" is not perf.
    assert names == {"code"}
    assert sorted(p.stem for p in (out / "tags").glob("*.md")) == ["code"]


def test_a_list_can_bring_its_own_taxonomy(tmp_path: Path) -> None:
    tax = tmp_path / "terminal-taxonomy.toml"
    tax.write_text(
        '[categories.shell]\ntitle = "Shell tools"\n\n'
        '[[rules]]\ncategory = "shell"\nkeywords = ["Prompts", "Navigation"]\n',
        encoding="utf-8",
    )
    out, index = build(tmp_path, "--taxonomy", str(tax))
    categories = {row[0]: int(row[1]) for row in table_rows(index, "Categories")}
    assert categories == {"[Shell tools](shell.md)": 5, "[Miscellaneous](misc.md)": 1}
    assert not (out / "prompts.md").exists()


GO_LIST = """\
# Awesome Gophers

## Web Frameworks

- [gin](https://github.com/gin-gonic/gin) - An HTTP web framework
- [echo](https://github.com/labstack/echo) - Minimalist web framework

## Hardware

- [gobot](https://github.com/hybridgroup/gobot) - GPIO, drones and robots

## Testing

- [testify](https://github.com/stretchr/testify) - Assertions and mocks
- [ginkgo](https://github.com/onsi/ginkgo) - BDD testing framework

## Networking

- [quic-go](https://github.com/quic-go/quic-go) - QUIC in pure Go
- [gnet](https://github.com/panjf2000/gnet) - Event-driven networking
"""


def test_a_list_on_another_topic_keeps_even_the_headings_the_taxonomy_knows(
    tmp_path: Path,
) -> None:
    src = tmp_path / "go.md"
    src.write_text(GO_LIST, encoding="utf-8")
    db, out = tmp_path / "c.db", tmp_path / "exports"
    assert run_cli("import", src, "--db", db).code == 0
    assert run_cli("export", "--out", out, "--db", db).code == 0
    index = (out / "README.md").read_text(encoding="utf-8")
    titles = {re.sub(r"\]\(.*", "", row[0]).lstrip("[") for row in table_rows(index, "Categories")}
    # "Web Frameworks" and "Hardware" are words of the deep-learning taxonomy, but in a Go
    # list they are the list's own sections, not "Frameworks and tools" or GPUs and chips.
    assert titles == {"Web Frameworks", "Hardware", "Testing", "Networking"}
    assert not (out / "framework.md").exists() and not (out / "hardware.md").exists()
    page = next(p for p in out.glob("hardware*.md"))
    assert "[gobot](https://github.com/hybridgroup/gobot)" in page.read_text(encoding="utf-8")
