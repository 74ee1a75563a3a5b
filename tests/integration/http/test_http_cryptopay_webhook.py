"""The Crypto Pay webhook: signed raw bodies only, fresh ones only, each invoice credited once."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from http_harness import Harness

from starport.adapters.cryptopay import sign


async def crypto_session(h: Harness, package: str = "starter") -> dict:
    return await h.create_session("u1", method="cryptopay", package=package)


async def test_invoice_paid_credits_the_session(h: Harness) -> None:
    session = await crypto_session(h)

    response = await h.send_cryptopay(h.invoice_paid(session))

    assert response.status_code == 200
    assert response.json()["outcome"] == "credited"
    assert await h.balance("u1") == 100
    status = await h.client.get(f"/api/payments/sessions/{session['sessionId']}",
                                headers={"Authorization": "Bearer api-token-0123456789abcdef"})
    assert status.json()["status"] == "paid"


async def test_a_fiat_invoice_paid_in_full_is_credited(h: Harness) -> None:
    session = await crypto_session(h, package="plus")  # 4.99 USD

    response = await h.send_cryptopay(h.invoice_paid(session))

    assert response.json()["outcome"] == "credited"
    assert await h.balance("u1") == 550


@pytest.mark.parametrize("signature", ["", "00" * 32, "not-hex", "ab" * 40])
async def test_a_forged_or_missing_signature_is_refused(h: Harness, signature: str) -> None:
    session = await crypto_session(h)

    response = await h.send_cryptopay(h.invoice_paid(session), signature=signature)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_signature"
    assert h.entries() == 0


async def test_a_body_signed_with_another_token_is_refused(h: Harness) -> None:
    session = await crypto_session(h)
    response = await h.send_cryptopay(h.invoice_paid(session), token="1:another-apps-token")
    assert response.status_code == 401
    assert h.entries() == 0


async def test_a_re_serialised_body_does_not_verify(h: Harness) -> None:
    session = await crypto_session(h)
    original = h.invoice_paid(session)
    reserialised = json.dumps(json.loads(original), indent=1).encode()  # same JSON, other bytes

    response = await h.send_cryptopay(reserialised, signature=sign("4242:AAcryptoPayTestToken"
                                                                   "ForHttp", original))

    assert response.status_code == 401
    assert h.entries() == 0


async def test_a_tampered_amount_breaks_the_signature(h: Harness) -> None:
    session = await crypto_session(h)
    body = h.invoice_paid(session, paid_amount="0.5")
    good = sign("4242:AAcryptoPayTestTokenForHttp", h.invoice_paid(session))

    response = await h.send_cryptopay(body, signature=good)

    assert response.status_code == 401
    assert h.entries() == 0


@pytest.mark.parametrize("age", [timedelta(minutes=6), timedelta(days=1), -timedelta(minutes=6)])
async def test_a_stale_request_date_is_refused(h: Harness, age: timedelta) -> None:
    session = await crypto_session(h)

    response = await h.send_cryptopay(h.invoice_paid(session, age=age))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "stale_update"
    assert h.entries() == 0


async def test_a_duplicated_invoice_paid_credits_once(h: Harness) -> None:
    session = await crypto_session(h)

    first = await h.send_cryptopay(h.invoice_paid(session, update_id=1))
    same = await h.send_cryptopay(h.invoice_paid(session, update_id=1))
    other_update_id = await h.send_cryptopay(h.invoice_paid(session, update_id=2))

    assert first.json()["outcome"] == "credited"
    assert same.json()["outcome"] == "duplicate"  # the same delivery: recognised by update id
    assert other_update_id.json()["outcome"] == "already_credited"  # the same invoice
    assert await h.balance("u1") == 100
    assert h.entries() == 1


@pytest.mark.parametrize(("package", "paid"), [("starter", "0.99"), ("plus", "4.00")])
async def test_an_underpaid_invoice_is_flagged_not_credited(h: Harness, package: str,
                                                            paid: str) -> None:
    session = await crypto_session(h, package=package)

    response = await h.send_cryptopay(h.invoice_paid(session, paid_amount=paid))

    assert response.status_code == 200
    assert response.json()["outcome"] == "rejected"
    assert await h.balance("u1") == 0
    status = await h.client.get(f"/api/payments/sessions/{session['sessionId']}",
                                headers={"Authorization": "Bearer api-token-0123456789abcdef"})
    assert status.json()["status"] == "failed"
    assert status.json()["failureReason"]  # the reason is kept for support


async def test_other_update_types_are_ignored(h: Harness) -> None:
    session = await crypto_session(h)
    body = json.loads(h.invoice_paid(session))
    body["update_type"] = "invoice_expired"
    raw = json.dumps(body).encode()

    response = await h.send_cryptopay(raw)

    assert response.status_code == 200
    assert response.json()["outcome"] == "ignored"
    assert h.entries() == 0


async def test_a_signed_but_malformed_body_is_a_400(h: Harness) -> None:
    for raw in (b"{oops", b'{"update_id": 1}', b"[]"):
        response = await h.send_cryptopay(raw)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "malformed_update"


async def test_storage_down_is_a_5xx_and_the_retry_credits(h: Harness) -> None:
    session = await crypto_session(h)
    body = h.invoice_paid(session)
    h.database.down = True

    response = await h.send_cryptopay(body)

    assert response.status_code == 503
    h.database.down = False
    assert (await h.send_cryptopay(body)).json()["outcome"] == "credited"
    assert await h.balance("u1") == 100


async def test_a_payment_for_an_unknown_session_is_acknowledged_and_logged(h: Harness) -> None:
    raw = json.loads(h.invoice_paid(await crypto_session(h)))
    raw["payload"]["payload"] = "no-such-session"

    response = await h.send_cryptopay(json.dumps(raw).encode())

    assert response.status_code == 200  # a retry would not find it either: a human must look
    assert response.json()["outcome"] == "refused:session_not_found"
    assert h.entries() == 0
