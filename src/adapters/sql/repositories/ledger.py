"""The ledger: accounts with cached balances, immutable entries and their postings.

Hot rows: every purchase posts to `sales:<provider>` and every spend to `usage`. Only guarded
`user:` accounts are locked (FOR UPDATE, in id order) and written, each posting as
`balance = balance + :amount`. On PostgreSQL a system account's posting goes to a part of the
account of the connection's own (`ledger_account_slots`, the slot `pg_backend_pid() % SLOTS`),
so two purchases never wait for each other's commit on one row; its balance is the row's plus
its parts'. SQLite has one writer at a time: there a transaction's postings to a system account
are summed aside and added to its row right before COMMIT. `SqlDatabase(lock_system_accounts=
True)` locks and writes every account's row instead (the benchmark compares both)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, bindparam, cast, func, null, select, update
from sqlalchemy.dialects import postgresql, sqlite

from starport.adapters.sql import mappers as m
from starport.adapters.sql.fast_path import hot
from starport.adapters.sql.gateway import Gateway
from starport.adapters.sql.tables import account_slots as s
from starport.adapters.sql.tables import accounts as a
from starport.adapters.sql.tables import entries as e
from starport.adapters.sql.tables import postings as p
from starport.domain.ledger import USER_PREFIX, Account, JournalEntry

SLOTS = 64  # parts of a system account: pooled connections' backend pids rarely share one

_APPLY_DELTA = hot(
    update(a).where(a.c.id == bindparam("b_id"))
    .values(balance=a.c.balance + bindparam("b_delta"), version=a.c.version + bindparam("b_n"))
)
_ADD_TO_SLOT = postgresql.insert(s).values(
    account_id=bindparam("b_id"), slot=func.pg_backend_pid() % SLOTS,
    balance=bindparam("b_delta"), version=bindparam("b_n"))
_ADD_TO_SLOT = hot(_ADD_TO_SLOT.on_conflict_do_update(
    index_elements=[s.c.account_id, s.c.slot],
    set_={"balance": s.c.balance + _ADD_TO_SLOT.excluded.balance,
          "version": s.c.version + _ADD_TO_SLOT.excluded.version}))
# An account's balance and version: its row's plus its parts'.
# (PostgreSQL sums BIGINTs as NUMERIC: cast back, or the balance would come as a Decimal)
_IN_SLOTS = select(cast(func.coalesce(func.sum(s.c.balance), 0), BigInteger)
                   ).where(s.c.account_id == a.c.id)
_IN_SLOTS_V = select(cast(func.coalesce(func.sum(s.c.version), 0), BigInteger)
                     ).where(s.c.account_id == a.c.id)
_WHOLE = (a.c.id, (a.c.balance + _IN_SLOTS.scalar_subquery()).label("balance"),
          (a.c.version + _IN_SLOTS_V.scalar_subquery()).label("version"))


def balance_of(account_id: Any) -> Any:
    """An account's balance as an expression for another statement: its row's and its
    parts', 0 when it has no row."""
    return func.coalesce(select(_WHOLE[1]).where(a.c.id == account_id).scalar_subquery(), 0)


# Built once (see gateway): the statements every payment runs.
_BALANCE = hot(select(_WHOLE[1]).where(a.c.id == bindparam("b_id")))
_INSERT_ENTRY = hot(e.insert())
_INSERT_POSTINGS = hot(p.insert())
_ENTRY_BY_KEY = hot(select(e, p.c.account_id, p.c.amount).join(p, p.c.entry_id == e.c.id)
                 .where(e.c.idempotency_key == bindparam("b_key")).order_by(p.c.position))
_ACCOUNTS = (select(*_WHOLE).where(a.c.id.in_(bindparam("b_ids", expanding=True)))
             .order_by(a.c.id))
_ACCOUNTS_LOCKED = _ACCOUNTS.with_for_update(of=a)
# One account (a purchase's sales account, read without a lock): on the short path, which
# takes no expanding IN.
_ACCOUNT = hot(select(*_WHOLE).where(a.c.id == bindparam("b_id")))
_ACCOUNT_LOCKED = hot(_ACCOUNT.with_for_update(of=a))


def _open(insert: Any) -> Any:
    """User accounts (on SQLite every account) read, created at zero where missing, in one
    statement, executed with one set of values per account. On PostgreSQL the upsert also
    locks an existing row, as FOR UPDATE would; on SQLite the writer holds the whole database
    anyway. No parts to add: a user account has none, nor has any account on SQLite."""
    return (insert(a).on_conflict_do_update(index_elements=[a.c.id],
                                            set_={"version": a.c.version})
            .returning(a.c.id, a.c.balance, a.c.version))


_OPEN = {"sqlite": hot(_open(sqlite.insert)), "postgresql": hot(_open(postgresql.insert))}


def _open_and_read(held: bool = False) -> Any:
    """PostgreSQL: a user's account opened (as `_OPEN`) and a system account read with its
    parts, in one statement: the two accounts of a purchase, a spend, a refund or a bonus.
    `held`: with the balance of a third account beside them (`accounts_and_held`)."""
    opened = (_open(postgresql.insert).values(id=bindparam("b_user"), balance=0, version=0)
              .cte("opened"))
    first = select(opened.c.id, opened.c.balance, opened.c.version)
    second = select(*_WHOLE).where(a.c.id == bindparam("b_system"))
    if held:
        first = first.add_columns(balance_of(bindparam("b_held")).label("held"))
        second = second.add_columns(cast(null(), BigInteger).label("held"))
    return first.union_all(second)


_OPEN_AND_READ = hot(_open_and_read())
_OPEN_READ_AND_HELD = hot(_open_and_read(held=True))


class SqlLedger:
    def __init__(self, gw: Gateway, lock_system_accounts: bool = False) -> None:
        self._gw = gw
        self._lock_all = lock_system_accounts
        self._loaded: dict[str, Account] = {}
        self._pending: dict[str, tuple[int, int]] = {}  # system account -> (delta, postings)

    def _locked(self, account_id: str) -> bool:
        return self._lock_all or account_id.startswith(USER_PREFIX)

    def _in_parts(self) -> bool:
        """Whether system accounts' postings go to their parts (else to their rows)."""
        return self._gw.dialect == "postgresql" and not self._lock_all

    async def accounts(self, ids: Sequence[str]) -> dict[str, Account]:
        return (await self.accounts_and_held(ids, None))[0]

    async def accounts_and_held(self, ids: Sequence[str], held_by: str | None
                                ) -> tuple[dict[str, Account], int]:
        """On PostgreSQL the held balance comes in the accounts' statement when they are a
        purchase's two (a user's, a system account) and `held_by` is not loaded; otherwise it
        is read after them (on SQLite a call, not a round trip)."""
        wanted = sorted(set(ids) - self._loaded.keys())
        held: int | None = None
        if wanted:
            glance = (held_by if held_by is not None and held_by not in wanted
                      and held_by not in self._loaded else None)
            rows, held = await self._open_or_read(wanted, glance)
            for account_id in wanted:
                balance, version = rows[account_id]
                delta, count = self._pending.get(account_id, (0, 0))
                self._loaded[account_id] = Account(account_id, balance + delta, version + count)
        accounts = {i: self._loaded[i] for i in sorted(set(ids))}
        if held is None and held_by is not None:
            known = self._loaded.get(held_by)
            held = known.balance if known is not None else await self.balance(held_by)
        return accounts, held or 0

    async def entry_by_key(self, idempotency_key: str) -> JournalEntry | None:
        rows = (await self._gw.execute(_ENTRY_BY_KEY, {"b_key": idempotency_key})
                ).mappings().all()
        return m.entry_from(rows[0], rows) if rows else None

    async def add(self, entry: JournalEntry, accounts: dict[str, Account]) -> None:
        await self._gw.write(_INSERT_ENTRY, m.entry_values(entry))  # a reused key: Conflict
        unknown = sorted((set(accounts) | set(entry.accounts)) - self._loaded.keys())
        if unknown:
            await self._create(unknown)
        await self._gw.write(_INSERT_POSTINGS, m.posting_values(entry))
        for posting in entry.postings:
            if self._locked(posting.account):  # opened above, locked: the row is there
                await self._gw.write(_APPLY_DELTA, {"b_id": posting.account,
                                                    "b_delta": posting.amount, "b_n": 1})
                self._loaded[posting.account] = accounts[posting.account]
            elif self._in_parts():  # no lock to keep short: it waits to go with the rest
                await self._gw.write(_ADD_TO_SLOT, {"b_id": posting.account,
                                                    "b_delta": posting.amount, "b_n": 1})
                self._loaded[posting.account] = accounts[posting.account]
            else:
                delta, count = self._pending.get(posting.account, (0, 0))
                self._pending[posting.account] = (delta + posting.amount, count + 1)

    async def flush(self) -> None:
        """Write the system accounts' sums (kept for their rows), in id order, right before
        COMMIT."""
        params = [{"b_id": i, "b_delta": d, "b_n": n}
                  for i, (d, n) in sorted(self._pending.items())]
        self._pending.clear()
        if params:
            await self._gw.write(_APPLY_DELTA, params)

    async def balance(self, account_id: str) -> int:
        found = (await self._gw.execute(_BALANCE, {"b_id": account_id})).first()
        return (found[0] if found else 0) + self._pending.get(account_id, (0, 0))[0]

    async def entries(self, account_id: str, limit: int, before: datetime | None = None
                      ) -> Sequence[JournalEntry]:
        query = select(e).where(e.c.id.in_(select(p.c.entry_id).where(p.c.account_id
                                                                      == account_id)))
        if before is not None:
            query = query.where(e.c.created_at < before)
        return await with_postings(self._gw, query.order_by(e.c.created_at.desc(),
                                                            e.c.id.desc()).limit(limit))

    async def total(self) -> int:
        found = (await self._gw.execute(select(func.coalesce(func.sum(p.c.amount), 0)))).scalar()
        return int(found or 0)

    async def _open_or_read(self, ids: list[str], held_by: str | None
                            ) -> tuple[dict[str, tuple[int, int]], int | None]:
        """User accounts (and on SQLite every account) opened with one upsert, locked; system
        accounts on PostgreSQL read with their parts (locked only with `lock_system_accounts`),
        created when missing (rarely: once ever). With `held_by`'s balance when the statement
        can carry it (else None: not read)."""
        if self._gw.read_only:
            return await self._read(ids), None
        dialect = self._gw.dialect
        opened = ids if dialect == "sqlite" else [i for i in ids if i.startswith(USER_PREFIX)]
        held = None
        if len(opened) == 1 and len(ids) == 2 and self._in_parts():
            (system,) = set(ids) - set(opened)
            if held_by is None:
                found = await self._gw.execute(_OPEN_AND_READ, {"b_user": opened[0],
                                                                "b_system": system})
            else:
                found = list(await self._gw.execute(_OPEN_READ_AND_HELD, {
                    "b_user": opened[0], "b_system": system, "b_held": held_by}))
                held = next((r.held for r in found if r.held is not None), 0)
        elif len(opened) == 1 or dialect == "sqlite":  # the short path: one set of values
            found = []  # with RETURNING at a time (on SQLite a call, not a round trip)
            for i in opened:
                found += list(await self._gw.execute(_OPEN[dialect],
                                                     {"id": i, "balance": 0, "version": 0}))
        elif opened:
            found = await self._gw.execute(_OPEN[dialect], [{"id": i, "balance": 0, "version": 0}
                                                            for i in opened])
        else:
            found = []
        rows = {r.id: (r.balance, r.version) for r in found}
        others = [i for i in ids if i not in rows]
        if others:
            rows |= await self._read(others)
            missing = [i for i in others if i not in rows]
            if missing:
                await self._create(missing)
                rows |= await self._read(missing)
        return rows, held

    async def _read(self, ids: list[str]) -> dict[str, tuple[int, int]]:
        """Guarded rows locked in id order (no deadlock); system rows read without a lock.
        SQLite has no row locks (the whole file is ours): one query."""
        if self._gw.dialect == "sqlite" or self._lock_all:
            groups = [(ids, True)]
        else:
            groups = [([i for i in ids if self._locked(i)], True),
                      ([i for i in ids if not self._locked(i)], False)]
        found: dict[str, tuple[int, int]] = {}
        for group, lock in groups:
            if group:
                if len(group) == 1:
                    rows = await self._gw.execute(_ACCOUNT_LOCKED if lock else _ACCOUNT,
                                                  {"b_id": group[0]})
                else:
                    rows = await self._gw.execute(_ACCOUNTS_LOCKED if lock else _ACCOUNTS,
                                                  {"b_ids": group})
                found |= {r.id: (r.balance, r.version) for r in rows}
        return found

    async def _create(self, ids: list[str]) -> None:
        await self._gw.execute(self._gw.insert_or_ignore(a),
                               [{"id": i, "balance": 0, "version": 0} for i in ids])


async def with_postings(gw: Gateway, query: Any) -> list[JournalEntry]:
    """The entries a query of journal_entries finds, in its order, each with its postings (one
    more statement for all of them)."""
    heads = (await gw.execute(query)).mappings().all()
    if not heads:
        return []
    lines = (await gw.execute(
        select(p).where(p.c.entry_id.in_([h["id"] for h in heads]))
        .order_by(p.c.entry_id, p.c.position))).mappings().all()
    by_entry: dict[str, list[Any]] = {}
    for line in lines:
        by_entry.setdefault(line["entry_id"], []).append(line)
    return [m.entry_from(h, by_entry[h["id"]]) for h in heads]
