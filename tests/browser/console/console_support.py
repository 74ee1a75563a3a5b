"""What the console's browser tests share: the host app's event endpoint, signing in,
screenshots for the README, a purchase in the sandbox Telegram, a balance as the host app
reads it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from features.drivers.http_server import ADMIN_TOKEN, SERVER_AUTH, Server
from playwright.async_api import Page
from starlette.requests import Request
from starlette.responses import Response

ANN = 7_500_000_001
SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "console"


@dataclass
class HostApp:
    """The host app's event endpoint: answers `status`, keeps the type of each event."""

    status: int = 204
    received: list[str] = field(default_factory=list)

    async def endpoint(self, request: Request) -> Response:
        body = await request.json()
        if self.status < 300:
            self.received.append(body["type"])
        return Response(status_code=self.status)


async def sign_in(page: Page, token: str = ADMIN_TOKEN) -> None:
    await page.goto("/admin")
    await page.get_by_label("Admin token").fill(token)
    await page.get_by_role("button", name="Sign in").click()


async def screenshot(page: Page, name: str) -> None:
    """Kept in docs/console/ for the README."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


async def buy_in_telegram(server: Server, user_id: str) -> str:
    """A Stars purchase by Ann in the sandbox Telegram, for `user_id`: its session id."""
    actor = server.actor()
    actor.create_user(ANN, "Ann")
    created = await server.http.post("/api/payments/create-session", headers=SERVER_AUTH, json={
        "packageId": "starter", "paymentMethod": "telegram", "userId": user_id})
    assert created.status_code == 201, created.text
    data: dict[str, Any] = created.json()
    await actor.send_text(ANN, f"/start {str(data['deepLink']).rsplit('start=', 1)[-1]}")
    assert (await actor.pay_invoice(ANN)).ok
    await server.settle()
    return str(data["sessionId"])


async def balance(server: Server, user_id: str) -> int:
    response = await server.http.get(f"/api/users/{user_id}/balance", headers=SERVER_AUTH)
    assert response.status_code == 200, response.text
    return int(response.json()["balance"])
