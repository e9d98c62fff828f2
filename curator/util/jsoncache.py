"""json.loads with memory, for bulk reads of JSON columns whose texts repeat.

Input: JSON texts (or None) as stored in a column. Output: the decoded value, a category
path as a tuple, or table columns as a tuple of pairs, each made once per distinct text.
Config: none. Category paths repeat across thousands of entries, so tagging and export
decode each distinct one once.
"""

from __future__ import annotations

import json
from typing import Any


class JsonCache:
    """json.loads with memory: category paths repeat across thousands of entries."""

    def __init__(self) -> None:
        self.seen: dict[str | None, Any] = {None: None}
        self.paths: dict[str | None, tuple[str, ...]] = {None: ()}
        self.pairs: dict[str | None, tuple[tuple[str, str], ...]] = {None: ()}

    def __call__(self, text: str | None) -> Any:
        try:
            return self.seen[text]
        except KeyError:
            value = self.seen[text] = json.loads(text) if text else None
            return value

    def path(self, text: str | None) -> tuple[str, ...]:
        """A JSON list (a category path) as a tuple, made once per distinct text."""
        try:
            return self.paths[text]
        except KeyError:
            value = self.paths[text] = tuple(self(text) or ())
            return value

    def items(self, text: str | None) -> tuple[tuple[str, str], ...]:
        """A JSON object (table columns) as a tuple of pairs, made once per distinct text."""
        try:
            return self.pairs[text]
        except KeyError:
            value = self.pairs[text] = tuple((self(text) or {}).items())
            return value
