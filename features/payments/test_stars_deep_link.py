"""Buying credits with Telegram Stars through the bot's deep link."""

from __future__ import annotations

from pytest_bdd import scenarios, then

from features.drivers.base import Driver
from features.support import Run, Story, step

scenarios("payments/stars_deep_link.feature")


@then(step('the bot sends {who:Name} an invoice for {stars:d} Stars titled "{title}"'))
def invoice_in_chat(
    run: Run, driver: Driver, story: Story, who: str, stars: int, title: str
) -> None:
    invoices = run(driver.invoices_to(story.person(who)))
    assert [(i.title, i.amount) for i in invoices if i.currency == "XTR"] == [(title, stars)]


@then(step("the bot sends {who:Name} no invoice"))
def no_invoice(run: Run, driver: Driver, story: Story, who: str) -> None:
    assert run(driver.invoices_to(story.person(who))) == []
