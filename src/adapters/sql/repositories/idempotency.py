"""Idempotency keys of create-session requests."""

from __future__ import annotations

from sqlalchemy import select

from starport.adapters.sql.gateway import Gateway
from starport.adapters.sql.tables import idempotency_keys as t
from starport.application.repositories import IdempotentRequest


class SqlIdempotency:
    def __init__(self, gw: Gateway) -> None:
        self._gw = gw

    async def get(self, scope: str, key: str) -> IdempotentRequest | None:
        row = (await self._gw.execute(select(t).where(t.c.scope == scope, t.c.key == key))
               ).mappings().first()
        return IdempotentRequest(**row) if row else None

    async def add(self, request: IdempotentRequest) -> None:
        await self._gw.execute(t.insert(), {  # the caller's key taken already: Conflict
            "scope": request.scope, "key": request.key, "fingerprint": request.fingerprint,
            "session_id": request.session_id, "created_at": request.created_at})
