"""The HTTP harness: a Runtime on the in-memory adapters, the app over it, request builders."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx

from starport.adapters.catalog_toml import load_catalog
from starport.adapters.clock import FakeClock
from starport.adapters.cryptopay import sign
from starport.adapters.ids import SequentialIds
from starport.adapters.memory.events import RecordingEvents
from starport.adapters.memory.providers import FakeCryptoPayProvider, FakeStarsProvider
from starport.adapters.memory.telegram import FakeChannel, RecordingMessenger
from starport.adapters.memory.unit_of_work import MemoryDatabase
from starport.application.deps import Deps, Settings
from starport.application.messagebus import MessageBus
from starport.application.outbox import Sender
from starport.domain import ledger
from starport.domain.providers import Provider
from starport.entrypoints.config import DEFAULT_CATALOG, StarportConfig
from starport.entrypoints.http import create_app
from starport.entrypoints.http.initdata import sign_init_data
from starport.entrypoints.observability import Metrics
from starport.entrypoints.runtime import Runtime

BOT_TOKEN = "7000000001:AAtestBotTokenForHttpIntegrationXYZ"
WEBHOOK_SECRET = "tg-webhook-secret_0123456789"
CRYPTOPAY_TOKEN = "4242:AAcryptoPayTestTokenForHttp"
API_TOKEN = "api-token-0123456789abcdef"
ADMIN_TOKEN = "admin-token-0123456789abcdef"
CHANNEL_ID = -1001234567890
BOT_USERNAME = "starport_test_bot"


class StorageDown(ConnectionError):
    """What a database driver raises when the server cannot be reached."""


@dataclass
class SwitchableDatabase:
    """The in-memory database, with a switch that makes every transaction fail to begin."""

    db: MemoryDatabase = field(default_factory=MemoryDatabase)
    down: bool = False

    def __call__(self, read_only: bool = False, *, bookkeeping: bool = False) -> Any:
        if self.down:
            raise StorageDown("connection refused")
        return self.db(read_only, bookkeeping=bookkeeping)


@dataclass
class Harness:
    runtime: Runtime
    client: httpx.AsyncClient
    database: SwitchableDatabase
    clock: FakeClock
    messenger: RecordingMessenger
    channel: FakeChannel
    stars: FakeStarsProvider
    cryptopay: FakeCryptoPayProvider
    metrics: Metrics
    events: RecordingEvents
    next_update_id: int = 1000

    # -- state -----------------------------------------------------------------------------

    async def balance(self, user_id: str) -> int:
        async with self.database.db() as uow:
            return await uow.ledger.balance(ledger.user_account(user_id))

    def entries(self) -> int:
        return len(self.database.db.store.entries.rows)

    async def stored_rows(self) -> int:
        """How many rows every table holds."""
        store = self.database.db.store
        return sum(len(getattr(store, name).rows) for name in vars(store)
                   if hasattr(getattr(store, name), "rows"))

    # -- callers ---------------------------------------------------------------------------

    def init_data(self, telegram_id: int, *, age: timedelta = timedelta(0),
                  token: str = BOT_TOKEN, **extra: str) -> str:
        auth_date = int((self.clock.now() - age).timestamp())
        fields = {"auth_date": str(auth_date), "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
                  "user": json.dumps({"id": telegram_id, "first_name": "Ann"}), **extra}
        return sign_init_data(token, fields)

    def mini_app(self, telegram_id: int, **kw: Any) -> dict[str, str]:
        return {"Authorization": f"tma {self.init_data(telegram_id, **kw)}"}

    async def create_session(self, user_id: str = "u1", method: str = "telegram",
                             package: str = "starter", **extra: Any) -> dict[str, Any]:
        response = await self.client.post(
            "/api/payments/create-session", headers=SERVER,
            json={"packageId": package, "paymentMethod": method, "userId": user_id, **extra})
        assert response.status_code == 201, response.text
        return response.json()

    # -- Telegram --------------------------------------------------------------------------

    def update(self, **body: Any) -> dict[str, Any]:
        self.next_update_id += 1
        return {"update_id": self.next_update_id, **body}

    async def send_update(self, update: dict[str, Any], secret: str | None = WEBHOOK_SECRET
                          ) -> httpx.Response:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        return await self.client.post("/api/telegram/webhook", json=update, headers=headers)

    # -- Crypto Pay ------------------------------------------------------------------------

    def invoice_paid(self, session: dict[str, Any], *, paid_amount: str | None = None,
                     age: timedelta = timedelta(0), update_id: int = 1) -> bytes:
        invoice_id = int(self.invoice_id_of(session))
        now = self.clock.now()
        payload: dict[str, Any] = {
            "invoice_id": invoice_id, "hash": f"IV{invoice_id}", "status": "paid",
            "amount": session["amount"], "created_at": now.isoformat(),
            "paid_at": now.isoformat(), "payload": session["sessionId"],
        }
        if session["currency"] in ("USD", "EUR"):
            payload |= {"currency_type": "fiat", "fiat": session["currency"],
                        "paid_asset": "USDT", "paid_fiat_rate": "1",
                        "paid_amount": paid_amount or session["amount"]}
        else:
            payload |= {"currency_type": "crypto", "asset": session["currency"],
                        "paid_asset": session["currency"],
                        "paid_amount": paid_amount or session["amount"]}
        body = {"update_id": update_id, "update_type": "invoice_paid",
                "request_date": (now - age).isoformat(), "payload": payload}
        return json.dumps(body).encode()

    def invoice_id_of(self, session: dict[str, Any]) -> str:
        return next(i.invoice_id for i in self.cryptopay.invoices.values()
                    if i.session_id == session["sessionId"])

    async def send_cryptopay(self, body: bytes, signature: str | None = None,
                             token: str = CRYPTOPAY_TOKEN) -> httpx.Response:
        signature = sign(token, body) if signature is None else signature
        return await self.client.post("/api/cryptopay/webhook", content=body, headers={
            "crypto-pay-api-signature": signature, "content-type": "application/json"})


def outcome(response: httpx.Response) -> str:
    """What came of an update: every webhook answer says it in a header (the body may be the
    Bot API call that answers Telegram)."""
    return response.headers["x-starport-outcome"]


SERVER = {"Authorization": f"Bearer {API_TOKEN}"}
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def make_config(**overrides: Any) -> StarportConfig:
    values: dict[str, Any] = {
        "telegram_bot_token": BOT_TOKEN, "telegram_bot_username": BOT_USERNAME,
        "telegram_webhook_secret": WEBHOOK_SECRET, "telegram_channel_id": CHANNEL_ID,
        "cryptopay_api_token": CRYPTOPAY_TOKEN, "payment_providers": "telegram_stars,cryptopay",
        "starport_api_token": API_TOKEN, "starport_admin_token": ADMIN_TOKEN,
        "starport_sandbox": False, "starport_repository": "memory",
        "cryptopay_webhook_tolerance_seconds": 300, "starport_initdata_max_age_seconds": 3600,
    }
    return StarportConfig(_env_file=None, **(values | overrides))  # type: ignore[call-arg]


def make_harness(config: StarportConfig, client_factory: Any = None) -> Harness:
    database = SwitchableDatabase()
    clock, messenger, channel = FakeClock(), RecordingMessenger(), FakeChannel()
    stars, cryptopay = FakeStarsProvider(), FakeCryptoPayProvider()
    events = RecordingEvents()
    deps = Deps(
        uow=database, clock=clock, ids=SequentialIds(), catalog=load_catalog(DEFAULT_CATALOG),
        providers={Provider.TELEGRAM_STARS: stars, Provider.CRYPTOPAY: cryptopay},
        messenger=messenger, channel=channel,
        settings=Settings(bot_username=BOT_USERNAME, channel_id=CHANNEL_ID,
                          join_bonus_credits=50, events_enabled=True),
        events=events,
    )

    async def ping() -> None:
        async with database():
            pass

    sender = Sender(deps, deps.settings.outbox_lease)  # bot messages go out before the answer
    database.db.sender = sender
    runtime = Runtime(config=config, deps=deps, bus=MessageBus(deps, settle=sender.drain),
                      ping=ping, sender=sender)
    metrics = Metrics()
    app = create_app(runtime, metrics)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
    return Harness(runtime, client, database, clock, messenger, channel, stars, cryptopay,
                   metrics, events)


def private_message(user_id: int, text: str, first_name: str = "Ann") -> dict[str, Any]:
    person = {"id": user_id, "is_bot": False, "first_name": first_name}
    return {"message_id": 1, "date": 1767268800, "text": text, "from": person,
            "chat": {"id": user_id, "type": "private", "first_name": first_name}}


def pre_checkout(query_id: str, payer: int, session_id: str, total: int,
                 currency: str = "XTR") -> dict[str, Any]:
    return {"id": query_id, "from": {"id": payer, "is_bot": False, "first_name": "Ann"},
            "currency": currency, "total_amount": total, "invoice_payload": session_id}


def successful_payment(payer: int, session_id: str, total: int, charge_id: str,
                       currency: str = "XTR") -> dict[str, Any]:
    message = private_message(payer, "")
    del message["text"]
    message["successful_payment"] = {
        "currency": currency, "total_amount": total, "invoice_payload": session_id,
        "telegram_payment_charge_id": charge_id, "provider_payment_charge_id": "",
    }
    return message


