"""The admin read API: payments found by any id, a payment's whole story, users, patrons, the
outbox (with a retry), the figures per day, and the audit trail."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from starport.application import audit, back_office, host_events
from starport.application import commands as c
from starport.application.back_office import DayFigures, PaymentStory, UserOverview
from starport.application.effects import OutboxItem, OutboxStatus
from starport.domain.audit import AdminAction
from starport.domain.charges import Charge
from starport.domain.ledger import JournalEntry
from starport.domain.perks import Patron
from starport.domain.providers import Provider
from starport.domain.sessions import PaymentSession, SessionStatus
from starport.entrypoints.http import serialize
from starport.entrypoints.http.admin import admin
from starport.entrypoints.http.auth import runtime_of
from starport.entrypoints.http.deliveries import serialize_delivery
from starport.entrypoints.http.errors import ApiError
from starport.entrypoints.http.events import serialize_event
from starport.entrypoints.http.inputs import INT64, moment, page_cursor, storable_param, whole
from starport.entrypoints.http.schemas import iso, user_id_param

MAX_LIMIT = 500
PAYMENT_QUERY = ("q", "userId", "telegramUserId", "chargeId", "provider", "status", "since",
                 "until", "before", "limit")


def _choice(params: Mapping[str, str], name: str, choices: list[str]) -> str | None:
    value = params.get(name) or None
    if value is not None and value not in choices:
        raise ApiError(422, "invalid_request", f"{name} is one of {', '.join(choices)}")
    return value


def _limit(params: Mapping[str, str]) -> int:
    return whole(params.get("limit", "50"), "limit", 1, MAX_LIMIT)


def payment_search(params: Mapping[str, str]) -> back_office.PaymentSearch:
    """`?q=` any id (session, user, Telegram, charge / invoice); or each by name; filters."""
    provider = _choice(params, "provider", [p.value for p in Provider])
    status = _choice(params, "status", [s.value for s in SessionStatus])
    telegram = (whole(params["telegramUserId"], "telegramUserId", 1, INT64)
                if params.get("telegramUserId") else None)
    before = page_cursor(params)  # "<createdAt>,<sessionId>" of the last one shown
    text = {n: storable_param(params[n], n) if params.get(n) else None
            for n in ("q", "userId", "chargeId")}
    return back_office.PaymentSearch(
        text=text["q"], user_id=text["userId"], telegram_user_id=telegram,
        charge_id=text["chargeId"], provider=Provider(provider) if provider else None,
        status=SessionStatus(status) if status else None, since=moment(params, "since"),
        until=moment(params, "until"), before=before, limit=_limit(params))


def session_row(s: PaymentSession) -> dict[str, Any]:
    return {"sessionId": s.id, "userId": s.user_id, "packageId": s.package_id,
            "provider": s.provider.value, "status": s.status.value,
            "price": host_events.money(s.price), "credits": s.credits,
            "telegramUserId": s.telegram_user_id,
            "chargeId": s.charge_id, "invoiceId": s.invoice_id,
            "createdAt": iso(s.created_at), "paidAt": iso(s.paid_at),
            "refundedAt": iso(s.refunded_at), "failureReason": s.failure_reason}


def _charge(ch: Charge) -> dict[str, Any]:
    return {"provider": ch.provider.value, "chargeId": ch.charge_id, "status": ch.status.value,
            "paid": host_events.money(ch.paid), "reportedAt": iso(ch.reported_at),
            "payerTelegramId": ch.payer_telegram_id, "reason": ch.reason,
            "providerChargeId": ch.provider_charge_id}


def _entry(e: JournalEntry) -> dict[str, Any]:
    return {"entryId": e.id, "kind": e.kind.value, "memo": e.memo, "reference": e.reference,
            "createdAt": iso(e.created_at),
            "postings": [{"account": p.account, "amount": p.amount} for p in e.postings]}


def action_row(a: AdminAction) -> dict[str, Any]:
    return {"id": a.id, "at": iso(a.at), "admin": a.admin, "action": a.action,
            "target": a.target, "reason": a.reason, "detail": a.detail}


def outbox_row(item: OutboxItem) -> dict[str, Any]:
    return {"id": item.id, "kind": type(item.effect).__name__, "chatId": item.chat_id,
            "status": item.status.value, "attempts": item.attempts,
            "createdAt": iso(item.created_at),
            "nextAttemptAt": iso(item.available_at) if item.status is OutboxStatus.PENDING
            else None, "sentAt": iso(item.sent_at), "lastError": item.last_error}


def patron_row(p: Patron) -> dict[str, Any]:
    return {"telegramUserId": p.telegram_user_id, "userId": p.user_id,
            "source": p.source.value, "since": iso(p.since), "until": iso(p.until),
            "active": p.active, "subscriptionChargeId": p.subscription_charge_id}


def story(s: PaymentStory) -> dict[str, Any]:
    refund = s.refund
    return {
        "session": session_row(s.session), "charges": [_charge(x) for x in s.charges],
        "ledger": [_entry(e) for e in s.entries],
        "refund": None if refund is None else {
            "credits": refund.credits, "debt": refund.debt,
            "initiatedBy": refund.initiated_by.value, "reason": refund.reason,
            "createdAt": iso(refund.created_at)},
        "deliveries": [serialize_delivery(d) for d in s.deliveries],
        "events": [serialize_event(e) for e in s.events],
        "audit": [action_row(a) for a in s.actions],
    }


def user(u: UserOverview) -> dict[str, Any]:
    return {"userId": u.user_id, "balance": u.balance, "debt": u.debt,
            "ledger": [_entry(e) for e in u.entries],
            "telegram": [serialize.link(x) for x in u.links],
            "sessions": [session_row(x) for x in u.sessions],
            "patrons": [patron_row(p) for p in u.patrons],
            "audit": [action_row(a) for a in u.actions]}


def _money(amounts: Mapping[tuple[str, str], Any]) -> list[dict[str, Any]]:
    return [{"provider": provider, "currency": currency,
             "amount": f"{Decimal(value).normalize():f}" if not isinstance(value, int)
             else str(value)}
            for (provider, currency), value in sorted(amounts.items())]


def day(d: DayFigures) -> dict[str, Any]:
    return {"day": d.day.isoformat(),
            "payments": [{"provider": p, "currency": cur, "count": n}
                         for (p, cur), n in sorted(d.payments.items())],
            "revenue": _money(d.revenue), "creditsSold": d.credits_sold,
            "refunds": d.refunds, "refunded": _money(d.refunded),
            "creditsRefunded": d.credits_refunded, "failures": d.failures}


# -- routes ------------------------------------------------------------------------------------

async def find_payments(request: Request, who: str) -> Any:
    found = await back_office.search_payments(runtime_of(request).deps,
                                              payment_search(request.query_params))
    return [session_row(s) for s in found]


async def get_payment(request: Request, who: str) -> Any:
    session_id = storable_param(request.path_params["session_id"], "sessionId")
    return story(await back_office.payment_story(runtime_of(request).deps, session_id))


async def get_user(request: Request, who: str) -> Any:
    limit = _limit(request.query_params)
    return user(await back_office.user_overview(runtime_of(request).deps,
                                                user_id_param(request), limit))


async def list_patrons(request: Request, who: str) -> Any:
    after = (whole(request.query_params["after"], "after", 0, INT64)
             if request.query_params.get("after") else None)
    found = await back_office.list_patrons(runtime_of(request).deps, after,
                                           _limit(request.query_params))
    return [patron_row(p) for p in found]


async def list_outbox(request: Request, who: str) -> Any:
    params = request.query_params
    status = _choice(params, "status", [s.value for s in OutboxStatus])
    found = await back_office.list_outbox(
        runtime_of(request).deps, OutboxStatus(status) if status else None, _limit(params),
        moment(params, "before"))
    return [outbox_row(i) for i in found]


async def retry_outbox(request: Request, who: str) -> Any:
    item_id = storable_param(request.path_params["item_id"], "itemId")
    item = await runtime_of(request).bus.handle(c.RetryOutboxItem(item_id, who))
    return outbox_row(item)


async def get_stats(request: Request, who: str) -> Any:
    days = whole(request.query_params.get("days", "30"), "days", 1, 366)
    return [day(d) for d in await back_office.figures(runtime_of(request).deps, days)]


async def list_audit(request: Request, who: str) -> Any:
    params = request.query_params
    query = audit.AuditQuery(
        admin=storable_param(params["admin"], "admin") if params.get("admin") else None,
        target=storable_param(params["target"], "target") if params.get("target") else None,
        before=page_cursor(params), limit=_limit(params))
    return [action_row(a) for a in await audit.find_actions(runtime_of(request).deps, query)]


ROUTES = [
    Route("/api/admin/payments", admin(find_payments), methods=["GET"]),
    Route("/api/admin/payments/{session_id}", admin(get_payment), methods=["GET"]),
    Route("/api/admin/users/{user_id}", admin(get_user), methods=["GET"]),
    Route("/api/admin/patrons", admin(list_patrons), methods=["GET"]),
    Route("/api/admin/outbox", admin(list_outbox), methods=["GET"]),
    Route("/api/admin/outbox/{item_id}/retry", admin(retry_outbox), methods=["POST"]),
    Route("/api/admin/stats", admin(get_stats), methods=["GET"]),
    Route("/api/admin/audit", admin(list_audit), methods=["GET"]),
]
