"""Support that reaches a human: the buyer, the support group and its agent."""

from __future__ import annotations

from pytest_bdd import given, scenarios, then, when

from features.drivers.base import Driver
from features.support import Run, Story, step

scenarios("chat/support.feature")


@given(step("the shop's support group, where {agent:Name} answers"))
def support_group(run: Run, driver: Driver, story: Story, agent: str) -> None:
    run(driver.open_support_group(story.person(agent)))


@when(step('{who:Name} writes "{text}" to the bot'))
def writes(run: Run, driver: Driver, story: Story, who: str, text: str) -> None:
    run(driver.send_to_bot(story.person(who), text))


@then(step('the support group reads {who:Name}\'s "{text}" with her {package} payment'))
def group_reads(run: Run, driver: Driver, story: Story, who: str, text: str,
                package: str) -> None:
    person = story.person(who)
    [relayed] = run(driver.support_group_texts())
    head, _, said = relayed.partition("\n\n")
    assert said == text
    assert head.startswith(f"Support request from {person.name}, Telegram {person.telegram_id}")
    assert f"· {package.lower()} ·" in head and head.endswith("· paid"), head


@when(step('{agent:Name} replies "{text}" to {who:Name}\'s message in the support group'))
def agent_replies(run: Run, driver: Driver, story: Story, agent: str, text: str,
                  who: str) -> None:
    run(driver.reply_in_support_group(story.person(agent), text, f"Telegram "
                                      f"{story.person(who).telegram_id}"))


@then(step("the support group has read nothing"))
def group_read_nothing(run: Run, driver: Driver) -> None:
    assert run(driver.support_group_texts()) == []
