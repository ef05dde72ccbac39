"""The generated register: ``generate(seed, customers, invoices)`` and its ``Dataset``.

Generating runs only the records' cores: every customer's, then every invoice's, and keeps their
facts (what filters read) and a few numbers per customer (open and due sums, payment term,
first contact). ``Dataset.customer(id)`` / ``Dataset.invoice(id)`` run a record's core again and
then its remaining draws, so the facts reported at generation are, by construction, those of
the record built later. Knows the order in which cores are drawn and how a record is rebuilt
alone; knows nothing of HTTP, of the store or of writes.
"""

from __future__ import annotations

import random
from array import array

from ..facts import CustomerFacts, InvoiceFacts
from ..models import INT32_MAX, Customer, Invoice
from .catalogues import (
    CUSTOMER_NUMBER_BASE,
    INVOICE_NUMBER_BASE,
    MAX_ACCOUNTS,
    MAX_CONTACTS,
    MAX_ROWS,
)
from .customer_records import customer_record
from .customers import customer_core
from .draws import INVOICE_BLOCK, KIND_INVOICE, KIND_INVOICE_DETAIL, record_rng
from .invoice_records import invoice_record
from .invoices import CustomerIndex, InvoiceCore, invoice_core
from .pools import value_pools
from .timeline import DAYS, REFERENCE_DATE, seconds


class Dataset:
    """A generated register: facts of every record, full records on demand."""

    __slots__ = (
        "_due",
        "_index",
        "_open",
        "_pools",
        "customers",
        "invoices",
        "next_account_id",
        "reference_date",
        "seed",
    )

    def __init__(self, seed: int, customers: int, invoices: int) -> None:
        if customers < 0 or invoices < 0:
            raise ValueError("customers and invoices must not be negative")
        if customers == 0 and invoices > 0:
            raise ValueError("invoices need at least one customer")
        if customers > (INT32_MAX - CUSTOMER_NUMBER_BASE) // MAX_CONTACTS:
            raise ValueError("too many customers for int32 identifiers")
        if invoices > (INT32_MAX - INVOICE_NUMBER_BASE) // MAX_ROWS:
            raise ValueError("too many invoices for int32 identifiers")
        self.seed = seed
        self.reference_date = REFERENCE_DATE
        # Account ids are global, (customer id - 1) * 2 + 1.. : the next free one for writes.
        self.next_account_id = customers * MAX_ACCOUNTS + 1
        self._pools = value_pools()
        self._index = CustomerIndex()
        self.customers: list[CustomerFacts] = self._index.facts
        self.invoices: list[InvoiceFacts] = []
        self._open = array("q", bytes(8 * customers))  # cents, per customer
        self._due = array("q", bytes(8 * customers))
        self._customer_cores(customers)
        self._invoice_cores(invoices)

    def _customer_cores(self, customers: int) -> None:
        index, seed, the_pools = self._index, self.seed, self._pools
        for customer_id in range(1, customers + 1):
            core = customer_core(seed, customer_id, customers, the_pools)
            facts = core.facts
            index.facts.append(facts)
            assert facts.created is not None
            index.created.append(seconds(facts.created))
            index.is_customer.append(1 if facts.is_customer else 0)
            index.terms.append(core.term)
            first = core.contacts[0] if core.contacts else None
            index.contact_names.append(f"{first.first} {first.last}" if first else None)

    def _invoice_cores(self, invoices: int) -> None:
        """Every invoice's core, in id order, one generator per block; the open and due sums
        of each customer add up the unpaid rest."""
        index, seed = self._index, self.seed
        open_cents, due_cents = self._open, self._due
        append = self.invoices.append
        rng = random.Random()
        for invoice_id in range(1, invoices + 1):
            if (invoice_id - 1) % INVOICE_BLOCK == 0:
                rng = record_rng(seed, KIND_INVOICE, (invoice_id - 1) // INVOICE_BLOCK)
            core = invoice_core(index, invoice_id, invoices, rng)
            append(core.facts)
            remaining = core.total - core.paid
            if remaining:
                open_cents[core.customer] += remaining
                if core.due_day < DAYS:
                    due_cents[core.customer] += remaining

    def _invoice_core(self, invoice_id: int) -> InvoiceCore:
        """Invoice ``invoice_id``'s core again: its block's earlier cores are replayed."""
        invoices = len(self.invoices)
        block = (invoice_id - 1) // INVOICE_BLOCK
        rng = record_rng(self.seed, KIND_INVOICE, block)
        for earlier in range(block * INVOICE_BLOCK + 1, invoice_id):
            invoice_core(self._index, earlier, invoices, rng)
        return invoice_core(self._index, invoice_id, invoices, rng)

    def invoice(self, id: int) -> Invoice:
        """The complete invoice record ``id``; KeyError if it was not generated."""
        if not 1 <= id <= len(self.invoices):
            raise KeyError(id)
        core = self._invoice_core(id)
        n_customers = len(self.customers)
        seed, the_pools = self.seed, self._pools
        customer = customer_core(seed, core.customer + 1, n_customers, the_pools)
        delivery = (
            customer
            if core.delivery == core.customer
            else customer_core(seed, core.delivery + 1, n_customers, the_pools)
        )
        orderer = (
            customer
            if core.orderer == core.customer
            else customer_core(seed, core.orderer + 1, n_customers, the_pools)
        )
        rng = record_rng(seed, KIND_INVOICE_DETAIL, id)
        return invoice_record(core, rng, customer, delivery, orderer)

    def customer(self, id: int) -> Customer:
        """The complete customer record ``id``; KeyError if it was not generated."""
        if not 1 <= id <= len(self.customers):
            raise KeyError(id)
        core = customer_core(self.seed, id, len(self.customers), self._pools)
        return customer_record(core, self._due[id - 1], self._open[id - 1])


def generate(seed: int = 1, customers: int = 200, invoices: int = 1000) -> Dataset:
    """The dataset of ``customers`` customers and ``invoices`` invoices for ``seed``."""
    return Dataset(seed, customers, invoices)
