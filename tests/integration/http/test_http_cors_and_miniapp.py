"""CORS (STARPORT_CORS_ORIGINS) and the Mini App's files, over the HTTP app."""

from __future__ import annotations

import pytest
from http_harness import Harness, make_config, make_harness

from starport.entrypoints.http import mini_app

ORIGIN = "https://app.example.com"
PREFLIGHT = {"Origin": ORIGIN, "Access-Control-Request-Method": "POST",
             "Access-Control-Request-Headers": "authorization, content-type, idempotency-key"}


@pytest.fixture
async def cors() -> Harness:
    return make_harness(make_config(starport_cors_origins=f"{ORIGIN}, https://other.example"))


async def test_a_listed_origin_may_call_the_api(cors: Harness) -> None:
    async with cors.client:
        answer = await cors.client.get("/api/packages", headers={"Origin": ORIGIN})

    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == ORIGIN


async def test_a_preflight_from_a_listed_origin_allows_the_api_headers(cors: Harness) -> None:
    async with cors.client:
        answer = await cors.client.options("/api/payments/create-session", headers=PREFLIGHT)

    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == ORIGIN
    allowed = answer.headers["access-control-allow-headers"].lower()
    assert {"authorization", "content-type", "idempotency-key"} <= {
        h.strip() for h in allowed.split(",")}
    assert "POST" in answer.headers["access-control-allow-methods"]


async def test_an_error_answer_to_a_listed_origin_is_readable_by_it(cors: Harness) -> None:
    async with cors.client:
        answer = await cors.client.get("/api/users/u1/balance",
                                       headers={"Origin": ORIGIN, "Authorization": "tma x"})

    assert answer.status_code == 401
    assert answer.headers["access-control-allow-origin"] == ORIGIN


async def test_another_origin_is_refused(cors: Harness) -> None:
    async with cors.client:
        simple = await cors.client.get("/api/packages", headers={"Origin": "https://evil.example"})
        preflight = await cors.client.options(
            "/api/payments/create-session", headers=PREFLIGHT | {"Origin": "https://evil.example"})

    assert "access-control-allow-origin" not in simple.headers
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers


async def test_without_cors_origins_no_cors_headers_are_sent(h: Harness) -> None:
    answer = await h.client.get("/api/packages", headers={"Origin": ORIGIN})
    preflight = await h.client.options("/api/payments/create-session", headers=PREFLIGHT)

    assert "access-control-allow-origin" not in answer.headers
    assert "access-control-allow-origin" not in preflight.headers
    assert preflight.status_code == 405


@pytest.mark.parametrize("origins", ["https://app.example.com/", "app.example.com",
                                     "https://app.example.com/miniapp", "ftp://x.example"])
def test_an_origin_with_a_path_or_no_scheme_is_refused_at_start(origins: str) -> None:
    with pytest.raises(ValueError, match="no path"):
        make_config(starport_cors_origins=origins)


async def test_the_page_and_the_module_are_served(h: Harness) -> None:
    page = await h.client.get("/miniapp/")
    module = await h.client.get("/miniapp/starport.js")
    bare = await h.client.get("/miniapp")
    with_query = await h.client.get("/miniapp?user=42")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert 'src="./app.js"' in page.text
    assert module.status_code == 200
    assert "export class Starport" in module.text
    assert (bare.status_code, bare.headers["location"]) == (308, "/miniapp/")
    assert with_query.headers["location"] == "/miniapp/?user=42"


async def test_outside_the_sandbox_nothing_mints_initdata(h: Harness) -> None:
    minted = await h.client.post("/sandbox/miniapp/init-data", json={"id": 1})
    stand_in = await h.client.get("/sandbox/miniapp/webapp.js")

    assert (minted.status_code, stand_in.status_code) == (404, 404)


def test_a_sandbox_beside_a_real_bot_token_does_not_mint_initdata(h: Harness) -> None:
    h.runtime.sandbox_telegram = object()  # the emulators on, but the token is the operator's

    assert mini_app.sandbox_routes(h.runtime) == []


def test_the_menu_buttons_mini_app_is_https_outside_the_sandbox() -> None:
    with pytest.raises(ValueError, match="https:// only"):
        make_config(starport_miniapp_url="http://pay.example.com/miniapp/")

    assert make_config(starport_miniapp_url="https://pay.example.com/miniapp/")
    assert make_config(starport_sandbox=True, starport_miniapp_url="http://127.0.0.1:8000/miniapp/")
