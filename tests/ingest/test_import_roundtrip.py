"""Import into real SQLite files, re-import, versions, round-trip export and set-url."""

from __future__ import annotations

import difflib
import json
import sqlite3
from pathlib import Path

import pytest

from tests.support.cli import LISTS, SEEDS, import_demo, run_cli


def row_count(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_import_all_bundled_lists(db: Path) -> None:
    r = run_cli("import", LISTS, "--db", db)
    assert r.code == 0, r.stderr
    assert "dl_models_and_algorithms: v1 +92 -0 ~0" in r.stdout
    assert row_count(db, "source") == 4
    listed = json.loads(run_cli("list", "--format", "json", "--db", db).stdout)
    assert len(listed) == 64 + 92 + 91 + 85


def test_the_demo_imports_two_versions_of_one_source(db: Path) -> None:
    """The README's set-up: the older deep_learning_system first, then the lists; only
    the newest version's entries are current, the older one stays for `curator diff`."""
    import_demo(db)
    assert row_count(db, "source") == 4 and row_count(db, "source_version") == 5
    listed = json.loads(run_cli("list", "--format", "json", "--db", db).stdout)
    assert len(listed) == 64 + 92 + 91 + 85
    r = run_cli("diff", "deep_learning_system", "--db", db)
    assert r.code == 0 and "deep_learning_system: v1 -> v2 +23 -11 ~6" in r.stdout


@pytest.mark.parametrize("key", list(SEEDS))
def test_round_trip_is_byte_identical(tmp_path: Path, key: str) -> None:
    db = tmp_path / "c.db"
    assert run_cli("import", SEEDS[key], "--db", db).code == 0
    out = tmp_path / "out"
    r = run_cli("export", "--sources", "--out", out, "--db", db)
    assert r.code == 0, r.stderr
    assert (out / "sources" / SEEDS[key].name).read_bytes() == SEEDS[key].read_bytes()


def test_round_trip_keeps_crlf_bom_and_gbk(tmp_path: Path) -> None:
    text = "\ufeff# 列表\r\n\r\n- [一](https://a.example/x)：说明\r\n- [二](https://b.example/)\r\n"
    cases = {"crlf.md": text.encode("utf-8"), "gbk.md": text[1:].encode("gbk")}
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
    db = tmp_path / "c.db"
    assert run_cli("import", tmp_path / "crlf.md", tmp_path / "gbk.md", "--db", db).code == 0
    run_cli("export", "--sources", "--out", tmp_path / "out", "--db", db)
    for name, data in cases.items():
        assert (tmp_path / "out" / "sources" / name).read_bytes() == data
    listed = json.loads(run_cli("list", "--source", "gbk", "--format", "json", "--db", db).stdout)
    assert [e["title"] for e in listed] == ["一", "二"]
    assert listed[0]["description"] == "说明"


def test_reimport_unchanged_writes_nothing(db: Path) -> None:
    run_cli("import", LISTS, "--db", db)

    def snapshot() -> bytes:
        with sqlite3.connect(db) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return db.read_bytes()

    before = snapshot()
    r = run_cli("import", LISTS, "--db", db)
    assert r.code == 0
    assert r.stdout.count("unchanged") == 4
    assert r.stdout.count("0 rows written") == 4
    assert snapshot() == before


def test_new_version_shows_sensible_diff(db: Path) -> None:
    assert run_cli("import", "--as", "dls", SEEDS["v1"], "--db", db).code == 0
    r = run_cli("import", "--as", "dls", SEEDS["dls"], "--db", db)
    assert r.code == 0, r.stderr
    # 14 LLM-section entries, the chip sub-section, new references … arrive; two
    # FasterTransformer/Transformer notes and the old chatglm table leave.
    assert "dls: v2 +23 -11 ~6" in r.stdout
    listed = json.loads(
        run_cli(
            "list", "--source", "dls", "--format", "json", "--category", "大语言模型", "--db", db
        ).stdout
    )
    assert len(listed) == 14
    assert row_count(db, "source_version") == 2


def test_reimport_keeps_entry_ids_and_user_data(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    src = tmp_path / "list.md"
    src.write_bytes(SEEDS["models"].read_bytes())
    run_cli("import", src, "--db", db)
    listed = json.loads(
        run_cli("list", "--search", "whisper.cpp", "--format", "json", "--db", db).stdout
    )
    entry_id = listed[0]["id"]
    with sqlite3.connect(db) as conn:  # user data, as `curator tag add` would store it
        conn.execute(
            "INSERT INTO tag (entry_id, name, origin, reason) VALUES (?, 'mine', "
            "'manual', 'by hand')",
            (entry_id,),
        )
    edited = src.read_text(encoding="utf-8").replace("whisper模型的C++实现", "C++ 实现")
    src.write_text(edited + "\n\n[New](https://new.example/)\n", encoding="utf-8")
    r = run_cli("import", src, "--db", db)
    assert "v2 +1 -0 ~1" in r.stdout, r.stdout
    again = json.loads(run_cli("list", "--tag", "mine", "--format", "json", "--db", db).stdout)
    assert [e["id"] for e in again] == [entry_id]
    assert again[0]["description"] == "C++ 实现"


def test_set_url_changes_exactly_that_entrys_lines(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    run_cli("import", SEEDS["models"], "--db", db)
    old, new = "https://github.com/m-bain/whisperX", "https://github.com/m-bain/whisperx-new"
    r = run_cli("set-url", old, new, "--db", db)
    assert r.code == 0, r.stderr
    assert "1 links in 1 entries" in r.stdout
    run_cli("export", "--sources", "--out", tmp_path / "out", "--db", db)
    before = SEEDS["models"].read_text(encoding="utf-8").splitlines(keepends=True)
    after = (
        (tmp_path / "out" / "sources" / SEEDS["models"].name)
        .read_text(encoding="utf-8")
        .splitlines(keepends=True)
    )
    changed = [
        ln
        for ln in difflib.unified_diff(before, after, n=0)
        if ln.startswith(("+", "-")) and not ln.startswith(("+++", "---"))
    ]
    assert changed == [
        "-* [whisperX](https://github.com/m-bain/whisperX): 提升时间戳精准度\n",
        "+* [whisperX](https://github.com/m-bain/whisperx-new): 提升时间戳精准度\n",
    ]


def test_set_url_on_a_shared_url_edits_every_entry(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    run_cli("import", SEEDS["models"], "--db", db)
    # faster-whisper and whisper openvino both point at the same repo in the seed.
    r = run_cli(
        "set-url",
        "https://github.com/zhuzilin/whisper-openvino",
        "https://github.com/SYSTRAN/faster-whisper",
        "--db",
        db,
    )
    assert "2 links in 2 entries" in r.stdout
    run_cli("export", "--sources", "--out", tmp_path / "o", "--db", db)
    text = (tmp_path / "o" / "sources" / SEEDS["models"].name).read_text(encoding="utf-8")
    assert "zhuzilin/whisper-openvino" not in text
    assert text.count("SYSTRAN/faster-whisper") == 2


def test_set_url_unknown_is_a_clear_error(db: Path) -> None:
    run_cli("import", SEEDS["v1"], "--db", db)
    r = run_cli("set-url", "https://nope.example/", "https://x.example/", "--db", db)
    assert r.code == 2
    assert r.stderr.strip() == "Error: no link points to https://nope.example/"


def test_reference_and_bare_links_are_edited_in_place(tmp_path: Path) -> None:
    src = tmp_path / "refs.md"
    src.write_text(
        "# L\n\n- [Ref][r]: about\n- see https://bare.example/p for more\n\n"
        "[r]: https://ref.example/old\n",
        encoding="utf-8",
    )
    db = tmp_path / "c.db"
    run_cli("import", src, "--db", db)
    run_cli("set-url", "https://ref.example/old", "https://ref.example/new", "--db", db)
    run_cli("set-url", "https://bare.example/p", "https://bare.example/q", "--db", db)
    run_cli("export", "--sources", "--out", tmp_path / "o", "--db", db)
    assert (tmp_path / "o" / "sources" / "refs.md").read_text(encoding="utf-8") == (
        "# L\n\n- [Ref][r]: about\n- see https://bare.example/q for more\n\n"
        "[r]: https://ref.example/new\n"
    )


def test_list_json_contract(db: Path) -> None:
    run_cli("import", SEEDS["frameworks"], "--db", db)
    rows = json.loads(run_cli("list", "--format", "json", "--search", "OPT:", "--db", db).stdout)
    assert len(rows) == 1
    row = rows[0]
    assert {
        "id",
        "source",
        "category",
        "title",
        "url",
        "description",
        "links",
        "tags",
        "line",
    } <= set(row)
    assert row["category"] == ["机器学习和计算框架", "开源模型论文"]
    assert row["line"] == 37
    assert row["links"][1] == {
        "url": "https://arxiv.org/abs/2205.01068",
        "text": "arxiv",
        "kind": "web",
        "role": "sub",
    }


def test_list_csv_and_stats_and_dupes(db: Path) -> None:
    run_cli("import", LISTS, "--db", db)
    csv_out = run_cli(
        "list",
        "--format",
        "csv",
        "--category",
        "GPU",
        "--source",
        "dl_models_and_algorithms",
        "--db",
        db,
    ).stdout
    assert csv_out.splitlines()[0] == "id,source,category,title,url,description,tags,line"
    assert len(csv_out.splitlines()) == 1 + 41  # header + the GPU section
    stats = json.loads(run_cli("stats", "--format", "json", "--db", db).stdout)
    assert {s["name"] for s in stats["sources"]} >= {"ml_frameworks", "study_resources"}
    assert stats["link_kinds"]["web"] > 200
    dupes = json.loads(run_cli("dupes", "--format", "json", "--db", db).stdout)
    urls = {d["url"] for d in dupes}
    # onnx2torch appears twice in the frameworks list (with and without a tracking query).
    assert "https://github.com/ENOT-AutoDL/onnx2torch" in urls
    assert stats["duplicates"] == len(dupes)


def test_curator_db_env_is_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "env.db"
    monkeypatch.setenv("CURATOR_DB", str(target))
    assert run_cli("import", SEEDS["v1"]).code == 0
    assert target.exists()


def test_export_sources_into_a_file_is_a_clear_error(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    run_cli("import", SEEDS["v1"], "--db", db)
    target = tmp_path / "not-a-dir"
    target.write_text("keep me", encoding="utf-8")
    r = run_cli("export", "--sources", "--out", target, "--db", db)
    assert (r.code, r.stderr) == (2, f"Error: {target} is not a directory\n")
    assert target.read_text(encoding="utf-8") == "keep me"
