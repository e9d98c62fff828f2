"""Reading exported Markdown pages the way a reader sees them: the list items of a page,
each with its continuation lines, and the entries of a category or tag page (its items
after the table of contents)."""

from __future__ import annotations


def items(text: str) -> list[str]:
    """Top-level list items of a page, each with its continuation lines."""
    out: list[str] = []
    for line in text.splitlines():
        if line.startswith("- "):
            out.append(line)
        elif line.startswith("  ") and out:
            out[-1] += "\n" + line
    return out


def entries_of(text: str) -> list[str]:
    """The entries of a page: its list items after the table of contents."""
    return items(text.split("## Contents", 1)[1].split("\n## ", 1)[1])
