"""Events for the host app: what happened to a user's money, told to STARPORT_EVENTS_URL.

An event is an outbox item (`PublishEvent`) written in the same transaction as the change it
reports, so it is sent if and only if the change committed. The item's id is the event's
`webhook-id`, the same on every attempt: a receiver that answers late, or twice, sees one id and
can drop the repeat. One user's events go out in the order they happened: the user has a lane
(the outbox serves a chat's items in order), and an event queued while an earlier one of the
same user is still pending waits for it in the dispatch job instead of overtaking it. A failed
delivery is retried on `RETRY_SCHEDULE`, for more than three days, then given up on (failed,
listed by the admin API, which can send it again)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from starport.application.deps import Deps
from starport.application.effects import OutboxItem, PublishEvent
from starport.application.unit_of_work import UnitOfWork
from starport.domain.money import Price


class EventType(StrEnum):
    PAYMENT_SUCCEEDED = "payment.succeeded"
    PAYMENT_FAILED = "payment.failed"
    PAYMENT_REFUNDED = "payment.refunded"
    CREDITS_SPENT = "credits.spent"
    CREDITS_ADJUSTED = "credits.adjusted"
    PATRON_STARTED = "patron.started"
    PATRON_ENDED = "patron.ended"


# The wait before each retry (attempt 2, 3, ...): 89.5 hours in all, then the event has failed.
RETRY_SCHEDULE: tuple[timedelta, ...] = tuple(timedelta(seconds=s) for s in (
    5, 300, 1800, 7200, 5 * 3600, 10 * 3600, 10 * 3600, 14 * 3600, 24 * 3600, 24 * 3600))
ATTEMPTS = len(RETRY_SCHEDULE) + 1

# Lanes live below every Telegram chat id (those stay within +-2**52): a user's events never
# share a lane with a chat's messages. A hash collision of two users only orders them together.
_LANE_BASE = -(2**62)


def lane(user_id: str) -> int:
    """The outbox chat that orders one user's events."""
    digest = hashlib.sha256(user_id.encode()).digest()
    return _LANE_BASE - int.from_bytes(digest[:7], "big")


def retry_after(attempts: int) -> timedelta | None:
    """The wait before the next attempt after `attempts` failed ones; None: give up."""
    return RETRY_SCHEDULE[attempts - 1] if attempts <= len(RETRY_SCHEDULE) else None


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def money(price: Price) -> dict[str, object]:
    """A price as events carry it: the amount as an exact decimal string, and its currency."""
    amount = price.amount if isinstance(price.amount, int) else f"{price.amount.normalize():f}"
    return {"amount": str(amount), "currency": price.currency}


async def publish(deps: Deps, uow: UnitOfWork, event_type: EventType, user_id: str,
                  now: datetime, **data: object) -> None:
    """Queue an event in the caller's transaction (nothing when no events URL is set)."""
    if not deps.settings.events_enabled:
        return
    chat = lane(user_id)
    item = OutboxItem.now(deps.ids.new_id(), chat, PublishEvent(
        event_type.value, iso(now), {"userId": user_id, **data}), now)
    # Behind an earlier event of the user still to go out: the dispatch job sends it, in order.
    await uow.queue(item, send=not await uow.outbox.pending_in(chat))
