"""Admin routes of support conversations: what users wrote to support and what agents answered."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from starport.application import support
from starport.domain.support import SupportConversation, SupportMessage
from starport.entrypoints.http.admin import admin
from starport.entrypoints.http.auth import runtime_of
from starport.entrypoints.http.inputs import storable_param, whole
from starport.entrypoints.http.schemas import iso

MAX_PAGE = 200


def _conversation(request: Request, c: SupportConversation) -> dict[str, Any]:
    settings, now = runtime_of(request).deps.settings, runtime_of(request).deps.clock.now()
    return {"conversationId": c.id, "telegramUserId": c.telegram_user_id,
            "firstName": c.first_name, "username": c.username, "openedAt": iso(c.opened_at),
            "lastMessageAt": iso(c.last_message_at),
            "closedAt": iso(c.closed_at),
            "open": c.is_open(now, settings.support_idle)}


def _message(m: SupportMessage) -> dict[str, Any]:
    return {"messageId": m.id, "direction": m.direction.value,
            "senderTelegramId": m.sender_telegram_id, "senderName": m.sender_name,
            "text": m.text, "sentAt": iso(m.sent_at), "supportChatId": m.support_chat_id,
            "supportMessageId": m.support_message_id}


async def list_conversations(request: Request, who: str) -> Any:
    """Newest opened first, `?limit=1..200` (default 50) a page, `?cursor=` the next."""
    params = request.query_params
    limit = whole(params.get("limit", "50"), "limit", 1, MAX_PAGE)
    cursor = params.get("cursor")
    page = await support.list_conversations(
        runtime_of(request).deps, limit,
        storable_param(cursor, "cursor") if cursor is not None else None)
    return {"conversations": [_conversation(request, c) for c in page.conversations],
            "nextCursor": page.next_cursor}


async def get_conversation(request: Request, who: str) -> Any:
    conversation_id = storable_param(request.path_params["conversation_id"], "conversationId")
    conversation, messages = await support.get_conversation(runtime_of(request).deps,
                                                            conversation_id)
    return {**_conversation(request, conversation),
            "messages": [_message(m) for m in messages]}


ROUTES = [
    Route("/api/admin/support/conversations", admin(list_conversations), methods=["GET"]),
    Route("/api/admin/support/conversations/{conversation_id}", admin(get_conversation),
          methods=["GET"]),
]
