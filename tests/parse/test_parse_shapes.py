"""Shapes real lists use beyond the seeds: each link GitHub would show is kept."""

from __future__ import annotations

from curator.parse import EntryKind, LinkRole, parse_markdown


def urls(text: str) -> list[str]:
    return [lk.href for e in parse_markdown(text).entries for lk in e.links]


def test_reference_style_links_resolve() -> None:
    doc = parse_markdown(
        "# L\n\n- [Name][ref] - about it\n- [Other][]\n\n"
        "[ref]: https://ref.example/a\n[other]: https://other.example/\n"
    )
    assert [(e.title, e.url, e.description) for e in doc.curated] == [
        ("Name", "https://ref.example/a", "about it"),
        ("Other", "https://other.example/", ""),
    ]


def test_bare_urls_are_links_like_on_github() -> None:
    found = urls(
        "# L\n\n- Tool: https://tool.example/x, see also www.docs.example.\n"
        "- not a link: example.com\n"
    )
    assert found == ["https://tool.example/x", "http://www.docs.example"]


def test_html_anchor_and_details_block() -> None:
    text = (
        "# L\n\n<details>\n<summary>More</summary>\n\n- [Inside](https://in.example/)\n\n"
        '</details>\n\n<p><a href="https://html.example/">HTML link</a></p>\n\n'
        '- inline <a href="https://inline.example/">anchor</a> here\n'
    )
    doc = parse_markdown(text)
    assert "https://in.example/" in urls(text)
    html = [e for e in doc.entries if e.kind is EntryKind.HTML]
    assert [(e.title, e.url) for e in html] == [("HTML link", "https://html.example/")]
    inline = [e for e in doc.curated if "inline.example" in (e.url or "")]
    assert inline and inline[0].title == "inline"


def test_heading_link_with_note_bullets() -> None:
    doc = parse_markdown(
        "## Tools\n\n#### [FastTool](https://fast.example/)\n\n"
        "- very fast\n- [github](https://github.com/f/t)\n\n## Next\n\n"
        "- [Plain](https://plain.example/)\n"
    )
    tool = next(e for e in doc.curated if e.kind is EntryKind.HEADING_LINK)
    assert tool.title == "FastTool" and tool.category == ("Tools",)
    assert "very fast" in tool.notes
    assert [lk.role for lk in tool.links] == [LinkRole.MAIN, LinkRole.SUB]
    plain = next(e for e in doc.curated if e.title == "Plain")
    assert plain.category == ("Next",) and plain.parent is None


def test_tables_without_outer_pipes_ragged_rows_and_many_links_per_cell() -> None:
    doc = parse_markdown(
        "# T\n\nName | Links\n--- | ---\nA | [x](https://x.example/) "
        "[y](https://y.example/)\nB\nC | [z](https://z.example/) | extra\n"
    )
    rows = [e for e in doc.curated if e.kind is EntryKind.TABLE_ROW]
    assert [r.title for r in rows] == ["A", "B", "C"]
    assert [lk.href for lk in rows[0].links] == ["https://x.example/", "https://y.example/"]
    assert rows[1].columns == {"Name": "B", "Links": ""}
    assert rows[2].url == "https://z.example/"


def test_block_html_inside_a_cell_keeps_its_words_apart() -> None:
    doc = parse_markdown(
        "# T\n\n|Paper|Main Idea|\n|---|---|\n|[Axial](https://a.example/)|"
        "<details><summary>EXPAND</summary><p>attention on each axis</p></details>|\n"
    )
    (row,) = [e for e in doc.curated if e.kind is EntryKind.TABLE_ROW]
    assert row.columns is not None
    assert row.columns["Main Idea"].split() == ["EXPAND", "attention", "on", "each", "axis"]


def test_tab_indentation_and_zero_width_characters() -> None:
    doc = parse_markdown(
        "# L\n\n- [Par\u200bent](https://p.example/)\n\t- [Child](https://c.example/)"
        ": nested with a tab\n"
    )
    parent, child = doc.curated
    assert parent.title == "Parent"
    assert child.parent == parent.index and child.description == "nested with a tab"


def test_code_blocks_and_comments_are_not_mined() -> None:
    found = urls(
        "# L\n\n```\n- [no](https://code.example/)\n```\n\n    https://indented.example/\n\n"
        "<!-- [no](https://comment.example/) -->\n\n- [yes](https://yes.example/)\n"
    )
    assert found == ["https://yes.example/"]


def test_curator_ignore_marks_the_next_item() -> None:
    doc = parse_markdown(
        "# L\n\n<!-- curator-ignore -->\n- [skip](https://skip.example/)\n"
        "\n- [keep](https://keep.example/)\n"
    )
    flags = {e.title: e.ignored for e in doc.curated}
    assert flags == {"skip": True, "keep": False}


def test_setext_headings_and_badges() -> None:
    doc = parse_markdown(
        "Awesome\n=======\n\n[![Awesome](https://awesome.re/badge.svg)]"
        "(https://awesome.re)\n\nSection\n-------\n\n- [a](https://a.example/)\n"
    )
    assert doc.curated[0].category == ("Awesome", "Section")
    badge = next(e for e in doc.entries if e.kind is EntryKind.BADGE)
    assert {lk.href for lk in badge.links} == {"https://awesome.re/badge.svg", "https://awesome.re"}


def test_parser_drops_the_same_invisible_characters_as_url_identity() -> None:
    from curator.parse import inline
    from curator.urls import strip_invisible

    every_bmp_char = "".join(chr(c) for c in range(0xD800)) + "".join(
        chr(c) for c in range(0xE000, 0x10000)
    )
    assert inline.strip_invisible(every_bmp_char) == strip_invisible(every_bmp_char)
    assert inline.strip_invisible("a\u200bb") == "ab"


def test_link_kind_fast_path_agrees_with_classify() -> None:
    from curator.parse.blocks import _link_kind
    from curator.urls import classify

    for href in ("https://x.example/", "http://[::1", "https://\u200bx", "HTTP://X", "#a", ""):
        assert _link_kind(href) == classify(href)
