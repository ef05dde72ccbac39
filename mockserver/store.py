"""The in-memory store: tenants, their records, indexes, and reset to the seeded snapshot.

One ``Store`` per server (moto's one-backend-per-service). The seeded records of each kind
live once, in a ``SharedTable`` every tenant reads directly; a generated record is
materialized from the dataset only when asked for, and its encoded bytes are cached once
for every tenant. A tenant's first write gives it an ``Overlay``: the shared table seen
through the tenant's ``Changes`` (the records it wrote, their facts and bytes, and what
each index must add or hide), so a write costs what it changed, never a copy of a table,
and no two tenants ever share anything mutable. A reset forgets a tenant; nothing is
regenerated. Nothing here knows HTTP.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from bisect import insort
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import chain
from types import MappingProxyType
from typing import Any, Generic, Protocol, TypeVar, overload

import msgspec

from .facts import CustomerFacts, InvoiceFacts, customer_facts, invoice_facts
from .indexes import HashIndex, IdSet, SortedIndex, instant
from .models import (
    BASE_FIELDS,
    Customer,
    CustomerAccount,
    CustomerBase,
    Invoice,
    Model,
    complete,
    encode,
    given_fields,
)


class Dataset(Protocol):
    """Where a store's seeded records come from: facts up front, records on demand."""

    seed: int
    reference_date: datetime
    customers: list[CustomerFacts]
    invoices: list[InvoiceFacts]
    next_account_id: int

    def customer(self, record_id: int) -> Customer: ...
    def invoice(self, record_id: int) -> Invoice: ...


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
        self.moments: dict[str, dict[int, int | None]] = {name: {} for name in kind.ordered}
        self.shared_moments: dict[str, dict[int, int | None]] = {name: {} for name in kind.ordered}
        self.texts: dict[str, dict[int, Any]] = {}  # column -> written id -> folded text
        self.selections: dict[Hashable, Sequence[int]] = {}
        self.sorted_ids: list[int] | None = None  # when an added id falls inside the shared


def _instant(moment: datetime | None) -> int | None:
    return None if moment is None else instant(moment)


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
        holding = self._values
        now = [holding[v] for v in values if v in holding]
        if written.isdisjoint(found):  # walks the smaller side
            if not now:
                return found
            result = set(found)
        else:
            result = set(found)
            result.difference_update(written)
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

        def inside(key: int | None) -> bool:
            return key is not None and (low is None or key > low) and (high is None or key < high)

        gone = {i for i, key in self._shared_moments.items() if inside(key)}
        now = [i for i, key in self._moments.items() if inside(key)]
        return gone, now

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
        if not changes.added:
            return shared
        if not shared or changes.added[0] > shared[-1]:
            return JoinedIds(shared, changes.added)
        if changes.sorted_ids is None:  # an added id among the shared ones: a copy, kept
            changes.sorted_ids = sorted(chain(shared, changes.added))
        return changes.sorted_ids

    @property
    def next_id(self) -> int:
        return self.changes.next_id

    def facts_of(self, record_id: int) -> F | None:
        facts = self.changes.facts.get(record_id)
        return facts if facts is not None else self.shared.facts.get(record_id)

    def texts(self, column: str) -> tuple[Mapping[int, Any], Mapping[int, Any]]:
        changes = self.changes
        mine = changes.texts.get(column)
        if mine is None:
            fold = self.kind.texts[column]
            mine = changes.texts[column] = {i: fold(f) for i, f in changes.facts.items()}
        return self.shared.text(column), mine

    def __len__(self) -> int:
        return len(self.shared) + len(self.changes.added)

    def __contains__(self, record_id: int) -> bool:
        return record_id in self.changes.facts or record_id in self.shared

    def get(self, record_id: int) -> R | None:
        record = self.changes.written.get(record_id)
        return record if record is not None else self.shared.get(record_id)

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
            for name, keys in kind.hashed.items():
                holding = changes.values[name]
                for value in keys(previous):
                    ids = holding.get(value)
                    if ids is not None:
                        ids.discard(record_id)
                        if not ids:
                            del holding[value]
        else:
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
                    changes.shared_moments[name][record_id] = _instant(moment(shared))
        for name, keys in kind.hashed.items():
            holding = changes.values[name]
            for value in keys(facts):
                ids = holding.get(value)
                if ids is None:
                    holding[value] = {record_id}
                else:
                    ids.add(record_id)
        for name, moment in kind.ordered.items():
            changes.moments[name][record_id] = _instant(moment(facts))
        changes.facts[record_id] = facts
        for column, texts in changes.texts.items():
            texts[record_id] = kind.texts[column](facts)
        changes.written[record_id] = record
        # Encoded now, not on the next read: a written record's bytes must shadow the shared
        # bytes of the seeded record it replaces (``many_json`` relies on it).
        changes.json[record_id] = encode(record)
        changes.base_json[record_id] = _base_bytes(record)
        changes.selections.clear()


def own_children(record: Customer, next_account_id: int) -> tuple[Customer, int]:
    """Point the customer's contacts, accounts and circulations at it, and give accounts
    without an id one (from ``next_account_id``), as the real system does on save. Answers
    the record and the next free account id."""
    cid = record.id
    contacts = [
        c if c.customer_id == cid else msgspec.structs.replace(c, customer_id=cid)
        for c in record.contacts or []
    ]
    accounts = []
    for account in record.accounts or []:
        changes: dict[str, Any] = {}
        if account.customer_id != cid:
            changes["customer_id"] = cid
        if account.account_id is None:
            changes["account_id"] = next_account_id
            next_account_id += 1
        accounts.append(msgspec.structs.replace(account, **changes) if changes else account)
    circulations = [
        c if c.customer_id == cid else msgspec.structs.replace(c, customer_id=cid)
        for c in record.circulations or []
    ]
    replaced = msgspec.structs.replace(
        record, contacts=contacts, accounts=accounts, circulations=circulations
    )
    return replaced, next_account_id


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass
class Tenant:
    """One isolated view of the data (the ``Database`` a client logged in to): the shared
    tables until its first write, then its own ``Overlay`` over them."""

    name: str
    customers: Table[Customer, CustomerFacts]
    invoices: Table[Invoice, InvoiceFacts]
    next_account_id: int
    next_customer_number: int
    clock: Callable[[], datetime] = field(default=_now)
    writes: int = 0  # records written
    last_active: float = field(default_factory=time.time)  # wall-clock seconds

    def _write(self, record: Customer) -> None:
        table = self.customers
        if not isinstance(table, Overlay):
            assert isinstance(table, SharedTable), "a tenant starts on the shared table"
            table = self.customers = Overlay(table)
        table.put(record)
        self.writes += 1

    def create_customer(self, body: Customer) -> Customer:
        """Store a new customer: the server assigns ``id``, ``number`` and the timestamps."""
        customer_id = self.customers.next_id
        number = self.next_customer_number
        self.next_customer_number += 1
        now = self.clock()
        record = complete(
            msgspec.structs.replace(
                body,
                id=customer_id,
                number=number,
                created=now,
                modified=now,
                open_invoice_sum=0.0,
                due_invoice_sum=0.0,
            )
        )
        record = self._own_children(record)
        self._write(record)
        return record

    def update_customer(self, customer_id: int, body: Customer) -> Customer | None:
        """Merge the given fields into the stored customer; None if there is none."""
        stored = self.customers.get(customer_id)
        if stored is None:
            return None
        changes = given_fields(body)
        for fixed in ("id", "number", "created", "open_invoice_sum", "due_invoice_sum"):
            changes.pop(fixed, None)
        changes["modified"] = self.clock()
        record = complete(msgspec.structs.replace(stored, **changes))
        record = self._own_children(record)
        self._write(record)
        return record

    def add_account(self, customer_id: int, body: CustomerAccount) -> CustomerAccount | None:
        """Append a bank account to a customer; None if the customer is absent."""
        stored = self.customers.get(customer_id)
        if stored is None:
            return None
        account = complete(
            msgspec.structs.replace(body, account_id=self.next_account_id, customer_id=customer_id)
        )
        self.next_account_id += 1
        record = msgspec.structs.replace(
            stored, accounts=[*(stored.accounts or []), account], modified=self.clock()
        )
        self._write(record)
        return account

    def _own_children(self, record: Customer) -> Customer:
        record, self.next_account_id = own_children(record, self.next_account_id)
        return record


class TenantLimitError(Exception):
    """Creating one more tenant would pass the server's limit (``--max-tenants``)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the server holds its maximum of {limit} tenants")
        self.limit = limit


class Store:
    """Every tenant of one server, each a view of one seeded snapshot."""

    DEFAULT_TENANT = "default"

    def __init__(self, dataset: Dataset, clock: Callable[[], datetime] = _now) -> None:
        self.dataset = dataset
        self.clock = clock
        self._shared_customers = SharedTable(
            CUSTOMER_KIND, Generated(dataset.customer), dataset.customers
        )
        self._shared_invoices = SharedTable(
            INVOICE_KIND, Generated(dataset.invoice), dataset.invoices
        )
        self._first_account_id = dataset.next_account_id
        self._first_customer_number = 1 + max(
            (f.number for f in dataset.customers if f.number is not None), default=10000
        )
        self.tenants: dict[str, Tenant] = {}

    def tenant(self, name: str = DEFAULT_TENANT, limit: int = 0) -> Tenant:
        """The tenant called ``name``, created on first use (it costs nothing until it
        writes); ``TenantLimitError`` if that would make more than ``limit`` (0: no limit)."""
        tenant = self.tenants.get(name)
        if tenant is None:
            if limit and len(self.tenants) >= limit:
                raise TenantLimitError(limit)
            tenant = self.tenants[name] = self._fresh(name)
        else:
            tenant.last_active = time.time()
        return tenant

    def _fresh(self, name: str) -> Tenant:
        return Tenant(
            name=name,
            customers=self._shared_customers,
            invoices=self._shared_invoices,
            next_account_id=self._first_account_id,
            next_customer_number=self._first_customer_number,
            clock=self.clock,
        )

    def reset(self, name: str | None = None) -> None:
        """Restore one tenant (or every tenant) to the seeded snapshot: forget it (them)."""
        if name is None:
            self.tenants.clear()
        else:
            self.tenants.pop(name, None)


class RecordDataset:
    """A dataset of exactly these records (a scenario's ``replace: true``, tests' own data):
    the same interface as a generated ``Dataset``."""

    def __init__(
        self,
        customers: Iterable[Customer],
        invoices: Iterable[Invoice],
        seed: int = 0,
        reference_date: datetime | None = None,
    ) -> None:
        self.seed = seed
        self.reference_date = reference_date or datetime(2025, 7, 1, tzinfo=UTC)
        self._customers = {c.id: complete(c) for c in sorted(customers, key=_id)}
        self._invoices = {i.id: complete(i) for i in sorted(invoices, key=_id)}
        self.customers = [customer_facts(c) for c in self._customers.values()]
        self.invoices = [invoice_facts(i) for i in self._invoices.values()]
        account_ids = [
            a.account_id
            for c in self._customers.values()
            for a in c.accounts or []
            if isinstance(a.account_id, int)
        ]
        self.next_account_id = max(account_ids, default=0) + 1

    def customer(self, record_id: int) -> Customer:
        return self._customers[record_id]

    def invoice(self, record_id: int) -> Invoice:
        return self._invoices[record_id]


def _id(record: Customer | Invoice) -> int:
    return record.id if isinstance(record.id, int) else 0
