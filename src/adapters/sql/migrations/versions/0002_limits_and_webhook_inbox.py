"""Payment limits (attempt history, per-user guard rows) and the raw webhook inbox.

Revision ID: 0002_limits_and_webhook_inbox
Revises: 0001_initial
Create Date: 2026-02-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_limits_and_webhook_inbox"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

_INBOX_INDEXES = ("update_id", "charge_id", "invoice_id", "session_id", "received_at")


def upgrade() -> None:
    op.create_table(
        "payment_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_attempts")),
    )
    op.create_index(op.f("ix_payment_attempts_user_key_kind_at"), "payment_attempts",
                    ["user_key", "kind", "at"], unique=False)
    op.create_index(op.f("ix_payment_attempts_at"), "payment_attempts", ["at"], unique=False)
    op.create_table(
        "limit_guards",
        sa.Column("user_key", sa.String(length=200), nullable=False),
        sa.Column("touched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_key", name=op.f("pk_limit_guards")),
    )
    op.create_table(
        "webhook_inbox",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("update_id", sa.String(length=64), nullable=True),
        sa.Column("charge_id", sa.String(length=200), nullable=True),
        sa.Column("invoice_id", sa.String(length=200), nullable=True),
        sa.Column("session_id", sa.String(length=64), nullable=True),
        sa.Column("outcome", sa.String(length=120), nullable=True),
        sa.Column("outcome_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_inbox")),
    )
    for column in _INBOX_INDEXES:
        op.create_index(op.f(f"ix_webhook_inbox_{column}"), "webhook_inbox", [column],
                        unique=False)


def downgrade() -> None:
    for column in reversed(_INBOX_INDEXES):
        op.drop_index(op.f(f"ix_webhook_inbox_{column}"), table_name="webhook_inbox")
    op.drop_table("webhook_inbox")
    op.drop_table("limit_guards")
    op.drop_index(op.f("ix_payment_attempts_at"), table_name="payment_attempts")
    op.drop_index(op.f("ix_payment_attempts_user_key_kind_at"), table_name="payment_attempts")
    op.drop_table("payment_attempts")
