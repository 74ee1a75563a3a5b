"""Who may call what: API token, Mini App initData (its own user only), admin token."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qsl, urlencode

import pytest
from http_harness import ADMIN, SERVER, Harness, make_config, make_harness, successful_payment

TG_ID = 5001


async def test_without_credentials_the_host_api_is_closed(h: Harness) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic eDp5"}):
        response = await h.client.get("/api/users/u1/balance", headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"


async def test_without_an_api_token_only_mini_apps_get_in() -> None:
    h = make_harness(make_config(starport_api_token=None))
    async with h.client:
        server = await h.client.get("/api/users/u1/balance", headers=SERVER)
        empty_bearer = await h.client.get("/api/users/u1/balance",
                                          headers={"Authorization": "Bearer "})
        mini = await h.client.get(f"/api/users/{TG_ID}/balance", headers=h.mini_app(TG_ID))
    assert (server.status_code, empty_bearer.status_code, mini.status_code) == (401, 401, 200)


async def test_in_sandbox_mode_without_an_api_token_the_host_api_is_open() -> None:
    h = make_harness(make_config(starport_api_token=None, starport_sandbox=True))
    async with h.client:
        response = await h.client.get("/api/users/u1/balance")
    assert response.status_code == 200


class TestMiniApp:
    async def test_a_mini_app_reads_its_own_balance(self, h: Harness) -> None:
        response = await h.client.get(f"/api/users/{TG_ID}/balance", headers=h.mini_app(TG_ID))
        assert response.status_code == 200
        assert response.json()["userId"] == str(TG_ID)

    async def test_a_mini_app_creates_a_session_for_its_own_user(self, h: Harness) -> None:
        response = await h.client.post("/api/payments/create-session", headers=h.mini_app(TG_ID),
                                       json={"packageId": "starter", "paymentMethod": "telegram"})
        assert response.status_code == 201
        session = response.json()
        assert session["userId"] == str(TG_ID)
        own = await h.client.get(f"/api/payments/sessions/{session['sessionId']}",
                                 headers=h.mini_app(TG_ID))
        other = await h.client.get(f"/api/payments/sessions/{session['sessionId']}",
                                   headers=h.mini_app(TG_ID + 1))
        assert own.status_code == 200
        assert other.status_code == 404

    async def test_the_session_is_bound_to_the_mini_app_user(self, h: Harness) -> None:
        response = await h.client.post("/api/payments/create-session", headers=h.mini_app(TG_ID),
                                       json={"packageId": "starter", "paymentMethod": "telegram",
                                             "telegramUserId": 999})
        session_id = response.json()["sessionId"]
        # Another Telegram account cannot pay it: the session belongs to TG_ID.
        update = h.update(pre_checkout_query={
            "id": "q", "from": {"id": 999, "is_bot": False, "first_name": "M"},
            "currency": "XTR", "total_amount": 50, "invoice_payload": session_id})
        answer = (await h.send_update(update)).json()
        assert (answer["pre_checkout_query_id"], answer["ok"]) == ("q", False)

    @pytest.mark.parametrize("request_", [
        ("GET", "/api/users/someone-else/balance", None),
        ("GET", "/api/users/5002/ledger", None),
        ("POST", "/api/users/5002/spend", {"credits": 1, "idempotencyKey": "k"}),
        ("POST", "/api/payments/create-session",
         {"packageId": "starter", "paymentMethod": "telegram", "userId": "5002"}),
    ])
    async def test_a_mini_app_cannot_act_for_another_user(self, h: Harness,
                                                          request_: tuple) -> None:
        paid = await h.create_session("5002")
        await h.send_update(h.update(message=successful_payment(5002, paid["sessionId"], 50,
                                                                "c")))
        method, path, body = request_

        response = await h.client.request(method, path, json=body, headers=h.mini_app(TG_ID))

        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"
        assert await h.balance("5002") == 100
        assert h.entries() == 1

    async def test_forged_init_data_is_refused(self, h: Harness) -> None:
        forged = h.init_data(5002, token="7000000001:AAnotOurBotTokenAtAllXXXXXXXXXXXXXX")
        response = await h.client.get("/api/users/5002/balance",
                                      headers={"Authorization": f"tma {forged}"})
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "invalid_init_data"

    async def test_init_data_with_a_swapped_user_is_refused(self, h: Harness) -> None:
        fields = dict(parse_qsl(h.init_data(TG_ID)))
        fields["user"] = fields["user"].replace(str(TG_ID), "5002")
        response = await h.client.get("/api/users/5002/balance",
                                      headers={"Authorization": f"tma {urlencode(fields)}"})
        assert response.status_code == 401

    @pytest.mark.parametrize("raw", ["", "hash=abc", "a=1&a=2", "%%%", "user=1&hash=" + "0" * 64])
    async def test_malformed_init_data_is_refused(self, h: Harness, raw: str) -> None:
        response = await h.client.get("/api/users/1/balance",
                                      headers={"Authorization": f"tma {raw}"})
        assert response.status_code == 401

    async def test_expired_init_data_is_refused(self, h: Harness) -> None:
        headers = h.mini_app(TG_ID, age=timedelta(hours=1, seconds=1))
        response = await h.client.get(f"/api/users/{TG_ID}/balance", headers=headers)
        assert response.status_code == 401
        assert "expired" in response.json()["error"]["message"]

    async def test_init_data_from_the_future_is_refused(self, h: Harness) -> None:
        headers = h.mini_app(TG_ID, age=-timedelta(minutes=5))
        response = await h.client.get(f"/api/users/{TG_ID}/balance", headers=headers)
        assert response.status_code == 401

    async def test_the_signature_field_is_part_of_what_is_signed(self, h: Harness) -> None:
        signed = h.init_data(TG_ID, signature="c2lnbmF0dXJl")
        tampered = signed.replace("signature=c2lnbmF0dXJl", "signature=b3RoZXI")
        good = await h.client.get(f"/api/users/{TG_ID}/balance",
                                  headers={"Authorization": f"tma {signed}"})
        bad = await h.client.get(f"/api/users/{TG_ID}/balance",
                                 headers={"Authorization": f"tma {tampered}"})
        assert (good.status_code, bad.status_code) == (200, 401)


class TestAdmin:
    async def test_the_admin_api_is_off_without_a_token(self) -> None:
        h = make_harness(make_config(starport_admin_token=None))
        async with h.client:
            response = await h.client.get("/api/admin/bot-messages", headers=ADMIN)
        assert response.status_code == 404

    @pytest.mark.parametrize("headers", [{}, SERVER, {"Authorization": "Bearer admin-token"}])
    async def test_a_wrong_admin_token_is_a_401(self, h: Harness, headers: dict) -> None:
        response = await h.client.get("/api/admin/bot-messages", headers=headers)
        assert response.status_code == 401

    async def test_a_mini_app_is_no_admin(self, h: Harness) -> None:
        response = await h.client.post("/api/admin/jobs/expire-sessions/run",
                                       headers=h.mini_app(TG_ID))
        assert response.status_code == 401
