"""Steps of the subscription and channel-admin perk journeys (imported by their modules)."""

from __future__ import annotations

from datetime import timedelta

from pytest_bdd import given, then, when

from features.drivers.base import Driver, Job, Package, PaymentMethod, Refused
from features.support import Run, ShopSetup, Story, step

JOIN_BUTTON = "Join channel"


@given(step("the shop sells a monthly patron subscription of {stars:d} Stars with "
            "{credits:d} credits"))
def sells_subscription(shop_setup: ShopSetup, stars: int, credits: int) -> None:
    shop_setup.change().packages.append(
        Package(id="patron", title="Patron", credits=credits, stars=stars, subscription=True))


@when(step("{who:Name} subscribes to the patron subscription"))
def subscribes(run: Run, driver: Driver, story: Story, who: str) -> None:
    person = story.person(who)
    session = run(driver.create_session(person, "patron", PaymentMethod.TELEGRAM_STARS,
                                        in_mini_app=True))
    story.purchases[who] = session
    run(driver.open_invoice_link(person, session))
    payment = run(driver.pay(person, session))
    assert payment.credited, payment


@when(step("Telegram renews {who:Name}'s subscription"))
def renews(run: Run, driver: Driver, story: Story, who: str) -> None:
    run(driver.renew_subscription(story.person(who)))


@when(step("{who:Name} cancels her subscription"))
def cancels(run: Run, driver: Driver, story: Story, who: str) -> None:
    run(driver.cancel_subscription(story.person(who)))


@when(step("{who:Name} joins the channel with her invitation"))
def joins(run: Run, driver: Driver, story: Story, who: str) -> None:
    run(driver.join_channel(story.person(who)))


@when(step("{days:d} days pass"))
def days_pass(run: Run, driver: Driver, days: int) -> None:
    run(driver.advance_time(timedelta(days=days)))


@when("the membership check runs")
def membership_check(run: Run, driver: Driver) -> None:
    run(driver.run_job(Job.CHECK_MEMBERSHIPS))


@given("the bot is not an administrator of the channel")
def not_admin(run: Run, driver: Driver) -> None:
    run(driver.set_bot_channel_admin(False))


@when("the bot is made an administrator of the channel")
def made_admin(run: Run, driver: Driver) -> None:
    run(driver.set_bot_channel_admin(True))


@when(step("an admin tries to make {who:Name} a patron"), target_fixture="refusal")
def tries_make_patron(run: Run, driver: Driver, story: Story, who: str) -> Refused | None:
    try:
        run(driver.make_patron(story.person(who)))
    except Refused as refused:
        return refused
    return None


@then("the admin is told the bot must be an administrator of the channel")
def told_not_admin(refusal: Refused | None) -> None:
    assert refusal is not None, "making the patron succeeded"
    assert refusal.code == "channel_not_admin" and "administrator" in refusal.message


@then(step("the bot has sent {who:Name} {count:d} invitations"))
def invitations_sent(run: Run, driver: Driver, story: Story, who: str, count: int) -> None:
    links = [b.url for m in run(driver.messages_to(story.person(who)))
             for b in m.buttons if b.text == JOIN_BUTTON]
    assert len(links) == count and len(set(links)) == count, links


@then(step("the bot has sent {who:Name} nothing"))
def sent_nothing(run: Run, driver: Driver, story: Story, who: str) -> None:
    assert run(driver.messages_to(story.person(who))) == []


@then(step("{who:Name} is in the channel"))
def in_channel(run: Run, driver: Driver, story: Story, who: str) -> None:
    assert run(driver.in_channel(story.person(who)))


@then(step("{who:Name} is not in the channel"))
def not_in_channel(run: Run, driver: Driver, story: Story, who: str) -> None:
    assert not run(driver.in_channel(story.person(who)))
