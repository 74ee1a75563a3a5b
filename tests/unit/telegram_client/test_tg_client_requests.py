"""What the client puts on the wire: URLs, JSON bodies, and each method's params."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from tg_client_fakes import TOKEN, FakeBotApi

from starport.adapters.telegram import (
    BotApiClient,
    BotCommand,
    InlineButton,
    LabeledPrice,
    inline_keyboard,
)


@pytest.mark.parametrize(
    ("base_url", "test_env", "expected"),
    [
        ("https://api.telegram.org", False, f"https://api.telegram.org/bot{TOKEN}/getMe"),
        ("https://api.telegram.org/", False, f"https://api.telegram.org/bot{TOKEN}/getMe"),
        ("https://api.telegram.org", True, f"https://api.telegram.org/bot{TOKEN}/test/getMe"),
        (
            "http://127.0.0.1:8000/sandbox/telegram",
            False,
            f"http://127.0.0.1:8000/sandbox/telegram/bot{TOKEN}/getMe",
        ),
        (
            "http://127.0.0.1:8000/sandbox/telegram",
            True,
            f"http://127.0.0.1:8000/sandbox/telegram/bot{TOKEN}/test/getMe",
        ),
    ],
)
async def test_the_url_is_base_bot_token_then_method(
    base_url: str, test_env: bool, expected: str
) -> None:
    # Given a client on some base URL
    api = FakeBotApi()
    api.ok({"id": 1, "is_bot": True, "first_name": "Starport"})
    async with httpx.AsyncClient(transport=httpx.MockTransport(api.handler)) as http:
        bot = BotApiClient(TOKEN, base_url=base_url, test_env=test_env, http=http)
        # When it calls getMe
        me = await bot.get_me()
    # Then it posted to the right URL and returned the result
    assert str(api.requests[0].url) == expected
    assert api.requests[0].method == "POST"
    assert me["first_name"] == "Starport"


async def test_params_go_as_a_json_body_without_the_none_ones(
    client: BotApiClient, api: FakeBotApi
) -> None:
    await client.call("sendMessage", chat_id=42, text="héllo ✨", parse_mode=None)

    request = api.requests[0]
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {"chat_id": 42, "text": "héllo ✨"}


async def test_call_returns_the_result(client: BotApiClient, api: FakeBotApi) -> None:
    api.ok([{"update_id": 7}])

    assert await client.call("getUpdates") == [{"update_id": 7}]


async def test_an_inline_keyboard_is_sent_as_a_json_object(
    client: BotApiClient, api: FakeBotApi
) -> None:
    markup = inline_keyboard(
        [[InlineButton("Buy", callback_data="buy:1")], [InlineButton("Terms", url="https://x.y")]]
    )

    await client.send_message(42, "<b>Pick</b>", parse_mode="HTML", reply_markup=markup)

    assert api.body() == {
        "chat_id": 42,
        "text": "<b>Pick</b>",
        "parse_mode": "HTML",
        "reply_markup": {
            "inline_keyboard": [
                [{"text": "Buy", "callback_data": "buy:1"}],
                [{"text": "Terms", "url": "https://x.y"}],
            ]
        },
    }


def test_an_inline_button_needs_exactly_one_action() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        InlineButton("Nothing")
    with pytest.raises(ValueError, match="exactly one"):
        InlineButton("Two", url="https://x.y", callback_data="a")
    with pytest.raises(ValueError, match="64 bytes"):
        InlineButton("Long", callback_data="x" * 65)


PRICE = [LabeledPrice("100 credits", 50)]
WHEN = datetime(2030, 1, 1, tzinfo=UTC)
CASES: list[tuple[str, dict[str, Any], str, dict[str, Any]]] = [
    ("get_me", {}, "getMe", {}),
    (
        "send_invoice",
        {"chat_id": 42, "title": "T", "description": "D", "payload": "p", "prices": PRICE},
        "sendInvoice",
        {
            "chat_id": 42,
            "title": "T",
            "description": "D",
            "payload": "p",
            "provider_token": "",
            "currency": "XTR",
            "prices": [{"label": "100 credits", "amount": 50}],
        },
    ),
    (
        "create_invoice_link",
        {"title": "T", "description": "D", "payload": "p", "prices": PRICE},
        "createInvoiceLink",
        {
            "title": "T",
            "description": "D",
            "payload": "p",
            "provider_token": "",
            "currency": "XTR",
            "prices": [{"label": "100 credits", "amount": 50}],
        },
    ),
    (
        "answer_pre_checkout_query",
        {"pre_checkout_query_id": "q1", "ok": False, "error_message": "Expired"},
        "answerPreCheckoutQuery",
        {"pre_checkout_query_id": "q1", "ok": False, "error_message": "Expired"},
    ),
    (
        "answer_callback_query",
        {"callback_query_id": "c1", "text": "Done"},
        "answerCallbackQuery",
        {"callback_query_id": "c1", "text": "Done"},
    ),
    (
        "refund_star_payment",
        {"user_id": 7, "telegram_payment_charge_id": "ch"},
        "refundStarPayment",
        {"user_id": 7, "telegram_payment_charge_id": "ch"},
    ),
    ("get_star_transactions", {"limit": 100}, "getStarTransactions", {"limit": 100}),
    (
        "edit_user_star_subscription",
        {"user_id": 7, "telegram_payment_charge_id": "ch", "is_canceled": True},
        "editUserStarSubscription",
        {"user_id": 7, "telegram_payment_charge_id": "ch", "is_canceled": True},
    ),
    (
        "set_webhook",
        {"url": "https://h/api/telegram/webhook", "secret_token": "s", "allowed_updates": ("a",)},
        "setWebhook",
        {"url": "https://h/api/telegram/webhook", "secret_token": "s", "allowed_updates": ["a"]},
    ),
    ("get_webhook_info", {}, "getWebhookInfo", {}),
    (
        "delete_webhook",
        {"drop_pending_updates": True},
        "deleteWebhook",
        {"drop_pending_updates": True},
    ),
    (
        "get_updates",
        {"offset": 5, "timeout": 0, "allowed_updates": ["message"], "limit": 10},
        "getUpdates",
        {"offset": 5, "timeout": 0, "allowed_updates": ["message"], "limit": 10},
    ),
    (
        "set_my_commands",
        {"commands": [BotCommand("start", "Start"), {"command": "help", "description": "Help"}]},
        "setMyCommands",
        {
            "commands": [
                {"command": "start", "description": "Start"},
                {"command": "help", "description": "Help"},
            ]
        },
    ),
    ("get_my_commands", {"language_code": "en"}, "getMyCommands", {"language_code": "en"}),
    ("delete_my_commands", {}, "deleteMyCommands", {}),
    ("get_chat", {"chat_id": -100}, "getChat", {"chat_id": -100}),
    (
        "get_chat_member",
        {"chat_id": "@chan", "user_id": 7},
        "getChatMember",
        {"chat_id": "@chan", "user_id": 7},
    ),
    (
        "create_chat_invite_link",
        {"chat_id": -100, "member_limit": 1, "expire_date": WHEN, "name": "patron 7"},
        "createChatInviteLink",
        {"chat_id": -100, "member_limit": 1, "expire_date": 1893456000, "name": "patron 7"},
    ),
    (
        "revoke_chat_invite_link",
        {"chat_id": -100, "invite_link": "https://t.me/+abc"},
        "revokeChatInviteLink",
        {"chat_id": -100, "invite_link": "https://t.me/+abc"},
    ),
    (
        "ban_chat_member",
        {"chat_id": -100, "user_id": 7, "until_date": 1893456000},
        "banChatMember",
        {"chat_id": -100, "user_id": 7, "until_date": 1893456000},
    ),
    (
        "unban_chat_member",
        {"chat_id": -100, "user_id": 7, "only_if_banned": True},
        "unbanChatMember",
        {"chat_id": -100, "user_id": 7, "only_if_banned": True},
    ),
    (
        "approve_chat_join_request",
        {"chat_id": -100, "user_id": 7},
        "approveChatJoinRequest",
        {"chat_id": -100, "user_id": 7},
    ),
    (
        "decline_chat_join_request",
        {"chat_id": -100, "user_id": 7},
        "declineChatJoinRequest",
        {"chat_id": -100, "user_id": 7},
    ),
]


@pytest.mark.parametrize(
    ("name", "kwargs", "method", "body"), CASES, ids=[case[0] for case in CASES]
)
async def test_each_typed_method_sends_its_bot_api_method_and_params(
    client: BotApiClient,
    api: FakeBotApi,
    name: str,
    kwargs: dict[str, Any],
    method: str,
    body: dict[str, Any],
) -> None:
    await getattr(client, name)(**kwargs)

    assert api.methods == [method]
    assert api.body() == body


async def test_a_subscription_link_sends_the_thirty_day_period(
    client: BotApiClient, api: FakeBotApi
) -> None:
    api.ok("https://t.me/$sub")

    link = await client.create_invoice_link("Club", "Monthly", "sub:1", PRICE, 2592000)

    assert link == "https://t.me/$sub"
    assert api.body()["subscription_period"] == 2592000


async def test_long_polling_gets_a_longer_http_timeout(
    client: BotApiClient, api: FakeBotApi
) -> None:
    api.ok([])

    await client.get_updates(timeout=30)

    assert api.requests[0].extensions["timeout"]["read"] == pytest.approx(40.0)


async def test_local_preconditions_send_nothing(client: BotApiClient, api: FakeBotApi) -> None:
    with pytest.raises(ValueError, match="error_message"):
        await client.answer_pre_checkout_query("q1", ok=False)
    with pytest.raises(ValueError, match="not both"):
        await client.create_chat_invite_link(-100, member_limit=1, creates_join_request=True)
    with pytest.raises(ValueError, match="aware"):
        await client.ban_chat_member(-100, 7, until_date=datetime(2030, 1, 1))

    assert api.requests == []


async def test_a_client_never_used_has_nothing_to_close() -> None:
    bot = BotApiClient(TOKEN)
    await bot.aclose()  # its HTTP session is opened by the first call (see the network tests)

    assert bot._session is None


async def test_an_injected_http_client_is_left_open(api: FakeBotApi) -> None:
    async with httpx.AsyncClient(transport=httpx.MockTransport(api.handler)) as http:
        async with BotApiClient(TOKEN, http=http):
            pass
        assert not http.is_closed


@pytest.mark.parametrize("token", ["", "123:abc/../x", "123:a b"])
def test_a_malformed_token_is_refused_without_echoing_it(token: str) -> None:
    with pytest.raises(ValueError) as caught:
        BotApiClient(token)
    assert token == "" or token not in str(caught.value)
