"""Support that reaches a human: after /support (or /paysupport) a user's messages are relayed
to the support chat with who they are and their recent payments; an agent's reply there goes
back to the user. Every message either way is kept with its conversation, for the admins."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from starport.application import commands as c
from starport.application.deliveries import record
from starport.application.deps import Deps
from starport.application.effects import OutboxItem, RelayToSupport
from starport.application.links import account_of
from starport.application.notify import load_message, send_template
from starport.application.unit_of_work import UnitOfWork
from starport.domain.bot_messages import MAX_LENGTH
from starport.domain.errors import ConversationNotFound
from starport.domain.money import shown
from starport.domain.sessions import PaymentSession
from starport.domain.support import Direction, SupportConversation, SupportMessage

RECENT_PAYMENTS = 5
ANSWER_ROOM = 256  # for the words of support_answer around the agent's text


def _idle_hours(deps: Deps) -> str:
    return f"{deps.settings.support_idle.total_seconds() / 3600:g}"


async def _current(deps: Deps, uow: UnitOfWork, telegram_user_id: int
                   ) -> tuple[SupportConversation | None, bool]:
    """The user's latest conversation, and whether it went idle just now (then closed)."""
    conversation = await uow.support.latest_of(telegram_user_id)
    if conversation is None:
        return None, False
    expired = conversation.expire_if_idle(deps.clock.now(), deps.settings.support_idle)
    if expired:
        await uow.support.save(conversation)
    return conversation, expired


async def open_support(deps: Deps, cmd: c.OpenSupport) -> str:
    """A conversation still open goes on; else a new one opens."""
    now = deps.clock.now()
    async with deps.uow() as uow:
        conversation, _ = await _current(deps, uow, cmd.telegram_user_id)
        if conversation is None or conversation.closed_at is not None:
            conversation = SupportConversation.open(deps.ids.new_id(), cmd.telegram_user_id,
                                                    cmd.first_name, cmd.username, now,
                                                    (cmd.language or "")[:35] or None)
            await uow.support.add(conversation)
        await send_template(uow, item_id=deps.ids.new_id(), chat_id=cmd.chat_id,
                            key="support_open", now=now,
                            languages=deps.settings.languages_for(cmd.language),
                            first_name=cmd.first_name,
                            bot_name=deps.settings.bot_name, idle_hours=_idle_hours(deps))
        await record(uow, cmd.delivery, "support_opened")
        await uow.commit()
    return "support_opened"


async def close_support(deps: Deps, cmd: c.CloseSupport) -> str:
    now = deps.clock.now()
    async with deps.uow() as uow:
        conversation, _ = await _current(deps, uow, cmd.telegram_user_id)
        if conversation is not None and conversation.close(now):
            await uow.support.save(conversation)
        await send_template(uow, item_id=deps.ids.new_id(), chat_id=cmd.chat_id,
                            key="support_closed", now=now,
                            languages=deps.settings.languages_for(cmd.language),
                            first_name=cmd.first_name)
        await record(uow, cmd.delivery, "support_closed")
        await uow.commit()
    return "support_closed"


async def write_to_support(deps: Deps, cmd: c.WriteToSupport) -> str:
    """Relayed while the user's conversation is open; outside one, "ignored" (nothing stored:
    a message to the bot outside a conversation is read by nobody, as before /support)."""
    support_chat = deps.settings.support_chat_id
    if support_chat is None:
        return "ignored"
    now = deps.clock.now()
    async with deps.uow() as uow:
        conversation, expired = await _current(deps, uow, cmd.telegram_user_id)
        if conversation is None or (conversation.closed_at is not None and not expired):
            return "ignored"
        if expired:
            outcome = "support_expired"
            await send_template(uow, item_id=deps.ids.new_id(), chat_id=cmd.chat_id,
                                key="support_expired", now=now,
                                languages=deps.settings.languages_for(cmd.language),
                                first_name=cmd.first_name,
                                idle_hours=_idle_hours(deps))
        else:
            outcome = "support_text_only"
            if cmd.text.strip():
                outcome = "support_relayed"
                await _relay(deps, uow, conversation, cmd, support_chat)
            if cmd.unsupported is not None or outcome == "support_text_only":
                await send_template(uow, item_id=deps.ids.new_id(), chat_id=cmd.chat_id,
                                    key="support_text_only", now=now,
                                    languages=deps.settings.languages_for(cmd.language),
                                    first_name=cmd.first_name,
                                    attachment=cmd.unsupported or "message")
        await record(uow, cmd.delivery, outcome)
        await uow.commit()
    return outcome


async def _relay(deps: Deps, uow: UnitOfWork, conversation: SupportConversation,
                 cmd: c.WriteToSupport, support_chat: int) -> None:
    now = deps.clock.now()
    conversation.touch(now)
    await uow.support.save(conversation)
    name = " ".join(n for n in (cmd.first_name, cmd.last_name) if n)
    message = SupportMessage(deps.ids.new_id(), conversation.id, Direction.IN,
                             cmd.telegram_user_id, name, cmd.text, now)
    await uow.support.add_message(message)
    user_id = await account_of(uow, cmd.telegram_user_id)
    recent = await uow.sessions.recent_of(cmd.telegram_user_id, user_id, RECENT_PAYMENTS)
    text = cmd.text if cmd.unsupported is None else (
        f"{cmd.text}\n[with a {cmd.unsupported}: not forwarded]")
    # For the agents: in the default language.
    relayed = (await load_message(uow, "support_relayed",
                                  deps.settings.languages_for(None))).render(
        who=who(name, cmd.username, cmd.telegram_user_id, user_id),
        telegram_user_id=cmd.telegram_user_id, user_id=user_id,
        payments=payment_lines(recent), text=text)
    await uow.queue(OutboxItem.now(deps.ids.new_id(), support_chat,
                                   RelayToSupport(message.id, cut(relayed)), now))


def who(name: str, username: str | None, telegram_user_id: int, user_id: str) -> str:
    """Who wrote: `Ann Lee (@ann), Telegram 1001, user alice` (the user when linked to one)."""
    parts = [name or "(no name)"]
    if username:
        parts[0] += f" (@{username})"
    parts.append(f"Telegram {telegram_user_id}")
    if user_id != str(telegram_user_id):
        parts.append(f"user {user_id}")
    return ", ".join(parts)


def payment_lines(sessions: Sequence[PaymentSession]) -> str:
    if not sessions:
        return "none"
    return "\n".join(
        f"{s.created_at:%Y-%m-%d %H:%M} {s.id} · {s.package_id} · {shown(s.price)} · "
        f"{s.provider.value} · {s.status.value}" for s in sessions)


def cut(text: str, limit: int = MAX_LENGTH) -> str:
    """Within Telegram's limit for a message, which counts UTF-16 code units (an emoji is
    two): the end is cut, with an ellipsis."""
    if _units(text) <= limit:
        return text
    kept = text[:limit - 1]
    while _units(kept) > limit - 1:
        kept = kept[:-1]
    return kept + "…"


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


async def note_relayed(deps: Deps, cmd: c.NoteRelayed) -> None:
    async with deps.uow() as uow:
        await uow.support.note_relayed(cmd.message_id, cmd.chat_id, cmd.support_message_id)
        await uow.commit()


async def answer_from_support(deps: Deps, cmd: c.AnswerFromSupport) -> str:
    """A reply to a relayed message goes to its user (even after the conversation ended: it
    answers what they asked); a reply to anything else is "ignored" and nothing is stored."""
    if not cmd.text.strip():
        return "ignored"
    now = deps.clock.now()
    async with deps.uow() as uow:
        asked = await uow.support.relayed_as(cmd.chat_id, cmd.reply_to)
        conversation = await uow.support.get(asked.conversation_id) if asked else None
        if conversation is None:
            return "ignored"
        conversation.touch(now)
        await uow.support.save(conversation)
        await uow.support.add_message(SupportMessage(
            deps.ids.new_id(), conversation.id, Direction.OUT, cmd.agent_telegram_id,
            cmd.agent_name, cmd.text, now))
        await send_template(uow, item_id=deps.ids.new_id(),
                            chat_id=conversation.telegram_user_id, key="support_answer",
                            now=now,
                            languages=deps.settings.languages_for(conversation.language),
                            text=cut(cmd.text, MAX_LENGTH - ANSWER_ROOM),
                            agent_name=cmd.agent_name,
                            first_name=conversation.first_name)
        await record(uow, cmd.delivery, "support_answered")
        await uow.commit()
    return "support_answered"


# -- what admins see ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ConversationPage:
    conversations: Sequence[SupportConversation]
    next_cursor: str | None  # the id to ask for the next page with; None: no more


async def list_conversations(deps: Deps, limit: int, cursor: str | None) -> ConversationPage:
    async with deps.uow(read_only=True) as uow:
        before = await uow.support.get(cursor) if cursor is not None else None
        if cursor is not None and before is None:
            raise ConversationNotFound(f"no support conversation {cursor} to page from")
        found = await uow.support.page(limit, before)
    more = len(found) == limit
    return ConversationPage(found, found[-1].id if more and found else None)


async def get_conversation(deps: Deps, conversation_id: str
                           ) -> tuple[SupportConversation, Sequence[SupportMessage]]:
    async with deps.uow(read_only=True) as uow:
        conversation = await uow.support.get(conversation_id)
        if conversation is None:
            raise ConversationNotFound(f"no support conversation {conversation_id}")
        return conversation, await uow.support.messages(conversation_id)
