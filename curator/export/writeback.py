"""Fixes written into the list files: `set-url`/`apply-redirects` with `--write`, their
preview (a unified diff, nothing changed), `--db-only`, and `apply-redirects --undo`.

Input: a write session (a preview runs in its savepoint), the edit, a `FixMode` and the
time. Output: `FixOutcome` (the DB result, one `FileChange` per list file with its diff,
the fix-log batch). A file is written only when its bytes are still those of the version
imported (else `InputError`: re-import first), by atomic rename, in its own encoding (BOM
and line endings are in the stored text), and the new text becomes the source's next
version, so importing the file again finds it unchanged. A preview runs the edit inside a
savepoint it rolls back.
Config: none; relative source paths are read from the current directory, as imported.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from curator.curate.edits import (
    ApplyRedirectsResult,
    LinkSpot,
    SetUrlResult,
    apply_redirects,
    set_url,
)
from curator.errors import InputError, NotFoundError
from curator.export.roundtrip import render_source
from curator.parse import split_lines
from curator.store.fixes import (
    FixRecord,
    batch_records,
    current_text,
    edited_sources,
    log_fixes,
    mark_undone,
    record_written_version,
    revert_links,
    source_row,
)
from curator.store.sources import SourceRow
from curator.util.fsutil import atomic_write_bytes

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from curator.store.dbapi import Db


class FixMode(StrEnum):
    PREVIEW = "preview"  # print the diff; change nothing, on disk or in the DB
    WRITE = "write"  # the DB and the list files
    DB_ONLY = "db-only"  # the DB only (the files keep the old URL until exported)


@dataclass(frozen=True, slots=True)
class FileChange:
    source: str
    path: str
    diff: str  # unified diff of the file's text
    written: bool


@dataclass(frozen=True, slots=True)
class FixOutcome:
    files: tuple[FileChange, ...]
    batch: int | None  # fix-log batch (None: a preview, or nothing changed)
    set_url: SetUrlResult | None = None
    redirects: ApplyRedirectsResult | None = None


def _diff(path: str, before: str, after: str) -> str:
    return "".join(
        difflib.unified_diff(split_lines(before), split_lines(after), f"a/{path}", f"b/{path}", n=1)
    )


def _check_on_disk(source: SourceRow, expected_sha: str) -> Path:
    path = Path(source.path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(
            f"{path}: cannot read the list of source {source.name!r} ({exc.strerror})"
        ) from exc
    if hashlib.sha256(data).hexdigest() != expected_sha:
        raise InputError(f"{path} changed since it was imported; run `curator import {path}` first")
    return path


def write_back(db: Db, source_ids: set[int] | None, now: datetime, write: bool) -> list[FileChange]:
    """The files of `source_ids` (None: every source) with their DB edits applied.

    Every file is checked before the first one is written, so a changed file stops the
    whole command with no file touched (and the caller's transaction rolls back)."""
    plans = []
    for source in edited_sources(db, source_ids):
        version = current_text(db, source)
        if version is None:
            continue
        rendered = render_source(db, source)
        if rendered.text == version.text:
            continue
        if write:
            _check_on_disk(source, version.sha256)
        plans.append((source, version.text, rendered.text, rendered.encoding))
    changes = []
    for source, before, after, encoding in plans:
        diff = _diff(source.path, before, after)
        if write:
            data = after.encode(encoding)
            atomic_write_bytes(Path(source.path), data)
            sha = hashlib.sha256(data).hexdigest()
            record_written_version(db, source, after, encoding, sha, now)
        changes.append(FileChange(source.name, source.path, diff, write))
    return changes


def _records(
    kind: str, old: str, new: str, spots: tuple[LinkSpot, ...], db: Db, written: bool
) -> list[FixRecord]:
    out = []
    for s in spots:
        source = source_row(db, s.source_id)
        path = source.path if (written and source is not None) else None
        out.append(FixRecord(kind, old, new, s.entry_id, s.source_id, path, s.line + 1))
    return out


def _finish(
    db: Db, mode: FixMode, records: list[FixRecord], source_ids: set[int], now: datetime
) -> tuple[list[FileChange], int | None]:
    files = write_back(db, source_ids, now, write=mode is FixMode.WRITE)
    batch = log_fixes(db, records, now) if records else None
    return files, batch


def fix_url(session: Session, old: str, new: str, mode: FixMode, now: datetime) -> FixOutcome:
    """`curator set-url OLD NEW` in `mode`."""
    nested = session.begin_nested() if mode is FixMode.PREVIEW else None
    try:
        result = set_url(session, old, new)
        write = mode is FixMode.WRITE
        records = _records("set-url", result.old, result.new, result.spots, session, write)
        sources = {s.source_id for s in result.spots}
        if mode is FixMode.DB_ONLY:
            return FixOutcome((), log_fixes(session, records, now), set_url=result)
        files, batch = _finish(session, mode, records, sources, now)
        return FixOutcome(tuple(files), None if nested else batch, set_url=result)
    finally:
        if nested is not None:
            nested.rollback()


def fix_redirects(
    session: Session, mode: FixMode, now: datetime, source: str | None = None
) -> FixOutcome:
    """`curator apply-redirects` in `mode` (harmful moves are refused in every mode)."""
    nested = session.begin_nested() if mode is FixMode.PREVIEW else None
    try:
        result = apply_redirects(session, source=source)
        write = mode is FixMode.WRITE
        records = [
            r
            for c in result.changes
            for r in _records("redirect", c.old, c.new, c.spots, session, write)
        ]
        sources = {r.source_id for r in records}
        if mode is FixMode.DB_ONLY:
            batch = log_fixes(session, records, now) if records else None
            return FixOutcome((), batch, redirects=result)
        files, batch = _finish(session, mode, records, sources, now) if records else ([], None)
        if nested is not None:
            result = ApplyRedirectsResult(
                result.changes, result.same_url, result.unusable, True, result.refused
            )
        return FixOutcome(tuple(files), None if nested else batch, redirects=result)
    finally:
        if nested is not None:
            nested.rollback()


@dataclass(frozen=True, slots=True)
class UndoResult:
    batch: int
    links: int
    files: tuple[FileChange, ...]


def undo_batch(session: Db, batch: int, now: datetime) -> UndoResult:
    """Put back the links of fix batch `batch`, in the DB and in the files it wrote."""
    rows = batch_records(session, batch)
    if not rows:
        raise NotFoundError(f"no fix batch {batch} (see `curator apply-redirects --log`)")
    if any(r.undone_at is not None for r in rows):
        raise InputError(f"fix batch {batch} was already undone")
    links = 0
    written: set[int] = set()
    for r in rows:
        links += revert_links(session, r.entry_id, r.new_url, r.old_url)
        if r.path is not None:
            written.add(r.source_id)
    files = write_back(session, written, now, write=True) if written else []
    mark_undone(session, batch, now)
    return UndoResult(batch, links, tuple(files))
