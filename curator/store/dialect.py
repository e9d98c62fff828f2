"""SQL that differs between SQLite and PostgreSQL, behind one function each.

Input: SQL expressions as text. Output: SQL text for SQLite, the only backend today.
Config: none. Query modules call these instead of writing SQLite-only syntax inline, so
that a PostgreSQL backend needs a twin of this module, not a hunt through every query.
"""

from __future__ import annotations


def group_concat(expr: str) -> str:
    """Comma-joined values of `expr` per group (PostgreSQL: `string_agg(expr, ',')`)."""
    return f"group_concat({expr})"


def all_true(expr: str) -> str:
    """1 when `expr` is true on every row of the group, else 0 (portable as written)."""
    return f"min(CASE WHEN {expr} THEN 1 ELSE 0 END)"
