"""Property: whatever users and admins do, through the real use cases, the ledger stays sound.

A reference model predicts every balance; after each step the test checks that the ledger sums
to zero, that each user's balance is the sum of their postings and matches the model, that
replays credit nothing, and that only a refund ever leaves a user below zero."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from starport.application import commands as c
from starport.application.credits import get_statement
from starport.domain.errors import IdempotencyConflict, InsufficientCredits
from starport.domain.money import Price
from starport.domain.perks import MemberStatus
from starport.domain.providers import Provider

STARS, CRYPTO = Provider.TELEGRAM_STARS, Provider.CRYPTOPAY
USERS = 2
BONUS = 10  # the world's join bonus

users = st.integers(0, USERS - 1)
picks = st.integers(0, 50)  # which earlier purchase an operation refers to (modulo)
operations = st.one_of(
    st.tuples(st.just("buy"), users, st.sampled_from(["starter", "stars_only", "pro"]),
              st.just(STARS)),
    st.tuples(st.just("buy"), users, st.sampled_from(["starter", "pro"]), st.just(CRYPTO)),
    st.tuples(st.just("replay"), picks),
    # a spend of some percent of the user's balance at that moment (over 100: refused)
    st.tuples(st.just("spend"), users, st.integers(1, 130), st.integers(0, 3)),
    st.tuples(st.just("spend_replay"), picks),
    st.tuples(st.just("admin_refund"), picks, st.booleans()),
    st.tuples(st.just("provider_refund"), picks),
    st.tuples(st.just("join"), users),
    st.tuples(st.just("leave_and_rejoin"), users),
)


@dataclass
class Purchase:
    session_id: str
    user: str
    credits: int
    command: c.CompletePayment
    refunded: bool = False


@dataclass
class Model:
    balances: dict[str, int] = field(default_factory=lambda: {f"u{n}": 0 for n in range(USERS)})
    purchases: list[Purchase] = field(default_factory=list)
    spends: dict[tuple[str, str], int] = field(default_factory=dict)
    bonused: set[str] = field(default_factory=set)
    refunded_users: set[str] = field(default_factory=set)


async def step(world: Any, model: Model, op: tuple[Any, ...]) -> None:
    kind = op[0]
    if kind == "buy":
        _, n, package_id, provider = op
        user = f"u{n}"
        view = await world.handle(c.CreateSession(user, package_id, provider,
                                                  telegram_user_id=100 + n))
        session = await world.session(view.id)
        charge_id = f"tg-{view.id}" if provider is STARS else str(session.invoice_id)
        paid: Price = session.price
        command = c.CompletePayment(provider, view.id, charge_id, paid, 100 + n)
        outcome = await world.handle(command)
        assert outcome.credited
        model.balances[user] += view.credits
        model.purchases.append(Purchase(view.id, user, view.credits, command))
    elif kind == "replay" and model.purchases:
        purchase = model.purchases[op[1] % len(model.purchases)]
        outcome = await world.handle(purchase.command)
        assert outcome.credited is False
    elif kind == "spend":
        _, n, percent, key_n = op
        user, key = f"u{n}", f"k{key_n}"
        credits = max(1, model.balances[user] * percent // 100)
        await _spend(world, model, user, key, credits)
    elif kind == "spend_replay" and model.spends:
        (user, key), credits = sorted(model.spends.items())[op[1] % len(model.spends)]
        await _spend(world, model, user, key, credits)
    elif kind == "admin_refund" and model.purchases:
        purchase = model.purchases[op[1] % len(model.purchases)]
        allow_debt = op[2]
        # Crypto Pay cannot refund through its API: the admin returns it and records that.
        refund = c.RecordRefund if purchase.command.provider is CRYPTO else c.RefundPayment
        try:
            result = await world.handle(refund(purchase.session_id, "admin",
                                               allow_debt=allow_debt))
        except InsufficientCredits:
            assert not purchase.refunded and not allow_debt
            assert model.balances[purchase.user] < purchase.credits
        else:
            assert result.already_refunded is purchase.refunded
            if not purchase.refunded:
                _refund(model, purchase)
    elif kind == "provider_refund" and model.purchases:
        purchase = model.purchases[op[1] % len(model.purchases)]
        result = await world.handle(c.RecordProviderRefund(
            purchase.command.provider, purchase.command.charge_id, purchase.session_id))
        assert result.already_refunded is purchase.refunded
        if not purchase.refunded:
            _refund(model, purchase)
    elif kind == "join":
        await _join(world, model, op[1])
    elif kind == "leave_and_rejoin":
        await world.handle(c.ObserveMembership(200 + op[1], MemberStatus.LEFT))
        await _join(world, model, op[1])


async def _spend(world: Any, model: Model, user: str, key: str, credits: int) -> None:
    earlier = model.spends.get((user, key))
    try:
        result = await world.handle(c.SpendCredits(user, credits, key))
    except IdempotencyConflict:
        assert earlier is not None and earlier != credits
    except InsufficientCredits:
        assert earlier is None and credits > model.balances[user]
    else:
        if earlier is None:
            assert not result.replayed and credits <= model.balances[user]
            model.spends[(user, key)] = credits
            model.balances[user] -= credits
        else:  # a replay takes nothing more
            assert result.replayed and earlier == credits


def _refund(model: Model, purchase: Purchase) -> None:
    purchase.refunded = True
    model.balances[purchase.user] -= purchase.credits
    model.refunded_users.add(purchase.user)


async def _join(world: Any, model: Model, n: int) -> None:
    user = f"u{n}"
    await world.handle(c.MakePatron(200 + n, user_id=user))
    granted = await world.handle(c.ObserveMembership(200 + n, MemberStatus.MEMBER))
    assert granted is (user not in model.bonused)
    if granted:
        model.bonused.add(user)
        model.balances[user] += BONUS


async def check(world: Any, model: Model) -> None:
    async with world.deps.uow() as uow:
        assert await uow.ledger.total() == 0
    for user, expected in model.balances.items():
        balance = await world.balance(user)
        statement = await get_statement(world.deps, user, limit=10_000)
        assert balance == sum(line.amount for line in statement)
        assert balance == expected
        if balance < 0:  # only a refund may leave a debt
            assert user in model.refunded_users
            assert any(line.kind == "refund" for line in statement)


async def run(world: Any, ops: list[tuple[Any, ...]]) -> None:
    model = Model()
    for op in ops:
        await step(world, model, op)
        await check(world, model)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=st.lists(operations, min_size=3, max_size=40))
def test_the_ledger_stays_sound_whatever_happens(make_world: Any, ops: list[tuple[Any, ...]]
                                                 ) -> None:
    # Given a fresh world for each example (make_world is a stateless builder)
    world = make_world(dispatch_inline=False)
    # When / Then: every step is checked against the model
    asyncio.run(run(world, ops))


def test_the_model_catches_a_ledger_that_does_not_add_up(make_world: Any) -> None:
    """The property test can fail: a credit the model does not know about is noticed."""
    world = make_world(dispatch_inline=False)

    async def scenario() -> None:
        model = Model()
        await step(world, model, ("buy", 0, "starter", STARS))
        model.balances["u0"] += 1  # the model and the ledger now disagree
        try:
            await check(world, model)
        except AssertionError:
            return
        raise AssertionError("the check missed a wrong balance")

    asyncio.run(scenario())
