"""The `repo_fact` table: what the GitHub API said of each repository link.

Input: a `Db`, `FactRow`s from a check, a clock and a staleness limit. Output: upserts
from the check's result writer (and `curator merge`), and `RepoRow`s (facts with the
link's URL) for `status`, the report and the exports. Config: none. Plain SQL that
PostgreSQL accepts too (`ON CONFLICT ... DO UPDATE`, booleans compared with TRUE).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from curator.store.dbapi import Connection, Db, fetch_all, from_sql_time, sql_time


class FactRow(NamedTuple):
    """A `repo_fact` row: what the API said of the repository behind url `url_id`."""

    url_id: int
    name_with_owner: str
    url: str  # where GitHub has it now
    archived: bool
    disabled: bool
    fork: bool
    stars: int
    pushed_at: datetime | None
    description: str | None
    license: str | None
    language: str | None
    checked_at: datetime


COLUMNS: tuple[str, ...] = FactRow._fields
_UPSERT = (
    f"INSERT INTO repo_fact ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    f" ON CONFLICT (url_id) DO UPDATE SET"
    f" {', '.join(f'{c} = excluded.{c}' for c in COLUMNS[1:])}"
)


def upsert_facts(conn: Connection, rows: Sequence[FactRow]) -> None:
    """Write `rows` inside the caller's transaction."""
    if rows:
        conn.executemany(
            _UPSERT,
            [(*r[:7], sql_time(r.pushed_at), *r[8:11], sql_time(r.checked_at)) for r in rows],
        )


@dataclass(frozen=True, slots=True)
class RepoRow:
    """A repository link with what the API said of it."""

    url_id: int
    link: str  # the URL as the list has it
    name_with_owner: str
    url: str  # where GitHub has it now
    archived: bool
    disabled: bool
    stars: int
    pushed_at: datetime | None
    description: str | None
    renamed: bool  # the link names the repository by an old name
    stale: bool  # no push for longer than the limit asked for

    @property
    def notable(self) -> bool:
        return self.archived or self.disabled or self.renamed or self.stale

    def describe(self) -> str:
        """What is notable, in words: "archived; no push since 2020-01-01"."""
        marks = ["archived"] if self.archived else []
        marks += ["disabled"] if self.disabled else []
        marks += [f"renamed to {self.name_with_owner}"] if self.renamed else []
        if self.stale and self.pushed_at is not None:
            marks += [f"no push since {self.pushed_at:%Y-%m-%d}"]
        return "; ".join(marks)


def load_repos(db: Db, now: datetime, stale_after: timedelta) -> list[RepoRow]:
    """Every repository link with facts, sorted by link."""
    rows = fetch_all(
        db,
        "SELECT url.id, url.url, f.name_with_owner, f.url, f.archived, f.disabled, f.stars,"
        " f.pushed_at, f.description FROM repo_fact f JOIN url ON url.id = f.url_id"
        " ORDER BY url.url",
    )
    out: list[RepoRow] = []
    for uid, link, name, url, archived, disabled, stars, pushed, description in rows:
        pushed_at = from_sql_time(pushed) if isinstance(pushed, str) else pushed
        out.append(
            RepoRow(
                uid,
                link,
                name,
                url,
                bool(archived),
                bool(disabled),
                int(stars or 0),
                pushed_at,
                description,
                renamed=_renamed(link, name),
                stale=pushed_at is not None and now - pushed_at > stale_after,
            )
        )
    return out


def _renamed(link: str, name_with_owner: str) -> bool:
    parts = [p for p in link.split("://", 1)[-1].split("/")[1:3]]
    if len(parts) < 2:
        return False
    owner, name = parts[0], parts[1].removesuffix(".git")
    return f"{owner}/{name}".lower() != name_with_owner.lower()


@dataclass(frozen=True, slots=True)
class RepoMark:
    """What an export shows of a repository link."""

    archived: bool  # archived or disabled
    stale: bool
    stars: int
    description: str | None


def marks_by_url(db: Db, now: datetime, stale_after: timedelta) -> dict[int, RepoMark]:
    """url id → `RepoMark`, for every URL with facts."""
    out: dict[int, RepoMark] = {}
    for uid, archived, disabled, stars, pushed, description in fetch_all(
        db, "SELECT url_id, archived, disabled, stars, pushed_at, description FROM repo_fact"
    ):
        pushed_at = from_sql_time(pushed) if isinstance(pushed, str) else pushed
        out[uid] = RepoMark(
            bool(archived) or bool(disabled),
            pushed_at is not None and now - pushed_at > stale_after,
            int(stars or 0),
            description,
        )
    return out
