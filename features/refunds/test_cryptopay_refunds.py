"""Refunds of Crypto Pay payments: a transfer back to the buyer, or one recorded."""

from __future__ import annotations

from pytest_bdd import given, parsers, scenarios, then, when

from features.drivers.base import Driver
from features.support import Outcome, Run, Story, step

scenarios("refunds/cryptopay_refunds.feature")


@given(parsers.re(r"the shop's Crypto Pay app (?P<setting>allows|does not allow) transfers"))
def transfers_setting(run: Run, driver: Driver, setting: str) -> None:
    run(driver.allow_crypto_transfers(setting == "allows"))


@when(step("an admin records a refund of {who:Name}'s purchase sent from Crypto Bot"))
def records_refund(run: Run, driver: Driver, story: Story, who: str) -> None:
    run(driver.record_refund(story.purchase(who)))


@then(step("Crypto Pay sent {who:Name} {amount} {asset}, once"))
def sent_once(run: Run, driver: Driver, story: Story, who: str, amount: str,
              asset: str) -> None:
    assert run(driver.crypto_transfers()) == [(story.person(who).telegram_id,
                                                f"{amount} {asset}")]
    assert run(driver.money_returned(story.purchase(who)))


@then("Crypto Pay sent nothing")
def sent_nothing(run: Run, driver: Driver) -> None:
    assert run(driver.crypto_transfers()) == []


@then("the refund is refused until transfers are enabled in Crypto Bot")
def refused_until_enabled(outcome: Outcome) -> None:
    assert outcome.refusal is not None, f"the refund went through: {outcome.value}"
    assert outcome.refusal.code == "provider_refused", outcome.refusal
    assert "transfers are not enabled" in outcome.refusal.message
