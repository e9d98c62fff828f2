"""Where the database is: a SQLite file or a PostgreSQL server, from `--db` / `$CURATOR_DB`.

Input: the `--db` text (or None: `$CURATOR_DB`, else `data/curator.db`). Output: a frozen
`DbTarget` (kind, path or URL), with the URL normalized to SQLAlchemy's psycopg driver
(`postgresql+psycopg://`) and a masked form for messages. Config: none.

Parsed before anything touches the disk or the network: a URL of any other scheme
(`mysql://`, `http://`, `sqlite://host/...`) is an `InputError`, never a file name; before
this module existed `--db postgresql://user@host/db` created a directory `postgresql:`.
Pure: no SQLAlchemy and no psycopg here, so `curator check` can use it and stay lean.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from curator.errors import InputError

DEFAULT_DB = Path("data") / "curator.db"
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://")
_POSTGRES_SCHEMES = {"postgresql", "postgres", "postgresql+psycopg"}
_SECRET_PARAMS = {"password", "passfile", "sslpassword"}


class DbKind(StrEnum):
    SQLITE = "sqlite"
    POSTGRESQL = "postgresql"


@dataclass(frozen=True, slots=True)
class DbTarget:
    kind: DbKind
    path: Path | None = None  # SQLite
    url: str | None = None  # PostgreSQL, as `postgresql+psycopg://...` (password kept)

    @property
    def is_sqlite(self) -> bool:
        return self.kind is DbKind.SQLITE

    @property
    def sqlite_path(self) -> Path:
        assert self.path is not None, "not a SQLite target"
        return self.path

    @property
    def sqlalchemy_url(self) -> str:
        return f"sqlite:///{self.path}" if self.path is not None else str(self.url)

    @property
    def libpq_url(self) -> str:
        """The URL as psycopg/libpq take it (no SQLAlchemy driver suffix)."""
        assert self.url is not None, "not a PostgreSQL target"
        return "postgresql://" + self.url.split("://", 1)[1]

    @property
    def display(self) -> str:
        """For messages and logs: the path, or the URL with any password masked."""
        return str(self.path) if self.path is not None else mask_url(str(self.url))

    def __str__(self) -> str:
        return self.display


def mask_url(url: str) -> str:
    """`url` with the password (in the user part or the query string) replaced by ***."""
    try:
        parts = urlsplit(url)
    except ValueError:  # unparsable: show only where it points
        m = _SCHEME.match(url)
        return f"{m.group(1) if m else 'url'}://***@{url.rsplit('@', 1)[-1]}"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        if ":" in userinfo:
            userinfo = userinfo.split(":", 1)[0] + ":***"
        netloc = f"{userinfo}@{host}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, "***" if k.lower() in _SECRET_PARAMS else v) for k, v in pairs])
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def parse_db_target(text: str | Path | None) -> DbTarget:
    """`--db` (else `$CURATOR_DB`, else `data/curator.db`) as a `DbTarget`, or InputError."""
    if text is None or text == "":
        env = os.environ.get("CURATOR_DB", "")
        if not env:
            return DbTarget(DbKind.SQLITE, path=DEFAULT_DB)
        text = env
    if isinstance(text, Path):
        return _sqlite(text)
    m = _SCHEME.match(text)
    if m is None:
        return _sqlite(Path(text), text)
    scheme = m.group(1).lower()
    if scheme in _POSTGRES_SCHEMES:
        return _postgres(text)
    if scheme == "sqlite":
        return _sqlite_url(text)
    raise InputError(
        f"unsupported database URL scheme {scheme!r} in {mask_url(text)}: use a SQLite file "
        "path or a postgresql://user@host/dbname URL"
    )


def _sqlite(path: Path, raw: str | None = None) -> DbTarget:
    raw = str(path) if raw is None else raw  # Path("dir/") drops the telling slash
    if "\x00" in raw:
        raise InputError("the database path contains a NUL character")
    if raw.endswith(("/", os.sep)) or (path.exists() and path.is_dir()):
        raise InputError(f"{path} is a directory, not a database file")
    return DbTarget(DbKind.SQLITE, path=path)


def _sqlite_url(text: str) -> DbTarget:
    rest = text.split("://", 1)[1]
    # sqlite:///relative.db and sqlite:////abs.db name a file; anything before the third
    # slash would be a host, which SQLite has no notion of.
    if not rest.startswith("/") or len(rest) < 2:
        raise InputError(
            f"{mask_url(text)}: a sqlite:// URL names a file (sqlite:///path/to.db), not a host"
        )
    return _sqlite(Path(rest[1:]), rest[1:])


def _postgres(text: str) -> DbTarget:
    masked = mask_url(text)
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018  (raises ValueError on a non-numeric port)
    except ValueError as exc:
        raise InputError(f"invalid PostgreSQL URL {masked}: {exc}") from exc
    if not parts.hostname and "host=" not in parts.query:
        raise InputError(f"invalid PostgreSQL URL {masked}: no host (postgresql://user@host/db)")
    if parts.fragment:
        raise InputError(f"invalid PostgreSQL URL {masked}: unexpected #fragment")
    dbname = parts.path.lstrip("/")
    if "/" in dbname:
        raise InputError(f"invalid PostgreSQL URL {masked}: the path must be one database name")
    rest = text.split("://", 1)[1]
    return DbTarget(DbKind.POSTGRESQL, url=f"postgresql+psycopg://{rest}")
