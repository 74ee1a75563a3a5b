"""The back office: the admins' audit trail, and indexes for the searches and figures of the
admin read API (sessions by date paid, refunded, created; a session's ledger entries; charges
by id at any provider and by date). Sessions by user and Telegram id: 0009's indexes.

Revision ID: 0012_back_office
Revises: 0011_bot_message_languages
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_back_office"
down_revision = "0011_bot_message_languages"
branch_labels = None
depends_on = None

_INDEXES = [
    ("payment_sessions", ["created_at"]),
    ("payment_sessions", ["paid_at"]),
    ("payment_sessions", ["refunded_at"]),
    ("journal_entries", ["reference"]),
    ("charges", ["charge_id"]),
    ("charges", ["reported_at"]),
    ("outbox", ["chat_id", "status"]),  # an event waits for its user's earlier ones
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
