"""The host app marks and ends patrons with its server token; a Mini App cannot."""

from __future__ import annotations

from http_harness import SERVER, Harness

from starport.domain.perks import PatronSource


async def test_the_host_app_makes_and_ends_a_patron(h: Harness) -> None:
    made = await h.client.post("/api/patrons", headers=SERVER, json={
        "telegramUserId": 88, "userId": "host-88"})
    assert made.status_code == 201, made.text
    assert made.json()["invite"]["link"].startswith("https://t.me/+")
    async with h.runtime.deps.uow(read_only=True) as uow:
        patron = await uow.patrons.get(88)
    assert patron is not None and patron.source is PatronSource.HOST_APP

    ended = await h.client.delete("/api/patrons/88", headers=SERVER)
    assert ended.json() == {"telegramUserId": 88, "ended": True}


async def test_a_mini_app_cannot_make_itself_a_patron(h: Harness) -> None:
    response = await h.client.post("/api/patrons", headers=h.mini_app(99),
                                   json={"telegramUserId": 99})
    assert response.status_code == 403
    async with h.runtime.deps.uow(read_only=True) as uow:
        assert await uow.patrons.get(99) is None


async def test_without_a_token_the_patron_routes_refuse(h: Harness) -> None:
    response = await h.client.post("/api/patrons", json={"telegramUserId": 99})
    assert response.status_code == 401
