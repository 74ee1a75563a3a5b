"""Charges, and one store of deliveries (the webhook inbox and the handled-ids inbox merged).

- `charges` is filled from what recorded charges before: every `payment:<provider>:<charge>`
  ledger entry (credited; refunded when its refund entry exists) and the inbox's markers
  (`payment-rejected`, `extra-charge`, `refunded-before-credit`). A marker whose session cannot
  be found (through the ledger or a stored delivery) is left out: it named no session anyway.
- `deliveries` keeps, of the raw webhook inbox, one row per (source, update id) that was
  handled (a stored outcome that is not an error, a duplicate, a malformed or a stale one):
  those are the ids a redelivery must find. The others were never handled, so a redelivery is
  handled as new, as it would have been.
- `inbox` and `webhook_inbox` go. Downgrading rebuilds both from the new tables.

Revision ID: 0003_charges_and_deliveries
Revises: 0002_limits_and_webhook_inbox
Create Date: 2026-12-02
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003_charges_and_deliveries"
down_revision = "0002_limits_and_webhook_inbox"
branch_labels = None
depends_on = None

UNHANDLED = ("error", "duplicate", "malformed", "stale")
MARKERS = {"payment-rejected": "rejected", "extra-charge": "returned",
           "refunded-before-credit": "refunded_before_credit"}
_DELIVERY_INDEXES = ("charge_id", "invoice_id", "session_id", "received_at")
_INBOX_INDEXES = ("update_id", "charge_id", "invoice_id", "session_id", "received_at")


def _charges_table() -> None:
    op.create_table(
        "charges",
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("charge_id", sa.String(length=200), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=True),
        sa.Column("price_kind", sa.String(length=8), nullable=False),
        sa.Column("price_amount", sa.String(length=80), nullable=False),
        sa.Column("price_currency", sa.String(length=16), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payer_telegram_id", sa.BigInteger(), nullable=True),
        sa.Column("subscription_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("provider", "charge_id", name=op.f("pk_charges")),
    )
    op.create_index(op.f("ix_charges_session_id"), "charges", ["session_id"], unique=False)


def _deliveries_table() -> None:
    op.create_table(
        "deliveries",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("update_id", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("charge_id", sa.String(length=200), nullable=True),
        sa.Column("invoice_id", sa.String(length=200), nullable=True),
        sa.Column("session_id", sa.String(length=64), nullable=True),
        sa.Column("outcome", sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint("source", "update_id", name=op.f("uq_deliveries_source_update_id")),
    )
    for column in _DELIVERY_INDEXES:
        op.create_index(op.f(f"ix_deliveries_{column}"), "deliveries", [column], unique=False)


def upgrade() -> None:
    _charges_table()
    _deliveries_table()
    bind = op.get_bind()
    _copy_handled_deliveries(bind)
    _backfill_charges(bind)
    for column in reversed(_INBOX_INDEXES):
        op.drop_index(op.f(f"ix_webhook_inbox_{column}"), table_name="webhook_inbox")
    op.drop_table("webhook_inbox")
    op.drop_table("inbox")


def _copy_handled_deliveries(bind: Any) -> None:
    skip = ", ".join(f"'{o}'" for o in UNHANDLED)
    bind.execute(sa.text(f"""
        INSERT INTO deliveries (id, source, update_id, received_at, body, headers, verified,
                                charge_id, invoice_id, session_id, outcome)
        SELECT w.id, w.source, w.update_id, w.received_at, w.body, w.headers, w.verified,
               w.charge_id, w.invoice_id, w.session_id, w.outcome
        FROM webhook_inbox w
        WHERE w.id = (
            SELECT f.id FROM webhook_inbox f
            WHERE f.source = w.source AND f.update_id = w.update_id
              AND f.outcome IS NOT NULL AND f.outcome NOT IN ({skip})
            ORDER BY f.received_at, f.id LIMIT 1)
    """))  # noqa: S608 - constants only


def _backfill_charges(bind: Any) -> None:
    sessions = {r.id: r for r in bind.execute(sa.text(
        "SELECT id, price_kind, price_amount, price_currency, telegram_user_id, charge_id "
        "FROM payment_sessions"))}
    keys = {r.idempotency_key for r in bind.execute(sa.text(
        "SELECT idempotency_key FROM journal_entries WHERE idempotency_key LIKE 'refund:%'"))}
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in bind.execute(sa.text(
            "SELECT idempotency_key, reference, created_at FROM journal_entries "
            "WHERE idempotency_key LIKE 'payment:%'")):
        _, provider, charge_id = entry.idempotency_key.split(":", 2)
        session = sessions.get(entry.reference)
        if session is None:
            continue
        first = session.charge_id == charge_id
        refunded = (f"refund:{session.id}" in keys if first
                    else f"refund:{provider}:{charge_id}" in keys)
        rows[(provider, charge_id)] = _charge(provider, charge_id, session, entry.created_at,
                                              "refunded" if refunded else "credited")
    found_by_charge = {(r.charge_id or r.invoice_id): r.session_id for r in bind.execute(
        sa.text("SELECT charge_id, invoice_id, session_id FROM webhook_inbox "
                "WHERE session_id IS NOT NULL"))}
    for marker in bind.execute(sa.text("SELECT source, key, recorded_at FROM inbox")):
        status = MARKERS.get(marker.source)
        if status is None:
            continue
        key = marker.key.removeprefix("payment:")
        provider, _, charge_id = key.partition(":")
        session = sessions.get(found_by_charge.get(charge_id) or "")
        if session is not None and (provider, charge_id) not in rows:
            rows[(provider, charge_id)] = _charge(provider, charge_id, session,
                                                  marker.recorded_at, status)
    if rows:
        bind.execute(sa.text(
            "INSERT INTO charges (provider, charge_id, session_id, price_kind, price_amount, "
            "price_currency, reported_at, payer_telegram_id, status) VALUES (:provider, "
            ":charge_id, :session_id, :price_kind, :price_amount, :price_currency, "
            ":reported_at, :payer_telegram_id, :status)"), list(rows.values()))


def _charge(provider: str, charge_id: str, session: Any, at: Any, status: str
            ) -> dict[str, Any]:
    return {"provider": provider, "charge_id": charge_id, "session_id": session.id,
            "price_kind": session.price_kind, "price_amount": session.price_amount,
            "price_currency": session.price_currency, "reported_at": at,
            "payer_telegram_id": session.telegram_user_id, "status": status}


def downgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source", "key", name=op.f("pk_inbox")),
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
    bind = op.get_bind()
    bind.execute(sa.text(
        "INSERT INTO webhook_inbox (id, source, received_at, body, headers, verified, "
        "update_id, charge_id, invoice_id, session_id, outcome, outcome_at) "
        "SELECT id, source, received_at, body, headers, verified, update_id, charge_id, "
        "invoice_id, session_id, outcome, received_at FROM deliveries"))
    bind.execute(sa.text(
        "INSERT INTO inbox (source, key, recorded_at) "
        "SELECT 'telegram', update_id, received_at FROM deliveries WHERE source = 'telegram'"))
    for marker, status in MARKERS.items():
        prefix = "" if marker == "refunded-before-credit" else "payment:"
        bind.execute(sa.text(
            "INSERT INTO inbox (source, key, recorded_at) "  # noqa: S608 - constants only
            f"SELECT '{marker}', '{prefix}' || provider || ':' || charge_id, reported_at "
            "FROM charges WHERE status = :status"), {"status": status})
    for column in reversed(_DELIVERY_INDEXES):
        op.drop_index(op.f(f"ix_deliveries_{column}"), table_name="deliveries")
    op.drop_table("deliveries")
    op.drop_index(op.f("ix_charges_session_id"), table_name="charges")
    op.drop_table("charges")
