"""The tables of one kind of record: what the store's tenants read and write.

A ``SharedTable`` holds the seeded records of one kind once, for every tenant: their facts,
their indexes (hash keys, sortable moments, folded texts) and the encoded bytes of each
record, cached once. An ``Overlay`` is one tenant's view after its first write: the shared
table seen through the tenant's ``Changes`` (the records it wrote or removed, their facts and
bytes, and what each index must add or hide), so a write costs what it changed, never a copy.
Everything mutable of a tenant lives in its one ``Changes`` object: copy-on-write by
construction, with no list of attributes to keep in step. ``TableKind`` says, from facts,
what a kind indexes. Knows nothing of tenants, resets or HTTP (``mockserver.store``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import chain
from types import MappingProxyType
from typing import Any, Generic, Protocol, TypeVar, overload

from .facts import CustomerFacts, InvoiceFacts, customer_facts, invoice_facts
from .indexes import HashIndex, IdSet, SortedIndex, instant
from .models import (
    BASE_FIELDS,
    Customer,
    CustomerBase,
    Invoice,
    Model,
    encode,
)

R = TypeVar("R", bound=Model)
F = TypeVar("F", CustomerFacts, InvoiceFacts)


def _fold(value: str | None) -> str:
    """Case-folded text for substring filters; a null field folds to "" and never matches
    (a filter value is never empty: an empty query value counts as absent)."""
    return value.casefold() if value else ""


@dataclass(frozen=True)
class TableKind(Generic[R, F]):
    """What a table indexes, derived from facts: hash keys, sortable moments, folded texts."""

    facts_of: Callable[[R], F]
    hashed: dict[str, Callable[[F], Iterable[Hashable]]]
    ordered: dict[str, Callable[[F], datetime | None]]
    texts: dict[str, Callable[[F], Any]]  # a folded str, or a tuple of folded strs


CUSTOMER_KIND: TableKind[Customer, CustomerFacts] = TableKind(
    facts_of=customer_facts,
    hashed={
        "number": lambda f: (f.number,),
        "group": lambda f: (f.group,),
        "type": lambda f: (f.type,),
        "is_customer": lambda f: (bool(f.is_customer),),
        "is_supplier": lambda f: (bool(f.is_supplier),),
        "has_email": lambda f: (bool(f.email),),
        "attribute_ids": lambda f: f.attribute_ids,
    },
    ordered={"created": lambda f: f.created, "modified": lambda f: f.modified},
    texts={
        "name": lambda f: _fold(f.name),
        "searchname": lambda f: _fold(f.searchname),
        "email": lambda f: _fold(f.email),
        "phone": lambda f: _fold(f.phone),
        "vat": lambda f: _fold(f.vat),
        "contact_emails": lambda f: tuple(_fold(e) for e in f.contact_emails),
        "search": lambda f: tuple(
            _fold(v) for v in (f.name, f.name2, f.searchname, f.email, f.phone, f.vat, f.city)
        ),
    },
)

INVOICE_KIND: TableKind[Invoice, InvoiceFacts] = TableKind(
    facts_of=invoice_facts,
    hashed={
        "number": lambda f: (f.number,),
        "customer_number": lambda f: (f.customer_number,),
        "delivery_customer_number": lambda f: (f.delivery_customer_number,),
        "type": lambda f: (f.type,),
    },
    ordered={"date": lambda f: f.date, "modified_date": lambda f: f.modified_date},
    texts={
        "search": lambda f: tuple(
            _fold(v)
            for v in (
                f.customer_name,
                f.description,
                f.reference,
                f.our_reference,
                f.customer_reference,
            )
        ),
    },
)


class Generated(Generic[R]):
    """The generated records of one kind: materialized on demand, bytes cached for every
    tenant (generated records never change; a write replaces one inside its tenant)."""

    def __init__(self, materialize: Callable[[int], R]) -> None:
        self.materialize = materialize
        self.json: dict[int, bytes] = {}
        self.base_json: dict[int, bytes] = {}


def _base_bytes(record: Model) -> bytes:
    return encode(CustomerBase(**{name: getattr(record, name) for name in BASE_FIELDS}))


_SELECTIONS_KEPT = 512


class HashLookup(Protocol):
    """What the filters ask of an equality index."""

    def lookup(self, values: Sequence[Hashable]) -> IdSet: ...


class RangeLookup(Protocol):
    """What the filters ask of a date index (``SortedIndex``'s two questions)."""

    def range(self, after: datetime | None, before: datetime | None) -> Sequence[int]: ...
    def ascending(self, after: datetime | None, before: datetime | None) -> Sequence[int]: ...


_NO_TEXTS: Mapping[int, Any] = MappingProxyType({})


class Table(ABC, Generic[R, F]):
    """The records of one kind as one tenant sees them, in id order, with what the filters
    read: ``ids``, ``hashed`` and ``ordered`` indexes, folded ``texts``. Either the
    ``SharedTable`` every tenant starts from, or a tenant's ``Overlay`` over it."""

    kind: TableKind[R, F]
    hashed: Mapping[str, HashLookup]
    ordered: Mapping[str, RangeLookup]
    # The ids a filter selected, by filter without paging: a client paging through one
    # query selects once. Any write to the table forgets them all.
    selections: dict[Hashable, Sequence[int]]

    @property
    @abstractmethod
    def ids(self) -> Sequence[int]:
        """Every id, ascending (read-only)."""

    @property
    @abstractmethod
    def next_id(self) -> int:
        """The id a new record gets."""

    @abstractmethod
    def facts_of(self, record_id: int) -> F | None: ...

    @abstractmethod
    def texts(self, column: str) -> tuple[Mapping[int, Any], Mapping[int, Any]]:
        """id -> the case-folded text of one substring column (a str, or a tuple of them),
        as two layers: the shared table's, and this tenant's changed records' (which win)."""

    @abstractmethod
    def get(self, record_id: int) -> R | None:
        """The complete record, or None."""

    @abstractmethod
    def json(self, record_id: int) -> bytes:
        """The record's encoded bytes (cached until the record changes)."""

    @abstractmethod
    def base_json(self, record_id: int) -> bytes:
        """The encoded basic fields (``/api/customers/base``), cached like ``json``."""

    @abstractmethod
    def many_json(self, record_ids: Sequence[int], basic: bool = False) -> list[bytes]:
        """``json`` (or ``base_json``) of many records: the list routes' inner loop."""

    @abstractmethod
    def __len__(self) -> int: ...

    @abstractmethod
    def __contains__(self, record_id: int) -> bool: ...

    def remember(self, key: Hashable, ids: Sequence[int]) -> Sequence[int]:
        """Keep a selection (``selections``) until the next write; bounded."""
        if len(self.selections) >= _SELECTIONS_KEPT:
            self.selections.clear()
        self.selections[key] = ids
        return ids


class SharedTable(Table[R, F]):
    """The seeded records of one kind, shared by every tenant and never written: a tenant
    that writes gets an ``Overlay`` over it. Its caches (encoded bytes, folded texts,
    selections) depend only on the seeded data, so every tenant may fill and read them."""

    def __init__(self, kind: TableKind[R, F], generated: Generated[R], facts: Iterable[F]) -> None:
        self.kind = kind
        self.generated = generated
        self.facts: dict[int, F] = {f.id: f for f in facts}
        self._ids: list[int] = sorted(self.facts)
        self.hashed: dict[str, HashIndex] = {
            name: HashIndex.build((f.id, keys(f)) for f in self.facts.values())
            for name, keys in kind.hashed.items()
        }
        self.ordered: dict[str, SortedIndex] = {
            name: SortedIndex.build((moment(f), f.id) for f in self.facts.values())
            for name, moment in kind.ordered.items()
        }
        self._texts: dict[str, dict[int, Any]] = {}  # built per column on first use
        self._next_id = (self._ids[-1] if self._ids else 0) + 1
        self.selections = {}

    @property
    def ids(self) -> list[int]:
        return self._ids

    @property
    def next_id(self) -> int:
        return self._next_id

    def facts_of(self, record_id: int) -> F | None:
        return self.facts.get(record_id)

    def text(self, column: str) -> dict[int, Any]:
        """id -> the case-folded text of one column, for every seeded record."""
        texts = self._texts.get(column)
        if texts is None:
            fold = self.kind.texts[column]
            texts = self._texts[column] = {f.id: fold(f) for f in self.facts.values()}
        return texts

    def texts(self, column: str) -> tuple[Mapping[int, Any], Mapping[int, Any]]:
        return self.text(column), _NO_TEXTS

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, record_id: int) -> bool:
        return record_id in self.facts

    def get(self, record_id: int) -> R | None:
        if record_id not in self.facts:
            return None
        return self.generated.materialize(record_id)

    def json(self, record_id: int) -> bytes:
        data = self.generated.json.get(record_id)
        if data is None:
            record = self.generated.materialize(record_id)
            data = self.generated.json[record_id] = encode(record)
        return data

    def base_json(self, record_id: int) -> bytes:
        data = self.generated.base_json.get(record_id)
        if data is None:
            record = self.generated.materialize(record_id)
            data = self.generated.base_json[record_id] = _base_bytes(record)
        return data

    def many_json(self, record_ids: Sequence[int], basic: bool = False) -> list[bytes]:
        if basic:
            shared, one = self.generated.base_json, self.base_json
        else:
            shared, one = self.generated.json, self.json
        return [shared.get(i) or one(i) for i in record_ids]


class Changes(Generic[R, F]):
    """Everything one tenant changed in one table, and nothing else: the records it wrote,
    their facts and bytes, and what the shared indexes need to see those records as they
    are now. The one mutable object of an ``Overlay``, made empty for each tenant, so no
    structure is ever shared between two tenants or with the seeded table."""

    def __init__(self, kind: TableKind[R, F], next_id: int) -> None:
        self.facts: dict[int, F] = {}  # id -> current facts of every written record
        self.written: dict[int, R] = {}
        self.json: dict[int, bytes] = {}
        self.base_json: dict[int, bytes] = {}
        self.added: list[int] = []  # ids the shared table lacks, ascending
        self.next_id = next_id
        # hash index -> value -> written ids that hold it now
        self.values: dict[str, dict[Hashable, set[int]]] = {name: {} for name in kind.hashed}
        # date index -> written id -> its moment now, and in the shared table (as ``instant``)
        self.moments: dict[str, Moments] = {name: Moments() for name in kind.ordered}
        self.shared_moments: dict[str, Moments] = {name: Moments() for name in kind.ordered}
        self.texts: dict[str, dict[int, Any]] = {}  # column -> written id -> folded text
        self.selections: dict[Hashable, Sequence[int]] = {}
        self.sorted_ids: list[int] | None = None  # when an added id falls inside the shared
        self.removed: set[int] = set()  # shared ids this tenant deleted (``Overlay.remove``)


def _instant(moment: datetime | None) -> int | None:
    return None if moment is None else instant(moment)


class Moments:
    """Written ids and their moments (as ``instant``; None: no moment), also kept sorted, so
    that a date range finds the written ids inside it by bisection, however many a tenant
    wrote (a range query must not cost a walk over every write)."""

    __slots__ = ("by_id", "keys")

    def __init__(self) -> None:
        self.by_id: dict[int, int | None] = {}
        self.keys: list[tuple[int, int]] = []  # (moment, id), ascending; no None moments

    def __contains__(self, record_id: int) -> bool:
        return record_id in self.by_id

    def set(self, record_id: int, key: int | None) -> None:
        self.discard(record_id)
        self.by_id[record_id] = key
        if key is not None:
            insort(self.keys, (key, record_id))

    def discard(self, record_id: int) -> None:
        if record_id not in self.by_id:
            return
        key = self.by_id.pop(record_id)
        if key is not None:
            keys = self.keys
            del keys[bisect_left(keys, (key, record_id))]

    def inside(self, low: int | None, high: int | None) -> list[int]:
        """The ids whose moment is strictly after ``low`` and strictly before ``high``."""
        keys = self.keys
        start = 0 if low is None else bisect_right(keys, (low, _MAX_ID))
        end = len(keys) if high is None else bisect_left(keys, (high, _MIN_ID))
        return [record_id for _, record_id in keys[start:end]]


_MAX_ID, _MIN_ID = 2**63, -(2**63)  # beyond every id: bounds for bisecting (moment, id) pairs


class _ChangedHash:
    """A shared equality index as one tenant sees it: the shared ids holding the values,
    less this tenant's written records, plus those of them that hold the values now."""

    __slots__ = ("_changes", "_shared", "_values")

    def __init__(self, shared: HashIndex, changes: Changes[Any, Any], name: str) -> None:
        self._shared = shared
        self._changes = changes
        self._values = changes.values[name]

    def lookup(self, values: Sequence[Hashable]) -> IdSet:
        found = self._shared.lookup(values)
        written = self._changes.facts.keys()
        removed = self._changes.removed
        holding = self._values
        now = [holding[v] for v in values if v in holding]
        if written.isdisjoint(found) and (not removed or removed.isdisjoint(found)):
            if not now:  # ``isdisjoint`` walks the smaller side
                return found
            result = set(found)
        else:
            result = set(found)
            result.difference_update(written)
            result.difference_update(removed)
        for ids in now:
            result |= ids
        return result


class _ChangedRange:
    """A shared date index as one tenant sees it (see ``_ChangedHash``)."""

    __slots__ = ("_moments", "_shared", "_shared_moments")

    def __init__(self, shared: SortedIndex, changes: Changes[Any, Any], name: str) -> None:
        self._shared = shared
        self._moments = changes.moments[name]
        self._shared_moments = changes.shared_moments[name]

    def _delta(self, after: datetime | None, before: datetime | None) -> tuple[set[int], list[int]]:
        """The written ids the shared index puts in the range, and those in it now."""
        low, high = _instant(after), _instant(before)
        return set(self._shared_moments.inside(low, high)), self._moments.inside(low, high)

    def range(self, after: datetime | None, before: datetime | None) -> Sequence[int]:
        ids = self._shared.range(after, before)
        gone, now = self._delta(after, before)
        if gone:
            ids = [i for i in ids if i not in gone]
        return ids + now if now else ids

    def ascending(self, after: datetime | None, before: datetime | None) -> Sequence[int]:
        ids = self._shared.ascending(after, before)  # the shared index's own list: read-only
        gone, now = self._delta(after, before)
        if not gone and not now:
            return ids
        kept = [i for i in ids if i not in gone]
        if now:
            kept += sorted(now)
            kept.sort()  # two ascending runs: merged in linear time
        return kept


class JoinedIds(Sequence[int]):
    """The shared ids followed by a tenant's added ids (all larger): every id, ascending,
    without copying the shared list."""

    __slots__ = ("_head", "_tail")

    def __init__(self, head: list[int], tail: list[int]) -> None:
        self._head = head
        self._tail = tail

    def __len__(self) -> int:
        return len(self._head) + len(self._tail)

    def __iter__(self) -> Iterator[int]:
        return chain(self._head, self._tail)

    @overload
    def __getitem__(self, index: int) -> int: ...
    @overload
    def __getitem__(self, index: slice) -> list[int]: ...
    def __getitem__(self, index: int | slice) -> int | list[int]:
        head, tail = self._head, self._tail
        split = len(head)
        if isinstance(index, slice):
            start, stop, step = index.indices(split + len(tail))
            if step != 1:
                return list(self)[index]
            if stop <= split:
                return head[start:stop]
            if start >= split:
                return tail[start - split : stop - split]
            return head[start:] + tail[: stop - split]
        if index < 0:
            index += split + len(tail)
        if 0 <= index < split:
            return head[index]
        if split <= index < split + len(tail):
            return tail[index - split]
        raise IndexError("id index out of range")

    def __contains__(self, value: object) -> bool:
        return value in self._tail or value in self._head


class Overlay(Table[R, F]):
    """One tenant's table once it has written: the shared table seen through its
    ``Changes``. A first write costs what it changed, whatever the size of the data; every
    read answers exactly what a private copy of the table would."""

    def __init__(self, shared: SharedTable[R, F]) -> None:
        self.shared: SharedTable[R, F] = shared
        self.kind = shared.kind
        self.changes: Changes[R, F] = Changes(shared.kind, shared.next_id)
        self.hashed = {
            name: _ChangedHash(index, self.changes, name) for name, index in shared.hashed.items()
        }
        self.ordered = {
            name: _ChangedRange(index, self.changes, name) for name, index in shared.ordered.items()
        }
        self.selections = self.changes.selections

    @property
    def ids(self) -> Sequence[int]:
        changes = self.changes
        shared = self.shared.ids
        removed = changes.removed
        if not changes.added and not removed:
            return shared
        if not removed and (not shared or changes.added[0] > shared[-1]):
            return JoinedIds(shared, changes.added)
        if changes.sorted_ids is None:  # an added id among the shared ones, or a deleted
            # shared one: a copy, kept until the next change
            kept = [i for i in shared if i not in removed] if removed else shared
            changes.sorted_ids = sorted(chain(kept, changes.added))
        return changes.sorted_ids

    @property
    def next_id(self) -> int:
        return self.changes.next_id

    def facts_of(self, record_id: int) -> F | None:
        facts = self.changes.facts.get(record_id)
        if facts is not None or record_id in self.changes.removed:
            return facts
        return self.shared.facts.get(record_id)

    def texts(self, column: str) -> tuple[Mapping[int, Any], Mapping[int, Any]]:
        changes = self.changes
        mine = changes.texts.get(column)
        if mine is None:
            fold = self.kind.texts[column]
            mine = changes.texts[column] = {i: fold(f) for i, f in changes.facts.items()}
        return self.shared.text(column), mine

    def __len__(self) -> int:
        return len(self.shared) - len(self.changes.removed) + len(self.changes.added)

    def __contains__(self, record_id: int) -> bool:
        changes = self.changes
        return record_id in changes.facts or (
            record_id in self.shared and record_id not in changes.removed
        )

    def get(self, record_id: int) -> R | None:
        record = self.changes.written.get(record_id)
        if record is not None or record_id in self.changes.removed:
            return record
        return self.shared.get(record_id)

    def json(self, record_id: int) -> bytes:
        data = self.changes.json.get(record_id)
        return data if data is not None else self.shared.json(record_id)

    def base_json(self, record_id: int) -> bytes:
        data = self.changes.base_json.get(record_id)
        return data if data is not None else self.shared.base_json(record_id)

    def many_json(self, record_ids: Sequence[int], basic: bool = False) -> list[bytes]:
        mine = self.changes.base_json if basic else self.changes.json
        if mine.keys().isdisjoint(record_ids):
            return self.shared.many_json(record_ids, basic)
        one = self.shared.base_json if basic else self.shared.json
        return [mine.get(i) or one(i) for i in record_ids]

    def put(self, record: R) -> None:
        """Store a complete record (new or replacing) in this tenant, keeping what every
        index sees in step."""
        kind, changes = self.kind, self.changes
        facts = kind.facts_of(record)
        record_id = facts.id
        previous = changes.facts.get(record_id)
        if previous is not None:  # written before: forget what it held then
            self._forget_values(record_id, previous)
        else:
            if record_id in changes.removed:  # a deleted seeded record written again
                changes.removed.discard(record_id)
                changes.sorted_ids = None
            shared = self.shared.facts.get(record_id)
            if shared is None:  # a new record
                if changes.added and record_id < changes.added[-1]:
                    insort(changes.added, record_id)
                else:
                    changes.added.append(record_id)
                changes.sorted_ids = None
                changes.next_id = max(changes.next_id, record_id + 1)
            else:
                for name, moment in kind.ordered.items():
                    shared_moments = changes.shared_moments[name]
                    if record_id not in shared_moments:
                        shared_moments.set(record_id, _instant(moment(shared)))
        for name, keys in kind.hashed.items():
            holding = changes.values[name]
            for value in keys(facts):
                ids = holding.get(value)
                if ids is None:
                    holding[value] = {record_id}
                else:
                    ids.add(record_id)
        for name, moment in kind.ordered.items():
            changes.moments[name].set(record_id, _instant(moment(facts)))
        changes.facts[record_id] = facts
        for column, texts in changes.texts.items():
            texts[record_id] = kind.texts[column](facts)
        changes.written[record_id] = record
        # Encoded now, not on the next read: a written record's bytes must shadow the shared
        # bytes of the seeded record it replaces (``many_json`` relies on it).
        changes.json[record_id] = encode(record)
        if isinstance(record, Customer):  # only customers have a basic view
            changes.base_json[record_id] = _base_bytes(record)
        changes.selections.clear()

    def remove(self, record_id: int) -> bool:
        """Delete a record from this tenant: no read, list or index sees it any more, and its
        id is never given again (``next_id`` stays). False if the tenant holds no such record."""
        if record_id not in self:
            return False
        kind, changes = self.kind, self.changes
        previous = changes.facts.pop(record_id, None)
        if previous is not None:
            self._forget_values(record_id, previous)
            changes.written.pop(record_id, None)
            changes.json.pop(record_id, None)
            changes.base_json.pop(record_id, None)
            for texts in changes.texts.values():
                texts.pop(record_id, None)
        for moments in changes.moments.values():
            moments.discard(record_id)
        shared = self.shared.facts.get(record_id)
        if shared is not None:  # the shared indexes still hold it: hidden from now on
            changes.removed.add(record_id)
            for name, moment in kind.ordered.items():
                if record_id not in changes.shared_moments[name]:
                    changes.shared_moments[name].set(record_id, _instant(moment(shared)))
        else:
            changes.added.remove(record_id)
        changes.sorted_ids = None
        changes.selections.clear()
        return True

    def _forget_values(self, record_id: int, facts: F) -> None:
        """Take a written record out of this tenant's hash index values."""
        for name, keys in self.kind.hashed.items():
            holding = self.changes.values[name]
            for value in keys(facts):
                ids = holding.get(value)
                if ids is not None:
                    ids.discard(record_id)
                    if not ids:
                        del holding[value]
