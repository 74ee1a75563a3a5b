"""Steps shared by the chat features: writing to the bot, pressing its buttons, paying."""

from __future__ import annotations

from pytest_bdd import when

from features.drivers.base import Driver, PaymentAttempt
from features.support import Run, Story, step


@when(step("{who:Name} sends {command} to the bot"))
def sends(run: Run, driver: Driver, story: Story, who: str, command: str) -> None:
    run(driver.send_to_bot(story.person(who), command))


@when(step('{who:Name} presses "{text}"'))
def presses(run: Run, driver: Driver, story: Story, who: str, text: str) -> None:
    run(driver.press_button(story.person(who), text))


@when(step("{who:Name} pays the invoice in the chat"), target_fixture="payment")
def pays_in_chat(run: Run, driver: Driver, story: Story, who: str) -> PaymentAttempt:
    payment = run(driver.pay_invoice_in_chat(story.person(who)))
    assert payment.credited, payment
    return payment
