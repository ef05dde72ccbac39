"""The fields that filters, ordering and referential checks read, one small row per record.

A generated record is materialized only when a client asks for it; its facts are all the
store keeps until then. A written record's facts are derived from it with ``customer_facts`` /
``invoice_facts``, and the generator guarantees (and tests) that the facts it reports for a
generated record equal what these functions derive from that record.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from .models import Customer, Invoice


class CustomerFacts(msgspec.Struct, frozen=True, gc=False):
    id: int
    number: int | None
    name: str | None
    name2: str | None
    searchname: str | None
    email: str | None
    phone: str | None
    vat: str | None
    city: str | None
    group: int | None
    type: int | None
    is_customer: bool | None
    is_supplier: bool | None
    created: datetime | None
    modified: datetime | None
    attribute_ids: tuple[int, ...]  # ids of the *selected* attributes
    contact_emails: tuple[str, ...]  # every non-null contact e-mail


class InvoiceFacts(msgspec.Struct, frozen=True, gc=False):
    id: int
    number: int | None
    customer_number: int | None
    delivery_customer_number: int | None
    type: int | None
    date: datetime | None
    modified_date: datetime | None
    customer_name: str | None
    description: str | None
    reference: str | None
    our_reference: str | None
    customer_reference: str | None


def customer_facts(record: Customer) -> CustomerFacts:
    """The facts of a complete customer record."""
    attributes = record.attributes or []
    contacts = record.contacts or []
    return CustomerFacts(
        id=record.id,  # type: ignore[arg-type]
        number=record.number,  # type: ignore[arg-type]
        name=record.name,
        name2=record.name2,  # type: ignore[arg-type]
        searchname=record.searchname,  # type: ignore[arg-type]
        email=record.email,
        phone=record.phone,  # type: ignore[arg-type]
        vat=record.vat,  # type: ignore[arg-type]
        city=record.city,  # type: ignore[arg-type]
        group=record.group,  # type: ignore[arg-type]
        type=record.type,  # type: ignore[arg-type]
        is_customer=record.is_customer,  # type: ignore[arg-type]
        is_supplier=record.is_supplier,  # type: ignore[arg-type]
        created=record.created,  # type: ignore[arg-type]
        modified=record.modified,  # type: ignore[arg-type]
        attribute_ids=tuple(a.id for a in attributes if a.selected),
        contact_emails=tuple(c.email for c in contacts if isinstance(c.email, str)),
    )


def invoice_facts(record: Invoice) -> InvoiceFacts:
    """The facts of a complete invoice record."""
    return InvoiceFacts(
        id=record.id,  # type: ignore[arg-type]
        number=record.number,  # type: ignore[arg-type]
        customer_number=record.customer_number,  # type: ignore[arg-type]
        delivery_customer_number=record.delivery_customer_number,  # type: ignore[arg-type]
        type=record.type,  # type: ignore[arg-type]
        date=record.date,
        modified_date=record.modified_date,  # type: ignore[arg-type]
        customer_name=record.customer_name,  # type: ignore[arg-type]
        description=record.description,  # type: ignore[arg-type]
        reference=record.reference,  # type: ignore[arg-type]
        our_reference=record.our_reference,  # type: ignore[arg-type]
        customer_reference=record.customer_reference,  # type: ignore[arg-type]
    )
