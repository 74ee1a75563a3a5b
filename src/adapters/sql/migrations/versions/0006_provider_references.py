"""A charge keeps the payment provider's own reference (Telegram Payments'
provider_payment_charge_id, for the operator's dashboard), and a patron the provider of the
subscription that pays for it (its charges are cancelled there).

Revision ID: 0006_provider_references
Revises: 0005_bot_api_pace
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_provider_references"
down_revision = "0005_bot_api_pace"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("charges") as batch:
        batch.add_column(sa.Column("provider_charge_id", sa.String(200), nullable=True))
    with op.batch_alter_table("patrons") as batch:
        batch.add_column(sa.Column("subscription_provider", sa.String(32), nullable=True))
    # Until now only Telegram Stars had subscriptions.
    op.execute("UPDATE patrons SET subscription_provider = 'telegram_stars' "
               "WHERE subscription_charge_id IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("patrons") as batch:
        batch.drop_column("subscription_provider")
    with op.batch_alter_table("charges") as batch:
        batch.drop_column("provider_charge_id")
