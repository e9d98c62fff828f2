"""The SQLAlchemy-based commands on a real PostgreSQL server give what they give on SQLite.

The server is started by the session's `pg_server` fixture from the machine's binaries
(skipped, saying why, without them); each test gets a fresh database (`pg_url`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from curator.store import migrate
from tests.support.cli import LISTS, ROOT, SEEDS, run_cli

pytestmark = pytest.mark.slow


def _run(*args: str | Path) -> str:
    r = run_cli(*args)
    assert r.code == 0, (args, r.stderr)
    return r.stdout


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def _pipeline(db: str, out: Path) -> dict[str, str]:
    said = {"import-v1": _run("import", "--as", "deep_learning_system", SEEDS["v1"], "--db", db)}
    said["import"] = _run("import", LISTS, "--db", db)
    said["tag"] = _run("tag", "--db", db)
    said["list"] = _run("list", "--format", "json", "--db", db)
    said["stats"] = _run("stats", "--db", db)
    said["stats-json"] = _run("stats", "--format", "json", "--db", db)
    said["export"] = _run("export", "--out", out, "--db", db).replace(str(out), "OUT")
    return said


def test_commands_and_exports_match_sqlite(tmp_path: Path, pg_url: str) -> None:
    on_sqlite = _pipeline(str(tmp_path / "c.db"), tmp_path / "sqlite")
    on_pg = _pipeline(pg_url, tmp_path / "pg")
    for command, text in on_sqlite.items():
        assert on_pg[command] == text, command
    assert len(json.loads(on_pg["list"])) > 300
    sqlite_files, pg_files = _files(tmp_path / "sqlite"), _files(tmp_path / "pg")
    assert any(name.startswith("sources/") for name in pg_files)
    assert pg_files == sqlite_files  # byte for byte, the five seeds' sources included
    for seed in SEEDS.values():  # and the round trip holds on PostgreSQL too
        if seed.parent != LISTS:
            continue  # the older version: kept in the DB, not published
        name = f"sources/{seed.stem}.md"
        assert pg_files[name] == seed.read_bytes(), name


def test_edits_after_import_get_fresh_ids(pg_url: str) -> None:
    """The importer allocates url/entry ids itself; ORM inserts afterwards must not clash."""
    _run("import", SEEDS["study"], "--db", pg_url)
    rows = json.loads(_run("list", "--format", "json", "--db", pg_url))
    old = next(e["url"] for e in rows if (e["url"] or "").startswith("http"))
    _run("set-url", old, "https://example.org/a-new-home", "--db-only", "--db", pg_url)
    _run("tag", "add", str(rows[0]["id"]), "perf", "--db", pg_url)
    _run("import", SEEDS["frameworks"], "--db", pg_url)  # max(id)+1 after the ORM's row
    with psycopg.connect(pg_url) as conn:
        (n,) = conn.execute(
            "SELECT count(*) FROM url WHERE url = 'https://example.org/a-new-home'"
        ).fetchone()  # type: ignore[misc]
        assert n == 1
        (dupes,) = conn.execute(  # type: ignore[misc]
            "SELECT count(*) FROM (SELECT id FROM url GROUP BY id HAVING count(*) > 1) AS d"
        ).fetchone()
        assert dupes == 0
        (tags,) = conn.execute("SELECT count(*) FROM tag WHERE origin = 'manual'").fetchone()  # type: ignore[misc]
        assert tags == 1


def test_two_concurrent_imports_both_land(tmp_path: Path, pg_url: str) -> None:
    env = {**os.environ, "CURATOR_DB": pg_url}
    lists = [SEEDS["models"], SEEDS["frameworks"]]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "curator.cli", "import", str(p)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for p in lists
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    stats = json.loads(_run("stats", "--format", "json", "--db", pg_url))
    # the same as both lists imported one after the other into SQLite
    _run("import", *lists, "--db", tmp_path / "c.db")
    expected = json.loads(_run("stats", "--format", "json", "--db", tmp_path / "c.db"))
    assert [s["name"] for s in stats["sources"]] == sorted(p.stem for p in lists)
    assert stats["sources"] == expected["sources"]
    with psycopg.connect(pg_url) as conn:
        row = conn.execute("SELECT count(id), count(DISTINCT id) FROM entry").fetchone()
    assert row is not None and row[0] == row[1] > 100


def test_fresh_database_is_created_at_head_and_stamped(pg_url: str) -> None:
    r = run_cli("db", "upgrade", "--db", pg_url)
    assert r.code == 0, r.stderr
    assert "created at schema" in r.stdout
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [
            (migrate.HEAD,)
        ]
    again = run_cli("db", "upgrade", "--db", pg_url)
    assert "already at" in again.stdout


def _schema(url: str) -> dict[str, list[tuple[str, str]]]:
    with psycopg.connect(url) as conn:
        cols = conn.execute(
            "SELECT table_name, column_name, is_nullable FROM information_schema.columns"
            " WHERE table_schema = 'public' ORDER BY table_name, column_name"
        ).fetchall()
        idx = conn.execute(
            "SELECT tablename, indexname FROM pg_indexes WHERE schemaname = 'public'"
            " ORDER BY tablename, indexname"
        ).fetchall()
    out: dict[str, list[tuple[str, str]]] = {}
    for t, c, n in cols:
        out.setdefault(t, []).append((c, n))
    for t, i in idx:
        out.setdefault(t, []).append(("index", i))
    return out


def test_migration_scripts_run_on_postgres(pg_server, pg_url: str) -> None:  # type: ignore[no-untyped-def]
    """0001 → head through the shipped scripts gives the tables, columns, nullability and
    indexes that a fresh database (create_all) gets."""
    from alembic import command

    from curator.store.connect import open_engine

    engine = open_engine(pg_url, migrate=False)
    try:
        with engine.begin() as conn:
            command.upgrade(migrate.alembic_config(conn), migrate.BASE)
    finally:
        engine.dispose()
    assert _run("stats", "--db", pg_url)  # opens it: upgrades 0001 → head
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [
            (migrate.HEAD,)
        ]
    fresh = pg_server.create_database("t_fresh_" + pg_url.rsplit("_", 1)[-1])
    _run("db", "upgrade", "--db", fresh)
    assert _schema(pg_url) == _schema(fresh)


def test_newer_schema_is_refused_untouched(pg_url: str) -> None:
    _run("import", SEEDS["study"], "--db", pg_url)
    with psycopg.connect(pg_url) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")

    def snapshot() -> list[object]:
        with psycopg.connect(pg_url) as conn:
            return [
                conn.execute("SELECT version_num FROM alembic_version").fetchall(),
                conn.execute("SELECT count(*) FROM entry").fetchall(),
                _schema(pg_url),
            ]

    before = snapshot()
    for args in (("stats",), ("import", str(SEEDS["models"])), ("db", "upgrade")):
        r = run_cli(*args, "--db", pg_url)
        assert r.code == 2, (args, r.stderr)
        assert "newer curator (schema revision 9999" in r.stderr
    assert snapshot() == before


def test_exclusions_on_postgres(pg_url: str) -> None:
    _run(
        "exclude",
        "add",
        "https://*.example.com/*",
        "--reason",
        "bot wall",
        "--expires",
        "2027-01-01",
        "--db",
        pg_url,
    )
    listed = _run("exclude", "list", "--db", pg_url)
    assert "https://*.example.com/*" in listed and "2027-01-01" in listed


def test_writer_gives_up_after_the_busy_timeout_and_readers_go_on(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another curator holds the write lock longer than we wait: exit 2, the same message as
    on SQLite, nothing written; reading commands keep working meanwhile."""
    import curator.store.dbapi
    from curator.store.dialect import WRITE_LOCK_KEY

    _run("import", SEEDS["study"], "--db", pg_url)
    monkeypatch.setattr(curator.store.dbapi, "BUSY_TIMEOUT_MS", 300)
    with psycopg.connect(pg_url) as holder:
        holder.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK_KEY,))
        r = run_cli("import", SEEDS["models"], "--db", pg_url)
        assert r.code == 2, r.stderr
        assert r.stderr.startswith("Error: postgresql+psycopg://postgres@127.0.0.1:")
        assert r.stderr.endswith(
            "is locked by another curator process (waited 0.3 s); try again when it has finished\n"
        )
        assert run_cli("stats", "--db", pg_url).code == 0
        holder.rollback()
    stats = json.loads(_run("stats", "--format", "json", "--db", pg_url))
    assert [s["name"] for s in stats["sources"]] == [SEEDS["study"].stem]
