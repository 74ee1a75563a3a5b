"""Scheduled jobs: expiring sessions, reconciling lost payments, checking patrons in batches."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from starport.application import commands as c
from starport.application.ports import PaidTransaction
from starport.domain.charges import ChargeStatus
from starport.domain.money import Stars
from starport.domain.perks import MemberStatus, Patron, PatronSource
from starport.domain.providers import Provider
from starport.domain.sessions import SessionStatus

STARS, CRYPTO = Provider.TELEGRAM_STARS, Provider.CRYPTOPAY


class TestExpireSessions:
    async def test_stale_sessions_expire_and_their_crypto_invoices_are_cancelled(self, world
                                                                                 ) -> None:
        # Given two stale sessions, one fresh, one paid
        stale_stars = await world.handle(c.CreateSession("u1", "starter", STARS))
        stale_crypto = await world.handle(c.CreateSession("u1", "starter", CRYPTO))
        paid = await world.buy("u2")
        world.clock.advance(timedelta(minutes=20))
        fresh = await world.handle(c.CreateSession("u3", "starter", CRYPTO))
        world.clock.advance(timedelta(minutes=15))
        # When
        counts = await world.handle(c.ExpireSessions())
        # Then
        assert counts.counts == {"expired": 2, "invoices_cancelled": 1}
        assert (await world.session(stale_stars.id)).status is SessionStatus.EXPIRED
        assert (await world.session(stale_crypto.id)).status is SessionStatus.EXPIRED
        assert world.crypto.deleted == ["1000"]
        assert world.crypto.invoices["1000"].status == "expired"
        assert (await world.session(fresh.id)).status is SessionStatus.INVOICED
        assert (await world.session(paid.id)).status is SessionStatus.PAID

    async def test_a_stale_crypto_session_that_was_paid_is_credited_not_expired(self, world
                                                                                ) -> None:
        # Given the user paid the invoice but the webhook was lost
        view = await world.handle(c.CreateSession("u1", "starter", CRYPTO, telegram_user_id=900))
        world.crypto.pay("1000", world.clock.now())
        world.clock.advance(timedelta(hours=1))
        # When
        counts = await world.handle(c.ExpireSessions())
        # Then
        assert counts["credited"] == 1
        assert counts["expired"] == 0
        assert (await world.session(view.id)).status is SessionStatus.PAID
        assert await world.balance("u1") == 100
        assert world.crypto.invoices["1000"].status == "paid"

    async def test_running_again_finds_nothing(self, world) -> None:
        # Given
        await world.handle(c.CreateSession("u1", "starter", CRYPTO))
        world.clock.advance(timedelta(hours=1))
        await world.handle(c.ExpireSessions())
        # When / Then
        assert (await world.handle(c.ExpireSessions())).counts == {}
        assert world.crypto.deleted == ["1000"]

    async def test_a_batch_limits_how_many_expire_per_run(self, world) -> None:
        # Given
        for _ in range(3):
            await world.handle(c.CreateSession("u1", "starter", STARS))
        world.clock.advance(timedelta(hours=1))
        # When / Then
        assert (await world.handle(c.ExpireSessions(batch=2)))["expired"] == 2
        assert (await world.handle(c.ExpireSessions(batch=2)))["expired"] == 1


class TestReconcile:
    async def test_a_lost_crypto_pay_webhook_is_credited_once(self, world) -> None:
        # Given the user paid but the webhook never came
        view = await world.handle(c.CreateSession("u1", "starter", CRYPTO, telegram_user_id=900))
        world.crypto.pay("1000", world.clock.now())
        # When
        first = await world.handle(c.Reconcile(CRYPTO))
        second = await world.handle(c.Reconcile(CRYPTO))
        # Then
        assert (first["checked"], first["credited"]) == (1, 1)
        assert second["credited"] == 0
        assert await world.balance("u1") == 100
        assert (await world.session(view.id)).status is SessionStatus.PAID
        assert len(world.texts_to(900)) == 1

    async def test_an_underpaid_crypto_invoice_is_rejected_not_credited(self, world) -> None:
        # Given
        await world.handle(c.CreateSession("u1", "starter", CRYPTO))
        world.crypto.pay("1000", world.clock.now(), amount=Decimal("1.0"))
        # When
        counts = await world.handle(c.Reconcile(CRYPTO))
        # Then
        assert counts["rejected"] == 1
        assert await world.balance("u1") == 0

    async def test_unpaid_crypto_invoices_are_checked_but_nothing_is_credited(self, world
                                                                              ) -> None:
        # Given
        await world.handle(c.CreateSession("u1", "starter", CRYPTO))
        # When
        counts = await world.handle(c.Reconcile(CRYPTO))
        # Then
        assert (counts["checked"], counts["credited"]) == (1, 0)

    async def test_a_stars_transaction_from_the_list_is_credited_once_and_the_cursor_saved(
            self, world) -> None:
        # Given the user paid through the invoice link but the successful_payment was lost
        view = await world.handle(c.CreateSession("u1", "starter", STARS))
        assert (await world.handle(c.ValidatePreCheckout("q1", 777, view.id, "XTR", 50))).ok
        world.stars.record_payment(PaidTransaction("tg-lost", view.id, Stars(50),
                                                   world.clock.now(), 777))
        # When
        first = await world.handle(c.Reconcile(STARS))
        second = await world.handle(c.Reconcile(STARS))
        # Then
        assert (first["transactions"], first["credited"]) == (1, 1)
        assert second["transactions"] == 0  # the cursor moved past it
        assert await world.balance("u1") == 100
        async with world.deps.uow() as uow:
            assert await uow.cursors.get("reconcile:telegram_stars") == "1"
        assert world.texts_to(777) == [
            "Payment received: 100 credits added. Your balance: 100 credits."]

    async def test_a_stars_transaction_already_credited_by_its_webhook_is_not_credited_again(
            self, world) -> None:
        # Given
        view = await world.buy(charge_id="tg-1")
        world.stars.record_payment(PaidTransaction("tg-1", view.id, Stars(50),
                                                   world.clock.now(), 777))
        # When
        counts = await world.handle(c.Reconcile(STARS))
        # Then
        assert (counts["already_credited"], counts["credited"]) == (1, 0)
        assert await world.balance("u1") == 100

    async def test_the_list_is_read_page_by_page_from_the_saved_cursor(self, world) -> None:
        # Given three payments and pages of two
        world.stars.page_size = 2
        views = [await world.handle(c.CreateSession(f"u{n}", "starter", STARS))
                 for n in range(4)]
        for n, view in enumerate(views[:3]):
            world.stars.record_payment(PaidTransaction(f"tg-{n}", view.id, Stars(50),
                                                       world.clock.now()))
        assert (await world.handle(c.Reconcile(STARS)))["credited"] == 3
        # When one more arrives
        world.stars.record_payment(PaidTransaction("tg-3", views[3].id, Stars(50),
                                                   world.clock.now()))
        counts = await world.handle(c.Reconcile(STARS))
        # Then only the new one is read
        assert (counts["transactions"], counts["credited"]) == (1, 1)
        assert [await world.balance(f"u{n}") for n in range(4)] == [100] * 4

    async def test_a_transaction_without_a_session_is_counted_unmatched(self, world) -> None:
        # Given
        world.stars.record_payment(PaidTransaction("tg-x", None, Stars(5), world.clock.now()))
        # When
        counts = await world.handle(c.Reconcile(STARS))
        # Then
        assert counts["unmatched"] == 1

    async def test_a_transaction_of_an_unknown_session_is_kept_unmatched_not_a_crash(
            self, world) -> None:
        # Given
        world.stars.record_payment(PaidTransaction("tg-x", "nope", Stars(5), world.clock.now()))
        # When
        counts = await world.handle(c.Reconcile(STARS))
        # Then nothing is credited, and the charge is kept for a human to look at
        assert (counts["transactions"], counts["credited"]) == (1, 0)
        async with world.deps.uow(read_only=True) as uow:
            charge = await uow.charges.get(STARS, "tg-x")
            assert await uow.ledger.total() == 0
        assert charge is not None and charge.status is ChargeStatus.UNMATCHED
        # Fails on purpose (suspected src bug, reported): jobs._credit counts an unmatched
        # charge as "rejected" (a wrong amount), not as "unmatched" like a transaction without
        # a session, so the job's counts hide money nobody can match.
        assert (counts["unmatched"], counts["rejected"]) == (1, 0)


async def add_patron(world, telegram_user_id: int, *, until_in: timedelta | None = None,
                     active: bool = True) -> None:
    now = world.clock.now()
    async with world.deps.uow() as uow:
        await uow.patrons.add(Patron(
            telegram_user_id=telegram_user_id, user_id=f"u{telegram_user_id}",
            source=PatronSource.HOST_APP, since=now,
            until=now + until_in if until_in is not None else None, active=active))
        await uow.commit()


class TestCheckMemberships:
    async def test_each_patron_is_checked_invited_joined_or_removed(self, world) -> None:
        # Given
        await add_patron(world, 1)  # in the channel, never seen before
        world.channel.members[1] = MemberStatus.MEMBER
        await add_patron(world, 2)  # not in the channel
        await add_patron(world, 3, until_in=timedelta(hours=1))  # lapses
        world.channel.members[3] = MemberStatus.MEMBER
        await world.handle(c.ObserveMembership(3, MemberStatus.MEMBER))
        await add_patron(world, 4, active=False)  # ended long ago
        world.clock.advance(timedelta(hours=2))
        # When
        counts = await world.handle(c.CheckMemberships(batch=2))
        # Then
        assert counts.counts == {"checked": 2, "joined": 1, "bonuses": 1, "invited": 1,
                                 "removed": 1}
        assert await world.balance("u1") == 10
        assert len(world.channel.links) == 1
        assert any(link in text for text in world.texts_to(2) for link in world.channel.links)
        assert world.channel.removed == [3]

    async def test_a_second_check_sends_no_new_invite_and_no_second_bonus(self, world) -> None:
        # Given
        await add_patron(world, 1)
        world.channel.members[1] = MemberStatus.MEMBER
        await add_patron(world, 2)
        await world.handle(c.CheckMemberships())
        # When
        counts = await world.handle(c.CheckMemberships())
        # Then
        assert counts.counts == {"checked": 2, "joined": 1}
        assert await world.balance("u1") == 10
        assert len(world.channel.links) == 1

    async def test_failures_are_counted_and_the_others_still_checked(self, world) -> None:
        # Given the bot lost its admin rights: no invite can be made
        await add_patron(world, 1)
        world.channel.members[1] = MemberStatus.MEMBER
        await add_patron(world, 2)
        world.channel.bot_is_admin = False
        # When
        counts = await world.handle(c.CheckMemberships())
        # Then
        assert counts.counts == {"checked": 2, "joined": 1, "bonuses": 1, "errors": 1}


class TestBulkInvite:
    async def test_every_entitled_patron_without_an_invite_is_invited(self, world) -> None:
        # Given
        await world.handle(c.MakePatron(1))  # already holds a usable invite
        await add_patron(world, 2)
        await add_patron(world, 3)
        await add_patron(world, 4, until_in=timedelta(minutes=1))
        await add_patron(world, 5, active=False)
        world.clock.advance(timedelta(minutes=2))
        # When
        counts = await world.handle(c.BulkInvite(batch=2))
        # Then
        assert counts.counts == {"checked": 3, "invited": 2, "skipped": 1}
        assert len(world.channel.links) == 3
        assert len(world.texts_to(2)) == len(world.texts_to(3)) == 1

    async def test_errors_are_counted(self, world) -> None:
        # Given
        await add_patron(world, 2)
        world.channel.bot_is_admin = False
        # When
        counts = await world.handle(c.BulkInvite())
        # Then
        assert counts.counts == {"checked": 1, "errors": 1}
