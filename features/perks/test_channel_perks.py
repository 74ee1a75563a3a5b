"""The patrons' channel: single-use invites, the one-time join bonus, join requests."""

from __future__ import annotations

from pytest_bdd import given, scenarios, then, when

from features.drivers.base import Driver, InviteLink, Job
from features.support import Run, Story, step

scenarios("perks/channel_perks.feature")
JOIN_BUTTON = "Join channel"


@given(step("{who:Name} is a patron"), target_fixture="invite")
@when(step("an admin makes {who:Name} a patron"), target_fixture="invite")
@when(step("an admin makes {who:Name} a patron again"), target_fixture="invite")
def make_patron(run: Run, driver: Driver, story: Story, who: str) -> InviteLink | None:
    return run(driver.make_patron(story.person(who)))


@given(step("{who:Name} has joined the channel with her invitation"))
@when(step("{who:Name} joins the channel with her invitation"))
@when(step("{who:Name} joins the channel with her new invitation"))
def joins(run: Run, driver: Driver, story: Story, who: str) -> None:
    run(driver.join_channel(story.person(who)))


@when(step("{who:Name} leaves the channel"))
def leaves(run: Run, driver: Driver, story: Story, who: str) -> None:
    run(driver.leave_channel(story.person(who)))


@when("the membership check runs")
def membership_check(run: Run, driver: Driver) -> None:
    run(driver.run_job(Job.CHECK_MEMBERSHIPS))


@when(step("{who:Name} asks to join the channel"), target_fixture="approved")
def asks_to_join(run: Run, driver: Driver, story: Story, who: str) -> bool:
    return run(driver.request_to_join(story.person(who)))


def invitations(run: Run, driver: Driver, story: Story, who: str) -> list[str]:
    """The links of the Join buttons the bot sent, oldest first."""
    return [
        b.url or ""
        for m in run(driver.messages_to(story.person(who)))
        for b in m.buttons
        if b.text == JOIN_BUTTON
    ]


@then(step('the bot sends {who:Name} an invitation with a "{button}" button'))
def sends_invitation(run: Run, driver: Driver, story: Story, who: str, button: str) -> None:
    last = run(driver.messages_to(story.person(who)))[-1]
    assert [b.text for b in last.buttons] == [button]
    assert last.buttons[0].url and last.buttons[0].url in last.text


@then(step("{who:Name}'s invitation link admits one person only"))
def single_use(run: Run, driver: Driver, story: Story, who: str, invite: InviteLink | None) -> None:
    assert invite is not None, "no invite was created"
    assert invite.uses_allowed == 1
    assert invitations(run, driver, story, who) == [invite.link]


@then(step("the bot has sent {who:Name} {count:d} invitations"))
def invitations_sent(run: Run, driver: Driver, story: Story, who: str, count: int) -> None:
    links = invitations(run, driver, story, who)
    assert len(links) == count and len(set(links)) == count, links


@then(step("{who:Name}'s request is approved"))
def approved_request(approved: bool, who: str) -> None:
    assert approved is True


@then(step("{who:Name}'s request is declined"))
def declined_request(approved: bool, who: str) -> None:
    assert approved is False


@then(step("the bot has sent {who:Name} nothing"))
def sent_nothing(run: Run, driver: Driver, story: Story, who: str) -> None:
    assert run(driver.messages_to(story.person(who))) == []
