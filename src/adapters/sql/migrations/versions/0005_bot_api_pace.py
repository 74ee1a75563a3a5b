"""Bot API pacing shared by every process and instance of a bot: the next free moment of its
schedule.

Revision ID: 0005_bot_api_pace
Revises: 0004_session_web_app_url
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_bot_api_pace"
down_revision = "0004_session_web_app_url"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bot_api_pace",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("next_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_bot_api_pace")),
    )


def downgrade() -> None:
    op.drop_table("bot_api_pace")
