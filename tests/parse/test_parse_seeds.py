"""Golden tests: the parser on the five bundled seed lists (real files, real tokens)."""

from __future__ import annotations

from collections import Counter

import pytest

from curator.parse import CategoryKind, EntryKind, LinkRole, ParsedDocument, parse_markdown
from curator.urls import LinkKind
from tests.support.cli import SEEDS


def parse(key: str) -> ParsedDocument:
    return parse_markdown(SEEDS[key].read_text(encoding="utf-8"))


def by_title(doc: ParsedDocument, title: str):  # type: ignore[no-untyped-def]
    found = [e for e in doc.curated if e.title == title]
    assert found, f"no entry titled {title!r}"
    return found[0]


def counts(doc: ParsedDocument) -> dict[str, int]:
    return dict(Counter(" / ".join(e.category) for e in doc.curated))


def test_v1_counts_per_category() -> None:
    assert counts(parse("v1")) == {
        "一，数学基础专栏": 3,
        "二，神经网络基础部件 / 1，神经网络基础部件": 4,
        "二，神经网络基础部件 / 2，深度学习基础": 4,
        "三，深度学习炼丹": 5,
        "四，深度学习模型压缩": 5,
        "五，模型推理部署 / 1，模型部署": 3,
        "五，模型推理部署 / 2，模型推理": 2,
        "五，模型推理部署 / 3，ncnn 框架源码解析": 4,
        "六，异构计算": 2,
        "七，进阶课程 / 1，推荐几个比较好的深度学习模型压缩与加速的仓库和课程资料": 3,
        "七，进阶课程 / 2，一些笔记好的博客链接": 4,
        "参考资料": 7,
        "参考资料 / chatglm-6b 模型": 6,
    }


def test_newer_readme_has_llm_section_and_chip_subsection() -> None:
    c = counts(parse("dls"))
    assert c["七，大语言模型推理及服务化 / 2，Transformer 模型基础"] == 6
    assert c["七，大语言模型推理及服务化 / 4，DeepSpeed 框架学习笔记"] == 3
    assert c["五，模型推理部署 / 5，AI/NPU/GPU 芯片特性"] == 1
    assert sum(c.values()) == 64


def test_models_list_counts_per_section() -> None:
    c = counts(parse("models"))
    assert c == {
        "深度学习模型与算法 / CV": 2,
        "深度学习模型与算法 / NLP": 6,
        "深度学习模型与算法 / AUDIO": 14,
        "深度学习模型与算法 / RECO": 1,
        "深度学习模型与算法 / BIGS": 9,
        "深度学习模型与算法 / train": 16,
        "深度学习模型与算法 / dataset": 3,
        "深度学习模型与算法 / GPU": 41,
    }


def test_dls_counts_per_category() -> None:
    # Checked by hand in the Markdown: 一 (4 bullets), 二/1 (3 numbered items), 七/2 (6) and
    # 参考资料 (11 bullets, 3 of them books without a link). 九，其他 and Star History hold
    # no entries, so they must not appear.
    assert counts(parse("dls")) == {
        "一，数学基础专栏": 4,
        "二，神经网络基础部件 / 1，神经网络基础部件": 3,
        "二，神经网络基础部件 / 2，深度学习基础": 4,
        "三，深度学习炼丹": 5,
        "四，深度学习模型压缩": 5,
        "五，模型推理部署 / 1，模型部署": 2,
        "五，模型推理部署 / 2，模型推理": 2,
        "五，模型推理部署 / 3，ncnn 框架源码解析": 4,
        "五，模型推理部署 / 5，AI/NPU/GPU 芯片特性": 1,
        "六，异构计算": 2,
        "七，大语言模型推理及服务化 / 1，LLM 基础知识": 2,
        "七，大语言模型推理及服务化 / 2，Transformer 模型基础": 6,
        "七，大语言模型推理及服务化 / 3，大规模模型的推理优化及部署总结": 3,
        "七，大语言模型推理及服务化 / 4，DeepSpeed 框架学习笔记": 3,
        "八，进阶课程 / 1，推荐几个比较好的深度学习模型压缩与加速的仓库和课程资料": 3,
        "八，进阶课程 / 2，一些笔记好的博客链接": 4,
        "参考资料": 11,
    }


def test_frameworks_counts_per_category() -> None:
    # Checked by hand: 通用教程知识 (12 top-level bullets; the sub-bullets are notes),
    # 缺陷修复技巧 (5), 实用工具 (10), 历史人物杂谈 (11 top-level bullets plus the nested
    # `[如何写好科研论文]` entry; the nested `[下载]` link is a generic label, not an entry) and
    # 开源模型论文 (the OPT table row, 9 bullets, the paragraph entry and its 15 sub-bullets).
    assert counts(parse("frameworks")) == {
        "机器学习和计算框架 / 通用教程知识": 12,
        "机器学习和计算框架 / 开源模型论文": 26,
        "机器学习和计算框架 / 框架原理分析": 11,
        "机器学习和计算框架 / 框架工具实现 / 框架": 15,
        "机器学习和计算框架 / 框架工具实现 / 实用工具": 10,
        "机器学习和计算框架 / 缺陷修复技巧": 5,
        "机器学习和计算框架 / 历史人物杂谈": 12,
    }


def test_study_resources_counts_per_outline_category() -> None:
    # Checked by hand: "" (the 3 bullets of the preface, before the first outline line),
    # 6.7 (5 bullets) and 8.3 (9 bullets; the `Winograd` lines after the last one are its lazy
    # continuation). Outline lines with no bullets under them (6.5, 6.6, 8.2) are absent.
    assert counts(parse("study")) == {
        "": 3,
        "一,计算机系统 / 1.1,计算机系统书籍": 1,
        "一,计算机系统 / 1.2,设计模式教程": 1,
        "二,编程语言 / 2.1,C++ 学习资料": 3,
        "二,编程语言 / 2.2,Python 学习资料": 2,
        "三,数据结构与算法 / 3.1,数据结构与算法课程": 1,
        "三,数据结构与算法 / 3.2,算法题解": 2,
        "四,机器学习 / 4.1,机器学习课程": 4,
        "五,深度学习 / 5.1,深度学习课程": 1,
        "五,深度学习 / 5.4,PyTorch 框架学习文章": 2,
        "五,深度学习 / 5.5,PyTorch/Caffe 框架分析文章": 9,
        "六,计算机视觉 / 6.1,数字图像处理教程": 1,
        "六,计算机视觉 / 6.2,计算机视觉基础课程": 2,
        "六,计算机视觉 / 6.4,目标检测网络文章": 8,
        "六,计算机视觉 / 6.7,深度学习的评价指标文章": 5,
        "七,模型压缩与量化 / 7.1,轻量级网络设计": 3,
        "七,模型压缩与量化 / 7.2,模型压缩文章": 5,
        "八,高性能计算 / 8.1,CPU/GPU/AI 芯片科普": 6,
        "八,高性能计算 / 8.3,矩阵乘优化文章": 9,
        "九,模型部署(算法SDK开发) / 9.1,模型部署文章": 17,
    }


def test_whisper_forks_are_nested_entries_of_whisper() -> None:
    doc = parse("models")
    whisper = by_title(doc, "whisper")
    assert whisper.kind is EntryKind.PARAGRAPH
    assert whisper.url == "https://github.com/openai/whisper"
    assert whisper.line_start == 30  # 0-based: line 31 of the file
    forks = [e for e in doc.entries if e.parent == whisper.index]
    assert [f.title for f in forks][:3] == ["whisper.cpp", "Whisper JAX", "Whisper"]
    assert len(forks) == 12
    jax = by_title(doc, "Whisper JAX")
    assert jax.url == "https://github.com/sanchit-gandhi/whisper-jax"
    assert jax.description == "jax版本实现和加速"
    assert "使用TPU替换GPU" in jax.notes  # its own nested note bullet
    assert jax.depth == 1 and jax.category == ("深度学习模型与算法", "AUDIO")


def test_bare_name_paragraph_with_sub_links_is_one_entry() -> None:
    doc = parse("models")
    dinov2 = by_title(doc, "dinov2")
    assert dinov2.kind is EntryKind.PARAGRAPH
    assert "图像子监督对比训练模型" in dinov2.notes
    hrefs = [lk.href for lk in dinov2.links]
    assert hrefs == [
        "https://github.com/facebookresearch/dinov2",
        "https://hub.baai.ac.cn/view/25489",
        "https://aijishu.com/a/1060000000398895",
    ]
    # A bare name takes its first web sub-link as main URL.
    assert dinov2.url == hrefs[0]
    assert dinov2.links[0].role is LinkRole.MAIN
    # The note bullets are not entries of their own.
    assert not [e for e in doc.entries if e.parent == dinov2.index]


def test_opt_table_row_has_columns_and_links() -> None:
    doc = parse("frameworks")
    opt = next(e for e in doc.curated if e.kind is EntryKind.TABLE_ROW)
    assert opt.title == "OPT: Open Pre-trained Transformer Language Models"
    assert opt.columns == {
        "名称": "OPT: Open Pre-trained Transformer Language Models",
        "地址": "github",
        "论文": "arxiv",
        "说明": "facebook",
    }
    assert [(lk.text, lk.href) for lk in opt.links] == [
        ("github", "https://github.com/facebookresearch/metaseq"),
        ("arxiv", "https://arxiv.org/abs/2205.01068"),
    ]
    assert opt.line_start == 36
    assert opt.category == ("机器学习和计算框架", "开源模型论文")


def test_chatglm_benchmark_table_rows_keep_all_cells() -> None:
    rows = [e for e in parse("v1").curated if e.kind is EntryKind.TABLE_ROW]
    assert len(rows) == 3
    assert rows[-1].columns is not None
    assert rows[-1].columns["数据类型"] == "INT8"
    assert rows[-1].columns["显存占用"] == "7008MiB"
    assert all(r.url is None for r in rows)
    assert rows[0].category == ("参考资料", "chatglm-6b 模型")
    # A row of figures is titled by its first named cells, not by a bare "1".
    assert [r.title for r in rows] == [
        "Batch_size 1 · 数据类型 FP16",
        "Batch_size 1 · 数据类型 FP16",
        "Batch_size 1 · 数据类型 INT8",
    ]


def test_entries_without_url_are_kept() -> None:
    doc = parse("v1")
    books = [e for e in doc.curated if e.category == ("参考资料",) and e.url is None]
    assert [b.title for b in books] == ["《深度学习》", "《机器学习》", "《动手学深度学习》"]
    neon = by_title(doc, "移动端异构计算")
    assert neon.url is None and neon.description == "neon 编程"


def test_study_resources_outline_lines_become_categories() -> None:
    doc = parse("study")
    outline = [c for c in doc.categories if c.kind is CategoryKind.OUTLINE]
    assert outline[0].path == ("一,计算机系统",)
    assert outline[1].path == ("一,计算机系统", "1.1,计算机系统书籍")
    assert ("八,高性能计算", "8.3,矩阵乘优化文章") in {c.path for c in outline}
    csapp = by_title(doc, "《深入理解计算机系统第三版》")
    assert csapp.category == ("一,计算机系统", "1.1,计算机系统书籍")
    assert csapp.url is None
    # `1.2,设计模式教程` arrived as a lazy continuation line of the item above it.
    assert by_title(doc, "设计模式").category == ("一,计算机系统", "1.2,设计模式教程")
    assert by_title(doc, "OpenBLAS gemm从零入门").category == (
        "八,高性能计算",
        "8.3,矩阵乘优化文章",
    )


def test_toc_is_recognised_not_an_entry() -> None:
    doc = parse("dls")
    tocs = [e for e in doc.entries if e.kind is EntryKind.TOC]
    assert len(tocs) == 1
    assert tocs[0].links[1].href == "#一数学基础专栏"
    assert all(lk.kind is LinkKind.ANCHOR for lk in tocs[0].links)
    assert not any(e.title == "项目概述" for e in doc.curated)


def test_link_kinds_and_lines() -> None:
    doc = parse("v1")
    first = by_title(doc, "深度学习数学基础-概率与信息论")
    assert first.links[0].kind is LinkKind.RELATIVE
    assert first.line_start == 16  # line 17 in the file
    assert first.links[0].line == 16
    star = [e for e in parse("dls").entries if e.kind is EntryKind.BADGE]
    assert any(lk.kind is LinkKind.IMAGE for e in star for lk in e.links)


def test_multiline_link_text_keeps_its_url() -> None:
    doc = parse("v1")
    entry = next(e for e in doc.curated if e.title.startswith("annotated_deep_learning"))
    assert entry.url == "https://github.com/labmlai/annotated_deep_learning_paper_implementations"


@pytest.mark.parametrize("key", list(SEEDS))
def test_no_curated_entry_is_empty(key: str) -> None:
    for e in parse(key).curated:
        assert e.title or e.url, e
