"""Round-trip export of every imported list to `<out>/sources/<name>.md`.

Input: a `Db` (session or connection), the output dir. Output: `SourceExport` per
source. Bytes equal the imported file when nothing changed in the DB (same text, same
encoding).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from curator.errors import InputError, NotFoundError
from curator.export.roundtrip import render_source
from curator.store.sources import sources_by_name
from curator.util.fsutil import atomic_write_bytes

if TYPE_CHECKING:
    from curator.store.dbapi import Db


@dataclass(frozen=True, slots=True)
class SourceExport:
    source: str
    path: Path
    written: bool  # False when the file already had these bytes
    edited_entries: int


def source_filename(name: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name).strip(".")
    return f"{safe or 'source'}.md"


def export_sources(db: Db, out_dir: Path, only: str | None = None) -> list[SourceExport]:
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir} is not a directory")
    sources = sources_by_name(db, only or None)
    if only and not sources:
        raise NotFoundError(f"no source named {only!r}")
    results = []
    for source in sources:
        rendered = render_source(db, source)
        path = out_dir / "sources" / source_filename(source.name)
        written = atomic_write_bytes(path, rendered.text.encode(rendered.encoding))
        results.append(SourceExport(source.name, path, written, rendered.edited_entries))
    return results
