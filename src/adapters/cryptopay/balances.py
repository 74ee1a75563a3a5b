"""`WalletBalances` over the Crypto Pay client's getBalance."""

from __future__ import annotations

from collections.abc import Sequence

from starport.adapters.cryptopay.client import CryptoPayClient
from starport.adapters.cryptopay.errors import CryptoPayError
from starport.application.ports import AssetBalance, ProviderError


class CryptoPayBalances:
    def __init__(self, client: CryptoPayClient) -> None:
        self._client = client

    async def balances(self) -> Sequence[AssetBalance]:
        try:
            found = await self._client.get_balance()
        except CryptoPayError as exc:
            raise ProviderError(f"getBalance failed: {exc}") from exc
        return [AssetBalance(b.currency_code, b.available, b.onhold) for b in found]
