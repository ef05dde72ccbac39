"""The books: invoice writes of one tenant, and every sum they move kept consistent.

One module, though long, because it is one idea, the invariants below: every write method of
``Books`` moves the same sums (rows, invoice totals and states, customers' open and due sums)
and the same id floors, and the money and floor helpers serve only those writes.

``Books(tenant)`` creates, updates and deletes invoices and adds and deletes their rows,
payments and links, as the generated data would have them (``datagen.invoices`` and
``datagen.invoice_records``):

- a row's ``total`` is quantity x unit price less its discounts (``discount``, then
  ``discount2`` and ``discount3``, each a percentage), rounded half away from zero to the cent,
  as the generator computes it; a ``total`` the client sends is recomputed, as the real server
  derives it from the row's price (``tax_amount`` and the net prices follow ``tax_rate``);
- an invoice's ``total_sum`` is the sum of its rows' totals; its ``state`` follows its
  payments (``Maksettu``, ``Osittain maksettu``, ``Erääntynyt``, ``Avoin``; a credit note is
  ``Hyvitetty``), whatever the client sends;
- a customer's ``open_invoice_sum`` is what its invoices leave unpaid and ``due_invoice_sum``
  the part of it due before the dataset's reference date: every write moves the sums of the
  customers it touches by exactly what it changed, in cents (the customer's ``modified``
  stays: the sums are derived, not edited);
- numbers and ids are never given twice: invoice numbers follow the highest seeded one, and
  rows', payments' and links' ids the highest of the seeded data (``Floors``), per tenant;
- an invoice's ``customer_number`` (and a given ``delivery_customer_number`` or
  ``orderer_customer_number``) must name a customer of the tenant;
- a sales order (only a scenario's records hold any: ``store.sales_orders``) is invoiced once
  per tenant (``from_order``): the invoice is created as ``create`` creates one, from the
  order's customers, references and rows, and the tenant remembers the order as invoiced
  (in its ``counters``, so a reset forgets it).

Refusals are ``BooksError`` (a field path -> messages, for a 400) and ``Missing`` (a 404's
message); a refused write changes nothing. Stamps come from the tenant's clock. Knows the
models and a tenant's tables; nothing of HTTP.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

import msgspec
from msgspec import UNSET

from .datagen.catalogues import INVOICE_TYPE_CREDIT, INVOICE_TYPE_SALES, MAX_PAYMENTS, MAX_ROWS
from .datagen.dataset import Dataset as GeneratedDataset
from .datagen.identifiers import finnish_reference, rf_reference
from .datagen.timeline import REFERENCE_DATE
from .facts import CustomerFacts, InvoiceFacts
from .models import (
    INT32_MAX,
    Customer,
    Invoice,
    InvoicePayment,
    InvoiceRow,
    Link,
    SalesOrder,
    SalesOrderRow,
    complete,
    given_fields,
)
from .store import Dataset, Tenant, sales_orders
from .tables import Overlay, SharedTable, Table
from .validation import MAX_ITEMS, max_length_message, required_message

# The parameter names of the vendor's schema: ModelState keys start with them.
INVOICE_PARAM = "proxyInvoice"
ROW_PARAM = "proxyInvoiceRow"
PAYMENT_PARAM = "proxyInvoicePayment"
LINK_PARAM = "proxyLink"

# A row's total beyond this many cents (ten trillion euros) is refused: past 2**53 cents a
# double no longer holds every cent.
MAX_CENTS = 10**15

_CUSTOMER_FIELDS = ("customer_number", "delivery_customer_number", "orderer_customer_number")
_ONE = Decimal(1)
_HUNDRED = Decimal(100)
DEFAULT_TERM = 14  # days, when neither the invoice nor its customer names a payment term


class BooksError(Exception):
    """A write the books refuse: ``model_state`` maps field paths to messages (a 400)."""

    def __init__(self, model_state: dict[str, list[str]]) -> None:
        super().__init__(model_state)
        self.model_state = model_state


class Missing(Exception):
    """What a write names does not exist (a 404); ``message`` says what."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def invoice_missing(invoice_id: int) -> Missing:
    return Missing(f"Invoice {invoice_id} was not found.")


def order_missing(number: int) -> Missing:
    """No sales order has this number (the generated data hold none; a scenario's records
    may give some)."""
    return Missing(f"Sales order {number} was not found.")


# The ModelState key of an order that cannot be invoiced: the route's parameter, as ASP.NET
# names a path parameter's errors.
ORDER_PARAM = "number"


def order_invoiced(number: int, invoice_number: int) -> BooksError:
    """The tenant has invoiced this order already (a 400: the request is valid in form, the
    order's state refuses it, as the real server refuses invoicing an invoiced order)."""
    return BooksError(
        {ORDER_PARAM: [f"Sales order {number} is already invoiced (invoice {invoice_number})."]}
    )


def _invoiced_key(number: int) -> str:
    """Where a tenant's ``counters`` keep the number of the invoice made from an order."""
    return f"invoiced order {number}"


# --- money ----------------------------------------------------------------------------------


def cents(value: object) -> int:
    """A stored amount in whole cents (stored amounts are cents / 100); none is 0."""
    return round(value * 100) if isinstance(value, (int, float)) else 0


def _decimal(value: float) -> Decimal:
    return Decimal(repr(value))  # the shortest repr: 12.34 reads as 12.34, not its binary


def row_cents(row: InvoiceRow | SalesOrderRow, path: str) -> int:
    """The row's total in cents: quantity x unit price less each discount, rounded half
    away from zero (``datagen.invoices.div_round``). ``BooksError`` for a value that is not
    finite or a total past ``MAX_CENTS``."""
    numbers = {"quantity": row.quantity, "unit_price": row.unit_price}
    for name in ("discount", "discount2", "discount3"):
        value = getattr(row, name)
        if isinstance(value, float):
            numbers[name] = value
    for name, value in numbers.items():
        if not math.isfinite(value):
            raise BooksError({f"{path}.{name}": [f"The value {value} is not valid for {name}."]})
    amount = _decimal(row.quantity) * _decimal(row.unit_price) * _HUNDRED
    for name in ("discount", "discount2", "discount3"):
        if name in numbers:
            amount = amount * (_HUNDRED - _decimal(numbers[name])) / _HUNDRED
    if abs(amount) >= MAX_CENTS:  # checked before rounding: past 28 digits it cannot round
        raise BooksError({f"{path}.total": [f"The row total is beyond {MAX_CENTS // 100} euros."]})
    return int(amount.quantize(_ONE, rounding=ROUND_HALF_UP))


def _priced(row: InvoiceRow, path: str) -> InvoiceRow:
    """The row with ``total`` recomputed, and the tax and net amounts that follow it."""
    total = row_cents(row, path)
    changes: dict[str, Any] = {"total": total / 100}
    rate = row.tax_rate
    if isinstance(rate, float) and math.isfinite(rate) and rate > -100:
        rate10 = _decimal(rate) * 10
        tax = int((total * rate10 / (1000 + rate10)).quantize(_ONE, rounding=ROUND_HALF_UP))
        unit = _decimal(row.unit_price) * _HUNDRED * 1000 / (1000 + rate10)
        unit_net = int(unit.quantize(_ONE, rounding=ROUND_HALF_UP))
        changes.update(
            tax_amount=tax / 100,
            net_price=(total - tax) / 100,
            unit_net_price=unit_net / 100,
        )
    return msgspec.structs.replace(row, **changes)


@dataclass(frozen=True)
class Standing:
    """What one invoice leaves unpaid, in cents, and the part of it already due."""

    customer_number: int | None
    open: int
    due: int


def standing(invoice: Invoice, reference: datetime) -> Standing:
    """The invoice's share of its customer's open and due sums (as the generator adds it)."""
    remaining = cents(invoice.total_sum) - sum(cents(p.total) for p in invoice.payments or [])
    due_date = invoice.due_date
    is_due = isinstance(due_date, datetime) and due_date < reference
    number = invoice.customer_number if isinstance(invoice.customer_number, int) else None
    return Standing(number, remaining, remaining if is_due else 0)


def invoice_state(invoice: Invoice, reference: datetime) -> str:
    """The invoice's ``state``, as the generator names it."""
    if invoice.type == INVOICE_TYPE_CREDIT:
        return "Hyvitetty"
    total = cents(invoice.total_sum)
    paid = sum(cents(p.total) for p in invoice.payments or [])
    if total == paid:
        return "Maksettu"
    if paid:
        return "Osittain maksettu"
    due_date = invoice.due_date
    if isinstance(due_date, datetime) and due_date < reference:
        return "Erääntynyt"
    return "Avoin"


# --- where new numbers and ids start ------------------------------------------------------------


@dataclass(frozen=True)
class Floors:
    """The first invoice number and row, payment and link ids the seeded data leaves free."""

    number: int
    row: int
    payment: int
    link: int


_FLOORS: WeakKeyDictionary[SharedTable[Invoice, InvoiceFacts], Floors] = WeakKeyDictionary()


def _shared(table: Table[Invoice, InvoiceFacts]) -> SharedTable[Invoice, InvoiceFacts]:
    if isinstance(table, Overlay):
        return table.shared
    assert isinstance(table, SharedTable), "a table is shared or an overlay of a shared one"
    return table


def floors(table: Table[Invoice, InvoiceFacts], dataset: Dataset | None) -> Floors:
    """The seeded data's ``Floors``, worked out once per seeded table. Generated ids follow
    formulas (``datagen``: row ids ``(invoice id - 1) x MAX_ROWS + position``, payments
    likewise, a link's id its invoice's), so only records a scenario gave are read."""
    shared = _shared(table)
    known = _FLOORS.get(shared)
    if known is not None:
        return known
    facts = shared.facts
    number = 1 + max((f.number for f in facts.values() if f.number is not None), default=0)
    generated, scanned = _generated_part(dataset, facts.values())
    top = max((f.id for f in generated), default=0)
    row, payment, link = top * MAX_ROWS + 1, top * MAX_PAYMENTS + 1, top + 1
    for record_id in scanned:
        record = shared.get(record_id)
        if record is None:
            continue
        row = max(row, 1 + max(_ids(record.rows), default=0))
        payment = max(payment, 1 + max(_ids(record.payments), default=0))
        link = max(link, 1 + max(_ids(record.links), default=0))
    known = _FLOORS[shared] = Floors(number, row, payment, link)
    return known


def _generated_part(
    dataset: Dataset | None, facts: Iterable[InvoiceFacts]
) -> tuple[list[InvoiceFacts], list[int]]:
    """(the invoices whose children's ids follow the generator's formulas, the ids of those
    that must be read). A scenario's records laid over generated data (``records.
    OverlayDataset``: a ``base``) keep the base's facts objects for the invoices they left
    alone, so those are told apart by identity."""
    if isinstance(dataset, GeneratedDataset):
        return list(facts), []
    base = getattr(dataset, "base", None)
    if isinstance(base, GeneratedDataset):
        seeded = base.invoices
        generated: list[InvoiceFacts] = []
        scanned: list[int] = []
        for f in facts:
            if 1 <= f.id <= len(seeded) and seeded[f.id - 1] is f:
                generated.append(f)
            else:
                scanned.append(f.id)
        return generated, scanned
    return [], [f.id for f in facts]


def _ids(items: object) -> list[int]:
    """The ids of a stored list of rows, payments or links."""
    if not isinstance(items, list):
        return []
    return [item.id for item in items if isinstance(item.id, int)]


# --- the books of one tenant ----------------------------------------------------------------

C = TypeVar("C", InvoiceRow, InvoicePayment, Link)


class Books:
    """The invoice writes of one tenant. Each method checks everything first, then writes:
    a refused write (``BooksError``, ``Missing``) changes nothing."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        dataset = tenant.dataset
        self.reference = dataset.reference_date if dataset is not None else REFERENCE_DATE
        self.floors = floors(tenant.invoices, dataset)

    # --- counters ---

    def _next(self, kind: str, floor: int) -> int:
        counters = self.tenant.counters
        value = counters.get(kind, floor)
        counters[kind] = value + 1
        return value

    def _peek(self, kind: str, floor: int) -> int:
        return self.tenant.counters.get(kind, floor)

    @contextmanager
    def _all_or_nothing(self) -> Iterator[None]:
        """Ids handed out before a refusal are taken back: a refused write changes nothing."""
        counters = self.tenant.counters
        saved = dict(counters)
        try:
            yield
        except BooksError:
            counters.clear()
            counters.update(saved)
            raise

    # --- reads ---

    def invoice(self, invoice_id: int) -> Invoice:
        record = self.tenant.invoices.get(invoice_id)
        if record is None:
            raise invoice_missing(invoice_id)
        return record

    def _customer_id(self, number: int) -> int | None:
        found = self.tenant.customers.hashed["number"].lookup([number])
        return min(found) if found else None

    # --- invoices ---

    def create(self, body: Invoice) -> Invoice:
        with self._all_or_nothing():
            return self._create(body)

    def _create(self, body: Invoice) -> Invoice:
        """Store a new invoice: the server gives ``id``, ``number``, the references, the
        children's ids and every derived amount, ignoring any given."""
        given = given_fields(body)
        if not isinstance(body.customer_number, int):
            raise BooksError(
                {f"{INVOICE_PARAM}.customer_number": [required_message("customer_number")]}
            )
        customer = self._parties(given)
        assert customer is not None, "a number that names a customer was given"
        self._check_lengths(body, INVOICE_PARAM)
        invoice_id = self.tenant.invoices.next_id
        number = self._peek("invoice_number", self.floors.number)
        reference = finnish_reference(number)
        term = body.payment_term
        if not isinstance(term, int):
            term = customer.payment_term_number
            term = term if isinstance(term, int) and term >= 0 else DEFAULT_TERM
        fields: dict[str, Any] = {
            "currency_code": "EUR",
            "currency_rate": 1.0,
            "type": INVOICE_TYPE_SALES,
            "payment_term": term,
            "invoiced_bit": False,
            "reminder_bit": False,
            "reminder_count": 0,
            "reference": reference,
            "rf_reference": rf_reference(reference),
            "value_date": body.date,
            "delivery_customer_number": body.customer_number,
            "orderer_customer_number": body.customer_number,
            **_customer_details(customer),
            **given,
            "id": invoice_id,
            "number": number,
            "modified_date": self.tenant.clock(),
        }
        if "due_date" not in given:
            fields["due_date"] = body.date + timedelta(days=term)
        record = complete(msgspec.structs.replace(body, **fields))
        rows = self._own_rows(record, [], INVOICE_PARAM)
        record = msgspec.structs.replace(record, rows=rows)
        payments = self._own_payments(record, [], INVOICE_PARAM)
        links = self._own_links(record, [])
        self._next("invoice_number", self.floors.number)
        return self._store(None, msgspec.structs.replace(record, payments=payments, links=links))

    def from_order(self, number: int) -> Invoice:
        """Invoice the sales order with this number, once: ``Missing`` if the data hold no
        such order, ``BooksError`` if this tenant has invoiced it already. The invoice is
        dated by the tenant's clock and created as ``create`` creates one."""
        order = sales_orders(self.tenant.dataset).get(number)
        if order is None:
            raise order_missing(number)
        key = _invoiced_key(number)
        invoiced = self.tenant.counters.get(key)
        if invoiced is not None:
            raise order_invoiced(number, invoiced)
        today = _utc(self.tenant.clock()).astimezone(UTC)
        today = today.replace(hour=0, minute=0, second=0, microsecond=0)
        with self._all_or_nothing():
            invoice = self._create(invoice_of_order(order, today))
        assert isinstance(invoice.number, int), "a created invoice has a number"
        self.tenant.counters[key] = invoice.number
        return invoice

    def update(self, body: Invoice) -> Invoice:
        with self._all_or_nothing():
            return self._update(body)

    def _update(self, body: Invoice) -> Invoice:
        """Merge the given fields into the stored invoice whose ``id`` the body names:
        ``id``, ``number`` and the references never change, a given list replaces the stored
        one (a child keeps its id when it names one of the invoice's own), ``modified_date``
        is stamped and every derived amount recomputed."""
        if not isinstance(body.id, int):
            raise BooksError({f"{INVOICE_PARAM}.id": [required_message("id")]})
        stored = self.invoice(body.id)
        given = given_fields(body)
        for fixed in ("id", "number", "reference", "rf_reference", "state", "modified_date"):
            given.pop(fixed, None)
        if given.get("customer_number", 0) is None:
            raise BooksError(
                {f"{INVOICE_PARAM}.customer_number": [required_message("customer_number")]}
            )
        self._parties(given)
        self._check_lengths(body, INVOICE_PARAM)
        date = given["date"] = _utc(body.date)  # required: every body has one
        changed_terms = date != stored.date or (
            "payment_term" in given and given["payment_term"] != stored.payment_term
        )
        if "due_date" not in given and changed_terms:
            term = given.get("payment_term", stored.payment_term)
            if isinstance(term, int):
                given["due_date"] = date + timedelta(days=term)
        given["modified_date"] = self.tenant.clock()
        record = complete(msgspec.structs.replace(stored, **given))
        if "rows" in given:
            record = msgspec.structs.replace(
                record, rows=self._own_rows(record, stored.rows or [], INVOICE_PARAM)
            )
        if "payments" in given:
            record = msgspec.structs.replace(
                record, payments=self._own_payments(record, stored.payments or [], INVOICE_PARAM)
            )
        if "links" in given:
            record = msgspec.structs.replace(record, links=self._own_links(record, stored.links))
        return self._store(stored, record)

    def delete(self, invoice_id: int) -> Invoice:
        """Delete the invoice; answers it as it was."""
        stored = self.invoice(invoice_id)
        table = self._invoices()
        table.remove(invoice_id)
        self._settle(standing(stored, self.reference), None)
        self.tenant.writes += 1
        return stored

    # --- rows, payments, links ---

    def add_row(self, invoice_id: int, body: InvoiceRow) -> InvoiceRow:
        with self._all_or_nothing():
            return self._add_row(invoice_id, body)

    def _add_row(self, invoice_id: int, body: InvoiceRow) -> InvoiceRow:
        stored = self.invoice(invoice_id)
        rows = stored.rows or []
        self._room(len(rows), "rows", ROW_PARAM)
        used = {r.number for r in rows if isinstance(r.number, int)}
        position = 1 + max(used, default=0)
        if position > INT32_MAX:  # a stored row holds the highest Int32: the lowest free one
            position = next(n for n in range(1, len(used) + 2) if n not in used)
        row = self._new_row(complete(body), invoice_id, ROW_PARAM, position)
        self._change(stored, rows=[*rows, row])
        return row

    def delete_row(self, invoice_id: int, row_id: int) -> InvoiceRow:
        stored = self.invoice(invoice_id)
        rows = stored.rows or []
        row = _find(rows, row_id, f"Row {row_id} of invoice {invoice_id} was not found.")
        self._change(stored, rows=[r for r in rows if r is not row])
        return row

    def add_payment(self, invoice_id: int, body: InvoicePayment) -> InvoicePayment:
        with self._all_or_nothing():
            return self._add_payment(invoice_id, body)

    def _add_payment(self, invoice_id: int, body: InvoicePayment) -> InvoicePayment:
        stored = self.invoice(invoice_id)
        payments = stored.payments or []
        self._room(len(payments), "payments", PAYMENT_PARAM)
        open_cents = standing(stored, self.reference).open
        payment = self._new_payment(complete(body), invoice_id, PAYMENT_PARAM, open_cents)
        self._change(stored, payments=[*payments, payment])
        return payment

    def delete_payment(self, invoice_id: int, payment_id: int) -> InvoicePayment:
        stored = self.invoice(invoice_id)
        payments = stored.payments or []
        payment = _find(
            payments, payment_id, f"Payment {payment_id} of invoice {invoice_id} was not found."
        )
        self._change(stored, payments=[p for p in payments if p is not payment])
        return payment

    def add_link(self, invoice_id: int, body: Link) -> Link:
        stored = self.invoice(invoice_id)
        links = stored.links or []
        self._room(len(links), "links", LINK_PARAM)
        link = self._new_link(complete(body), invoice_id)
        self._change(stored, links=[*links, link])
        return link

    def delete_link(self, invoice_id: int, link_id: int) -> Link:
        stored = self.invoice(invoice_id)
        links = stored.links or []
        link = _find(links, link_id, f"Link {link_id} of invoice {invoice_id} was not found.")
        self._change(stored, links=[k for k in links if k is not link])
        return link

    # --- checks ---

    def _parties(self, given: dict[str, Any]) -> Customer | None:
        """The customer ``customer_number`` names (None when not given); ``BooksError``
        naming each customer number that names no customer of the tenant."""
        problems: dict[str, list[str]] = {}
        customer: Customer | None = None
        for name in _CUSTOMER_FIELDS:
            number = given.get(name)
            if not isinstance(number, int):
                continue
            customer_id = self._customer_id(number)
            if customer_id is None:
                problems[f"{INVOICE_PARAM}.{name}"] = [f"Customer number {number} was not found."]
            elif name == "customer_number":
                customer = self.tenant.customers.get(customer_id)
        if problems:
            raise BooksError(problems)
        return customer

    @staticmethod
    def _check_lengths(body: Invoice, param: str) -> None:
        for name in ("rows", "payments", "links"):
            items = getattr(body, name)
            if isinstance(items, list) and len(items) > MAX_ITEMS:
                raise BooksError({f"{param}.{name}": [max_length_message(name)]})

    @staticmethod
    def _room(held: int, name: str, param: str) -> None:
        """An invoice holds at most ``MAX_ITEMS`` rows, payments and links each."""
        if held >= MAX_ITEMS:
            raise BooksError({param: [max_length_message(name)]})

    # --- children ---

    def _new_row(self, row: InvoiceRow, invoice_id: int, path: str, position: int) -> InvoiceRow:
        priced = _priced(row, path)
        fields: dict[str, Any] = {
            "id": self._next("row", self.floors.row),
            "invoice_id": invoice_id,
        }
        if row.number is None:
            fields["number"] = position
        if row.position is None:
            fields["position"] = str(fields.get("number", row.number))
        return msgspec.structs.replace(priced, **fields)

    def _new_payment(
        self, payment: InvoicePayment, invoice_id: int, path: str, open_cents: int
    ) -> InvoicePayment:
        """A payment without ``total`` pays what the invoice leaves open."""
        fields: dict[str, Any] = {
            "id": self._next("payment", self.floors.payment),
            "invoice_id": invoice_id,
        }
        total = payment.total
        if not isinstance(total, float):
            fields["total"] = open_cents / 100
        elif not math.isfinite(total) or abs(total) * 100 >= MAX_CENTS:
            raise BooksError({f"{path}.total": [f"The value {total} is not valid for total."]})
        else:
            fields["total"] = cents(total) / 100
        if payment.total_incurrency is None:
            fields["total_incurrency"] = fields["total"]
        return msgspec.structs.replace(payment, **fields)

    def _new_link(self, link: Link, invoice_id: int) -> Link:
        return msgspec.structs.replace(
            link, id=self._next("link", self.floors.link), object_id=invoice_id
        )

    def _own_rows(
        self, record: Invoice, kept: Sequence[InvoiceRow], param: str
    ) -> list[InvoiceRow]:
        """The record's rows, priced, each with an id: its own when it names one of ``kept``
        (once), else a new one."""
        keep = {r.id for r in kept if isinstance(r.id, int)}
        out: list[InvoiceRow] = []
        for index, row in enumerate(record.rows or []):
            path = f"{param}.rows[{index}]"
            if isinstance(row.id, int) and row.id in keep:
                keep.discard(row.id)
                out.append(msgspec.structs.replace(_priced(row, path), invoice_id=record.id))
            else:
                out.append(self._new_row(row, record.id, path, index + 1))  # type: ignore[arg-type]
        return out

    def _own_payments(
        self, record: Invoice, kept: Sequence[InvoicePayment], param: str
    ) -> list[InvoicePayment]:
        keep = {p.id for p in kept if isinstance(p.id, int)}
        open_cents = sum(cents(r.total) for r in record.rows or [])
        out: list[InvoicePayment] = []
        for index, payment in enumerate(record.payments or []):
            path = f"{param}.payments[{index}]"
            if isinstance(payment.id, int) and payment.id in keep:
                keep.discard(payment.id)
                owned = msgspec.structs.replace(payment, invoice_id=record.id)
                if owned.total is None:
                    owned = msgspec.structs.replace(owned, total=open_cents / 100)
            else:
                owned = self._new_payment(payment, record.id, path, open_cents)  # type: ignore[arg-type]
            open_cents -= cents(owned.total)
            out.append(owned)
        return out

    def _own_links(self, record: Invoice, kept: object) -> list[Link]:
        keep = set(_ids(kept))
        out: list[Link] = []
        for link in record.links or []:
            if isinstance(link.id, int) and link.id in keep:
                keep.discard(link.id)
                out.append(msgspec.structs.replace(link, object_id=record.id))
            else:
                out.append(self._new_link(link, record.id))  # type: ignore[arg-type]
        return out

    # --- writing ---

    def _invoices(self) -> Overlay[Invoice, InvoiceFacts]:
        table = self.tenant.invoices
        if not isinstance(table, Overlay):
            table = self.tenant.invoices = Overlay(_shared(table))
        return table

    def _customers(self) -> Overlay[Customer, CustomerFacts]:
        table = self.tenant.customers
        if not isinstance(table, Overlay):
            assert isinstance(table, SharedTable), "a tenant starts on the shared table"
            table = self.tenant.customers = Overlay(table)
        return table

    def _change(self, stored: Invoice, **lists: Any) -> Invoice:
        """The stored invoice with these lists, stamped, derived amounts recomputed."""
        record = msgspec.structs.replace(stored, **lists, modified_date=self.tenant.clock())
        return self._store(stored, record)

    def _store(self, before: Invoice | None, record: Invoice) -> Invoice:
        """Derive ``total_sum`` and ``state``, store the invoice, move the customers' sums."""
        total = sum(cents(r.total) for r in record.rows or [])
        record = msgspec.structs.replace(record, total_sum=total / 100)
        record = msgspec.structs.replace(record, state=invoice_state(record, self.reference))
        self._invoices().put(record)
        old = standing(before, self.reference) if before is not None else None
        self._settle(old, standing(record, self.reference))
        self.tenant.writes += 1
        return record

    def _settle(self, old: Standing | None, new: Standing | None) -> None:
        """Move the customers' open and due sums by what the invoice's standing changed."""
        moves: dict[int, list[int]] = {}
        if old is not None and old.customer_number is not None:
            move = moves.setdefault(old.customer_number, [0, 0])
            move[0] -= old.open
            move[1] -= old.due
        if new is not None and new.customer_number is not None:
            move = moves.setdefault(new.customer_number, [0, 0])
            move[0] += new.open
            move[1] += new.due
        for number, (open_move, due_move) in moves.items():
            if not open_move and not due_move:
                continue
            customer_id = self._customer_id(number)
            customer = self.tenant.customers.get(customer_id) if customer_id else None
            if customer is None:
                continue
            self._customers().put(
                msgspec.structs.replace(
                    customer,
                    open_invoice_sum=(cents(customer.open_invoice_sum) + open_move) / 100,
                    due_invoice_sum=(cents(customer.due_invoice_sum) + due_move) / 100,
                )
            )


def _utc(moment: datetime) -> datetime:
    """No zone means UTC (CONTRACT.md), as stored records have it."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _find(items: Sequence[C], item_id: int, message: str) -> C:
    for item in items:
        if item.id == item_id:
            return item
    raise Missing(message)


# What an invoice copies from its sales order: the invoice's field <- the order's.
_FROM_ORDER: tuple[tuple[str, str], ...] = (
    *((name, name) for name in _CUSTOMER_FIELDS),
    *(
        (f"{party}_{field}", f"{party}_{field}")
        for party in ("customer", "delivery_customer", "orderer_customer")
        for field in (
            "address", "address2", "address3", "contact", "contact_email", "contact_phone",
            "country", "name",
        )
    ),
    ("customer_additional_name", "customer_name2"),
    ("delivery_customer_additional_name", "delivery_customer_name2"),
    ("orderer_customer_additional_name", "orderer_customer_name2"),
    ("customer_order_number", "customer_order_number"),
    ("customer_reference", "customer_reference"),
    ("our_reference", "our_reference"),
    ("order_mark", "mark"),
    ("description", "description"),
    ("note", "note"),
    ("payment_term", "payment_term"),
    ("delivery_method", "delivery_method"),
    ("delivery_term", "delivery_term"),
    ("delivery_code", "delivery_code"),
    ("currency_code", "currency_code"),
    ("currency_rate", "currency_rate"),
    ("language_code", "language_code"),
    ("project_number", "project_number"),
    ("person_seller_number", "seller_number"),
    ("person_invoice_res_person", "invoice_res_person"),
)  # fmt: skip
# What an invoice row copies from its order row (same names).
_ROW_FROM_ORDER = (
    "type", "account", "cost_center", "project_code", "project_number", "project_phase_id",
    "discount", "discount2", "discount3", "total", "unit_price", "quantity", "inner_note",
    "note", "number", "position", "product_code", "product_name", "product_extra_name",
    "tax_rate", "unit",
)  # fmt: skip


def invoice_of_order(order: SalesOrder, date: datetime) -> Invoice:
    """The body of the invoice a sales order makes, dated ``date``: the order's customers,
    addresses, references and terms (the books fill what it leaves out, as for any new
    invoice), and a row per order row, naming the order (``order_number``) and delivered
    when the row (else the order) says."""
    fields: dict[str, Any] = {
        mine: getattr(order, theirs)
        for mine, theirs in _FROM_ORDER
        if getattr(order, theirs) not in (None, UNSET)
    }
    delivery = order.delivery_datetime if isinstance(order.delivery_datetime, datetime) else None
    party = fields.get("delivery_customer_number", order.customer_number)
    rows = []
    for row in order.rows:
        copied = {
            name: getattr(row, name)
            for name in _ROW_FROM_ORDER
            if getattr(row, name) not in (None, UNSET)
        }
        when = row.delivery_datetime if isinstance(row.delivery_datetime, datetime) else delivery
        if when is not None:
            copied["delivery_date"] = when
        if isinstance(order.number, int):
            copied["order_number"] = order.number
        if isinstance(party, int):
            copied["delivery_customer_number"] = party
        rows.append(InvoiceRow(**copied))
    return Invoice(**fields, date=date, rows=rows)


def _customer_details(customer: Customer) -> dict[str, Any]:
    """What a new invoice copies from its customer unless the body gives it."""
    postal = " ".join(p for p in (customer.postal_code, customer.city) if p) or None
    method = customer.invoice_method_id
    return {
        "customer_name": customer.name,
        "customer_additional_name": customer.name2,
        "customer_address": customer.street,
        "customer_address2": customer.street2,
        "customer_address3": postal,
        "customer_country": customer.country,
        "language_code": customer.language_code,
        "invoice_method": method if isinstance(method, int) and 0 <= method <= 20 else None,
    }
