"""CLI manners: `--db` before the command, read-only commands that never create a
database, a hint before the first check, and "did you mean" for unknown names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import SEEDS, run_cli


@pytest.fixture
def imported(tmp_path: Path) -> Path:
    db = tmp_path / "lists.db"
    assert run_cli("import", SEEDS["models"], SEEDS["frameworks"], "--db", db).code == 0
    assert run_cli("tag", "--db", db).code == 0
    return db


def test_db_before_the_command_and_the_commands_own_wins(
    imported: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = run_cli("--db", imported, "list", "--format", "json")
    assert before.code == 0, before.stderr
    after = run_cli("list", "--format", "json", "--db", imported)
    assert before.stdout == after.stdout and len(json.loads(before.stdout)) == 92 + 91
    # Both given: the command's own --db wins (this one does not exist: an error).
    other = tmp_path / "other.db"
    r = run_cli("--db", imported, "list", "--db", other)
    assert r.code == 2 and str(other) in r.stderr and not other.exists()
    # A global --db does not leak into the next invocation of the same process.
    r = run_cli("--db", imported, "stats", "--format", "json")
    assert r.code == 0 and "ml_frameworks" in r.stdout
    monkeypatch.setenv("CURATOR_DB", str(tmp_path / "env.db"))
    r = run_cli("list")
    assert r.code == 2 and "env.db" in r.stderr
    new = tmp_path / "new.db"
    r = run_cli("--db", new, "import", SEEDS["frameworks"])
    assert r.code == 0 and new.exists()


@pytest.mark.parametrize(
    "command",
    [
        ["list"],
        ["stats"],
        ["dupes"],
        ["diff", "ml_frameworks"],
        ["status"],
        ["report"],
        ["export", "--out", "OUT"],
        ["export", "--sources", "--out", "OUT"],
        ["history", "https://a.example/"],
        ["exclude", "list"],
    ],
)
def test_read_only_commands_never_create_a_database(tmp_path: Path, command: list[str]) -> None:
    db = tmp_path / "typo.db"
    args = [str(tmp_path / "out") if a == "OUT" else a for a in command]
    for r in (run_cli(*args, "--db", db), run_cli("--db", db, *args)):
        assert r.code == 2, (command, r.stdout, r.stderr)
        assert r.stderr == f"Error: no database at {db} (run curator import first)\n"
        assert r.stdout == ""
    assert list(tmp_path.iterdir()) == []  # no DB, no WAL file, no export directory


def test_status_and_report_before_any_check_say_to_run_it(imported: Path) -> None:
    note = "note: no link has been checked yet; run `curator check` first\n"
    r = run_cli("status", "--db", imported)
    assert r.code == 0 and r.stderr == note and r.stdout == ""
    r = run_cli("status", "--format", "json", "--db", imported)
    assert r.code == 0 and r.stderr == note and json.loads(r.stdout) == []
    r = run_cli("report", "--db", imported)
    assert r.code == 0 and r.stderr == note and "Link rot" in r.stdout


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["list", "--tag", "hardwre"], "Error: no tag named 'hardwre' (did you mean 'hardware'?)"),
        (
            ["list", "--tag", "nope"],
            "Error: no tag named 'nope' (known: book, code, compression, course, deployment, "
            "hardware, llm, paper, perf)",
        ),
        (
            ["list", "--source", "ml_framework"],
            "Error: no source named 'ml_framework' (did you mean 'ml_frameworks'?) "
            "(see `curator stats`)",
        ),
        (
            ["list", "--category", "AUDOI"],
            "Error: no category contains 'AUDOI' (did you mean 'AUDIO'?) (see `curator stats`)",
        ),
        (
            ["tag", "remove", "1", "hardwre"],
            "Error: no tag named 'hardwre' (did you mean 'hardware'?)",
        ),
        (
            ["categorize", "1", "hardwar"],
            "Error: unknown category 'hardwar' (did you mean 'hardware'?);",
        ),
    ],
)
def test_unknown_names_are_errors_with_a_suggestion(
    imported: Path, args: list[str], error: str
) -> None:
    r = run_cli(*args, "--db", imported)
    assert r.code == 2 and r.stdout == ""
    assert r.stderr.startswith(error), r.stderr
    assert r.stderr.count("\n") == 1


def test_known_names_still_work(imported: Path) -> None:
    r = run_cli(
        "list", "--tag", "hardware", "--category", "gpu", "--format", "json", "--db", imported
    )
    assert r.code == 0 and len(json.loads(r.stdout)) >= 30
    # A rules' tag can be vetoed on any entry (twice is a no-op); so can a manual tag.
    assert run_cli("tag", "remove", "1", "book", "--db", imported).code == 0
    assert run_cli("tag", "remove", "1", "book", "--db", imported).code == 0
    assert run_cli("tag", "add", "1", "brand-new", "--db", imported).code == 0
    assert run_cli("tag", "remove", "1", "brand-new", "--db", imported).code == 0
