"""Bot API methods for messages, callbacks, commands, webhooks and updates."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from starport.adapters.telegram.calls import Calls
from starport.adapters.telegram.objects import BotCommand, WebAppMenuButton

Json = dict[str, Any]


class BotMethods(Calls):
    async def get_me(self) -> Json:
        result: Json = await self.call("getMe")
        return result

    async def send_message(
        self,
        chat_id: int | str,
        text: str,
        parse_mode: str | None = None,
        reply_markup: Mapping[str, Any] | None = None,
        *,
        link_preview_options: Mapping[str, Any] | None = None,
        disable_notification: bool | None = None,
        protect_content: bool | None = None,
        reply_parameters: Mapping[str, Any] | None = None,
        **extra: Any,
    ) -> Json:
        result: Json = await self.call(
            "sendMessage",
            chat_id=chat_id,
            text=text,
            parse_mode=parse_mode,
            reply_markup=reply_markup,
            link_preview_options=link_preview_options,
            disable_notification=disable_notification,
            protect_content=protect_content,
            reply_parameters=reply_parameters,
            **extra,
        )
        return result

    async def answer_callback_query(
        self,
        callback_query_id: str,
        text: str | None = None,
        show_alert: bool | None = None,
        url: str | None = None,
        cache_time: int | None = None,
    ) -> bool:
        return bool(
            await self.call(
                "answerCallbackQuery",
                callback_query_id=callback_query_id,
                text=text,
                show_alert=show_alert,
                url=url,
                cache_time=cache_time,
            )
        )

    async def set_my_commands(
        self,
        commands: Sequence[BotCommand | Mapping[str, str]],
        scope: Mapping[str, Any] | None = None,
        language_code: str | None = None,
    ) -> bool:
        return bool(
            await self.call(
                "setMyCommands", commands=list(commands), scope=scope, language_code=language_code
            )
        )

    async def get_my_commands(
        self, scope: Mapping[str, Any] | None = None, language_code: str | None = None
    ) -> list[Json]:
        result: list[Json] = await self.call(
            "getMyCommands", scope=scope, language_code=language_code
        )
        return result

    async def delete_my_commands(
        self, scope: Mapping[str, Any] | None = None, language_code: str | None = None
    ) -> bool:
        return bool(await self.call("deleteMyCommands", scope=scope, language_code=language_code))

    async def set_chat_menu_button(
        self, menu_button: WebAppMenuButton | Mapping[str, Any], chat_id: int | None = None
    ) -> bool:
        """Without chat_id: the default button of every private chat with the bot."""
        return bool(await self.call("setChatMenuButton", chat_id=chat_id, menu_button=menu_button))

    async def get_chat_menu_button(self, chat_id: int | None = None) -> Json:
        result: Json = await self.call("getChatMenuButton", chat_id=chat_id)
        return result

    async def set_webhook(
        self,
        url: str,
        secret_token: str | None = None,
        allowed_updates: Sequence[str] | None = None,
        drop_pending_updates: bool | None = None,
        max_connections: int | None = None,
        ip_address: str | None = None,
    ) -> bool:
        return bool(
            await self.call(
                "setWebhook",
                url=url,
                secret_token=secret_token,
                allowed_updates=_list(allowed_updates),
                drop_pending_updates=drop_pending_updates,
                max_connections=max_connections,
                ip_address=ip_address,
            )
        )

    async def get_webhook_info(self) -> Json:
        result: Json = await self.call("getWebhookInfo")
        return result

    async def delete_webhook(self, drop_pending_updates: bool | None = None) -> bool:
        return bool(await self.call("deleteWebhook", drop_pending_updates=drop_pending_updates))

    async def get_updates(
        self,
        offset: int | None = None,
        timeout: int | None = None,
        allowed_updates: Sequence[str] | None = None,
        limit: int | None = None,
    ) -> list[Json]:
        result: list[Json] = await self.call(
            "getUpdates",
            offset=offset,
            timeout=timeout,
            allowed_updates=_list(allowed_updates),
            limit=limit,
        )
        return result


def _list(values: Sequence[str] | None) -> list[str] | None:
    return None if values is None else list(values)
