"""A tiny transactional table: reads see committed rows plus this transaction's writes."""

from __future__ import annotations

import copy
from collections.abc import Hashable, Iterator
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Table(Generic[K, V]):
    def __init__(self) -> None:
        self.rows: dict[K, V] = {}


class TxView(Generic[K, V]):
    """One transaction's view of a table; `flush` publishes the writes on commit."""

    def __init__(self, table: Table[K, V]) -> None:
        self._table = table
        self._staged: dict[K, V] = {}

    def get(self, key: K) -> V | None:
        if key in self._staged:
            return self._staged[key]
        row = self._table.rows.get(key)
        if row is None:
            return None
        value = copy.deepcopy(row)
        self._staged[key] = value  # later reads in this transaction see the same object
        return value

    def put(self, key: K, value: V) -> None:
        self._staged[key] = value

    def exists(self, key: K) -> bool:
        return key in self._staged or key in self._table.rows

    def values(self) -> Iterator[V]:
        """Every row as this transaction sees it (copies; for scans)."""
        keys = list(self._table.rows.keys() | self._staged.keys())
        for key in keys:
            value = self.get(key)
            if value is not None:
                yield value

    def flush(self) -> None:
        for key, value in self._staged.items():
            self._table.rows[key] = copy.deepcopy(value)
        self._staged.clear()
