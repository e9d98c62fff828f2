"""GitHub repository facts per URL (`repo_fact`), and why a page is gone (`reason`).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "repo_fact",
        sa.Column("url_id", sa.Integer(), sa.ForeignKey("url.id"), primary_key=True),
        sa.Column("name_with_owner", sa.String(), nullable=False),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("fork", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("stars", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("pushed_at", sa.DateTime(), nullable=True),
        sa.Column("description", sa.String(), nullable=True),
        sa.Column("license", sa.String(), nullable=True),
        sa.Column("language", sa.String(), nullable=True),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
    )
    with op.batch_alter_table("url_state") as batch:
        batch.add_column(sa.Column("reason", sa.String(), nullable=True))
    with op.batch_alter_table("check_result") as batch:
        batch.add_column(sa.Column("reason", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("check_result") as batch:
        batch.drop_column("reason")
    with op.batch_alter_table("url_state") as batch:
        batch.drop_column("reason")
    op.drop_table("repo_fact")
