"""A payment session keeps the provider's page for a browser (Crypto Pay's web_app_invoice_url).

Revision ID: 0004_session_web_app_url
Revises: 0003_charges_and_deliveries
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_session_web_app_url"
down_revision = "0003_charges_and_deliveries"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("payment_sessions") as batch:
        batch.add_column(sa.Column("web_app_url", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("payment_sessions") as batch:
        batch.drop_column("web_app_url")
