"""The host app's side of the HTTP driver: Starport's REST API, answers turned into the
driver's plain values, and error bodies turned into `Refused` as the use-case driver raises it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx

from features.drivers.base import PaymentMethod, Refused, Session

METHODS = {"telegram_stars": PaymentMethod.TELEGRAM_STARS, "cryptopay": PaymentMethod.CRYPTO_PAY,
           "telegram_payments": PaymentMethod.CARD}


async def call(http: httpx.AsyncClient, method: str, path: str, headers: dict[str, str],
               body: Any = None) -> Any:
    """The JSON answer of a 2xx; a refusal (4xx, or 502 from a provider) raises `Refused`."""
    response = await http.request(method, path, headers=headers, json=body)
    if response.is_success:
        return response.json()
    raise refusal(response)


def refusal(response: httpx.Response) -> Exception:
    """`{"error": {code, message}}` as `Refused`; anything else is Starport failing."""
    try:
        error = response.json()["error"]
        code, message = str(error["code"]), str(error["message"])
    except (ValueError, KeyError, TypeError):
        code, message = "", response.text
    if response.status_code >= 500 and code != "provider_error":
        return AssertionError(f"{response.request.method} {response.request.url.path} failed: "
                              f"{response.status_code} {response.text}")
    return Refused(code or f"http_{response.status_code}", message)


def session(data: dict[str, Any]) -> Session:
    return Session(
        id=data["sessionId"],
        user_id=data["userId"],
        package=data["packageId"],
        method=METHODS[data["paymentMethod"]],
        status=data["status"],
        amount=Decimal(str(data["amount"])),
        currency=data["currency"],
        credits=data["credits"],
        expires_at=datetime.fromisoformat(data["expiresAt"]),
        deep_link=data.get("deepLink"),
        invoice_link=data.get("invoiceLink"),
        pay_url=data.get("payUrl"),
    )
