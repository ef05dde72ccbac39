"""The in-memory store: tenants, their records, indexes, and reset to the seeded snapshot.

One ``Store`` per server (moto's one-backend-per-service). Each tenant owns a ``Table`` of
customers and one of invoices, copied from the seeded snapshot on first use, so a reset or a
new tenant never regenerates data. A generated record is materialized from the dataset only
when asked for, and its encoded bytes are cached once for every tenant; a written record
lives in its tenant and its bytes are cached until it changes. Nothing here knows HTTP.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, Protocol, TypeVar

import msgspec

from .facts import CustomerFacts, InvoiceFacts, customer_facts, invoice_facts
from .indexes import HashIndex, SortedIndex
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


class Table(Generic[R, F]):
    """The records of one kind in one tenant, in id order, with their indexes."""

    def __init__(
        self,
        kind: TableKind[R, F],
        generated: Generated[R],
        facts: Iterable[F],
    ) -> None:
        self.kind: TableKind[R, F] = kind
        self.generated: Generated[R] = generated
        self.facts: dict[int, F] = {f.id: f for f in facts}
        self.ids: list[int] = sorted(self.facts)
        self.hashed = {
            name: HashIndex.build((f.id, keys(f)) for f in self.facts.values())
            for name, keys in kind.hashed.items()
        }
        self.ordered = {
            name: SortedIndex.build((moment(f), f.id) for f in self.facts.values())
            for name, moment in kind.ordered.items()
        }
        self._texts: dict[str, dict[int, Any]] = {}  # built per column on first use
        self.written: dict[int, R] = {}  # records written in this tenant, complete
        self._json: dict[int, bytes] = {}
        self._base_json: dict[int, bytes] = {}
        self.next_id = (self.ids[-1] if self.ids else 0) + 1
        # The ids a filter selected, by filter without paging: a client paging through one
        # query selects once. Any write forgets them all.
        self.selections: dict[Hashable, list[int]] = {}
        self._owned = True

    def copy(self) -> Table[R, F]:
        """A twin that shares every structure until its first write (copy-on-write): a new
        tenant costs nothing, whatever the size of the data."""
        twin = object.__new__(type(self))
        twin.__dict__.update(self.__dict__)
        twin._owned = False
        return twin

    def _own(self) -> None:
        """Before the first write: private copies of everything a write changes."""
        self.facts = dict(self.facts)
        self.ids = list(self.ids)
        self.hashed = {name: index.copy() for name, index in self.hashed.items()}
        self.ordered = {name: index.copy() for name, index in self.ordered.items()}
        self._texts = {name: dict(values) for name, values in self._texts.items()}
        self.written = dict(self.written)
        self._json = dict(self._json)
        self._base_json = dict(self._base_json)
        self.selections = {}
        self._owned = True

    def remember(self, key: Hashable, ids: list[int]) -> list[int]:
        """Keep a selection (``selections``) until the next write; bounded."""
        if len(self.selections) >= _SELECTIONS_KEPT:
            self.selections.clear()
        self.selections[key] = ids
        return ids

    def text(self, column: str) -> dict[int, Any]:
        """id -> the case-folded text of one substring column (a str, or a tuple of them)."""
        texts = self._texts.get(column)
        if texts is None:
            fold = self.kind.texts[column]
            texts = self._texts[column] = {f.id: fold(f) for f in self.facts.values()}
        return texts

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, record_id: int) -> bool:
        return record_id in self.facts

    def get(self, record_id: int) -> R | None:
        """The complete record, or None."""
        if record_id not in self.facts:
            return None
        record = self.written.get(record_id)
        return record if record is not None else self.generated.materialize(record_id)

    def json(self, record_id: int) -> bytes:
        """The record's encoded bytes (cached until the record changes)."""
        data = self._json.get(record_id)
        if data is None:
            if record_id in self.written:
                data = self._json[record_id] = encode(self.written[record_id])
            else:
                data = self.generated.json.get(record_id)
                if data is None:
                    record = self.generated.materialize(record_id)
                    data = self.generated.json[record_id] = encode(record)
        return data

    def many_json(self, record_ids: list[int], basic: bool = False) -> list[bytes]:
        """``json`` (or ``base_json``) of many records: the list routes' inner loop."""
        if basic:
            own, shared, one = self._base_json, self.generated.base_json, self.base_json
        else:
            own, shared, one = self._json, self.generated.json, self.json
        return [own.get(i) or shared.get(i) or one(i) for i in record_ids]

    def base_json(self, record_id: int) -> bytes:
        """The encoded basic fields (``/api/customers/base``), cached like ``json``."""
        data = self._base_json.get(record_id)
        if data is None:
            if record_id in self.written:
                data = self._base_json[record_id] = _base_bytes(self.written[record_id])
            else:
                data = self.generated.base_json.get(record_id)
                if data is None:
                    record = self.generated.materialize(record_id)
                    data = self.generated.base_json[record_id] = _base_bytes(record)
        return data

    def put(self, record: R) -> None:
        """Store a complete record (new or replacing), keeping every index in step."""
        if not self._owned:
            self._own()
        self.selections.clear()
        facts = self.kind.facts_of(record)
        record_id = facts.id
        old = self.facts.get(record_id)
        if old is not None:
            for name, keys in self.kind.hashed.items():
                self.hashed[name].remove(record_id, keys(old))
            for name, moment in self.kind.ordered.items():
                self.ordered[name].remove(record_id, moment(old))
        else:
            if self.ids and record_id < self.ids[-1]:
                insort(self.ids, record_id)
            else:
                self.ids.append(record_id)
            self.next_id = max(self.next_id, record_id + 1)
        self.facts[record_id] = facts
        for name, keys in self.kind.hashed.items():
            self.hashed[name].add(record_id, keys(facts))
        for name, moment in self.kind.ordered.items():
            self.ordered[name].add(record_id, moment(facts))
        for name, texts in self._texts.items():
            texts[record_id] = self.kind.texts[name](facts)
        self.written[record_id] = record
        # Encoded now, not on the next read: a written record's bytes must shadow the shared
        # bytes of the generated record it replaces (``many_json`` relies on it).
        self._json[record_id] = encode(record)
        self._base_json[record_id] = _base_bytes(record)


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
    """One isolated copy of the data (the ``Database`` a client logged in to)."""

    name: str
    customers: Table[Customer, CustomerFacts]
    invoices: Table[Invoice, InvoiceFacts]
    next_account_id: int
    next_customer_number: int
    clock: Callable[[], datetime] = field(default=_now)

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
        self.customers.put(record)
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
        self.customers.put(record)
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
        self.customers.put(record)
        return account

    def _own_children(self, record: Customer) -> Customer:
        record, self.next_account_id = own_children(record, self.next_account_id)
        return record


class Store:
    """Every tenant of one server, each a copy of one seeded snapshot."""

    DEFAULT_TENANT = "default"

    def __init__(self, dataset: Dataset, clock: Callable[[], datetime] = _now) -> None:
        self.dataset = dataset
        self.clock = clock
        self._snapshot_customers = Table(
            CUSTOMER_KIND, Generated(dataset.customer), dataset.customers
        )
        self._snapshot_invoices = Table(INVOICE_KIND, Generated(dataset.invoice), dataset.invoices)
        self._first_account_id = dataset.next_account_id
        self._first_customer_number = 1 + max(
            (f.number for f in dataset.customers if f.number is not None), default=10000
        )
        self.tenants: dict[str, Tenant] = {}

    def tenant(self, name: str = DEFAULT_TENANT) -> Tenant:
        """The tenant called ``name``, created from the snapshot on first use."""
        tenant = self.tenants.get(name)
        if tenant is None:
            tenant = self.tenants[name] = self._fresh(name)
        return tenant

    def _fresh(self, name: str) -> Tenant:
        return Tenant(
            name=name,
            customers=self._snapshot_customers.copy(),
            invoices=self._snapshot_invoices.copy(),
            next_account_id=self._first_account_id,
            next_customer_number=self._first_customer_number,
            clock=self.clock,
        )

    def reset(self, name: str | None = None) -> None:
        """Restore one tenant (or every tenant) to the seeded snapshot."""
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
