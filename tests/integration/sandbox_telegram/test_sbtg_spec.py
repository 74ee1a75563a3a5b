"""Every call is validated against api.json: unknown methods, missing fields, wrong types."""

from __future__ import annotations

import json

import pytest

from starport.sandbox.telegram import Actor, SandboxTelegram, load_spec
from starport.sandbox.telegram.spec_model import SpecError

from .conftest import TOKEN, BotApi


async def test_unknown_method_is_not_found(bot: BotApi, sandbox: SandboxTelegram) -> None:
    body = await bot("sendTelepathy", chat_id=1)
    assert body == {"ok": False, "error_code": 404, "description": "Not Found"}
    assert sandbox.spec_violations[-1].method == "sendTelepathy"


async def test_method_names_are_case_insensitive(bot: BotApi) -> None:
    me = await bot.ok("GETME")
    assert me["is_bot"] is True and me["id"] == int(TOKEN.split(":")[0])


async def test_a_malformed_token_is_unauthorized(bot: BotApi) -> None:
    bot.token = "not-a-token"
    assert await bot("getMe") == {"ok": False, "error_code": 401, "description": "Unauthorized"}


async def test_missing_required_field(bot: BotApi, sandbox: SandboxTelegram) -> None:
    body = await bot("sendMessage", chat_id=1)
    assert body["error_code"] == 400
    assert body["description"].startswith("Bad Request:") and '"text"' in body["description"]
    assert sandbox.calls[-1][:3] == ("sendMessage", {"chat_id": 1}, False)
    assert len(sandbox.spec_violations) == 1


@pytest.mark.parametrize(
    ("params", "where"),
    [
        ({"chat_id": 1.5, "text": "x"}, '"chat_id"'),
        ({"chat_id": [1], "text": "x"}, '"chat_id"'),
        ({"chat_id": 1, "text": 7}, '"text"'),
        ({"chat_id": 1, "text": "x", "disable_notification": "yes"}, '"disable_notification"'),
        (
            {"chat_id": 1, "text": "x", "reply_markup": {"inline_keyboard": [[{"text": 1}]]}},
            '"reply_markup.inline_keyboard[0][0].text"',
        ),
        (
            {"chat_id": 1, "text": "x", "reply_markup": {"inline_keyboard": [{"text": "a"}]}},
            '"reply_markup.inline_keyboard[0]"',
        ),
        ({"chat_id": 1, "text": "x", "entities": [{"type": "bold", "offset": 0}]}, "length"),
    ],
)
async def test_wrong_types_are_rejected_with_their_path(
    bot: BotApi, params: dict[str, object], where: str
) -> None:
    body = await bot("sendMessage", **params)
    assert body["error_code"] == 400, body
    assert where in body["description"]


async def test_nested_invoice_price_type(bot: BotApi) -> None:
    body = await bot(
        "sendInvoice", chat_id=1, title="t", description="d", payload="p", currency="XTR",
        prices=[{"label": "Credits", "amount": 1.5}],
    )  # fmt: skip
    assert body["error_code"] == 400
    assert '"prices[0].amount"' in body["description"]


async def test_form_and_query_params_are_coerced(
    bot: BotApi, actor: Actor, sandbox: SandboxTelegram
) -> None:
    actor.create_user(42, "Ann", started=True)
    markup = {"inline_keyboard": [[{"text": "Buy", "callback_data": "buy:1"}]]}
    form = {"chat_id": "42", "text": "hello", "reply_markup": json.dumps(markup),
            "disable_notification": "true"}  # fmt: skip
    response = await bot.raw("sendMessage", data=form)
    assert response.status_code == 200, response.text
    message = response.json()["result"]
    assert message["chat"]["id"] == 42 and message["reply_markup"] == markup
    response = await bot.client.get(f"{bot.base}/bot{TOKEN}/sendMessage?chat_id=42&text=q")
    assert response.json()["result"]["text"] == "q"
    assert sandbox.spec_violations == []


async def test_form_with_bad_nested_json_is_rejected(bot: BotApi) -> None:
    response = await bot.raw("sendMessage", data={"chat_id": "1", "text": "x", "reply_markup": "{"})
    assert response.status_code == 400
    assert "reply_markup" in response.json()["description"]


async def test_multipart_form_is_accepted(bot: BotApi, actor: Actor) -> None:
    actor.create_user(42, "Ann", started=True)
    response = await bot.raw("sendMessage", files={"chat_id": (None, "42"), "text": (None, "hi")})
    assert response.json()["result"]["text"] == "hi"


async def test_unknown_fields_are_ignored(bot: BotApi, actor: Actor) -> None:
    actor.create_user(42, "Ann", started=True)
    markup = {"inline_keyboard": [[{"text": "Go", "url": "https://x.test", "colour": "red"}]]}
    result = await bot.ok("sendMessage", chat_id=42, text="hi", frobnicate=1, reply_markup=markup)
    assert result["text"] == "hi"


async def test_test_environment_is_a_separate_world(bot: BotApi, sandbox: SandboxTelegram) -> None:
    sandbox.actor().create_user(42, "Ann", started=True)
    response = await bot.client.post(
        f"{bot.base}/bot{TOKEN}/test/sendMessage", json={"chat_id": 42, "text": "hi"}
    )
    assert response.json()["description"] == "Bad Request: chat not found"
    sandbox.actor(test=True).create_user(42, "Ann", started=True)
    response = await bot.client.post(
        f"{bot.base}/bot{TOKEN}/test/sendMessage", json={"chat_id": 42, "text": "hi"}
    )
    assert response.json()["ok"] is True


async def test_secrets_are_masked_in_the_record(bot: BotApi, sandbox: SandboxTelegram) -> None:
    await bot.ok("setWebhook", url="http://127.0.0.1:9/hook", secret_token="topsecret")
    assert sandbox.calls[-1].params["secret_token"] == "***"
    assert "topsecret" not in repr(sandbox.calls)


def test_spec_checks_unions_and_nested_arrays() -> None:
    spec = load_spec()
    assert spec.check(["Integer", "String"], "@channel") == "@channel"
    scope = {"type": "chat", "chat_id": 5}
    assert spec.check(["BotCommandScope"], scope) == scope
    with pytest.raises(SpecError, match="chat_id"):
        spec.check(["BotCommandScope"], {"type": "chat"})
    with pytest.raises(SpecError):
        spec.check(["Array of Array of InlineKeyboardButton"], [[{"text": "a"}], {"text": "b"}])
    assert spec.check(["Integer", "String"], "12", loose=True) == 12
    assert spec.check(["Boolean"], "false", loose=True) is False
    assert spec.check(["InputFile", "String"], "file_id") == "file_id"
