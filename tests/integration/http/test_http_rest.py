"""The host app's REST API: packages, sessions, balances, ledger and spending, with clear errors."""

from __future__ import annotations

import pytest
from http_harness import SERVER, Harness, make_config, make_harness, successful_payment


async def credit(h: Harness, user_id: str = "u1", charge: str = "c-1") -> dict:
    session = await h.create_session(user_id)
    await h.send_update(h.update(message=successful_payment(9, session["sessionId"], 50, charge)))
    return session


class TestPackages:
    async def test_lists_active_packages_with_exact_prices(self, h: Harness) -> None:
        response = await h.client.get("/api/packages")

        assert response.status_code == 200
        packages = {p["id"]: p for p in response.json()}
        assert packages["starter"]["prices"] == {
            "telegram_stars": 50, "cryptopay": {"amount": "1", "currency": "USDT"}}
        assert packages["plus"]["prices"]["cryptopay"] == {"amount": "4.99", "currency": "USD"}
        assert packages["pro"]["credits"] == 1200

    async def test_a_disabled_providers_price_is_left_out(self) -> None:
        h = make_harness(make_config())
        h.runtime.deps.providers = {k: v for k, v in h.runtime.deps.providers.items()
                                    if k.value == "telegram_stars"}
        async with h.client:
            response = await h.client.get("/api/packages")
        assert all(set(p["prices"]) == {"telegram_stars"} for p in response.json())


class TestCreateSession:
    async def test_a_stars_session_has_a_deep_link_and_an_invoice_link(self, h: Harness) -> None:
        response = await h.client.post("/api/payments/create-session", headers=SERVER, json={
            "packageId": "starter", "paymentMethod": "telegram", "userId": "u1"})

        assert response.status_code == 201
        body = response.json()
        assert body["deepLink"] == f"https://t.me/starport_test_bot?start=pay_{body['sessionId']}"
        assert body["invoiceLink"].startswith("https://t.me/$")
        assert body["payUrl"] is None
        assert (body["amount"], body["currency"], body["credits"]) == ("50", "XTR", 100)
        assert body["status"] == "invoiced"
        assert body["expiresAt"] == "2026-01-01T12:30:00+00:00"

    async def test_a_crypto_pay_session_has_a_pay_url(self, h: Harness) -> None:
        body = await h.create_session("u1", method="cryptopay", package="pro")
        assert body["payUrl"].startswith("https://t.me/CryptoBot?start=IV")
        assert (body["amount"], body["currency"]) == ("2.5", "TON")
        assert body["deepLink"] is None

    @pytest.mark.parametrize(("body", "status", "code"), [
        ({"packageId": "nope", "paymentMethod": "telegram", "userId": "u1"}, 404,
         "unknown_package"),
        ({"packageId": "plus", "paymentMethod": "paypal", "userId": "u1"}, 422,
         "invalid_request"),
        ({"packageId": "starter", "paymentMethod": "telegram"}, 422, "invalid_request"),
        ({"packageId": "starter", "paymentMethod": "telegram", "userId": "u1", "price": 1},
         422, "invalid_request"),
        ({"packageId": "starter", "paymentMethod": "telegram", "userId": "a b"}, 422,
         "invalid_request"),
    ])
    async def test_invalid_requests(self, h: Harness, body: dict, status: int,
                                    code: str) -> None:
        response = await h.client.post("/api/payments/create-session", headers=SERVER,
                                       json=body)
        assert response.status_code == status, response.text
        assert response.json()["error"]["code"] == code
        assert response.json()["error"]["message"]

    async def test_a_disabled_provider_is_a_400(self) -> None:
        h = make_harness(make_config())
        h.runtime.deps.providers = {k: v for k, v in h.runtime.deps.providers.items()
                                    if k.value == "telegram_stars"}
        async with h.client:
            response = await h.client.post("/api/payments/create-session", headers=SERVER,
                                           json={"packageId": "starter",
                                                 "paymentMethod": "cryptopay", "userId": "u1"})
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "provider_not_enabled"

    async def test_malformed_json_is_a_400(self, h: Harness) -> None:
        response = await h.client.post("/api/payments/create-session", headers=SERVER,
                                       content=b"{nope")
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "malformed_json"

    async def test_an_unknown_session_is_a_404(self, h: Harness) -> None:
        response = await h.client.get("/api/payments/sessions/nope", headers=SERVER)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "session_not_found"


class TestCredits:
    async def test_balance_and_ledger_after_a_payment(self, h: Harness) -> None:
        session = await credit(h)

        balance = await h.client.get("/api/users/u1/balance", headers=SERVER)
        ledger = await h.client.get("/api/users/u1/ledger?limit=10", headers=SERVER)

        assert balance.json() == {"userId": "u1", "balance": 100, "debt": 0}
        [line] = ledger.json()["entries"]
        assert line["amount"] == 100
        assert line["reference"] == session["sessionId"]

    @pytest.mark.parametrize("limit", ["0", "501", "x", "-1"])
    async def test_a_bad_ledger_limit_is_a_422(self, h: Harness, limit: str) -> None:
        response = await h.client.get(f"/api/users/u1/ledger?limit={limit}", headers=SERVER)
        assert response.status_code == 422

    async def test_spend_is_idempotent_by_key(self, h: Harness) -> None:
        await credit(h)
        body = {"credits": 30, "idempotencyKey": "order-1", "reason": "export"}

        first = await h.client.post("/api/users/u1/spend", headers=SERVER, json=body)
        replay = await h.client.post("/api/users/u1/spend", headers=SERVER, json=body)

        assert first.json() == {"userId": "u1", "balance": 70, "spent": 30, "replayed": False}
        assert replay.json()["replayed"] is True
        assert await h.balance("u1") == 70

    async def test_reusing_a_key_for_another_amount_is_a_409(self, h: Harness) -> None:
        await credit(h)
        await h.client.post("/api/users/u1/spend", headers=SERVER,
                            json={"credits": 30, "idempotencyKey": "k"})
        response = await h.client.post("/api/users/u1/spend", headers=SERVER,
                                       json={"credits": 31, "idempotencyKey": "k"})
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "idempotency_conflict"

    async def test_spending_more_than_the_balance_is_a_409(self, h: Harness) -> None:
        await credit(h)
        response = await h.client.post("/api/users/u1/spend", headers=SERVER,
                                       json={"credits": 101, "idempotencyKey": "k"})
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "insufficient_credits"
        assert await h.balance("u1") == 100

    @pytest.mark.parametrize("credits", [0, -5, 1.5, "10", True, None])
    async def test_an_invalid_amount_is_a_422(self, h: Harness, credits: object) -> None:
        response = await h.client.post("/api/users/u1/spend", headers=SERVER,
                                       json={"credits": credits, "idempotencyKey": "k"})
        assert response.status_code == 422
        assert h.entries() == 0


async def test_storage_down_is_a_503_to_retry_not_a_crash(h: Harness) -> None:
    h.database.down = True

    response = await h.client.get("/api/users/u1/balance", headers=SERVER)

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "unavailable"
    assert response.headers["retry-after"] == "1"
    assert response.headers["x-request-id"]


async def test_a_bug_is_a_json_500_not_a_crash(h: Harness, monkeypatch: pytest.MonkeyPatch
                                               ) -> None:
    def broken(read_only: bool = False) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(h.database, "db", broken)

    response = await h.client.get("/api/users/u1/balance", headers=SERVER)

    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert response.headers["x-request-id"]


IDEMPOTENT_BODY = {"packageId": "starter", "paymentMethod": "telegram_stars", "userId": "u1"}


class TestIdempotencyKey:

    async def post(self, h: Harness, key: str | None, **changes: str) -> object:
        headers = {**SERVER, **({"Idempotency-Key": key} if key is not None else {})}
        return await h.client.post("/api/payments/create-session", headers=headers,
                                   json={**IDEMPOTENT_BODY, **changes})

    async def test_a_retry_gets_the_same_session_and_says_so(self, h: Harness) -> None:
        first = await self.post(h, "9b2f-retry")
        again = await self.post(h, "9b2f-retry")

        assert (first.status_code, again.status_code) == (201, 201)  # type: ignore[attr-defined]
        assert again.json()["sessionId"] == first.json()["sessionId"]  # type: ignore[attr-defined]
        assert again.headers["Idempotent-Replayed"] == "true"  # type: ignore[attr-defined]
        assert "Idempotent-Replayed" not in first.headers  # type: ignore[attr-defined]

    async def test_the_same_key_with_another_body_is_a_409(self, h: Harness) -> None:
        await self.post(h, "9b2f-other")

        response = await self.post(h, "9b2f-other", packageId="pro")

        assert response.status_code == 409  # type: ignore[attr-defined]
        assert response.json()["error"]["code"] == "idempotency_conflict"  # type: ignore[attr-defined]

    @pytest.mark.parametrize("key", ["", "a b", "x" * 256, "é"])
    async def test_a_malformed_key_is_a_400_and_makes_nothing(self, h: Harness, key: str) -> None:
        response = await h.client.post(
            "/api/payments/create-session", json=IDEMPOTENT_BODY,
            headers={**SERVER, "Idempotency-Key": key.encode()})  # type: ignore[dict-item]

        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_idempotency_key"
        assert (await self.post(h, None)).status_code == 201  # type: ignore[attr-defined]
