"""Parse stage: Markdown list text → `ParsedDocument` (pure; no DB, no network).

Input: bytes or text of one list. Output: `ParsedDocument` (see `model.py`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from curator.parse.model import (
    CategoryKind,
    EntryKind,
    LinkRole,
    ParsedCategory,
    ParsedDocument,
    ParsedEntry,
    ParsedLink,
)

if TYPE_CHECKING:
    from curator.parse.blocks import parse_markdown, split_lines
    from curator.parse.decode import Decoded, decode_bytes

# The parser and decoder are imported on first use: importing the data model (the DB
# models do, and so every command) should not load markdown-it-py and charset-normalizer.
_LAZY = {
    "parse_markdown": "curator.parse.blocks",
    "split_lines": "curator.parse.blocks",
    "Decoded": "curator.parse.decode",
    "decode_bytes": "curator.parse.decode",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "CategoryKind",
    "Decoded",
    "EntryKind",
    "LinkRole",
    "ParsedCategory",
    "ParsedDocument",
    "ParsedEntry",
    "ParsedLink",
    "decode_bytes",
    "parse_markdown",
    "split_lines",
]
