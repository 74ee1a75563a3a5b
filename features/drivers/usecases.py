"""The use-case driver: scenarios run through the message bus on the in-memory adapters.

The outside world is played by the fakes: Telegram by the recording messenger, the channel and
the Stars provider; Crypto Pay by its fake. What Telegram or Crypto Pay would send us (a
pre-checkout query, a successful payment, a webhook) becomes the command its handler would send.
"""

from __future__ import annotations

import contextlib
import itertools
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

from features.drivers.base import (
    DECLINED_CARD,
    Balance,
    Button,
    ChatInvoice,
    ChatMessage,
    Driver,
    InviteLink,
    Job,
    JobReport,
    Package,
    PaymentAttempt,
    PaymentMethod,
    Person,
    RefundReceipt,
    Refused,
    Session,
    Shop,
    SpendReceipt,
    StatementLine,
    smallest_units,
)
from starport.adapters.clock import FakeClock
from starport.adapters.ids import SequentialIds
from starport.adapters.memory.providers import (
    FakeCardProvider,
    FakeCryptoPayProvider,
    FakeStarsProvider,
)
from starport.adapters.memory.telegram import FakeChannel, RecordingMessenger
from starport.adapters.memory.unit_of_work import MemoryDatabase
from starport.application import bot_messages, credits, payments
from starport.application import commands as c
from starport.application.bot_messages import BotMessageView
from starport.application.chat import BUY_PREFIX
from starport.application.deps import Deps, Settings
from starport.application.messagebus import MessageBus
from starport.application.outbox import Sender
from starport.application.ports import (
    ChannelNotAdmin,
    InvoiceRequest,
    PaidTransaction,
    ProviderError,
    ProviderRefused,
)
from starport.application.views import SessionView
from starport.domain.catalog import Catalog, CreditPackage
from starport.domain.errors import DomainError
from starport.domain.limits import PaymentLimits
from starport.domain.money import (
    CryptoAmount,
    FiatAmount,
    Price,
    Stars,
    parse_decimal,
    price_from_minor_units,
)
from starport.domain.perks import MemberStatus
from starport.domain.providers import Provider

CHANNEL_ID = -1001234567890
SUPPORT_CHAT_ID = -1005550001
PROVIDERS = {
    PaymentMethod.TELEGRAM_STARS: Provider.TELEGRAM_STARS,
    PaymentMethod.CRYPTO_PAY: Provider.CRYPTOPAY,
    PaymentMethod.CARD: Provider.TELEGRAM_PAYMENTS,
}


class UseCaseDriver(Driver):
    async def start(self, shop: Shop) -> None:
        self.clock = FakeClock()
        self.messenger = RecordingMessenger()
        self.channel = FakeChannel()
        self.stars = FakeStarsProvider()
        self.cryptopay = FakeCryptoPayProvider()
        self.cards = FakeCardProvider()
        self._numbers = itertools.count(1)
        # The last payment notification each provider sent (or would have) per session.
        self._notices: dict[str, c.CompletePayment] = {}
        self._paid_in_chat: set[str] = set()  # invoices paid from the chat, by payload
        self.deps = Deps(
            uow=MemoryDatabase(),
            clock=self.clock,
            ids=SequentialIds(),
            catalog=Catalog(_package(p) for p in shop.packages),
            providers={Provider.TELEGRAM_STARS: self.stars, Provider.CRYPTOPAY: self.cryptopay,
                       Provider.TELEGRAM_PAYMENTS: self.cards},
            messenger=self.messenger,
            channel=self.channel,
            settings=Settings(
                session_ttl=shop.payment_link_ttl,
                channel_id=CHANNEL_ID if shop.patrons_channel else None,
                join_bonus_credits=shop.join_bonus,
            ),
        )
        # Bot messages go out right after each commit, before the command returns.
        sender = Sender(self.deps, self.deps.settings.outbox_lease)
        self.deps.uow.sender = sender  # type: ignore[attr-defined]
        self.bus = MessageBus(self.deps, settle=sender.drain)

    async def close(self) -> None:
        return None

    # -- buying ----------------------------------------------------------------------------

    async def create_session(
        self, user: Person, package: str, method: PaymentMethod, *, in_mini_app: bool = False
    ) -> Session:
        view = await self._handle(
            c.CreateSession(
                user_id=user.user_id,
                package_id=package,
                provider=PROVIDERS[method],
                telegram_user_id=user.telegram_id if in_mini_app else None,
            )
        )
        return _session(view)

    async def session(self, session: Session) -> Session:
        return _session(await self._call(payments.get_session(self.deps, session.id)))

    async def open_deep_link(self, tg_user: Person, session: Session) -> None:
        # The bot answers a link it cannot honour in the chat; like the webhook, nothing raises.
        with contextlib.suppress(Refused):
            await self._handle(
                c.StartDeepLink(session.id, tg_user.telegram_id, tg_user.telegram_id, tg_user.name,
                                language=tg_user.language)
            )

    async def open_invoice_link(self, tg_user: Person, session: Session) -> None:
        # Opening the link is between the Mini App and Telegram; Starport hears of it only at
        # the pre-checkout. The link must exist, though.
        if not (await self.session(session)).invoice_link:
            raise Refused("no_invoice_link", f"purchase {session.id} has no invoice link")

    async def pay(
        self, tg_user: Person, session: Session, amount: int | None = None
    ) -> PaymentAttempt:
        stars = int(session.amount) if amount is None else amount
        query_id = f"pcq{next(self._numbers)}"
        answer = await self._handle(
            c.ValidatePreCheckout(query_id, tg_user.telegram_id, session.id, Stars.currency, stars,
                                  language=tg_user.language)
        )  # the webhook answers Telegram with it
        if not answer.ok:
            return PaymentAttempt(accepted=False, refusal_shown=answer.error_message)
        charge_id = f"stxTEST{next(self._numbers):08d}"
        self.stars.record_payment(
            PaidTransaction(
                charge_id, session.id, Stars(stars), self.clock.now(), tg_user.telegram_id
            )
        )
        notice = c.CompletePayment(
            Provider.TELEGRAM_STARS,
            session.id,
            charge_id,
            Stars(stars),
            tg_user.telegram_id,
            tg_user.telegram_id,
            first_name=tg_user.name,
            language=tg_user.language,
        )
        return await self._notify(notice)

    async def card_pay(
        self, tg_user: Person, session: Session, amount: Decimal | None = None,
        currency: str | None = None, card: str | None = None,
    ) -> PaymentAttempt:
        """Telegram asks about the invoice's currency and total (the one in the chat, else the
        invoice link's, which is the price); the provider charges the card, then Telegram
        reports the payment with both charge ids."""
        sent = self._chat_invoice(session.id)
        code = currency or (sent.currency if sent else session.currency)
        if amount is not None or currency is not None:
            total = smallest_units(amount if amount is not None else session.amount, code)
        else:
            total = sent.amount if sent else smallest_units(session.amount, code)
        answer = await self._handle(
            c.ValidatePreCheckout(f"pcq{next(self._numbers)}", tg_user.telegram_id, session.id,
                                  code, total))
        if not answer.ok:
            return PaymentAttempt(accepted=False, refusal_shown=answer.error_message)
        if card is not None and card.replace(" ", "") == DECLINED_CARD.replace(" ", ""):
            return PaymentAttempt(accepted=True, declined=True)
        number = next(self._numbers)
        notice = c.CompletePayment(
            Provider.TELEGRAM_PAYMENTS, session.id, f"card{number:08d}",
            price_from_minor_units(code, total), tg_user.telegram_id, tg_user.telegram_id,
            provider_charge_id=f"ch_fake_{number:08d}", first_name=tg_user.name,
        )
        return await self._notify(notice)

    def _chat_invoice(self, session_id: str) -> InvoiceRequest | None:
        """The latest invoice sent into a chat for the purchase; Telegram refuses one in a real
        currency without the payment provider's token."""
        sent = next((i for i in reversed(self.messenger.invoices) if i.payload == session_id),
                    None)
        if sent is not None and sent.currency != Stars.currency:
            assert sent.provider_token, f"a {sent.currency} invoice was sent without a token"
        return sent

    async def crypto_pay(
        self, session: Session, amount: Decimal | None = None, lose_webhook: bool = False
    ) -> PaymentAttempt:
        invoice = next(
            (i for i in self.cryptopay.invoices.values() if i.session_id == session.id), None
        )
        if invoice is None:
            raise Refused("no_invoice", f"purchase {session.id} has no Crypto Pay invoice")
        tx = self.cryptopay.pay(invoice.invoice_id, self.clock.now(), amount)
        notice = c.CompletePayment(
            Provider.CRYPTOPAY, session.id, tx.charge_id, tx.paid
        )
        if lose_webhook:
            self._notices[session.id] = notice
            return PaymentAttempt(accepted=True)
        return await self._notify(notice)

    async def deliver_payment_again(self, session: Session) -> PaymentAttempt:
        return await self._notify(self._notices[session.id])

    async def money_returned(self, session: Session) -> bool:
        notice = self._notices.get(session.id)
        return notice is not None and (notice.charge_id in self.stars.refunded
                                       or notice.charge_id in self.cryptopay.transfers)

    async def allow_crypto_transfers(self, allowed: bool) -> None:
        self.cryptopay.transfers_enabled = allowed

    async def crypto_transfers(self) -> list[tuple[int, str]]:
        return [(to, str(paid)) for to, paid in self.cryptopay.transfers.values()]

    async def _notify(self, notice: c.CompletePayment) -> PaymentAttempt:
        self._notices[notice.session_id] = notice
        outcome = await self._handle(notice)
        return PaymentAttempt(accepted=True, credited=outcome.credited)

    # -- refunds ---------------------------------------------------------------------------

    async def admin_refund(self, session: Session) -> RefundReceipt:
        return _receipt(await self._handle(c.RefundPayment(session.id, requested_by="admin")))

    async def provider_refund(self, session: Session) -> RefundReceipt:
        notice = self._notices[session.id]
        return _receipt(
            await self._handle(
                c.RecordProviderRefund(notice.provider, notice.charge_id, session.id)
            )
        )

    async def record_refund(self, session: Session) -> RefundReceipt:
        return _receipt(await self._handle(c.RecordRefund(session.id, requested_by="admin")))

    # -- credits ---------------------------------------------------------------------------

    async def spend(self, user: Person, credits: int, key: str, reason: str = "") -> SpendReceipt:
        result = await self._handle(c.SpendCredits(user.user_id, credits, key, reason))
        return SpendReceipt(result.balance, result.replayed)

    async def balance(self, user: Person) -> Balance:
        view = await self._call(credits.get_balance(self.deps, user.user_id))
        return Balance(view.balance, view.debt)

    async def statement(self, user: Person) -> list[StatementLine]:
        lines = await self._call(credits.get_statement(self.deps, user.user_id))
        return [StatementLine(line.kind, line.amount, line.memo) for line in lines]

    # -- the chat --------------------------------------------------------------------------

    async def messages_to(self, tg_user: Person) -> list[ChatMessage]:
        return [
            ChatMessage(m.text, tuple(Button(b.text, b.url) for row in m.buttons for b in row))
            for m in self.messenger.messages
            if m.chat_id == tg_user.telegram_id
        ]

    async def invoices_to(self, tg_user: Person) -> list[ChatInvoice]:
        return [
            ChatInvoice(i.title, i.description, i.amount, i.currency)
            for i in self.messenger.invoices
            if i.chat_id == tg_user.telegram_id
        ]

    async def send_to_bot(self, tg_user: Person, text: str) -> None:
        # What the router makes of a private message (entrypoints/telegram/router.py).
        chat, name, language = tg_user.telegram_id, tg_user.name, tg_user.language
        supported = self.deps.settings.support_chat_id is not None
        commands: dict[str, c.Command] = {
            "/buy": c.ShowPackages(chat, name, language=language),
            "/balance": c.ReplyBalance(chat, str(tg_user.telegram_id), name,
                                       telegram_user_id=tg_user.telegram_id, language=language),
            "/start": c.Reply(chat, "bot_welcome", name, language=language),
            "/support": (c.OpenSupport(chat, chat, name, language=language) if supported
                         else c.Reply(chat, "support_info", name, language=language)),
        }
        commands["/paysupport"] = commands["/support"]
        if supported:
            commands["/done"] = c.CloseSupport(chat, chat, name, language=language)
        if not text.startswith("/"):
            await self._handle(c.WriteToSupport(chat, chat, text, name, language=language))
            return
        await self._handle(commands[text.strip()])

    async def press_button(self, tg_user: Person, text: str) -> None:
        found = next((b for m in reversed(self.messenger.messages)
                      if m.chat_id == tg_user.telegram_id for row in m.buttons for b in row
                      if b.text == text and b.callback_data), None)
        if found is None or not (found.callback_data or "").startswith(BUY_PREFIX):
            raise Refused("no_button", f"{tg_user.name} has no button {text!r}")
        query_id = f"cbq{next(self._numbers)}"
        with contextlib.suppress(Refused):  # told in the chat, as the webhook would
            await self._handle(c.BuyFromChat(
                query_id, tg_user.telegram_id, tg_user.telegram_id,
                (found.callback_data or "").removeprefix(BUY_PREFIX), tg_user.name,
                language=tg_user.language))

    async def pay_invoice_in_chat(self, tg_user: Person, amount: int | None = None
                                  ) -> PaymentAttempt:
        invoice = next((i for i in reversed(self.messenger.invoices)
                        if i.chat_id == tg_user.telegram_id
                        and i.payload not in self._paid_in_chat), None)
        if invoice is None:
            raise Refused("no_invoice", f"no unpaid invoice in {tg_user.name}'s chat")
        session = _session(await self._call(payments.get_session(self.deps, invoice.payload)))
        if invoice.currency == Stars.currency:
            attempt = await self.pay(tg_user, session, amount)
        else:
            attempt = await self.card_pay(tg_user, session)
        if attempt.accepted:
            self._paid_in_chat.add(invoice.payload)
        return attempt

    async def limit_payments(self, sessions_per_hour: int, failures: int,
                             cooldown: timedelta) -> None:
        limits = PaymentLimits(max_sessions=sessions_per_hour, max_failures=failures,
                               cooldown=cooldown)
        self.deps.settings = replace(self.deps.settings, limits=limits)

    # -- support ---------------------------------------------------------------------------

    async def open_support_group(self, agent: Person) -> None:
        self.deps.settings = replace(self.deps.settings, support_chat_id=SUPPORT_CHAT_ID)

    async def support_group_texts(self) -> list[str]:
        return [m.text for m in self.messenger.messages if m.chat_id == SUPPORT_CHAT_ID]

    async def reply_in_support_group(self, agent: Person, text: str, to: str) -> None:
        # The recording messenger's message ids are its send count (adapters/memory).
        replied = max(n for n, m in enumerate(self.messenger.messages, 1)
                      if m.chat_id == SUPPORT_CHAT_ID and to in m.text)
        await self._handle(c.AnswerFromSupport(SUPPORT_CHAT_ID, replied, agent.telegram_id,
                                               agent.name, text))

    # -- the patrons' channel --------------------------------------------------------------

    async def make_patron(self, tg_user: Person) -> InviteLink | None:
        invite = await self._handle(
            c.MakePatron(tg_user.telegram_id, user_id=tg_user.user_id, first_name=tg_user.name)
        )
        if invite is None:
            return None
        return InviteLink(invite.link, invite.member_limit, invite.expires_at)

    async def join_channel(self, tg_user: Person) -> None:
        links = [b.url for m in await self.messages_to(tg_user) for b in m.buttons if b.url]
        link = links[-1] if links else None
        self.channel.members[tg_user.telegram_id] = MemberStatus.MEMBER
        await self._handle(
            c.ObserveMembership(tg_user.telegram_id, MemberStatus.MEMBER, link, tg_user.name)
        )

    async def leave_channel(self, tg_user: Person) -> None:
        self.channel.members[tg_user.telegram_id] = MemberStatus.LEFT
        await self._handle(c.ObserveMembership(tg_user.telegram_id, MemberStatus.LEFT))

    async def request_to_join(self, tg_user: Person) -> bool:
        await self._handle(c.AnswerJoinRequest(tg_user.telegram_id))
        return self.channel.join_answers[tg_user.telegram_id]  # what Telegram was told

    # -- admin -----------------------------------------------------------------------------

    async def edit_bot_message(self, key: str, text: str, language: str | None = None) -> str:
        view: BotMessageView = await self._handle(
            c.UpdateBotMessage(key, text, None, changed_by="admin", language=language)
        )
        return view.template

    async def bot_message(self, key: str) -> str:
        view: BotMessageView = await self._call(bot_messages.get_bot_message(self.deps, key))
        return view.template

    # -- time and jobs ---------------------------------------------------------------------

    async def advance_time(self, delta: timedelta) -> None:
        self.clock.advance(delta)

    async def run_job(self, job: Job) -> JobReport:
        command: c.Command = {
            Job.EXPIRE_SESSIONS: c.ExpireSessions(),
            Job.RECONCILE_TELEGRAM_STARS: c.Reconcile(Provider.TELEGRAM_STARS),
            Job.RECONCILE_CRYPTOPAY: c.Reconcile(Provider.CRYPTOPAY),
            Job.DISPATCH_OUTBOX: c.DispatchOutbox(),
            Job.CHECK_MEMBERSHIPS: c.CheckMemberships(),
            Job.BULK_INVITE: c.BulkInvite(),
        }[job]
        counts = await self._handle(command)
        return JobReport(job, dict(counts.counts))

    # -- jobs and the patrons' channel, further --------------------------------------------

    async def pay_with_lost_update(self, tg_user: Person, session: Session) -> PaymentAttempt:
        query_id = f"pcq{next(self._numbers)}"
        stars = int(session.amount)
        answer = await self._handle(
            c.ValidatePreCheckout(query_id, tg_user.telegram_id, session.id, Stars.currency, stars)
        )
        if not answer.ok:
            return PaymentAttempt(accepted=False, refusal_shown=answer.error_message)
        charge_id = f"stxTEST{next(self._numbers):08d}"
        self.stars.record_payment(
            PaidTransaction(charge_id, session.id, Stars(stars), self.clock.now(),
                            tg_user.telegram_id)
        )
        self._notices[session.id] = c.CompletePayment(
            Provider.TELEGRAM_STARS, session.id, charge_id, Stars(stars), tg_user.telegram_id,
            tg_user.telegram_id, first_name=tg_user.name)
        return PaymentAttempt(accepted=True)

    async def renew_subscription(self, tg_user: Person) -> None:
        first = next(n for n in reversed(self._notices.values())
                     if n.payer_telegram_id == tg_user.telegram_id)
        charge_id = f"stxTEST{next(self._numbers):08d}"
        renewal = c.CompletePayment(
            Provider.TELEGRAM_STARS, first.session_id, charge_id, first.paid,
            tg_user.telegram_id, tg_user.telegram_id,
            subscription_until=self.clock.now() + timedelta(days=30), first_name=tg_user.name)
        self.stars.record_payment(PaidTransaction(
            charge_id, first.session_id, first.paid, self.clock.now(), tg_user.telegram_id))
        await self._handle(renewal)

    async def cancel_subscription(self, tg_user: Person) -> None:
        return None  # the fake Telegram charges a renewal only when a scenario asks for one

    async def make_patron_for(self, tg_user: Person, period: timedelta) -> InviteLink | None:
        invite = await self._handle(c.MakePatron(
            tg_user.telegram_id, user_id=tg_user.user_id, until=self.clock.now() + period,
            first_name=tg_user.name))
        return None if invite is None else InviteLink(invite.link, invite.member_limit,
                                                      invite.expires_at)

    async def in_channel(self, tg_user: Person) -> bool:
        return self.channel.members.get(tg_user.telegram_id) is MemberStatus.MEMBER

    async def invite_revoked(self, link: str) -> bool:
        return link in self.channel.revoked

    async def telegram_fails_sending(self, times: int) -> None:
        self.messenger.failures += times

    async def set_bot_channel_admin(self, is_admin: bool) -> None:
        self.channel.bot_is_admin = is_admin

    # -- plumbing --------------------------------------------------------------------------

    async def _handle(self, command: c.Command) -> Any:
        return await self._call(self.bus.handle(command))

    @staticmethod
    async def _call(awaitable: Any) -> Any:
        """Starport's refusals become `Refused`, as an HTTP driver turns a 4xx into one."""
        try:
            return await awaitable
        except DomainError as exc:
            raise Refused(exc.code, exc.message) from exc
        except ProviderRefused as exc:  # as the HTTP edge maps it (409 provider_refused)
            raise Refused("provider_refused", str(exc)) from exc
        except ProviderError as exc:
            raise Refused("provider_error", str(exc)) from exc
        except ChannelNotAdmin as exc:  # as the HTTP edge maps it (409 channel_not_admin)
            raise Refused("channel_not_admin", str(exc)) from exc


def _package(p: Package) -> CreditPackage:
    crypto: CryptoAmount | FiatAmount | None = None
    if p.crypto:
        amount, code = p.crypto.split()
        crypto = (
            FiatAmount(parse_decimal(amount), code)
            if code in {"USD", "EUR", "RUB"}
            else CryptoAmount(parse_decimal(amount), code)
        )
    prices: dict[Provider, Price] = {}
    if p.card:
        amount, code = p.card.split()
        prices[Provider.TELEGRAM_PAYMENTS] = FiatAmount(parse_decimal(amount), code)
    return CreditPackage(p.id, p.title, p.credits, Stars(p.stars) if p.stars else None, crypto,
                         subscription=p.subscription, prices=prices)


def _session(view: SessionView) -> Session:
    return Session(
        id=view.id,
        user_id=view.user_id,
        package=view.package_id,
        method=next(m for m, p in PROVIDERS.items() if p.value == view.provider),
        status=view.status,
        amount=Decimal(view.amount),
        currency=view.currency,
        credits=view.credits,
        expires_at=view.expires_at,
        deep_link=view.deep_link,
        invoice_link=view.invoice_link,
        pay_url=view.pay_url,
    )


def _receipt(result: Any) -> RefundReceipt:
    return RefundReceipt(result.credits, result.debt, result.already_refunded)
