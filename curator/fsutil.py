"""Atomic file writes: temp file in the same directory, fsync, rename.

Input: a path and bytes/text. Output: the file, replaced in one step, so a reader (or an
interrupted export) sees either the old file whole or the new file whole.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def atomic_write_bytes(path: Path, data: bytes) -> bool:
    """Write `data` to `path` atomically. Returns False (and writes nothing) if unchanged."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return True


def atomic_write_text(path: Path, text: str, encoding: str = "utf-8") -> bool:
    return atomic_write_bytes(path, text.encode(encoding))
