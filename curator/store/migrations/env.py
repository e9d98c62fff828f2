"""Alembic environment for curator's schema, run in-process by `curator.store.migrate`.

Input: an Alembic `Config` built in code whose `attributes["connection"]` is an open
SQLAlchemy connection (already inside curator's write transaction). Output: the
migrations applied on that connection. Config: none; there is no alembic.ini. Without a
connection (e.g. the `alembic` CLI pointed here), a `sqlalchemy.url` option is used.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine
from sqlmodel import SQLModel

from curator.store import schema as models  # noqa: F401  (registers the tables on SQLModel.metadata)

config = context.config
target_metadata = SQLModel.metadata


def _run(connection: object) -> None:
    # SQLite cannot ALTER most things in place; batch mode makes autogenerate say so.
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite://")
    with engine.connect() as conn:
        _run(conn)
        conn.commit()


if context.is_offline_mode():
    raise RuntimeError("curator migrations run online only (SQLite or PostgreSQL, in-process)")
run()
