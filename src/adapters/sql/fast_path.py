"""The statements every payment runs, executed without SQLAlchemy's per-execution work.

Through SQLAlchemy a statement of some microseconds in SQLite costs tens of microseconds in
Python (a cache key walked over the statement, an execution context, parameter and result
objects): measured under the payment benchmark, a third of the server's time. A statement
marked `hot` is compiled by SQLAlchemy once per set of parameter names, and then run straight
on the driver's connection with SQLAlchemy's own bind and result processors (so types such as
`UtcDateTime` convert exactly as they do on the ordinary path):

- SQLite: on the sqlite3 connection (in the event loop, as the inline driver runs it);
- PostgreSQL: on the asyncpg connection, through the prepared statements SQLAlchemy's asyncpg
  adapter keeps per connection, inside the transaction the adapter starts (as its own cursor
  does: the same mutex, the same BEGIN).

Anything the short path does not handle (an expanding IN, a Python-side column default, a
column name that is not an identifier, several sets of values with rows back) goes the
ordinary way.

Errors are raised as SQLAlchemy's `DBAPIError`s, as the ordinary path raises them."""

from __future__ import annotations

import collections
import functools
import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import Executable
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, NoResultFound
from sqlalchemy.sql.selectable import Alias, TableClause, TableValuedAlias
from sqlalchemy.sql.util import find_tables

S = TypeVar("S", bound=Executable)

_HOT: dict[int, Executable] = {}  # id -> the statement (kept alive: ids stay unique)


def hot(statement: S) -> S:
    """Mark a statement built once (a module constant) for the short path."""
    _HOT[id(statement)] = statement
    return statement


class Source(NamedTuple):
    """A position's value: the caller's parameter `key`, or (key None) the statement's own."""
    key: str | None
    value: Any


class Prepared(NamedTuple):
    sql: str
    compiled: Any  # SQLCompiled: construct_params
    names: tuple[str, ...]
    bind: tuple[Callable[[Any], Any] | None, ...]
    sources: tuple[Source, ...] | None  # where each position's value comes from (`_sources`)
    row: type[tuple[Any, ...]] | None  # a namedtuple of the result columns
    keys: tuple[str, ...]
    results: tuple[Callable[[Any], Any] | None, ...]
    tables: frozenset[str]  # every table the statement names
    blind: str | None  # "insert" / "update": a write with nothing back (see Gateway.write)


_PREPARED: dict[tuple[int, str, str, tuple[str, ...]], Prepared | None] = {}


def prepared(statement: Executable, params: dict[str, Any] | None, dialect: Dialect
             ) -> Prepared | None:
    """The statement compiled for these parameter names, or None: the ordinary path."""
    if id(statement) not in _HOT:
        return None
    names = tuple(params) if params else ()
    key = (id(statement), dialect.name, dialect.driver, names)
    try:
        return _PREPARED[key]
    except KeyError:
        found = _PREPARED[key] = _prepare(statement, names, dialect)
        return found


def _prepare(statement: Executable, names: tuple[str, ...], dialect: Dialect) -> Prepared | None:
    compiled: Any = statement.compile(dialect=dialect, column_keys=list(names))
    if (compiled.positiontup is None or compiled.insert_prefetch or compiled.update_prefetch
            or any(b.expanding for b in compiled.binds.values())):
        return None
    processors = compiled._bind_processors
    order = tuple(compiled.positiontup)
    columns = compiled._result_columns or []
    keys = tuple(c[0] for c in columns)
    if not all(k.isidentifier() and not k.startswith("_") for k in keys):
        return None
    row = collections.namedtuple("Row", keys) if keys else None  # type: ignore[misc]
    results = tuple(c[3]._cached_result_processor(dialect, None) for c in columns)
    tables = table_names(statement)
    return Prepared(compiled.string, compiled, order, tuple(processors.get(n) for n in order),
                    _sources(compiled, names, order), row, keys, results, tables,
                    _blind(statement, keys, tables))


def _sources(compiled: Any, names: tuple[str, ...], order: tuple[str, ...]
             ) -> tuple[Source, ...] | None:
    """Where `construct_params` takes each position's value from, worked out once: the
    parameter names a Prepared is made for are fixed, so only the lookups are left to each
    execution (`construct_params` walks every bind parameter of the statement each time; a
    payment's statements, bound 2,000 times in process: 34 to 17 us per payment on
    PostgreSQL, 56 to 36 on SQLite). None where a value must be worked out per execution (a
    bind parameter's callable) or SQLAlchemy merges more in: then `construct_params`, as
    before."""
    if compiled._render_postcompile or getattr(compiled, "_collected_params", None):
        return None  # values SQLAlchemy merges in (`statement.params(...)`): its own way
    given = set(names)
    escaped = compiled.escaped_bind_names or {}
    found: dict[str, Source] = {}
    for bind, name in compiled.bind_names.items():  # the same order and precedence as it
        target = escaped.get(name, name)
        if bind.key in given:
            found[target] = Source(bind.key, None)
        elif name in given:
            found[target] = Source(name, None)
        elif bind.callable:
            return None
        else:
            found[target] = Source(None, bind.value)
    if not all(n in found for n in order):
        return None
    return tuple(found[n] for n in order)


def table_names(statement: Any) -> frozenset[str]:
    """The tables a statement reads or writes, by their own names (an alias such as `due` is
    its table); a function's rows (`unnest(...) AS v`) are no table."""
    names = set()
    for found in find_tables(statement, include_crud=True, include_joins=True,
                             include_aliases=True):
        base: Any = found
        while isinstance(base, Alias) and not isinstance(base, TableValuedAlias):
            base = base.element
        if isinstance(base, TableClause):
            names.add(base.name)
    return frozenset(names)


def _blind(statement: Any, keys: tuple[str, ...], tables: frozenset[str]) -> str | None:
    """A plain INSERT ... VALUES or UPDATE of one table, reading no other (no subquery, no
    INSERT ... SELECT), with no RETURNING: a write whose only answer is success or an error
    (or, with ON CONFLICT DO NOTHING, none: `Gateway.write` is for callers that ask none), and
    which reads nothing a waiting write could change. An upsert or an insert that ignores a
    conflict meets a row that may exist: it waits as an UPDATE does."""
    if keys or not getattr(statement, "is_dml", False):
        return None
    if getattr(statement, "select", None) is not None:  # INSERT ... SELECT
        return None
    target = getattr(getattr(statement, "table", None), "name", None)
    if tables != {target}:
        return None
    kind = getattr(statement, "__visit_name__", None)
    on_conflict = getattr(statement, "_post_values_clause", None)
    if on_conflict is not None:
        return "update" if kind == "insert" else None
    return kind if kind in ("insert", "update") else None


def arguments(p: Prepared, params: dict[str, Any] | None) -> list[Any]:
    """The statement's positional values, converted as SQLAlchemy converts them."""
    if p.sources is None:
        values = p.compiled.construct_params(params or {}, _check=False)
        return [value if proc is None else proc(value)
                for value, proc in zip([values[n] for n in p.names], p.bind, strict=True)]
    given = params or {}
    out = []
    for (key, value), proc in zip(p.sources, p.bind, strict=True):
        if key is not None:
            value = given[key]
        out.append(value if proc is None else proc(value))
    return out


def run_many(raw: sqlite3.Connection, p: Prepared, params: Sequence[dict[str, Any]]
             ) -> FastResult:
    """One statement, several sets of values (no rows back)."""
    many = [arguments(p, one) for one in params]
    try:
        cursor = raw.executemany(p.sql, many)
        rowcount = cursor.rowcount
        cursor.close()
    except sqlite3.Error as exc:
        raise DBAPIError.instance(p.sql, many, exc, sqlite3.Error) from exc
    return FastResult([], (), rowcount)


def run(raw: sqlite3.Connection, p: Prepared, params: dict[str, Any] | None) -> FastResult:
    args = arguments(p, params)
    try:
        cursor = raw.execute(p.sql, args)
        try:
            fetched = cursor.fetchall() if cursor.description else []
            rowcount = cursor.rowcount
        finally:
            cursor.close()
    except sqlite3.Error as exc:
        raise DBAPIError.instance(p.sql, args, exc, sqlite3.Error) from exc
    rows: list[Any] = []
    if fetched and p.row is not None:
        results, make = p.results, p.row._make
        if any(results):
            rows = [make([v if f is None else f(v) for v, f in zip(r, results, strict=True)])
                    for r in fetched]
        else:
            rows = [make(r) for r in fetched]
    return FastResult(rows, p.keys, rowcount)


async def run_many_asyncpg(adapt: Any, p: Prepared, params: Sequence[dict[str, Any]]) -> FastResult:
    """Several sets of values, no rows back: asyncpg sends them in one round trip."""
    many = [arguments(p, one) for one in params]
    try:
        async with adapt._execute_mutex:
            if adapt._transaction is None:
                await adapt._start_transaction()
            await adapt._connection.executemany(p.sql, many)
    except adapt.dbapi.Error as exc:
        raise DBAPIError.instance(p.sql, many, exc, adapt.dbapi.Error) from exc
    except Exception as exc:
        try:
            adapt._handle_exception(exc)
        except adapt.dbapi.Error as translated:
            raise DBAPIError.instance(p.sql, many, translated, adapt.dbapi.Error) from exc
        raise
    return FastResult([], (), -1)


_ROWCOUNT = re.compile(r"(?:SELECT|UPDATE|DELETE|INSERT \d+) (\d+)")


_PLACEHOLDER = re.compile(r"\$(\d+)")


@functools.lru_cache(maxsize=512)
def _shifted(sql: str, by: int) -> str:
    return _PLACEHOLDER.sub(lambda m: f"${int(m.group(1)) + by}", sql) if by else sql


def combined(writes: Sequence[tuple[str, Sequence[Any]]], main: str | None,
             main_args: Sequence[Any] = ()) -> tuple[str, list[Any]]:
    """Writes waiting to be sent, as data-modifying WITH clauses of one statement ahead of
    `main` (or of `SELECT 1`): PostgreSQL runs each clause exactly once, all on the statement's
    snapshot, and checks foreign keys at its end. The placeholders are renumbered in turn."""
    parts: list[str] = []
    args: list[Any] = []
    for i, (sql, values) in enumerate(writes):
        parts.append(f"w{i} AS ({_shifted(sql, len(args))})")
        args.extend(values)
    tail = _shifted(main, len(args)) if main is not None else "SELECT 1"
    args.extend(main_args)
    for head in ("WITH RECURSIVE ", "WITH "):  # the statement's own WITH list goes on
        if tail.startswith(head):
            return f"{head}{', '.join(parts)}, {tail[len(head):]}", args
    return f"WITH {', '.join(parts)} {tail}", args


async def run_asyncpg(adapt: Any, p: Prepared, params: dict[str, Any] | None,
                      dialect: Dialect,
                      before: Sequence[tuple[str, Sequence[Any]]] = ()) -> FastResult:
    """`adapt`: SQLAlchemy's AsyncAdapt_asyncpg_connection under the unit's transaction.
    `before`: writes sent ahead of the statement, in the same round trip (`combined`)."""
    args = arguments(p, params)
    sql = p.sql
    if before:
        sql, args = combined(before, sql, args)
    fetched, status = await _fetch_asyncpg(adapt, sql, args, dialect)
    found = _ROWCOUNT.match(status or "")
    rowcount = int(found.group(1)) if found else -1
    rows: list[Any] = []
    if fetched and p.row is not None:
        results, make = p.results, p.row._make
        rows = [make([v if f is None else f(v) for v, f in zip(tuple(r), results, strict=True)])
                for r in fetched]
    return FastResult(rows, p.keys, rowcount)


async def send_asyncpg(adapt: Any, writes: Sequence[tuple[str, Sequence[Any]]],
                       dialect: Dialect, begin: bool = True) -> None:
    """Writes waiting to be sent, in one round trip (`combined`). `begin=False`: when no
    transaction was begun yet, the statement runs as one of its own (see Gateway.flush)."""
    sql, args = (writes[0][0], list(writes[0][1])) if len(writes) == 1 else combined(writes,
                                                                                      None)
    await _fetch_asyncpg(adapt, sql, args, dialect, begin)


async def _fetch_asyncpg(adapt: Any, sql: str, args: list[Any], dialect: Dialect,
                         begin: bool = True) -> tuple[list[Any], str | None]:
    try:
        async with adapt._execute_mutex:
            if begin and adapt._transaction is None:
                await adapt._start_transaction()
            statement, _ = await adapt._prepare(sql, dialect._invalidate_schema_cache_asof)
            fetched = await statement.fetch(*args)
            return fetched, statement.get_statusmsg()
    except adapt.dbapi.Error as exc:  # BEGIN failed: already SQLAlchemy's DB-API error
        raise DBAPIError.instance(sql, args, exc, adapt.dbapi.Error) from exc
    except Exception as exc:
        try:
            adapt._handle_exception(exc)  # asyncpg's error as the DB-API error it maps to
        except adapt.dbapi.Error as translated:
            raise DBAPIError.instance(sql, args, translated, adapt.dbapi.Error) from exc
        raise


async def end_transaction(adapt: Any, commit: bool) -> None:
    """COMMIT or ROLLBACK the transaction the short path began on the driver (SQLAlchemy's
    adapter does the same in `commit()` / `rollback()`, from inside its greenlet bridge). A
    connection the server ended has nothing left to roll back."""
    transaction = adapt._transaction
    if transaction is None:
        return
    if not commit and adapt._connection.is_closed():
        adapt._transaction = None
        return
    end = transaction.commit if commit else transaction.rollback
    try:
        await adapt._call_and_discard(end)
    except Exception as exc:
        try:
            adapt._handle_exception(exc)  # asyncpg's error as the DB-API error it maps to
        except adapt.dbapi.Error as translated:
            raise DBAPIError.instance("COMMIT" if commit else "ROLLBACK", None, translated,
                                      adapt.dbapi.Error) from exc
        raise


class FastResult:
    """What callers use of a `CursorResult`: rows by attribute and position, mappings,
    `first`, `one`, `scalar`, `all`, `rowcount`."""

    __slots__ = ("_keys", "_rows", "rowcount")

    def __init__(self, rows: list[Any], keys: tuple[str, ...], rowcount: int) -> None:
        self._rows, self._keys, self.rowcount = rows, keys, rowcount

    def __iter__(self) -> Iterator[Any]:
        return iter(self._rows)

    def all(self) -> Sequence[Any]:
        return self._rows

    def first(self) -> Any:
        return self._rows[0] if self._rows else None

    def one(self) -> Any:
        if len(self._rows) != 1:
            raise NoResultFound(f"expected one row, got {len(self._rows)}")
        return self._rows[0]

    def scalar(self) -> Any:
        return self._rows[0][0] if self._rows else None

    def mappings(self) -> FastMappings:
        return FastMappings([r._asdict() for r in self._rows])


class FastMappings:
    __slots__ = ("_rows",)

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self._rows = rows

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self._rows)

    def all(self) -> Sequence[dict[str, Any]]:
        return self._rows

    def first(self) -> dict[str, Any] | None:
        return self._rows[0] if self._rows else None
