"""Views of the use cases as camelCase JSON; money stays exact (Stars int, Decimal as string)."""

from __future__ import annotations

from typing import Any

from starport.application.bot_messages import BotMessageView, PreviewView, TextView
from starport.application.views import BalanceView, JobCounts, LedgerLine, RefundResult, SessionView
from starport.domain.bot_messages import BotMessageChange
from starport.domain.catalog import CreditPackage
from starport.domain.links import TelegramLink
from starport.domain.money import CryptoAmount, FiatAmount, Stars
from starport.domain.perks import Invite
from starport.entrypoints.http.schemas import iso


def package(p: CreditPackage) -> dict[str, Any]:
    """Prices by provider name: Stars as an integer, other amounts as decimal strings."""
    prices: dict[str, Any] = {}
    for provider, price in p.prices.items():
        if isinstance(price, Stars):
            prices[provider.value] = price.amount
        elif isinstance(price, CryptoAmount | FiatAmount):
            prices[provider.value] = {"amount": f"{price.amount:f}", "currency": price.currency}
    return {"id": p.id, "title": p.title, "description": p.description, "credits": p.credits,
            "prices": prices}


def session(v: SessionView) -> dict[str, Any]:
    return {
        "sessionId": v.id, "userId": v.user_id, "packageId": v.package_id,
        "paymentMethod": v.provider, "status": v.status, "amount": v.amount,
        "currency": v.currency, "credits": v.credits, "createdAt": iso(v.created_at),
        "expiresAt": iso(v.expires_at), "deepLink": v.deep_link, "invoiceLink": v.invoice_link,
        "payUrl": v.pay_url, "miniAppUrl": v.mini_app_url,
        "webAppUrl": v.web_app_url, "paidAt": iso(v.paid_at),
        "refundedAt": iso(v.refunded_at),
        "failureReason": v.failure_reason,
    }


def balance(v: BalanceView) -> dict[str, Any]:
    return {"userId": v.user_id, "balance": v.balance, "debt": v.debt}


def ledger_line(line: LedgerLine) -> dict[str, Any]:
    return {"entryId": line.entry_id, "kind": line.kind, "amount": line.amount,
            "memo": line.memo, "reference": line.reference, "createdAt": iso(line.created_at)}


def link(x: TelegramLink) -> dict[str, Any]:
    return {"userId": x.user_id, "telegramUserId": x.telegram_user_id,
            "linkedAt": iso(x.linked_at), "via": x.via.value}


def refund(r: RefundResult) -> dict[str, Any]:
    return {"sessionId": r.session_id, "credits": r.credits, "debt": r.debt,
            "alreadyRefunded": r.already_refunded}


def bot_message(m: BotMessageView) -> dict[str, Any]:
    return {"key": m.key, "language": m.language, "template": m.template,
            "parseMode": m.parse_mode, "placeholders": list(m.placeholders),
            "purpose": m.purpose, "button": m.button, "maxLength": m.max_length,
            "isDefault": m.is_default, "fallsBack": m.falls_back, "updatedBy": m.updated_by,
            "updatedAt": m.updated_at, "texts": [_text(t) for t in m.texts]}


def _text(t: TextView) -> dict[str, Any]:
    return {"language": t.language, "template": t.template, "parseMode": t.parse_mode,
            "fallsBack": t.falls_back, "isDefault": t.is_default, "updatedBy": t.updated_by,
            "updatedAt": t.updated_at}


def bot_message_change(c: BotMessageChange) -> dict[str, Any]:
    return {"key": c.key, "language": c.language, "previous": c.previous,
            "current": c.current, "changedBy": c.changed_by, "changedAt": iso(c.changed_at)}


def preview(p: PreviewView) -> dict[str, Any]:
    return {"key": p.key, "language": p.language, "parseMode": p.parse_mode, "ok": p.error is None,
            "text": p.text, "error": p.error}


def job(name: str, counts: JobCounts) -> dict[str, Any]:
    return {"job": name, "counts": dict(counts.counts)}


def invite(i: Invite | None) -> dict[str, Any] | None:
    if i is None:
        return None
    return {"link": i.link, "expiresAt": iso(i.expires_at)}
