"""One user across bot and app over HTTP: the host app links, lists, unlinks and asks for a
one-time link; a Mini App then acts on the linked user's account; a Mini App cannot link."""

from __future__ import annotations

from http_harness import SERVER, Harness, successful_payment

TG_ID = 424242


async def test_the_host_app_links_lists_and_unlinks(h: Harness) -> None:
    made = await h.client.post("/api/users/alice/telegram", headers=SERVER,
                               json={"telegramUserId": TG_ID})
    listed = await h.client.get("/api/users/alice/telegram", headers=SERVER)
    conflict = await h.client.post("/api/users/bob/telegram", headers=SERVER,
                                   json={"telegramUserId": TG_ID})
    wrong_user = await h.client.delete(f"/api/users/bob/telegram/{TG_ID}", headers=SERVER)
    gone = await h.client.delete(f"/api/users/alice/telegram/{TG_ID}", headers=SERVER)

    assert made.status_code == 200
    assert (made.json()["userId"], made.json()["via"]) == ("alice", "host_api")
    assert [x["telegramUserId"] for x in listed.json()["telegram"]] == [TG_ID]
    assert (conflict.status_code, conflict.json()["error"]["code"]) == (
        409, "telegram_already_linked")
    assert (wrong_user.status_code, wrong_user.json()["error"]["code"]) == (404, "not_linked")
    assert gone.status_code == 200
    assert (await h.client.get("/api/users/alice/telegram", headers=SERVER)).json()[
        "telegram"] == []


async def test_a_link_token_is_a_deep_link_the_bot_redeems(h: Harness) -> None:
    response = await h.client.post("/api/users/alice/telegram/link-token", headers=SERVER)
    assert response.status_code == 201
    link = response.json()
    assert link["deepLink"].endswith(f"?start=link_{link['token']}")

    update = h.update(message={
        "message_id": 1, "date": 1, "chat": {"id": TG_ID, "type": "private"},
        "from": {"id": TG_ID, "is_bot": False, "first_name": "Ann"},
        "text": f"/start link_{link['token']}", "entities": [
            {"type": "bot_command", "offset": 0, "length": 6}]})
    answered = await h.send_update(update)

    assert answered.headers["X-Starport-Outcome"] == "linked"
    listed = await h.client.get("/api/users/alice/telegram", headers=SERVER)
    assert [(x["telegramUserId"], x["via"]) for x in listed.json()["telegram"]] == [
        (TG_ID, "link_token")]


async def test_a_mini_app_acts_on_the_linked_account_and_cannot_link(h: Harness) -> None:
    # Given alice's session paid in Telegram by TG_ID (which links them)
    session = await h.create_session("alice")
    await h.send_update(h.update(message=successful_payment(TG_ID, session["sessionId"], 50,
                                                            "c-link")))
    # When the Mini App of TG_ID reads its balance and opens a session
    balance = await h.client.get(f"/api/users/{TG_ID}/balance", headers=h.mini_app(TG_ID))
    opened = await h.client.post("/api/payments/create-session", headers=h.mini_app(TG_ID),
                                 json={"packageId": "starter", "paymentMethod": "telegram"})
    own = await h.client.get(f"/api/payments/sessions/{session['sessionId']}",
                             headers=h.mini_app(TG_ID))
    linking = await h.client.post(f"/api/users/{TG_ID}/telegram", headers=h.mini_app(TG_ID),
                                  json={"telegramUserId": TG_ID + 1})
    # Then it is alice's account
    assert (balance.json()["userId"], balance.json()["balance"]) == ("alice", 100)
    assert opened.json()["userId"] == "alice"
    assert own.status_code == 200
    assert linking.status_code == 403
