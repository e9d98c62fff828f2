"""sqlite3's `?` placeholders rewritten for psycopg, which takes `%s`.

Input: SQL text written for sqlite3. Output: the same SQL for psycopg. Config: none.
Its own module because both dbapi.py (bulk reads and writes through a session) and
dialect.py use it, and dialect.py builds on dbapi.py.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=512)
def qmark_to_format(sql: str) -> str:
    """sqlite3's `?` placeholders as psycopg's `%s` (and a literal `%` as `%%`), leaving
    quoted strings and identifiers alone."""
    out: list[str] = []
    quote: str | None = None
    for ch in sql:
        if quote is not None:
            if ch == quote:
                quote = None
            out.append("%%" if ch == "%" else ch)
        elif ch in ("'", '"'):
            quote = ch
            out.append(ch)
        elif ch == "?":
            out.append("%s")
        elif ch == "%":
            out.append("%%")
        else:
            out.append(ch)
    return "".join(out)
