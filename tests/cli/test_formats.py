"""`--format` offers only what each command writes: CSV from `dupes` and `diff` is real
CSV, `stats` (several tables) offers table and JSON only."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from tests.support.cli import LISTS, SEEDS, run_cli


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_dupes_csv_has_a_row_per_place_matching_json(db: Path) -> None:
    assert run_cli("import", LISTS, "--db", db).code == 0
    as_json = json.loads(run_cli("dupes", "--format", "json", "--db", db).stdout)
    r = run_cli("dupes", "--format", "csv", "--db", db)
    assert r.code == 0, r.stderr
    rows = _rows(r.stdout)
    assert rows[0] == ["url", "source", "line", "title"]
    expected = [
        [d["url"], loc["source"], str(loc["line"]), loc["title"]]
        for d in as_json
        for loc in d["locations"]
    ]
    assert rows[1:] == expected
    assert any(row[0] == "https://github.com/ENOT-AutoDL/onnx2torch" for row in rows[1:])


def test_diff_csv_lists_each_change(db: Path) -> None:
    assert run_cli("import", "--as", "dls", SEEDS["v1"], "--db", db).code == 0
    assert run_cli("import", "--as", "dls", SEEDS["dls"], "--db", db).code == 0
    r = run_cli("diff", "dls", "--format", "csv", "--db", db)
    assert r.code == 0, r.stderr
    rows = _rows(r.stdout)
    assert rows[0] == ["change", "category", "title", "url", "line", "fields"]
    changes = [row[0] for row in rows[1:]]
    # the same +23 -11 ~6 that the import reported
    assert (changes.count("added"), changes.count("removed"), changes.count("changed")) == (
        23,
        11,
        6,
    )
    assert all(row[5] for row in rows[1:] if row[0] == "changed")


def test_stats_refuses_csv(db: Path) -> None:
    assert run_cli("import", SEEDS["v1"], "--db", db).code == 0
    r = run_cli("stats", "--format", "csv", "--db", db)
    assert r.code == 2
    assert "csv" in r.stderr and "table" in r.stderr
    assert run_cli("stats", "--format", "json", "--db", db).code == 0
