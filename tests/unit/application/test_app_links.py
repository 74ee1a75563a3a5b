"""One user across bot and app: a Telegram account linked to a host user by paying the host
user's session, by the host app, or by the user opening the host app's one-time link; the bot
and the Mini App then act on that user's account."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest
from tests.unit.conftest import World

from starport.adapters.memory.repositories import MemoryLedger
from starport.application import commands as c
from starport.application.links import resolve_account
from starport.domain.errors import LinkTokenInvalid, NotLinked, TelegramAlreadyLinked
from starport.domain.ledger import Account
from starport.domain.links import LinkedVia
from starport.domain.money import Stars
from starport.domain.providers import Provider

STARS = Provider.TELEGRAM_STARS
TG = 777


async def bot_buys(world: World, telegram_user_id: int = TG, charge: str = "bot-1") -> None:
    """A purchase made in the bot alone (/buy), credited to the Telegram account it acts for."""
    answer = await world.handle(c.BuyFromChat("q", telegram_user_id, telegram_user_id,
                                              "starter", "Ann"))
    assert answer.session is not None
    outcome = await world.handle(c.CompletePayment(
        STARS, answer.session.id, charge, Stars(50), telegram_user_id, telegram_user_id))
    assert outcome.credited


class TestLinkedByPaying:
    async def test_paying_a_host_users_session_links_and_the_bot_shows_the_same_balance(
            self, world: World) -> None:
        # When Telegram user 777 pays the session the host app opened for alice
        await world.buy("alice", telegram_user_id=TG)
        # Then the bot's /balance is alice's
        balance = await world.handle(c.ReplyBalance(TG, str(TG), "Ann", telegram_user_id=TG))
        assert balance == 100 == await world.balance("alice")
        assert await resolve_account(world.deps, TG) == "alice"

    async def test_then_buying_in_the_bot_credits_the_host_user(self, world: World) -> None:
        await world.buy("alice", telegram_user_id=TG)

        await bot_buys(world)

        assert await world.balance("alice") == 200
        assert await world.balance(str(TG)) == 0

    async def test_an_account_linked_to_someone_else_stays_linked_to_them(
            self, world: World) -> None:
        await world.buy("alice", telegram_user_id=TG, charge_id="c1")
        await world.buy("bob", telegram_user_id=TG, charge_id="c2")  # the same phone, bob's link

        assert await resolve_account(world.deps, TG) == "alice"
        assert (await world.balance("alice"), await world.balance("bob")) == (100, 100)


class TestTelegramOnlyCredits:
    async def test_credits_bought_in_the_bot_before_the_link_move_to_the_user_once(
            self, world: World) -> None:
        # Given credits bought in the bot alone
        await bot_buys(world)
        assert await world.balance(str(TG)) == 100
        # When the host app links the account, twice
        await world.handle(c.LinkTelegram("alice", TG))
        await world.handle(c.LinkTelegram("alice", TG))
        # Then they moved once, and the ledger still adds up
        assert (await world.balance("alice"), await world.balance(str(TG))) == (100, 0)
        kinds = [e.kind.value for e in world.db.store.entries.rows.values()]
        assert kinds.count("transfer") == 1

    async def test_a_link_made_on_a_payment_moves_what_the_account_holds_when_moved(
            self, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
        # Given credits bought in the bot alone, and a payment whose read of them is older
        # than the transfer (on PostgreSQL: a spend committed while the link's write waited)
        await bot_buys(world)
        read = MemoryLedger.accounts_and_held

        async def stale(self: MemoryLedger, ids: Sequence[str], held_by: str | None
                        ) -> tuple[dict[str, Account], int]:
            accounts, held = await read(self, ids, held_by)
            return accounts, held + 150

        monkeypatch.setattr(MemoryLedger, "accounts_and_held", stale)
        # When Telegram user 777 pays alice's session
        await world.buy("alice", telegram_user_id=TG)
        # Then the payment is credited and what the account held then (100) moved
        assert (await world.balance("alice"), await world.balance(str(TG))) == (200, 0)

    async def test_unlinking_moves_nothing_back(self, world: World) -> None:
        await bot_buys(world)
        await world.handle(c.LinkTelegram("alice", TG))

        await world.handle(c.UnlinkTelegram("alice", TG))

        assert await world.balance("alice") == 100
        assert await resolve_account(world.deps, TG) == str(TG)


class TestHostApi:
    async def test_a_conflicting_link_is_refused(self, world: World) -> None:
        await world.handle(c.LinkTelegram("alice", TG))

        with pytest.raises(TelegramAlreadyLinked):
            await world.handle(c.LinkTelegram("bob", TG))
        assert await resolve_account(world.deps, TG) == "alice"

    async def test_unlinking_someone_elses_account_is_refused(self, world: World) -> None:
        await world.handle(c.LinkTelegram("alice", TG))

        with pytest.raises(NotLinked):
            await world.handle(c.UnlinkTelegram("bob", TG))

    async def test_a_telegram_account_cannot_be_linked_to_itself(self, world: World) -> None:
        with pytest.raises(TelegramAlreadyLinked, match="nothing to link"):
            await world.handle(c.LinkTelegram(str(TG), TG))


class TestLinkToken:
    async def test_opening_the_link_in_the_bot_links_and_tells_the_user(
            self, world: World) -> None:
        # Given
        view = await world.handle(c.CreateLinkToken("alice"))
        assert view.deep_link.endswith(f"?start=link_{view.token}")
        assert len(f"link_{view.token}") <= 64  # Telegram's start parameter
        # When
        made = await world.handle(c.RedeemLinkToken(view.token, TG, TG, "Ann"))
        # Then
        assert (made.user_id, made.via) == ("alice", LinkedVia.LINK_TOKEN)
        assert world.texts_to(TG)[-1].startswith("Your Telegram account is now linked")

    async def test_a_used_or_expired_link_is_explained_and_changes_nothing(
            self, world: World) -> None:
        used = await world.handle(c.CreateLinkToken("alice"))
        await world.handle(c.RedeemLinkToken(used.token, TG, TG, "Ann"))
        late = await world.handle(c.CreateLinkToken("bob"))
        world.clock.advance(timedelta(hours=2))

        with pytest.raises(LinkTokenInvalid):
            await world.handle(c.RedeemLinkToken(used.token, 888, 888, "Bo"))
        with pytest.raises(LinkTokenInvalid, match="expired"):
            await world.handle(c.RedeemLinkToken(late.token, 888, 888, "Bo"))
        with pytest.raises(LinkTokenInvalid, match="not known"):
            await world.handle(c.RedeemLinkToken("nope", 888, 888, "Bo"))
        assert await resolve_account(world.deps, 888) == "888"
        assert world.texts_to(888) == ["This link cannot be used: this link was used already: "
                                       "ask for a new one",
                                       "This link cannot be used: this link has expired: ask "
                                       "for a new one",
                                       "This link cannot be used: this link is not known: ask "
                                       "for a new one"]
