"""Sample aggregates with every optional field set, and a field-by-field comparison."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from starport.application.unit_of_work import UnitOfWork
from starport.domain import ledger
from starport.domain.ledger import JournalEntry
from starport.domain.money import CryptoAmount, FiatAmount, Price, Stars
from starport.domain.providers import Provider
from starport.domain.sessions import PaymentSession, SessionStatus

Database = Callable[[], UnitOfWork]
T0 = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def state(obj: Any) -> dict[str, Any]:
    """Every dataclass field but the event list: what storage must give back unchanged."""
    return {f.name: getattr(obj, f.name) for f in fields(obj) if f.name != "events"}


def session(session_id: str = "s1", *, price: Price | None = None,
            provider: Provider = Provider.TELEGRAM_STARS, expires_in: float = 30,
            status: SessionStatus = SessionStatus.PENDING, invoice_id: str | None = None,
            full: bool = False, user_id: str = "u1") -> PaymentSession:
    s = PaymentSession(
        id=session_id, user_id=user_id, package_id="p100", provider=provider,
        price=price or Stars(50), credits=100, created_at=T0, expires_at=at(expires_in),
        status=status, invoice_id=invoice_id,
    )
    if full:
        s.telegram_user_id, s.invoice_url = 7_000_000_001, "https://t.me/$abc"
        s.charge_id, s.paid_at, s.refunded_at = "ch-1", at(1), at(2)
        s.failure_reason, s.subscription_period, s.version = "none really", 2_592_000, 3
        s.language = "pt-br"
    return s


PRICES: list[Price] = [Stars(50), CryptoAmount(Decimal("1.50"), "TON"),
                       CryptoAmount(Decimal("0.000000001"), "USDT"),
                       FiatAmount(Decimal("4.99"), "USD")]


async def record(db: Database, entry: JournalEntry) -> None:
    """The entry posted and committed in a unit of work of its own."""
    async with db() as uow:
        accounts = await uow.ledger.accounts(entry.accounts)
        ledger.post(entry, accounts)
        await uow.ledger.add(entry, accounts)
        await uow.commit()
