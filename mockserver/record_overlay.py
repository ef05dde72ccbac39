"""A scenario's records laid over the generated data (``overlay``): the dataset a scenario
serves.

Over generated data a record overlays, field by field, the generated record with its ``id``,
or is added. A customer whose ``number`` changes takes the generated invoices that named its
old number along. Whatever the records say, the data keeps its referential integrity: every
invoice and order names existing customers, numbers stay unique, an invoice's ``total_sum`` is
the sum of its rows, an order's rows are priced as the books price an invoice's (so its
invoice has the order's amounts) and a customer's open and due sums are those of its invoices;
a record that breaks one of these is a problem at the record's line. Reading and validating
the records is ``records``'.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar, cast

import msgspec

from .books import BooksError, row_cents
from .facts import CustomerFacts, InvoiceFacts, customer_facts, invoice_facts
from .models import (
    Customer,
    Invoice,
    SalesOrder,
    complete,
    given_fields,
)
from .records import Located
from .store import Dataset, own_children


class RecordProblems(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class OverlayDataset:
    """A dataset whose records are those of ``base`` except the ``customers`` and
    ``invoices`` given here (complete records), with the same interface as ``base``; and
    the sales orders given (complete, by number: ``store.sales_orders``)."""

    def __init__(
        self,
        base: Dataset,
        customers: dict[int, Customer],
        invoices: dict[int, Invoice],
        next_account_id: int,
        orders: dict[int, SalesOrder] | None = None,
    ) -> None:
        self.base = base
        self.seed = base.seed
        self.reference_date: datetime = base.reference_date
        self.next_account_id = next_account_id
        self._customers = customers
        self._invoices = invoices
        self.orders: dict[int, SalesOrder] = orders or {}
        self.customers: list[CustomerFacts] = _facts(
            base.customers, {i: customer_facts(r) for i, r in customers.items()}
        )
        self.invoices: list[InvoiceFacts] = _facts(
            base.invoices, {i: invoice_facts(r) for i, r in invoices.items()}
        )

    def customer(self, record_id: int) -> Customer:
        record = self._customers.get(record_id)
        return record if record is not None else self.base.customer(record_id)

    def invoice(self, record_id: int) -> Invoice:
        record = self._invoices.get(record_id)
        return record if record is not None else self.base.invoice(record_id)


F = TypeVar("F", CustomerFacts, InvoiceFacts)


def _facts(base: Iterable[F], overrides: dict[int, F]) -> list[F]:
    if not overrides:
        return list(base)
    merged = {f.id: f for f in base}
    merged.update(overrides)
    return [merged[i] for i in sorted(merged)]


def _cents(value: Any) -> int:
    return round((value or 0.0) * 100)


def _ident(record: Customer | Invoice | SalesOrder) -> int:
    """A validated record's id (``validate`` guarantees one)."""
    return cast(int, record.id)


def overlay(
    base: Dataset,
    customers: Sequence[Located[Customer]],
    invoices: Sequence[Located[Invoice]],
    orders: Sequence[Located[SalesOrder]] = (),
) -> OverlayDataset:
    """``base`` with the records laid over it; RecordProblems when integrity would break."""
    problems: list[str] = []
    laid = _Laying(base)
    laid.customers(customers, problems)
    laid.invoices(invoices, problems)
    found_orders = _orders(orders, laid.owner, problems)
    if problems:
        raise RecordProblems(problems)
    laid.settle_sums(customers, problems)
    if problems:
        raise RecordProblems(problems)
    return OverlayDataset(
        base, laid.changed_customers, laid.changed_invoices, laid.next_account, found_orders
    )


class _Laying:
    """The records laid over ``base`` so far: the changed records, who owns which number,
    which customer numbers moved."""

    def __init__(self, base: Dataset) -> None:
        self.base = base
        self.base_invoices = {f.id: f for f in base.invoices}
        self.next_account = base.next_account_id
        self.changed_customers: dict[int, Customer] = {}
        self.changed_invoices: dict[int, Invoice] = {}
        self.customer_sites: dict[int, str] = {}
        self.renumbered: dict[int, int] = {}  # old customer number -> new
        self.owner: dict[int, int] = {}  # customer number -> customer id

    def customers(self, items: Sequence[Located[Customer]], problems: list[str]) -> None:
        base = self.base
        generated_ids = {f.id for f in base.customers}
        kept: dict[int, set[int]] = {}  # the account ids a generated customer already had
        for item in items:
            record_id = _ident(item.record)
            self.customer_sites[record_id] = item.site
            if record_id in generated_ids:
                generated = base.customer(record_id)
                kept[record_id] = {
                    a.account_id for a in generated.accounts or [] if isinstance(a.account_id, int)
                }
                merged = complete(msgspec.structs.replace(generated, **given_fields(item.record)))
                if isinstance(generated.number, int) and merged.number != generated.number:
                    self.renumbered[generated.number] = cast(int, merged.number)
            else:
                merged = complete(item.record)
            self.changed_customers[record_id] = merged
        self._account_ids(kept, problems)
        for record_id, merged in self.changed_customers.items():
            self.changed_customers[record_id], self.next_account = own_children(
                merged, self.next_account
            )
        # Numbers stay unique; a new customer without one gets the next free number.
        owner = self.owner
        owner.update(
            (f.number, f.id)
            for f in base.customers
            if f.number is not None and f.id not in self.changed_customers
        )
        unnumbered: list[int] = []
        for record_id, customer in self.changed_customers.items():
            number = customer.number
            if not isinstance(number, int):
                unnumbered.append(record_id)
            elif number in owner:
                problems.append(
                    f"{self.customer_sites[record_id]}: customer {record_id}: number {number} "
                    f"is also customer {owner[number]}'s number"
                )
            else:
                owner[number] = record_id
        next_number = max(owner, default=10000) + 1
        for record_id in unnumbered:
            self.changed_customers[record_id] = msgspec.structs.replace(
                self.changed_customers[record_id], number=next_number
            )
            owner[next_number] = record_id
            next_number += 1

    def _account_ids(self, kept: dict[int, set[int]], problems: list[str]) -> None:
        """Account ids stay unique within the data: the ids the records give are unique, stay
        clear of the generated accounts' ids (below ``base.next_account_id``) unless the
        customer already had that account, and accounts given without one, like those
        created later through the API, get ids above all of them."""
        generated_below = self.base.next_account_id
        owners: dict[int, tuple[int, int]] = {}  # account id -> (customer id, index)
        highest = 0
        for record_id, customer in self.changed_customers.items():
            site = self.customer_sites[record_id]
            for index, account in enumerate(customer.accounts or []):
                account_id = account.account_id
                if not isinstance(account_id, int):
                    continue
                shown = f"{site}: customer {record_id}: accounts[{index}].account_id {account_id}"
                other = owners.get(account_id)
                if other is not None:
                    problems.append(
                        f"{shown} is also customer {other[0]}'s accounts[{other[1]}].account_id"
                    )
                    continue
                owners[account_id] = (record_id, index)
                highest = max(highest, account_id)
                if 1 <= account_id < generated_below and account_id not in kept.get(record_id, ()):
                    problems.append(
                        f"{shown} may be a generated account's id (those are 1 to "
                        f"{generated_below - 1}); give {generated_below} or more, or leave "
                        "account_id out to have one assigned"
                    )
        self.next_account = max(self.next_account, highest + 1)

    def invoices(self, items: Sequence[Located[Invoice]], problems: list[str]) -> None:
        base, renumbered = self.base, self.renumbered
        sites: dict[int, str] = {}
        for item in items:
            record_id = _ident(item.record)
            sites[record_id] = item.site
            given = given_fields(item.record)
            invoice = item.record
            if record_id in self.base_invoices:
                generated = base.invoice(record_id)
                follow = _follow(generated, renumbered, given)
                invoice = msgspec.structs.replace(generated, **follow, **given)
            invoice = _own_invoice_children(complete(invoice))
            self.changed_invoices[record_id] = _check_total(invoice, given, item.site, problems)
        if renumbered:
            # The generated invoices that named a customer's old number follow it.
            for facts in base.invoices:
                if facts.id not in self.changed_invoices:
                    generated = base.invoice(facts.id)
                    follow = _follow(generated, renumbered, {})
                    if follow:
                        self.changed_invoices[facts.id] = _renumber_rows(
                            msgspec.structs.replace(generated, **follow), renumbered
                        )
        # Invoices that followed their customer kept their numbers: only records can clash.
        owner: dict[int, int] = {
            f.number: f.id for f in base.invoices if f.number is not None and f.id not in sites
        }
        unnumbered: list[int] = []
        for record_id, site in sites.items():
            invoice = self.changed_invoices[record_id]
            number = invoice.number
            if not isinstance(number, int):
                unnumbered.append(record_id)
            elif number in owner:
                problems.append(
                    f"{site}: invoice {record_id}: number {number} is also invoice "
                    f"{owner[number]}'s number"
                )
            else:
                owner[number] = record_id
            self._check_customers(invoice, site, problems)
        next_number = max(owner, default=0) + 1
        for record_id in unnumbered:
            self.changed_invoices[record_id] = msgspec.structs.replace(
                self.changed_invoices[record_id], number=next_number
            )
            next_number += 1

    def _check_customers(self, invoice: Invoice, site: str, problems: list[str]) -> None:
        if invoice.customer_number is None:
            problems.append(
                f"{site}: invoice {invoice.id}: customer_number is required (every invoice "
                "belongs to a customer)"
            )
        for name in _CUSTOMER_REFERENCES:
            number = getattr(invoice, name)
            if number is not None and number not in self.owner:
                problems.append(f"{site}: invoice {invoice.id}: {name} {number} names no customer")

    def settle_sums(self, customers: Sequence[Located[Customer]], problems: list[str]) -> None:
        """Recompute the open and due invoice sums of every customer the records touched."""
        base, renumbered = self.base, self.renumbered
        affected: set[int] = set(renumbered.values())
        affected.update(
            c.number for c in self.changed_customers.values() if isinstance(c.number, int)
        )
        for record_id, invoice in self.changed_invoices.items():
            if isinstance(invoice.customer_number, int):
                affected.add(invoice.customer_number)
            generated = self.base_invoices.get(record_id)
            if generated is not None and generated.customer_number is not None:
                old = generated.customer_number
                affected.add(renumbered.get(old, old))
        invoices_of: dict[int, list[int]] = {number: [] for number in affected}
        for facts in base.invoices:
            if facts.id not in self.changed_invoices and facts.customer_number is not None:
                number = renumbered.get(facts.customer_number, facts.customer_number)
                if number in invoices_of:
                    invoices_of[number].append(facts.id)
        for record_id, invoice in self.changed_invoices.items():
            if invoice.customer_number in invoices_of:
                invoices_of[invoice.customer_number].append(record_id)
        given_by_id = {_ident(item.record): given_fields(item.record) for item in customers}
        for number, invoice_ids in invoices_of.items():
            customer_id = self.owner.get(number)
            if customer_id is None:
                continue
            open_cents, due_cents = self._unpaid(invoice_ids)
            given = given_by_id.get(customer_id, {})
            for name, cents in (("open_invoice_sum", open_cents), ("due_invoice_sum", due_cents)):
                if name in given and _cents(given[name]) != cents:
                    problems.append(
                        f"{self.customer_sites[customer_id]}: customer {customer_id}: {name} "
                        f"{given[name]} is not what its invoices leave unpaid ({cents / 100}); "
                        f"leave {name} out to have it computed"
                    )
            customer = self.changed_customers.get(customer_id) or base.customer(customer_id)
            self.changed_customers[customer_id] = msgspec.structs.replace(
                customer, open_invoice_sum=open_cents / 100, due_invoice_sum=due_cents / 100
            )

    def _unpaid(self, invoice_ids: Iterable[int]) -> tuple[int, int]:
        """Cents left unpaid on these invoices, and the part of it already due."""
        open_cents = due_cents = 0
        reference = self.base.reference_date
        for invoice_id in invoice_ids:
            invoice = self.changed_invoices.get(invoice_id) or self.base.invoice(invoice_id)
            paid = sum(_cents(payment.total) for payment in invoice.payments or [])
            remaining = _cents(invoice.total_sum) - paid
            open_cents += remaining
            if isinstance(invoice.due_date, datetime) and invoice.due_date < reference:
                due_cents += remaining
        return open_cents, due_cents


_CUSTOMER_REFERENCES = ("customer_number", "delivery_customer_number", "orderer_customer_number")


def _orders(
    items: Sequence[Located[SalesOrder]], owner: dict[int, int], problems: list[str]
) -> dict[int, SalesOrder]:
    """The sales orders, complete, by number: each names existing customers (``owner``: a
    customer number -> its id, the records laid), numbers are unique (an order without one
    gets the next free number), its rows point at it and are priced as the books price an
    invoice's rows, and its ``total`` is their sum (computed when left out)."""
    by_number: dict[int, int] = {}  # order number -> order id
    unnumbered: list[SalesOrder] = []
    done: list[SalesOrder] = []
    for item in items:
        order = _priced_order(complete(item.record), given_fields(item.record), item.site, problems)
        for name in _CUSTOMER_REFERENCES:
            number = getattr(order, name)
            if name == "customer_number" and number is None:
                problems.append(
                    f"{item.site}: order {order.id}: customer_number is required (every order "
                    "belongs to a customer)"
                )
            elif number is not None and number not in owner:
                problems.append(f"{item.site}: order {order.id}: {name} {number} names no customer")
        if not isinstance(order.number, int):
            unnumbered.append(order)
            continue
        if order.number in by_number:
            problems.append(
                f"{item.site}: order {order.id}: number {order.number} is also order "
                f"{by_number[order.number]}'s number"
            )
            continue
        by_number[order.number] = _ident(order)
        done.append(order)
    next_number = max(by_number, default=0) + 1
    for order in unnumbered:
        done.append(msgspec.structs.replace(order, number=next_number))
        next_number += 1
    return {cast(int, order.number): order for order in done}


def _priced_order(
    order: SalesOrder, given: dict[str, Any], site: str, problems: list[str]
) -> SalesOrder:
    """The order's rows pointed at it, each ``total`` checked against what the books make of
    its quantity, unit price and discounts (an invoice made from the order recomputes it),
    and ``total`` the sum of the rows: computed when left out, checked when given."""
    rows = []
    total = 0
    for index, row in enumerate(order.rows):
        try:
            row_total = row_cents(row, f"rows[{index}]")
        except BooksError as error:
            for key, messages in error.model_state.items():
                problems.extend(f"{site}: order {order.id}: {key}: {m}" for m in messages)
            continue
        if _cents(row.total) != row_total:
            problems.append(
                f"{site}: order {order.id}: rows[{index}].total {row.total} is not its quantity "
                f"x unit_price less its discounts ({row_total / 100})"
            )
        total += row_total
        rows.append(
            row if row.order_id == order.id else msgspec.structs.replace(row, order_id=order.id)
        )
    if "total" in given and given["total"] is not None and _cents(given["total"]) != total:
        problems.append(
            f"{site}: order {order.id}: total {given['total']} is not the sum of its rows' "
            f"total ({total / 100}); leave total out to have it computed"
        )
    return msgspec.structs.replace(order, rows=rows, total=total / 100)


def _follow(invoice: Invoice, renumbered: dict[int, int], given: dict[str, Any]) -> dict[str, Any]:
    """The customer numbers of ``invoice`` that must follow a renumbered customer."""
    return {
        name: renumbered[getattr(invoice, name)]
        for name in _CUSTOMER_REFERENCES
        if name not in given and getattr(invoice, name) in renumbered
    }


def _renumber_rows(invoice: Invoice, renumbered: dict[int, int]) -> Invoice:
    rows = invoice.rows or []
    if not any(row.delivery_customer_number in renumbered for row in rows):
        return invoice
    return msgspec.structs.replace(
        invoice,
        rows=[
            msgspec.structs.replace(
                row, delivery_customer_number=renumbered[row.delivery_customer_number]
            )
            if row.delivery_customer_number in renumbered
            else row
            for row in rows
        ],
    )


def _own_invoice_children(record: Invoice) -> Invoice:
    iid = record.id
    rows = [
        r if r.invoice_id == iid else msgspec.structs.replace(r, invoice_id=iid)
        for r in record.rows or []
    ]
    payments = [
        p if p.invoice_id == iid else msgspec.structs.replace(p, invoice_id=iid)
        for p in record.payments or []
    ]
    return msgspec.structs.replace(record, rows=rows, payments=payments)


def _check_total(
    invoice: Invoice, given: dict[str, Any], site: str, problems: list[str]
) -> Invoice:
    """``total_sum`` is the sum of the rows' ``total``: computed when left out, checked when
    given."""
    rows_cents = sum(_cents(row.total) for row in invoice.rows or [])
    if "total_sum" not in given:
        if "rows" in given or invoice.total_sum is None:
            return msgspec.structs.replace(invoice, total_sum=rows_cents / 100)
        return invoice
    if invoice.rows and _cents(invoice.total_sum) != rows_cents:
        problems.append(
            f"{site}: invoice {invoice.id}: total_sum {invoice.total_sum} is not the sum of "
            f"its rows' total ({rows_cents / 100}); leave total_sum out to have it computed"
        )
    return invoice
