"""The bad-input matrix (README "What happens when…"): one clear line, an exit code, no loss.

Every case runs the real CLI (`run_cli`) on real files against a DB that already holds an
imported list, and asserts the exact `Error: …` line on stderr, the exit code, and that
every table of the DB has the same rows (count and checksum) afterwards.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import curator.store.dbapi
from tests.support.cli import SEEDS, run_cli
from tests.support.dbsnap import db_snapshot

LIST = "# 列表\n\n- [一](https://a.example/x)：说明\n- [二](https://b.example/)\n"


@pytest.fixture
def stocked(tmp_path: Path) -> Path:
    """A DB holding one imported list: what a failed command must leave exactly as it was."""
    db = tmp_path / "curator.db"
    r = run_cli("import", SEEDS["frameworks"], "--db", db)
    assert r.code == 0, r.stderr
    return db


def _missing(tmp: Path) -> Path:
    return tmp / "nope.md"


def _empty_dir(tmp: Path) -> Path:
    d = tmp / "notes"
    d.mkdir()
    (d / "readme.txt").write_text("not markdown", encoding="utf-8")
    return d


def _binary(tmp: Path) -> Path:
    p = tmp / "logo.md"
    p.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8 + b"\x00" * 4096)
    return p


def _empty(tmp: Path) -> Path:
    p = tmp / "empty.md"
    p.write_bytes(b"  \n\n")
    return p


def _huge(tmp: Path) -> Path:
    p = tmp / "huge.md"
    with p.open("wb") as fh:  # 51 MB of a valid list: refused for its size alone
        line = b"- [x](https://example.com/)\n"
        fh.write(line * (51 * 1024 * 1024 // len(line) + 1))
    return p


def _prose(tmp: Path) -> Path:
    p = tmp / "essay.md"
    p.write_text("# Thoughts\n\nJust some prose, no list and no links.\n", encoding="utf-8")
    return p


def _bad_utf16(tmp: Path) -> Path:
    p = tmp / "broken16.md"
    p.write_bytes(codecs.BOM_UTF16_LE + "- [a](https://a.example/)\n".encode("utf-16-le") + b"\x00")
    return p


def _unknown_encoding(tmp: Path) -> Path:
    p = tmp / "noise.md"
    p.write_bytes(bytes((i * 73 + 41) % 256 for i in range(100)))  # no encoding fits
    return p


SAVE_UTF8 = "(save it as UTF-8)"
IMPORT_CASES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "missing path": (_missing, "{p}: no such file or directory"),
    "directory without Markdown": (_empty_dir, "{p}: no Markdown files (*.md) in this directory"),
    "binary file": (_binary, "{p}: looks like a binary file, not a Markdown list"),
    "empty file": (_empty, "{p}: file is empty"),
    "file over 50 MB": (_huge, "{p}: file is 51 MB, over the 50 MB limit"),
    "prose only": (_prose, "{p}: no list entries or links found (is it only prose?)"),
    "truncated UTF-16": (_bad_utf16, "{p}: invalid UTF-16 (truncated data)"),
    "unknown encoding": (
        _unknown_encoding,
        "{p}: cannot tell the text encoding (save it as UTF-8)",
    ),
}


@pytest.mark.parametrize("case", list(IMPORT_CASES))
def test_bad_import_input_is_refused_and_db_unchanged(
    stocked: Path, tmp_path: Path, case: str
) -> None:
    make, message = IMPORT_CASES[case]
    path = make(tmp_path)
    before = db_snapshot(stocked)
    r = run_cli("import", path, "--db", stocked)
    assert (r.code, r.stderr, r.stdout) == (2, f"Error: {message.format(p=path)}\n", "")
    assert db_snapshot(stocked) == before


def test_one_bad_file_among_good_ones_imports_nothing(stocked: Path, tmp_path: Path) -> None:
    good = tmp_path / "good.md"
    good.write_text(LIST, encoding="utf-8")
    bad = _empty(tmp_path)
    before = db_snapshot(stocked)
    r = run_cli("import", good, bad, "--db", stocked)
    assert (r.code, r.stderr) == (2, f"Error: {bad}: file is empty\n")
    assert db_snapshot(stocked) == before


def test_as_with_two_files_and_clashing_names_are_usage_errors(
    stocked: Path, tmp_path: Path
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for d in ("a", "b"):
        (tmp_path / d / "list.md").write_text(LIST, encoding="utf-8")
    before = db_snapshot(stocked)
    r = run_cli("import", tmp_path / "a", tmp_path / "b", "--db", stocked)
    assert (r.code, r.stderr) == (2, "Error: two files would become the same source: list\n")
    r = run_cli("import", tmp_path / "a", tmp_path / "b", "--as", "x", "--db", stocked)
    assert (r.code, r.stderr) == (2, "Error: --as takes exactly one file, got 2\n")
    assert db_snapshot(stocked) == before


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("gbk.md", LIST.encode("gbk")),
        ("utf16.md", codecs.BOM_UTF16_LE + LIST.encode("utf-16-le")),
        ("bom_crlf.md", ("\ufeff" + LIST.replace("\n", "\r\n")).encode("utf-8")),
    ],
)
def test_legacy_encodings_import_and_export_byte_for_byte(
    stocked: Path, tmp_path: Path, name: str, data: bytes
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    r = run_cli("import", path, "--db", stocked)
    assert (r.code, r.stderr) == (0, "")
    assert r.stdout.startswith(f"{path.stem}: v1 +2 -0 ~0 (2 entries")
    listed = run_cli("list", "--source", path.stem, "--format", "json", "--db", stocked)
    assert [e["title"] for e in json.loads(listed.stdout)] == ["一", "二"]
    out = tmp_path / "out"
    assert run_cli("export", "--sources", "--out", out, "--db", stocked).code == 0
    assert (out / "sources" / name).read_bytes() == data


# -- the database itself ----------------------------------------------------------------
def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_db_that_is_not_sqlite_is_refused_untouched(tmp_path: Path) -> None:
    db = tmp_path / "notes.db"
    db.write_text("my notes, not a database\n", encoding="utf-8")
    r = run_cli("import", SEEDS["v1"], "--db", db)
    assert (r.code, r.stderr) == (2, f"Error: {db} is not a curator database (not SQLite)\n")
    assert db.read_text(encoding="utf-8") == "my notes, not a database\n"


def test_corrupt_sqlite_file_is_refused_untouched(tmp_path: Path) -> None:
    db = tmp_path / "broken.db"
    db.write_bytes(b"SQLite format 3\x00" + bytes((i * 31) % 256 for i in range(4080)))
    digest = _digest(db)
    r = run_cli("stats", "--db", db)
    assert (r.code, r.stderr) == (2, f"Error: cannot open {db}: file is not a database\n")
    assert _digest(db) == digest


def test_db_path_that_is_a_directory_is_refused(tmp_path: Path) -> None:
    r = run_cli("stats", "--db", tmp_path)
    assert (r.code, r.stderr) == (2, f"Error: {tmp_path} is a directory, not a database file\n")


def test_locked_db_gives_up_after_the_busy_timeout_and_keeps_rows(
    stocked: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another process holds the write lock for longer than we wait (60 s by default).
    monkeypatch.setattr(curator.store.dbapi, "BUSY_TIMEOUT_MS", 300)
    before = db_snapshot(stocked)
    good = tmp_path / "good.md"
    good.write_text(LIST, encoding="utf-8")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys, time\n"
            "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "c.execute('BEGIN IMMEDIATE'); print('locked', flush=True); time.sleep(60)",
            str(stocked),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        r = run_cli("import", good, "--db", stocked)
        assert (r.code, r.stderr) == (
            2,
            f"Error: {stocked} is locked by another curator process (waited 0.3 s); "
            "try again when it has finished\n",
        )
        reads = run_cli("stats", "--format", "json", "--db", stocked)  # readers still work
        assert reads.code == 0
    finally:
        holder.kill()
        holder.wait()
    assert db_snapshot(stocked) == before


def test_unknown_source_name_is_a_usage_error(stocked: Path) -> None:
    before = db_snapshot(stocked)
    r = run_cli("list", "--source", "nope", "--db", stocked)
    assert (r.code, r.stderr) == (2, "Error: no source named 'nope' (see `curator stats`)\n")
    assert db_snapshot(stocked) == before


def test_set_url_of_unknown_url_changes_nothing(stocked: Path) -> None:
    before = db_snapshot(stocked)
    r = run_cli("set-url", "https://nowhere.example/", "https://x.example/", "--db", stocked)
    assert (r.code, r.stderr) == (2, "Error: no link points to https://nowhere.example/\n")
    assert db_snapshot(stocked) == before


def test_unwritable_db_directory_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    db = blocker / "sub" / "curator.db"  # its parent cannot be created: a file is in the way
    r = run_cli("import", SEEDS["frameworks"], "--db", db)  # a command that creates the DB
    assert r.code == 2
    assert r.stderr == f"Error: cannot create {db.parent}: Not a directory\n"


def test_rows_checksum_sees_a_change(stocked: Path) -> None:
    # The helper every case above relies on must notice a single changed value.
    before = db_snapshot(stocked)
    with sqlite3.connect(stocked) as conn:
        conn.execute("UPDATE entry SET title = title || '!' WHERE id = 1")
    assert db_snapshot(stocked) != before


# -- checking without a network ---------------------------------------------------------
OFFLINE = """
import sys
import curator.check.engine as engine
import curator.check.http.guard as guard

async def no_dns(host):
    raise guard.ResolveFailed(f"DNS lookup failed for {host}: Temporary failure in name resolution")

class NoNetwork(engine.AsyncioBackend):
    async def connect_tcp(self, *args, **kwargs):
        raise OSError("Network is unreachable")

guard.system_resolver = no_dns
engine.AsyncioBackend = NoNetwork
from curator.cli.app import main
main(sys.argv[1:])
"""


def test_check_without_network_never_marks_links_broken(stocked: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "CURATOR_DB"}
    env["CI"] = "true"
    base = [sys.executable, "-c", OFFLINE, "check", "--db", str(stocked), "--retries", "0"]
    for day in ("2030-01-01T00:00:00+00:00", "2030-01-09T00:00:00+00:00"):  # a week apart
        cmd = [*base, "--max-age", "0", "--confirm-days", "0", "--format", "json"]
        proc = subprocess.run(
            cmd, env={**env, "CURATOR_NOW": day}, capture_output=True, text=True, timeout=120
        )
        assert proc.returncode == 0, proc.stderr
        assert "Traceback" not in proc.stderr
        results = json.loads(proc.stdout)["results"]
        web = [r for r in results if r["url"].startswith(("http://", "https://"))]
        assert len(web) > 50, "the web links were checked"
        assert {r["outcome"] for r in web} == {"transient"}
        assert all("DNS lookup failed" in r["error"] for r in web)
    with sqlite3.connect(stocked) as conn:
        states = {s for (s,) in conn.execute("SELECT state FROM url_state")}
    assert "broken" not in states
