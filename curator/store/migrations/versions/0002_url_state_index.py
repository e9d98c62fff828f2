"""Index url_state.state: `status --broken`, reports and exports filter on it.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_url_state_state", "url_state", ["state"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_url_state_state", table_name="url_state")
