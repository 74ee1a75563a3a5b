"""The credit package catalog: what a user can buy and at which price per provider."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from starport.domain.errors import InvalidAmount, PackageUnavailable, UnknownPackage
from starport.domain.money import CryptoAmount, FiatAmount, Price, Stars
from starport.domain.providers import Provider


@dataclass(frozen=True, slots=True)
class CreditPackage:
    """A package of credits with a price per provider (`prices`); a package without a price
    for a provider cannot be bought through that provider. `stars` and `crypto` are shorthands
    for the Telegram Stars and the Crypto Pay price, kept equal to `prices`."""

    id: str
    title: str
    credits: int
    stars: Stars | None = None
    crypto: CryptoAmount | FiatAmount | None = None
    description: str = ""
    active: bool = True
    subscription: bool = False  # a monthly Star subscription that makes the buyer a patron
    prices: Mapping[Provider, Price] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        # 48 characters keep "buy:<id>" inside Telegram's 64-byte callback_data.
        if not self.id or len(self.id) > 48 or not all(c.isalnum() or c in "-_" for c in self.id):
            raise InvalidAmount(f"package id must be 1-48 letters, digits, '-' or '_': {self.id!r}")
        if isinstance(self.credits, bool) or not isinstance(self.credits, int) or self.credits <= 0:
            raise InvalidAmount(f"package {self.id} must grant a positive number of credits")
        if not self.title:
            raise InvalidAmount(f"package {self.id} has no title")
        prices = dict(self.prices)
        for provider, shorthand in ((Provider.TELEGRAM_STARS, self.stars),
                                    (Provider.CRYPTOPAY, self.crypto)):
            if shorthand is None:
                continue
            if prices.get(provider, shorthand) != shorthand:
                raise InvalidAmount(f"package {self.id} has two prices for {provider}")
            prices[provider] = shorthand
        if not prices:
            raise InvalidAmount(f"package {self.id} has no price")
        for provider, price in prices.items():
            if not isinstance(price, PRICE_KINDS[provider]):
                raise InvalidAmount(f"package {self.id}: a {provider} price is "
                                    f"{PRICE_NAMES[provider]}, not {price!r}")
        if self.subscription and not all(isinstance(p, Stars) for p in prices.values()):
            raise InvalidAmount(f"subscription package {self.id} is priced in Stars only")
        object.__setattr__(self, "prices", MappingProxyType(prices))
        object.__setattr__(self, "stars", prices.get(Provider.TELEGRAM_STARS))
        object.__setattr__(self, "crypto", prices.get(Provider.CRYPTOPAY))

    def price_for(self, provider: Provider) -> Price:
        price = self.prices.get(provider)
        if price is None:
            raise PackageUnavailable(f"package {self.id} cannot be bought with {provider.value}")
        return price


# What each provider charges in.
PRICE_KINDS: dict[Provider, type | tuple[type, ...]] = {
    Provider.TELEGRAM_STARS: Stars,
    Provider.CRYPTOPAY: (CryptoAmount, FiatAmount),
    Provider.TELEGRAM_PAYMENTS: FiatAmount,
}
PRICE_NAMES = {Provider.TELEGRAM_STARS: "a whole number of Stars",
               Provider.CRYPTOPAY: "a crypto asset or a fiat amount",
               Provider.TELEGRAM_PAYMENTS: "a fiat amount (ISO 4217 currency)"}


class Catalog:
    """The packages on sale, keyed by id (order kept for display)."""

    def __init__(self, packages: Iterable[CreditPackage]) -> None:
        self._packages: dict[str, CreditPackage] = {}
        for package in packages:
            if package.id in self._packages:
                raise InvalidAmount(f"duplicate package id {package.id}")
            self._packages[package.id] = package

    def __iter__(self) -> Iterator[CreditPackage]:
        return iter(self._packages.values())

    def __len__(self) -> int:
        return len(self._packages)

    def active(self) -> list[CreditPackage]:
        return [p for p in self._packages.values() if p.active]

    def get(self, package_id: str) -> CreditPackage:
        try:
            return self._packages[package_id]
        except KeyError:
            raise UnknownPackage(f"unknown package {package_id!r}") from None

    def purchasable(self, package_id: str, provider: Provider) -> CreditPackage:
        """The package if it is on sale through `provider`, else a typed error."""
        package = self.get(package_id)
        if not package.active:
            raise PackageUnavailable(f"package {package_id} is no longer on sale")
        package.price_for(provider)
        return package
