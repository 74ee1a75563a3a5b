"""Steps shared by the job scenarios: running a job, its report, patrons and their invitations."""

from __future__ import annotations

import re
from datetime import timedelta

from pytest_bdd import given, parsers, then, when

from features.drivers.base import Driver, InviteLink, Job, JobReport
from features.support import Run, Story, step

JOIN_BUTTON = "Join channel"
JOBS = {
    "expiry": Job.EXPIRE_SESSIONS,
    "Telegram Stars reconciliation": Job.RECONCILE_TELEGRAM_STARS,
    "membership check": Job.CHECK_MEMBERSHIPS,
    "outbox dispatch": Job.DISPATCH_OUTBOX,
    "bulk invite": Job.BULK_INVITE,
}


@when(parsers.re(rf"the (?P<name>{'|'.join(JOBS)}) job runs"), target_fixture="report")
def job_runs(run: Run, driver: Driver, name: str) -> JobReport:
    return run(driver.run_job(JOBS[name]))


@then(parsers.re(r"the job reports (?P<expected>.+)"))
def job_reports(report: JobReport, expected: str) -> None:
    """`2 checked, 1 invited and 0 errors`: each named count, absent counting as 0."""
    for number, name in re.findall(r"(\d+) ([a-z_]+)", expected):
        assert report.counts.get(name, 0) == int(number), f"{name}: {report.counts}"


@given(step("{hours:d} hours have passed"))
@when(step("{hours:d} hours pass"))
def hours_pass(run: Run, driver: Driver, hours: int) -> None:
    run(driver.advance_time(timedelta(hours=hours)))


@given(step("{days:d} days have passed"))
@when(step("{days:d} days pass"))
def days_pass(run: Run, driver: Driver, days: int) -> None:
    run(driver.advance_time(timedelta(days=days)))


@given(step("{who:Name} is a patron"), target_fixture="invite")
@when(step("an admin makes {who:Name} a patron"), target_fixture="invite")
def patron(run: Run, driver: Driver, story: Story, who: str) -> InviteLink | None:
    return run(driver.make_patron(story.person(who)))


@given(step("{who:Name} is a patron for {hours:d} hours"))
def patron_for(run: Run, driver: Driver, story: Story, who: str, hours: int) -> None:
    run(driver.make_patron_for(story.person(who), timedelta(hours=hours)))


@given(step("{who:Name} has joined the channel with her invitation"))
@when(step("{who:Name} joins the channel with her invitation"))
def joins(run: Run, driver: Driver, story: Story, who: str) -> None:
    run(driver.join_channel(story.person(who)))


def invitations(run: Run, driver: Driver, story: Story, who: str) -> list[str]:
    """The links of the Join buttons the bot sent, oldest first."""
    return [b.url or "" for m in run(driver.messages_to(story.person(who)))
            for b in m.buttons if b.text == JOIN_BUTTON]


@then(step("the bot has sent {who:Name} {count:d} invitations"))
def invitations_sent(run: Run, driver: Driver, story: Story, who: str, count: int) -> None:
    links = invitations(run, driver, story, who)
    assert len(links) == count and len(set(links)) == count, links


@then(step("the bot has sent {who:Name} nothing"))
def sent_nothing(run: Run, driver: Driver, story: Story, who: str) -> None:
    assert run(driver.messages_to(story.person(who))) == []


@then(step("{who:Name} is not in the channel"))
def not_in_channel(run: Run, driver: Driver, story: Story, who: str) -> None:
    assert not run(driver.in_channel(story.person(who)))


@then(step("{who:Name} is in the channel"))
def in_channel(run: Run, driver: Driver, story: Story, who: str) -> None:
    assert run(driver.in_channel(story.person(who)))


@then(step("{who:Name}'s unused invitation link is revoked"))
def link_revoked(run: Run, driver: Driver, story: Story, who: str) -> None:
    links = invitations(run, driver, story, who)
    assert links, f"{who} was never invited"
    revoked: bool = run(driver.invite_revoked(links[-1]))
    assert revoked, links


@when(step("{who:Name} pays the invoice but the update is lost"))
def pays_update_lost(run: Run, driver: Driver, story: Story, who: str) -> None:
    payment = run(driver.pay_with_lost_update(story.person(who), story.purchase(who)))
    assert payment.accepted and not payment.credited, payment


@given("Telegram fails the next message the bot sends")
def telegram_fails(run: Run, driver: Driver) -> None:
    run(driver.telegram_fails_sending(1))
