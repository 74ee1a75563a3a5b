"""The Crypto Pay balance alert: balances for the gauges, a warning while low, the admin told
once."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest

from starport.application import commands as c
from starport.application.balance_alert import WalletCheck
from starport.application.ports import AssetBalance
from starport.domain.errors import ProviderNotEnabled

ADMIN = -1009999


class Wallet:
    def __init__(self) -> None:
        self.held = {"USDT": Decimal("150"), "TON": Decimal("9")}

    async def balances(self) -> list[AssetBalance]:
        return [AssetBalance(a, v, Decimal("1.5")) for a, v in self.held.items()]


@pytest.fixture
def alerting(make_world):
    world = make_world(admin_chat_id=ADMIN,
                       balance_alerts={"USDT": Decimal("100"), "TON": Decimal("5")})
    world.wallet = Wallet()
    world.deps.wallet = world.wallet
    return world


async def test_balances_are_shown_to_observers(alerting) -> None:
    # Given an observer (the Prometheus gauges)
    seen: list[WalletCheck] = []
    alerting.bus.observe(WalletCheck, seen.append)
    # When
    counts = await alerting.handle(c.CheckWalletBalances())
    # Then
    assert counts.counts == {"assets": 2}
    assert seen == [counts]
    assert {(b.asset, b.available, b.onhold) for b in counts.balances} == {
        ("USDT", Decimal("150"), Decimal("1.5")), ("TON", Decimal("9"), Decimal("1.5"))}


async def test_the_admin_is_told_once_per_crossing(alerting, caplog) -> None:
    # Given USDT falls under its threshold
    alerting.wallet.held["USDT"] = Decimal("99.5")
    with caplog.at_level(logging.WARNING):
        first = await alerting.handle(c.CheckWalletBalances())
        second = await alerting.handle(c.CheckWalletBalances())
    # Then a warning each run, but one message to the admin
    assert first["alerts"] == 1 and second["alerts"] == 0 and second["low"] == 1
    assert sum("USDT is low" in r.getMessage() for r in caplog.records) == 2
    assert alerting.texts_to(ADMIN) == [
        "Crypto Pay balance low: 99.5 USDT available (threshold 100, on hold 1.5)."]
    # When it recovers and falls again, the admin hears of it again
    alerting.wallet.held["USDT"] = Decimal("500")
    await alerting.handle(c.CheckWalletBalances())
    alerting.wallet.held["USDT"] = Decimal("10")
    await alerting.handle(c.CheckWalletBalances())
    assert len(alerting.texts_to(ADMIN)) == 2


async def test_an_asset_missing_from_the_wallet_counts_as_zero(alerting) -> None:
    alerting.wallet.held.pop("TON")
    counts = await alerting.handle(c.CheckWalletBalances())
    assert counts["alerts"] == 1
    assert "0 TON available" in alerting.texts_to(ADMIN)[0]


async def test_without_an_admin_chat_it_only_warns(make_world) -> None:
    world = make_world(balance_alerts={"USDT": Decimal("100")})
    world.deps.wallet = Wallet()
    world.deps.wallet.held["USDT"] = Decimal("1")
    counts = await world.handle(c.CheckWalletBalances())
    assert (counts["low"], counts["alerts"]) == (1, 0)
    assert world.outbox() == []


async def test_without_crypto_pay_the_job_says_so(world) -> None:
    with pytest.raises(ProviderNotEnabled):
        await world.handle(c.CheckWalletBalances())
