"""Schema creation and upgrades.

Input: an engine and its DB path. Output: a DB whose schema matches `models.py`.
A fresh DB gets every table. (Alembic migrations, backups before upgrade and the
refusal of newer schemas are added by the hardening work; see CHANGELOG.)
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import SQLModel

from curator import models  # noqa: F401  (registers the tables)


def ensure_schema(engine: Engine, path: Path) -> None:
    SQLModel.metadata.create_all(engine)
