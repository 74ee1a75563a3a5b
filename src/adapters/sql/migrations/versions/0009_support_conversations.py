"""Support that reaches a human: conversations with the support chat and their messages; the
indexes that find a user's recent payment sessions.

Revision ID: 0009_support_conversations
Revises: 0008_telegram_links
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_support_conversations"
down_revision = "0008_telegram_links"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "support_conversations",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("first_name", sa.String(255), nullable=False),
        sa.Column("username", sa.String(64), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_message_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("language", sa.String(35), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_conversations")),
    )
    op.create_index(op.f("ix_support_conversations_telegram_user_id_opened_at"),
                    "support_conversations", ["telegram_user_id", "opened_at"])
    op.create_index(op.f("ix_support_conversations_opened_at_id"), "support_conversations",
                    ["opened_at", "id"])
    op.create_table(
        "support_messages",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("conversation_id", sa.String(64), nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("sender_telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("sender_name", sa.String(255), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("support_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("support_message_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["support_conversations.id"],
            name=op.f("fk_support_messages_conversation_id_support_conversations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_messages")),
        sa.UniqueConstraint("support_chat_id", "support_message_id",
                            name=op.f("uq_support_messages_support_chat_id_support_message_id")),
    )
    op.create_index(op.f("ix_support_messages_conversation_id_sent_at"), "support_messages",
                    ["conversation_id", "sent_at"])
    op.create_index(op.f("ix_payment_sessions_telegram_user_id_created_at"), "payment_sessions",
                    ["telegram_user_id", "created_at"])
    op.create_index(op.f("ix_payment_sessions_user_id_created_at"), "payment_sessions",
                    ["user_id", "created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_payment_sessions_user_id_created_at"), table_name="payment_sessions")
    op.drop_index(op.f("ix_payment_sessions_telegram_user_id_created_at"),
                  table_name="payment_sessions")
    op.drop_index(op.f("ix_support_messages_conversation_id_sent_at"),
                  table_name="support_messages")
    op.drop_table("support_messages")
    op.drop_index(op.f("ix_support_conversations_opened_at_id"),
                  table_name="support_conversations")
    op.drop_index(op.f("ix_support_conversations_telegram_user_id_opened_at"),
                  table_name="support_conversations")
    op.drop_table("support_conversations")
