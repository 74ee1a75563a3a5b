"""Mappers: every dataclass field has a column, every column is written, values round-trip."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Table

from starport.adapters.sql import mappers as m
from starport.adapters.sql import tables as t
from starport.application.deliveries import Delivery
from starport.application.effects import OutboxItem, OutboxStatus, SendText
from starport.domain.bot_messages import BotMessage, BotMessageChange
from starport.domain.charges import Charge, ChargeStatus
from starport.domain.ledger import EntryKind, JournalEntry, Posting
from starport.domain.money import CryptoAmount, FiatAmount, Price, Stars
from starport.domain.perks import Invite, JoinBonus, Membership, MemberStatus, Patron, PatronSource
from starport.domain.providers import Provider
from starport.domain.refunds import Refund, RefundInitiator
from starport.domain.sessions import PaymentSession, SessionStatus

T0 = datetime(2026, 1, 1, tzinfo=UTC)
SESSION = PaymentSession(
    "s", "u", "p", Provider.CRYPTOPAY, FiatAmount(Decimal("9.90"), "EUR"), 10, T0, T0,
    status=SessionStatus.PAID, telegram_user_id=1, invoice_id="i", invoice_url="url",
    charge_id="c", paid_at=T0, refunded_at=T0, failure_reason="r", subscription_period=60,
    version=2)
ENTRY = JournalEntry("e", "k", EntryKind.SPEND, (Posting("user:u", -5), Posting("usage", 5)), T0,
                     "memo", "ref", True)
PRICE_COLUMNS = {"price_kind", "price_amount", "price_currency"}
# Fields stored as several columns: a price as three, an outbox effect as its kind and payload.
STAND_INS = {"price": PRICE_COLUMNS, "paid": PRICE_COLUMNS, "effect": {"kind", "payload"}}

# (table, sample, to values, from row, columns that stand for a field under another name)
CASES: list[tuple[Table, Any, Any, Any]] = [
    (t.sessions, SESSION, m.session_values, m.session_from),
    (t.refunds, Refund("r", "s", "u", "telegram_stars", "c", 5, RefundInitiator.ADMIN, T0, "x", 2),
     m.refund_values, m.refund_from),
    (t.patrons, Patron(1, "u", PatronSource.ADMIN, T0, T0, False, "c"), m.patron_values,
     m.patron_from),
    (t.memberships, Membership(1, MemberStatus.KICKED, T0), m.membership_values,
     m.membership_from),
    (t.invites, Invite("i", 1, "l", T0, T0, 3), m.invite_values, m.invite_from),
    (t.join_bonuses, JoinBonus(1, "u", 5, T0), m.bonus_values, m.bonus_from),
    (t.bot_messages, BotMessage("k", "tpl", "HTML", "a", T0, language="pt-br"),
     m.bot_message_values, m.bot_message_from),
    (t.bot_message_changes, BotMessageChange("k", "a", "b", "c", T0, language="ru"),
     m.change_values, m.change_from),
    (t.outbox, OutboxItem("o", 1, SendText("hi", "HTML"), T0, T0, OutboxStatus.SENT, 2, T0,
                          "e", T0, "d"), m.outbox_values, m.outbox_from),
    (t.charges, Charge(Provider.CRYPTOPAY, "c", "s", CryptoAmount(Decimal("1.5"), "TON"), T0, 7,
                       T0, ChargeStatus.RETURNED, "already paid"), m.charge_values,
     m.charge_from),
    (t.deliveries, Delivery("d", "telegram", "5", T0, b"{}", {"host": "x"}, "c", "i", "s",
                            "credited", True), m.delivery_values, m.delivery_from),
]


# Fields a repository sets on what it hands out, never stored: a claim's note of the lease it
# took over (OutboxItem.previous_lease).
TRANSIENT = {"events", "previous_lease"}


def state(obj: Any) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in fields(obj) if f.name not in TRANSIENT}


@pytest.mark.parametrize(("table", "sample", "to_values", "from_row"), CASES,
                         ids=[c[0].name for c in CASES])
def test_every_field_has_a_column_and_comes_back(table: Table, sample: Any, to_values: Any,
                                                 from_row: Any) -> None:
    values = to_values(sample)
    named = set()
    for f in fields(sample):
        if f.name not in TRANSIENT:
            named |= STAND_INS.get(f.name, {f.name})
    assert set(values) == named  # no field is left out, none is invented
    assert set(values) == set(table.c.keys()) - {"id"} or set(values) == set(table.c.keys())
    assert state(from_row(values)) == state(sample)


def test_an_entry_and_its_postings_fill_their_tables() -> None:
    head, lines = m.entry_values(ENTRY), m.posting_values(ENTRY)
    assert set(head) == set(t.entries.c.keys())
    assert all(set(line) == set(t.postings.c.keys()) for line in lines)
    assert {f.name for f in fields(ENTRY)} == set(head) | {"postings"}
    assert m.entry_from(head, lines) == ENTRY


decimals = st.decimals(min_value=Decimal("0.000000001"), max_value=Decimal("1e12"),
                       allow_nan=False, allow_infinity=False, places=9)
prices = st.one_of(
    st.integers(1, 10**9).map(Stars),
    st.builds(CryptoAmount, decimals.filter(lambda d: d > 0), st.sampled_from(["TON", "USDT"])),
    st.builds(FiatAmount, decimals.filter(lambda d: d > 0), st.sampled_from(["USD", "EUR"])),
)
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                       timezones=st.just(UTC))


@given(price=prices, created=moments, ttl=st.integers(1, 10**6),
       telegram_id=st.none() | st.integers(-(2**62), 2**62))
def test_sessions_round_trip_for_any_price_and_time(price: Price, created: datetime, ttl: int,
                                                    telegram_id: int | None) -> None:
    s = PaymentSession("s", "u", "p", Provider.CRYPTOPAY, price, 1, created,
                       created + timedelta(seconds=ttl), telegram_user_id=telegram_id)
    back = m.session_from(m.session_values(s))
    assert state(back) == state(s)
    assert str(back.price) == str(s.price)  # same digits, not only the same value
