"""The bot (Messenger) and the paid channel (ChannelGateway) over the Bot API client."""

from __future__ import annotations

from datetime import datetime

from starport.adapters.telegram.client import BotApiClient
from starport.adapters.telegram.errors import (
    BotBlocked,
    TelegramBadRequest,
    TelegramError,
    TelegramForbidden,
)
from starport.adapters.telegram.invoices import LabeledPrice
from starport.adapters.telegram.objects import InlineButton, inline_keyboard
from starport.adapters.telegram.throttle import Throttle
from starport.application.ports import (
    ChannelNotAdmin,
    InvoiceRequest,
    OutgoingMessage,
    RecipientUnreachable,
)
from starport.domain.perks import MemberStatus

_NO_RIGHTS = ("not enough rights", "CHAT_ADMIN_REQUIRED", "need administrator rights",
              "bot is not a member")


class TelegramMessenger:
    """Messages and invoices are paced by the throttle; pre-checkout answers never wait."""

    def __init__(self, client: BotApiClient, throttle: Throttle | None = None) -> None:
        self._client = client
        self._throttle = throttle or Throttle()

    async def send_message(self, message: OutgoingMessage) -> int:
        markup = None
        if message.buttons:
            markup = inline_keyboard([
                [InlineButton(b.text, url=b.url, callback_data=b.callback_data) for b in row]
                for row in message.buttons
            ])
        await self._throttle.wait(message.chat_id)
        try:
            sent = await self._client.send_message(message.chat_id, message.text,
                                                   message.parse_mode, markup)
        except (BotBlocked, TelegramForbidden) as exc:
            raise RecipientUnreachable(exc.description) from exc
        return int(sent["message_id"])

    async def send_invoice(self, invoice: InvoiceRequest) -> None:
        await self._throttle.wait(invoice.chat_id)
        try:
            await self._client.send_invoice(
                invoice.chat_id, invoice.title, invoice.description, invoice.payload,
                [LabeledPrice(label=invoice.title, amount=invoice.amount)],
                currency=invoice.currency, provider_token=invoice.provider_token,
            )
        except (BotBlocked, TelegramForbidden) as exc:
            raise RecipientUnreachable(exc.description) from exc

    async def answer_pre_checkout(self, query_id: str, error: str | None) -> None:
        await self._client.answer_pre_checkout_query(query_id, ok=error is None,
                                                     error_message=error)


    async def answer_callback(self, query_id: str, text: str | None = None,
                              alert: bool = False) -> None:
        await self._client.answer_callback_query(query_id, text=text,
                                                 show_alert=alert or None)


class TelegramChannel:
    def __init__(self, client: BotApiClient, throttle: Throttle | None = None) -> None:
        self._client = client
        self._throttle = throttle or Throttle()

    async def member_status(self, channel_id: int, telegram_user_id: int) -> MemberStatus:
        await self._throttle.wait()
        try:
            member = await self._client.get_chat_member(channel_id, telegram_user_id)
        except TelegramBadRequest as exc:
            if "user not found" in exc.description.lower():
                return MemberStatus.LEFT
            raise _admin_error(exc) from exc
        return member_status(member)

    async def create_invite(self, channel_id: int, name: str, expires_at: datetime) -> str:
        await self._throttle.wait()
        try:
            link = await self._client.create_chat_invite_link(
                channel_id, member_limit=1, expire_date=expires_at, name=name[:32])
        except TelegramError as exc:
            raise _admin_error(exc) from exc
        return str(link["invite_link"])

    async def revoke_invite(self, channel_id: int, link: str) -> None:
        await self._throttle.wait()
        try:
            await self._client.revoke_chat_invite_link(channel_id, link)
        except TelegramError as exc:
            raise _admin_error(exc) from exc

    async def remove_member(self, channel_id: int, telegram_user_id: int) -> None:
        try:
            await self._throttle.wait()
            await self._client.ban_chat_member(channel_id, telegram_user_id)
            await self._throttle.wait()
            await self._client.unban_chat_member(channel_id, telegram_user_id,
                                                 only_if_banned=True)
        except TelegramError as exc:
            raise _admin_error(exc) from exc

    async def answer_join_request(self, channel_id: int, telegram_user_id: int, approve: bool
                                  ) -> None:
        await self._throttle.wait()
        try:
            if approve:
                await self._client.approve_chat_join_request(channel_id, telegram_user_id)
            else:
                await self._client.decline_chat_join_request(channel_id, telegram_user_id)
        except TelegramError as exc:
            raise _admin_error(exc) from exc


def member_status(member: dict[str, object]) -> MemberStatus:
    status = str(member.get("status", "unknown"))
    if status == "restricted" and member.get("is_member") is False:
        return MemberStatus.LEFT
    try:
        return MemberStatus(status)
    except ValueError:
        return MemberStatus.UNKNOWN


def _admin_error(exc: TelegramError) -> Exception:
    text = exc.description
    if isinstance(exc, TelegramForbidden) or any(m.lower() in text.lower() for m in _NO_RIGHTS):
        return ChannelNotAdmin(
            f"the bot must be an administrator of the channel with the right to invite and "
            f"ban users: Telegram said {text!r}")
    return exc
