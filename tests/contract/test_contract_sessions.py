"""Contract: payment sessions are stored whole, found by invoice, listed for the jobs."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta

import pytest
from contract_samples import PRICES, T0, Database, at, session, state

from starport.application.unit_of_work import Conflict
from starport.domain.charges import Charge, ChargeStatus
from starport.domain.money import Price, Stars
from starport.domain.providers import Provider
from starport.domain.sessions import SessionStatus


@pytest.mark.parametrize("price", PRICES, ids=str)
async def test_a_session_comes_back_with_every_field(db: Database, price: Price) -> None:
    # Given a session with every optional field set
    original = session(price=price, full=True)
    async with db() as uow:
        await uow.sessions.add(original)
        await uow.commit()
    # When it is read in another unit of work
    async with db() as uow:
        loaded = await uow.sessions.get("s1")
    # Then nothing is lost, not even the exponent of a decimal price
    assert loaded is not None and loaded is not original
    assert state(loaded) == state(original)
    assert str(loaded.price) == str(price)


async def test_an_unknown_session_is_none(db: Database) -> None:
    async with db() as uow:
        assert await uow.sessions.get("nope") is None
        assert await uow.sessions.by_invoice(Provider.CRYPTOPAY, "nope") is None


async def test_adding_a_session_id_twice_is_a_conflict(db: Database) -> None:
    async with db() as uow:
        await uow.sessions.add(session())
        await uow.commit()
    with pytest.raises(Conflict):
        async with db() as uow:
            await uow.sessions.add(session())
            await uow.commit()


async def test_save_records_the_changes(db: Database) -> None:
    async with db() as uow:
        await uow.sessions.add(session())
        await uow.commit()
    async with db() as uow:
        s = await uow.sessions.get("s1")
        assert s is not None
        s.mark_invoiced("inv-9", "https://pay/inv-9", T0)
        await uow.sessions.save(s)
        await uow.commit()
    async with db() as uow:
        again = await uow.sessions.get("s1")
    assert again is not None
    assert (again.status, again.invoice_id, again.invoice_url) == (
        SessionStatus.INVOICED, "inv-9", "https://pay/inv-9")


async def test_a_unit_of_work_hands_out_one_object_per_session(db: Database) -> None:
    async with db() as uow:
        await uow.sessions.add(session())
        await uow.commit()
    async with db() as uow:
        first = await uow.sessions.get("s1")
        assert first is await uow.sessions.get("s1")


async def test_a_session_comes_with_the_charge_of_that_id_if_stored(db: Database) -> None:
    stored = Charge(Provider.TELEGRAM_STARS, "ch-7", "s1", Stars(50), at(3),
                    payer_telegram_id=71, status=ChargeStatus.CREDITED)
    async with db() as uow:
        await uow.sessions.add(session())
        await uow.charges.add(stored)
        await uow.commit()
    async with db() as uow:
        found, charge = await uow.sessions.with_charge("s1", Provider.TELEGRAM_STARS, "ch-7")
        assert found is not None and found is await uow.sessions.get("s1")  # one object
        assert charge is not None and asdict(charge) == asdict(stored)
        assert await uow.sessions.with_charge("s1", Provider.CRYPTOPAY, "ch-7") == (found, None)
        assert await uow.sessions.with_charge("s1", Provider.TELEGRAM_STARS, "ch-8") == (
            found, None)
        # an unknown session still tells whether the charge is stored (a replay of it)
        none, charge = await uow.sessions.with_charge("nope", Provider.TELEGRAM_STARS, "ch-7")
        assert none is None and charge is not None and asdict(charge) == asdict(stored)
        assert await uow.sessions.with_charge("nope", Provider.CRYPTOPAY, "ch-7") == (None,
                                                                                      None)


async def test_by_invoice_matches_provider_and_invoice(db: Database) -> None:
    async with db() as uow:
        await uow.sessions.add(session("a", provider=Provider.CRYPTOPAY, price=PRICES[1],
                                       invoice_id="77"))
        await uow.sessions.add(session("b", invoice_id="78"))
        await uow.commit()
    async with db() as uow:
        found = await uow.sessions.by_invoice(Provider.CRYPTOPAY, "77")
        assert found is not None and found.id == "a"
        assert await uow.sessions.by_invoice(Provider.TELEGRAM_STARS, "77") is None


async def test_expired_open_lists_open_sessions_past_expiry_soonest_first(db: Database) -> None:
    async with db() as uow:
        await uow.sessions.add(session("late", expires_in=20))
        await uow.sessions.add(session("early", expires_in=10, status=SessionStatus.INVOICED))
        await uow.sessions.add(session("later", expires_in=25))
        await uow.sessions.add(session("paid", expires_in=5, status=SessionStatus.PAID))
        await uow.sessions.add(session("fresh", expires_in=90))
        await uow.commit()
    async with db() as uow:
        due = await uow.sessions.expired_open(at(30), limit=2)
        assert [s.id for s in due] == ["early", "late"]
        assert [s.id for s in await uow.sessions.expired_open(at(20), 10)] == ["early", "late"]


async def test_open_for_pages_invoiced_open_sessions_by_id(db: Database) -> None:
    cp = Provider.CRYPTOPAY
    async with db() as uow:
        for sid in ("c3", "c1", "c2"):
            await uow.sessions.add(session(sid, provider=cp, price=PRICES[1], invoice_id=sid))
        await uow.sessions.add(session("c0", provider=cp, price=PRICES[1]))  # no invoice yet
        await uow.sessions.add(session("c4", provider=cp, price=PRICES[1], invoice_id="x",
                                       status=SessionStatus.PAID))
        await uow.sessions.add(session("t1", invoice_id="t"))
        await uow.commit()
    async with db() as uow:
        assert [s.id for s in await uow.sessions.open_for(cp, 2, None)] == ["c1", "c2"]
        assert [s.id for s in await uow.sessions.open_for(cp, 2, "c2")] == ["c3"]


async def test_the_last_invoice_number_is_the_highest_numeric_invoice_id(db: Database) -> None:
    async with db() as uow:
        assert await uow.sessions.last_invoice_number(Provider.CRYPTOPAY) is None
        for n, invoice_id in enumerate(("9", "10", "abc", None)):
            await uow.sessions.add(session(f"s{n}", provider=Provider.CRYPTOPAY,
                                           invoice_id=invoice_id))
        await uow.sessions.add(session("t", invoice_id="5000"))  # another provider's
        await uow.commit()
    async with db() as uow:
        assert await uow.sessions.last_invoice_number(Provider.CRYPTOPAY) == 10


async def test_a_pre_checkout_reads_the_session_and_the_blamed_users_failures(
        db: Database) -> None:
    # Given a session linked to Telegram account 7_000_000_001, one unlinked, and failures on
    # record for the owner, for a stranger's Telegram account, and one too old to count
    linked = session("s1", full=True)
    async with db() as uow:
        await uow.sessions.add(linked)
        await uow.sessions.add(session("s2", user_id="u2"))
        await uow.limits.record("u1", "failure", at(3))
        await uow.limits.record("u1", "failure", at(1))
        await uow.limits.record("u1", "session", at(2))  # not a failure
        await uow.limits.record("u1", "failure", at(-10))  # before `since`
        await uow.limits.record("tg:666", "failure", at(4))
        await uow.commit()
    since = at(0)
    async with db(read_only=True) as uow:
        # the owner's own account pays: the session, the owner blamed, their failures in order
        found, blamed, failures = await uow.sessions.for_checkout("s1", 7_000_000_001, since)
        assert found is not None and state(found) == state(linked)
        assert (blamed, list(failures)) == ("u1", [at(1), at(3)])
        assert all(f.tzinfo is not None and f.utcoffset() == timedelta(0) for f in failures)
        # a stranger pays the owner's link: the stranger's account is blamed, with its history
        found, blamed, failures = await uow.sessions.for_checkout("s1", 666, since)
        assert found is not None and (blamed, list(failures)) == ("tg:666", [at(4)])
        # an unlinked session: whoever pays it is taken for its owner
        found, blamed, failures = await uow.sessions.for_checkout("s2", 666, since)
        assert found is not None and found.id == "s2" and (blamed, list(failures)) == ("u2", [])
        # an unknown session: the payer's account, with its history
        found, blamed, failures = await uow.sessions.for_checkout("nope", 666, since)
        assert (found, blamed, list(failures)) == (None, "tg:666", [at(4)])
        # limits off: no history read
        found, blamed, failures = await uow.sessions.for_checkout("s1", 7_000_000_001, None)
        assert found is not None and (blamed, list(failures)) == ("u1", [])
