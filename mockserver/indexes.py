"""The two index shapes the filters need: hash maps for equality, sorted keys for ranges."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Hashable, Iterable
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def instant(moment: datetime) -> int:
    """Exact microseconds since the epoch: an order-preserving key without float rounding."""
    return (moment - _EPOCH) // _MICROSECOND


class HashIndex:
    """value -> ids holding it; a record may hold several values (attribute ids)."""

    __slots__ = ("_ids",)

    def __init__(self, ids: dict[Hashable, set[int]] | None = None) -> None:
        self._ids: dict[Hashable, set[int]] = ids if ids is not None else {}

    def add(self, record_id: int, values: Iterable[Hashable]) -> None:
        for value in values:
            bucket = self._ids.get(value)
            if bucket is None:
                self._ids[value] = {record_id}
            else:
                bucket.add(record_id)

    def remove(self, record_id: int, values: Iterable[Hashable]) -> None:
        for value in values:
            bucket = self._ids.get(value)
            if bucket is not None:
                bucket.discard(record_id)
                if not bucket:
                    del self._ids[value]

    def lookup(self, values: Iterable[Hashable]) -> set[int]:
        """Ids holding any of ``values``."""
        found: set[int] = set()
        for value in values:
            bucket = self._ids.get(value)
            if bucket:
                found |= bucket
        return found

    def copy(self) -> HashIndex:
        return HashIndex({value: set(ids) for value, ids in self._ids.items()})


class SortedIndex:
    """(moment, id) pairs in order; ``range`` answers strictly-before / strictly-after."""

    __slots__ = ("_ids", "_keys")

    def __init__(self, keys: list[int] | None = None, ids: list[int] | None = None) -> None:
        self._keys: list[int] = keys if keys is not None else []
        self._ids: list[int] = ids if ids is not None else []

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

    def remove(self, record_id: int, moment: datetime | None) -> None:
        if moment is None:
            return
        key = instant(moment)
        position = bisect_left(self._keys, key)
        while position < len(self._keys) and self._keys[position] == key:
            if self._ids[position] == record_id:
                del self._keys[position]
                del self._ids[position]
                return
            position += 1

    def range(self, after: datetime | None, before: datetime | None) -> set[int]:
        """Ids whose moment is strictly after ``after`` and strictly before ``before``."""
        low = 0 if after is None else bisect_right(self._keys, instant(after))
        high = len(self._keys) if before is None else bisect_left(self._keys, instant(before))
        return set(self._ids[low:high]) if low < high else set()

    def copy(self) -> SortedIndex:
        return SortedIndex(list(self._keys), list(self._ids))
