"""Admin-editable bot messages: each key has allowed placeholders and a shipped default, and
may have a text per language; button labels are messages too (one line of plain text)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from starport.domain.errors import InvalidTemplate, UnknownMessageKey
from starport.domain.languages import Languages
from starport.domain.templates import (
    PARSE_MODES,
    check_html,
    check_markdown_v2,
    check_placeholders,
    fill,
)

MAX_LENGTH = 4096  # Telegram's limit for a message text
# Telegram documents no limit for a button's label, but cuts what does not fit the button on
# a phone's screen; a label is one line, and this many characters at most.
BUTTON_MAX_LENGTH = 64


@dataclass(frozen=True, slots=True)
class MessageDefinition:
    key: str
    default: str
    placeholders: frozenset[str]
    purpose: str
    parse_mode: str | None = None
    button: bool = False  # an inline button's label: plain text, one short line

    @property
    def max_length(self) -> int:
        return BUTTON_MAX_LENGTH if self.button else MAX_LENGTH


def _define(key: str, purpose: str, default: str, *names: str) -> MessageDefinition:
    return MessageDefinition(key, default, frozenset(names), purpose)


def _button(key: str, purpose: str, default: str, *names: str) -> MessageDefinition:
    return MessageDefinition(key, default, frozenset(names), purpose, button=True)


DEFINITIONS: dict[str, MessageDefinition] = {
    d.key: d
    for d in (
        _define("bot_welcome", "answer to /start",
                "Welcome, {first_name}! Buy credits with /buy and see them with /balance.",
                "first_name", "bot_name"),
        _define("session_ready", "shown with the invoice of a payment session",
                "{package_title}: {credits} credits for {amount}. Tap Pay to continue.",
                "first_name", "package_title", "credits", "amount", "session_id"),
        _define("payment_success", "after a payment is credited",
                "Payment received: {credits} credits added. Your balance: {balance} credits.",
                "first_name", "package_title", "credits", "amount", "balance", "session_id"),
        _define("payment_failed", "when a payment cannot be accepted",
                "We could not accept this payment: {reason}", "reason", "session_id"),
        _define("checkout_expired", "pre-checkout refused: the session expired",
                "This payment link has expired. Please start a new purchase.", "session_id"),
        _define("checkout_wrong_user", "pre-checkout refused: another user's session",
                "This payment link belongs to another account.", "session_id"),
        _define("checkout_wrong_amount", "pre-checkout refused: the price does not match",
                "The price has changed. Please start a new purchase.", "session_id"),
        _define("checkout_unavailable", "pre-checkout refused: anything else",
                "This purchase is not available any more.", "session_id", "reason"),
        _define("payment_refunded", "after a refund",
                "Your payment was refunded; {credits} credits were removed. Balance: {balance}.",
                "credits", "balance", "session_id"),
        _define("balance_info", "answer to /balance",
                "Your balance: {balance} credits.\n{recent}", "balance", "first_name",
                "recent"),
        _define("account_linked", "the user opened the app's link: their Telegram is linked",
                "Your Telegram account is now linked to your account in {bot_name}: purchases "
                "and credits are shared. Balance: {balance} credits.",
                "first_name", "bot_name", "balance"),
        _define("link_failed", "the app's link could not be used",
                "This link cannot be used: {reason}", "first_name", "reason"),
        _define("buy_menu", "answer to /buy, above one button per package",
                "Choose a credit package:", "first_name"),
        _define("package_unavailable", "a /buy button of a package no longer on sale",
                "This package is no longer available. Send /buy to see what is on sale.",
                "package_id"),
        _define("rate_limited", "a purchase refused: too many attempts (per-user limits)",
                "Too many payment attempts. Please try again in {retry_after}.",
                "retry_after", "first_name"),
        _define("balance_low", "to the admin chat: a Crypto Pay balance fell under its threshold",
                "Crypto Pay balance low: {available} {asset} available "
                "(threshold {threshold}, on hold {onhold}).",
                "asset", "available", "onhold", "threshold"),
        _define("payment_held", "to the admin chat: a payment arrived that cannot be recorded "
                "(an id longer than any provider sends); it is kept as received for you",
                "A payment was received but cannot be recorded ({reason}): {amount} from "
                "Telegram user {telegram_user_id}, update {update_id}. It is kept as received: "
                "GET /api/admin/deliveries?updateId={update_id}",
                "reason", "amount", "telegram_user_id", "update_id"),
        _define("terms_info", "answer to /terms",
                "Credits are digital goods delivered instantly after payment. "
                "Refunds are handled through /paysupport.", "bot_name"),
        _define("support_info", "answer to /support and /paysupport without a support chat",
                "Need help with a payment? Contact {support_contact}, with the date and the "
                "amount of your payment.",
                "bot_name", "support_contact"),
        _define("support_open", "answer to /support and /paysupport with a support chat",
                "You are writing to support: send your question here, with the date and the "
                "amount of your payment, and an agent will answer in this chat. Send /done "
                "when you have finished (the conversation also ends after {idle_hours} hours "
                "without messages).", "first_name", "bot_name", "idle_hours"),
        _define("support_relayed", "a user's message as the support chat sees it (reply to "
                "it to answer)",
                "Support request from {who}\nRecent payments:\n{payments}\n\n{text}",
                "who", "telegram_user_id", "user_id", "payments", "text"),
        _define("support_answer", "an agent's answer, sent to the user",
                "Support: {text}", "text", "agent_name", "first_name"),
        _define("support_closed", "answer to /done or /cancel",
                "Your conversation with support has ended. Send /support to write to us "
                "again.", "first_name"),
        _define("support_expired", "a message after the support conversation went idle",
                "Your conversation with support ended after {idle_hours} hours without "
                "messages, so this message was not sent. Send /support to write to us again.",
                "first_name", "idle_hours"),
        _define("support_text_only", "a support message with something that is not relayed",
                "Only text reaches support: photos, files, stickers and voice messages are "
                "not forwarded (a caption is). Please describe it in words.", "first_name",
                "attachment"),
        _define("channel_invite", "the patron's invite to the channel",
                "You are a patron! Join the channel with this single-use link "
                "(valid until {expires_at}): {invite_link}",
                "first_name", "invite_link", "expires_at"),
        _define("bonus_granted", "after the one-time join bonus",
                "Thanks for joining the channel! {credits} bonus credits added. "
                "Balance: {balance}.", "credits", "balance", "first_name"),
        _button("button_buy", "button under the /start menu: opens /buy", "Buy credits"),
        _button("button_balance", "button under the /start menu: shows /balance", "Balance"),
        _button("button_support", "button under the /start menu: shows /support", "Support"),
        _button("button_package", "one /buy button per package and way to pay",
                "{package_title} · {credits} credits · {amount}",
                "package_title", "credits", "amount"),
        _button("button_subscribe", "button under session_ready for a subscription: opens "
                "its invoice", "Subscribe", "package_title"),
        _button("button_join_channel", "button under channel_invite: opens the invite link",
                "Join channel"),
    )
}

# What the preview fills each placeholder with: values like the bot's own, with the
# characters HTML and MarkdownV2 escape (".", "+", "&") where the bot's values have them.
SAMPLES: dict[str, object] = {
    "first_name": "Ann", "bot_name": "Starport", "package_title": "Starter",
    "credits": 100, "amount": "4.99 USD", "balance": 250, "session_id": "c8f1e2a9",
    "reason": "the price has changed", "recent": "2026-01-01 +100 purchase",
    "retry_after": "15 minutes", "package_id": "starter", "asset": "USDT",
    "available": "12.5", "onhold": "0", "threshold": "100", "telegram_user_id": 123456789,
    "update_id": 100001, "support_contact": "@shop_help", "invite_link": "https://t.me/+AbC-1",
    "expires_at": "2026-01-02 12:00 UTC",
}


def definition(key: str) -> MessageDefinition:
    try:
        return DEFINITIONS[key]
    except KeyError:
        raise UnknownMessageKey(f"unknown bot message key {key!r}") from None


@dataclass(frozen=True, slots=True)
class BotMessageChange:
    """One edit of a bot message in one language, kept for the audit history. A reset of a
    language other than the default has `current` the text it now falls back to."""

    key: str
    previous: str
    current: str
    changed_by: str
    changed_at: datetime
    language: str = field(kw_only=True)


@dataclass(eq=False)
class BotMessage:
    """The current text of one bot message in one language; in the default language, the
    shipped default until an admin changes it."""

    key: str
    template: str
    parse_mode: str | None = None
    updated_by: str | None = None
    updated_at: datetime | None = None
    language: str = field(kw_only=True)

    @classmethod
    def default(cls, key: str, language: str) -> BotMessage:
        d = definition(key)
        return cls(key=key, template=d.default, parse_mode=d.parse_mode, language=language)

    @property
    def is_default(self) -> bool:
        d = definition(self.key)
        return self.template == d.default and self.parse_mode == d.parse_mode

    def change(self, template: str, parse_mode: str | None, by: str, now: datetime
               ) -> BotMessageChange | None:
        """The audit record of the change; None when nothing changed."""
        validate(self.key, template, parse_mode)
        if template == self.template and parse_mode == self.parse_mode:
            return None
        previous = self.template
        self.template, self.parse_mode = template, parse_mode
        self.updated_by, self.updated_at = by, now
        return BotMessageChange(self.key, previous, template, by, now, language=self.language)

    def reset(self, by: str, now: datetime) -> BotMessageChange | None:
        d = definition(self.key)
        return self.change(d.default, d.parse_mode, by, now)

    def withdrawn(self, fallback: BotMessage, by: str, now: datetime) -> BotMessageChange:
        """The record of removing this language's own text: its users read `fallback` now."""
        return BotMessageChange(self.key, self.template, fallback.template, by, now,
                                language=self.language)

    def render(self, **values: object) -> str:
        allowed = definition(self.key).placeholders
        return fill(self.template, {k: v for k, v in values.items() if k in allowed},
                    self.parse_mode)


def validate(key: str, template: str, parse_mode: str | None) -> None:
    d = definition(key)
    if parse_mode not in PARSE_MODES:
        raise InvalidTemplate(f"parse mode must be one of {PARSE_MODES}, got {parse_mode!r}")
    if not template.strip():
        raise InvalidTemplate("a bot message cannot be empty")
    if len(template) > d.max_length:
        raise InvalidTemplate(f"{'a button label' if d.button else 'a bot message'} has at "
                              f"most {d.max_length} characters")
    if d.button and (parse_mode is not None or "\n" in template):
        raise InvalidTemplate("a button label is one line of plain text (no parse mode)")
    check_placeholders(template, d.placeholders)
    if parse_mode == "HTML":
        check_html(template)
    if parse_mode == "MarkdownV2":
        check_markdown_v2(template)


def preview(key: str, template: str, parse_mode: str | None) -> str:
    """The text as the bot would send it, each placeholder filled with a sample value; refused
    (InvalidTemplate, saying what and where) whenever a change to it would be."""
    validate(key, template, parse_mode)
    d = definition(key)
    text = fill(template, {name: SAMPLES.get(name, name) for name in d.placeholders},
                parse_mode)
    if len(text) > d.max_length:
        raise InvalidTemplate(f"filled with sample values, the text has {len(text)} "
                              f"characters: more than the {d.max_length} Telegram takes")
    return text


def resolve(key: str, languages: Languages, stored: Iterable[BotMessage]) -> BotMessage:
    """The text a reader of `languages` gets: the first language that has its own, else the
    shipped default (as the default language's)."""
    own = {m.language: m for m in stored}
    for tag in languages.chain:
        if tag in own:
            return own[tag]
    return BotMessage.default(key, languages.default)
