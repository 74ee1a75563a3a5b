"""Contract: the back office's reads across records, and the admins' audit trail."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from contract_samples import T0, Database, at, session

from starport.application.effects import OutboxItem, OutboxStatus, SendText
from starport.application.repositories import SessionQuery
from starport.domain import ledger
from starport.domain.audit import AdminAction
from starport.domain.charges import Charge, ChargeStatus
from starport.domain.money import Stars
from starport.domain.providers import Provider
from starport.domain.sessions import SessionStatus

STARS, CRYPTO = Provider.TELEGRAM_STARS, Provider.CRYPTOPAY


def dated(session_id: str, minutes: float, **fields: object):  # type: ignore[no-untyped-def]
    s = session(session_id, user_id=str(fields.pop("user_id", "ann")))
    s.created_at = at(minutes)
    for name, value in fields.items():
        setattr(s, name, value)
    return s


async def seed(db: Database) -> None:
    async with db() as uow:
        for s in (dated("s1", 0, status=SessionStatus.PAID, paid_at=at(1), charge_id="c1",
                        telegram_user_id=71),
                  dated("s2", 10, status=SessionStatus.REFUNDED, paid_at=at(11),
                        refunded_at=at(60 * 24), charge_id="c2", provider=CRYPTO),
                  dated("s3", 20, user_id="bob"),
                  dated("s4", 30, status=SessionStatus.EXPIRED, user_id="bob")):
            await uow.sessions.add(s)
        for ch in (Charge(STARS, "c1", "s1", Stars(50), at(1), payer_telegram_id=71,
                          status=ChargeStatus.CREDITED),
                   Charge(CRYPTO, "c2", "s2", Stars(50), at(11), status=ChargeStatus.CREDITED),
                   Charge(STARS, "c9", "s1", Stars(40), at(2), status=ChargeStatus.REJECTED,
                          reason="wrong amount")):
            await uow.charges.add(ch)
        entry = ledger.purchase(entry_id="e1", key="payment:telegram_stars:c1", user_id="ann",
                                sales_account="sales:telegram_stars", credits=100,
                                session_id="s1", now=at(1))
        accounts = await uow.ledger.accounts(entry.accounts)
        ledger.post(entry, accounts)
        await uow.ledger.add(entry, accounts)
        await uow.commit()


async def test_sessions_are_found_by_each_field_newest_first_a_page_at_a_time(db: Database
                                                                             ) -> None:
    await seed(db)
    async with db() as uow:
        found = uow.back_office.sessions

        def ids(sessions):  # type: ignore[no-untyped-def]
            return [s.id for s in sessions]

        assert ids(await found(SessionQuery())) == ["s4", "s3", "s2", "s1"]
        assert ids(await found(SessionQuery(user_ids=("bob",)))) == ["s4", "s3"]
        assert ids(await found(SessionQuery(session_ids=("s2", "nope")))) == ["s2"]
        assert ids(await found(SessionQuery(session_ids=()))) == []
        assert ids(await found(SessionQuery(telegram_user_id=71))) == ["s1"]
        assert ids(await found(SessionQuery(provider=CRYPTO))) == ["s2"]
        assert ids(await found(SessionQuery(status=SessionStatus.EXPIRED))) == ["s4"]
        assert ids(await found(SessionQuery(since=at(10), until=at(30)))) == ["s3", "s2"]
        first = await found(SessionQuery(limit=2))
        last = first[-1]
        assert ids(await found(SessionQuery(before=(last.created_at, last.id)))) == ["s2", "s1"]


async def test_a_sessions_charges_entries_and_the_days_figures_are_read(db: Database) -> None:
    await seed(db)
    async with db() as uow:
        charges = await uow.back_office.charges_of("s1")
        by_id = await uow.back_office.charges_by_id("c2")
        entries = await uow.back_office.entries_about("s1")
        settled = await uow.back_office.settled_between(at(0), at(60))
        later = await uow.back_office.settled_between(at(60), at(60 * 48))
        reported = await uow.back_office.charges_between(at(1.5), at(60))
    assert [(c.charge_id, c.status) for c in charges] == [
        ("c1", ChargeStatus.CREDITED), ("c9", ChargeStatus.REJECTED)]
    assert [(c.provider, c.session_id) for c in by_id] == [(CRYPTO, "s2")]
    assert [(e.id, e.amount_for("user:ann")) for e in entries] == [("e1", 100)]
    assert sorted(s.id for s in settled) == ["s1", "s2"]  # paid in the window
    assert [s.id for s in later] == ["s2"]  # refunded in it
    assert [c.charge_id for c in reported] == ["c9", "c2"]


async def test_the_outbox_is_listed_newest_first_by_status(db: Database) -> None:
    async with db() as uow:
        for n, status in enumerate((OutboxStatus.SENT, OutboxStatus.FAILED,
                                    OutboxStatus.PENDING)):
            item = OutboxItem.now(f"o{n}", 7, SendText(f"t{n}"), at(n))
            await uow.outbox.add(replace(item, status=status))
        await uow.commit()
    async with db() as uow:
        every = await uow.back_office.outbox(None, 10)
        failed = await uow.back_office.outbox(OutboxStatus.FAILED, 10)
        page = await uow.back_office.outbox(None, 1, before=at(2))
    assert [i.id for i in every] == ["o2", "o1", "o0"]
    assert [i.id for i in failed] == ["o1"]
    assert [i.id for i in page] == ["o1"]


async def test_the_audit_trail_keeps_each_action_and_finds_them_by_admin_and_target(
    db: Database,
) -> None:
    actions = [AdminAction("a1", T0, "ann", "refund_admin", "s1", "asked", "100 credits"),
               AdminAction("a2", T0 + timedelta(minutes=1), "bob", "adjust_credits", "u1",
                           "goodwill", "+5 credits"),
               AdminAction("a3", T0 + timedelta(minutes=2), "ann", "retry_outbox", "o1")]
    async with db() as uow:
        for action in actions:
            await uow.audit.add(action)
        await uow.commit()
    async with db() as uow:
        every = await uow.audit.find()
        anns = await uow.audit.find(admin="ann")
        on_s1 = await uow.audit.find(target="s1")
        page = await uow.audit.find(before=(at(2), "a3"), limit=1)
        same_time = await uow.audit.find(before=(at(1), "a2z"))  # after a2 in (at, id) order
    assert every == list(reversed(actions))
    assert [a.id for a in anns] == ["a3", "a1"]
    assert on_s1 == [actions[0]]
    assert [a.id for a in page] == ["a2"]
    assert [a.id for a in same_time] == ["a2", "a1"]
