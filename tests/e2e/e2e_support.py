"""What the end-to-end tests share: the catalog, and the host app's and Telegram's requests."""

from __future__ import annotations

import json
from typing import Any

import httpx
from features.drivers.base import Package
from features.drivers.http_server import ADMIN_AUTH, SERVER_AUTH, Server

PACKAGES = (
    Package("starter", "Starter", 100, stars=50, crypto="1.5 TON"),
    Package("plus", "Plus", 550, stars=250, crypto="5 USD"),
)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


async def create_session(server: Server, user_id: str, method: str,
                         package: str = "starter") -> dict[str, Any]:
    response = await server.http.post("/api/payments/create-session", headers=SERVER_AUTH, json={
        "packageId": package, "paymentMethod": method, "userId": user_id})
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def session(server: Server, session_id: str) -> dict[str, Any]:
    response = await server.http.get(f"/api/payments/sessions/{session_id}", headers=SERVER_AUTH)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


async def balance(server: Server, user_id: str) -> int:
    response = await server.http.get(f"/api/users/{user_id}/balance", headers=SERVER_AUTH)
    assert response.status_code == 200, response.text
    return int(response.json()["balance"])


async def ledger(server: Server, user_id: str) -> list[dict[str, Any]]:
    response = await server.http.get(f"/api/users/{user_id}/ledger", headers=SERVER_AUTH)
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["entries"]
    return entries


async def run_job(server: Server, name: str) -> dict[str, int]:
    response = await server.http.post(f"/api/admin/jobs/{name}/run", headers=ADMIN_AUTH)
    assert response.status_code == 200, response.text
    counts: dict[str, int] = response.json()["counts"]
    return counts


async def post_update(server: Server, update: dict[str, Any], secret: str | None
                      ) -> httpx.Response:
    """An update POSTed to the webhook by someone else than the sandbox (a forger, a replay)."""
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    return await server.http.post("/api/telegram/webhook", json=update, headers=headers)


async def post_cryptopay(server: Server, body: bytes, signature: str) -> httpx.Response:
    return await server.http.post("/api/cryptopay/webhook", content=body, headers={
        "crypto-pay-api-signature": signature, "content-type": "application/json"})


def tampered(body: bytes, **payload: Any) -> bytes:
    """The same Crypto Pay update with payload fields changed."""
    update = json.loads(body)
    update["payload"].update(payload)
    return json.dumps(update, separators=(",", ":")).encode()


def start_parameter(data: dict[str, Any]) -> str:
    return str(data["deepLink"]).rsplit("start=", 1)[-1]
