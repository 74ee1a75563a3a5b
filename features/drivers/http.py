"""The HTTP driver: each scenario gets a Starport server of its own over real loopback HTTP,
with the sandbox Telegram and Crypto Pay playing the users, and talks to it only over HTTP.

The host app calls the REST API (API token, or `tma` initData from the Mini App); admins call
the admin API; users act in the sandboxes, which call Starport's webhooks as the real services
do (a deep link is `/start pay_<id>` sent to the bot, a payment is a pre_checkout_query answered
before the successful_payment, joining is a chat_member update). What the bot said is read from
what the sandbox recorded. Storage: SQLite (or PostgreSQL, or memory before `adapters.sql`).
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from features.drivers import http_api as api
from features.drivers import http_cryptopay as cp
from features.drivers import http_database as db
from features.drivers import http_telegram as tg
from features.drivers.base import (
    Balance,
    ChatInvoice,
    ChatMessage,
    Driver,
    InviteLink,
    Job,
    JobReport,
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
from features.drivers.http_catalog import write_catalog
from features.drivers.http_chat import CHANNEL_ID, ChatActions
from features.drivers.http_server import (
    ADMIN_AUTH,
    SERVER_AUTH,
    Server,
    mini_app_auth,
    running_server,
)
from starport.sandbox.cryptopay import WebhookMode

PROVIDERS = "telegram_stars,cryptopay,telegram_payments"  # every provider, cards last
GOOD_CARD = "4242 4242 4242 4242"  # a test card the sandbox's payment provider charges


class HttpDriver(ChatActions, Driver):
    """On SQLite when `adapters.sql` is there, else in memory."""

    repository = "sqlite"

    def __init__(self, database_url: str | None = None) -> None:
        self.database_url = database_url  # PostgreSQL: the session's database

    async def start(self, shop: Shop) -> None:
        self._folder = Path(tempfile.mkdtemp(prefix="starport-bdd-"))
        self._stack = contextlib.AsyncExitStack()
        self._stack.callback(shutil.rmtree, self._folder, ignore_errors=True)
        self._mini_app: set[int] = set()  # Telegram ids that bought through the Mini App
        self._opened: set[tuple[int, str]] = set()  # (payer, session) invoice links opened
        self._notices: dict[str, Any] = {}  # session id -> the last payment update sent
        self._refunds: dict[str, dict[str, Any]] = {}  # session id -> refunded_payment message
        self.server: Server = await self._stack.enter_async_context(running_server(
            write_catalog(shop.packages, self._folder / "catalog.toml"),
            await self._database(),
            telegram_channel_id=CHANNEL_ID if shop.patrons_channel else None,
            starport_join_bonus_credits=shop.join_bonus,
            starport_session_ttl_minutes=max(1, int(shop.payment_link_ttl.total_seconds() // 60)),
            payment_providers=PROVIDERS,
        ))
        self.actor = self.server.actor()

    async def _database(self) -> str | None:
        if self.repository == "postgres":
            assert self.database_url, "the PostgreSQL driver needs the session's database"
            await db.empty_postgres(self.database_url)
            return self.database_url
        return db.sqlite_url(self._folder) if db.SQL_AVAILABLE else None

    async def close(self) -> None:
        await self._stack.aclose()

    # -- buying ----------------------------------------------------------------------------

    async def create_session(
        self, user: Person, package: str, method: PaymentMethod, *, in_mini_app: bool = False
    ) -> Session:
        body: dict[str, Any] = {"packageId": package, "paymentMethod": method.value}
        if in_mini_app:  # the Mini App acts for its own Telegram user, from signed initData
            self._user(user)
            self._mini_app.add(user.telegram_id)
            headers = mini_app_auth(self.server.init_data(user.telegram_id, user.name))
        else:
            headers, body["userId"] = SERVER_AUTH, user.user_id
        return api.session(await self._call("POST", "/api/payments/create-session", body,
                                            headers))

    async def session(self, session: Session) -> Session:
        return api.session(await self._call("GET", f"/api/payments/sessions/{session.id}"))

    async def open_deep_link(self, tg_user: Person, session: Session) -> None:
        self._user(tg_user)
        start = tg.start_parameter(session.deep_link, session.id)
        await self._delivered(await self.actor.send_text(tg_user.telegram_id, f"/start {start}"))

    async def open_invoice_link(self, tg_user: Person, session: Session) -> None:
        if not (await self.session(session)).invoice_link:
            raise Refused("no_invoice_link", f"purchase {session.id} has no invoice link")
        self._opened.add((tg_user.telegram_id, session.id))

    async def pay(
        self, tg_user: Person, session: Session, amount: int | None = None
    ) -> PaymentAttempt:
        return await self._pay_in_telegram(tg_user, session, "stars", amount=amount)

    async def card_pay(
        self, tg_user: Person, session: Session, amount: Decimal | None = None,
        currency: str | None = None, card: str | None = None,
    ) -> PaymentAttempt:
        """The sandbox user pays the invoice by card: the pre-checkout, then the provider's
        charge, then the successful_payment (none when the card is declined)."""
        total = None
        if amount is not None:
            total = smallest_units(amount, currency or session.currency)
        return await self._pay_in_telegram(tg_user, session, "card", amount=total,
                                           currency=currency, card=card or GOOD_CARD)

    async def _pay_in_telegram(self, tg_user: Person, session: Session, kind: str, *,
                               amount: int | None, currency: str | None = None,
                               card: str | None = None) -> PaymentAttempt:
        self._user(tg_user)
        via_link = (tg_user.telegram_id, session.id) in self._opened
        how = tg.payable(self.actor, tg_user.telegram_id, session, via_link=via_link,
                         amount=amount, currency=currency)
        before = await self.session(session)
        outcome = await self.actor.pay_invoice(tg_user.telegram_id, card=card, **how)
        await self.server.settle()
        if outcome.status == "refused":
            return PaymentAttempt(accepted=False, refusal_shown=outcome.error_message)
        if outcome.status == "declined":
            return PaymentAttempt(accepted=True, declined=True)
        assert outcome.ok, f"Telegram could not complete the payment: {outcome.to_json()}"
        assert outcome.payment and outcome.payment["status"] == "delivered", outcome.payment
        self._notices[session.id] = (kind, outcome.payment["update"]["message"])
        return PaymentAttempt(accepted=True, credited=await self._credited(before))

    async def crypto_pay(
        self, session: Session, amount: Decimal | None = None, lose_webhook: bool = False
    ) -> PaymentAttempt:
        invoice = cp.invoice_of(self.server.cryptopay, session.id)
        before = await self.session(session)
        mode = WebhookMode.DROP if lose_webhook else WebhookMode.DELIVER
        deliveries = await cp.pay(self.server.cryptopay, invoice, amount, mode)
        await self.server.settle()
        cp.check_delivered(deliveries)
        self._notices[session.id] = ("cryptopay", invoice.invoice_id)
        return PaymentAttempt(accepted=True, credited=await self._credited(before))

    async def deliver_payment_again(self, session: Session) -> PaymentAttempt:
        """Crypto Pay sends its invoice_paid update again; Telegram sends the successful_payment
        message again as a new update (past the update_id check, down to the charge id)."""
        before = await self.session(session)
        kind, notice = self._notices[session.id]
        if kind == "cryptopay":
            cp.check_delivered(await self.server.cryptopay.redeliver(notice))
        else:
            await self._delivered(await self.actor.bot.hub.publish("message", notice))
        await self.server.settle()
        return PaymentAttempt(accepted=True, credited=await self._credited(before))

    async def money_returned(self, session: Session) -> bool:
        kind, notice = self._notices.get(session.id, ("", None))
        if kind == "cryptopay":
            return cp.refunded(self.server.cryptopay, notice)
        if kind != "stars":
            return False
        charge = self.actor.bot.charges[notice["successful_payment"]["telegram_payment_charge_id"]]
        return charge.refunded_at is not None

    async def allow_crypto_transfers(self, allowed: bool) -> None:
        cp.allow_transfers(self.server.cryptopay, allowed)

    async def crypto_transfers(self) -> list[tuple[int, str]]:
        return cp.transfers(self.server.cryptopay)

    async def _credited(self, before: Session) -> bool:
        """Credited by this very notification: the purchase turned paid just now."""
        return before.status != "paid" and (await self.session(before)).status == "paid"

    # -- refunds ---------------------------------------------------------------------------

    async def admin_refund(self, session: Session) -> RefundReceipt:
        data = await self._call("POST", f"/api/admin/payments/{session.id}/refund", {},
                                ADMIN_AUTH)
        return RefundReceipt(data["credits"], data["debt"], data["alreadyRefunded"])

    async def record_refund(self, session: Session) -> RefundReceipt:
        data = await self._call("POST", f"/api/admin/payments/{session.id}/refund-recorded",
                                {}, ADMIN_AUTH)
        return RefundReceipt(data["credits"], data["debt"], data["alreadyRefunded"])

    async def provider_refund(self, session: Session) -> RefundReceipt:
        """The user gets their Stars back from Telegram, which sends a refunded_payment
        message; a second report of it is that message again."""
        kind, notice = self._notices[session.id]
        assert kind == "stars", "only Telegram refunds payments on its own"
        before = await self.session(session)
        charge_id = notice["successful_payment"]["telegram_payment_charge_id"]
        if session.id in self._refunds:
            delivery = await self.actor.bot.hub.publish("message", self._refunds[session.id])
        else:
            delivery = await self.actor.request_refund(notice["from"]["id"], charge_id)
            self._refunds[session.id] = delivery.update["message"]
        await self._delivered(delivery)
        replayed = before.status == "refunded"
        debt = (await self._balance(session.user_id)).debt
        return RefundReceipt(0 if replayed else session.credits, debt, replayed)

    # -- credits ---------------------------------------------------------------------------

    async def spend(self, user: Person, credits: int, key: str, reason: str = "") -> SpendReceipt:
        data = await self._call("POST", f"/api/users/{self._account(user)}/spend",
                                {"credits": credits, "idempotencyKey": key, "reason": reason})
        return SpendReceipt(data["balance"], data["replayed"])

    async def balance(self, user: Person) -> Balance:
        return await self._balance(self._account(user))

    async def _balance(self, user_id: str) -> Balance:
        data = await self._call("GET", f"/api/users/{user_id}/balance")
        return Balance(data["balance"], data["debt"])

    async def statement(self, user: Person) -> list[StatementLine]:
        data = await self._call("GET", f"/api/users/{self._account(user)}/ledger?limit=500")
        return [StatementLine(e["kind"], e["amount"], e["memo"]) for e in data["entries"]]

    def _account(self, user: Person) -> str:
        """The host app's id for the user; a Mini App user is known by their Telegram id."""
        return str(user.telegram_id) if user.telegram_id in self._mini_app else user.user_id

    # -- the chat --------------------------------------------------------------------------

    async def messages_to(self, tg_user: Person) -> list[ChatMessage]:
        await self.server.settle()
        return tg.chat_messages(self.actor, tg_user.telegram_id)

    async def invoices_to(self, tg_user: Person) -> list[ChatInvoice]:
        await self.server.settle()
        return tg.chat_invoices(self.actor, tg_user.telegram_id)

    # -- the patrons' channel --------------------------------------------------------------

    async def make_patron(self, tg_user: Person) -> InviteLink | None:
        return await self._patron(tg_user, None)

    async def join_channel(self, tg_user: Person) -> None:
        links = [b.url for m in await self.messages_to(tg_user) for b in m.buttons if b.url]
        await self._delivered(await self.actor.join_channel(
            tg_user.telegram_id, CHANNEL_ID, invite_link=links[-1] if links else None))

    async def leave_channel(self, tg_user: Person) -> None:
        await self._delivered(await self.actor.leave_channel(tg_user.telegram_id, CHANNEL_ID))

    async def request_to_join(self, tg_user: Person) -> bool:
        self._user(tg_user)
        await self._delivered(await self.actor.request_join(tg_user.telegram_id, CHANNEL_ID))
        answer = tg.join_answer(self.actor, tg_user.telegram_id)
        assert answer is not None, "the bot did not answer the join request"
        return answer

    # -- admin -----------------------------------------------------------------------------

    async def edit_bot_message(self, key: str, text: str, language: str | None = None) -> str:
        query = f"?language={language}" if language else ""
        data = await self._call("PUT", f"/api/admin/bot-messages/{key}{query}",
                                {"template": text}, ADMIN_AUTH)
        return str(data["template"])

    async def bot_message(self, key: str) -> str:
        data = await self._call("GET", f"/api/admin/bot-messages/{key}", None, ADMIN_AUTH)
        return str(data["template"])

    # -- time and jobs ---------------------------------------------------------------------

    async def advance_time(self, delta: timedelta) -> None:
        self.server.advance(delta)

    async def run_job(self, job: Job) -> JobReport:
        data = await self._call("POST", f"/api/admin/jobs/{job.value}/run", None, ADMIN_AUTH)
        await self.server.settle()
        return JobReport(job, dict(data["counts"]))

    # -- plumbing --------------------------------------------------------------------------

    async def _call(self, method: str, path: str, body: Any = None,
                    headers: dict[str, str] | None = None) -> Any:
        return await api.call(self.server.http, method, path, headers or SERVER_AUTH, body)

    def _user(self, person: Person) -> None:
        """The person's Telegram account (one who has opened the bot before, so it may write)."""
        if person.telegram_id not in self.actor.world.users:
            self.actor.create_user(person.telegram_id, person.name, started=True,
                                   language_code=person.language or "en")

    async def _delivered(self, delivery: Any) -> None:
        """The update reached Starport and it answered 2xx (else Telegram would retry)."""
        await self.server.settle()
        assert delivery.status == "delivered", f"update not accepted: {delivery.to_json()}"


class HttpPostgresDriver(HttpDriver):
    """The same, on a PostgreSQL database of the test session, emptied before each scenario."""

    repository = "postgres"
