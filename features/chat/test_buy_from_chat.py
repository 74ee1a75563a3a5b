"""Buying from the bot's chat with /buy and the package buttons."""

from __future__ import annotations

from pytest_bdd import scenarios, then

from features.drivers.base import Driver
from features.support import Run, Story, step

scenarios("chat/buy_from_chat.feature")


@then(step('the bot offers {who:Name} the buttons "{first}" and "{second}"'))
def offers(run: Run, driver: Driver, story: Story, who: str, first: str, second: str) -> None:
    last = run(driver.messages_to(story.person(who)))[-1]
    assert [b.text for b in last.buttons] == [first, second]


@then(step('an invoice for {stars:d} Stars titled "{title}" arrives in {who:Name}\'s chat'))
def invoice_arrives(run: Run, driver: Driver, story: Story, stars: int, title: str,
                    who: str) -> None:
    invoices = run(driver.invoices_to(story.person(who)))
    assert [(i.title, i.amount) for i in invoices if i.currency == "XTR"] == [(title, stars)]
