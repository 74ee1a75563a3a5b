"""The emulated world's entities (users, channels, invoices, charges) and their Bot API shapes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]


@dataclass
class User:
    """A Telegram user (or the bot itself, with is_bot=True)."""

    id: int
    first_name: str
    username: str | None = None
    last_name: str | None = None
    language_code: str | None = "en"
    is_bot: bool = False

    def to_json(self) -> JSON:
        data: JSON = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            value = getattr(self, key)
            if value is not None and not (self.is_bot and key == "language_code"):
                data[key] = value
        return data

    def private_chat(self) -> JSON:
        chat: JSON = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            chat["last_name"] = self.last_name
        if self.username:
            chat["username"] = self.username
        return chat


@dataclass
class InviteLink:
    """A channel invite link created by a bot; member_limit is consumed by joins."""

    invite_link: str
    creator: User
    creates_join_request: bool = False
    name: str | None = None
    expire_date: int | None = None
    member_limit: int | None = None
    is_revoked: bool = False
    joined: int = 0
    pending: int = 0

    def usable(self, now: int) -> bool:
        if self.is_revoked or (self.expire_date is not None and self.expire_date <= now):
            return False
        return self.member_limit is None or self.joined < self.member_limit

    def to_json(self) -> JSON:
        data: JSON = {
            "invite_link": self.invite_link,
            "creator": self.creator.to_json(),
            "creates_join_request": self.creates_join_request,
            "is_primary": False,
            "is_revoked": self.is_revoked,
        }
        for key in ("name", "expire_date", "member_limit"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        if self.creates_join_request:
            data["pending_join_request_count"] = self.pending
        return data


@dataclass
class Channel:
    """A channel, or a group where members talk (`type` "supergroup" or "group"): in a group
    the bot posts as a member and, in privacy mode, sees only replies to its own messages and
    commands unless it is an administrator. `bot_status[bot_id]` is "administrator", "member"
    or "left"."""

    id: int
    title: str
    username: str | None = None
    type: str = "channel"
    bot_status: dict[int, str] = field(default_factory=dict)
    members: dict[int, str] = field(default_factory=dict)  # user id -> member|kicked|left
    banned_until: dict[int, int] = field(default_factory=dict)
    invite_links: dict[str, InviteLink] = field(default_factory=dict)
    join_requests: dict[int, str | None] = field(default_factory=dict)  # user id -> link

    def chat(self) -> JSON:
        data: JSON = {"id": self.id, "type": self.type, "title": self.title}
        if self.username:
            data["username"] = self.username
        return data

    def status_of(self, user_id: int) -> str:
        return self.members.get(user_id, "left")

    @property
    def is_group(self) -> bool:
        return self.type != "channel"


def chat_member(user: User, status: str, until_date: int = 0) -> JSON:
    """A ChatMember object of the given status (member, left, kicked, administrator)."""
    data: JSON = {"status": status, "user": user.to_json()}
    if status == "kicked":
        data["until_date"] = until_date
    if status == "administrator":
        data.update(
            can_be_edited=False,
            is_anonymous=False,
            can_manage_chat=True,
            can_delete_messages=True,
            can_manage_video_chats=True,
            can_restrict_members=True,
            can_promote_members=False,
            can_change_info=True,
            can_invite_users=True,
            can_post_stories=False,
            can_edit_stories=False,
            can_delete_stories=False,
            can_post_messages=True,
            can_edit_messages=True,
        )
    return data


@dataclass
class Invoice:
    """An invoice sent as a message (paid once) or a link (paid by anyone, any number of times);
    in Stars (XTR), or in a real currency paid by card through the bot's payment provider (whose
    token is checked, never kept). `amount` is the total, in the currency's smallest units."""

    slug: str
    title: str
    description: str
    payload: str
    amount: int
    created: int
    currency: str = "XTR"
    chat_id: int | None = None
    message_id: int | None = None
    subscription_period: int | None = None
    max_tip_amount: int | None = None
    suggested_tip_amounts: list[int] | None = None
    paid_by: list[int] = field(default_factory=list)

    @property
    def link(self) -> str | None:
        return None if self.chat_id is not None else f"https://t.me/${self.slug}"

    @property
    def by_provider(self) -> bool:
        """Paid by card through a payment provider (every currency but Telegram Stars)."""
        return self.currency != "XTR"

    def to_json(self) -> JSON:
        data: JSON = {
            "slug": self.slug,
            "title": self.title,
            "description": self.description,
            "payload": self.payload,
            "currency": self.currency,
            "amount": self.amount,
            "provider_invoice": self.by_provider,
            "paid_by": list(self.paid_by),
        }
        keys = ("chat_id", "message_id", "subscription_period", "max_tip_amount",
                "suggested_tip_amounts", "link")  # fmt: skip
        for key in keys:
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data


@dataclass
class Charge:
    """A successful payment: in Stars (`refunded_at` is set once refunded, by the bot or the
    user), or by card in another currency (with the provider's own charge id)."""

    charge_id: str
    user: User
    amount: int
    payload: str
    date: int
    invoice_slug: str
    currency: str = "XTR"
    provider_payment_charge_id: str = ""  # Telegram sends "" for Stars
    subscription_period: int | None = None
    subscription_expiration_date: int | None = None
    refunded_at: int | None = None

    def incoming(self) -> JSON:
        source: JSON = {
            "type": "user",
            "transaction_type": "invoice_payment",
            "user": self.user.to_json(),
            "invoice_payload": self.payload,
        }
        if self.subscription_period:
            source["subscription_period"] = self.subscription_period
        return {"id": self.charge_id, "amount": self.amount, "date": self.date, "source": source}

    def outgoing_refund(self) -> JSON:
        receiver: JSON = {
            "type": "user",
            "transaction_type": "invoice_payment",
            "user": self.user.to_json(),
            "invoice_payload": self.payload,
        }
        return {
            "id": self.charge_id,
            "amount": self.amount,
            "date": self.refunded_at,
            "receiver": receiver,
        }


@dataclass
class Subscription:
    """A user's Stars subscription bought through a subscription invoice link."""

    user_id: int
    invoice_slug: str
    period: int
    expires_at: int
    charge_ids: list[str] = field(default_factory=list)
    is_canceled: bool = False
