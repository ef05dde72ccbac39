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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import msgspec

from .facts import CustomerFacts, InvoiceFacts, customer_facts, invoice_facts
from .models import (
    Customer,
    CustomerAccount,
    Invoice,
    SalesOrder,
    complete,
    given_fields,
)
from .replay import READ_ONLY
from .tables import (
    CUSTOMER_KIND,
    INVOICE_KIND,
    Generated,
    Overlay,
    SharedTable,
    Table,
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


def sales_orders(dataset: object) -> Mapping[int, SalesOrder]:
    """The sales orders a dataset holds, complete, by ``number``: only those a scenario's
    records give (``orders`` of a ``RecordDataset`` or ``record_overlay.OverlayDataset``); generated
    data hold none. Read-only: whether a tenant has invoiced one is the tenant's
    (``mockserver.books``)."""
    orders = getattr(dataset, "orders", None)
    return orders if isinstance(orders, Mapping) else {}


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
    # The next free numbers and ids this tenant gives, by kind (``mockserver.books`` keeps
    # the invoices' numbers and their rows', payments' and links' ids here).
    counters: dict[str, int] = field(default_factory=dict)
    last_active: float = field(default_factory=time.time)  # wall-clock seconds
    # The seeded snapshot it views, and its state of the customers' sub-resources
    # (transactions, new sub-record ids: ``mockserver.customer_parts``), made on first use.
    dataset: Dataset | None = None
    parts: Any = None

    def _write(self, record: Customer) -> None:
        table = self.customers
        if not isinstance(table, Overlay):
            assert isinstance(table, SharedTable), "a tenant starts on the shared table"
            table = self.customers = Overlay(table)
        table.put(record)
        self.writes += 1

    def write_customer(self, record: Customer) -> None:
        """Store a complete customer record in this tenant (its ``Overlay``), as every
        write of a customer or of one of its sub-records does."""
        self._write(record)

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


_LENT_KEPT = 256

# A tenant's stamping clock, made from its name and the store's real-time clock.
ClockFor = Callable[[str, Callable[[], datetime]], Callable[[], datetime]]


class TenantLimitError(Exception):
    """Creating one more tenant would pass the server's limit (``--max-tenants``)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the server holds its maximum of {limit} tenants")
        self.limit = limit


class Store:
    """Every tenant of one server, each a view of one seeded snapshot."""

    DEFAULT_TENANT = "default"

    def __init__(
        self,
        dataset: Dataset,
        clock: Callable[[], datetime] = _now,
        clock_for: ClockFor | None = None,
    ) -> None:
        self.dataset = dataset
        self.clock = clock
        # Each tenant's own clock (``mockserver.clock.Clocks.stamper``), given ``clock`` as its
        # real time; None: every tenant stamps with ``clock``.
        self.clock_for = clock_for
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
        # Tenants first seen by a fleet's plain read (``replay.READ_ONLY``): lent for the
        # request, not kept (a few hundred at most), so that only the changes every process
        # applies make tenants, and every process of a fleet holds the same ones.
        self._lent: dict[str, Tenant] = {}

    def tenant(self, name: str = DEFAULT_TENANT, limit: int = 0) -> Tenant:
        """The tenant called ``name``, created on first use (it costs nothing until it
        writes); ``TenantLimitError`` if that would make more than ``limit`` (0: no limit)."""
        tenant = self.tenants.get(name)
        if tenant is None:
            if limit and len(self.tenants) >= limit:
                raise TenantLimitError(limit)
            if READ_ONLY.get():
                return self._lend(name)
            self._lent.pop(name, None)  # kept from now on: a lent copy would go stale
            tenant = self.tenants[name] = self._fresh(name)
        else:
            tenant.last_active = time.time()
        return tenant

    def _lend(self, name: str) -> Tenant:
        """A tenant nobody changed, for one read: the same object for the next reads (its
        caches, its generated sub-resources), until it is kept or too many are lent."""
        tenant = self._lent.get(name)
        if tenant is None:
            if len(self._lent) >= _LENT_KEPT:
                self._lent.clear()
            tenant = self._lent[name] = self._fresh(name)
        return tenant

    def _fresh(self, name: str) -> Tenant:
        return Tenant(
            name=name,
            customers=self._shared_customers,
            invoices=self._shared_invoices,
            next_account_id=self._first_account_id,
            next_customer_number=self._first_customer_number,
            clock=self.clock if self.clock_for is None else self.clock_for(name, self.clock),
            dataset=self.dataset,
        )

    def reset(self, name: str | None = None) -> None:
        """Restore one tenant (or every tenant) to the seeded snapshot: forget it (them)."""
        if name is None:
            self.tenants.clear()
            self._lent.clear()
        else:
            self.tenants.pop(name, None)
            self._lent.pop(name, None)


class RecordDataset:
    """A dataset of exactly these records (a scenario's ``replace: true``, tests' own data):
    the same interface as a generated ``Dataset``, and the sales orders ``orders`` (by
    number; each needs one) that ``POST /api/invoices/order/{number}`` invoices."""

    def __init__(
        self,
        customers: Iterable[Customer],
        invoices: Iterable[Invoice],
        seed: int = 0,
        reference_date: datetime | None = None,
        orders: Iterable[SalesOrder] = (),
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
        self.orders: dict[int, SalesOrder] = {
            o.number: complete(o) for o in orders if isinstance(o.number, int)
        }

    def customer(self, record_id: int) -> Customer:
        return self._customers[record_id]

    def invoice(self, record_id: int) -> Invoice:
        return self._invoices[record_id]


def _id(record: Customer | Invoice) -> int:
    return record.id if isinstance(record.id, int) else 0
