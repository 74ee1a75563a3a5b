"""Use cases of the paid channel: patrons, invites, membership, the one-time join bonus."""

from __future__ import annotations

from datetime import datetime

from starport.application import audit, host_events
from starport.application import commands as c
from starport.application.deliveries import record
from starport.application.deps import Deps
from starport.application.effects import (
    CancelSubscription,
    Effect,
    OutboxItem,
    RemoveMember,
    RevokeInvite,
)
from starport.application.host_events import EventType
from starport.application.notify import button, send_template
from starport.application.unit_of_work import UnitOfWork
from starport.domain import ledger
from starport.domain.errors import NotAPatron
from starport.domain.perks import (
    Invite,
    JoinBonus,
    Membership,
    MemberStatus,
    Patron,
    require_patron,
)


async def make_patron(deps: Deps, cmd: c.MakePatron) -> Invite | None:
    """Record the patronage, then invite the patron unless they are in the channel already."""
    deps.require_channel()
    now = deps.clock.now()
    async with deps.uow() as uow:
        patron = await uow.patrons.get(cmd.telegram_user_id)
        if patron is None:
            patron = Patron(telegram_user_id=cmd.telegram_user_id,
                            user_id=cmd.user_id or str(cmd.telegram_user_id),
                            source=cmd.source, since=now, until=cmd.until)
            await uow.patrons.add(patron)
            started = True
        else:
            started = not patron.entitled_at(now)
            patron.renew(cmd.until, now)
            await uow.patrons.save(patron)
        if cmd.requested_by is not None:
            await audit.note(deps, uow, cmd.requested_by, "make_patron",
                             str(cmd.telegram_user_id), detail="until " + (
                                 host_events.iso(patron.until) if patron.until else "no end"))
        if started:
            await host_events.publish(deps, uow, EventType.PATRON_STARTED, patron.user_id, now,
                                      telegramUserId=patron.telegram_user_id,
                                      source=patron.source.value,
                                      until=host_events.iso(patron.until) if patron.until
                                      else None)
        await uow.commit()
    invite: Invite | None = await deps.bus.handle(c.InvitePatron(cmd.telegram_user_id,
                                                                 cmd.first_name))
    return invite


async def invite_patron(deps: Deps, cmd: c.InvitePatron) -> Invite | None:
    """Create a single-use, expiring link and send it. None when no invite is needed (in the
    channel already, or an unused invite is still valid)."""
    channel, channel_id = deps.require_channel()
    telegram_user_id, first_name = cmd.telegram_user_id, cmd.first_name
    now = deps.clock.now()
    async with deps.uow(read_only=True) as uow:
        require_patron(await uow.patrons.get(telegram_user_id), telegram_user_id, now)
        if await _in_channel(uow, telegram_user_id) or await _usable_invite(uow, telegram_user_id,
                                                                           now):
            return None
    expires_at = now + deps.settings.invite_ttl
    # Created at Telegram first: if the bot is not an admin this raises and nothing is recorded.
    link = await channel.create_invite(channel_id, f"patron {telegram_user_id}", expires_at)
    invite = Invite(id=deps.ids.new_id(), telegram_user_id=telegram_user_id, link=link,
                    created_at=now, expires_at=expires_at)
    languages = deps.settings.languages_for(cmd.language)
    async with deps.uow() as uow:
        await uow.invites.add(invite)
        join = await button(uow, "button_join_channel", languages, url=link)
        await send_template(
            uow, item_id=deps.ids.new_id(), chat_id=telegram_user_id, key="channel_invite",
            now=now, languages=languages, buttons=((join,),), first_name=first_name,
            invite_link=link, expires_at=expires_at.strftime("%Y-%m-%d %H:%M UTC"),
        )
        await uow.commit()
    return invite


async def observe_membership(deps: Deps, cmd: c.ObserveMembership) -> bool:
    """Record where the user stands; the first verified join of a patron earns the bonus once.
    Returns True when a bonus was granted now."""
    now = deps.clock.now()
    async with deps.uow() as uow:
        membership = await uow.memberships.get(cmd.telegram_user_id) or Membership(
            cmd.telegram_user_id)
        membership.observe(cmd.status, now)
        await uow.memberships.save(membership)
        if cmd.invite_link:
            invite = await uow.invites.by_link(cmd.invite_link)
            if invite is not None:
                invite.mark_used()
                await uow.invites.save(invite)
        granted = False
        patron = await uow.patrons.get(cmd.telegram_user_id)
        if cmd.status.in_channel and patron is not None and patron.entitled_at(now):
            granted = await _grant_bonus_once(deps, uow, patron, now, cmd.first_name,
                                              cmd.language)
        await record(uow, cmd.delivery, "bonus_granted" if granted else "membership")
        await uow.commit()
    return granted


async def verify_membership(deps: Deps, cmd: c.VerifyMembership) -> MemberStatus:
    channel, channel_id = deps.require_channel()
    status = await channel.member_status(channel_id, cmd.telegram_user_id)
    await deps.bus.handle(c.ObserveMembership(cmd.telegram_user_id, status))
    return status


async def answer_join_request(deps: Deps, cmd: c.AnswerJoinRequest) -> bool:
    """Approve a patron's request to join; decline anyone else's."""
    channel, channel_id = deps.require_channel()
    async with deps.uow(read_only=True) as uow:
        patron = await uow.patrons.get(cmd.telegram_user_id)
    approve = patron is not None and patron.entitled_at(deps.clock.now())
    await channel.answer_join_request(channel_id, cmd.telegram_user_id, approve)
    return approve


async def end_patronage(deps: Deps, cmd: c.EndPatronage) -> bool:
    """End the patronage; removal from the channel and revoking unused links go through the
    outbox in the same transaction, so they happen even if we crash right after."""
    deps.require_channel()
    now = deps.clock.now()
    async with deps.uow() as uow:
        patron = await uow.patrons.get(cmd.telegram_user_id)
        if patron is None:
            raise NotAPatron(f"Telegram user {cmd.telegram_user_id} is not a patron")
        if not await end_patron(deps, uow, patron, now):
            return False
        if cmd.requested_by is not None:
            await audit.note(deps, uow, cmd.requested_by, "end_patron",
                             str(cmd.telegram_user_id))
        await uow.commit()
    return True


async def end_patron(deps: Deps, uow: UnitOfWork, patron: Patron, now: datetime) -> bool:
    """End a patronage inside the caller's transaction, queueing what Telegram must undo."""
    if not patron.end(now):
        return False
    await uow.patrons.save(patron)
    await host_events.publish(deps, uow, EventType.PATRON_ENDED, patron.user_id, now,
                              telegramUserId=patron.telegram_user_id)
    telegram_id = patron.telegram_user_id
    if patron.subscription_charge_id and patron.subscription_provider:  # no more charges
        await _queue(deps, uow, telegram_id, now, CancelSubscription(
            patron.subscription_provider, patron.subscription_charge_id, telegram_id))
    channel_id = deps.settings.channel_id
    if channel_id is None:
        return True
    for invite in await uow.invites.for_user(telegram_id):
        if invite.revoke():
            await uow.invites.save(invite)
            await _queue(deps, uow, channel_id, now, RevokeInvite(invite.link))
    if await _in_channel(uow, telegram_id):
        await _queue(deps, uow, channel_id, now, RemoveMember(telegram_id))
    return True


async def _grant_bonus_once(
    deps: Deps, uow: UnitOfWork, patron: Patron, now: datetime, first_name: str,
    language: str | None,
) -> bool:
    credits = deps.settings.join_bonus_credits
    if credits <= 0 or await uow.bonuses.get(patron.telegram_user_id) is not None:
        return False
    key = ledger.join_bonus_key(patron.telegram_user_id)
    if await uow.ledger.entry_by_key(key) is not None:
        return False
    entry = ledger.bonus(entry_id=deps.ids.new_id(), key=key, user_id=patron.user_id,
                         credits=credits, memo="channel join bonus", now=now)
    accounts = await uow.ledger.accounts(entry.accounts)
    ledger.post(entry, accounts)
    await uow.ledger.add(entry, accounts)
    await uow.bonuses.add(JoinBonus(patron.telegram_user_id, patron.user_id, credits, now))
    balance = accounts[ledger.user_account(patron.user_id)].balance
    await host_events.publish(deps, uow, EventType.CREDITS_ADJUSTED, patron.user_id, now,
                              credits=credits, balance=balance, kind="join_bonus",
                              reason=entry.memo, telegramUserId=patron.telegram_user_id)
    await send_template(uow, item_id=deps.ids.new_id(), chat_id=patron.telegram_user_id,
                        key="bonus_granted", now=now,
                        languages=deps.settings.languages_for(language),
                        credits=credits, balance=balance,
                        first_name=first_name)
    return True


async def _in_channel(uow: UnitOfWork, telegram_user_id: int) -> bool:
    membership = await uow.memberships.get(telegram_user_id)
    return membership is not None and membership.status.in_channel


async def _usable_invite(uow: UnitOfWork, telegram_user_id: int, now: datetime) -> bool:
    return any(i.usable_at(now) for i in await uow.invites.for_user(telegram_user_id))


async def _queue(deps: Deps, uow: UnitOfWork, chat_id: int, now: datetime, effect: Effect
                 ) -> None:
    await uow.queue(OutboxItem.now(deps.ids.new_id(), chat_id, effect, now))

