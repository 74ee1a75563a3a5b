"""Use cases of admin-editable bot messages: read, change (audited), reset, preview; each in
one language (the default language unless one is named)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from starport.application import commands as c
from starport.application.deps import Deps
from starport.application.notify import load_message
from starport.application.unit_of_work import UnitOfWork
from starport.domain import bot_messages as domain
from starport.domain.bot_messages import DEFINITIONS, BotMessage, BotMessageChange, definition
from starport.domain.errors import InvalidLanguage, InvalidTemplate
from starport.domain.languages import language


@dataclass(frozen=True)
class TextView:
    """One language's text of a message: its own, or the one it falls back to."""

    language: str
    template: str
    parse_mode: str | None
    falls_back: bool  # no text of its own: its readers get the fallback's
    is_default: bool
    updated_by: str | None
    updated_at: str | None

    @classmethod
    def of(cls, tag: str, m: BotMessage, own: bool) -> TextView:
        return cls(tag, m.template, m.parse_mode, not own, m.is_default,
                   m.updated_by if own else None,
                   m.updated_at.isoformat() if own and m.updated_at else None)


@dataclass(frozen=True)
class BotMessageView:
    """A message in one language (the top-level fields), with its text in every language."""

    key: str
    language: str
    template: str
    parse_mode: str | None
    placeholders: tuple[str, ...]
    purpose: str
    button: bool
    max_length: int
    is_default: bool
    falls_back: bool
    updated_by: str | None
    updated_at: str | None
    texts: tuple[TextView, ...]


@dataclass(frozen=True)
class PreviewView:
    """The text as the bot would send it (sample values filled in), or why it would not."""

    key: str
    language: str
    parse_mode: str | None
    text: str | None
    error: str | None


async def get_bot_message(deps: Deps, key: str, language_code: str | None = None
                          ) -> BotMessageView:
    definition(key)
    tag = _language(deps, language_code)
    async with deps.uow(read_only=True) as uow:
        return await _view(deps, uow, key, tag)


async def list_bot_messages(deps: Deps, language_code: str | None = None
                            ) -> list[BotMessageView]:
    tag = _language(deps, language_code)
    async with deps.uow(read_only=True) as uow:
        return [await _view(deps, uow, key, tag) for key in DEFINITIONS]


async def update_bot_message(deps: Deps, cmd: c.UpdateBotMessage) -> BotMessageView:
    tag = _writable(deps, cmd.language)
    async with deps.uow() as uow:
        message = await uow.bot_messages.get(cmd.key, tag) or await _start(deps, uow, cmd.key,
                                                                            tag)
        change = message.change(cmd.template, cmd.parse_mode, cmd.changed_by,
                                deps.clock.now())
        if change is not None:
            await uow.bot_messages.record_change(change)
            await uow.bot_messages.save(message)
            await uow.commit()
        return await _view(deps, uow, cmd.key, tag)


async def reset_bot_message(deps: Deps, cmd: c.ResetBotMessage) -> BotMessageView:
    """The default language goes back to the shipped text; another language loses its own
    text, and its readers get the default language's again."""
    definition(cmd.key)
    tag = _writable(deps, cmd.language)
    now = deps.clock.now()
    async with deps.uow() as uow:
        own = await uow.bot_messages.get(cmd.key, tag)
        change: BotMessageChange | None = None
        if tag == deps.settings.default_language:
            message = own or BotMessage.default(cmd.key, tag)
            change = message.reset(cmd.changed_by, now)
            if change is not None:
                await uow.bot_messages.save(message)
        elif own is not None:
            others = [m for m in await uow.bot_messages.texts(cmd.key) if m.language != tag]
            fallback = domain.resolve(cmd.key, deps.settings.languages_for(tag), others)
            change = own.withdrawn(fallback, cmd.changed_by, now)
            await uow.bot_messages.remove(own)
        if change is not None:
            await uow.bot_messages.record_change(change)
            await uow.commit()
        return await _view(deps, uow, cmd.key, tag)


async def bot_message_history(deps: Deps, key: str, limit: int = 50,
                              language_code: str | None = None
                              ) -> Sequence[BotMessageChange]:
    """Newest first: every language's changes, or one language's."""
    definition(key)
    tag = language(language_code) if language_code is not None else None
    async with deps.uow(read_only=True) as uow:
        return await uow.bot_messages.history(key, limit, tag)


async def render_bot_message(deps: Deps, key: str, language_code: str | None = None,
                             **values: object) -> str:
    """The text a user of `language_code` gets, filled with `values`."""
    async with deps.uow(read_only=True) as uow:
        message = await load_message(uow, key, deps.settings.languages_for(language_code))
        return message.render(**values)


async def preview_bot_message(deps: Deps, key: str, language_code: str | None = None,
                              template: str | None = None, parse_mode: str | None = None
                              ) -> PreviewView:
    """`template` (else the text in force in the language) as the bot would send it, filled
    with sample values and checked as a change would be (HTML tags, MarkdownV2 escaping,
    placeholders, length); the error names what and where. Nothing is stored."""
    definition(key)
    tag = _language(deps, language_code)
    if template is None:
        async with deps.uow(read_only=True) as uow:
            current = await load_message(uow, key, deps.settings.languages_for(tag))
        template, parse_mode = current.template, current.parse_mode
    try:
        return PreviewView(key, tag, parse_mode, domain.preview(key, template, parse_mode),
                           None)
    except InvalidTemplate as exc:
        return PreviewView(key, tag, parse_mode, None, exc.message)


def _language(deps: Deps, language_code: str | None) -> str:
    return language(language_code) if language_code else deps.settings.default_language


def _writable(deps: Deps, language_code: str | None) -> str:
    """The language a change is for: any, unless STARPORT_LANGUAGES names those offered."""
    tag = _language(deps, language_code)
    offered = deps.settings.languages
    if offered and tag not in offered:
        raise InvalidLanguage(f"texts are written in {', '.join(offered)} "
                              f"(STARPORT_LANGUAGES), not {tag!r}")
    return tag


async def _start(deps: Deps, uow: UnitOfWork, key: str, tag: str) -> BotMessage:
    """A language's first own text starts from the one its readers get now."""
    fallback = await load_message(uow, key, deps.settings.languages_for(tag))
    return BotMessage(key, fallback.template, fallback.parse_mode, language=tag)


async def _view(deps: Deps, uow: UnitOfWork, key: str, tag: str) -> BotMessageView:
    d = definition(key)
    stored = await uow.bot_messages.texts(key)
    own = {m.language for m in stored}
    default = deps.settings.default_language
    tags = dict.fromkeys([tag, default, *deps.settings.languages, *sorted(own)])
    texts = tuple(TextView.of(t, domain.resolve(key, deps.settings.languages_for(t), stored),
                              t in own) for t in tags)
    this = texts[0]
    return BotMessageView(
        key, tag, this.template, this.parse_mode, tuple(sorted(d.placeholders)), d.purpose,
        d.button, d.max_length, this.is_default, this.falls_back, this.updated_by,
        this.updated_at, texts)
