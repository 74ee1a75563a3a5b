"""Getting updates: setWebhook, getWebhookInfo, deleteWebhook and getUpdates (long polling)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from starport.sandbox.telegram.delivery import WebhookConfig
from starport.sandbox.telegram.errors import ApiError, bad_request
from starport.sandbox.telegram.models import JSON
from starport.sandbox.telegram.world import Ctx, handler

_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
MAX_POLL_TIMEOUT = 50


@handler("setWebhook")
async def set_webhook(ctx: Ctx, p: dict[str, Any]) -> bool:
    url = p["url"]
    hub = ctx.bot.hub
    if not url:
        hub.delete_webhook(bool(p.get("drop_pending_updates")))
        return True
    parts = urlsplit(url)
    # Telegram demands HTTPS on ports 443/80/88/8443; the sandbox also takes http://127.0.0.1:any.
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise bad_request("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
    secret = p.get("secret_token")
    if secret is not None and not _SECRET.fullmatch(secret):
        raise bad_request("secret token contains unallowed characters")
    max_connections = p.get("max_connections") or 40
    if not 1 <= max_connections <= 100:
        raise bad_request("bad webhook: max_connections must be between 1 and 100")
    allowed = p.get("allowed_updates")
    if allowed is None and hub.webhook is not None:
        allowed = hub.webhook.allowed_updates  # not given: the previous setting is kept
    config = WebhookConfig(url, secret, allowed, max_connections, p.get("ip_address"))
    hub.set_webhook(config, bool(p.get("drop_pending_updates")))
    return True


@handler("deleteWebhook")
async def delete_webhook(ctx: Ctx, p: dict[str, Any]) -> bool:
    ctx.bot.hub.delete_webhook(bool(p.get("drop_pending_updates")))
    return True


@handler("getWebhookInfo")
async def get_webhook_info(ctx: Ctx, p: dict[str, Any]) -> JSON:
    hub = ctx.bot.hub
    hook = hub.webhook
    info: JSON = {
        "url": hook.url if hook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(hub.pending) + hub.in_flight,
    }
    if hook is None:
        return info
    info["max_connections"] = hook.max_connections
    if hook.ip_address:
        info["ip_address"] = hook.ip_address
    if hook.last_error_date is not None:
        info["last_error_date"] = hook.last_error_date
        info["last_error_message"] = hook.last_error_message
    if hook.allowed_updates:
        info["allowed_updates"] = list(hook.allowed_updates)
    return info


@handler("getUpdates")
async def get_updates(ctx: Ctx, p: dict[str, Any]) -> list[JSON]:
    hub = ctx.bot.hub
    if hub.webhook is not None:
        raise ApiError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
        )
    limit = min(100, max(1, p.get("limit") or 100))
    timeout = min(MAX_POLL_TIMEOUT, max(0, p.get("timeout") or 0))
    return await hub.get_updates(p.get("offset"), limit, timeout, p.get("allowed_updates"))
