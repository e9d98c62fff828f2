"""Atomic file writes: temp file in the same directory, fsync, rename.

Input: a path and bytes/text, or text written piece by piece (`atomic_writer`, for output
too big to build as one string first). Output: the file, replaced in one step, so a reader
(or an interrupted export) sees either the old file whole or the new file whole; a file
whose content would not change is left alone.
"""

from __future__ import annotations

import contextlib
import filecmp
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO


def atomic_write_bytes(path: Path, data: bytes) -> bool:
    """Write `data` to `path` atomically. Returns False (and writes nothing) if unchanged."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    # The temp name is chosen before the file exists and the file is created inside the
    # try: a signal at any point (a KeyboardInterrupt can land between any two bytecodes)
    # then finds `tmp` set and removes whatever exists, so no temp file is left behind.
    tmp = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
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


@contextlib.contextmanager
def atomic_writer(path: Path, encoding: str = "utf-8") -> Iterator[TextIO]:
    """A text file to write `path`'s new content into; it replaces `path` when the block
    ends without an error, and is removed otherwise (or when `path` already had it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "w", encoding=encoding, newline="") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        if path.is_file() and filecmp.cmp(tmp, path, shallow=False):
            os.unlink(tmp)
        else:
            os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
