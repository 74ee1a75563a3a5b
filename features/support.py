"""What the step modules share: step argument types, the scenario's story, helpers."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any, Protocol, TypeVar, cast

from parse import with_pattern as _with_pattern
from pytest_bdd import parsers

from features.drivers.base import (
    Driver,
    Package,
    PaymentMethod,
    Person,
    Refused,
    Session,
    Shop,
)

T = TypeVar("T")


class Run(Protocol):
    """Runs a coroutine to completion on the scenario's event loop (steps are synchronous)."""

    def __call__(self, coroutine: Coroutine[Any, Any, T], /) -> T: ...


# -- step argument types -------------------------------------------------------------------

F = TypeVar("F", bound=Callable[..., Any])


def with_pattern(pattern: str) -> Callable[[F], F]:
    """`parse.with_pattern`, typed (the parse package ships no type hints)."""
    return cast(Callable[[F], F], _with_pattern(pattern))


@with_pattern(r"[A-Z][a-z]+")
def _name(text: str) -> str:
    return text


METHODS = {
    "with Telegram Stars": PaymentMethod.TELEGRAM_STARS,
    "with Crypto Pay": PaymentMethod.CRYPTO_PAY,
    "by card": PaymentMethod.CARD,
}


@with_pattern("|".join(METHODS))
def _method(text: str) -> PaymentMethod:
    return METHODS[text]


@with_pattern(r"[A-Z][A-Za-z]+")
def _package(text: str) -> str:
    return text


@with_pattern(r"\d+(?:\.\d+)?")
def _number(text: str) -> Decimal:
    return Decimal(text)


@with_pattern(r"[A-Z]{3}")
def _currency(text: str) -> str:
    return text


TYPES = {"Name": _name, "Method": _method, "Package": _package, "Number": _number,
         "Currency": _currency}


def step(text: str) -> parsers.parse:
    """A step pattern with the scenario types: {who:Name}, {package:Package},
    {method:Method} ("with Telegram Stars", "with Crypto Pay" or "by card"), {amount:Number}
    (a Decimal: "4.99") and {currency:Currency} (an ISO 4217 code: "USD")."""
    return parsers.parse(text, extra_types=TYPES)


# -- the scenario's world ----------------------------------------------------------------


@dataclass
class ShopSetup:
    """The shop as the Given steps describe it; frozen once the driver opens it."""

    packages: list[Package] = field(default_factory=list)
    payment_link_ttl: timedelta = timedelta(minutes=30)
    patrons_channel: bool = False
    join_bonus: int = 0
    opened: bool = False

    def change(self) -> ShopSetup:
        if self.opened:
            raise AssertionError("describe the shop before anything happens in the scenario")
        return self

    def package_id(self, title: str) -> str:
        found = next((p.id for p in self.packages if p.title == title), None)
        assert found is not None, f"the shop does not sell a package called {title!r}"
        return found

    def freeze(self) -> Shop:
        self.opened = True
        return Shop(
            tuple(self.packages), self.payment_link_ttl, self.patrons_channel, self.join_bonus
        )


@dataclass
class Story:
    """Who is in the scenario and what they are buying."""

    people: dict[str, Person] = field(default_factory=dict)
    purchases: dict[str, Session] = field(default_factory=dict)
    # Ids unique to this scenario, so that scenarios sharing a server or a database never meet.
    tag: str = field(default_factory=lambda: secrets.token_hex(3))
    first_telegram_id: int = field(default_factory=lambda: 5_000_000_000 + secrets.randbelow(10**9))

    def person(self, name: str) -> Person:
        if name not in self.people:
            self.people[name] = Person(
                name, f"{name.lower()}-{self.tag}", self.first_telegram_id + len(self.people)
            )
        return self.people[name]

    def purchase(self, name: str) -> Session:
        assert name in self.purchases, f"{name} has not started a purchase in this scenario"
        return self.purchases[name]


@dataclass(frozen=True)
class Outcome:
    """What came of an attempt that Starport may refuse."""

    value: Any = None
    refusal: Refused | None = None


def attempt(run: Run, action: Coroutine[Any, Any, Any]) -> Outcome:
    try:
        return Outcome(value=run(action))
    except Refused as refusal:
        return Outcome(refusal=refusal)


def bought(
    run: Run,
    driver: Driver,
    story: Story,
    shop_setup: ShopSetup,
    who: str,
    package: str,
    method: PaymentMethod,
) -> Session:
    """The whole purchase, the way its users make it: Stars and cards through the bot's deep
    link, Crypto Pay from the Mini App."""
    person = story.person(who)
    package_id = shop_setup.package_id(package)
    if method is PaymentMethod.TELEGRAM_STARS:
        session = run(driver.create_session(person, package_id, method))
        run(driver.open_deep_link(person, session))
        payment = run(driver.pay(person, session))
    elif method is PaymentMethod.CARD:
        session = run(driver.create_session(person, package_id, method))
        run(driver.open_deep_link(person, session))
        payment = run(driver.card_pay(person, session))
    else:
        session = run(driver.create_session(person, package_id, method, in_mini_app=True))
        payment = run(driver.crypto_pay(session))
    assert payment.credited, f"{who}'s purchase of {package} was not credited: {payment}"
    story.purchases[who] = session
    return session


def texts_to(run: Run, driver: Driver, person: Person) -> list[str]:
    return [m.text for m in run(driver.messages_to(person))]
