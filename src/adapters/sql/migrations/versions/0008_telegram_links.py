"""One user across bot and app: Telegram accounts linked to host users, and the one-time link
tokens a host app hands out (start=link_<token>).

Revision ID: 0008_telegram_links
Revises: 0007_idempotency_keys
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_telegram_links"
down_revision = "0007_idempotency_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "telegram_links",
        sa.Column("telegram_user_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("user_id", sa.String(200), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("via", sa.String(16), nullable=False),
    )
    op.create_index(op.f("ix_telegram_links_user_id"), "telegram_links", ["user_id"])
    op.create_table(
        "link_tokens",
        sa.Column("token", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_by", sa.BigInteger(), nullable=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("link_tokens")
    op.drop_index(op.f("ix_telegram_links_user_id"), table_name="telegram_links")
    op.drop_table("telegram_links")
