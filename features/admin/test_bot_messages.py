"""Admin-edited bot messages: used by the bot, refused when the bot could not fill them in."""

from __future__ import annotations

from dataclasses import replace

from pytest_bdd import given, scenarios, then, when

from features.drivers.base import Driver
from features.support import Outcome, Run, Story, attempt, step

scenarios("admin/bot_messages.feature")


@when(step('an admin changes the "{key}" message to "{text}"'))
def admin_changes(run: Run, driver: Driver, key: str, text: str) -> None:
    assert run(driver.edit_bot_message(key, text)) == text


@given(step('{who:Name}\'s Telegram app is in "{language}"'))
def speaks(story: Story, who: str, language: str) -> None:
    story.people[who] = replace(story.person(who), language=language)


@when(step('an admin changes the "{key}" message in "{language}" to "{text}"'))
def admin_changes_in(run: Run, driver: Driver, key: str, language: str, text: str) -> None:
    assert run(driver.edit_bot_message(key, text, language)) == text


@then(step('the bot\'s menu for {who:Name} reads "{first}", "{second}" and "{third}"'))
def menu_reads(run: Run, driver: Driver, story: Story, who: str, first: str, second: str,
               third: str) -> None:
    last = run(driver.messages_to(story.person(who)))[-1]
    assert [b.text for b in last.buttons] == [first, second, third]


@when(step('an admin tries to change the "{key}" message to "{text}"'), target_fixture="outcome")
def admin_tries(run: Run, driver: Driver, key: str, text: str) -> Outcome:
    return attempt(run, driver.edit_bot_message(key, text))


@then(step('the edit is refused because "{name}" is not a known placeholder'))
def unknown_placeholder(outcome: Outcome, name: str) -> None:
    assert outcome.refusal is not None, f"the edit went through: {outcome.value}"
    assert outcome.refusal.code == "invalid_template"
    assert name in outcome.refusal.message


@then("the edit is refused because the placeholder braces do not match")
def unbalanced(outcome: Outcome) -> None:
    assert outcome.refusal is not None, f"the edit went through: {outcome.value}"
    assert outcome.refusal.code == "invalid_template"
    assert "brace" in outcome.refusal.message


@then(step('the "{key}" message still reads "{text}"'))
def still_reads(run: Run, driver: Driver, key: str, text: str) -> None:
    assert run(driver.bot_message(key)) == text
