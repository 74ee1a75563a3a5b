"""Core Bot API methods: getMe, messages, inline keyboards, callback answers, commands, the menu
button, getChat."""

from __future__ import annotations

import html
import json
import re
from typing import Any

from starport.sandbox.telegram.errors import bad_request
from starport.sandbox.telegram.models import JSON
from starport.sandbox.telegram.world import Ctx, handler

_TAG = re.compile(r"<[^>]+>")
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_BUTTON_ACTIONS = (
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay",
)  # fmt: skip


def bot_command_entities(text: str) -> list[JSON]:
    """The entities Telegram attaches to a user's text: a bot_command for a leading /command."""
    if not text.startswith("/"):
        return []
    first = text.split(maxsplit=1)[0]
    return [{"type": "bot_command", "offset": 0, "length": len(first.encode("utf-16-le")) // 2}]


def check_inline_keyboard(markup: Any) -> JSON | None:
    """The inline keyboard to echo in the sent Message (other keyboards are not echoed)."""
    if not isinstance(markup, dict) or "inline_keyboard" not in markup:
        return None
    for row in markup["inline_keyboard"]:
        for button in row:
            if not any(button.get(key) is not None for key in _BUTTON_ACTIONS):
                raise bad_request(
                    "can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard"
                )
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode()) <= 64:
                raise bad_request("BUTTON_DATA_INVALID")
    return {"inline_keyboard": markup["inline_keyboard"]}


def post_message(ctx: Ctx, chat_id: int | str, content: JSON, params: dict[str, Any]) -> JSON:
    """Record a message the bot sends to a private chat, a group or a channel; return the
    Message (in a channel, signed by the channel)."""
    user = ctx.private_chat_user(chat_id)
    if user is not None:
        user = ctx.messageable_user(user.id)
        chat, sender = user.private_chat(), ctx.bot.user.to_json()
    else:
        channel = ctx.postable_chat(chat_id)
        chat = channel.chat()
        sender = ctx.bot.user.to_json() if channel.is_group else None
    chat_key = int(chat["id"])
    message: JSON = {"message_id": ctx.bot.next_message_id(chat_key), "date": ctx.now()}
    if sender is not None:
        message["from"] = sender
    else:
        message["sender_chat"] = chat
    message["chat"] = chat
    message.update(content)
    keyboard = check_inline_keyboard(params.get("reply_markup"))
    if keyboard is not None:
        message["reply_markup"] = keyboard
    ctx.bot.messages.setdefault(chat_key, []).append(message)
    return message


def _text(text: str, parse_mode: str | None) -> str:
    if parse_mode not in (None, "HTML", "Markdown", "MarkdownV2"):
        raise bad_request("unsupported parse_mode")
    if parse_mode == "HTML":
        text = html.unescape(_TAG.sub("", text))
    if not text.strip():
        raise bad_request("message text is empty")
    if len(text) > 4096:
        raise bad_request("message is too long")
    return text


@handler("getMe")
async def get_me(ctx: Ctx, p: dict[str, Any]) -> JSON:
    return {
        **ctx.bot.user.to_json(),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@handler("sendMessage")
async def send_message(ctx: Ctx, p: dict[str, Any]) -> JSON:
    content: JSON = {"text": _text(p["text"], p.get("parse_mode"))}
    if p.get("entities"):
        content["entities"] = p["entities"]
    return post_message(ctx, p["chat_id"], content, p)


@handler("answerCallbackQuery")
async def answer_callback_query(ctx: Ctx, p: dict[str, Any]) -> bool:
    query_id = p["callback_query_id"]
    if query_id not in ctx.bot.callback_queries or ctx.bot.callback_queries[query_id] is not None:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    if len(p.get("text") or "") > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    ctx.bot.callback_queries[query_id] = {k: v for k, v in p.items() if k != "callback_query_id"}
    return True


def _scope_key(p: dict[str, Any]) -> tuple[str, str]:
    scope = p.get("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), p.get("language_code") or ""


@handler("setMyCommands")
async def set_my_commands(ctx: Ctx, p: dict[str, Any]) -> bool:
    commands = p["commands"]
    if len(commands) > 100:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    for command in commands:
        if not _COMMAND.fullmatch(command["command"]):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(command["description"]) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    key = _scope_key(p)
    if commands:
        ctx.bot.commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
    else:
        ctx.bot.commands.pop(key, None)
    return True


@handler("getMyCommands")
async def get_my_commands(ctx: Ctx, p: dict[str, Any]) -> list[JSON]:
    return list(ctx.bot.commands.get(_scope_key(p), []))


@handler("deleteMyCommands")
async def delete_my_commands(ctx: Ctx, p: dict[str, Any]) -> bool:
    ctx.bot.commands.pop(_scope_key(p), None)
    return True


# Telegram opens Mini Apps over https only; the sandbox also takes a page on this machine,
# where a local Starport serves its example Mini App over http.
_WEB_APP_URL = re.compile(r"https://\S+|http://(127\.0\.0\.1|localhost)(:\d+)?(/\S*)?")


def _menu_chat(ctx: Ctx, p: dict[str, Any]) -> int | None:
    if p.get("chat_id") is None:
        return None
    user = ctx.private_chat_user(p["chat_id"])
    if user is None:
        raise bad_request("chat not found")
    return user.id


@handler("setChatMenuButton")
async def set_chat_menu_button(ctx: Ctx, p: dict[str, Any]) -> bool:
    button = p.get("menu_button") or {"type": "default"}
    kind = button.get("type")
    if kind not in ("default", "commands", "web_app"):
        raise bad_request("can't parse menu button: unsupported menu button type")
    if kind == "web_app":
        if not 1 <= len(button.get("text") or "") <= 64:
            raise bad_request("BUTTON_TEXT_INVALID")
        url = (button.get("web_app") or {}).get("url") or ""
        if not _WEB_APP_URL.fullmatch(url):
            raise bad_request("BUTTON_URL_INVALID")
        button = {"type": "web_app", "text": button["text"], "web_app": {"url": url}}
    else:
        button = {"type": kind}
    ctx.bot.menu_buttons[_menu_chat(ctx, p)] = button
    return True


@handler("getChatMenuButton")
async def get_chat_menu_button(ctx: Ctx, p: dict[str, Any]) -> JSON:
    chat = _menu_chat(ctx, p)
    buttons = ctx.bot.menu_buttons
    return dict(buttons.get(chat) or buttons.get(None) or {"type": "default"})


def _chat_key(ctx: Ctx, chat_id: int | str) -> int:
    user = ctx.private_chat_user(chat_id)
    return user.id if user is not None else ctx.channel(chat_id).id


def _own_message(ctx: Ctx, p: dict[str, Any]) -> JSON:
    if p.get("chat_id") is None or p.get("message_id") is None:
        raise bad_request("message identifier is not specified")
    message = ctx.bot.find_message(_chat_key(ctx, p["chat_id"]), p["message_id"])
    if message is None:
        raise bad_request("message to edit not found")
    return message


@handler("editMessageText")
async def edit_message_text(ctx: Ctx, p: dict[str, Any]) -> JSON:
    message = _own_message(ctx, p)
    text = _text(p["text"], p.get("parse_mode"))
    if text == message.get("text") and p.get("reply_markup") == message.get("reply_markup"):
        raise bad_request("message is not modified")
    message["text"], message["edit_date"] = text, ctx.now()
    keyboard = check_inline_keyboard(p.get("reply_markup"))
    message.pop("reply_markup", None)
    if keyboard is not None:
        message["reply_markup"] = keyboard
    return message


@handler("editMessageReplyMarkup")
async def edit_message_reply_markup(ctx: Ctx, p: dict[str, Any]) -> JSON:
    message = _own_message(ctx, p)
    keyboard = check_inline_keyboard(p.get("reply_markup"))
    message.pop("reply_markup", None)
    if keyboard is not None:
        message["reply_markup"] = keyboard
    message["edit_date"] = ctx.now()
    return message


@handler("deleteMessage")
async def delete_message(ctx: Ctx, p: dict[str, Any]) -> bool:
    chat_key = _chat_key(ctx, p["chat_id"])
    messages = ctx.bot.messages.get(chat_key, [])
    kept = [m for m in messages if m["message_id"] != p["message_id"]]
    if len(kept) == len(messages):
        raise bad_request("message to delete not found")
    ctx.bot.messages[chat_key] = kept
    return True
