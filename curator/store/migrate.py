"""Schema creation and upgrades with Alembic, run in-process.

Input: an engine and its DB path. Output: a DB whose schema matches `schema.py`, or a
`DatabaseError`/`SchemaTooNewError` with the DB left as it was. Config: `HEAD`, the newest
revision in `migrations/versions/` (a test keeps the two in step).

- At head (the common case): one query on `alembic_version`; Alembic is not even imported.
- Fresh DB: `create_all` and stamp head, in one write transaction.
- Older DB (or one from before Alembic: tables but no `alembic_version`, read as 0001):
  a backup copy `<db>.bak-<revision>` is made next to it with SQLite's backup API, then
  the migrations run, all inside one `BEGIN IMMEDIATE` transaction, so no other curator
  writes while the copy is taken and a failed upgrade leaves the old schema in place.
- Unknown revision (written by a newer curator): `SchemaTooNewError`; nothing is touched.

On PostgreSQL the same steps run in one transaction under curator's advisory write lock;
no backup is made (DDL is transactional there, so a failed upgrade rolls back whole, and
backups of a shared server are its operator's job: pg_dump).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DatabaseError as SADatabaseError
from sqlmodel import SQLModel

from curator.errors import CuratorError, DatabaseError, SchemaTooNewError
from curator.store import schema as models  # noqa: F401  (registers the tables)
from curator.store.dbapi import SCHEMA_HEAD
from curator.store.target import DbTarget

if TYPE_CHECKING:
    from alembic.config import Config

HEAD = SCHEMA_HEAD  # the newest revision in migrations/versions/
BASE = "0001"  # what a DB made before Alembic (tables, no alembic_version) is taken to be
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_VERSION_DDL = (
    "CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL, "
    "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
)


@dataclass(frozen=True, slots=True)
class UpgradeResult:
    path: Path | str  # the SQLite file, or the PostgreSQL URL with its password masked
    from_revision: str | None  # None: the DB was empty and was created at head
    to_revision: str
    backup: Path | None  # the copy made before migrating, if any

    @property
    def changed(self) -> bool:
        return self.from_revision != self.to_revision


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config built in code (no alembic.ini), bound to `connection`."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    return {rev.revision for rev in script.walk_revisions()}


def script_head() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def _current(conn: Connection) -> tuple[str | None, bool]:
    """(revision, stamped). Tables without a revision read as BASE; no tables as None."""
    try:
        rows = (
            conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
            if _has_version_table(conn)
            else []
        )
    except SADatabaseError:
        rows = []
    if rows:  # several rows would be branches: never made by curator, so a newer one did
        return ",".join(sorted(rows)), True
    has_tables = conn.execute(text(_TABLES_SQL[conn.dialect.name])).scalar()
    return (BASE if has_tables else None), False


_TABLES_SQL = {
    "sqlite": "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
    "AND name NOT LIKE 'sqlite_%' AND name != 'alembic_version'",
    "postgresql": "SELECT count(*) FROM information_schema.tables "
    "WHERE table_schema = current_schema() AND table_name != 'alembic_version'",
}


def _has_version_table(conn: Connection) -> bool:
    # On PostgreSQL a failed SELECT would abort the whole transaction: look first. Not with
    # to_regclass(), whose cached catalog view can miss a table another upgrader committed
    # while we waited for the write lock; a query on the catalog sees it.
    if conn.dialect.name != "postgresql":
        return True
    found = conn.execute(
        text(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_name = 'alembic_version'"
        )
    ).scalar()
    return bool(found)


def _too_new(path: Path | str, revision: str) -> SchemaTooNewError:
    return SchemaTooNewError(
        f"{path} was written by a newer curator (schema revision {revision}; this curator "
        f"knows up to {HEAD}). Upgrade curator to use it; the database was not changed."
    )


def _backup_path(path: Path, revision: str) -> Path:
    candidate = path.with_name(f"{path.name}.bak-{revision}")
    n = 1
    while candidate.exists():  # never overwrite an older backup
        candidate = path.with_name(f"{path.name}.bak-{revision}.{n}")
        n += 1
    return candidate


def _backup(path: Path, revision: str) -> Path:
    target = _backup_path(path, revision)
    src = sqlite3.connect(path)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    except sqlite3.Error as exc:
        target.unlink(missing_ok=True)
        raise DatabaseError(f"cannot back up {path} before upgrading: {exc}") from exc
    finally:
        src.close()
    return target


def _stamp(conn: Connection, revision: str) -> None:
    conn.execute(text(_VERSION_DDL))
    conn.execute(text("DELETE FROM alembic_version"))
    conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": revision})


def upgrade(engine: Engine, where: Path | DbTarget) -> UpgradeResult:
    """Bring the DB at `where` to HEAD (see the module docstring for each case)."""
    if isinstance(where, DbTarget) and where.path is None:
        return _upgrade(engine, where.display, None)
    path = where.sqlite_path if isinstance(where, DbTarget) else where
    return _upgrade(engine, path, path)


def _upgrade(engine: Engine, path: Path | str, file: Path | None) -> UpgradeResult:
    bound = engine.execution_options(curator_immediate=True)
    try:
        # BEGIN IMMEDIATE (SQLite) or the advisory write lock (PostgreSQL): one upgrader
        with bound.begin() as conn:
            current, stamped = _current(conn)
            if current == HEAD:
                if not stamped:  # made before Alembic, with the same schema
                    _stamp(conn, HEAD)
                return UpgradeResult(path, HEAD, HEAD, None)
            if current is None:
                SQLModel.metadata.create_all(conn)
                _stamp(conn, HEAD)
                return UpgradeResult(path, None, HEAD, None)
            if current not in known_revisions():
                raise _too_new(path, current)
            backup = _backup(file, current) if file is not None else None
            _migrate(conn, path, current, backup)
            return UpgradeResult(path, current, HEAD, backup)
    except SADatabaseError as exc:  # not a database, disk full, locked past the busy timeout
        raise DatabaseError(f"cannot open {path}: {exc.orig}") from exc


def _migrate(conn: Connection, path: Path | str, current: str, backup: Path | None) -> None:
    from alembic import command

    try:
        _stamp(conn, current)  # the same row again, or the first one in a pre-Alembic DB
        command.upgrade(alembic_config(conn), "head")
    except CuratorError:
        raise
    except Exception as exc:  # the transaction rolls back: the old schema stays in place
        kept = f", a copy is in {backup}" if backup is not None else ""
        raise CuratorError(
            f"upgrading {path} from schema {current} to {HEAD} failed ({type(exc).__name__}: "
            f"{exc}); the database was not changed{kept}"
        ) from exc


def ensure_schema(engine: Engine, where: Path | DbTarget) -> None:
    """Called by `connect.open_engine` for every command: cheap when the DB is at head."""
    try:
        with engine.connect() as conn:
            rows = (
                conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
                if _has_version_table(conn)
                else []
            )
            conn.rollback()
    except SADatabaseError as exc:
        if isinstance(where, DbTarget) and not where.is_sqlite:  # the server, not the schema
            raise DatabaseError(f"cannot open {where.display}: {exc.orig}") from exc
        rows = []
    if rows == [HEAD]:
        return
    upgrade(engine, where)
