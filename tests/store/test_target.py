"""`--db` targets: SQLite paths, postgresql:// URLs, and everything else refused up front.

Pure parsing units, plus the CLI on a URL whose server is not there: exit 2, one line,
the password masked, and nothing created on disk (it used to make a `postgresql:` dir).
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from curator.errors import InputError
from curator.store.target import DbKind, mask_url, parse_db_target
from tests.support.cli import LISTS, run_cli


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the socket is


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgres://u:pw@h:5433/db", "postgresql+psycopg://u:pw@h:5433/db"),
        ("postgresql+psycopg://h/db?sslmode=require", "postgresql+psycopg://h/db?sslmode=require"),
    ],
)
def test_postgres_urls_are_normalized_to_psycopg(text: str, url: str) -> None:
    target = parse_db_target(text)
    assert target.kind is DbKind.POSTGRESQL
    assert target.url == url
    assert target.path is None


def test_paths_and_sqlite_urls_are_sqlite_files(tmp_path: Path) -> None:
    assert parse_db_target("data/x.db").path == Path("data/x.db")
    assert parse_db_target("odd:name.db").path == Path("odd:name.db")  # no '//': a file name
    assert parse_db_target("sqlite:///rel/x.db").path == Path("rel/x.db")
    assert parse_db_target(f"sqlite:///{tmp_path}/x.db").path == tmp_path / "x.db"


def test_default_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_db_target(None).path == Path("data/curator.db")
    monkeypatch.setenv("CURATOR_DB", "postgres://u@h/db")
    assert parse_db_target(None).url == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize(
    "text",
    [
        "mysql://u@h/db",
        "http://example.com/db",
        "sqlite://host/x.db",
        "postgresql://u@h:notaport/db",
        "postgresql:///db",  # no host
        "postgresql://u@h/a/b",
        "dir/",
    ],
)
def test_other_targets_are_input_errors(text: str) -> None:
    with pytest.raises(InputError):
        parse_db_target(text)


def test_an_existing_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a directory"):
        parse_db_target(str(tmp_path))


def test_passwords_are_masked() -> None:
    assert mask_url("postgresql://me:s3cret@h/db") == "postgresql://me:***@h/db"
    assert "s3cret" not in mask_url("postgresql://h/db?password=s3cret&sslmode=require")
    assert "s3cret" not in str(parse_db_target("postgres://me:s3cret@h/db"))
    with pytest.raises(InputError) as exc:
        parse_db_target("mysql://me:s3cret@h/db")
    assert "s3cret" not in str(exc.value)


def test_unreachable_postgres_url_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    url = f"postgresql://me:s3cret@127.0.0.1:{_closed_port()}/db"
    r = run_cli("import", LISTS / "study_resources.md", "--db", url)
    assert r.code == 2, r.stderr
    assert r.stderr.startswith("Error: cannot open postgresql+psycopg://me:***@127.0.0.1")
    assert len(r.stderr.strip().splitlines()) == 1
    assert "s3cret" not in r.stdout + r.stderr
    assert list(tmp_path.iterdir()) == []  # no `postgresql:` directory, no SQLite file


@pytest.mark.parametrize("db", ["mysql://me:s3cret@localhost/db", "sqlite://host/x.db"])
def test_other_schemes_exit_2_and_write_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db: str
) -> None:
    monkeypatch.chdir(tmp_path)
    for args in (("import", str(LISTS / "study_resources.md")), ("stats",), ("check",)):
        r = run_cli(*args, "--db", db)
        assert r.code == 2, (args, r.stderr)
        assert r.stderr.startswith("Error: unsupported database URL scheme") or (
            "names a file" in r.stderr
        )
        assert "s3cret" not in r.stdout + r.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", [("check", "--allow-private"), ("status",), ("report",)])
def test_check_path_on_unreachable_postgres_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    """The check path reaches PostgreSQL through its own connections: the same one-line
    error as the SQLAlchemy commands, and no SQLite file in its place."""
    monkeypatch.chdir(tmp_path)
    url = f"postgresql://me:s3cret@127.0.0.1:{_closed_port()}/db"
    r = run_cli(*command, "--db", url)
    assert r.code == 2, r.stderr
    assert r.stderr.startswith("Error: cannot "), r.stderr
    assert "127.0.0.1" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert "s3cret" not in r.stdout + r.stderr
    assert list(tmp_path.iterdir()) == []
