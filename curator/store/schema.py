"""The whole database schema: every sqlmodel table, and nothing else.

Input: nothing. Output: table classes used for DDL (connect.py, Alembic) and by the
store's query modules. Config: none. Times are tz-aware UTC datetimes. JSON columns hold
lists/dicts.
User-set rows (manual tags, category overrides, exclusions) reference entries by id, and
the importer keeps entry ids stable across re-imports (matched by stable key), so user
data survives a re-import.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from curator.store.kinds import LinkState as LinkState
from curator.store.kinds import Outcome as Outcome
from curator.store.kinds import RunKind as RunKind
from curator.store.kinds import RunStatus as RunStatus


class Source(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True)
    path: str
    current_version_id: int | None = Field(default=None)
    created_at: datetime


class SourceVersion(SQLModel, table=True):
    __tablename__ = "source_version"
    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="source.id", index=True)
    number: int
    text: str
    encoding: str = "utf-8"
    sha256: str = Field(index=True)
    path: str
    imported_at: datetime
    summary: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))


class Category(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="source.id", index=True)
    path: list[str] = Field(sa_column=Column(JSON))
    title: str
    level: int
    line: int
    kind: str  # parse.CategoryKind


class Entry(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("source_id", "stable_key", name="uq_entry_key"),
        Index("ix_entry_source_line", "source_id", "line_start"),
    )
    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="source.id", index=True)
    kind: str  # parse.EntryKind
    title: str
    orig_title: str  # as in the current source version; differs after an edit in the DB
    url: str | None = None  # main link, as written (after set-url: the new one)
    description: str = ""
    notes: str = ""
    category: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    parent_id: int | None = Field(default=None, index=True)
    position: int = 0
    depth: int = 0
    line_start: int = 0  # 0-based, in the current source version
    line_end: int = 0  # exclusive
    columns: dict[str, str] | None = Field(default=None, sa_column=Column(JSON))
    stable_key: str
    ignored: bool = False  # `<!-- curator-ignore -->` before it: links excluded from checks
    removed_at: datetime | None = Field(default=None, index=True)
    created_at: datetime
    updated_at: datetime


class Url(SQLModel, table=True):
    """One row per normalized web URL: what the checker checks, and what state is about."""

    id: int | None = Field(default=None, primary_key=True)
    normalized: str = Field(unique=True, index=True)
    url: str  # the first spelling seen; what the checker requests
    host: str = Field(index=True)


class Link(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="entry.id", index=True)
    url_id: int | None = Field(default=None, foreign_key="url.id", index=True)
    href: str  # current target
    orig_href: str  # as written in the current source version
    text: str = ""
    kind: str  # urls.LinkKind
    role: str  # parse.LinkRole
    line: int = 0
    position: int = 0
    excluded: bool = False


class Run(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    kind: str  # a RunKind (stored as its text, like every enum here)
    started_at: datetime
    finished_at: datetime | None = None
    arguments: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    counts: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    status: str = RunStatus.RUNNING.value  # a RunStatus
    # Shards of one check share a run key (`--run-id`, default the CI run): the report
    # reads them as one run. `shard` is "I/N" for a sharded check, else None.
    run_key: str | None = Field(default=None, index=True)
    shard: str | None = None


class CheckResult(SQLModel, table=True):
    __tablename__ = "check_result"
    __table_args__ = (Index("ix_check_url_time", "url_id", "checked_at"),)
    id: int | None = Field(default=None, primary_key=True)
    url_id: int = Field(foreign_key="url.id")
    run_id: int | None = Field(default=None, foreign_key="run.id", index=True)
    checked_at: datetime
    status: int | None = None
    outcome: str  # an Outcome
    final_url: str | None = None
    redirects: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    elapsed_ms: int = 0
    attempts: int = 1
    error: str | None = None
    title: str | None = None
    description: str | None = None
    reason: str | None = None  # soft-404, parked, fragment-missing


class UrlState(SQLModel, table=True):
    __tablename__ = "url_state"
    url_id: int = Field(foreign_key="url.id", primary_key=True)
    state: str = Field(index=True)  # a LinkState
    last_outcome: str | None = None
    last_status: int | None = None
    first_failure_at: datetime | None = None
    consecutive_failures: int = 0
    flips: int = 0
    last_ok_at: datetime | None = None
    last_checked_at: datetime | None = None
    final_url: str | None = None
    title: str | None = None
    description: str | None = None
    title_drift: bool = False
    archived_url: str | None = None
    reason: str | None = None  # of the last result: soft-404, parked, fragment-missing


class RepoFact(SQLModel, table=True):
    """What the GitHub API said of a repository link at its last check (check/github.py)."""

    __tablename__ = "repo_fact"
    url_id: int = Field(foreign_key="url.id", primary_key=True)
    name_with_owner: str
    url: str
    archived: bool = False
    disabled: bool = False
    fork: bool = False
    stars: int = 0
    pushed_at: datetime | None = None
    description: str | None = None
    license: str | None = None
    language: str | None = None
    checked_at: datetime


class Tag(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("entry_id", "name", "origin", name="uq_tag"),)
    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="entry.id", index=True)
    name: str = Field(index=True)
    origin: str  # rule / manual / removed (a manual veto of a rule tag)
    reason: str = ""


class CategoryOverride(SQLModel, table=True):
    __tablename__ = "category_override"
    entry_id: int = Field(foreign_key="entry.id", primary_key=True)
    canonical: str


class Exclusion(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    pattern: str = Field(unique=True)
    reason: str = ""
    expires_at: datetime | None = None
    created_at: datetime


class ExportState(SQLModel, table=True):
    """What the last export contained, so CHANGES.md can say what moved since then."""

    __tablename__ = "export_state"
    id: int | None = Field(default=None, primary_key=True)
    exported_at: datetime
    entries: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    broken: list[str] = Field(default_factory=list, sa_column=Column(JSON))


class FixLog(SQLModel, table=True):
    """One link moved by `set-url` or `apply-redirects`, so `apply-redirects --undo` can
    put it back. `batch` groups the links of one command; `path` is set when the fix was
    written into the list file (`--write`), None for a DB-only fix."""

    __tablename__ = "fix_log"
    id: int | None = Field(default=None, primary_key=True)
    batch: int = Field(index=True)
    kind: str  # redirect / set-url
    old_url: str
    new_url: str
    entry_id: int = Field(foreign_key="entry.id")
    source_id: int = Field(foreign_key="source.id")
    path: str | None = None
    line: int = 0  # 1-based line of the link in the file
    applied_at: datetime
    undone_at: datetime | None = None
