"""Import stage: list files → parsed documents → rows in SQLite, with a version diff.

Input: paths (files or directories of `.md`), an optional source name (`--as`). Output:
`ImportResult` per source (+added −removed ~changed). All writes happen in one
transaction: a bad file leaves the DB as it was. Every file is read and decoded before the
first write, and every file but the last is parsed too; the last one is stored while its
later chunks are still being parsed on other cores (parse/parallel.py), and a refusal
found there rolls the transaction back. Entries are matched to the previous version by a
stable key (normalized main URL, else category path + title; store/imports.py), so their
ids, and the user data hanging off them, survive. Config: none.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from curator.errors import InputError
from curator.parse import ParsedDocument, decode_bytes
from curator.parse.parallel import ChunkStream
from curator.store.imports import SourceWriter, counts, stable_keys
from curator.store.sources import add_version, create_source, current_shas, current_version
from curator.util.perf import gc_paused

__all__ = ["ImportResult", "collect_files", "import_paths", "load_file", "stable_keys"]

MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd")


@dataclass(frozen=True, slots=True)
class ImportResult:
    source: str
    path: str
    version: int
    unchanged: bool
    added: int
    removed: int
    changed: int
    entries: int
    links: int
    rows_written: int


@dataclass(frozen=True, slots=True)
class _Loaded:
    name: str
    path: Path
    text: str
    encoding: str
    sha256: str
    # None: same bytes as the current version, not parsed. A list of parts: parsed and
    # checked. A `ChunkStream`: still being parsed by workers while earlier parts are stored.
    parts: list[ParsedDocument] | ChunkStream | None

    def close(self) -> None:
        if isinstance(self.parts, ChunkStream):
            self.parts.close()


def utcnow() -> datetime:
    return datetime.now(UTC)


def collect_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if not path.exists():
            raise InputError(f"{path}: no such file or directory")
        if path.is_dir():
            found = sorted(
                p for p in path.rglob("*") if p.suffix.lower() in MARKDOWN_SUFFIXES and p.is_file()
            )
            if not found:
                raise InputError(f"{path}: no Markdown files (*.md) in this directory")
            files.extend(found)
        else:
            files.append(path)
    return files


def load_file(path: Path, name: str, known_sha: str | None = None, wait: bool = True) -> _Loaded:
    """Read, decode and parse one list; skip decoding and parsing when its bytes are known.

    `wait=False` returns while big lists are still being parsed (see `ChunkStream`); the
    check that the file has entries then happens as it is stored."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from exc
    sha = hashlib.sha256(data).hexdigest()
    if sha == known_sha:
        return _Loaded(name, path, "", "", sha, None)
    decoded = decode_bytes(data, str(path))
    stream = ChunkStream(decoded.text)
    if not wait and stream.pending:
        return _Loaded(name, path, decoded.text, decoded.encoding, sha, stream)
    parts = list(stream)
    if not any(_has_content(part) for part in parts):
        raise InputError(_NO_CONTENT.format(path=path))
    return _Loaded(name, path, decoded.text, decoded.encoding, sha, parts)


_NO_CONTENT = "{path}: no list entries or links found (is it only prose?)"


def _has_content(doc: ParsedDocument) -> bool:
    return any(e.curated or e.links for e in doc.entries)


def _current_shas(engine: Engine) -> dict[str, str]:
    from curator.store.connect import read_session

    with read_session(engine) as session:
        return current_shas(session)


def import_paths(
    engine: Engine, paths: list[Path], as_name: str | None = None, now: datetime | None = None
) -> list[ImportResult]:
    files = collect_files(paths)
    if as_name and len(files) != 1:
        raise InputError(f"--as takes exactly one file, got {len(files)}")
    names = [as_name or f.stem for f in files]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError(f"two files would become the same source: {', '.join(dupes)}")
    known = _current_shas(engine)
    now = now or utcnow()
    from curator.store.connect import write_session

    loaded: list[_Loaded] = []
    try:
        with gc_paused():
            # The last file is stored while its later chunks are still being parsed; the
            # others are parsed (and refused when empty) before anything is written.
            for k, (f, name) in enumerate(zip(files, names, strict=True)):
                loaded.append(load_file(f, name, known.get(name), wait=k < len(files) - 1))
            with write_session(engine) as session:
                return [_store(session, item, now) for item in loaded]
    finally:
        for item in loaded:
            item.close()


def _store(session: Session, item: _Loaded, now: datetime) -> ImportResult:
    found = current_version(session, item.name)
    version_no = 1
    if found is not None:
        if found.sha256 == item.sha256 and found.number is not None:
            n_entries, n_links = counts(session, found.source_id)
            return ImportResult(
                item.name, str(item.path), found.number, True, 0, 0, 0, n_entries, n_links, 0
            )
        version_no = (found.number + 1) if found.number is not None else 1
        source_id = found.source_id
    else:
        source_id = create_source(session, item.name, str(item.path), now)
    if item.parts is None:  # the bytes matched when read, but the DB moved on meanwhile
        item = load_file(item.path, item.name)
    assert item.parts is not None
    writer = SourceWriter(session, source_id, now)
    for part in item.parts:
        writer.add(part)
    if not writer.content:  # a streamed list is checked only now: the transaction rolls back
        raise InputError(_NO_CONTENT.format(path=item.path))
    removed = writer.finish()
    summary = {"added": writer.added, "removed": removed, "changed": writer.changed}
    add_version(
        session,
        source_id,
        version_no,
        text=item.text,
        encoding=item.encoding,
        sha256=item.sha256,
        path=str(item.path),
        now=now,
        summary=summary,
    )
    return ImportResult(
        item.name,
        str(item.path),
        version_no,
        False,
        writer.added,
        removed,
        writer.changed,
        writer.entries,
        writer.links,
        writer.written + 2,
    )
