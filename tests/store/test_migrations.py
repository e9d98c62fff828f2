"""Schema migrations: fresh DBs, upgrades that keep every row, newer DBs left untouched.

Real SQLite files in tmp_path. Upgrades are exercised twice: from every real revision older
than head (filled with rows in every table), and through a test-only revision added on top
of a copy of the shipped migrations (so the backup / rollback / CLI paths are covered even
while head is the first revision).
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine
from sqlmodel import SQLModel

from curator.store import migrate
from curator.store.connect import open_engine
from tests.support.cli import LISTS, SEEDS, run_cli

EXTRA_REVISION = '''
"""Test-only revision: one new nullable column and one new table, like a real upgrade."""
import sqlalchemy as sa
from alembic import op

revision = "9001"
down_revision = {down!r}
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("entry", sa.Column("extra_note", sa.String(), nullable=True))
    op.create_table("extra", sa.Column("id", sa.Integer(), primary_key=True))
    {fail}


def downgrade() -> None:
    op.drop_table("extra")
    op.drop_column("entry", "extra_note")
'''


from tests.support.dbsnap import columns, db_snapshot, revision_of, schema, tables  # noqa: E402


def db_at(path: Path, revision: str) -> Path:
    """A DB built by the migrations themselves up to `revision` (not by create_all)."""
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        command.upgrade(migrate.alembic_config(conn), revision)
    engine.dispose()
    return path


def fill_every_table(db: Path, rows: int = 3) -> None:
    """Rows in every empty table (FKs point at row 1), with unicode, JSON and NULLs."""
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA foreign_keys=ON")
        first = ["source", "url", "run", "exclusion", "export_state", "entry"]
        names = [t for t in first if t in tables(db)] + [t for t in tables(db) if t not in first]
        for table in names:
            if conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]:
                continue
            info = list(conn.execute(f"PRAGMA table_info({table})"))
            fks = {r[3] for r in conn.execute(f"PRAGMA foreign_key_list({table})")}
            for i in range(1, rows + 1):
                values = [
                    _value(table, col, typ, notnull, pk, fks, i)
                    for _, col, typ, notnull, _d, pk in info
                ]
                marks = ", ".join("?" for _ in info)
                conn.execute(f"INSERT INTO {table} VALUES ({marks})", values)
        conn.commit()


def _value(table: str, col: str, typ: str, notnull: int, pk: int, fks: set[str], i: int) -> Any:
    typ = typ.upper()
    if pk:
        return i
    if col in fks:
        return 1
    if not notnull and i == 2 and not col.endswith("_id"):
        return None
    if typ == "INTEGER":
        return i * 7
    if typ == "BOOLEAN":
        return i % 2
    if typ == "DATETIME":
        return f"2024-0{i}-0{i} 12:00:00.000000"
    if typ == "JSON":
        return f'["{table}", {i}, "中文"]'
    return f"{table}.{col}.{i} 深度学习 ✓"


@pytest.fixture
def extra_head(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The shipped migrations plus revision 9001 on top; returns a writer for its body."""
    scripts = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, scripts, ignore=shutil.ignore_patterns("__pycache__"))

    old_head = migrate.HEAD

    def write(fail: bool = False) -> None:
        body = EXTRA_REVISION.format(
            down=old_head, fail='raise RuntimeError("disk on fire")' if fail else ""
        )
        (scripts / "versions" / "9001_extra.py").write_text(body, encoding="utf-8")

    write()
    monkeypatch.setattr(migrate, "MIGRATIONS_DIR", scripts)
    monkeypatch.setattr(migrate, "HEAD", "9001")
    write.old_head = old_head  # type: ignore[attr-defined]
    return write


def imported_db(tmp_path: Path) -> Path:
    db = tmp_path / "curator.db"
    r = run_cli("import", LISTS, SEEDS["v1"], "--db", db)  # every seed, the older one too
    assert r.code == 0, r.stderr
    return db


# -- tests ------------------------------------------------------------------------------
def test_head_is_the_newest_migration_script() -> None:
    assert migrate.script_head() == migrate.HEAD
    assert migrate.BASE in migrate.known_revisions()


def test_migrations_build_exactly_the_schema_models_py_declares(tmp_path: Path) -> None:
    migrated = db_at(tmp_path / "migrated.db", "head")
    created = tmp_path / "created.db"
    engine = create_engine(f"sqlite:///{created}")
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    assert schema(migrated) == schema(created)
    engine = create_engine(f"sqlite:///{migrated}")
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    engine.dispose()
    assert diff == [], f"models.py changed without a migration: {diff}"


def test_fresh_db_is_created_at_head_and_stamped(tmp_path: Path) -> None:
    db = imported_db(tmp_path)
    assert revision_of(db) == [migrate.HEAD]
    assert set(tables(db)) == set(SQLModel.metadata.tables)
    assert not list(tmp_path.glob("*.bak-*")), "no backup for a new DB"


OLDER = sorted(migrate.known_revisions() - {migrate.HEAD})


@pytest.mark.parametrize("revision", OLDER)
def test_upgrade_from_each_older_revision_keeps_every_row(tmp_path: Path, revision: str) -> None:
    db = db_at(tmp_path / "curator.db", revision)
    fill_every_table(db)
    old_cols = {t: columns(db, t) for t in tables(db)}
    before = db_snapshot(db)
    r = run_cli("stats", "--db", db)
    assert r.code == 0, r.stderr
    assert revision_of(db) == [migrate.HEAD]
    assert db_snapshot(db, old_cols) == before
    backup = tmp_path / f"curator.db.bak-{revision}"
    assert db_snapshot(backup) == before and revision_of(backup) == [revision]


@pytest.mark.parametrize("pre_alembic", [False, True], ids=["stamped", "pre-alembic"])
def test_upgrade_keeps_every_row_and_makes_a_backup_first(
    tmp_path: Path,
    extra_head,  # type: ignore[no-untyped-def]
    pre_alembic: bool,
) -> None:
    old_head = extra_head.old_head
    if pre_alembic:  # a DB made before curator used Alembic: read as the first revision
        start = migrate.BASE
        db = db_at(tmp_path / "curator.db", start)
        fill_every_table(db)
        with sqlite3.connect(db) as conn:
            conn.execute("DROP TABLE alembic_version")
    else:
        start = old_head
        with pytest.MonkeyPatch.context() as mp:  # build and fill the DB with today's head
            mp.setattr(migrate, "HEAD", old_head)
            db = imported_db(tmp_path)
            fill_every_table(db)  # runs, check results, tags, ...: every table has rows
    before = db_snapshot(db)
    assert all(count > 0 for count, _ in before.values())
    old_cols = {t: columns(db, t) for t in tables(db)}
    r = run_cli("list", "--format", "json", "--db", db)  # any command upgrades first
    assert r.code == 0, r.stderr
    assert revision_of(db) == ["9001"]
    assert "extra_note" in columns(db, "entry") and "extra" in tables(db)
    assert db_snapshot(db, old_cols) == before  # every old row, every old value
    backup = tmp_path / f"curator.db.bak-{start}"
    assert db_snapshot(backup) == before
    assert revision_of(backup) == ([] if pre_alembic else [old_head])
    if pre_alembic:
        return
    out = tmp_path / "out"  # and the lists still export byte for byte
    assert run_cli("export", "--sources", "--out", out, "--db", db).code == 0
    for seed in SEEDS.values():
        assert (out / "sources" / seed.name).read_bytes() == seed.read_bytes()


def test_failed_upgrade_leaves_the_db_as_it_was(tmp_path: Path, extra_head) -> None:  # type: ignore[no-untyped-def]
    old_head = extra_head.old_head
    extra_head(fail=True)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(migrate, "HEAD", old_head)
        db = imported_db(tmp_path)
    before = db_snapshot(db)
    r = run_cli("stats", "--db", db)
    assert r.code == 3
    assert r.stderr.startswith(f"Error: upgrading {db} from schema {old_head} to 9001 failed")
    assert "the database was not changed" in r.stderr
    assert revision_of(db) == [old_head]
    assert "extra_note" not in columns(db, "entry") and "extra" not in tables(db)
    assert db_snapshot(db) == before


def test_db_upgrade_command_prints_from_and_to(tmp_path: Path, extra_head) -> None:  # type: ignore[no-untyped-def]
    old_head = extra_head.old_head
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(migrate, "HEAD", old_head)
        db = imported_db(tmp_path)
    r = run_cli("db", "upgrade", "--db", db)
    assert r.code == 0, r.stderr
    assert r.stdout == f"{db}: schema {old_head} -> 9001 (backup: {db}.bak-{old_head})\n"
    r = run_cli("db", "upgrade", "--db", db)
    assert r.stdout == f"{db}: schema already at 9001, nothing to do\n"
    new = tmp_path / "new.db"
    assert run_cli("db", "upgrade", "--db", new).stdout == f"{new}: created at schema 9001\n"


def test_db_made_before_alembic_is_read_as_the_first_revision(tmp_path: Path) -> None:
    db = db_at(tmp_path / "curator.db", migrate.BASE)
    fill_every_table(db)
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TABLE alembic_version")
    old_cols = {t: columns(db, t) for t in tables(db)}
    before = db_snapshot(db)
    r = run_cli("stats", "--db", db)
    assert r.code == 0, r.stderr
    assert revision_of(db) == [migrate.HEAD]
    assert db_snapshot(db, old_cols) == before


@pytest.mark.parametrize(
    "command_args", [("stats",), ("check",), ("db", "upgrade"), ("import", SEEDS["v1"])]
)
def test_db_from_a_newer_curator_is_refused_and_untouched(
    tmp_path: Path, command_args: tuple[str, ...]
) -> None:
    db = imported_db(tmp_path)
    conn = sqlite3.connect(db)
    conn.execute("UPDATE alembic_version SET version_num = 'ffff0042'")
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    digest = hashlib.sha256(db.read_bytes()).hexdigest()
    r = run_cli(*command_args, "--db", db)
    assert r.code == 2
    assert r.stderr == (
        f"Error: {db} was written by a newer curator (schema revision ffff0042; this curator "
        f"knows up to {migrate.HEAD}). Upgrade curator to use it; the database was not "
        "changed.\n"
    )
    assert hashlib.sha256(db.read_bytes()).hexdigest() == digest
    assert not list(tmp_path.glob("*.bak-*"))


def test_db_at_head_opens_without_loading_alembic(tmp_path: Path) -> None:
    db = imported_db(tmp_path)
    code = (
        "import sys; from curator.store.connect import open_engine; "
        f"open_engine({str(db)!r}); print('alembic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_empty_sqlite_file_gets_the_full_schema(tmp_path: Path) -> None:
    # An SQLite file with no tables (e.g. created by another tool) is treated as new.
    db = tmp_path / "empty.db"
    sqlite3.connect(db).close()
    open_engine(db).dispose()
    assert revision_of(db) == [migrate.HEAD]
    assert set(tables(db)) == set(SQLModel.metadata.tables)


def test_check_upgrades_an_older_db_before_its_plain_sqlite_queries(tmp_path: Path) -> None:
    """`curator check` reads and writes through sqlite3 directly (curator/store/dbapi.py); an
    older DB is first migrated, with its backup, like every other command does."""
    db = db_at(tmp_path / "curator.db", migrate.BASE)
    fill_every_table(db)
    r = run_cli("check", "--budget", "0", "--db", db)
    assert r.code == 0, r.stderr
    assert revision_of(db) == [migrate.HEAD]
    assert (tmp_path / f"curator.db.bak-{migrate.BASE}").exists()
    with sqlite3.connect(db) as conn:
        kinds = [k for (k,) in conn.execute("SELECT kind FROM run ORDER BY id DESC LIMIT 1")]
    assert kinds == ["check"]
