"""The Crypto Pay balance alert: read the wallet, publish the balances, and tell the admin once
each time an asset falls under its threshold (the state per asset is kept in cursors)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal

from starport.application import commands as c
from starport.application.deps import Deps
from starport.application.effects import OutboxItem, SendText
from starport.application.notify import load_message
from starport.application.ports import AssetBalance
from starport.application.unit_of_work import UnitOfWork
from starport.application.views import JobCounts
from starport.domain.errors import ProviderNotEnabled

log = logging.getLogger(__name__)
CURSOR = "cryptopay-balance-alert:"


@dataclass
class WalletCheck(JobCounts):
    """The job's counts, with the balances it read (for observers: the Prometheus gauges)."""

    balances: tuple[AssetBalance, ...] = field(default=())


async def check_wallet_balances(deps: Deps, cmd: c.CheckWalletBalances) -> WalletCheck:
    if deps.wallet is None:
        raise ProviderNotEnabled("Crypto Pay is not enabled: no wallet to read")
    balances = tuple(await deps.wallet.balances())
    counts = WalletCheck(balances=balances)
    counts.add("assets", len(balances))
    by_asset = {b.asset: b for b in balances}
    async with deps.uow() as uow:
        for asset, threshold in sorted(deps.settings.balance_alerts.items()):
            found = by_asset.get(asset) or AssetBalance(asset, Decimal(0), Decimal(0))
            await _watch(deps, uow, found, threshold, counts)
        await uow.commit()
    return counts


async def _watch(deps: Deps, uow: UnitOfWork, balance: AssetBalance, threshold: Decimal,
                 counts: JobCounts) -> None:
    name = CURSOR + balance.asset
    state, _, number = (await uow.cursors.get(name) or "ok:0").partition(":")
    crossings = int(number or 0)
    low = balance.available < threshold
    if low:
        counts.add("low")
        log.warning("Crypto Pay balance of %s is low: %s available, threshold %s",
                    balance.asset, balance.available, threshold)
    if low and state != "low":
        crossings += 1
        await uow.cursors.set(name, f"low:{crossings}")
        if deps.settings.admin_chat_id is not None:
            message = await load_message(uow, "balance_low",
                                         deps.settings.languages_for(None))
            text = message.render(asset=balance.asset, available=balance.available,
                                  onhold=balance.onhold, threshold=threshold)
            # Two instances running the job at once: the second insert conflicts and, retried,
            # sees this crossing already noted.
            await uow.queue(OutboxItem.now(
                deps.ids.new_id(), deps.settings.admin_chat_id,
                SendText(text, message.parse_mode), deps.clock.now(),
                dedupe_key=f"balance-low:{balance.asset}:{crossings}"))
            counts.add("alerts")
    elif not low and state == "low":
        log.info("Crypto Pay balance of %s is back above %s", balance.asset, threshold)
        await uow.cursors.set(name, f"ok:{crossings}")
