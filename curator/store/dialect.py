"""SQL that differs between SQLite and PostgreSQL, behind one function each.

Input: SQL expressions as text. Output: SQL text for SQLite, the only backend today.
Config: none. Query modules call these instead of writing SQLite-only syntax inline, so
that a PostgreSQL backend needs a twin of this module, not a hunt through every query.
"""

from __future__ import annotations


def group_concat(expr: str, sep: str | None = None) -> str:
    """Values of `expr` per group joined by the SQL expression `sep` (default: a comma).
    PostgreSQL: `string_agg(expr::text, sep)`."""
    return f"group_concat({expr}, {sep})" if sep is not None else f"group_concat({expr})"


def char(code: int) -> str:
    """The one-character string with this code point (PostgreSQL: `chr(code)`)."""
    return f"char({int(code)})"


def all_true(expr: str) -> str:
    """1 when `expr` is true on every row of the group, else 0 (portable as written)."""
    return f"min(CASE WHEN {expr} THEN 1 ELSE 0 END)"
