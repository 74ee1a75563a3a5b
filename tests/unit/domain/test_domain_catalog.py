"""The credit package catalog: what can be bought, through which provider, at which price."""

from __future__ import annotations

from decimal import Decimal

import pytest

from starport.domain import ledger
from starport.domain.catalog import Catalog, CreditPackage
from starport.domain.errors import InvalidAmount, PackageUnavailable, UnknownPackage
from starport.domain.money import CryptoAmount, FiatAmount, Stars
from starport.domain.providers import Provider

TON = CryptoAmount(Decimal("1.5"), "TON")


def catalog() -> Catalog:
    return Catalog([
        CreditPackage("starter", "Starter", 100, Stars(50), TON),
        CreditPackage("stars_only", "Stars only", 20, Stars(10)),
        CreditPackage("fiat_only", "Fiat only", 30, crypto=FiatAmount(Decimal("3"), "USD")),
        CreditPackage("retired", "Retired", 5, Stars(5), active=False),
    ])


class TestCreditPackage:
    def test_a_package_has_a_price_per_provider(self) -> None:
        package = CreditPackage("starter", "Starter", 100, Stars(50), TON)
        assert package.price_for(Provider.TELEGRAM_STARS) == Stars(50)
        assert package.price_for(Provider.CRYPTOPAY) == TON

    def test_a_provider_without_a_price_cannot_sell_the_package(self) -> None:
        package = CreditPackage("stars_only", "Stars only", 20, Stars(10))
        with pytest.raises(PackageUnavailable, match="cryptopay"):
            package.price_for(Provider.CRYPTOPAY)

    def test_a_package_without_any_price_is_refused(self) -> None:
        with pytest.raises(InvalidAmount, match="no price"):
            CreditPackage("free", "Free", 10)

    @pytest.mark.parametrize("credits", [0, -5, 1.5, True])
    def test_a_package_grants_a_positive_whole_number_of_credits(self, credits: object) -> None:
        with pytest.raises(InvalidAmount, match="credits"):
            CreditPackage("p", "P", credits, Stars(1))  # type: ignore[arg-type]

    @pytest.mark.parametrize("package_id", ["", "has space", "slash/id", "x" * 49, "dot.id"])
    def test_package_ids_are_short_url_safe_names(self, package_id: str) -> None:
        with pytest.raises(InvalidAmount, match="package id"):
            CreditPackage(package_id, "Title", 1, Stars(1))

    def test_a_package_id_of_48_safe_characters_is_fine(self) -> None:
        # 48 keeps "buy:<id>" within Telegram's 64-byte callback_data
        assert CreditPackage("a-_9" * 12, "Title", 1, Stars(1)).id == "a-_9" * 12

    def test_a_package_needs_a_title(self) -> None:
        with pytest.raises(InvalidAmount, match="title"):
            CreditPackage("p", "", 1, Stars(1))


class TestCatalog:
    def test_lists_packages_in_configuration_order_and_only_active_ones_for_sale(self) -> None:
        cat = catalog()
        assert [p.id for p in cat] == ["starter", "stars_only", "fiat_only", "retired"]
        assert len(cat) == 4
        assert [p.id for p in cat.active()] == ["starter", "stars_only", "fiat_only"]

    def test_an_unknown_package_is_refused(self) -> None:
        with pytest.raises(UnknownPackage, match="nope"):
            catalog().get("nope")
        with pytest.raises(UnknownPackage):
            catalog().purchasable("nope", Provider.TELEGRAM_STARS)

    def test_an_inactive_package_cannot_be_bought(self) -> None:
        with pytest.raises(PackageUnavailable, match="no longer on sale"):
            catalog().purchasable("retired", Provider.TELEGRAM_STARS)

    def test_an_inactive_package_can_still_be_looked_up(self) -> None:
        # sessions opened before the package was retired still need its title
        assert catalog().get("retired").title == "Retired"

    def test_a_package_is_purchasable_only_through_a_provider_that_prices_it(self) -> None:
        cat = catalog()
        assert cat.purchasable("stars_only", Provider.TELEGRAM_STARS).credits == 20
        assert cat.purchasable("fiat_only", Provider.CRYPTOPAY).credits == 30
        with pytest.raises(PackageUnavailable):
            cat.purchasable("stars_only", Provider.CRYPTOPAY)
        with pytest.raises(PackageUnavailable):
            cat.purchasable("fiat_only", Provider.TELEGRAM_STARS)

    def test_duplicate_package_ids_are_refused(self) -> None:
        with pytest.raises(InvalidAmount, match="duplicate"):
            Catalog([CreditPackage("a", "A", 1, Stars(1)), CreditPackage("a", "B", 2, Stars(2))])

    def test_each_provider_has_its_own_sales_account(self) -> None:
        assert ledger.sales_account(Provider.TELEGRAM_STARS) == "sales:telegram_stars"
        assert ledger.sales_account(Provider.CRYPTOPAY) == "sales:cryptopay"
