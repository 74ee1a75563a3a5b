"""The Crypto Pay balance alert against the sandbox: gauges on /metrics, a warning while low,
and one message to the admin chat per crossing."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest
from tests.integration.starport_live import live_starport

ADMIN_CHAT = 7_300_000_001


async def test_balances_become_gauges_and_the_admin_hears_once(
        database_url: str, caplog: pytest.LogCaptureFixture) -> None:
    async with live_starport(database_url, cryptopay_balance_alerts="USDT:100,TON:5",
                             starport_admin_chat_id=ADMIN_CHAT) as live:
        live.actor.create_user(ADMIN_CHAT, "Admin", started=True)
        live.cryptopay.set_balance("USDT", Decimal("42.5"), Decimal("3"))
        live.cryptopay.set_balance("TON", Decimal("12"))
        # When the job runs twice while USDT is under its threshold
        with caplog.at_level(logging.WARNING):
            first = await live.run_job("cryptopay-balance-alert")
            second = await live.run_job("cryptopay-balance-alert")
        await live.settle()
        # Then the balances are gauges
        metrics = (await live.http.get("/metrics")).text
        assert 'starport_cryptopay_balance_available{asset="USDT"} 42.5' in metrics
        assert 'starport_cryptopay_balance_onhold{asset="USDT"} 3.0' in metrics
        assert 'starport_cryptopay_balance_available{asset="TON"} 12.0' in metrics
        # a warning each run, and a single message to the admin
        assert (first["counts"]["alerts"], second["counts"].get("alerts", 0)) == (1, 0)
        assert sum("USDT is low" in r.getMessage() for r in caplog.records) == 2
        assert live.texts_to(ADMIN_CHAT) == [
            "Crypto Pay balance low: 42.5 USDT available (threshold 100, on hold 3)."]
        # When it recovers and falls again, the admin is told again
        live.cryptopay.set_balance("USDT", Decimal("500"))
        await live.run_job("cryptopay-balance-alert")
        live.cryptopay.set_balance("USDT", Decimal("1"))
        await live.run_job("cryptopay-balance-alert")
        await live.settle()
        assert len(live.texts_to(ADMIN_CHAT)) == 2
        metrics = (await live.http.get("/metrics")).text
        assert 'starport_cryptopay_balance_available{asset="USDT"} 1.0' in metrics
