"""Every typed method matches the Bot API spec and is accepted by the sandbox, one after another."""

from __future__ import annotations

import asyncio
import inspect
import re

from starport.adapters.telegram import BotApiClient, BotCommand, LabeledPrice, WebAppMenuButton
from starport.sandbox.telegram import Actor, SandboxTelegram, load_spec

# Params a typed method fills in itself (Stars invoices) or that are ours, not Telegram's.
_FILLED_IN = {"currency", "provider_token", "prices"}
_OURS = {"self", "extra"}


def _typed_methods() -> dict[str, str]:
    """Python name -> Bot API name, for every public coroutine of the client but `call`."""
    names = {}
    for name, _fn in inspect.getmembers(BotApiClient, inspect.iscoroutinefunction):
        if not name.startswith("_") and name not in {"call", "aclose"}:
            names[name] = re.sub(r"_([a-z])", lambda m: m.group(1).upper(), name)
    return names


def test_each_typed_method_is_a_bot_api_method_with_its_params() -> None:
    spec = load_spec()
    for name, api_name in _typed_methods().items():
        method = spec.method(api_name)
        assert method is not None, api_name
        fields = {f.name for f in method.fields}
        params = inspect.signature(getattr(BotApiClient, name)).parameters
        assert set(params) - _OURS <= fields | _FILLED_IN, name
        required = {f.name for f in method.fields if f.required} - _FILLED_IN
        assert required <= set(params), name


async def test_a_tour_of_every_typed_method(
    bot: BotApiClient, actor: Actor, sandbox: SandboxTelegram
) -> None:
    user, patron, channel = 5550010, 5550011, -1009990010
    actor.create_user(user, started=True)
    actor.create_user(patron)
    actor.create_channel(channel, "Patrons")
    price = [LabeledPrice("100 credits", 50)]

    await bot.get_me()
    await bot.set_my_commands([BotCommand("start", "Start")])
    await bot.get_my_commands()
    await bot.delete_my_commands()
    await bot.set_chat_menu_button(WebAppMenuButton("Buy", "https://pay.example.com/miniapp/"))
    assert (await bot.get_chat_menu_button())["type"] == "web_app"
    await bot.set_webhook("http://127.0.0.1:9/hook", secret_token="abc", drop_pending_updates=True)
    await bot.get_webhook_info()
    await bot.delete_webhook(drop_pending_updates=True)
    await bot.send_message(user, "hi", reply_markup={"inline_keyboard": [[
        {"text": "Go", "callback_data": "go"}
    ]]})  # fmt: skip
    await actor.press_button(user, callback_data="go")
    (update,) = await bot.get_updates(timeout=1)
    await bot.answer_callback_query(update["callback_query"]["id"])
    await bot.get_updates(offset=update["update_id"] + 1)

    await bot.send_invoice(user, "Pack", "Credits", "session:t1", price)
    link = await bot.create_invoice_link("Patron", "Monthly", "sub:t", price, 2592000)
    paying = asyncio.create_task(actor.pay_invoice(user, invoice_link=link))
    updates = await bot.get_updates(timeout=5)
    await bot.answer_pre_checkout_query(updates[-1]["pre_checkout_query"]["id"], True)
    charge_id = (await paying).telegram_payment_charge_id
    assert charge_id is not None
    await bot.get_star_transactions(offset=0, limit=10)
    await bot.edit_user_star_subscription(user, charge_id, is_canceled=True)
    await bot.refund_star_payment(user, charge_id)

    await bot.get_chat(channel)
    link_obj = await bot.create_chat_invite_link(channel, member_limit=1, name="p")
    await bot.revoke_chat_invite_link(channel, link_obj["invite_link"])
    request_link = await bot.create_chat_invite_link(channel, creates_join_request=True)
    await actor.join_channel(patron, channel, invite_link=request_link["invite_link"])
    await bot.decline_chat_join_request(channel, patron)
    await actor.request_join(patron, channel)
    await bot.approve_chat_join_request(channel, patron)
    await bot.get_chat_member(channel, patron)
    await bot.ban_chat_member(channel, patron)
    await bot.unban_chat_member(channel, patron, only_if_banned=True)

    called = {c.method for c in sandbox.calls if c.ok}
    assert called >= set(_typed_methods().values())
    assert sandbox.spec_violations == []
    assert sandbox.result_violations == []
