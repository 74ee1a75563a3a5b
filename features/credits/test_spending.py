"""Spending credits: never beyond the balance, and once per idempotency key."""

from __future__ import annotations

from pytest_bdd import scenarios, then, when

from features.drivers.base import Driver, SpendReceipt
from features.support import Outcome, Run, Story, attempt, step

scenarios("credits/spending.feature")


@when(
    step('the app spends {credits:d} of {who:Name}\'s credits for "{key}"'), target_fixture="spend"
)
def app_spends(
    run: Run, driver: Driver, story: Story, credits: int, who: str, key: str
) -> SpendReceipt:
    return run(driver.spend(story.person(who), credits, key, reason=key))


@when(
    step('the app retries spending {credits:d} of {who:Name}\'s credits for "{key}"'),
    target_fixture="retry",
)
def app_retries(
    run: Run, driver: Driver, story: Story, credits: int, who: str, key: str
) -> SpendReceipt:
    return run(driver.spend(story.person(who), credits, key, reason=key))


@when(
    step('the app tries to spend {credits:d} of {who:Name}\'s credits for "{key}"'),
    target_fixture="outcome",
)
def app_tries(run: Run, driver: Driver, story: Story, credits: int, who: str, key: str) -> Outcome:
    return attempt(run, driver.spend(story.person(who), credits, key, reason=key))


@then(step("the spend is refused because {who:Name} does not hold enough credits"))
def refused_for_balance(outcome: Outcome, who: str) -> None:
    assert outcome.refusal is not None, f"the spend went through: {outcome.value}"
    assert outcome.refusal.code == "insufficient_credits"


@then("the spend is refused because the key was used for another spend")
def refused_for_key(outcome: Outcome) -> None:
    assert outcome.refusal is not None, f"the spend went through: {outcome.value}"
    assert outcome.refusal.code == "idempotency_conflict"


@then("the retry is recognised as the spend already made")
def retry_recognised(spend: SpendReceipt, retry: SpendReceipt) -> None:
    assert not spend.replayed
    assert retry.replayed and retry.balance == spend.balance


def spends(run: Run, driver: Driver, story: Story, who: str) -> list[int]:
    return [
        line.credits for line in run(driver.statement(story.person(who))) if line.kind == "spend"
    ]


@then(step("{who:Name}'s statement shows a spend of {credits:d} credits"))
def statement_shows(run: Run, driver: Driver, story: Story, who: str, credits: int) -> None:
    assert -credits in spends(run, driver, story, who)


@then(step("{who:Name}'s statement shows a spend of {credits:d} credits only once"))
def statement_shows_once(run: Run, driver: Driver, story: Story, who: str, credits: int) -> None:
    assert spends(run, driver, story, who) == [-credits]


@then(step("{who:Name}'s statement shows no spending"))
def statement_no_spending(run: Run, driver: Driver, story: Story, who: str) -> None:
    assert spends(run, driver, story, who) == []
    assert [line.kind for line in run(driver.statement(story.person(who)))] == ["purchase"]
