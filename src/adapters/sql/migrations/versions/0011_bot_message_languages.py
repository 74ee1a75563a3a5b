"""Bot messages in several languages: a text per (key, language), the language of each
change in the history, and the buyer's language on a payment session (for the messages
sent later with no Telegram update to go by: an admin's refund). The texts stored so far are
the default language's: the one this Starport is configured with (STARPORT_DEFAULT_LANGUAGE,
as `starport db upgrade` reads its configuration; `en` when unset).

Revision ID: 0011_bot_message_languages
Revises: 0009_support_conversations
Create Date: 2026-12-02
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from alembic import context, op

from starport.domain.languages import language

revision = "0011_bot_message_languages"
down_revision = "0009_support_conversations"
branch_labels = None
depends_on = None


def _default_language() -> str:
    """As `starport db upgrade` passes it from the configuration (.env included); else the
    environment's (the plain `alembic` command); else `en`."""
    given = (context.config.attributes.get("default_language")
             or os.environ.get("STARPORT_DEFAULT_LANGUAGE"))
    return language(given or "en")


def _add_language(table: str) -> None:
    with op.batch_alter_table(table) as batch:
        batch.add_column(sa.Column("language", sa.String(35), nullable=True))
    op.execute(sa.table(table, sa.column("language")).update().values(
        language=_default_language()))
    with op.batch_alter_table(table) as batch:
        batch.alter_column("language", existing_type=sa.String(35), nullable=False)


def upgrade() -> None:
    _add_language("bot_messages")
    _add_language("bot_message_changes")
    with op.batch_alter_table("bot_messages") as batch:
        batch.drop_constraint("pk_bot_messages", type_="primary")
        batch.create_primary_key("pk_bot_messages", ["key", "language"])
    with op.batch_alter_table("payment_sessions") as batch:
        batch.add_column(sa.Column("language", sa.String(35), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("payment_sessions") as batch:
        batch.drop_column("language")
    # One text per key again: the default language's stays, the translations go (their
    # changes stay in the history, as audit).
    messages = sa.table("bot_messages", sa.column("language"))
    op.execute(messages.delete().where(messages.c.language != _default_language()))
    with op.batch_alter_table("bot_messages") as batch:
        batch.drop_constraint("pk_bot_messages", type_="primary")
        batch.create_primary_key("pk_bot_messages", ["key"])
        batch.drop_column("language")
    with op.batch_alter_table("bot_message_changes") as batch:
        batch.drop_column("language")
