"""Telegram's Update, as far as Starport reads it: frozen models parsed once, at the edge.

Only the fields Starport uses are declared (the rest is ignored); those are typed strictly, so
a wrong shape is one ValidationError. Below the edge nothing reads the raw JSON."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from starport.adapters.text import Received

INT64 = 2**63 - 1
Id = Annotated[int, Field(ge=-INT64, le=INT64)]  # what a BIGINT column holds
Amount = Annotated[int, Field(ge=0, le=INT64)]
UnixTime = Annotated[int, Field(ge=0, le=253_402_300_799)]  # up to 9999-12-31T23:59:59Z


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", strict=True, populate_by_name=True)


class User(_Model):
    id: Id
    first_name: Received = ""
    last_name: Received | None = None
    username: Received | None = None
    language_code: Received | None = None


class Chat(_Model):
    id: Id
    type: Received


class SuccessfulPayment(_Model):
    currency: Received
    total_amount: Amount
    invoice_payload: Received
    telegram_payment_charge_id: Received
    provider_payment_charge_id: Received = ""
    subscription_expiration_date: UnixTime | None = None


class RefundedPayment(_Model):
    currency: Received
    total_amount: Amount
    invoice_payload: Received
    telegram_payment_charge_id: Received
    provider_payment_charge_id: Received | None = None


class RepliedTo(_Model):
    """The message a message replies to: which one (its id in the chat)."""

    message_id: Id


# What a user may send besides text; none of it is relayed to support (a caption is).
ATTACHMENTS = ("photo", "document", "video", "audio", "voice", "video_note", "sticker",
               "animation", "location", "contact", "poll", "venue", "dice")


class Message(_Model):
    model_config = ConfigDict(frozen=True, extra="allow", strict=True, populate_by_name=True)

    message_id: Id = 0
    chat: Chat
    from_user: User | None = Field(default=None, alias="from")
    text: Received | None = None
    caption: Received | None = None
    reply_to_message: RepliedTo | None = None
    migrate_to_chat_id: Id | None = None  # the group became this supergroup
    successful_payment: SuccessfulPayment | None = None
    refunded_payment: RefundedPayment | None = None

    @property
    def attachment(self) -> str | None:
        """What the message carries besides text ("photo", "sticker"...), if anything."""
        extra: dict[str, Any] = self.model_extra or {}
        return next((name.replace("_", " ") for name in ATTACHMENTS if name in extra), None)


class PreCheckoutQuery(_Model):
    id: Received
    from_user: User = Field(alias="from")
    currency: Received
    total_amount: Amount
    invoice_payload: Received


class ChatRef(_Model):
    """A message a callback button was attached to (maybe inaccessible): its chat only."""

    chat: Chat


class CallbackQuery(_Model):
    id: Received
    from_user: User = Field(alias="from")
    message: ChatRef | None = None
    data: Received | None = None


class ChatInviteLink(_Model):
    invite_link: Received


class ChatMember(_Model):
    status: Received
    user: User
    is_member: bool | None = None  # restricted members only


class ChatMemberUpdated(_Model):
    chat: Chat
    from_user: User = Field(alias="from")
    new_chat_member: ChatMember
    invite_link: ChatInviteLink | None = None


class ChatJoinRequest(_Model):
    chat: Chat
    from_user: User = Field(alias="from")


class Update(_Model):
    update_id: Annotated[int, Field(ge=0, le=INT64)]
    message: Message | None = None
    pre_checkout_query: PreCheckoutQuery | None = None
    callback_query: CallbackQuery | None = None
    chat_member: ChatMemberUpdated | None = None
    my_chat_member: ChatMemberUpdated | None = None
    chat_join_request: ChatJoinRequest | None = None


class MalformedUpdate(ValueError):
    """The update is not JSON, or lacks a field its type requires (or has it mistyped)."""


def parse_update(raw: bytes) -> Update:
    """One parse of the raw body (JSON and shape at once); MalformedUpdate says what is wrong."""
    try:
        return Update.model_validate_json(raw)
    except ValidationError as exc:
        raise MalformedUpdate(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    first = exc.errors(include_url=False)[0]
    where = ".".join(str(part) for part in first["loc"]) or "update"
    return f"{where}: {first['msg']}"
