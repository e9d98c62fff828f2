"""Entries that are right on any list: one small list per shape (issue 13, rules 1-8).

Each snippet is written here in the way real lists write that shape; the assertions are
what a reader of the rendered list would count as its items, titles, URLs and sections.
"""

from __future__ import annotations

from curator.parse import CategoryKind, EntryKind, LinkRole, ParsedDocument, parse_markdown
from curator.urls import LinkKind


def items(doc: ParsedDocument) -> list[tuple[str, str | None]]:
    return [(e.title, e.url) for e in doc.curated]


def hrefs(doc: ParsedDocument) -> list[str]:
    return [lk.href for e in doc.entries for lk in e.links]


# -- rule 1: ToCs ----------------------------------------------------------------------


def test_toc_with_a_badge_in_its_first_item_is_a_toc_at_any_depth() -> None:
    doc = parse_markdown(
        "# Awesome X\n\n"
        "- [Awesome X ![Awesome](https://awesome.re/badge.svg)](#awesome-x)\n"
        "  - [Tools](#tools)\n"
        "    - [CLI](#cli)\n\n"
        "## Tools\n\n### CLI\n\n- [fd](https://github.com/sharkdp/fd) - find files\n"
    )
    assert items(doc) == [("fd", "https://github.com/sharkdp/fd")]
    toc = [e for e in doc.entries if e.kind is EntryKind.TOC]
    assert {lk.href for e in toc for lk in e.links} >= {"#awesome-x", "#tools", "#cli"}


def test_toc_as_table_and_with_the_documents_own_url() -> None:
    doc = parse_markdown(
        "# L\n\n| Section | About |\n|---|---|\n| [Tools](#tools) | the tools |\n"
        "| [Books](#books) | the books |\n\n"
        "- [Tools](https://github.com/o/r#tools)\n- [Books](https://github.com/o/r#books)\n"
        "- [Talks](https://github.com/o/r#talks)\n\n"
        "## Tools\n\n- [a](https://a.example/)\n\n## Books\n\n- [b](https://b.example/)\n\n"
        "## Talks\n\n- [c](https://c.example/)\n"
    )
    assert items(doc) == [
        ("a", "https://a.example/"),
        ("b", "https://b.example/"),
        ("c", "https://c.example/"),
    ]
    assert "https://github.com/o/r#talks" in hrefs(doc)  # kept, and checked


def test_back_to_top_lines_are_navigation() -> None:
    doc = parse_markdown(
        "# L\n\n## A\n\n- [a](https://a.example/)\n\n**[⬆ back to top](#l)**\n\n"
        '<div align="right"><b><a href="#l">↥ back to top</a></b></div>\n\n'
        "[← Back to the index](../README.md#models)\n"
    )
    assert items(doc) == [("a", "https://a.example/")]
    assert "../README.md#models" in hrefs(doc)


# -- rule 2: intro and group lines -----------------------------------------------------


def test_intro_line_over_a_list_is_a_label_not_an_entry() -> None:
    doc = parse_markdown(
        "# L\n\n## Tools\n\nSome useful tools:\n\n"
        "- [fd](https://fd.example/) - find\n- [rg](https://rg.example/) - grep\n\n"
        "_Toolkits_\n\n- [gtk](https://gtk.example/) - widgets\n"
    )
    assert items(doc) == [
        ("fd", "https://fd.example/"),
        ("rg", "https://rg.example/"),
        ("gtk", "https://gtk.example/"),
    ]
    assert doc.curated[0].category == ("L", "Tools", "Some useful tools")
    assert [c.kind for c in doc.categories][-1] is CategoryKind.PSEUDO
    assert doc.curated[2].category == ("L", "Tools")  # `_Toolkits_` labels nothing


def test_group_label_bullet_never_takes_a_childs_url() -> None:
    doc = parse_markdown(
        "# L\n\n- Promises\n\t- [pify](https://pify.example/) - promisify\n"
        "\t- [delay](https://delay.example/) - wait\n\t- [More…](https://more.example/)\n"
        "- **Post-Training**\n  - [PEFT](https://peft.example/): fine-tuning\n"
    )
    assert items(doc) == [
        ("pify", "https://pify.example/"),
        ("delay", "https://delay.example/"),
        ("PEFT", "https://peft.example/"),
    ]
    assert "https://more.example/" in hrefs(doc)


# -- rule 3: prose ---------------------------------------------------------------------


def test_prose_quotes_and_footers_keep_links_but_are_not_items() -> None:
    doc = parse_markdown(
        "# L\n\nThis list collects the tools we use every day; read the "
        "[guide](https://guide.example/) before you send a pull request, please.\n\n"
        "> Note: see also\n> - [Other list](https://other.example/)\n\n"
        "- [a](https://a.example/) - the item\n\n## License\n\n[License](./LICENSE) - CC0\n\n"
        "[Ada Lovelace](https://ada.example/), [Alan Turing](https://alan.example/), "
        "Grace Hopper, [Edsger Dijkstra](https://ed.example/).\n"
    )
    assert items(doc) == [("a", "https://a.example/")]
    kept = hrefs(doc)
    for url in ("https://guide.example/", "https://other.example/", "./LICENSE"):
        assert url in kept
    holders = {e.kind for e in doc.entries for lk in e.links if lk.href != "https://a.example/"}
    assert holders <= {EntryKind.PROSE, EntryKind.BADGE}


def test_html_links_in_a_sentence_or_fine_print_are_prose() -> None:
    doc = parse_markdown(
        '# L\n\n<p align="center"><sup><a href="https://sponsor.example/">My work is '
        "supported by the community</a></sup></p>\n\n"
        '<div>Using <a href="https://app.example/">my app</a> is also a way to support me</div>\n'
        '\n<p><a href="https://html.example/">HTML link</a></p>\n'
    )
    assert items(doc) == [("HTML link", "https://html.example/")]
    assert {"https://sponsor.example/", "https://app.example/"} <= set(hrefs(doc))


# -- rule 4: <details><summary> project blocks -----------------------------------------


def test_details_summary_is_one_entry_with_its_package_links() -> None:
    doc = parse_markdown(
        "# L\n\n## Notebooks\n\n"
        '<details><summary><b><a href="https://github.com/jupyter/notebook">Jupyter</a></b> '
        '(🥇46 · ⭐ 14K) - Interactive notebooks. <code><a href="http://bit.ly/x">BSD-3</a>'
        "</code></summary>\n\n"
        "- [GitHub](https://github.com/jupyter/notebook) (👨‍💻 670):\n\n"
        "\t```\n\tgit clone https://github.com/jupyter/notebook\n\t```\n"
        "- [PyPi](https://pypi.org/project/notebook) (📥 71M / month):\n"
        "- [Docker Hub](https://hub.docker.com/r/jupyter/x)\n"
        "</details>\n"
    )
    (entry,) = doc.curated
    assert (entry.title, entry.url) == ("Jupyter", "https://github.com/jupyter/notebook")
    assert "Interactive notebooks." in entry.description
    subs = {lk.text: lk.href for lk in entry.links if lk.role is LinkRole.SUB}
    assert subs["BSD-3"] == "http://bit.ly/x"
    assert subs["PyPi"] == "https://pypi.org/project/notebook"
    assert subs["Docker Hub"] == "https://hub.docker.com/r/jupyter/x"


# -- rule 5: descriptions and continuation lines ---------------------------------------


def test_description_paragraph_and_wrapped_lines_join_with_one_space() -> None:
    doc = parse_markdown(
        "# 书单\n\n* [《深度学习》](https://book.example/dl)\n\n介绍：一本讲深度学习的书，\n"
        "内容很全。\n\n* [《机器学习》](https://book.example/ml)\n\n"
        "- [ThunderKittens](https://tk.example/): A DSL within CUDA, with good background on\n"
        "  getting good H100 performance\n"
    )
    assert [(e.title, e.description) for e in doc.curated] == [
        ("《深度学习》", "一本讲深度学习的书，内容很全。"),
        ("《机器学习》", ""),
        (
            "ThunderKittens",
            "A DSL within CUDA, with good background on getting good H100 performance",
        ),
    ]


# -- rule 6: headings ------------------------------------------------------------------


def test_heading_badges_emoji_anchors_and_hashes_are_not_in_category_names() -> None:
    doc = parse_markdown(
        "# Awesome-LLM [![Awesome](https://awesome.re/badge.svg)](https://awesome.re)\n\n"
        '## 🚀 Tools 🔥\n\n### <a name="cli"></a> CLI ##\n\n- [fd](https://fd.example/)\n'
    )
    assert doc.curated[0].category == ("Awesome-LLM", "Tools", "CLI")
    assert "https://awesome.re" in hrefs(doc)


def test_heading_inside_a_list_opens_a_sub_category() -> None:
    doc = parse_markdown(
        "# L\n\n- ### Editors\n- [vim](https://vim.example/) - modal\n"
        "- ### Shells\n- [zsh](https://zsh.example/) - shell\n"
    )
    assert [(e.title, e.category) for e in doc.curated] == [
        ("vim", ("L", "Editors")),
        ("zsh", ("L", "Shells")),
    ]


def test_heading_of_text_and_a_link_is_an_entry_titled_by_its_text() -> None:
    doc = parse_markdown("# L\n\n#### 大模型推理优化: [blog](https://blog.example/p)\n")
    assert items(doc) == [("大模型推理优化", "https://blog.example/p")]


# -- rule 7: tables --------------------------------------------------------------------


def test_table_rows_are_named_by_their_item_not_a_date_or_count() -> None:
    doc = parse_markdown(
        "# Papers\n\n| Date | Keywords | Paper |\n|---|---|---|\n"
        "| 2021-08 | Codex | [Evaluating Large Language Models](https://arxiv.example/1) |\n\n"
        "| Paper | Code |\n|---|---|\n"
        "| [Reformer](https://arxiv.example/2) (216) | [code](https://github.example/r) |\n"
        "| [Jobber](https://jobber.example/) (🔱 Atlantis) | |\n"
    )
    assert items(doc) == [
        ("Evaluating Large Language Models", "https://arxiv.example/1"),
        ("Reformer", "https://arxiv.example/2"),
        ("Jobber", "https://jobber.example/"),
    ]


# -- item shapes the rules keep right --------------------------------------------------


def test_bracketed_venue_before_a_title_and_bold_titled_paragraphs() -> None:
    doc = parse_markdown(
        "# Q\n\n- [[arXiv](https://arxiv.example/1)] How Good Are Low-bit Models? "
        "[[code](https://github.example/c)]\n"
        "- [[AAAI](https://arxiv.example/2)] [72:fire:] Q-BERT: Low Precision BERT. [`qnn`]\n\n"
        "**A Survey of Quantization** [[Paper](https://arxiv.example/3)]\n\n"
        "**GaussianEditor: Swift 3D Editing**\n\n- Paper: https://arxiv.example/4\n"
        "- Code: https://github.example/g\n"
    )
    assert items(doc) == [
        ("How Good Are Low-bit Models?", "https://arxiv.example/1"),
        ("Q-BERT: Low Precision BERT", "https://arxiv.example/2"),
        ("A Survey of Quantization", "https://arxiv.example/3"),
        ("GaussianEditor: Swift 3D Editing", "https://arxiv.example/4"),
    ]


# -- rule 8: links GitHub shows --------------------------------------------------------


def test_links_as_githubs_autolinker_sees_them() -> None:
    doc = parse_markdown(
        "# L\n\n- a https://msdn.example/library/ms535874\\(v=vs.85\\).aspx x\n"
        "- b https://q.example/?a=1&amp;b=2.\n"
        "- c me@example.org, ftp://ftp.example.org/pub/ and http://localhost:8080/x)\n"
    )
    found = {(lk.href, lk.kind) for e in doc.entries for lk in e.links}
    assert found == {
        ("https://msdn.example/library/ms535874(v=vs.85).aspx", LinkKind.WEB),
        ("https://q.example/?a=1&b=2", LinkKind.WEB),
        ("mailto:me@example.org", LinkKind.MAILTO),
        ("ftp://ftp.example.org/pub/", LinkKind.OTHER),
        ("http://localhost:8080/x", LinkKind.WEB),
    }


def test_srcset_images_are_kept() -> None:
    doc = parse_markdown(
        '# L\n\n<picture>\n  <source media="(prefers-color-scheme: dark)" '
        'srcset="https://star.example/dark.svg 1x, https://star.example/dark2.svg 2x" />\n'
        '  <img alt="Stars" src="https://star.example/light.svg" />\n</picture>\n'
    )
    assert set(hrefs(doc)) == {
        "https://star.example/dark.svg",
        "https://star.example/dark2.svg",
        "https://star.example/light.svg",
    }


def test_footnotes_are_not_reference_links_and_math_is_not_a_link() -> None:
    doc = parse_markdown(
        "# L\n\n- [a](https://a.example/) - see the note[^1] and $x = [b](c)$\n\n"
        "$$ [\\psi](\\mathbf{L}) $$\n\n[^1]: Written in [2024](https://note.example/).\n"
    )
    assert items(doc) == [("a", "https://a.example/")]
    assert sorted(hrefs(doc)) == ["https://a.example/", "https://note.example/"]


# -- round 2: shapes from how GitHub renders HTML and how lists tag their items ----------


def test_html_headings_open_categories_like_atx_headings() -> None:
    doc = parse_markdown(
        "# Questions\n\n"
        '<h3 id="a">Part A</h3>\n\n---\n\n'
        "##### [1.1 How do lists work?](a/1.1.md)\n\n##### [1.2 What is a tree?](a/1.2.md)\n\n"
        '<h3 id="b">Part B</h3>\n\n- [b one](https://b.example/1)\n'
    )
    assert [(e.title, e.category) for e in doc.curated] == [
        ("1.1 How do lists work?", ("Questions", "Part A")),
        ("1.2 What is a tree?", ("Questions", "Part A")),
        ("b one", ("Questions", "Part B")),
    ]
    assert [(c.title, c.level) for c in doc.categories][:2] == [("Questions", 1), ("Part A", 3)]


def test_a_br_line_break_ends_the_title_before_the_venue() -> None:
    doc = parse_markdown(
        "# Papers\n\n"
        "- Sparse Trees: Faster Search <br> ICML 2024 (Oral 🏆) [[Paper]](https://p.example/1)"
        " [[Code]](https://github.com/o/trees)\n"
        "- Dense Graphs<br/>Arxiv 2023 [[Paper]](https://p.example/2)\n"
    )
    assert items(doc) == [
        ("Sparse Trees: Faster Search", "https://p.example/1"),
        ("Dense Graphs", "https://p.example/2"),
    ]
    assert "ICML 2024" in doc.curated[0].description


def test_a_bold_tag_glued_to_a_link_is_metadata_the_link_names_the_item() -> None:
    doc = parse_markdown(
        "# GPU\n\n"
        "- **ISCA'15**-[Flexible Profiling of GPUs](https://p.example/isca)\n"
        "- **Vendor Arch**-[The X100 Architecture](https://p.example/x100)\n"
        "- **Trees**: [Homepage](https://trees.example/) - a tree library\n"
    )
    assert items(doc) == [
        ("Flexible Profiling of GPUs", "https://p.example/isca"),
        ("The X100 Architecture", "https://p.example/x100"),
        ("Trees", "https://trees.example/"),  # a generic link names nothing: the bold does
    ]
    assert "ISCA'15" in doc.curated[0].description


def test_table_rows_are_named_by_the_column_that_links_the_items() -> None:
    doc = parse_markdown(
        "# Models\n\n"
        "|No.|Company|Model|Site|Notes|\n|-|-|-|-|-|\n"
        "|1|Acme|[Rocket](https://rocket.example/)|✔|open weights [Rocket-7B](https://h.example/r)|\n"
        "|2|Globex|[Hammer](https://hammer.example/)|✔||\n"
        "|3|Initech|Stapler|✘|no site yet|\n"
        "|4|Umbrella|Hive|[Umbrella AI](https://umbrella.example/)||\n\n"
        "|Company|Model|\n|-|-|\n"
        "|Acme|[Anvil](https://anvil.example/)|\n|Wonka|Gobstopper|\n"
        "|Globex|[Laser](https://laser.example/)|\n\n"
        "|Model|Size|Weights|Org|\n|-|-|-|-|\n"
        "|Anvil|7B|[HF](https://hf.example/anvil)|[acme](https://github.com/acme)|\n"
        "|Laser|1T|[HF](https://hf.example/laser)|[globex](https://github.com/globex)|\n"
    )
    assert items(doc) == [
        ("Rocket", "https://rocket.example/"),
        ("Hammer", "https://hammer.example/"),
        ("Stapler", None),
        ("Hive", "https://umbrella.example/"),
        ("Anvil", "https://anvil.example/"),
        ("Gobstopper", None),
        ("Laser", "https://laser.example/"),
        # A name column first keeps its name, whatever the linked columns after it say.
        ("Anvil", "https://hf.example/anvil"),
        ("Laser", "https://hf.example/laser"),
    ]


def test_a_colon_splits_a_name_from_a_sentence_but_not_a_titled_subtitle() -> None:
    doc = parse_markdown(
        "# Tools\n\n"
        "- Can my laptop run it?: Estimate memory use for training and inference of models."
        " [[Code]](https://github.com/o/fit)\n\n"
        "- Sparse Trees: Faster Search in Large Indexes [[Paper]](https://p.example/trees)\n\n"
        "- Pruning deep networks: a whitepaper | [`[pdf]`](https://p.example/wp.pdf)\n\n"
        "- DeepPrune: Self-Distillation Pruning for Efficient Language Models\n\n"
        "  Arxiv 2025 [[Paper]](https://p.example/prune)\n"
    )
    assert items(doc) == [
        ("Can my laptop run it?", "https://github.com/o/fit"),
        ("Sparse Trees: Faster Search in Large Indexes", "https://p.example/trees"),
        ("Pruning deep networks: a whitepaper", "https://p.example/wp.pdf"),
        (
            "DeepPrune: Self-Distillation Pruning for Efficient Language Models",
            "https://p.example/prune",
        ),
    ]
    assert doc.curated[0].description.startswith("Estimate memory use")


def test_emoji_shortcodes_and_emoji_ornaments_are_not_part_of_titles() -> None:
    doc = parse_markdown(
        "# Registries\n\n"
        "- [Crate Host :heavy_dollar_sign:](https://host.example/) - paid hosting\n"
        "- [🦀 Ferris Pack 🦀](https://github.com/o/ferris) - drawings\n"
        "- [C++ :: Tips](https://tips.example/) - not a shortcode\n"
        "- [🚀](https://rocket.example/) - only an emoji: kept, it is all the name there is\n"
    )
    assert [e.title for e in doc.curated] == ["Crate Host", "Ferris Pack", "C++ :: Tips", "🚀"]


def test_a_date_prefix_and_credits_after_a_bold_name_are_not_the_title() -> None:
    doc = parse_markdown(
        "# Reading\n\n"
        "- `2020-09` [Driving with tiny vision models](https://blog.example/driving)\n"
        "- `[2022-12]` **Edge AI** (A. Author & B. Author, 2022): [`[Book]`](https://b.example/1)\n"
        "- **12-345: On-Device Learning** - by Some University | [`[website]`](https://u.example/)\n"
        "- 2021-08: [Codex evaluated](https://p.example/codex)\n"
        "- **[SQZ]** Small Nets With Few Parameters | [`[pdf]`](https://p.example/sqz.pdf)\n"
        "- **[LCS]**: Learning Subspaces | [`[pdf]`](https://p.example/lcs.pdf)\n"
    )
    assert items(doc) == [
        ("Driving with tiny vision models", "https://blog.example/driving"),
        ("Edge AI", "https://b.example/1"),
        ("12-345: On-Device Learning", "https://u.example/"),
        ("Codex evaluated", "https://p.example/codex"),
        ("Small Nets With Few Parameters", "https://p.example/sqz.pdf"),  # a bold tag
        ("Learning Subspaces", "https://p.example/lcs.pdf"),
    ]


def test_a_one_word_label_with_a_keyword_link_over_a_nested_list_is_a_label() -> None:
    doc = parse_markdown(
        "# Cloud\n\n"
        "* Azure [[azure](https://crates.example/keywords/azure)]\n"
        "  * [o/azure-sdk](https://github.com/o/azure-sdk) - the SDK\n"
        "  * [o/blob](https://github.com/o/blob) - blobs\n"
        "* [o/cloud](https://github.com/o/cloud) - generic cloud\n"
    )
    assert [e.title for e in doc.curated] == ["o/azure-sdk", "o/blob", "o/cloud"]
    assert "https://crates.example/keywords/azure" in hrefs(doc)  # kept, and checked


def test_a_bare_email_link_item_is_contact_prose() -> None:
    doc = parse_markdown(
        "# L\n\n## Tools\n\n- [fd](https://github.com/sharkdp/fd) - find files\n\n"
        "## Contact\n\nSuggestions are welcome.\n\n- [e-mail](mailto:me@example.org)\n"
        "- [dev list](mailto:dev@example.org) - the project's mailing list\n"
    )
    assert items(doc) == [
        ("fd", "https://github.com/sharkdp/fd"),
        ("dev list", "mailto:dev@example.org"),
    ]
    assert "mailto:me@example.org" in hrefs(doc)  # kept, and checked
