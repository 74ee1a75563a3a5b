"""Admin-editable bot messages: change (audited), reset, history, list, preview."""

from __future__ import annotations

from datetime import timedelta

import pytest

from starport.application import bot_messages as bm
from starport.application import commands as c
from starport.domain.bot_messages import DEFINITIONS
from starport.domain.errors import InvalidLanguage, InvalidTemplate, UnknownMessageKey
from starport.domain.money import Stars
from starport.domain.providers import Provider


def update(key: str, template: str, parse_mode: str | None = None, by: str = "admin:ann"
           ) -> c.UpdateBotMessage:
    return c.UpdateBotMessage(key, template, parse_mode, by)


class TestUpdate:
    async def test_an_admin_changes_a_message_and_users_see_the_new_text(self, world) -> None:
        # When
        view = await world.handle(update(
            "payment_success", "<b>+{credits}</b> credits. Balance {balance}.", "HTML"))
        # Then
        assert (view.is_default, view.updated_by, view.parse_mode) == (False, "admin:ann",
                                                                       "HTML")
        assert view.updated_at == world.clock.now().isoformat()
        await world.buy()
        [success] = [m for m in world.messenger.messages if "credits." in m.text]
        assert (success.text, success.parse_mode) == ("<b>+100</b> credits. Balance 100.",
                                                      "HTML")

    async def test_the_change_is_kept_across_units_of_work(self, world) -> None:
        # Given
        await world.handle(update("balance_info", "You have {balance}."))
        # When
        view = await bm.get_bot_message(world.deps, "balance_info")
        # Then
        assert view.template == "You have {balance}."
        assert await bm.render_bot_message(world.deps, "balance_info", balance=5) == (
            "You have 5.")

    async def test_an_invalid_template_leaves_the_old_text(self, world) -> None:
        # Given
        await world.handle(update("balance_info", "You have {balance}."))
        # When
        with pytest.raises(InvalidTemplate):
            await world.handle(update("balance_info", "You have {balance} {password}."))
        with pytest.raises(InvalidTemplate):
            await world.handle(update("balance_info", "<b>{balance}", "HTML"))
        # Then
        view = await bm.get_bot_message(world.deps, "balance_info")
        assert view.template == "You have {balance}."
        assert len(await bm.bot_message_history(world.deps, "balance_info")) == 1

    async def test_an_unchanged_text_is_not_a_change(self, world) -> None:
        # Given
        default = DEFINITIONS["balance_info"].default
        # When
        view = await world.handle(update("balance_info", default))
        # Then
        assert view.is_default
        assert view.updated_by is None
        assert await bm.bot_message_history(world.deps, "balance_info") == []

    async def test_an_unknown_key_is_refused_everywhere(self, world) -> None:
        # When / Then
        with pytest.raises(UnknownMessageKey):
            await world.handle(update("nope", "x"))
        with pytest.raises(UnknownMessageKey):
            await world.handle(c.ResetBotMessage("nope", "admin"))
        with pytest.raises(UnknownMessageKey):
            await bm.get_bot_message(world.deps, "nope")
        with pytest.raises(UnknownMessageKey):
            await bm.bot_message_history(world.deps, "nope")
        assert world.db.store.bot_messages.rows == {}


class TestResetAndHistory:
    async def test_reset_restores_the_default_and_the_history_tells_it_all(self, world
                                                                           ) -> None:
        # Given two changes
        default = DEFINITIONS["terms_info"].default
        await world.handle(update("terms_info", "Terms v1", by="admin:ann"))
        world.clock.advance(timedelta(minutes=1))
        await world.handle(update("terms_info", "Terms v2", by="admin:bob"))
        world.clock.advance(timedelta(minutes=1))
        # When
        view = await world.handle(c.ResetBotMessage("terms_info", "admin:cid"))
        # Then
        assert (view.template, view.is_default, view.updated_by) == (default, True, "admin:cid")
        history = await bm.bot_message_history(world.deps, "terms_info")
        assert [(h.previous, h.current, h.changed_by) for h in history] == [
            ("Terms v2", default, "admin:cid"),
            ("Terms v1", "Terms v2", "admin:bob"),
            (default, "Terms v1", "admin:ann"),
        ]
        assert len(await bm.bot_message_history(world.deps, "terms_info", limit=2)) == 2

    async def test_resetting_a_default_is_not_a_change(self, world) -> None:
        # When
        view = await world.handle(c.ResetBotMessage("terms_info", "admin"))
        # Then
        assert view.is_default
        assert await bm.bot_message_history(world.deps, "terms_info") == []

    async def test_the_history_is_per_key(self, world) -> None:
        # When
        await world.handle(update("terms_info", "Terms"))
        # Then
        assert await bm.bot_message_history(world.deps, "support_info") == []


class TestListAndPreview:
    async def test_every_message_is_listed_with_its_placeholders_and_purpose(self, world
                                                                             ) -> None:
        # Given
        await world.handle(update("support_info", "Write to @help"))
        # When
        views = await bm.list_bot_messages(world.deps)
        # Then
        assert [v.key for v in views] == list(DEFINITIONS)
        by_key = {v.key: v for v in views}
        assert by_key["support_info"].template == "Write to @help"
        assert not by_key["support_info"].is_default
        assert by_key["payment_failed"].placeholders == ("reason", "session_id")
        assert all(v.purpose for v in views)
        assert sum(not v.is_default for v in views) == 1

    async def test_a_preview_renders_with_the_given_values(self, world) -> None:
        # When
        text = await bm.render_bot_message(world.deps, "payment_failed", reason="expired")
        # Then
        assert text == "We could not accept this payment: expired"

    async def test_a_preview_without_a_needed_value_is_refused(self, world) -> None:
        with pytest.raises(InvalidTemplate):
            await bm.render_bot_message(world.deps, "payment_failed")


def labels(world, chat_id: int) -> list[list[str]]:  # type: ignore[no-untyped-def]
    """The button labels under the latest message to the chat that has buttons."""
    [*_, last] = [m for m in world.messenger.messages if m.chat_id == chat_id and m.buttons]
    return [[b.text for b in row] for row in last.buttons]


class TestLanguages:
    async def test_each_user_reads_their_language_else_the_default(self, world) -> None:
        # Given
        await world.handle(c.UpdateBotMessage("payment_success", "Оплачено: +{credits}.",
                                              None, "admin:ann", language="ru"))
        # When a Russian, a Ukrainian-Russian and a German user pay
        await world.handle(c.CompletePayment(
            Provider.TELEGRAM_STARS, (await world.open_stars_session("u1", telegram_user_id=1)
                                      ).id, "c1", Stars(50), 1, 1, language="ru"))
        await world.handle(c.CompletePayment(
            Provider.TELEGRAM_STARS, (await world.open_stars_session("u2", telegram_user_id=2)
                                      ).id, "c2", Stars(50), 2, 2, language="ru-UA"))
        await world.handle(c.CompletePayment(
            Provider.TELEGRAM_STARS, (await world.open_stars_session("u3", telegram_user_id=3)
                                      ).id, "c3", Stars(50), 3, 3, language="de"))
        # Then
        assert world.texts_to(1)[-1] == "Оплачено: +100."
        assert world.texts_to(2)[-1] == "Оплачено: +100."
        assert world.texts_to(3)[-1].startswith("Payment received: 100 credits added.")

    async def test_the_menu_buttons_are_editable_per_language(self, world) -> None:
        # Given
        await world.handle(c.UpdateBotMessage("button_buy", "Купить", None, "admin",
                                              language="ru"))
        await world.handle(c.UpdateBotMessage("button_support", "Help", None, "admin"))
        # When
        await world.handle(c.Reply(10, "bot_welcome", "Ann", language="ru"))
        await world.handle(c.Reply(11, "bot_welcome", "Bob"))
        # Then
        assert labels(world, 10) == [["Купить", "Balance"], ["Help"]]
        assert labels(world, 11) == [["Buy credits", "Balance"], ["Help"]]

    async def test_the_package_buttons_and_the_pre_checkout_refusal_too(self, world) -> None:
        # Given
        await world.handle(c.UpdateBotMessage(
            "button_package", "{package_title}: {credits} за {amount}", None, "admin",
            language="ru"))
        await world.handle(c.UpdateBotMessage("checkout_wrong_amount", "Цена изменилась.",
                                              None, "admin", language="ru"))
        view = await world.open_stars_session("u1", telegram_user_id=20)
        # When
        await world.handle(c.ShowPackages(20, "Ann", language="ru"))
        answer = await world.handle(c.ValidatePreCheckout("q1", 20, view.id, "XTR", 1,
                                                          language="ru"))
        # Then
        assert labels(world, 20)[0] == ["Starter: 100 за 50 ⭐"]
        assert answer.error_message == "Цена изменилась."

    async def test_a_language_reset_falls_back_and_the_history_says_so(self, world) -> None:
        # Given
        await world.handle(c.UpdateBotMessage("terms_info", "Terms", None, "admin:ann"))
        await world.handle(c.UpdateBotMessage("terms_info", "Условия", None, "admin:bob",
                                              language="ru"))
        world.clock.advance(timedelta(minutes=1))
        # When
        view = await world.handle(c.ResetBotMessage("terms_info", "admin:cid", language="ru"))
        again = await world.handle(c.ResetBotMessage("terms_info", "admin:cid", language="ru"))
        # Then
        assert (view.template, view.falls_back, view.language) == ("Terms", True, "ru")
        assert again.falls_back
        history = await bm.bot_message_history(world.deps, "terms_info")
        assert [(h.language, h.previous, h.current, h.changed_by) for h in history] == [
            ("ru", "Условия", "Terms", "admin:cid"),
            ("ru", "Terms", "Условия", "admin:bob"),
            ("en", DEFINITIONS["terms_info"].default, "Terms", "admin:ann"),
        ]
        assert await bm.render_bot_message(world.deps, "terms_info", "ru") == "Terms"

    async def test_a_first_text_equal_to_the_fallback_is_no_change(self, world) -> None:
        view = await world.handle(c.UpdateBotMessage(
            "terms_info", DEFINITIONS["terms_info"].default, None, "admin", language="ru"))
        assert view.falls_back
        assert await bm.bot_message_history(world.deps, "terms_info") == []

    async def test_the_offered_languages_bound_what_an_admin_may_write(self, make_world
                                                                      ) -> None:
        world = make_world(default_language="ru", languages=("ru", "en"))
        # When
        russian = await world.handle(c.UpdateBotMessage("buy_menu", "Пакеты:", None, "a"))
        with pytest.raises(InvalidLanguage, match="ru, en"):
            await world.handle(c.UpdateBotMessage("buy_menu", "Pakete:", None, "a",
                                                  language="de"))
        # Then the default language is Russian: a German user reads it
        assert russian.language == "ru"
        assert [t.language for t in russian.texts] == ["ru", "en"]
        assert await bm.render_bot_message(world.deps, "buy_menu", "de") == "Пакеты:"
        assert await bm.render_bot_message(world.deps, "buy_menu", "en") == "Пакеты:"

    async def test_a_preview_of_the_text_in_force_or_of_a_draft(self, world) -> None:
        await world.handle(c.UpdateBotMessage("payment_failed", "Отказ: {reason}", None,
                                              "admin", language="ru"))
        current = await bm.preview_bot_message(world.deps, "payment_failed", "ru")
        draft = await bm.preview_bot_message(world.deps, "payment_failed", "ru",
                                             "Отказ: {reason}!", "MarkdownV2")
        assert (current.text, current.error) == ("Отказ: the price has changed", None)
        assert draft.text is None and draft.error is not None and "'!'" in draft.error
        with pytest.raises(UnknownMessageKey):
            await bm.preview_bot_message(world.deps, "nope")

    async def test_an_admins_refund_is_told_in_the_buyers_language(self, world) -> None:
        # Given a Russian buyer's payment (the payment update gives the language)
        await world.handle(c.UpdateBotMessage(
            "payment_refunded", "Возврат: −{credits} кредитов.", None, "admin", language="ru"))
        view = await world.open_stars_session("u1", telegram_user_id=30)
        await world.handle(c.CompletePayment(Provider.TELEGRAM_STARS, view.id, "c30",
                                             Stars(50), 30, 30, language="ru"))
        # When an admin refunds it: no update, no language of its own
        await world.handle(c.RefundPayment(view.id, "admin:ann"))
        # Then
        assert (await world.session(view.id)).language == "ru"
        assert world.texts_to(30)[-1] == "Возврат: −100 кредитов."
