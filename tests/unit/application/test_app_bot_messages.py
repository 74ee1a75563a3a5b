"""Admin-editable bot messages: change (audited), reset, history, list, preview."""

from __future__ import annotations

from datetime import timedelta

import pytest

from starport.application import bot_messages as bm
from starport.application import commands as c
from starport.domain.bot_messages import DEFINITIONS
from starport.domain.errors import InvalidTemplate, UnknownMessageKey


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
