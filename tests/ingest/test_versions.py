"""`curator diff`: the entries behind import's +added -removed ~changed, on the two versions
of the deep_learning_system seed (the newer one adds the LLM section)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from curator.errors import InputError, NotFoundError
from curator.ingest.importer import import_paths
from curator.ingest.versions import Change, version_diff
from curator.store.connect import open_engine, read_session
from tests.support.cli import SEEDS

OLD, NEW = SEEDS["v1"], SEEDS["dls"]
NAME = "deep_learning_system-v1"
LLM = "七，大语言模型推理及服务化"


@pytest.fixture
def versioned(tmp_path: Path) -> Path:
    db = tmp_path / "curator.db"
    engine = open_engine(db)
    import_paths(engine, [OLD])
    (result,) = import_paths(engine, [NEW], as_name=NAME)
    assert (result.version, result.added, result.removed, result.changed) == (2, 23, 11, 6)
    return db


def test_diff_lists_the_entries_behind_the_import_counts(versioned: Path) -> None:
    with read_session(open_engine(versioned)) as session:
        diff = version_diff(session, NAME)
    assert (diff.old, diff.new) == (1, 2)
    assert [diff.count(c) for c in Change] == [23, 11, 6]  # the same as the import said
    added = [c for c in diff.changes if c.change is Change.ADDED]
    llm = [c for c in added if c.category[:1] == (LLM,)]
    assert len(llm) == 14  # the LLM section is new, all of it
    transformer = next(c for c in llm if c.title == "Transformer 原理详解")
    assert transformer.category == (LLM, "2，Transformer 模型基础")
    assert (
        NEW.read_text(encoding="utf-8")
        .splitlines()[transformer.line - 1]
        .startswith("- [Transformer 原理详解]")
    )
    removed = {c.title for c in diff.changes if c.change is Change.REMOVED}
    assert "awesome-emdl" in removed
    moved = next(c for c in diff.changes if c.title == "The Illustrated Transformer")
    assert moved.change is Change.CHANGED and moved.fields == ("category",)


def test_diff_of_unknown_source_or_version_is_an_input_error(versioned: Path) -> None:
    with read_session(open_engine(versioned)) as session:
        with pytest.raises(NotFoundError):
            version_diff(session, "nope")
        with pytest.raises(InputError, match="no version 7"):
            version_diff(session, NAME, old=7)


def test_diff_command_text_and_json(versioned: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "curator", "diff", NAME, "--db", str(versioned), *args],
            capture_output=True,
            text=True,
            timeout=60,
        )

    text = run()
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0] == f"{NAME}: v1 -> v2 +23 -11 ~6"
    assert sum(line.startswith("+ ") for line in lines) == 23
    assert any(line.startswith(f"+ [{LLM} › ") for line in lines)
    data = json.loads(run("--format", "json").stdout)
    assert len(data["changes"]) == 40 and data["new"] == 2
    bad = run("--from", "9")
    assert bad.returncode == 2 and bad.stderr.startswith("Error: ")
