"""Per-person payment limits: the host app gets a refusal, the bot says how long to wait."""

from __future__ import annotations

from datetime import timedelta

from pytest_bdd import given, scenarios, then, when

from features.drivers.base import Driver, PaymentMethod
from features.support import Outcome, Run, ShopSetup, Story, attempt, step

scenarios("chat/payment_limits.feature")


@given(step("each person may open {sessions:d} purchases an hour, and waits {minutes:d} "
            "minutes after {failures:d} failed payments"))
def limits(run: Run, driver: Driver, sessions: int, minutes: int, failures: int) -> None:
    run(driver.limit_payments(sessions, failures, timedelta(minutes=minutes)))


@when(step("{who:Name} tries to choose the {package:Package} package to pay {method:Method}"),
      target_fixture="outcome")
def tries_to_choose(run: Run, driver: Driver, story: Story, shop_setup: ShopSetup, who: str,
                    package: str, method: PaymentMethod) -> Outcome:
    return attempt(run, driver.create_session(
        story.person(who), shop_setup.package_id(package), method))


@then(step("{who:Name} is told to try again in {minutes:d} minutes"))
def told_to_wait(outcome: Outcome, who: str, minutes: int) -> None:
    assert outcome.refusal is not None, f"{who}'s purchase was opened"
    assert outcome.refusal.code == "rate_limited"
    assert outcome.refusal.message.endswith(f"try again in {minutes} minutes")


@then("the purchase is opened")
def opened(outcome: Outcome) -> None:
    assert outcome.refusal is None, outcome.refusal


@when(step("{who:Name} pays only {stars:d} Star for the invoice, twice"))
def pays_short_twice(run: Run, driver: Driver, story: Story, who: str, stars: int) -> None:
    for _ in range(2):
        payment = run(driver.pay(story.person(who), story.purchase(who), stars))
        assert not payment.accepted, payment


@then(step("{who:Name} has received {count:d} invoices in the chat"))
def invoices_received(run: Run, driver: Driver, story: Story, who: str, count: int) -> None:
    assert len(run(driver.invoices_to(story.person(who)))) == count
