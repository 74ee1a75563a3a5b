"""Bot messages: the list, and one key's editor per language (text, parse mode, the texts of
every language, a preview as the bot sends it, history, save, reset)."""

from __future__ import annotations

from urllib.parse import quote

from starlette.responses import Response
from starlette.routing import Route

from starport.application import bot_messages
from starport.application import commands as c
from starport.application.bot_messages import PreviewView
from starport.domain.languages import language as language_tag
from starport.domain.templates import PARSE_MODES
from starport.entrypoints.console.page import Page, page
from starport.entrypoints.http.inputs import storable_param
from starport.entrypoints.http.schemas import BotMessageBody


def _language(current: Page) -> str | None:
    """The language asked for (the form's, else the address's); None: the default one."""
    raw = (current.form.get("language") or current.request.query_params.get("language")
           or "").strip()
    return language_tag(raw) if raw else None  # a malformed code: InvalidLanguage, a 422


@page("messages")
async def list_messages(current: Page) -> Response:
    tag = _language(current)
    views = await bot_messages.list_bot_messages(current.runtime.deps, tag)
    return current.render("messages.html", messages=views, language=tag or "",
                          languages=current.runtime.deps.settings.languages)


def _key(current: Page) -> str:
    return storable_param(current.request.path_params["key"], "key")


async def _editor(current: Page, notice: str | None = None,
                  preview: PreviewView | None = None, draft: BotMessageBody | None = None
                  ) -> Response:
    deps, key, tag = current.runtime.deps, _key(current), _language(current)
    view = await bot_messages.get_bot_message(deps, key, tag)
    history = await bot_messages.bot_message_history(deps, key)
    if preview is None:
        preview = await bot_messages.preview_bot_message(deps, key, tag)
    offered = deps.settings.languages or tuple(dict.fromkeys(
        [deps.settings.default_language, *(t.language for t in view.texts)]))
    return current.render(
        "message.html", message=view, history=history, preview=preview,
        draft_text=draft.template if draft else view.template,
        draft_mode=(draft.parse_mode if draft else view.parse_mode) or "",
        languages=offered, default_language=deps.settings.default_language,
        parse_modes=[m or "" for m in PARSE_MODES], notice=notice,
        language_query=f"?language={quote(view.language)}")


def _draft(current: Page) -> BotMessageBody:
    return BotMessageBody.model_validate({
        "template": current.form.get("template", "").replace("\r\n", "\n"),
        "parseMode": current.form.get("parseMode") or None})


@page("messages")
async def edit_message(current: Page) -> Response:
    return await _editor(current)


@page("messages")
async def save_message(current: Page) -> Response:
    body = _draft(current)
    if current.form.get("action") == "preview":
        preview = await bot_messages.preview_bot_message(
            current.runtime.deps, _key(current), _language(current), body.template,
            body.parse_mode)
        return await _editor(current, preview=preview, draft=body)
    await current.runtime.bus.handle(c.UpdateBotMessage(
        key=_key(current), template=body.template, parse_mode=body.parse_mode,
        changed_by=current.admin, language=_language(current)))
    return await _editor(current, "Saved: the bot sends this text from now on.")


@page("messages")
async def reset_message(current: Page) -> Response:
    tag = _language(current)
    await current.runtime.bus.handle(c.ResetBotMessage(key=_key(current),
                                                       changed_by=current.admin, language=tag))
    default = tag is None or tag == current.runtime.deps.settings.default_language
    return await _editor(current, "Reset to the shipped text." if default else
                         f"The {tag} text is removed: its readers get the default language's.")


ROUTES = [
    Route("/admin/messages", list_messages, methods=["GET"]),
    Route("/admin/messages/{key}", edit_message, methods=["GET"]),
    Route("/admin/messages/{key}", save_message, methods=["POST"]),
    Route("/admin/messages/{key}/reset", reset_message, methods=["POST"]),
]
