"""The HTTP driver's chat, channel and subscription actions (a mixin of `HttpDriver`): users
write to the bot, press its buttons and pay in the chat; Telegram renews, loses an update or
fails a send; the channel as Telegram sees it."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from features.drivers import http_api as api
from features.drivers import http_telegram as tg
from features.drivers.base import InviteLink, PaymentAttempt, Person, Refused, Session
from features.drivers.http_server import ADMIN_AUTH, Server
from starport.domain.limits import PaymentLimits
from starport.sandbox.telegram import Actor, SandboxError

CHANNEL_ID = -1001234567890
SUPPORT_CHAT_ID = -1005550001


class ChatActions:
    server: Server
    actor: Actor
    _notices: dict[str, Any]

    if TYPE_CHECKING:  # provided by HttpDriver
        async def _call(self, method: str, path: str, body: Any = None,
                        headers: dict[str, str] | None = None) -> Any: ...
        def _user(self, person: Person) -> None: ...
        async def _delivered(self, delivery: Any) -> None: ...
        async def pay(self, tg_user: Person, session: Session, amount: int | None = None
                      ) -> PaymentAttempt: ...
        async def card_pay(self, tg_user: Person, session: Session,
                           amount: Decimal | None = None, currency: str | None = None,
                           card: str | None = None) -> PaymentAttempt: ...

    # -- the chat --------------------------------------------------------------------------

    async def send_to_bot(self, tg_user: Person, text: str) -> None:
        self._user(tg_user)
        await self._delivered(await self.actor.send_text(tg_user.telegram_id, text))

    async def press_button(self, tg_user: Person, text: str) -> None:
        try:
            delivery = await self.actor.press_button(tg_user.telegram_id, text=text)
        except SandboxError as exc:
            raise Refused("no_button", f"{tg_user.name} has no button {text!r}") from exc
        await self._delivered(delivery)

    async def pay_invoice_in_chat(self, tg_user: Person, amount: int | None = None
                                  ) -> PaymentAttempt:
        unpaid = [i for i in self.actor.bot.invoices.values()
                  if i.chat_id == tg_user.telegram_id and not i.paid_by]
        if not unpaid:
            raise Refused("no_invoice", f"no unpaid invoice in {tg_user.name}'s chat")
        data = await self._call("GET", f"/api/payments/sessions/{unpaid[-1].payload}")
        if unpaid[-1].currency != "XTR":  # in a real currency: by card
            return await self.card_pay(tg_user, api.session(data))
        return await self.pay(tg_user, api.session(data), amount)

    async def limit_payments(self, sessions_per_hour: int, failures: int,
                             cooldown: timedelta) -> None:
        """STARPORT_MAX_SESSIONS_PER_HOUR and friends, applied to the running server (there is
        no API for them; restarting would lose the sandboxes' state)."""
        deps = self.server.runtime.deps
        deps.settings = replace(deps.settings, limits=PaymentLimits(
            max_sessions=sessions_per_hour, max_failures=failures, cooldown=cooldown))

    # -- support ---------------------------------------------------------------------------

    async def open_support_group(self, agent: Person) -> None:
        """STARPORT_SUPPORT_CHAT_ID, applied to the running server (as the limits are)."""
        self._user(agent)
        self.actor.create_group(SUPPORT_CHAT_ID, "Support", members=(agent.telegram_id,))
        deps = self.server.runtime.deps
        deps.settings = replace(deps.settings, support_chat_id=SUPPORT_CHAT_ID)

    async def support_group_texts(self) -> list[str]:
        await self.server.settle()
        return [m["text"] for m in self.actor.messages(SUPPORT_CHAT_ID)]

    async def reply_in_support_group(self, agent: Person, text: str, to: str) -> None:
        await self.server.settle()
        replied = [m for m in self.actor.messages(SUPPORT_CHAT_ID) if to in m["text"]][-1]
        await self._delivered(await self.actor.send_to_group(
            agent.telegram_id, SUPPORT_CHAT_ID, text, reply_to_message_id=replied["message_id"]))

    # -- Telegram's side of Stars payments -------------------------------------------------

    async def pay_with_lost_update(self, tg_user: Person, session: Session) -> PaymentAttempt:
        self._user(tg_user)
        how = tg.payable(self.actor, tg_user.telegram_id, session, via_link=False, amount=None)
        with tg.payment_update_lost(self.actor):
            outcome = await self.actor.pay_invoice(tg_user.telegram_id, **how)
        await self.server.settle()
        if outcome.status == "refused":
            return PaymentAttempt(accepted=False, refusal_shown=outcome.error_message)
        assert outcome.ok, outcome.to_json()
        return PaymentAttempt(accepted=True, credited=False)

    async def renew_subscription(self, tg_user: Person) -> None:
        charge = tg.subscription_charge(self.actor, tg_user.telegram_id)
        outcome = await self.actor.renew_subscription(tg_user.telegram_id, charge)
        assert outcome.ok and outcome.payment, outcome.to_json()
        await self.server.settle()
        assert outcome.payment["status"] == "delivered", outcome.payment

    async def cancel_subscription(self, tg_user: Person) -> None:
        tg.cancel_subscriptions(self.actor, tg_user.telegram_id)

    async def telegram_fails_sending(self, times: int) -> None:
        """The next sends answer 500 (after Telegram may have got them: never resent at once)."""
        self.server.telegram.faults.inject("sendMessage", times, 500)

    # -- the patrons' channel --------------------------------------------------------------

    async def make_patron_for(self, tg_user: Person, period: timedelta) -> InviteLink | None:
        return await self._patron(tg_user, self.server.clock.now() + period)

    async def _patron(self, tg_user: Person, until: datetime | None) -> InviteLink | None:
        self._user(tg_user)
        body: dict[str, Any] = {"telegramUserId": tg_user.telegram_id,
                                "userId": tg_user.user_id, "firstName": tg_user.name}
        if until is not None:
            body["until"] = until.isoformat()
        invite = (await self._call("POST", "/api/admin/patrons", body, ADMIN_AUTH))["invite"]
        await self.server.settle()
        if invite is None:
            return None
        made = self.actor.channel(CHANNEL_ID).invite_links[invite["link"]]  # as Telegram has it
        return InviteLink(invite["link"], made.member_limit or 0,
                          datetime.fromisoformat(invite["expiresAt"]))

    async def in_channel(self, tg_user: Person) -> bool:
        return self.actor.channel(CHANNEL_ID).status_of(tg_user.telegram_id) == "member"

    async def invite_revoked(self, link: str) -> bool:
        return bool(self.actor.channel(CHANNEL_ID).invite_links[link].is_revoked)

    async def set_bot_channel_admin(self, is_admin: bool) -> None:
        self.actor.set_bot_status(CHANNEL_ID, "administrator" if is_admin else "member")
