"""Explicit mappers between table rows and the domain's dataclasses, one pair per aggregate.
Round-trip tests check that every dataclass field has a column and comes back unchanged."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict
from decimal import Decimal
from typing import Any

from starport.application.deliveries import Delivery
from starport.application.effects import (
    Button,
    CancelSubscription,
    Effect,
    InvitePatron,
    OutboxItem,
    OutboxStatus,
    PublishEvent,
    RefundCharge,
    RelayToSupport,
    RemoveMember,
    RevokeInvite,
    SendInvoice,
    SendText,
)
from starport.domain.bot_messages import BotMessage, BotMessageChange
from starport.domain.charges import Charge, ChargeStatus
from starport.domain.ledger import EntryKind, JournalEntry, Posting
from starport.domain.money import CryptoAmount, FiatAmount, Price, Stars
from starport.domain.perks import (
    Invite,
    InviteStatus,
    JoinBonus,
    Membership,
    MemberStatus,
    Patron,
    PatronSource,
)
from starport.domain.providers import Provider
from starport.domain.refunds import Refund, RefundInitiator
from starport.domain.sessions import PaymentSession, SessionStatus

Row = Mapping[Any, Any]  # a RowMapping, or the dict a mapper made (round-trip tests)


def price_values(price: Price) -> dict[str, Any]:
    if isinstance(price, Stars):
        return {"price_kind": "stars", "price_amount": str(price.amount), "price_currency": "XTR"}
    kind = "crypto" if isinstance(price, CryptoAmount) else "fiat"
    return {"price_kind": kind, "price_amount": str(price.amount),
            "price_currency": price.currency}


def price_from(kind: str, amount: str, currency: str) -> Price:
    if kind == "stars":
        return Stars(int(amount))
    if kind == "crypto":
        return CryptoAmount(Decimal(amount), currency)
    if kind == "fiat":
        return FiatAmount(Decimal(amount), currency)
    raise ValueError(f"unknown price kind {kind!r}")


def session_values(s: PaymentSession) -> dict[str, Any]:
    return {
        "id": s.id, "user_id": s.user_id, "package_id": s.package_id,
        "provider": s.provider.value, **price_values(s.price), "credits": s.credits,
        "created_at": s.created_at, "expires_at": s.expires_at, "status": s.status.value,
        "telegram_user_id": s.telegram_user_id, "invoice_id": s.invoice_id,
        "invoice_url": s.invoice_url, "mini_app_url": s.mini_app_url,
        "web_app_url": s.web_app_url,
        "charge_id": s.charge_id, "paid_at": s.paid_at,
        "refunded_at": s.refunded_at, "failure_reason": s.failure_reason,
        "subscription_period": s.subscription_period, "language": s.language,
        "version": s.version,
    }


def session_from(r: Row) -> PaymentSession:
    return PaymentSession(
        id=r["id"], user_id=r["user_id"], package_id=r["package_id"],
        provider=Provider(r["provider"]),
        price=price_from(r["price_kind"], r["price_amount"], r["price_currency"]),
        credits=r["credits"], created_at=r["created_at"], expires_at=r["expires_at"],
        status=SessionStatus(r["status"]), telegram_user_id=r["telegram_user_id"],
        invoice_id=r["invoice_id"], invoice_url=r["invoice_url"],
        mini_app_url=r["mini_app_url"], web_app_url=r["web_app_url"],
        charge_id=r["charge_id"],
        paid_at=r["paid_at"], refunded_at=r["refunded_at"], failure_reason=r["failure_reason"],
        subscription_period=r["subscription_period"], language=r["language"],
        version=r["version"],
    )


def charge_values(c: Charge) -> dict[str, Any]:
    return {"provider": c.provider.value, "charge_id": c.charge_id, "session_id": c.session_id,
            **price_values(c.paid), "reported_at": c.reported_at,
            "payer_telegram_id": c.payer_telegram_id, "subscription_until": c.subscription_until,
            "status": c.status.value, "reason": c.reason,
            "provider_charge_id": c.provider_charge_id}


def charge_from(r: Row) -> Charge:
    return Charge(provider=Provider(r["provider"]), charge_id=r["charge_id"],
                  session_id=r["session_id"],
                  paid=price_from(r["price_kind"], r["price_amount"], r["price_currency"]),
                  reported_at=r["reported_at"], payer_telegram_id=r["payer_telegram_id"],
                  subscription_until=r["subscription_until"], status=ChargeStatus(r["status"]),
                  reason=r["reason"], provider_charge_id=r["provider_charge_id"])


def entry_values(e: JournalEntry) -> dict[str, Any]:
    return {"id": e.id, "idempotency_key": e.idempotency_key, "kind": e.kind.value,
            "created_at": e.created_at, "memo": e.memo, "reference": e.reference,
            "allow_overdraft": e.allow_overdraft}


def posting_values(e: JournalEntry) -> list[dict[str, Any]]:
    return [{"entry_id": e.id, "position": i, "account_id": p.account, "amount": p.amount}
            for i, p in enumerate(e.postings)]


def entry_from(r: Row, postings: Iterable[Row]) -> JournalEntry:
    """`postings` in position order."""
    return JournalEntry(
        id=r["id"], idempotency_key=r["idempotency_key"], kind=EntryKind(r["kind"]),
        postings=tuple(Posting(p["account_id"], p["amount"]) for p in postings),
        created_at=r["created_at"], memo=r["memo"], reference=r["reference"],
        allow_overdraft=bool(r["allow_overdraft"]),
    )


def refund_values(f: Refund) -> dict[str, Any]:
    return {"id": f.id, "session_id": f.session_id, "user_id": f.user_id,
            "provider": f.provider, "charge_id": f.charge_id, "credits": f.credits,
            "initiated_by": f.initiated_by.value, "created_at": f.created_at,
            "reason": f.reason, "debt": f.debt}


def refund_from(r: Row) -> Refund:
    return Refund(id=r["id"], session_id=r["session_id"], user_id=r["user_id"],
                  provider=r["provider"], charge_id=r["charge_id"], credits=r["credits"],
                  initiated_by=RefundInitiator(r["initiated_by"]), created_at=r["created_at"],
                  reason=r["reason"], debt=r["debt"])


def patron_values(p: Patron) -> dict[str, Any]:
    return {"telegram_user_id": p.telegram_user_id, "user_id": p.user_id,
            "source": p.source.value, "since": p.since, "until": p.until, "active": p.active,
            "subscription_charge_id": p.subscription_charge_id,
            "subscription_provider": (p.subscription_provider.value
                                      if p.subscription_provider else None)}


def patron_from(r: Row) -> Patron:
    return Patron(telegram_user_id=r["telegram_user_id"], user_id=r["user_id"],
                  source=PatronSource(r["source"]), since=r["since"], until=r["until"],
                  active=bool(r["active"]), subscription_charge_id=r["subscription_charge_id"],
                  subscription_provider=(Provider(r["subscription_provider"])
                                         if r["subscription_provider"] else None))


def membership_values(m: Membership) -> dict[str, Any]:
    return {"telegram_user_id": m.telegram_user_id, "status": m.status.value,
            "checked_at": m.checked_at}


def membership_from(r: Row) -> Membership:
    return Membership(telegram_user_id=r["telegram_user_id"],
                      status=MemberStatus(r["status"]), checked_at=r["checked_at"])


def invite_values(i: Invite) -> dict[str, Any]:
    return {"id": i.id, "telegram_user_id": i.telegram_user_id, "link": i.link,
            "created_at": i.created_at, "expires_at": i.expires_at,
            "member_limit": i.member_limit, "status": i.status.value}


def invite_from(r: Row) -> Invite:
    return Invite(id=r["id"], telegram_user_id=r["telegram_user_id"], link=r["link"],
                  created_at=r["created_at"], expires_at=r["expires_at"],
                  member_limit=r["member_limit"], status=InviteStatus(r["status"]))


def bonus_values(b: JoinBonus) -> dict[str, Any]:
    return {"telegram_user_id": b.telegram_user_id, "user_id": b.user_id,
            "credits": b.credits, "granted_at": b.granted_at}


def bonus_from(r: Row) -> JoinBonus:
    return JoinBonus(telegram_user_id=r["telegram_user_id"], user_id=r["user_id"],
                     credits=r["credits"], granted_at=r["granted_at"])


def bot_message_values(m: BotMessage) -> dict[str, Any]:
    return {"key": m.key, "language": m.language, "template": m.template,
            "parse_mode": m.parse_mode, "updated_by": m.updated_by, "updated_at": m.updated_at}


def bot_message_from(r: Row) -> BotMessage:
    return BotMessage(key=r["key"], template=r["template"], parse_mode=r["parse_mode"],
                      updated_by=r["updated_by"], updated_at=r["updated_at"],
                      language=r["language"])


def change_values(c: BotMessageChange) -> dict[str, Any]:
    return {"key": c.key, "language": c.language, "previous": c.previous,
            "current": c.current, "changed_by": c.changed_by, "changed_at": c.changed_at}


def change_from(r: Row) -> BotMessageChange:
    return BotMessageChange(key=r["key"], previous=r["previous"], current=r["current"],
                             changed_by=r["changed_by"], changed_at=r["changed_at"],
                             language=r["language"])


# Each effect's stored kind (the names predate the typed effects: rows already stored read back).
_KINDS: dict[type[Any], str] = {
    SendText: "message", SendInvoice: "invoice", RevokeInvite: "revoke_invite",
    RemoveMember: "remove_member", RefundCharge: "refund_charge",
    CancelSubscription: "cancel_subscription", InvitePatron: "invite_patron",
    PublishEvent: "event",
    RelayToSupport: "relay_to_support",
}


def kind_of(effect_type: type[Any]) -> str:
    return _KINDS[effect_type]


def effect_values(effect: Effect) -> tuple[str, dict[str, Any]]:
    return _KINDS[type(effect)], asdict(effect)


def effect_from(kind: str, p: Mapping[str, Any]) -> Effect:
    if kind == "message":
        buttons = tuple(tuple(Button(**b) for b in row) for row in p.get("buttons") or ())
        return SendText(p["text"], p.get("parse_mode"), buttons)
    if kind == "invoice":
        if "stars" in p:  # queued before invoices named their provider: Stars only then
            return SendInvoice(Provider.TELEGRAM_STARS, p["title"], p["description"],
                               p["payload"], "XTR", int(p["stars"]))
        return SendInvoice(Provider(p["provider"]), p["title"], p["description"], p["payload"],
                           str(p["currency"]), int(p["amount"]))
    if kind == "revoke_invite":
        return RevokeInvite(p["link"])
    if kind == "remove_member":
        return RemoveMember(int(p["telegram_user_id"]))
    if kind == "refund_charge":  # only Stars returned extra charges before providers were named
        return RefundCharge(Provider(p.get("provider", Provider.TELEGRAM_STARS.value)),
                            str(p["charge_id"]), int(p["telegram_user_id"]))
    if kind == "cancel_subscription":
        # Only Star subscriptions existed before the provider was named.
        return CancelSubscription(Provider(p.get("provider", Provider.TELEGRAM_STARS.value)),
                                  str(p["charge_id"]), int(p["telegram_user_id"]))
    if kind == "invite_patron":
        return InvitePatron(int(p["telegram_user_id"]), p.get("first_name", ""),
                            p.get("language"))
    if kind == "event":
        return PublishEvent(str(p["event_type"]), str(p["occurred_at"]), dict(p["data"]))
    if kind == "relay_to_support":
        return RelayToSupport(str(p["message_id"]), str(p["text"]))
    raise ValueError(f"unknown outbox item kind {kind!r}")


def outbox_values(o: OutboxItem) -> dict[str, Any]:
    kind, payload = effect_values(o.effect)
    return {"id": o.id, "kind": kind, "chat_id": o.chat_id, "payload": payload,
            "created_at": o.created_at, "available_at": o.available_at,
            "status": o.status.value, "attempts": o.attempts, "lease_until": o.lease_until,
            "last_error": o.last_error, "sent_at": o.sent_at, "dedupe_key": o.dedupe_key}


def outbox_from(r: Row) -> OutboxItem:
    return OutboxItem(id=r["id"], chat_id=r["chat_id"],
                      effect=effect_from(r["kind"], r["payload"]),
                      created_at=r["created_at"], available_at=r["available_at"],
                      status=OutboxStatus(r["status"]), attempts=r["attempts"],
                      lease_until=r["lease_until"], last_error=r["last_error"],
                      sent_at=r["sent_at"], dedupe_key=r["dedupe_key"])


def delivery_values(d: Delivery) -> dict[str, Any]:
    return {"id": d.id, "source": d.source, "update_id": d.update_id,
            "received_at": d.received_at, "body": d.body, "headers": dict(d.headers),
            "verified": d.verified, "charge_id": d.charge_id, "invoice_id": d.invoice_id,
            "session_id": d.session_id, "outcome": d.outcome}


def delivery_from(r: Row) -> Delivery:
    return Delivery(id=r["id"], source=r["source"], update_id=r["update_id"],
                    received_at=r["received_at"], body=bytes(r["body"]),
                    headers=dict(r["headers"]), verified=r["verified"],
                    charge_id=r["charge_id"], invoice_id=r["invoice_id"],
                    session_id=r["session_id"], outcome=r["outcome"])
