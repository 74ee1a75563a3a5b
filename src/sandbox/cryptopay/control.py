"""`/_sandbox/...` routes: pay, underpay, expire, redeliver, webhook URL, faults, balances,
transfers."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from starport.sandbox.cryptopay.emulator import PayResult, SandboxCryptoPay
from starport.sandbox.cryptopay.errors import ApiError
from starport.sandbox.cryptopay.webhooks import WebhookMode

Handler = Callable[[Request, dict[str, Any]], Awaitable[Any]]


def routes(sandbox: SandboxCryptoPay) -> list[Route]:
    async def pay(request: Request, body: dict[str, Any]) -> Any:
        result = await sandbox.pay(
            _invoice_id(request),
            paid_asset=body.get("paid_asset"),
            comment=body.get("comment"),
            paid_anonymously=bool(body.get("paid_anonymously", False)),
            webhook=_mode(body),
            wait=bool(body.get("wait", True)),
        )
        return _paid(result)

    async def underpay(request: Request, body: dict[str, Any]) -> Any:
        result = await sandbox.underpay(
            _invoice_id(request),
            paid_amount=_decimal(body.get("paid_amount")),
            fraction=_decimal(body.get("fraction")),
            paid_asset=body.get("paid_asset"),
            webhook=_mode(body),
            wait=bool(body.get("wait", True)),
        )
        return _paid(result)

    async def expire(request: Request, body: dict[str, Any]) -> Any:
        return sandbox.expire(_invoice_id(request)).to_json()

    async def redeliver(request: Request, body: dict[str, Any]) -> Any:
        batch = await sandbox.redeliver(
            _invoice_id(request), webhook=_mode(body), wait=bool(body.get("wait", True))
        )
        return [delivery.to_json() for delivery in batch]

    async def show(request: Request, body: dict[str, Any]) -> Any:
        return sandbox.invoice(_invoice_id(request)).to_json()

    async def listing(request: Request, body: dict[str, Any]) -> Any:
        """Every invoice, newest first (`?status=active|paid|expired`)."""
        wanted = request.query_params.get("status")
        found = sorted(sandbox.api.invoices, reverse=True)
        return [invoice.to_json() for invoice in (sandbox.invoice(i) for i in found)
                if wanted is None or invoice.to_json().get("status") == wanted]

    async def webhook(request: Request, body: dict[str, Any]) -> Any:
        if request.method == "POST":
            retries, backoff = body.get("retries"), body.get("backoff")
            sandbox.set_webhook(
                body.get("url"),
                retries=None if retries is None else int(retries),
                backoff=None if backoff is None else float(backoff),
            )
        policy = sandbox.notifier.policy
        return {"url": sandbox.webhook_url, "retries": policy.retries, "backoff": policy.backoff}

    async def deliveries(request: Request, body: dict[str, Any]) -> Any:
        return [delivery.to_json() for delivery in sandbox.deliveries]

    async def faults(request: Request, body: dict[str, Any]) -> Any:
        sandbox.fail_next(int(body.get("fail_next", 1)), int(body.get("status", 500)))
        return True

    async def balances(request: Request, body: dict[str, Any]) -> Any:
        available = _decimal(body.get("available"))
        if not body.get("asset") or available is None:
            raise ApiError(400, "PARAM_ASSET_AND_AVAILABLE_REQUIRED")
        onhold = _decimal(body.get("onhold")) or Decimal(0)
        sandbox.set_balance(str(body["asset"]), available, onhold)
        return sandbox.api.ledger.to_json()

    async def transfers(request: Request, body: dict[str, Any]) -> Any:
        """Whether the app may transfer (POST `{"enabled": true}` to switch) and what it sent."""
        if request.method == "POST":
            enabled = body.get("enabled")
            if not isinstance(enabled, bool):
                raise ApiError(400, "PARAM_ENABLED_REQUIRED")
            sandbox.enable_transfers(enabled)
        return {"enabled": sandbox.api.transfers.enabled,
                "transfers": [t.to_json() for t in sandbox.transfers]}

    async def reset(request: Request, body: dict[str, Any]) -> Any:
        sandbox.reset()
        return True

    invoice = "/_sandbox/invoices/{invoice_id:int}"
    return [
        _route(f"{invoice}/pay", pay, ["POST"]),
        _route(f"{invoice}/underpay", underpay, ["POST"]),
        _route(f"{invoice}/expire", expire, ["POST"]),
        _route(f"{invoice}/redeliver", redeliver, ["POST"]),
        _route(invoice, show, ["GET"]),
        _route("/_sandbox/invoices", listing, ["GET"]),
        _route("/_sandbox/webhook", webhook, ["GET", "POST"]),
        _route("/_sandbox/deliveries", deliveries, ["GET"]),
        _route("/_sandbox/faults", faults, ["POST"]),
        _route("/_sandbox/balances", balances, ["POST"]),
        _route("/_sandbox/transfers", transfers, ["GET", "POST"]),
        _route("/_sandbox/reset", reset, ["POST"]),
    ]


def _route(path: str, handler: Handler, methods: list[str]) -> Route:
    async def endpoint(request: Request) -> Response:
        try:
            result = await handler(request, _body(await request.body()))
        except (TypeError, ValueError):
            return JSONResponse(ApiError(400, "PARAM_INVALID").to_json(), status_code=400)
        except ApiError as error:
            return JSONResponse(error.to_json(), status_code=error.code)
        return JSONResponse({"ok": True, "result": result})

    return Route(path, endpoint, methods=methods)


def _body(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw, parse_float=Decimal) if raw else {}
    except ValueError:
        raise ApiError(400, "BODY_INVALID") from None
    if not isinstance(body, dict):
        raise ApiError(400, "BODY_INVALID")
    return body


def _paid(result: PayResult) -> dict[str, Any]:
    return {
        "invoice": result.invoice.to_json(),
        "deliveries": [delivery.to_json() for delivery in result.deliveries],
    }


def _invoice_id(request: Request) -> int:
    return int(request.path_params["invoice_id"])


def _mode(body: dict[str, Any]) -> WebhookMode:
    try:
        return WebhookMode(body.get("webhook", WebhookMode.DELIVER))
    except ValueError:
        raise ApiError(400, "WEBHOOK_MODE_INVALID") from None


def _decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ApiError(400, "AMOUNT_INVALID") from None
