"""A payment reported twice, or by both a notification and the reconciliation, counts once."""

from __future__ import annotations

from pytest_bdd import scenarios, when

from features.drivers.base import Driver, PaymentAttempt
from features.support import Run, Story, step

scenarios("payments/idempotency.feature")


@when(step("the notification of {who:Name}'s payment arrives again"), target_fixture="payment")
@when(step("the notification of {who:Name}'s payment arrives after all"), target_fixture="payment")
def notification_again(run: Run, driver: Driver, story: Story, who: str) -> PaymentAttempt:
    payment = run(driver.deliver_payment_again(story.purchase(who)))
    assert not payment.credited, "a payment already credited was credited again"
    return payment
