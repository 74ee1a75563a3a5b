"""The pre-checkout question: what is refused before any Stars are taken."""

from __future__ import annotations

from pytest_bdd import scenarios, then, when

from features.drivers.base import Driver, PaymentAttempt
from features.support import Run, Story, step

scenarios("payments/pre_checkout.feature")


@when(step("{payer:Name} pays the invoice {owner:Name} received"), target_fixture="payment")
def pays_someone_elses(
    run: Run, driver: Driver, story: Story, payer: str, owner: str
) -> PaymentAttempt:
    return run(driver.pay(story.person(payer), story.purchase(owner)))


@when(step("{who:Name} pays {stars:d} Stars for the invoice"), target_fixture="payment")
def pays_other_amount(
    run: Run, driver: Driver, story: Story, who: str, stars: int
) -> PaymentAttempt:
    return run(driver.pay(story.person(who), story.purchase(who), amount=stars))


@then("the payment goes ahead")
def goes_ahead(payment: PaymentAttempt) -> None:
    assert payment.accepted and payment.refusal_shown is None
    assert payment.credited
