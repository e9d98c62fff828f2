"""Parse stage: Markdown list text → `ParsedDocument` (pure; no DB, no network).

Input: bytes or text of one list. Output: `ParsedDocument` (see `model.py`).
"""

from curator.parse.blocks import parse_markdown, split_lines
from curator.parse.decode import Decoded, decode_bytes
from curator.parse.model import (
    CategoryKind,
    EntryKind,
    LinkRole,
    ParsedCategory,
    ParsedDocument,
    ParsedEntry,
    ParsedLink,
)

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
