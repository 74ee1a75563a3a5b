"""The double-entry credits ledger: accounts, immutable journal entries, and the posting rules."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from starport.domain.errors import InsufficientCredits, InvalidAmount, UnbalancedEntry

USER_PREFIX = "user:"
BONUS_ACCOUNT = "promo:bonus"
REFUNDS_ACCOUNT = "refunds"
USAGE_ACCOUNT = "usage"
ADJUSTMENTS_ACCOUNT = "adjustments"  # where an admin's grants come from and takes go
MAX_KEY_LENGTH = 200


def user_account(user_id: str) -> str:
    return f"{USER_PREFIX}{user_id}"


def sales_account(provider: str) -> str:
    return f"sales:{provider}"


# Idempotency keys: every entry's, built here and nowhere else.

def payment_key(provider: str, charge_id: str) -> str:
    """The purchase (or subscription renewal) credited for one provider charge."""
    return f"payment:{provider}:{charge_id}"


def refund_key(session_id: str) -> str:
    """A session's refund: its first charge's credits taken back."""
    return f"refund:{session_id}"


def renewal_refund_key(provider: str, charge_id: str) -> str:
    """The refund of one later charge of a Star subscription."""
    return f"refund:{provider}:{charge_id}"


def spend_key(user_id: str, idempotency_key: str) -> str:
    """The user's length first, so ("a", "b:c") and ("a:b", "c") never share a key."""
    return f"spend:{len(user_id)}:{user_id}:{idempotency_key}"


def join_bonus_key(telegram_user_id: int) -> str:
    return f"join-bonus:{telegram_user_id}"


def adjustment_key(user_id: str, idempotency_key: str) -> str:
    return f"adjust:{len(user_id)}:{user_id}:{idempotency_key}"


class EntryKind(StrEnum):
    PURCHASE = "purchase"
    SPEND = "spend"
    REFUND = "refund"
    BONUS = "bonus"
    TRANSFER = "transfer"  # between two of one person's accounts (a Telegram account linked)
    ADJUSTMENT = "adjustment"  # an admin grants or takes credits, with a reason


@dataclass(frozen=True, slots=True)
class Posting:
    """One side of an entry: a signed number of credits moved into (+) or out of (-) an account."""

    account: str
    amount: int

    def __post_init__(self) -> None:
        if not self.account:
            raise UnbalancedEntry("a posting needs an account")
        if isinstance(self.amount, bool) or not isinstance(self.amount, int) or self.amount == 0:
            raise UnbalancedEntry(f"a posting moves a non-zero whole amount, got {self.amount!r}")


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """An immutable set of postings that sum to zero, recorded at most once per idempotency key.
    Mistakes and refunds are corrected by new entries, never by editing this one."""

    id: str
    idempotency_key: str
    kind: EntryKind
    postings: tuple[Posting, ...]
    created_at: datetime
    memo: str = ""
    reference: str | None = None
    allow_overdraft: bool = False

    def __post_init__(self) -> None:
        if not self.idempotency_key or len(self.idempotency_key) > MAX_KEY_LENGTH:
            raise InvalidAmount(f"an idempotency key has 1-{MAX_KEY_LENGTH} characters")
        if len(self.postings) < 2:
            raise UnbalancedEntry("an entry has at least two postings")
        if sum(p.amount for p in self.postings) != 0:
            raise UnbalancedEntry(f"postings of entry {self.idempotency_key} do not sum to zero")
        accounts = [p.account for p in self.postings]
        if len(set(accounts)) != len(accounts):
            raise UnbalancedEntry("an entry names each account once")

    @property
    def accounts(self) -> list[str]:
        return sorted(p.account for p in self.postings)

    def amount_for(self, account: str) -> int:
        return sum(p.amount for p in self.postings if p.account == account)

    def same_operation_as(self, other: JournalEntry) -> bool:
        """True when `other` (recorded under the same key) describes the same movement."""
        return self.kind == other.kind and set(self.postings) == set(other.postings)


@dataclass(eq=False)
class Account:
    """An account's cached balance. User accounts may not be overdrawn by a spend; system
    accounts (sales, promotions, refunds, usage) are sources and sinks and may go negative."""

    id: str
    balance: int = 0
    version: int = 0

    @property
    def guarded(self) -> bool:
        return self.id.startswith(USER_PREFIX)

    @property
    def debt(self) -> int:
        return -self.balance if self.guarded and self.balance < 0 else 0


def post(entry: JournalEntry, accounts: Mapping[str, Account]) -> None:
    """Apply an entry to the accounts it names, all or nothing."""
    missing = [a for a in entry.accounts if a not in accounts]
    if missing:
        raise UnbalancedEntry(f"accounts not loaded for posting: {missing}")
    for p in entry.postings:
        account = accounts[p.account]
        after = account.balance + p.amount
        if account.guarded and p.amount < 0 and after < 0 and not entry.allow_overdraft:
            raise InsufficientCredits(
                f"{account.id} holds {account.balance} credits, {-p.amount} needed"
            )
    for p in entry.postings:
        accounts[p.account].balance += p.amount
        accounts[p.account].version += 1


def _positive(credits: int) -> int:
    if isinstance(credits, bool) or not isinstance(credits, int) or credits <= 0:
        raise InvalidAmount(f"credits moved by an entry must be a positive integer: {credits!r}")
    return credits


def purchase(
    *, entry_id: str, key: str, user_id: str, sales_account: str, credits: int,
    session_id: str, now: datetime,
) -> JournalEntry:
    _positive(credits)
    return JournalEntry(
        id=entry_id, idempotency_key=key, kind=EntryKind.PURCHASE, created_at=now,
        postings=(Posting(user_account(user_id), credits), Posting(sales_account, -credits)),
        memo="credit package purchase", reference=session_id,
    )


def spend(
    *, entry_id: str, key: str, user_id: str, credits: int, reason: str, now: datetime
) -> JournalEntry:
    _positive(credits)
    return JournalEntry(
        id=entry_id, idempotency_key=key, kind=EntryKind.SPEND, created_at=now,
        postings=(Posting(user_account(user_id), -credits), Posting(USAGE_ACCOUNT, credits)),
        memo=reason,
    )


def refund(
    *, entry_id: str, key: str, user_id: str, credits: int, session_id: str, now: datetime,
    by_provider: bool,
) -> JournalEntry:
    """Take a refunded purchase's credits back. A refund the provider already made is recorded
    even if it leaves the user in debt; an admin's refund may not."""
    _positive(credits)
    return JournalEntry(
        id=entry_id, idempotency_key=key, kind=EntryKind.REFUND, created_at=now,
        postings=(Posting(user_account(user_id), -credits), Posting(REFUNDS_ACCOUNT, credits)),
        memo="provider refund" if by_provider else "refund", reference=session_id,
        allow_overdraft=by_provider,
    )


def bonus(
    *, entry_id: str, key: str, user_id: str, credits: int, memo: str, now: datetime
) -> JournalEntry:
    _positive(credits)
    return JournalEntry(
        id=entry_id, idempotency_key=key, kind=EntryKind.BONUS, created_at=now,
        postings=(Posting(user_account(user_id), credits), Posting(BONUS_ACCOUNT, -credits)),
        memo=memo,
    )


def transfer(
    *, entry_id: str, key: str, from_user: str, to_user: str, credits: int, memo: str,
    now: datetime,
) -> JournalEntry:
    """Credits moved from one user account to another (never more than the source holds)."""
    _positive(credits)
    return JournalEntry(
        id=entry_id, idempotency_key=key, kind=EntryKind.TRANSFER, created_at=now,
        postings=(Posting(user_account(from_user), -credits),
                  Posting(user_account(to_user), credits)),
        memo=memo,
    )


def adjustment(
    *, entry_id: str, key: str, user_id: str, credits: int, reason: str, by: str,
    now: datetime, allow_debt: bool = False,
) -> JournalEntry:
    """An admin's correction: `credits` granted (> 0) or taken (< 0), never an edit of an
    earlier entry. Taking more than the user holds needs `allow_debt`. The reason is the memo,
    the admin the reference."""
    if isinstance(credits, bool) or not isinstance(credits, int) or credits == 0:
        raise InvalidAmount(f"an adjustment grants or takes a non-zero whole number: {credits!r}")
    if not reason.strip():
        raise InvalidAmount("an adjustment needs a reason")
    return JournalEntry(
        id=entry_id, idempotency_key=key, kind=EntryKind.ADJUSTMENT, created_at=now,
        postings=(Posting(user_account(user_id), credits),
                  Posting(ADJUSTMENTS_ACCOUNT, -credits)),
        memo=reason.strip(), reference=f"admin:{by}", allow_overdraft=allow_debt,
    )


def link_key(telegram_user_id: int, linked_at: datetime) -> str:
    """The Telegram-only balance moved to the user it was linked to: once per link (a link
    made again later, after an unlink, is another link)."""
    return f"link:{telegram_user_id}:{int(linked_at.timestamp() * 1000)}"


def total(entries: Iterable[JournalEntry]) -> int:
    """The sum of every posting: zero for any ledger, whatever happened to it."""
    return sum(p.amount for e in entries for p in e.postings)
