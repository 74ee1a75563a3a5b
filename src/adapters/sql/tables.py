"""The schema as SQLAlchemy Core tables; the domain's dataclasses know nothing of it."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from starport.adapters.sql.types import UtcDateTime

# Stable constraint names, so migrations (and SQLite's batch mode) can find them again.
metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

sessions = Table(
    "payment_sessions", metadata,
    Column("id", String(64), primary_key=True),
    Column("user_id", String(200), nullable=False),
    Column("package_id", String(64), nullable=False),
    Column("provider", String(32), nullable=False),
    Column("price_kind", String(8), nullable=False),  # stars | crypto | fiat
    Column("price_amount", String(80), nullable=False),  # exact decimal text, never a float
    Column("price_currency", String(16), nullable=False),
    Column("credits", BigInteger, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("status", String(16), nullable=False),
    Column("telegram_user_id", BigInteger),
    Column("invoice_id", String(200)),
    Column("invoice_url", Text),
    Column("mini_app_url", Text),
    Column("web_app_url", Text),
    Column("charge_id", String(200)),
    Column("paid_at", UtcDateTime),
    Column("refunded_at", UtcDateTime),
    Column("failure_reason", Text),
    Column("subscription_period", Integer),  # seconds; None: a one-off purchase
    Column("language", String(35)),  # the buyer's Telegram language_code (0011)
    Column("version", Integer, nullable=False),
    UniqueConstraint("provider", "charge_id"),  # one session per provider charge, ever
    Index(None, "provider", "invoice_id"),
    Index(None, "status", "expires_at"),
    Index(None, "telegram_user_id", "created_at"),  # a user's recent payments (support)
    Index(None, "user_id", "created_at"),
    # The back office's searches and figures (0012):
    Index(None, "created_at"),
    Index(None, "paid_at"),
    Index(None, "refunded_at"),
)

charges = Table(
    "charges", metadata,  # what providers reported they took; one row per provider charge
    Column("provider", String(32), primary_key=True),
    Column("charge_id", String(200), primary_key=True),
    Column("session_id", String(64)),  # None: for no session we know
    Column("price_kind", String(8), nullable=False),  # what was paid, as the provider says
    Column("price_amount", String(80), nullable=False),
    Column("price_currency", String(16), nullable=False),
    Column("reported_at", UtcDateTime, nullable=False),
    Column("payer_telegram_id", BigInteger),
    Column("subscription_until", UtcDateTime),
    Column("status", String(32), nullable=False),
    Column("reason", Text),
    Column("provider_charge_id", String(200)),  # the payment provider's own reference
    Index(None, "session_id"),
    Index(None, "charge_id"),  # a charge id at any provider (0012)
    Index(None, "reported_at"),  # (0012)
)

accounts = Table(
    "ledger_accounts", metadata,
    Column("id", String(250), primary_key=True),
    Column("balance", BigInteger, nullable=False),
    Column("version", BigInteger, nullable=False),
)

# A busy system account's balance in parts (0013): on PostgreSQL each connection adds its
# transactions' postings to a part of its own, so purchases of different users never wait for
# one another's commit on one hot row. The balance is the account row's plus its parts'.
account_slots = Table(
    "ledger_account_slots", metadata,
    Column("account_id", String(250), ForeignKey("ledger_accounts.id"), primary_key=True),
    Column("slot", SmallInteger, primary_key=True, autoincrement=False),
    Column("balance", BigInteger, nullable=False),
    Column("version", BigInteger, nullable=False),
    implicit_returning=False,  # the slot is computed by the database, and nobody asks which
)

entries = Table(
    "journal_entries", metadata,
    Column("id", String(64), primary_key=True),
    Column("idempotency_key", String(200), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("memo", Text, nullable=False),
    Column("reference", String(200)),
    Column("allow_overdraft", Boolean, nullable=False),
    Index(None, "reference"),  # a session's entries, for the back office (0012)
)

postings = Table(
    "postings", metadata,
    Column("entry_id", String(64), ForeignKey("journal_entries.id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("account_id", String(250), ForeignKey("ledger_accounts.id"), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Index(None, "account_id"),
)

admin_actions = Table(
    "admin_actions", metadata,  # the audit trail: who did what, when, why (0012)
    Column("id", String(64), primary_key=True),
    Column("at", UtcDateTime, nullable=False),
    Column("admin", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", String(200), nullable=False),
    Column("reason", Text, nullable=False),
    Column("detail", Text, nullable=False),
    Index(None, "at"),
    Index(None, "target", "at"),
)

refunds = Table(
    "refunds", metadata,
    Column("id", String(64), primary_key=True),
    Column("session_id", String(64), ForeignKey("payment_sessions.id"), nullable=False,
           unique=True),  # one refund per session
    Column("user_id", String(200), nullable=False),
    Column("provider", String(32), nullable=False),
    Column("charge_id", String(200), nullable=False),
    Column("credits", BigInteger, nullable=False),
    Column("initiated_by", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("reason", Text, nullable=False),
    Column("debt", BigInteger, nullable=False),
)

patrons = Table(
    "patrons", metadata,
    Column("telegram_user_id", BigInteger, primary_key=True, autoincrement=False),
    Column("user_id", String(200), nullable=False),
    Column("source", String(16), nullable=False),
    Column("since", UtcDateTime, nullable=False),
    Column("until", UtcDateTime),
    Column("active", Boolean, nullable=False),
    Column("subscription_charge_id", String(200)),
    Column("subscription_provider", String(32)),
)

memberships = Table(
    "memberships", metadata,
    Column("telegram_user_id", BigInteger, primary_key=True, autoincrement=False),
    Column("status", String(16), nullable=False),
    Column("checked_at", UtcDateTime),
)

invites = Table(
    "invites", metadata,
    Column("id", String(64), primary_key=True),
    Column("telegram_user_id", BigInteger, nullable=False, index=True),
    Column("link", String(255), nullable=False, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("member_limit", Integer, nullable=False),
    Column("status", String(16), nullable=False),
)

join_bonuses = Table(
    "join_bonuses", metadata,  # the primary key is the once-per-Telegram-user rule
    Column("telegram_user_id", BigInteger, primary_key=True, autoincrement=False),
    Column("user_id", String(200), nullable=False),
    Column("credits", BigInteger, nullable=False),
    Column("granted_at", UtcDateTime, nullable=False),
)

bot_messages = Table(
    "bot_messages", metadata,  # a text per key and language (STARPORT_DEFAULT_LANGUAGE's: 0011)
    Column("key", String(64), primary_key=True),
    Column("language", String(35), primary_key=True),
    Column("template", Text, nullable=False),
    Column("parse_mode", String(16)),
    Column("updated_by", String(200)),
    Column("updated_at", UtcDateTime),
)

bot_message_changes = Table(
    "bot_message_changes", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(64), nullable=False),
    Column("language", String(35), nullable=False),
    Column("previous", Text, nullable=False),
    Column("current", Text, nullable=False),
    Column("changed_by", String(200), nullable=False),
    Column("changed_at", UtcDateTime, nullable=False),
    Index(None, "key", "changed_at"),
)

outbox = Table(
    "outbox", metadata,
    Column("id", String(64), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("chat_id", BigInteger, nullable=False),
    Column("payload", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("available_at", UtcDateTime, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("lease_until", UtcDateTime),
    Column("last_error", Text),
    Column("sent_at", UtcDateTime),
    Column("dedupe_key", String(200), unique=True),
    Index(None, "status", "available_at"),
    Index(None, "chat_id", "status"),  # a chat's (a user's events') pending items (0012)
)

cursors = Table(
    "cursors", metadata,
    Column("name", String(200), primary_key=True),
    Column("value", Text, nullable=False),
)

idempotency_keys = Table(
    "idempotency_keys", metadata,  # create-session requests made with an Idempotency-Key
    Column("scope", String(80), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("session_id", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

telegram_links = Table(
    "telegram_links", metadata,  # a Telegram account linked to a host user, one user at a time
    Column("telegram_user_id", BigInteger, primary_key=True, autoincrement=False),
    Column("user_id", String(200), nullable=False),
    Column("linked_at", UtcDateTime, nullable=False),
    Column("via", String(16), nullable=False),
    Index(None, "user_id"),
)

link_tokens = Table(
    "link_tokens", metadata,  # one-time deep links (start=link_<token>) a host app asked for
    Column("token", String(64), primary_key=True),
    Column("user_id", String(200), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("used_by", BigInteger),
    Column("used_at", UtcDateTime),
)

support_conversations = Table(
    "support_conversations", metadata,  # opened by /support or /paysupport
    Column("id", String(64), primary_key=True),
    Column("telegram_user_id", BigInteger, nullable=False),
    Column("first_name", String(255), nullable=False),
    Column("username", String(64)),
    Column("opened_at", UtcDateTime, nullable=False),
    Column("last_message_at", UtcDateTime, nullable=False),
    Column("closed_at", UtcDateTime),
    Column("language", String(35)),  # the user's language_code, for the agents' answers
    Index(None, "telegram_user_id", "opened_at"),
    Index(None, "opened_at", "id"),
)

support_messages = Table(
    "support_messages", metadata,  # what a user wrote to support, and what agents answered
    Column("id", String(64), primary_key=True),
    Column("conversation_id", String(64), ForeignKey("support_conversations.id"),
           nullable=False),
    Column("direction", String(8), nullable=False),  # in | out
    Column("sender_telegram_id", BigInteger, nullable=False),
    Column("sender_name", String(255), nullable=False),
    Column("text", Text, nullable=False),
    Column("sent_at", UtcDateTime, nullable=False),
    Column("support_chat_id", BigInteger),  # where it was relayed (in)
    Column("support_message_id", BigInteger),
    Index(None, "conversation_id", "sent_at"),
    UniqueConstraint("support_chat_id", "support_message_id"),  # an agent's reply finds it
)

bot_api_pace = Table(
    "bot_api_pace", metadata,  # one bot's Bot API schedule, shared by every process sending
    Column("name", String(64), primary_key=True),
    Column("next_at", Double, nullable=False),  # seconds since the epoch, the database's clock
)

payment_attempts = Table(
    "payment_attempts", metadata,  # per-user history behind the payment limits
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_key", String(200), nullable=False),
    Column("kind", String(16), nullable=False),  # session | failure
    Column("at", UtcDateTime, nullable=False),
    Index(None, "user_key", "kind", "at"),
    Index(None, "at"),
)

limit_guards = Table(
    "limit_guards", metadata,  # one row per user, locked while their limits are checked
    Column("user_key", String(200), primary_key=True),
    Column("touched_at", UtcDateTime, nullable=False),
)

deliveries = Table(
    "deliveries", metadata,  # webhook deliveries as received: duplicate check and dispute record
    Column("id", String(64), primary_key=True),
    Column("source", String(32), nullable=False),
    Column("update_id", String(64), nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("headers", JSON, nullable=False),
    Column("verified", Boolean, nullable=False),
    Column("charge_id", String(200)),
    Column("invoice_id", String(200)),
    Column("session_id", String(64)),
    Column("outcome", String(120)),
    UniqueConstraint("source", "update_id"),  # the same delivery again is refused here
    Index(None, "charge_id"),
    Index(None, "invoice_id"),
    Index(None, "session_id"),
    Index(None, "received_at"),
)
