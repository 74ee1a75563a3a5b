"""Named admins and manual credit adjustments: who did it, why, once per key."""

from __future__ import annotations

import pytest
from http_harness import ADMIN, ADMIN_TOKEN, Harness, make_config, make_harness

ANN_TOKEN = "ann-token-0123456789abcdef"
BOB_TOKEN = "bob-token-0123456789abcdef"


async def ledger(h: Harness, user_id: str) -> list[dict[str, object]]:
    from http_harness import SERVER

    response = await h.client.get(f"/api/users/{user_id}/ledger", headers=SERVER)
    entries: list[dict[str, object]] = response.json()["entries"]
    return entries


async def adjust(h: Harness, credits: int, key: str, token: str = ADMIN_TOKEN,
                 **extra: object) -> object:
    return await h.client.post("/api/admin/users/ann/adjust",
                               headers={"Authorization": f"Bearer {token}"},
                               json={"credits": credits, "reason": "goodwill",
                                     "idempotencyKey": key, **extra})


async def test_a_grant_and_a_take_are_ledger_entries_of_their_own_kind_once_per_key(
    h: Harness,
) -> None:
    granted = await adjust(h, 40, "g1")
    again = await adjust(h, 40, "g1")
    other = await adjust(h, 41, "g1")
    taken = await adjust(h, -15, "t1")

    assert granted.json() == {"userId": "ann", "balance": 40, "adjusted": 40, "replayed": False}
    assert again.json()["replayed"] is True
    assert other.status_code == 409 and other.json()["error"]["code"] == "idempotency_conflict"
    assert taken.json()["balance"] == 25
    assert [(e["kind"], e["amount"], e["memo"], e["reference"])
            for e in await ledger(h, "ann")] == [("adjustment", -15, "goodwill", "admin:admin"),
                                                  ("adjustment", 40, "goodwill", "admin:admin")]
    assert [body["data"]["kind"] for body in h.events.of_type("credits.adjusted")] == [
        "adjustment", "adjustment"]


async def test_taking_more_than_the_balance_needs_allow_debt(h: Harness) -> None:
    refused = await adjust(h, -10, "t1")
    allowed = await adjust(h, -10, "t2", allowDebt=True)

    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "insufficient_credits"
    assert allowed.json()["balance"] == -10


@pytest.mark.parametrize("body", [
    {"credits": 0, "reason": "x", "idempotencyKey": "k"},
    {"credits": 5, "reason": "", "idempotencyKey": "k"},
    {"credits": 5, "idempotencyKey": "k"},
    {"credits": 5, "reason": "x"},
    {"credits": 1.5, "reason": "x", "idempotencyKey": "k"},
])
async def test_an_adjustment_needs_credits_a_reason_and_a_key(h: Harness, body: dict) -> None:
    response = await h.client.post("/api/admin/users/ann/adjust", headers=ADMIN, json=body)

    assert response.status_code == 422, response.text
    assert await ledger(h, "ann") == []


async def test_each_named_admin_signs_in_with_their_own_token_and_is_named_in_the_ledger(
) -> None:
    h = make_harness(make_config(starport_admins=f"ann:{ANN_TOKEN},bob:{BOB_TOKEN}"))
    async with h.client:
        await adjust(h, 5, "a", token=ANN_TOKEN)
        await adjust(h, 6, "b", token=BOB_TOKEN)
        await adjust(h, 7, "c", token=ADMIN_TOKEN)  # STARPORT_ADMIN_TOKEN: "admin"
        wrong = await adjust(h, 8, "d", token=ANN_TOKEN[:-1] + "x")

        assert wrong.status_code == 401
        assert [e["reference"] for e in await ledger(h, "ann")] == [
            "admin:admin", "admin:bob", "admin:ann"]


@pytest.mark.parametrize("admins, error", [
    ("ann", "name:token"),
    ("Ann Smith:0123456789abcdef", "name:token"),
    ("ann:short", "shorter than 16"),
    ("ann:0123456789abcdef,bob:0123456789abcdef", "of their own"),
    ("ann:0123456789abcdef,ann:fedcba9876543210", "of their own"),
])
def test_a_malformed_admin_list_stops_the_start(admins: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        make_config(starport_admins=admins)
