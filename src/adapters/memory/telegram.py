"""Fakes of the bot and the channel that record what Starport asked Telegram to do."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from starport.application.ports import (
    ChannelNotAdmin,
    InvoiceRequest,
    OutgoingMessage,
    RecipientUnreachable,
)
from starport.domain.perks import MemberStatus


@dataclass
class RecordingMessenger:
    messages: list[OutgoingMessage] = field(default_factory=list)
    invoices: list[InvoiceRequest] = field(default_factory=list)
    pre_checkout_answers: dict[str, str | None] = field(default_factory=dict)
    callback_answers: dict[str, str | None] = field(default_factory=dict)
    blocked: set[int] = field(default_factory=set)
    failures: int = 0  # the next N sends fail as a network error would

    async def send_message(self, message: OutgoingMessage) -> int:
        self._check(message.chat_id)
        self.messages.append(message)
        return len(self.messages)  # unique across chats, as a message id in each is

    async def send_invoice(self, invoice: InvoiceRequest) -> None:
        assert invoice.chat_id is not None
        self._check(invoice.chat_id)
        self.invoices.append(invoice)

    async def answer_pre_checkout(self, query_id: str, error: str | None) -> None:
        self.pre_checkout_answers[query_id] = error

    async def answer_callback(self, query_id: str, text: str | None = None,
                              alert: bool = False) -> None:
        self.callback_answers[query_id] = text

    def texts_to(self, chat_id: int) -> list[str]:
        return [m.text for m in self.messages if m.chat_id == chat_id]

    def _check(self, chat_id: int) -> None:
        if chat_id in self.blocked:
            raise RecipientUnreachable("Forbidden: bot was blocked by the user")
        if self.failures:
            self.failures -= 1
            raise ConnectionError("network is down")


@dataclass
class FakeChannel:
    members: dict[int, MemberStatus] = field(default_factory=dict)
    links: dict[str, datetime] = field(default_factory=dict)
    revoked: list[str] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    join_answers: dict[int, bool] = field(default_factory=dict)
    bot_is_admin: bool = True

    async def member_status(self, channel_id: int, telegram_user_id: int) -> MemberStatus:
        return self.members.get(telegram_user_id, MemberStatus.LEFT)

    async def create_invite(self, channel_id: int, name: str, expires_at: datetime) -> str:
        self._admin()
        link = f"https://t.me/+fake{len(self.links) + 1:04d}"
        self.links[link] = expires_at
        return link

    async def revoke_invite(self, channel_id: int, link: str) -> None:
        self._admin()
        self.revoked.append(link)

    async def remove_member(self, channel_id: int, telegram_user_id: int) -> None:
        self._admin()
        self.members[telegram_user_id] = MemberStatus.LEFT
        self.removed.append(telegram_user_id)

    async def answer_join_request(self, channel_id: int, telegram_user_id: int, approve: bool
                                  ) -> None:
        self._admin()
        self.join_answers[telegram_user_id] = approve

    def _admin(self) -> None:
        if not self.bot_is_admin:
            raise ChannelNotAdmin("the bot is not an administrator of the channel")
