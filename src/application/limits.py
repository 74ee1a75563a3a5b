"""Per-user payment limits inside the caller's transaction: judge, then record the attempt."""

from __future__ import annotations

from starport.application.deps import Deps
from starport.application.unit_of_work import UnitOfWork
from starport.domain.limits import ALLOWED, FAILURE, SESSION, Verdict, verdict


async def judge(deps: Deps, uow: UnitOfWork, user_key: str, *, opening: bool) -> Verdict:
    """Lock the user's limits for this transaction (across instances) and say whether they may
    open a session (`opening`) or, at least, pay one they hold (only the cooldown applies)."""
    limits = deps.settings.limits
    if not limits.enabled:
        return ALLOWED
    now = deps.clock.now()
    if opening:  # only counting new sessions races; the cooldown is a plain read
        await uow.limits.hold(user_key, now)
    since = now - limits.lookback
    sessions = await uow.limits.times(user_key, SESSION, since) if opening else ()
    failures = await uow.limits.times(user_key, FAILURE, since)
    return verdict(limits, now=now, sessions=sessions, failures=failures, opening=opening)


async def admit_session(deps: Deps, uow: UnitOfWork, user_key: str) -> Verdict:
    """Judge a new session and, when allowed, count it in the same transaction: the session
    and its count are committed together, so concurrent callers cannot both slip under."""
    found = await judge(deps, uow, user_key, opening=True)
    if found.allowed and deps.settings.limits.max_sessions > 0:
        await uow.limits.record(user_key, SESSION, deps.clock.now())
    return found


async def record_failure(deps: Deps, uow: UnitOfWork, user_key: str) -> None:
    """A refused pre-checkout or a failed payment counts toward the cooldown; not while a
    cooldown runs (it cannot lengthen it, and the history read back stays exact)."""
    if deps.settings.limits.max_failures > 0:
        if not (await judge(deps, uow, user_key, opening=False)).allowed:
            return
        await uow.limits.hold(user_key, deps.clock.now())
        await uow.limits.record(user_key, FAILURE, deps.clock.now())
