"""Refunds by an admin and refunds Telegram reports."""

from __future__ import annotations

from pytest_bdd import scenarios, then, when

from features.drivers.base import Driver
from features.support import Outcome, Run, Story, step

scenarios("refunds/refunds.feature")


@when(step("Telegram reports that it refunded {who:Name}'s payment"))
def telegram_refunds(run: Run, driver: Driver, story: Story, who: str) -> None:
    run(driver.provider_refund(story.purchase(who)))


@then(step("the refund is refused because {who:Name} no longer holds the credits"))
def refund_refused(outcome: Outcome, who: str) -> None:
    assert outcome.refusal is not None, f"the refund went through: {outcome.value}"
    assert outcome.refusal.code == "insufficient_credits"


@then(step("{who:Name} gets {pronoun:w} Stars back"))
def stars_back(run: Run, driver: Driver, story: Story, who: str, pronoun: str) -> None:
    assert run(driver.money_returned(story.purchase(who)))


@then(step("{who:Name} does not get {pronoun:w} Stars back"))
def no_stars_back(run: Run, driver: Driver, story: Story, who: str, pronoun: str) -> None:
    assert not run(driver.money_returned(story.purchase(who)))
