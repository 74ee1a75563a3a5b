"""Buying credits with Crypto Pay: paid, underpaid, and a lost notification."""

from __future__ import annotations

from decimal import Decimal

from pytest_bdd import scenarios, then, when

from features.drivers.base import Driver, Job, PaymentAttempt
from features.support import Run, Story, step, texts_to

scenarios("payments/cryptopay.feature")


@then(step("{who:Name}'s purchase can be paid at Crypto Bot for {amount} {asset}"))
def crypto_pay_link(
    run: Run, driver: Driver, story: Story, who: str, amount: str, asset: str
) -> None:
    session = run(driver.session(story.purchase(who)))
    assert session.pay_url, "no Crypto Pay link"
    assert (session.amount, session.currency) == (Decimal(amount), asset)


@when(step("{who:Name} pays {amount} TON for the Crypto Pay invoice"), target_fixture="payment")
def pays_amount(run: Run, driver: Driver, story: Story, who: str, amount: str) -> PaymentAttempt:
    return run(driver.crypto_pay(story.purchase(who), Decimal(amount)))


@then(step('the bot tells {who:Name} that "{text}" because {paid} is less than {price}'))
def told_why(
    run: Run, driver: Driver, story: Story, who: str, text: str, paid: str, price: str
) -> None:
    texts = [t for t in texts_to(run, driver, story.person(who)) if t.startswith(text)]
    assert len(texts) == 1, texts_to(run, driver, story.person(who))
    assert paid in texts[0] and price in texts[0], texts[0]


@when("the expiry of payment links runs")
def expiry_runs(run: Run, driver: Driver) -> None:
    run(driver.run_job(Job.EXPIRE_SESSIONS))
