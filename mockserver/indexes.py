"""The two index shapes the filters need: hash maps for equality, sorted keys for ranges."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Hashable, Iterable, Sequence
from datetime import UTC, datetime, timedelta

IdSet = set[int] | frozenset[int]  # what index look-ups answer; never mutated by readers
_EMPTY: frozenset[int] = frozenset()
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def instant(moment: datetime) -> int:
    """Exact microseconds since the epoch: an order-preserving key without float rounding."""
    return (moment - _EPOCH) // _MICROSECOND


class HashIndex:
    """value -> ids holding it; a record may hold several values (attribute ids). A value
    held by one record maps to the bare id: most values (numbers) are unique, and a
    one-element set per record would cost a hundred bytes each on large datasets."""

    __slots__ = ("_ids",)

    def __init__(self, ids: dict[Hashable, int | set[int]] | None = None) -> None:
        self._ids: dict[Hashable, int | set[int]] = ids if ids is not None else {}

    @classmethod
    def build(cls, pairs: Iterable[tuple[int, Iterable[Hashable]]]) -> HashIndex:
        """From (id, values) pairs, in one pass."""
        ids: dict[Hashable, int | set[int]] = {}
        for record_id, values in pairs:
            for value in values:
                held = ids.get(value)
                if held is None:
                    ids[value] = record_id
                elif isinstance(held, int):
                    ids[value] = {held, record_id}
                else:
                    held.add(record_id)
        return cls(ids)

    def add(self, record_id: int, values: Iterable[Hashable]) -> None:
        ids = self._ids
        for value in values:
            held = ids.get(value)
            if held is None:
                ids[value] = record_id
            elif isinstance(held, int):
                if held != record_id:
                    ids[value] = {held, record_id}
            else:
                held.add(record_id)

    def remove(self, record_id: int, values: Iterable[Hashable]) -> None:
        ids = self._ids
        for value in values:
            held = ids.get(value)
            if held is None:
                continue
            if isinstance(held, int):
                if held == record_id:
                    del ids[value]
            else:
                held.discard(record_id)
                if len(held) == 1:
                    ids[value] = next(iter(held))

    def lookup(self, values: Sequence[Hashable]) -> IdSet:
        """Ids holding any of ``values``; read-only (one value answers the index's own set)."""
        if len(values) == 1:
            held = self._ids.get(values[0])
            if held is None:
                return _EMPTY
            return frozenset((held,)) if isinstance(held, int) else held
        found: set[int] = set()
        for value in values:
            held = self._ids.get(value)
            if held is None:
                continue
            if isinstance(held, int):
                found.add(held)
            else:
                found |= held
        return found

    def copy(self) -> HashIndex:
        return HashIndex(
            {
                value: held if isinstance(held, int) else set(held)
                for value, held in self._ids.items()
            }
        )


# How many ids the ``SortedIndex.ascending`` cache of one index may hold in all.
ASCENDING_BUDGET = 1_000_000


class SortedIndex:
    """(moment, id) pairs in order; ``range`` answers strictly-before / strictly-after."""

    __slots__ = ("_ascending", "_ascending_size", "_ids", "_keys")

    def __init__(self, keys: list[int] | None = None, ids: list[int] | None = None) -> None:
        self._keys: list[int] = keys if keys is not None else []
        self._ids: list[int] = ids if ids is not None else []
        # (low, high) positions -> the ids between them, ascending (see ``ascending``)
        self._ascending: dict[tuple[int, int], list[int]] = {}
        self._ascending_size = 0

    @classmethod
    def build(cls, pairs: Iterable[tuple[datetime | None, int]]) -> SortedIndex:
        ordered = sorted((instant(moment), rid) for moment, rid in pairs if moment is not None)
        return cls([key for key, _ in ordered], [rid for _, rid in ordered])

    def add(self, record_id: int, moment: datetime | None) -> None:
        if moment is None:
            return
        key = instant(moment)
        position = bisect_right(self._keys, key)
        self._keys.insert(position, key)
        self._ids.insert(position, record_id)
        self._forget()

    def remove(self, record_id: int, moment: datetime | None) -> None:
        if moment is None:
            return
        key = instant(moment)
        position = bisect_left(self._keys, key)
        while position < len(self._keys) and self._keys[position] == key:
            if self._ids[position] == record_id:
                del self._keys[position]
                del self._ids[position]
                self._forget()
                return
            position += 1

    def _forget(self) -> None:
        if self._ascending:
            self._ascending = {}
            self._ascending_size = 0

    def range(self, after: datetime | None, before: datetime | None) -> list[int]:
        """Ids whose moment is strictly after ``after`` and strictly before ``before``, in
        the order of their moments."""
        low, high = self._positions(after, before)
        return self._ids[low:high]

    def ascending(self, after: datetime | None, before: datetime | None) -> list[int]:
        """The ids of ``range``, in ascending order; read-only. Kept per pair of positions
        until the next change: every moment between two neighbouring keys selects the same
        ids, so a client that sends a new timestamp on every request (``modified_after`` of
        its last sync) still finds them sorted."""
        positions = self._positions(after, before)
        ids = self._ascending.get(positions)
        if ids is None:
            low, high = positions
            ids = sorted(self._ids[low:high])
            if self._ascending_size + len(ids) > ASCENDING_BUDGET:
                self._forget()
            self._ascending[positions] = ids
            self._ascending_size += len(ids)
        return ids

    def _positions(self, after: datetime | None, before: datetime | None) -> tuple[int, int]:
        low = 0 if after is None else bisect_right(self._keys, instant(after))
        high = len(self._keys) if before is None else bisect_left(self._keys, instant(before))
        return low, max(low, high)

    def copy(self) -> SortedIndex:
        return SortedIndex(list(self._keys), list(self._ids))
