"""Charges: one row per (provider, charge id), read by that key."""

from __future__ import annotations

from sqlalchemy import bindparam, select, update

from starport.adapters.sql import mappers as m
from starport.adapters.sql.fast_path import hot
from starport.adapters.sql.gateway import Gateway
from starport.adapters.sql.tables import charges as t
from starport.domain.charges import Charge
from starport.domain.providers import Provider

# Built once (see gateway): the statements every payment runs.
_GET = hot(select(t).where(t.c.provider == bindparam("b_provider"),
                           t.c.charge_id == bindparam("b_charge_id")))
_UPDATE = hot(update(t).where(t.c.provider == bindparam("b_provider"),
                              t.c.charge_id == bindparam("b_charge_id")))
_INSERT = hot(t.insert())


class SqlCharges:
    def __init__(self, gw: Gateway) -> None:
        self._gw = gw

    async def get(self, provider: Provider, charge_id: str) -> Charge | None:
        row = (await self._gw.execute(_GET, {"b_provider": provider.value,
                                             "b_charge_id": charge_id})).mappings().first()
        return m.charge_from(row) if row else None

    async def add(self, charge: Charge) -> None:
        await self._gw.write(_INSERT, m.charge_values(charge))  # the same again: Conflict

    async def save(self, charge: Charge) -> None:
        values = m.charge_values(charge)
        changes = {k: v for k, v in values.items() if k not in ("provider", "charge_id")}
        await self._gw.execute(_UPDATE, {**changes, "b_provider": charge.provider.value,
                                         "b_charge_id": charge.charge_id})
