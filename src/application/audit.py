"""The admins' audit trail: each admin action noted in the transaction that makes its change,
so the trail and the change are never apart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from starport.application import commands as c
from starport.application.deps import Deps
from starport.application.unit_of_work import UnitOfWork
from starport.domain.audit import AdminAction


async def note(deps: Deps, uow: UnitOfWork, who: str, action: str, target: str,
               reason: str = "", detail: str = "") -> None:
    await uow.audit.add(AdminAction(id=deps.ids.new_id(), at=deps.clock.now(), admin=who,
                                    action=action, target=target, reason=reason[:1000],
                                    detail=detail[:1000]))


async def note_action(deps: Deps, cmd: c.NoteAdminAction) -> None:
    """An action whose change is recorded elsewhere (a job run): noted on its own."""
    async with deps.uow() as uow:
        await note(deps, uow, cmd.admin, cmd.action, cmd.target, cmd.reason, cmd.detail)
        await uow.commit()


@dataclass(frozen=True)
class AuditQuery:
    admin: str | None = None
    target: str | None = None
    before: tuple[datetime, str] | None = None  # the next page: after the last (at, id)
    limit: int = 50


async def find_actions(deps: Deps, query: AuditQuery) -> list[AdminAction]:
    async with deps.uow(read_only=True) as uow:
        return list(await uow.audit.find(admin=query.admin, target=query.target,
                                         before=query.before, limit=query.limit))
