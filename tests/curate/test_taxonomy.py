"""Taxonomy: seed headings → canonical categories, overrides, and what `curator stats` shows."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from curator.curate.taxonomy import load_taxonomy
from tests.support.cli import LISTS, ROOT, SEEDS, run_cli


@pytest.fixture(scope="module")
def seed_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("taxonomy") / "seed.db"
    assert run_cli("import", LISTS, "--db", db).code == 0
    with sqlite3.connect(db) as con:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db


@pytest.fixture
def dbc(seed_db: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "curator.db"
    shutil.copy(seed_db, copy)
    return copy


def stats(db: Path, *args: str) -> dict[str, Any]:
    r = run_cli("stats", "--format", "json", "--db", db, *args)
    assert r.code == 0, r.stderr
    return json.loads(r.stdout)["taxonomy"]  # type: ignore[no-any-return]


def mapping(db: Path, *args: str) -> dict[tuple[str, str], str]:
    return {(m["source"], m["section"]): m["category"] for m in stats(db, *args)["mapping"]}


GOLDEN = {
    # The same topic, named differently in each list.
    ("dl_models_and_algorithms", "深度学习模型与算法 / CV"): "cv",
    ("study_resources", "六,计算机视觉 / 6.4,目标检测网络文章"): "cv",
    ("dl_models_and_algorithms", "深度学习模型与算法 / NLP"): "nlp",
    ("dl_models_and_algorithms", "深度学习模型与算法 / AUDIO"): "audio",
    ("dl_models_and_algorithms", "深度学习模型与算法 / RECO"): "recsys",
    ("dl_models_and_algorithms", "深度学习模型与算法 / BIGS"): "llm",
    ("dl_models_and_algorithms", "深度学习模型与算法 / train"): "training",
    ("dl_models_and_algorithms", "深度学习模型与算法 / dataset"): "dataset",
    ("dl_models_and_algorithms", "深度学习模型与算法 / GPU"): "hardware",
    ("deep_learning_system", "六，异构计算"): "hardware",
    ("deep_learning_system", "五，模型推理部署 / 5，AI/NPU/GPU 芯片特性"): "hardware",
    ("study_resources", "八,高性能计算 / 8.1,CPU/GPU/AI 芯片科普"): "hardware",
    # No mapped heading of its own: the parent ("八,高性能计算") decides.
    ("study_resources", "八,高性能计算 / 8.3,矩阵乘优化文章"): "hardware",
    ("deep_learning_system", "七，大语言模型推理及服务化 / 2，Transformer 模型基础"): "llm",
    ("deep_learning_system", "一，数学基础专栏"): "basics",
    ("deep_learning_system", "三，深度学习炼丹"): "training",
    ("deep_learning_system", "四，深度学习模型压缩"): "compression",
    ("study_resources", "七,模型压缩与量化 / 7.1,轻量级网络设计"): "compression",
    ("deep_learning_system", "五，模型推理部署 / 3，ncnn 框架源码解析"): "deployment",
    ("study_resources", "九,模型部署(算法SDK开发) / 9.1,模型部署文章"): "deployment",
    ("ml_frameworks", "机器学习和计算框架 / 框架工具实现 / 框架"): "framework",
    ("study_resources", "五,深度学习 / 5.5,PyTorch/Caffe 框架分析文章"): "framework",
    ("ml_frameworks", "机器学习和计算框架 / 通用教程知识"): "courses",
    ("deep_learning_system", "参考资料"): "courses",
    ("study_resources", "四,机器学习 / 4.1,机器学习课程"): "courses",
    ("ml_frameworks", "机器学习和计算框架 / 历史人物杂谈"): "misc",
    ("study_resources", "(no heading)"): "misc",
}


def test_seed_sections_map_to_canonical_categories(dbc: Path) -> None:
    found = mapping(dbc)
    wrong = {k: (found.get(k), v) for k, v in GOLDEN.items() if found.get(k) != v}
    assert not wrong, wrong
    cats = set(found.values())
    assert cats <= set(load_taxonomy(ROOT / "data" / "taxonomy.toml").names)
    assert len(cats) >= 12


def test_deepest_mapped_heading_wins() -> None:
    tax = load_taxonomy(ROOT / "data" / "taxonomy.toml")
    # "推理" (deployment) in the parent, "LLM" deeper: the deeper heading decides.
    p = tax.classify(("七，大语言模型推理及服务化", "1，LLM 基础知识"))
    assert (p.category, p.heading, p.keyword) == ("llm", "1，LLM 基础知识", "LLM")
    assert tax.classify(("八，进阶课程", "2，一些笔记好的博客链接")).category == "courses"
    assert tax.classify(()).category == "misc"
    assert tax.classify(("CVPR 2023 papers",)).category == "misc"  # "CV" is a whole word


def test_stats_shows_the_mapping_and_what_is_left_in_misc(dbc: Path) -> None:
    r = run_cli("stats", "--db", dbc)
    assert r.code == 0
    assert "canonical categories" in r.stdout and "left in misc" in r.stdout
    t = stats(dbc)
    misc_titles = {e["title"] for e in t["misc_entries"]}
    assert "知识图谱发展报告（2022）" in misc_titles
    listed = json.loads(run_cli("list", "--format", "json", "--db", dbc).stdout)
    assert sum(t["counts"].values()) == len(listed)  # every entry has exactly one category
    assert {m["section"] for m in t["misc"]} >= {"机器学习和计算框架 / 历史人物杂谈"}
    assert all(m["category"] == "misc" for m in t["misc"])


def test_categorize_overrides_survive_reimport(dbc: Path, tmp_path: Path) -> None:
    r = run_cli("list", "--format", "json", "--search", "知识图谱发展报告", "--db", dbc)
    entry = json.loads(r.stdout)[0]
    r = run_cli("categorize", str(entry["id"]), "dataset", "--db", dbc)
    assert r.code == 0 and "category dataset (headings say misc)" in r.stdout
    t = stats(dbc)
    assert entry["id"] not in {e["id"] for e in t["misc_entries"]}
    assert t["overrides"] == 1
    copy = tmp_path / SEEDS["frameworks"].name
    copy.write_text(
        SEEDS["frameworks"].read_text(encoding="utf-8") + "\n* [new](https://n.example)\n"
    )
    assert run_cli("import", copy, "--db", dbc).code == 0
    assert stats(dbc)["overrides"] == 1
    assert entry["id"] not in {e["id"] for e in stats(dbc)["misc_entries"]}
    r = run_cli("categorize", str(entry["id"]), "--clear", "--db", dbc)
    assert r.code == 0 and "override cleared" in r.stdout
    assert entry["id"] in {e["id"] for e in stats(dbc)["misc_entries"]}


def test_categorize_refuses_bad_input(dbc: Path) -> None:
    r = run_cli("categorize", "2", "gpus", "--db", dbc)
    assert r.code == 2 and r.stderr.startswith("Error: unknown category 'gpus'; choose from cv")
    r = run_cli("categorize", "999999", "cv", "--db", dbc)
    assert r.code == 2 and "no entry with id 999999" in r.stderr
    r = run_cli("categorize", "2", "--db", dbc)
    assert r.code == 2 and "--clear" in r.stderr


def test_user_taxonomy_file(dbc: Path, tmp_path: Path) -> None:
    tax = tmp_path / "tax.toml"
    tax.write_text(
        '[categories.chips]\ntitle = "Chips"\n\n[[rules]]\ncategory = "chips"\n'
        'keywords = ["GPU", "芯片"]\n',
        encoding="utf-8",
    )
    found = mapping(dbc, "--taxonomy", str(tax))
    assert found[("dl_models_and_algorithms", "深度学习模型与算法 / GPU")] == "chips"
    assert found[("dl_models_and_algorithms", "深度学习模型与算法 / CV")] == "misc"
    bad = tmp_path / "bad.toml"
    bad.write_text('[[rules]]\ncategory = "nowhere"\nkeywords = ["x"]\n', encoding="utf-8")
    r = run_cli("stats", "--taxonomy", bad, "--db", dbc)
    assert r.code == 2 and "unknown category 'nowhere'" in r.stderr
