"""Update delivery: webhook with secret header, retries, order, filters, replays, getUpdates."""

from __future__ import annotations

import asyncio

from starport.sandbox.telegram import Actor, SandboxTelegram

from .conftest import BotApi, Receiver

USER = 42


async def test_updates_carry_the_secret_header_and_increasing_ids(
    actor: Actor, receiver: Receiver
) -> None:
    actor.create_user(USER, "Ann", "ann")
    first = await actor.send_text(USER, "/start pay_abc123")
    await actor.send_text(USER, "hello")
    assert first.status == "delivered" and first.attempts == 1
    assert receiver.secret_headers == ["s3cret", "s3cret"]
    ids = [u["update_id"] for u in receiver.updates]
    assert ids == sorted(ids) and len(set(ids)) == 2
    message = receiver.of_kind("message")[0]
    assert message["text"] == "/start pay_abc123"
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert message["chat"] == {
        "id": USER,
        "type": "private",
        "first_name": "Ann",
        "username": "ann",
    }


async def test_no_secret_header_without_a_secret(
    bot: BotApi, actor: Actor, receiver: Receiver
) -> None:
    await bot.ok("setWebhook", url=receiver.url)
    actor.create_user(USER, "Ann")
    await actor.send_text(USER, "hi")
    assert receiver.secret_headers == [None]


async def test_a_failed_delivery_is_retried(actor: Actor, receiver: Receiver) -> None:
    actor.create_user(USER, "Ann")
    receiver.fail_next = 2
    delivery = await actor.send_text(USER, "hi")
    assert delivery.status == "delivered"
    assert delivery.attempts == 3 and delivery.responses == [500, 500, 200]
    assert len(receiver.updates) == 1


async def test_delivery_gives_up_after_the_configured_attempts(
    bot: BotApi, actor: Actor, receiver: Receiver
) -> None:
    actor.create_user(USER, "Ann")
    receiver.fail_next = 10
    delivery = await actor.send_text(USER, "hi")
    assert delivery.status == "failed" and delivery.attempts == 3
    info = await bot.ok("getWebhookInfo")
    assert info["url"] == receiver.url and "500" in info["last_error_message"]


async def test_unreachable_webhook_is_a_network_error(bot: BotApi, actor: Actor) -> None:
    await bot.ok("setWebhook", url="http://127.0.0.1:9/nothing-listens-here")
    actor.create_user(USER, "Ann")
    delivery = await actor.send_text(USER, "hi")
    assert delivery.status == "failed" and delivery.error is not None
    assert "Connection failed" in delivery.error


async def test_updates_keep_their_order(actor: Actor, receiver: Receiver) -> None:
    actor.create_user(USER, "Ann")
    receiver.fail_next = 1  # the first update needs a retry; the others must wait for it
    sent = [await actor.send_text(USER, f"m{i}", wait=False) for i in range(5)]
    await actor.sandbox.drain()
    assert [m["text"] for m in receiver.of_kind("message")] == [f"m{i}" for i in range(5)]
    assert all(d.status == "delivered" for d in sent)


async def test_duplicate_delivery_for_replay_tests(actor: Actor, receiver: Receiver) -> None:
    actor.create_user(USER, "Ann")
    await actor.send_text(USER, "once", duplicate=True)
    assert len(receiver.updates) == 2 and receiver.updates[0] == receiver.updates[1]


async def test_allowed_updates_are_honoured(bot: BotApi, actor: Actor, receiver: Receiver) -> None:
    actor.create_user(USER, "Ann")
    channel = actor.create_channel(title="Patrons")
    joined = await actor.join_channel(USER, channel.id)
    assert joined.status == "filtered"  # chat_member is opt-in, as on Telegram
    await bot.ok("setWebhook", url=receiver.url, allowed_updates=["chat_member"])
    await actor.leave_channel(USER, channel.id)
    assert (await actor.send_text(USER, "hi")).status == "filtered"
    assert [list(u)[1] for u in receiver.updates] == ["chat_member"]
    assert (await bot.ok("getWebhookInfo"))["allowed_updates"] == ["chat_member"]


async def test_webhook_reply_can_carry_a_method_call(
    sandbox: SandboxTelegram, actor: Actor, receiver: Receiver
) -> None:
    actor.create_user(USER, "Ann")
    receiver.reply_body = {"method": "sendMessage", "chat_id": USER, "text": "pong"}
    await actor.send_text(USER, "ping")
    assert actor.messages(USER)[-1]["text"] == "pong"


async def test_get_updates_conflicts_with_a_webhook(bot: BotApi, receiver: Receiver) -> None:
    body = await bot("getUpdates")
    assert body["error_code"] == 409
    assert "can't use getUpdates method while webhook is active" in body["description"]
    assert await bot.ok("deleteWebhook")
    assert await bot.ok("getUpdates") == []


async def test_get_updates_long_polls_and_confirms(bot: BotApi, actor: Actor) -> None:
    actor.create_user(USER, "Ann")
    polling = asyncio.ensure_future(bot.ok("getUpdates", timeout=5))
    await asyncio.sleep(0.05)
    queued = await actor.send_text(USER, "hi")
    assert queued.status == "queued"
    updates = await polling
    assert updates[0]["message"]["text"] == "hi"
    again = await bot.ok("getUpdates")
    assert again == updates  # not confirmed yet
    assert await bot.ok("getUpdates", offset=updates[0]["update_id"] + 1) == []


async def test_queued_updates_go_to_a_new_webhook(
    bot: BotApi, actor: Actor, receiver: Receiver
) -> None:
    await bot.ok("deleteWebhook")
    actor.create_user(USER, "Ann")
    await actor.send_text(USER, "while polling")
    assert (await bot.ok("getWebhookInfo"))["pending_update_count"] == 1
    await bot.ok("setWebhook", url=receiver.url)
    await actor.sandbox.drain()
    assert receiver.of_kind("message")[0]["text"] == "while polling"
    await bot.ok("deleteWebhook")
    await actor.send_text(USER, "dropped")
    await bot.ok("setWebhook", url=receiver.url, drop_pending_updates=True)
    await actor.sandbox.drain()
    assert len(receiver.updates) == 1


async def test_callback_query_and_answer(bot: BotApi, actor: Actor, receiver: Receiver) -> None:
    actor.create_user(USER, "Ann", started=True)
    markup = {"inline_keyboard": [[{"text": "Buy 100", "callback_data": "buy:100"}]]}
    await bot.ok("sendMessage", chat_id=USER, text="Packages", reply_markup=markup)
    await actor.press_button(USER, text="Buy 100")
    query = receiver.of_kind("callback_query")[0]
    assert query["data"] == "buy:100" and query["message"]["text"] == "Packages"
    assert await bot.ok("answerCallbackQuery", callback_query_id=query["id"], text="OK")
    again = await bot("answerCallbackQuery", callback_query_id=query["id"])
    assert again["error_code"] == 400
