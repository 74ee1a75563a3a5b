"""`starport doctor`'s card check: Telegram's own judgement of the payment provider token (an
invoice link for the smallest amount), named and never printed."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from starport.adapters.telegram.errors import TelegramBadRequest
from starport.domain.catalog import Catalog, CreditPackage
from starport.domain.money import FiatAmount, Stars
from starport.domain.providers import Provider
from starport.entrypoints.config import StarportConfig
from starport.entrypoints.doctor import FAIL, OK, _cards

TOKEN = "284685063:TEST:s3cret"


@dataclass
class FakeBot:
    refuse: bool = False
    links: list[dict[str, Any]] = field(default_factory=list)

    async def create_invoice_link(self, **params: Any) -> str:
        if self.refuse:
            raise TelegramBadRequest("createInvoiceLink", 400,
                                     "Bad Request: PAYMENT_PROVIDER_INVALID")
        self.links.append(params)
        return "https://t.me/$x"


def runtime(bot: FakeBot) -> Any:
    catalog = Catalog([CreditPackage("a", "A", 10, Stars(5)),
                       CreditPackage("b", "B", 10, prices={
                           Provider.TELEGRAM_PAYMENTS: FiatAmount(Decimal("500"), "JPY")})])
    return SimpleNamespace(telegram=bot, deps=SimpleNamespace(catalog=catalog))


def config() -> StarportConfig:
    return StarportConfig(_env_file=None, payment_providers="telegram_stars,telegram_payments",
                          telegram_bot_token="1:x", telegram_payments_provider_token=TOKEN)


async def test_a_token_telegram_takes_passes_with_the_smallest_invoice_of_a_card_currency(
        ) -> None:
    bot = FakeBot()

    [check] = await _cards(config(), runtime(bot))

    assert check.status == OK and "JPY" in check.detail
    [link] = bot.links
    assert link["currency"] == "JPY" and link["provider_token"] == TOKEN
    assert link["prices"][0].amount > 0


async def test_a_token_telegram_refuses_fails_naming_the_variable_not_its_value() -> None:
    [check] = await _cards(config(), runtime(FakeBot(refuse=True)))

    assert check.status == FAIL
    assert "TELEGRAM_PAYMENTS_PROVIDER_TOKEN" in check.detail
    assert "PAYMENT_PROVIDER_INVALID" in check.detail and "s3cret" not in check.line()
