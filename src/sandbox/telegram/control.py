"""/_sandbox/... JSON control routes: act as users, shape the world, inspect what the bot did."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from starport.sandbox.telegram.actor import Actor
from starport.sandbox.telegram.delivery import Delivery
from starport.sandbox.telegram.errors import ApiError, SandboxError
from starport.sandbox.telegram.state import SandboxTelegram

Action = Callable[[Actor, dict[str, Any], Request], Awaitable[Any]]


def _chat_ref(raw: str) -> int | str:
    return raw if raw.startswith("@") else int(raw)


def _json(value: Any) -> Any:
    if isinstance(value, Delivery):
        return value.to_json()
    if hasattr(value, "to_json"):
        return value.to_json()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return value


def _route(sandbox: SandboxTelegram, path: str, action: Action, method: str = "POST") -> Route:
    async def endpoint(request: Request) -> Response:
        test = request.query_params.get("test", "").lower() in ("1", "true", "yes")
        token = request.query_params.get("bot") or request.headers.get("x-sandbox-bot-token")
        try:
            body = json.loads(await request.body() or b"{}")
            if not isinstance(body, dict):
                raise SandboxError("the body must be a JSON object")
            actor = sandbox.actor(token, test=test)
            result = _json(await action(actor, body, request))
        except SandboxError as exc:
            return JSONResponse({"ok": False, "error": str(exc)}, status_code=exc.status)
        except ApiError as exc:
            return JSONResponse({"ok": False, "error": exc.description}, status_code=exc.code)
        except (KeyError, ValueError, TypeError) as exc:
            error = f"bad control request: {type(exc).__name__}: {exc}"
            return JSONResponse({"ok": False, "error": error}, status_code=400)
        return JSONResponse({"ok": True, "result": result})

    return Route(path, endpoint, methods=[method])


def _uid(request: Request) -> int:
    return int(request.path_params["user_id"])


def _cid(request: Request) -> int | str:
    return _chat_ref(request.path_params["chat_id"])


async def _create_user(a: Actor, b: dict[str, Any], r: Request) -> Any:
    user = a.create_user(
        int(b["id"]), b.get("first_name", "Sandbox User"), b.get("username"),
        last_name=b.get("last_name"), started=bool(b.get("started", False)),
        language_code=b.get("language_code", "en"),
    )  # fmt: skip
    return user.to_json()


async def _create_channel(a: Actor, b: dict[str, Any], r: Request) -> Any:
    channel = a.create_channel(
        b.get("id"), b.get("title", "Sandbox Channel"), b.get("username"),
        bot_status=b.get("bot_status", "administrator"),
    )  # fmt: skip
    return channel.chat()


async def _create_group(a: Actor, b: dict[str, Any], r: Request) -> Any:
    group = a.create_group(
        b.get("id"), b.get("title", "Sandbox Group"), bot_status=b.get("bot_status", "member"),
        members=tuple(int(m) for m in b.get("members", ())),
    )  # fmt: skip
    return group.chat()


async def _faults(a: Actor, b: dict[str, Any], r: Request) -> Any:
    fault = a.sandbox.faults.inject(
        b["method"], int(b.get("times", 1)), int(b.get("error_code", 500)),
        retry_after=int(b.get("retry_after", 1)), description=b.get("description"),
    )  # fmt: skip
    return dataclasses.asdict(fault)


async def _limits(a: Actor, b: dict[str, Any], r: Request) -> Any:
    for key, value in b.items():
        if not hasattr(a.sandbox.limits, key):
            raise SandboxError(f"unknown limit {key}")
        setattr(a.sandbox.limits, key, value)
    return dataclasses.asdict(a.sandbox.limits)


async def _records(a: Actor, b: dict[str, Any], r: Request) -> Any:
    s = a.sandbox
    return {
        "calls": [c._asdict() for c in s.calls],
        "spec_violations": [v._asdict() for v in s.spec_violations],
        "result_violations": s.result_violations,
        "stats": dataclasses.asdict(s.stats),
    }


async def _reset(a: Actor, b: dict[str, Any], r: Request) -> Any:
    a.sandbox.reset()
    return True


async def _set_bot_status(a: Actor, b: dict[str, Any], r: Request) -> Any:
    a.set_bot_status(_cid(r), b["status"])
    return a.channel(_cid(r)).bot_status[a.bot.user.id]


async def _advance(a: Actor, b: dict[str, Any], r: Request) -> Any:
    a.sandbox.advance_time(int(b["seconds"]))
    return a.sandbox.now()


def control_routes(sandbox: SandboxTelegram) -> list[Route]:
    """Every route answers {"ok": true, "result": ...} or {"ok": false, "error": ...}. Choose the
    bot with ?bot=<token> (default: the sandbox's default token), the test world with ?test=1."""
    u, c = "/users/{user_id:int}", "/channels/{chat_id}"
    table: list[tuple[str, Action, str]] = [
        ("/", lambda a, b, r: _aw(a.summary()), "GET"),
        ("/records", _records, "GET"),
        ("/reset", _reset, "POST"),
        ("/time", _advance, "POST"),
        ("/faults", _faults, "POST"),
        ("/limits", _limits, "POST"),
        ("/users", _create_user, "POST"),
        (f"{u}/send", lambda a, b, r: a.send_text(
            _uid(r), b["text"], wait=b.get("wait", True), duplicate=b.get("duplicate", False)),
         "POST"),
        (f"{u}/press", lambda a, b, r: a.press_button(
            _uid(r), callback_data=b.get("callback_data"), text=b.get("text"),
            message_id=b.get("message_id"), duplicate=b.get("duplicate", False)), "POST"),
        (f"{u}/pay", lambda a, b, r: a.pay_invoice(
            _uid(r), invoice_link=b.get("invoice_link"), message_id=b.get("message_id"),
            timeout=b.get("timeout"), duplicate=b.get("duplicate", False), card=b.get("card")),
         "POST"),
        (f"{u}/renew", lambda a, b, r: a.renew_subscription(
            _uid(r), b["telegram_payment_charge_id"]), "POST"),
        (f"{u}/refund", lambda a, b, r: a.request_refund(
            _uid(r), b["telegram_payment_charge_id"]), "POST"),
        (f"{u}/block", lambda a, b, r: a.block_bot(_uid(r)), "POST"),
        (f"{u}/unblock", lambda a, b, r: a.unblock_bot(_uid(r)), "POST"),
        ("/channels", _create_channel, "POST"),
        (f"{c}/bot", _set_bot_status, "POST"),
        (f"{c}/join", lambda a, b, r: a.join_channel(
            int(b["user_id"]), _cid(r), invite_link=b.get("invite_link")), "POST"),
        (f"{c}/leave", lambda a, b, r: a.leave_channel(int(b["user_id"]), _cid(r)), "POST"),
        (f"{c}/join_request", lambda a, b, r: a.request_join(
            int(b["user_id"]), _cid(r), invite_link=b.get("invite_link")), "POST"),
        ("/groups", _create_group, "POST"),
        (f"{c}/send", lambda a, b, r: a.send_to_group(
            int(b["user_id"]), _cid(r), b["text"],
            reply_to_message_id=b.get("reply_to_message_id")), "POST"),
        (f"{c}/members", lambda a, b, r: _aw(a.members(_cid(r))), "GET"),
        (f"{c}/invite_links", lambda a, b, r: _aw(a.invite_links(_cid(r))), "GET"),
        ("/chats/{chat_id}/messages", lambda a, b, r: _aw(a.messages(int(_cid(r)))), "GET"),
        ("/invoices", lambda a, b, r: _aw(a.invoices()), "GET"),
        ("/transactions", lambda a, b, r: _aw(a.transactions()), "GET"),
        ("/deliveries", lambda a, b, r: _aw(a.deliveries()), "GET"),
        ("/answers", lambda a, b, r: _aw(_answers(a)), "GET"),
    ]  # fmt: skip
    return [_route(sandbox, path, action, method) for path, action, method in table]


def _answers(a: Actor) -> dict[str, Any]:
    callbacks = {k: v for k, v in a.bot.callback_queries.items() if v is not None}
    return {"pre_checkout": list(a.bot.checkout_answers), "callback_queries": callbacks}


async def _aw(value: Any) -> Any:
    return value
