"""Paying by card through Telegram's payments, and refunds made in the provider's dashboard."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pytest_bdd import scenarios, then, when

from features.drivers.base import (
    DECLINED_CARD,
    Driver,
    PaymentAttempt,
    RefundReceipt,
    smallest_units,
)
from features.support import Outcome, Run, Story, step

scenarios("payments/card_payments.feature")


@pytest.fixture
def records() -> list[RefundReceipt]:
    """What each record of a refund made elsewhere came to, in order."""
    return []


@when(step("{who:Name} pays the invoice by card"), target_fixture="payment")
def pays_by_card(run: Run, driver: Driver, story: Story, who: str) -> PaymentAttempt:
    return run(driver.card_pay(story.person(who), story.purchase(who)))


@when(step("{who:Name} pays by card through the invoice link"), target_fixture="payment")
def pays_through_link(run: Run, driver: Driver, story: Story, who: str) -> PaymentAttempt:
    person, session = story.person(who), story.purchase(who)
    run(driver.open_invoice_link(person, session))
    return run(driver.card_pay(person, session))


@when(step("{who:Name} pays {amount:Number} {currency:Currency} by card for the invoice"),
      target_fixture="payment")
def pays_other_amount(run: Run, driver: Driver, story: Story, who: str, amount: Decimal,
                      currency: str) -> PaymentAttempt:
    return run(driver.card_pay(story.person(who), story.purchase(who), amount, currency))


@when(step("{who:Name} pays the invoice with a card her bank declines"), target_fixture="payment")
def pays_declined(run: Run, driver: Driver, story: Story, who: str) -> PaymentAttempt:
    return run(driver.card_pay(story.person(who), story.purchase(who), card=DECLINED_CARD))


@when(step("an admin records the refund of {who:Name}'s purchase made in the payment "
           "provider's dashboard"))
def records_refund(run: Run, driver: Driver, story: Story, records: list[RefundReceipt],
                   who: str) -> None:
    records.append(run(driver.record_refund(story.purchase(who))))


@then(step('the bot sends {who:Name} an invoice for {amount:Number} {currency:Currency} '
           'titled "{title}"'))
def card_invoice(run: Run, driver: Driver, story: Story, who: str, amount: Decimal,
                 currency: str, title: str) -> None:
    invoices = run(driver.invoices_to(story.person(who)))
    cards = [(i.title, i.amount, i.currency) for i in invoices if i.currency != "XTR"]
    assert cards == [(title, smallest_units(amount, currency), currency)], invoices


@then(step("{who:Name}'s invoice totals {units:d} in {currency:Currency}'s smallest units"))
def invoice_total(run: Run, driver: Driver, story: Story, who: str, units: int,
                  currency: str) -> None:
    invoices = run(driver.invoices_to(story.person(who)))
    assert [i.amount for i in invoices if i.currency == currency] == [units], invoices


@then(step("the bot offers {who:Name} these buttons:"))
def offers(run: Run, driver: Driver, story: Story, who: str, datatable: list[list[str]]) -> None:
    last = run(driver.messages_to(story.person(who)))[-1]
    assert [b.text for b in last.buttons] == [row[0] for row in datatable], last


@then("the card is declined")
def declined(payment: PaymentAttempt) -> None:
    assert payment.accepted and payment.declined and not payment.credited, payment


@then(step('the refund is refused: "{text}"'))
def refund_refused(outcome: Outcome, text: str) -> None:
    assert outcome.refusal is not None, f"the refund went through: {outcome.value}"
    assert outcome.refusal.code == "refund_not_supported", outcome.refusal
    assert text in outcome.refusal.message, outcome.refusal.message


@then("the second record says the purchase was already refunded")
def second_record_replayed(records: list[RefundReceipt]) -> None:
    first, second = records
    assert not first.already_refunded and second.already_refunded, records
