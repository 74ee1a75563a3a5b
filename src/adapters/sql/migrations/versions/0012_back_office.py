"""The back office: the admins' audit trail, and indexes for the searches and figures of the
admin read API (sessions by user, Telegram id, date; a session's ledger entries; charges by
date).

Revision ID: 0012_back_office
Revises: 0008_telegram_links
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_back_office"
down_revision = "0008_telegram_links"
branch_labels = None
depends_on = None

_INDEXES = [
    ("payment_sessions", ["user_id", "created_at"]),
    ("payment_sessions", ["telegram_user_id"]),
    ("payment_sessions", ["created_at"]),
    ("payment_sessions", ["paid_at"]),
    ("payment_sessions", ["refunded_at"]),
    ("journal_entries", ["reference"]),
    ("charges", ["charge_id"]),
    ("charges", ["reported_at"]),
]


def upgrade() -> None:
    op.create_table(
        "admin_actions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("admin", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
    )
    op.create_index(op.f("ix_admin_actions_at"), "admin_actions", ["at"])
    op.create_index(op.f("ix_admin_actions_target_at"), "admin_actions", ["target", "at"])
    for table, columns in _INDEXES:
        op.create_index(op.f(f"ix_{table}_{'_'.join(columns)}"), table, columns)


def downgrade() -> None:
    for table, columns in reversed(_INDEXES):
        op.drop_index(op.f(f"ix_{table}_{'_'.join(columns)}"), table_name=table)
    op.drop_table("admin_actions")
