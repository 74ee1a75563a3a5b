"""The /_sandbox control routes: what an e2e test or a human with curl drives."""

from __future__ import annotations

from typing import Any

import httpx

from starport.sandbox.telegram import SandboxTelegram

from .conftest import TOKEN, BotApi, Receiver


async def control(http: httpx.AsyncClient, base: str, path: str, body: Any = None) -> Any:
    url = f"{base}/_sandbox{path}"
    response = await (http.get(url) if body is None else http.post(url, json=body))
    reply = response.json()
    assert reply["ok"], reply
    return reply["result"]


async def test_a_user_pays_through_the_control_routes(
    http: httpx.AsyncClient, base_url: str, bot: BotApi, receiver: Receiver
) -> None:
    await control(http, base_url, "/users", {"id": 42, "first_name": "Ann", "username": "ann"})
    sent = await control(http, base_url, "/users/42/send", {"text": "/start pay_abc"})
    assert sent["status"] == "delivered" and sent["update"]["message"]["text"] == "/start pay_abc"
    await bot.ok(
        "sendInvoice", chat_id=42, title="Credits", description="100 credits", payload="abc",
        currency="XTR", prices=[{"label": "Credits", "amount": 25}],
    )  # fmt: skip
    paid = await control(http, base_url, "/users/42/pay", {})
    assert paid["ok"] and paid["status"] == "paid" and paid["amount"] == 25
    transactions = await control(http, base_url, "/transactions")
    assert transactions[0]["id"] == paid["telegram_payment_charge_id"]
    messages = await control(http, base_url, "/chats/42/messages")
    assert messages[-1]["invoice"]["total_amount"] == 25
    answers = await control(http, base_url, "/answers")
    assert answers["pre_checkout"][0]["ok"] is True
    deliveries = await control(http, base_url, "/deliveries")
    kinds = [d["kind"] for d in deliveries]
    assert kinds == ["message", "pre_checkout_query", "message"]
    summary = await control(http, base_url, "/")
    assert summary["webhook"] == receiver.url and summary["users"][0]["id"] == 42


async def test_a_user_speaks_the_language_given_else_english(
    http: httpx.AsyncClient, base_url: str
) -> None:
    await control(http, base_url, "/users", {"id": 43, "first_name": "Boris",
                                             "language_code": "ru", "started": True})
    await control(http, base_url, "/users", {"id": 44, "first_name": "Ann", "started": True})
    boris = await control(http, base_url, "/users/43/send", {"text": "/start"})
    ann = await control(http, base_url, "/users/44/send", {"text": "/start"})
    assert boris["update"]["message"]["from"]["language_code"] == "ru"
    assert ann["update"]["message"]["from"]["language_code"] == "en"


async def test_channels_faults_limits_and_records(
    http: httpx.AsyncClient, base_url: str, bot: BotApi, sandbox: SandboxTelegram
) -> None:
    channel = await control(http, base_url, "/channels", {"id": -1001234, "title": "Patrons"})
    assert channel == {"id": -1001234, "type": "channel", "title": "Patrons"}
    await control(http, base_url, "/users", {"id": 7, "first_name": "Bob"})
    link = await bot.ok("createChatInviteLink", chat_id=-1001234, member_limit=1)
    await control(http, base_url, "/channels/-1001234/join", {"user_id": 7,
                  "invite_link": link["invite_link"]})  # fmt: skip
    assert await control(http, base_url, "/channels/-1001234/members") == {"7": "member"}
    await control(http, base_url, "/channels/-1001234/bot", {"status": "member"})
    assert (await bot("createChatInviteLink", chat_id=-1001234))["error_code"] == 400
    await control(http, base_url, "/faults", {"method": "getMe", "error_code": 502})
    assert (await bot("getMe"))["error_code"] == 502
    limits = await control(http, base_url, "/limits", {"enabled": True})
    assert limits["enabled"] is True and sandbox.limits.enabled
    records = await control(http, base_url, "/records")
    assert records["stats"]["injected_faults"] == 1
    assert records["calls"][0]["method"] == "createChatInviteLink"


async def test_control_errors_are_json(http: httpx.AsyncClient, base_url: str) -> None:
    response = await http.post(f"{base_url}/_sandbox/users/99/send", json={"text": "hi"})
    assert response.status_code == 404 and "create it first" in response.json()["error"]
    response = await http.post(f"{base_url}/_sandbox/users/99/pay", json={"nope": 1})
    assert response.status_code == 404
    response = await http.post(f"{base_url}/_sandbox/users", json={"first_name": "x"})
    assert response.status_code == 400 and response.json()["ok"] is False
    response = await http.get(f"{base_url}/_sandbox/?bot=bad-token")
    assert response.status_code == 401


async def test_other_bots_are_separate(http: httpx.AsyncClient, base_url: str) -> None:
    other = "5550001:" + "B" * 35
    await control(http, base_url, f"/users?bot={other}", {"id": 1, "started": True})
    response = await http.post(f"{base_url}/bot{other}/sendMessage", json={"chat_id": 1,
                               "text": "hi"})  # fmt: skip
    assert response.json()["result"]["from"]["id"] == 5550001
    response = await http.post(f"{base_url}/bot{TOKEN}/sendMessage", json={"chat_id": 1,
                               "text": "hi"})  # fmt: skip
    assert response.json()["error_code"] == 403  # users are shared; the chat is per bot
