"""An invoice's *core*: its facts, rows, payments and reminders, the amounts in cents.

``invoice_core(customers, invoice_id, invoices, rng)`` draws from the generator of the
invoice's block (``draws.INVOICE_BLOCK`` consecutive ids share one; the caller replays a
block's earlier cores to reach a later one). What it reads of the customers is fixed before any
invoice is made (``CustomerIndex``: creation times, roles, payment terms, first contacts), so a
core never depends on another invoice. Knows money in integer cents and time in day indexes.
Knows nothing of the full ``Invoice`` model (``invoice_records``) or of customers' records.

The order of draws is the data: each helper takes its draws in the order they always had;
reordering any changes every seed's data (tests/test_digest.py).
"""

from __future__ import annotations

import random
from array import array
from bisect import bisect_left
from datetime import datetime
from typing import NamedTuple

from ..facts import CustomerFacts, InvoiceFacts
from .catalogues import (
    DESCRIPTIONS,
    DISCOUNTS,
    INVOICE_NUMBER_BASE,
    INVOICE_TYPE_CASH,
    INVOICE_TYPE_CREDIT,
    INVOICE_TYPE_SALES,
    PRODUCTS,
    ROW_COUNTS,
    SELLERS,
    TERM_TABLE,
    VAT_RATES10,
)
from .draws import Random01
from .identifiers import finnish_reference
from .timeline import DAY, DAY_DATES, DAYS, REF_TS, START_TS, moment


class CustomerIndex:
    """What invoice cores read of the customers, one entry per customer in id order."""

    __slots__ = ("contact_names", "created", "facts", "is_customer", "terms")

    def __init__(self) -> None:
        self.facts: list[CustomerFacts] = []
        self.created = array("q")  # creation second, ascending with id
        self.is_customer = bytearray()
        self.terms = bytearray()  # payment term, days
        self.contact_names: list[str | None] = []  # the first contact's name


class Row(NamedTuple):
    product: int  # index in PRODUCTS
    quantity: int  # hundredths
    price: int  # cents
    discount: int  # percent
    total: int  # cents
    vat10: int  # VAT rate in tenths of a percent


class Payment(NamedTuple):
    day: int
    amount: int  # cents


class InvoiceCore(NamedTuple):
    facts: InvoiceFacts
    customer: int  # customer index (id - 1)
    delivery: int
    orderer: int
    day: int
    term: int
    due_day: int
    total: int  # cents
    paid: int  # cents
    rows: tuple[Row, ...]
    payments: tuple[Payment, ...]
    seller: int
    reminders: int
    reminder_day: int
    customer_order: str | None


def quantity(kind: str, r: Random01) -> int:
    """A quantity in hundredths for the product's quantity kind."""
    u = r()
    if kind == "h":
        return 50 * (1 + int(16 * u * u))  # 0.5 .. 8 hours, mostly short
    if kind == "kk":
        return 100 if u < 0.8 else (300 if u < 0.95 else 1200)
    if kind == "km":
        return 100 * (10 + int(390 * u * u))
    if kind == "m":
        return 100 * (5 + int(195 * u * u))
    if kind == "few":
        return 100 * (1 + int(4 * u * u))
    if kind == "some":
        return 100 * (1 + int(12 * u * u))
    if kind == "packs":
        return 100 * (1 + int(20 * u * u))
    if kind == "people":
        return 100 * (4 + int(30 * u))
    if kind == "users":
        return 100 * (1 + int(25 * u * u))
    return 100


def div_round(n: int, d: int) -> int:
    """n / d rounded half away from zero (d > 0)."""
    q, rem = divmod(abs(n), d)
    if 2 * rem >= d:
        q += 1
    return q if n >= 0 else -q


# --- the core's parts, in draw order ------------------------------------------------------------


def _parties(customers: CustomerIndex, r: Random01, day: int) -> tuple[int, int, int]:
    """(customer, delivery customer, orderer) indexes among customers created before ``day``;
    the customer is a customer (not only a supplier) unless 16 tries find none."""
    eligible = bisect_left(customers.created, START_TS + day * DAY)
    is_customer = customers.is_customer
    customer = 0
    for _ in range(16):
        x = r()  # skewed toward long-standing customers
        candidate = int(eligible * x * (0.3 + 0.7 * x))
        if is_customer[candidate]:
            customer = candidate
            break
    delivery = customer if r() < 0.88 else int(eligible * r())
    orderer = customer if r() < 0.92 else int(eligible * r())
    return customer, delivery, orderer


def _rows(r: Random01, sign: int) -> tuple[tuple[Row, ...], int]:
    """(rows of distinct products, total in cents); prices include VAT."""
    rows: list[Row] = []
    used: list[int] = []
    total = 0
    for _ in range(ROW_COUNTS[int(r() * 100)]):
        p = int(r() * len(PRODUCTS))
        while p in used:
            p = (p + 1) % len(PRODUCTS)
        used.append(p)
        product = PRODUCTS[p]
        amount = sign * quantity(product.quantity, r)
        price = product.price
        if r() < 0.25:  # a negotiated price, to ten cents
            price = max(10, (price * (85 + int(r() * 25)) // 100) // 10 * 10)
        discount = DISCOUNTS[int(r() * 100)]
        row_total = div_round(amount * price * (100 - discount), 10_000)
        total += row_total
        rows.append(Row(p, amount, price, discount, row_total, VAT_RATES10[product.vat]))
    return tuple(rows), total


def _payments(r: Random01, itype: int, day: int, term: int, total: int) -> tuple[Payment, ...]:
    """Who pays, when: cash and credit notes settle on the day; a sales invoice is paid
    around its due date, late, early, never, or in two instalments."""
    if itype != INVOICE_TYPE_SALES:
        return (Payment(day, total),)  # paid in cash / credit note settled
    due_day = day + term
    pay_u = r()
    if pay_u < 0.70:
        pay_day = due_day - 5 + int(r() * 16)
    elif pay_u < 0.82:
        pay_day = due_day + 11 + int(r() * 80)
    elif pay_u < 0.95:
        pay_day = day + int(r() * (term + 1))
    else:
        pay_day = DAYS  # never paid
    pay_day = max(pay_day, day)
    if r() < 0.05 and total >= 200:  # paid in two instalments
        if pay_day >= DAYS:
            return ()
        first = total // 2 // 100 * 100
        second_day = pay_day + 14 + int(r() * 45)
        if second_day < DAYS:
            return (Payment(pay_day, first), Payment(second_day, total - first))
        return (Payment(pay_day, first),)
    return (Payment(pay_day, total),) if pay_day < DAYS else ()


def _modified(r: Random01, day: int, payments: tuple[Payment, ...], reminder_day: int) -> int:
    """The last change: the booking, the last payment, the last reminder (0: none)."""
    modified = START_TS + day * DAY + 8 * 3600 + int(r() * 8 * 3600)
    if payments:
        modified = max(
            modified, START_TS + payments[-1].day * DAY + 6 * 3600 + int(r() * 12 * 3600)
        )
    if reminder_day:
        modified = max(modified, START_TS + reminder_day * DAY + 9 * 3600)
    return min(modified, REF_TS - 1)


def _texts(
    r: Random01, itype: int, invoice_id: int, when: datetime, contact: str | None
) -> tuple[str, str | None, str | None]:
    """(description, customer's reference, customer's order number): a credit note names an
    invoice of the last fifty; the reference is the first contact, an order or nothing."""
    description = (
        f"{DESCRIPTIONS[int(r() * len(DESCRIPTIONS))]} {when.month}/{when.year}"
        if itype != INVOICE_TYPE_CREDIT
        else f"Hyvitys, lasku {INVOICE_NUMBER_BASE + max(1, invoice_id - 1 - int(r() * 50))}"
    )
    ref_u = r()
    if ref_u < 0.5:
        return description, contact, None
    if ref_u < 0.75:
        order = f"{4500000 + int(r() * 500000)}"
        return description, f"Tilaus {order}", order
    return description, None, None


# --- the core -----------------------------------------------------------------------------------


def invoice_core(
    customers: CustomerIndex, invoice_id: int, invoices: int, rng: random.Random
) -> InvoiceCore:
    """The invoice's core: its facts, rows and payments, drawn from its block's generator."""
    r = rng.random
    day = 2 + (invoice_id - 1) * (DAYS - 2) // invoices  # ids are allocated in time order
    customer, delivery, orderer = _parties(customers, r, day)
    type_u = r()
    itype = (
        INVOICE_TYPE_CREDIT
        if type_u < 0.03
        else INVOICE_TYPE_CASH
        if type_u < 0.07
        else INVOICE_TYPE_SALES
    )
    if itype == INVOICE_TYPE_CASH:
        term = 0
    elif r() < 0.9:
        term = customers.terms[customer]
    else:
        term = TERM_TABLE[int(r() * len(TERM_TABLE))]
    due_day = day + term
    rows, total = _rows(r, -1 if itype == INVOICE_TYPE_CREDIT else 1)
    payments = _payments(r, itype, day, term, total)
    paid = 0
    for payment in payments:
        paid += payment.amount
    reminders, reminder_day = 0, 0
    if total - paid > 0 and due_day + 14 < DAYS:
        reminders = 1 if due_day + 45 >= DAYS else 2
        reminder_day = due_day + (14 if reminders == 1 else 45)
    modified = _modified(r, day, payments, reminder_day)
    seller = int(r() * len(SELLERS))
    when = DAY_DATES[day]
    description, customer_reference, customer_order = _texts(
        r, itype, invoice_id, when, customers.contact_names[customer]
    )
    number = INVOICE_NUMBER_BASE + invoice_id
    customer_facts = customers.facts[customer]
    facts = InvoiceFacts(
        id=invoice_id,
        number=number,
        customer_number=customer_facts.number,
        delivery_customer_number=customers.facts[delivery].number,
        type=itype,
        date=when,
        modified_date=moment(modified),
        customer_name=customer_facts.name,
        description=description,
        reference=finnish_reference(number),
        our_reference=SELLERS[seller][1],
        customer_reference=customer_reference,
    )
    return InvoiceCore(
        facts=facts,
        customer=customer,
        delivery=delivery,
        orderer=orderer,
        day=day,
        term=term,
        due_day=due_day,
        total=total,
        paid=paid,
        rows=rows,
        payments=payments,
        seller=seller,
        reminders=reminders,
        reminder_day=reminder_day,
        customer_order=customer_order,
    )
