"""Paid-channel perks: patrons, their channel membership, single-use invites, the join bonus."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from starport.domain.errors import InvalidTransition, NotAPatron
from starport.domain.providers import Provider


class MemberStatus(StrEnum):
    """Telegram's ChatMember statuses, plus `unknown` before the first check."""

    CREATOR = "creator"
    ADMINISTRATOR = "administrator"
    MEMBER = "member"
    RESTRICTED = "restricted"
    LEFT = "left"
    KICKED = "kicked"
    UNKNOWN = "unknown"

    @property
    def in_channel(self) -> bool:
        return self in (
            MemberStatus.CREATOR, MemberStatus.ADMINISTRATOR, MemberStatus.MEMBER,
            MemberStatus.RESTRICTED,
        )


class PatronSource(StrEnum):
    ADMIN = "admin"
    HOST_APP = "host_app"
    SUBSCRIPTION = "subscription"


@dataclass(eq=False)
class Patron:
    """A user entitled to the paid channel, until `until` (None: no end date)."""

    telegram_user_id: int
    user_id: str
    source: PatronSource
    since: datetime
    until: datetime | None = None
    active: bool = True
    subscription_charge_id: str | None = None
    subscription_provider: Provider | None = None  # where that subscription is billed

    def entitled_at(self, now: datetime) -> bool:
        return self.active and (self.until is None or now < self.until)

    def renew(self, until: datetime | None, now: datetime, charge_id: str | None = None,
              provider: Provider | None = None) -> None:
        """Extend (or restore) the patronage; a renewal never shortens it."""
        if until is not None and until <= now:
            raise InvalidTransition("a patronage renewal must end in the future")
        if until is None:
            self.until = None  # open-ended from now on
        elif self.until is not None and self.active:
            self.until = max(self.until, until)
        elif not self.active:
            self.until = until
        # else: an open-ended patronage stays open-ended
        self.active = True
        if charge_id:
            self.subscription_charge_id, self.subscription_provider = charge_id, provider

    def end(self, now: datetime) -> bool:
        if not self.active:
            return False
        self.active = False
        self.until = now
        return True


@dataclass(eq=False)
class Membership:
    """Whether a user is in the channel, as last seen by an update or a check."""

    telegram_user_id: int
    status: MemberStatus = MemberStatus.UNKNOWN
    checked_at: datetime | None = None

    def observe(self, status: MemberStatus, now: datetime) -> None:
        self.status = status
        self.checked_at = now


class InviteStatus(StrEnum):
    ACTIVE = "active"
    USED = "used"
    REVOKED = "revoked"


@dataclass(eq=False)
class Invite:
    """A single-use, expiring invite link created for one patron."""

    id: str
    telegram_user_id: int
    link: str
    created_at: datetime
    expires_at: datetime
    member_limit: int = 1
    status: InviteStatus = InviteStatus.ACTIVE

    def usable_at(self, now: datetime) -> bool:
        return self.status is InviteStatus.ACTIVE and now < self.expires_at

    def mark_used(self) -> None:
        if self.status is InviteStatus.ACTIVE:
            self.status = InviteStatus.USED

    def revoke(self) -> bool:
        if self.status is not InviteStatus.ACTIVE:
            return False
        self.status = InviteStatus.REVOKED
        return True


@dataclass(frozen=True, slots=True)
class JoinBonus:
    """The one-time credits a user gets for their first verified join, ever."""

    telegram_user_id: int
    user_id: str
    credits: int
    granted_at: datetime


def require_patron(patron: Patron | None, telegram_user_id: int, now: datetime) -> Patron:
    if patron is None or not patron.entitled_at(now):
        raise NotAPatron(f"Telegram user {telegram_user_id} is not a patron")
    return patron
