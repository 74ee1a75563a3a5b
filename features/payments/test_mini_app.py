"""Buying credits with Telegram Stars through a Mini App's invoice link."""

from __future__ import annotations

from pytest_bdd import scenarios, then, when

from features.drivers.base import Driver, PaymentAttempt
from features.support import Run, Story, step

scenarios("payments/mini_app.feature")


@then(step("the Mini App has an invoice link for {who:Name}'s purchase"))
def has_invoice_link(run: Run, driver: Driver, story: Story, who: str) -> None:
    link = run(driver.session(story.purchase(who))).invoice_link
    assert link and link.startswith("https://t.me/$"), link


@when(step("{who:Name} pays through the invoice link"), target_fixture="payment")
def pays_through_link(run: Run, driver: Driver, story: Story, who: str) -> PaymentAttempt:
    return pays_for(run, driver, story, who, who)


@when(
    step("{payer:Name} pays through the invoice link of {owner:Name}'s purchase"),
    target_fixture="payment",
)
def pays_through_link_of(
    run: Run, driver: Driver, story: Story, payer: str, owner: str
) -> PaymentAttempt:
    return pays_for(run, driver, story, payer, owner)


def pays_for(run: Run, driver: Driver, story: Story, payer: str, owner: str) -> PaymentAttempt:
    person, session = story.person(payer), story.purchase(owner)
    run(driver.open_invoice_link(person, session))
    return run(driver.pay(person, session))
