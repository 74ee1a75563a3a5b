"""Money value objects: Stars, crypto and fiat amounts, credits, and parsing amounts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from starport.domain.errors import InvalidAmount
from starport.domain.money import Credits, CryptoAmount, FiatAmount, Stars, parse_decimal, shown


class TestStars:
    def test_a_positive_whole_number_of_stars_is_xtr(self) -> None:
        stars = Stars(50)
        assert stars.amount == 50
        assert stars.currency == "XTR"
        assert str(stars) == "50 XTR"

    @pytest.mark.parametrize("amount", [0, -1, 1.0, 2.5, True, False, "5", Decimal("5"), None])
    def test_anything_but_a_positive_int_is_refused(self, amount: object) -> None:
        with pytest.raises(InvalidAmount):
            Stars(amount)  # type: ignore[arg-type]

    def test_equal_amounts_are_equal_values(self) -> None:
        assert Stars(5) == Stars(5)
        assert Stars(5) != Stars(6)


class TestCryptoAmount:
    def test_keeps_the_exact_decimal_and_asset(self) -> None:
        amount = CryptoAmount(Decimal("1.50"), "TON")
        assert amount.currency == "TON"
        assert str(amount) == "1.5 TON"
        assert amount == CryptoAmount(Decimal("1.5"), "TON")

    @pytest.mark.parametrize("value", [1.5, 1, "1.5"])
    def test_only_a_decimal_is_an_amount(self, value: object) -> None:
        with pytest.raises(InvalidAmount, match="Decimal"):
            CryptoAmount(value, "TON")  # type: ignore[arg-type]

    @pytest.mark.parametrize("value", ["0", "-1", "NaN", "Infinity", "-Infinity", "sNaN"])
    def test_the_amount_is_positive_and_finite(self, value: str) -> None:
        with pytest.raises(InvalidAmount):
            CryptoAmount(Decimal(value), "TON")

    @pytest.mark.parametrize("asset", ["", "ton", "To", "US-DT", "T N", "TØN!"])
    def test_the_asset_code_is_upper_case_letters_and_digits(self, asset: str) -> None:
        with pytest.raises(InvalidAmount, match="asset"):
            CryptoAmount(Decimal("1"), asset)

    def test_digits_are_allowed_in_an_asset_code(self) -> None:
        assert CryptoAmount(Decimal("1"), "USDT1").currency == "USDT1"


class TestFiatAmount:
    def test_keeps_the_exact_decimal_and_iso_code(self) -> None:
        amount = FiatAmount(Decimal("9.990"), "USD")
        assert amount.currency == "USD"
        assert str(amount) == "9.99 USD"

    @pytest.mark.parametrize("code", ["US", "USDT", "usd", "U5D", ""])
    def test_the_code_is_three_upper_case_letters(self, code: str) -> None:
        with pytest.raises(InvalidAmount, match="fiat code"):
            FiatAmount(Decimal("1"), code)

    @pytest.mark.parametrize("value", [9.99, 10])
    def test_floats_and_ints_are_refused(self, value: object) -> None:
        with pytest.raises(InvalidAmount):
            FiatAmount(value, "USD")  # type: ignore[arg-type]

    @pytest.mark.parametrize("value", ["0", "-0.01", "NaN", "Infinity"])
    def test_the_amount_is_positive_and_finite(self, value: str) -> None:
        with pytest.raises(InvalidAmount):
            FiatAmount(Decimal(value), "USD")

    def test_fiat_and_crypto_with_the_same_number_are_different_money(self) -> None:
        assert FiatAmount(Decimal("1"), "USD") != CryptoAmount(Decimal("1"), "USD")


class TestCredits:
    def test_zero_and_positive_whole_credits_add_up(self) -> None:
        assert Credits(0) + Credits(5) == Credits(5)
        assert str(Credits(7)) == "7"
        assert Credits(1) < Credits(2)

    @pytest.mark.parametrize("amount", [-1, 1.0, True])
    def test_negative_fractional_or_boolean_credits_are_refused(self, amount: object) -> None:
        with pytest.raises(InvalidAmount):
            Credits(amount)  # type: ignore[arg-type]


class TestParseDecimal:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [("1.50", Decimal("1.50")), (" 2 ", Decimal("2")), (3, Decimal("3")),
         (Decimal("0.1"), Decimal("0.1")), ("0.000000001", Decimal("0.000000001"))],
    )
    def test_parses_text_ints_and_decimals_exactly(self, text: object, expected: Decimal
                                                   ) -> None:
        parsed = parse_decimal(text)  # type: ignore[arg-type]
        assert parsed == expected
        assert isinstance(parsed, Decimal)

    def test_keeps_every_digit_of_a_long_amount(self) -> None:
        assert str(parse_decimal("0.1000000000000000055511151231257827")) == (
            "0.1000000000000000055511151231257827")

    @pytest.mark.parametrize("value", [0.1, 1.0, float("nan"), True, False])
    def test_floats_and_booleans_are_refused(self, value: object) -> None:
        with pytest.raises(InvalidAmount):
            parse_decimal(value)  # type: ignore[arg-type]

    @pytest.mark.parametrize("text", ["NaN", "nan", "sNaN", "Infinity", "-inf", "abc", "", "1,5"])
    def test_non_finite_or_malformed_text_is_refused(self, text: str) -> None:
        with pytest.raises(InvalidAmount):
            parse_decimal(text)


@pytest.mark.parametrize(("price", "text"), [
    (Stars(50), "50 ⭐"), (FiatAmount(Decimal("4.99"), "USD"), "4.99 USD"),
    (FiatAmount(Decimal("4.9"), "USD"), "4.90 USD"),
    (FiatAmount(Decimal("5"), "EUR"), "5.00 EUR"), (FiatAmount(Decimal("500"), "JPY"), "500 JPY"),
    (FiatAmount(Decimal("1.5"), "KWD"), "1.500 KWD"),
    (CryptoAmount(Decimal("1.50"), "TON"), "1.5 TON")])
def test_a_price_reads_as_telegram_shows_it(price: Stars | FiatAmount | CryptoAmount,
                                              text: str) -> None:
    assert shown(price) == text
