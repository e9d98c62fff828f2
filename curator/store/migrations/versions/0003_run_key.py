"""run.run_key and run.shard: the shards of one sharded check are one run.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("run") as batch:
        batch.add_column(sa.Column("run_key", sa.String(), nullable=True))
        batch.add_column(sa.Column("shard", sa.String(), nullable=True))
        batch.create_index("ix_run_run_key", ["run_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("run") as batch:
        batch.drop_index("ix_run_run_key")
        batch.drop_column("shard")
        batch.drop_column("run_key")
