"""Bot messages: the list, and one key's editor (text, parse mode, history, save, reset)."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from starport.application import bot_messages
from starport.application import commands as c
from starport.domain.templates import PARSE_MODES
from starport.entrypoints.console.page import Page, page
from starport.entrypoints.http.inputs import storable_param
from starport.entrypoints.http.schemas import BotMessageBody


@page("messages")
async def list_messages(current: Page) -> Response:
    views = await bot_messages.list_bot_messages(current.runtime.deps)
    return current.render("messages.html", messages=views)


def _key(current: Page) -> str:
    return storable_param(current.request.path_params["key"], "key")


async def _editor(current: Page, notice: str | None = None) -> Response:
    deps, key = current.runtime.deps, _key(current)
    view = await bot_messages.get_bot_message(deps, key)
    history = await bot_messages.bot_message_history(deps, key)
    return current.render("message.html", message=view, history=history,
                          parse_modes=[m or "" for m in PARSE_MODES], notice=notice)


@page("messages")
async def edit_message(current: Page) -> Response:
    return await _editor(current)


@page("messages")
async def save_message(current: Page) -> Response:
    body = BotMessageBody.model_validate({
        "template": current.form.get("template", "").replace("\r\n", "\n"),
        "parseMode": current.form.get("parseMode") or None})
    await current.runtime.bus.handle(c.UpdateBotMessage(
        key=_key(current), template=body.template, parse_mode=body.parse_mode,
        changed_by=current.admin))
    return await _editor(current, "Saved: the bot sends this text from now on.")


@page("messages")
async def reset_message(current: Page) -> Response:
    await current.runtime.bus.handle(c.ResetBotMessage(key=_key(current),
                                                       changed_by=current.admin))
    return await _editor(current, "Reset to the shipped text.")


ROUTES = [
    Route("/admin/messages", list_messages, methods=["GET"]),
    Route("/admin/messages/{key}", edit_message, methods=["GET"]),
    Route("/admin/messages/{key}", save_message, methods=["POST"]),
    Route("/admin/messages/{key}/reset", reset_message, methods=["POST"]),
]
