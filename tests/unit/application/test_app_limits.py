"""Per-user payment limits in the use cases: REST, the /buy button, deep links, pre-checkout."""

from __future__ import annotations

from datetime import timedelta

import pytest

from starport.application import commands as c
from starport.application.deliveries import DuplicateDelivery
from starport.domain.limits import PaymentLimits, RateLimited
from starport.domain.money import Stars
from starport.domain.providers import Provider

STARS = Provider.TELEGRAM_STARS
LIMITS = PaymentLimits(max_sessions=2, window=timedelta(hours=1), max_failures=2,
                       cooldown=timedelta(minutes=10))
WAIT = "Too many payment attempts. Please try again in {}."


@pytest.fixture
def limited(make_world):
    return make_world(limits=LIMITS)


def refuse(session_id: str, query: str) -> c.ValidatePreCheckout:
    """A pre-checkout that must be refused: the amount is wrong."""
    return c.ValidatePreCheckout(query, 777, session_id, "XTR", 1)


async def test_over_the_hourly_limit_no_session_is_created(limited) -> None:
    # Given two sessions this hour
    for _ in range(2):
        await limited.handle(c.CreateSession("u1", "starter", STARS))
    # When the user asks for a third
    with pytest.raises(RateLimited) as refused:
        await limited.handle(c.CreateSession("u1", "starter", STARS))
    # Then it is refused until the first leaves the window, and nothing is created
    assert refused.value.retry_after == 3600
    assert len(limited.sessions()) == 2
    # while another user is not affected, and an hour later the first may buy again
    await limited.handle(c.CreateSession("u2", "starter", STARS))
    limited.clock.advance(timedelta(hours=1, seconds=1))
    await limited.handle(c.CreateSession("u1", "starter", STARS))


async def test_the_buy_button_over_the_limit_answers_with_the_template(limited) -> None:
    for n in range(2):
        await limited.handle(c.BuyFromChat(f"q{n}", 777, 777, "starter", "Ann"))
    # When the user presses the button a third time
    with pytest.raises(RateLimited):
        await limited.handle(c.BuyFromChat("q3", 777, 777, "starter", "Ann",
                                           limited.delivery("3")))
    # Then they are told to wait, and no invoice comes (the router stops the spinner)
    assert limited.texts_to(777)[-1] == WAIT.format("60 minutes")
    assert len(limited.messenger.invoices) == 2 and len(limited.sessions()) == 2
    [stored] = limited.deliveries()
    assert stored.outcome == "refused:rate_limited"
    # and Telegram redelivering that press does not tell them twice
    told = len(limited.texts_to(777))
    with pytest.raises(DuplicateDelivery):
        await limited.handle(c.BuyFromChat("q3", 777, 777, "starter", "Ann",
                                           limited.delivery("3")))
    assert len(limited.texts_to(777)) == told


async def test_refused_pre_checkouts_bring_a_cooldown(limited) -> None:
    # Given a session whose pre-checkout was refused twice
    view = await limited.open_stars_session()
    for query in ("a", "b"):
        assert not (await limited.handle(refuse(view.id, query))).ok
    # When the user tries to pay correctly during the cooldown
    answer = await limited.handle(c.ValidatePreCheckout("c", 777, view.id, "XTR", 50))
    # Then Telegram is told to refuse it with the rate-limit message
    assert (answer.ok, answer.error_key) == (False, "rate_limited")
    assert answer.error_message == WAIT.format("10 minutes")
    # and new sessions and deep links are refused as well
    with pytest.raises(RateLimited):
        await limited.handle(c.CreateSession("u1", "starter", STARS))
    with pytest.raises(RateLimited):
        await limited.handle(c.StartDeepLink(view.id, 777, 777, "Ann"))
    assert limited.texts_to(777)[-1] == WAIT.format("10 minutes")
    # After the cooldown the same payment goes through
    limited.clock.advance(timedelta(minutes=10))
    assert (await limited.handle(c.ValidatePreCheckout("d", 777, view.id, "XTR", 50))).ok


async def test_refusals_during_a_cooldown_do_not_prolong_it(limited) -> None:
    view = await limited.open_stars_session()
    for query in ("a", "b"):
        await limited.handle(refuse(view.id, query))
    limited.clock.advance(timedelta(minutes=9))
    for query in ("c", "d", "e"):
        await limited.handle(refuse(view.id, query))
    limited.clock.advance(timedelta(minutes=1))
    assert (await limited.handle(c.ValidatePreCheckout("f", 777, view.id, "XTR", 50))).ok


async def test_failed_payments_count_toward_the_cooldown(limited) -> None:
    # Given two payments that did not match their price
    for n in range(2):
        view = await limited.open_stars_session()
        outcome = await limited.handle(c.CompletePayment(STARS, view.id, f"ch{n}", Stars(1),
                                                         777, 777))
        assert outcome.rejected_reason
        limited.clock.advance(timedelta(seconds=1))
    # Then the user cools down
    with pytest.raises(RateLimited) as refused:
        await limited.handle(c.CreateSession("u1", "starter", STARS))
    assert refused.value.reason == "cooldown"


async def test_without_limits_nothing_is_counted(world) -> None:
    for _ in range(20):
        await world.handle(c.CreateSession("u1", "starter", STARS))
    assert world.db.store.attempts.rows == {}
