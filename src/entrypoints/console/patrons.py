"""Patrons: one made (and invited to the channel), or ended, by Telegram id."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from starport.application import back_office
from starport.application import commands as c
from starport.domain.perks import Invite, PatronSource
from starport.entrypoints.console.page import Page, log, page
from starport.entrypoints.http.inputs import INT64, whole
from starport.entrypoints.http.schemas import PatronBody


def _telegram_id(current: Page) -> int:
    return whole(current.form.get("telegramUserId", "").strip(), "telegramUserId", 1, INT64)


SHOWN = 200


async def _page(current: Page, notice: str | None) -> Response:
    after = current.request.query_params.get("after", "").strip()
    found = await back_office.list_patrons(
        current.runtime.deps, whole(after, "after", 0, INT64) if after else None, SHOWN)
    return current.render("patrons.html", notice=notice, patrons=found,
                          now=current.runtime.deps.clock.now(),
                          next_after=found[-1].telegram_user_id if len(found) == SHOWN else None)


@page("patrons")
async def patrons(current: Page) -> Response:
    return await _page(current, None)


@page("patrons")
async def invite_again(current: Page) -> Response:
    telegram_user_id = _telegram_id(current)
    invite: Invite | None = await current.runtime.bus.handle(c.InvitePatron(telegram_user_id))
    log.info("console: %s invited patron %s again", current.admin, telegram_user_id)
    return await _page(current, f"{telegram_user_id} was sent a new invite ({invite.link})."
                       if invite else f"{telegram_user_id} needs no new invite: in the "
                       "channel already, or an unused invite is still valid.")


@page("patrons")
async def add_patron(current: Page) -> Response:
    until = current.form.get("until", "").strip()
    body = PatronBody.model_validate({
        "telegramUserId": _telegram_id(current),
        "userId": current.form.get("userId", "").strip() or None,
        "until": f"{until}T00:00:00Z" if until else None,
        "firstName": current.form.get("firstName", "")})
    invite: Invite | None = await current.runtime.bus.handle(c.MakePatron(
        telegram_user_id=body.telegram_user_id, user_id=body.user_id, until=body.until,
        first_name=body.first_name, source=PatronSource.ADMIN, requested_by=current.admin))
    log.info("console: %s made %s a patron", current.admin, body.telegram_user_id)
    sent = (f"invited with {invite.link} (valid until {invite.expires_at:%Y-%m-%d %H:%M} UTC)"
            if invite else "already in the channel")
    return await _page(current, f"{body.telegram_user_id} is a patron: {sent}.")


@page("patrons")
async def end_patron(current: Page) -> Response:
    telegram_user_id = _telegram_id(current)
    ended = await current.runtime.bus.handle(c.EndPatronage(telegram_user_id,
                                                            requested_by=current.admin))
    log.info("console: %s ended %s's patronage (%s)", current.admin, telegram_user_id,
             "ended" if ended else "not a patron")
    notice = (f"{telegram_user_id} is a patron no more." if ended
              else f"{telegram_user_id}'s patronage had already ended.")
    return await _page(current, notice)


ROUTES = [
    Route("/admin/patrons", patrons, methods=["GET"]),
    Route("/admin/patrons", add_patron, methods=["POST"]),
    Route("/admin/patrons/end", end_patron, methods=["POST"]),
    Route("/admin/patrons/invite", invite_again, methods=["POST"]),
]
