"""`curator export`: golden checks on the seed exports, status markers, CHANGES.md,
determinism, atomic writes and removal of pages that became empty."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from curator.util import fsutil
from tests.support.cli import LISTS, SEEDS, import_demo, run_cli
from tests.support.export_pages import entries_of, items


@pytest.fixture(scope="module")
def tagged_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("export") / "seed.db"
    import_demo(db)
    assert run_cli("tag", "--db", db).code == 0
    with sqlite3.connect(db) as con:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db


@pytest.fixture
def dbc(tagged_db: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "curator.db"
    shutil.copy(tagged_db, copy)
    return copy


def export(db: Path, out: Path, *args: str | Path) -> str:
    r = run_cli("export", "--out", out, "--db", db, *args)
    assert r.code == 0, r.stderr
    return r.stdout


def files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def page(out: Path, name: str) -> str:
    return (out / name).read_text(encoding="utf-8")


def section_of(text: str, title: str) -> str:
    """The heading of the section that holds the entry `title`."""
    head = ""
    for line in text.splitlines():
        if line.startswith("## ") or line.startswith("### "):
            head = line
        elif line.startswith(f"- [{title}]("):
            return head
    raise AssertionError(title)


def item(text: str, title: str) -> str:
    found = [i for i in items(text) if f"[{title}](" in i.split("\n")[0]]
    assert len(found) == 1, (title, found)
    return found[0]


def entry_id(db: Path, title: str) -> int:
    r = run_cli("list", "--format", "json", "--search", title, "--db", db)
    ids = [e["id"] for e in json.loads(r.stdout) if e["title"] == title]
    assert ids, title
    return int(ids[0])


def sql(db: Path, query: str, *params: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as con:
        rows = con.execute(query, params).fetchall()
        con.commit()
    return rows


def test_export_writes_every_page(dbc: Path, tmp_path: Path) -> None:
    out = tmp_path / "exports"
    stdout = export(dbc, out)
    names = set(files(out))
    assert {"README.md", "CHANGES.md", "hardware.md", "tags/hardware.md", "tags/perf.md"} <= names
    assert {f"sources/{p.name}" for p in LISTS.glob("*.md")} <= names
    assert "entries in 14 categories" in stdout
    readme = page(out, "README.md")
    rows = re.findall(r"^\| \[(.+?)\]\((\w+)\.md\) \| (\d+) \|$", readme, re.M)
    assert len(rows) == 14
    stated = int(re.search(r"^(\d+) entries from 4 lists", readme, re.M).group(1))  # type: ignore[union-attr]
    assert sum(int(n) for _, _, n in rows) == stated
    for _, name, n in rows:  # each count is what the category page holds
        assert len(entries_of(page(out, f"{name}.md"))) == int(n), name
    assert "[`🖥️ hardware`](tags/hardware.md)" in readme and "[`⚡ perf`](tags/perf.md)" in readme
    assert "Links have not been checked yet" in readme


def test_golden_categories_and_tags(dbc: Path, tmp_path: Path) -> None:
    out = tmp_path / "exports"
    export(dbc, out)
    hardware = page(out, "hardware.md")
    assert "`🖥️ hardware`" in item(hardware, "Nvidia H100 GPUs: Supply and Demand")
    assert "## dl\\_models\\_and\\_algorithms › 深度学习模型与算法 › GPU" in hardware
    assert "## study\\_resources › 八,高性能计算 › 8.3,矩阵乘优化文章" in hardware
    jax = item(page(out, "audio.md"), "Whisper JAX")
    assert "`⚡ perf`" in jax and "jax版本实现和加速" in jax and "使用TPU替换GPU" in jax
    assert section_of(page(out, "audio.md"), "Whisper JAX") == (
        "## dl\\_models\\_and\\_algorithms › 深度学习模型与算法 › AUDIO"
    )
    math = item(page(out, "training.md"), "Transformer Math 101")
    assert "hardware" not in math
    assert "Transformer Math 101" not in page(out, "tags/hardware.md")
    perf = page(out, "tags/perf.md")
    assert "[Whisper JAX](" in perf and "## Audio and speech" in perf
    assert "## Hardware: GPUs, chips, HPC" in perf
    llm = page(out, "llm.md")
    # The benchmark table of the older deep_learning_system (v1) is gone from v2: only the
    # newest version of a source is published.
    assert not any("数据类型" in p.read_text(encoding="utf-8") for p in out.rglob("*.md"))
    assert "数据类型" in SEEDS["v1"].read_text(encoding="utf-8")
    assert "[LLaVA](https://llava-vl.github.io/)" in llm
    assert "[github](https://github.com/haotian-liu/LLaVA)" in item(llm, "LLaVA")  # sub-links
    misc = page(out, "misc.md")
    assert "[知识图谱发展报告（2022）](" in misc
    assert "[Tvm一些基本技术](" in page(out, "framework.md")
    assert "神经网络基础部件-卷积层详解" in page(out, "basics.md")


def test_an_entry_in_several_lists_appears_once(dbc: Path, tmp_path: Path) -> None:
    out = tmp_path / "exports"
    export(dbc, out)
    # Two versions of one source: the entries of the newest only, each once.
    basics = page(out, "basics.md")
    assert basics.count("- 深度学习数学基础-概率与信息论\n") == 1  # its file is not here: unlinked
    assert "sources/deep_learning_system.md" in files(out)
    assert not any("-v1" in name for name in files(out))
    assert "deep\\_learning\\_system-v1" not in page(out, "README.md")
    courses = page(out, "courses.md")
    ai_system = [i for i in items(courses) if "[AI-System](" in i or "[《AI-System》](" in i]
    assert len(ai_system) == 2  # github.com/... and microsoft.github.io


def test_status_markers_and_fetched_titles(dbc: Path, tmp_path: Path) -> None:
    now = datetime(2024, 5, 17, 8, 30, tzinfo=UTC).isoformat(sep=" ")

    def url_id(prefix: str) -> int:
        return int(sql(dbc, "SELECT id FROM url WHERE normalized LIKE ?", prefix + "%")[0][0])

    broken, flaky, moved = (
        url_id("https://www.anandtech.com/show/20001"),
        url_id("https://gpus.llm-utils.org/nvidia-h100"),
        url_id("https://gpuopen.com/learn/wmma_on_rdna3"),
    )
    rows = [
        (broken, "broken", "gone", None, "https://web.archive.org/web/2023/anandtech", now),
        (flaky, "flaky", "timeout", None, None, now),
        (moved, "ok", "redirected", "https://gpuopen.com/learn/wmma-rdna3/", None, now),
    ]
    for r in rows:
        sql(
            dbc,
            "INSERT INTO url_state (url_id, state, last_outcome, final_url, archived_url, "
            "last_checked_at, consecutive_failures, flips, title_drift) "
            "VALUES (?, ?, ?, ?, ?, ?, 0, 0, 0)",
            *r,
        )
    # An entry without a title of its own shows the fetched page title.
    oidn = entry_id(dbc, "oidn@github")
    sql(dbc, "UPDATE entry SET title = '' WHERE id = ?", oidn)
    oidn_url = sql(dbc, "SELECT url_id FROM link WHERE entry_id = ? AND role = 'main'", oidn)[0][0]
    sql(
        dbc,
        "INSERT INTO url_state (url_id, state, title, consecutive_failures, flips, title_drift) "
        "VALUES (?, 'ok', 'Intel Open Image Denoise', 0, 0, 0)",
        oidn_url,
    )
    out = tmp_path / "exports"
    export(dbc, out)
    hw = page(out, "hardware.md")
    b = item(
        hw,
        "NVIDIA Unveils Updated GH200 'Grace Hopper' Superchip with HBM3e Memory, "
        "Shipping in Q2'2024",
    )
    assert ") 💀 [archived copy](https://web.archive.org/web/2023/anandtech)" in b.split("\n")[0]
    assert ") ⚠" in item(hw, "Nvidia H100 GPUs: Supply and Demand").split("\n")[0]
    m = item(hw, "How to accelerate AI applications on RDNA 3 using WMMA").split("\n")[0]
    assert "(https://gpuopen.com/learn/wmma-rdna3/) ↪" in m
    assert "[Intel Open Image Denoise](https://github.com/OpenImageDenoise/oidn)" in hw
    # No check data or no URL: no marker.
    for line in [i.split("\n")[0] for i in items(hw)]:
        if not any(s in line for s in ("GH200", "H100 GPUs: Supply", "WMMA")):
            assert not any(mark in line for mark in ("💀", "⚠", "↪")), line
    assert "Links last checked on 2024-05-17." in page(out, "README.md")
    export(dbc, tmp_path / "j", "--format", "json")
    data = json.loads((tmp_path / "j" / "curator.json").read_text(encoding="utf-8"))
    gh200 = next(
        e for e in data["entries"] if e["title"].startswith("NVIDIA Unveils Updated GH200")
    )
    assert gh200["link"]["status"] == "broken"
    assert gh200["link"]["archived_url"] == "https://web.archive.org/web/2023/anandtech"


def test_changes_lists_added_removed_broken_and_recovered(dbc: Path, tmp_path: Path) -> None:
    out = tmp_path / "exports"
    export(dbc, out)
    assert "First export: " in page(out, "CHANGES.md")
    seed = SEEDS["frameworks"].read_text(encoding="utf-8")
    seed = seed.replace(
        "* [GeLU的pytorch实现](https://github.com/pytorch/pytorch/issues/20464)\n", ""
    )
    seed += "\n* [FlashAttention](https://github.com/Dao-AILab/flash-attention): 快速注意力\n"
    copy = tmp_path / "lists" / SEEDS["frameworks"].name
    copy.parent.mkdir()
    copy.write_text(seed, encoding="utf-8")
    assert run_cli("import", copy, "--db", dbc).code == 0
    uid = sql(dbc, "SELECT id FROM url WHERE normalized LIKE 'https://tech.meituan.com/%'")[0][0]
    sql(
        dbc,
        "INSERT INTO url_state (url_id, state, consecutive_failures, flips, title_drift) "
        "VALUES (?, 'broken', 3, 0, 0)",
        uid,
    )
    export(dbc, out)
    changes = page(out, "CHANGES.md")
    added = changes.split("## Added (1)")[1].split("##")[0]
    assert "[FlashAttention](https://github.com/Dao-AILab/flash-attention)" in added
    removed = changes.split("## Removed (1)")[1].split("##")[0]
    assert "GeLU的pytorch实现" in removed
    broken = changes.split("## Newly broken links (1)")[1].split("##")[0]
    assert "知识图谱可视化技术在美团的实践与探索" in broken
    assert "## Recovered links (0)" in changes
    # Exporting again with nothing changed keeps CHANGES.md as it is.
    before = files(out)
    export(dbc, out)
    assert files(out) == before
    sql(dbc, "UPDATE url_state SET state = 'recovered' WHERE url_id = ?", uid)
    export(dbc, out)
    changes = page(out, "CHANGES.md")
    assert "## Added (0)" in changes and "## Newly broken links (0)" in changes
    assert "知识图谱可视化技术在美团的实践与探索" in changes.split("## Recovered links (1)")[1]


def test_export_is_deterministic(dbc: Path, tmp_path: Path, db: Path) -> None:
    out = tmp_path / "exports"
    export(dbc, out)
    first = files(out)
    stdout = export(dbc, out)
    assert files(out) == first
    assert "written" not in stdout.replace("unchanged", "")
    # A fresh DB from the same lists gives the same pages (ids aside, nothing is clock-bound).
    other = tmp_path / "other"
    import_demo(db)
    assert run_cli("tag", "--db", db).code == 0
    export(db, other)
    assert files(other) == first


def test_pages_of_empty_categories_and_tags_are_removed(dbc: Path, tmp_path: Path) -> None:
    out = tmp_path / "exports"
    export(dbc, out)
    (out / "notes.md").write_text("my own notes\n", encoding="utf-8")
    recsys = sql(
        dbc, "SELECT id FROM entry WHERE category LIKE '%\"RECO\"%' AND removed_at IS NULL"
    )
    assert len(recsys) == 1 and (out / "recsys.md").exists()
    assert run_cli("categorize", str(recsys[0][0]), "misc", "--db", dbc).code == 0
    rules = tmp_path / "rules.toml"
    rules.write_text('[[rules]]\ntag = "gpu"\nfields = ["title"]\nkeywords = ["GPU"]\n')
    assert run_cli("tag", "--rules", rules, "--db", dbc).code == 0
    stdout = export(dbc, out, "--rules", rules)
    assert not (out / "recsys.md").exists() and not (out / "tags" / "perf.md").exists()
    assert (out / "tags" / "gpu.md").exists()
    assert "recsys.md: removed" in stdout
    assert (out / "notes.md").read_text(encoding="utf-8") == "my own notes\n"
    assert (out / "sources" / SEEDS["models"].name).exists()


def test_a_failed_export_leaves_the_old_files_whole(
    dbc: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "exports"
    export(dbc, out)
    old = files(out)
    assert (
        run_cli("categorize", str(entry_id(dbc, "Whisper JAX")), "hardware", "--db", dbc).code == 0
    )
    real = os.replace
    calls = {"n": 0}

    def failing(src: str, dst: str) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(28, "No space left on device")
        real(src, dst)

    monkeypatch.setattr(fsutil.os, "replace", failing)
    r = run_cli("export", "--out", out, "--db", dbc)
    monkeypatch.setattr(fsutil.os, "replace", real)
    assert r.code == 3 and "No space left on device" in r.stderr
    now = files(out)
    assert set(now) == set(old)  # nothing removed, no temp file left
    assert sum(now[p] != old[p] for p in old) == 1
    # The failed export recorded nothing: the retry still compares with the first export.
    export(dbc, out)
    assert "Since the export of" not in page(out, "CHANGES.md")


def test_json_and_csv_formats(dbc: Path, tmp_path: Path) -> None:
    out = tmp_path / "exports"
    export(dbc, out, "--format", "json")
    assert sorted(files(out)) == ["curator.json"]
    data = json.loads((out / "curator.json").read_text(encoding="utf-8"))
    assert {c["name"] for c in data["categories"]} >= {"hardware", "llm", "misc"}
    assert sum(c["entries"] for c in data["categories"]) == len(data["entries"])
    jax = next(e for e in data["entries"] if e["title"] == "Whisper JAX")
    assert jax["category"] == "audio" and "perf" in jax["tags"]
    assert any(r["tag"] == "perf" and r["reason"] for r in jax["tag_reasons"])
    export(dbc, out, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO((out / "curator.csv").read_text(encoding="utf-8"))))
    assert len(rows) == len(data["entries"])
    assert next(r for r in rows if r["title"] == "Whisper JAX")["tags"].split(";")[:2] == [
        "hardware",
        "perf",
    ]
    r = run_cli("export", "--format", "pdf", "--out", out, "--db", dbc)
    assert r.code == 2 and r.stderr == "Error: --format must be md, json or csv, not 'pdf'\n"


def test_sources_only_export_is_unchanged(dbc: Path, tmp_path: Path) -> None:
    out = tmp_path / "exports"
    r = run_cli("export", "--sources", "--out", out, "--db", dbc)
    assert r.code == 0
    assert sorted(files(out)) == sorted(f"sources/{p.name}" for p in LISTS.glob("*.md"))
    for p in LISTS.glob("*.md"):
        assert (out / "sources" / p.name).read_bytes() == p.read_bytes()


def test_the_same_link_twice_in_one_section_names_the_other_title(
    dbc: Path, tmp_path: Path
) -> None:
    """whisper openvino and faster-whisper share a URL in the AUDIO section of one seed: the
    export shows the entry once, naming the other title, not 'also in' its own section."""
    out = tmp_path / "out"
    export(dbc, out)
    entry = item(page(out, "audio.md"), "whisper openvino")
    assert "also listed as *faster-whisper*" in entry
    assert "also in" not in entry
