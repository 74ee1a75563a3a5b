"""The sandbox Crypto Pay's transfer and getTransfers, called as its API handler is."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from starport.sandbox.cryptopay import SandboxCryptoPay
from starport.sandbox.cryptopay.errors import ApiError

TOKEN = "4242:AAsandboxTransfers"


@pytest.fixture
def sandbox() -> SandboxCryptoPay:
    app = SandboxCryptoPay(TOKEN, clock=lambda: datetime(2026, 12, 1, tzinfo=UTC))
    app.enable_transfers()
    return app


def call(sandbox, method, **params):
    return sandbox.handle(TOKEN, method, params, None)


def refused(sandbox, method, **params) -> ApiError:
    with pytest.raises(ApiError) as caught:
        call(sandbox, method, **params)
    return caught.value


def available(sandbox, asset):
    balances = {b["currency_code"]: b["available"] for b in call(sandbox, "getBalance")}
    return Decimal(balances[asset])


async def test_what_a_paid_invoice_earns_can_be_transferred_back(sandbox):
    created = call(sandbox, "createInvoice", asset="USDT", amount="10")
    await sandbox.pay(created["invoice_id"], webhook="drop")
    earned = available(sandbox, "USDT")  # 10 less the 3% fee

    made = call(sandbox, "transfer", user_id=5, asset="USDT", amount=str(earned), spend_id="r")

    assert earned == Decimal("9.7")
    assert made["amount"] == "9.7" and made["status"] == "completed"
    assert made["completed_at"] == "2026-12-01T00:00:00.000Z"
    assert available(sandbox, "USDT") == 0


def test_a_spend_id_is_accepted_once_whatever_comes_with_it_again(sandbox):
    sandbox.set_balance("TON", Decimal(10))
    first = call(sandbox, "transfer", user_id=5, asset="TON", amount="2", spend_id="r")

    again = call(sandbox, "transfer", user_id=6, asset="TON", amount="3", spend_id="r")

    assert again == first
    assert available(sandbox, "TON") == Decimal(8)


def test_disabled_transfers_are_method_disabled_before_anything_is_checked(sandbox):
    sandbox.enable_transfers(False)

    error = refused(sandbox, "transfer")

    assert (error.code, error.name) == (403, "METHOD_DISABLED")


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"asset": "TON", "amount": "1", "spend_id": "r"}, "PARAM_USER_ID_REQUIRED"),
        ({"user_id": "x", "asset": "TON", "amount": "1", "spend_id": "r"}, "USER_ID_INVALID"),
        ({"user_id": 5, "amount": "1", "spend_id": "r"}, "PARAM_ASSET_REQUIRED"),
        ({"user_id": 5, "asset": "TON", "spend_id": "r"}, "PARAM_AMOUNT_REQUIRED"),
        ({"user_id": 5, "asset": "TON", "amount": "1"}, "PARAM_SPEND_ID_REQUIRED"),
        ({"user_id": 5, "asset": "TON", "amount": "1", "spend_id": "r" * 65},
         "SPEND_ID_TOO_LONG"),
        ({"user_id": 5, "asset": "TON", "amount": "1", "spend_id": "r", "comment": "c" * 1025},
         "COMMENT_TOO_LONG"),
        ({"user_id": 5, "asset": "USDT", "amount": "0.99", "spend_id": "r"}, "AMOUNT_TOO_SMALL"),
        ({"user_id": 5, "asset": "TON", "amount": "20", "spend_id": "r"}, "INSUFFICIENT_FUNDS"),
    ],
)
def test_transfer_errors(sandbox, params, name):
    sandbox.set_balance("TON", Decimal(10))
    sandbox.set_balance("USDT", Decimal(10))

    error = refused(sandbox, "transfer", **params)

    assert (error.code, error.name) == (400, name)
    assert sandbox.transfers == []
    assert available(sandbox, "TON") == Decimal(10)


def test_get_transfers_pages_newest_first(sandbox):
    sandbox.set_balance("TON", Decimal(10))
    for n in range(3):
        call(sandbox, "transfer", user_id=5, asset="TON", amount="1", spend_id=f"r{n}")

    page = call(sandbox, "getTransfers", offset=1, count=1)
    by_ids = call(sandbox, "getTransfers", transfer_ids="1,3")

    assert [t["spend_id"] for t in page["items"]] == ["r1"]
    assert [t["transfer_id"] for t in by_ids["items"]] == [3, 1]
    assert refused(sandbox, "getTransfers", count=0).name == "COUNT_INVALID"
    assert refused(sandbox, "getTransfers", transfer_ids="a").name == "TRANSFER_IDS_INVALID"
