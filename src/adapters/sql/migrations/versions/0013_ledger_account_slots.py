"""A busy system account's balance in parts: `ledger_account_slots`, one row per account and
slot, added to the account row's balance when read (see repositories/ledger.py). Nothing moves:
an account's parts start empty.

Revision ID: 0013_ledger_account_slots
Revises: 0012_back_office
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_ledger_account_slots"
down_revision = "0012_back_office"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_account_slots",
        sa.Column("account_id", sa.String(length=250), nullable=False),
        sa.Column("slot", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["ledger_accounts.id"],
                                name=op.f("fk_ledger_account_slots_account_id_ledger_accounts")),
        sa.PrimaryKeyConstraint("account_id", "slot", name=op.f("pk_ledger_account_slots")),
    )


def downgrade() -> None:
    """The parts folded back into their accounts' rows first: no credit is lost going down."""
    op.execute(
        "UPDATE ledger_accounts SET "
        "balance = balance + (SELECT COALESCE(SUM(s.balance), 0) FROM ledger_account_slots s "
        "WHERE s.account_id = ledger_accounts.id), "
        "version = version + (SELECT COALESCE(SUM(s.version), 0) FROM ledger_account_slots s "
        "WHERE s.account_id = ledger_accounts.id) "
        "WHERE id IN (SELECT account_id FROM ledger_account_slots)")
    op.drop_table("ledger_account_slots")
