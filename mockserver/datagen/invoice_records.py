"""The complete ``Invoice`` record built from an invoice's core, its parties' cores and the
invoice's own detail generator.

``invoice_record(core, rng, customer, delivery, orderer)`` turns the core's cents and day
indexes into the model's rows, payments, links and state, and copies the parties' names,
addresses and first contacts. Draws (payment descriptions and archive ids, the PDF link, the
delivery method, a note) come from ``rng``, the invoice's detail generator, in the order they
always had: reordering any changes every seed's data (tests/test_digest.py). Knows nothing of
how cores are drawn or how the store keeps records.
"""

from __future__ import annotations

import random

from ..models import Invoice, InvoicePayment, InvoiceRow, Link
from .catalogues import (
    INVOICE_METHODS,
    INVOICE_NOTES,
    INVOICE_TYPE_CASH,
    INVOICE_TYPE_CREDIT,
    MAX_PAYMENTS,
    MAX_ROWS,
    PRODUCTS,
    SELLERS,
)
from .customers import CustomerCore, contact_name
from .draws import between
from .identifiers import rf_reference
from .invoices import InvoiceCore, div_round
from .timeline import DAYS, day_date


def _rows(core: InvoiceCore, seller_number: int) -> list[InvoiceRow]:
    facts = core.facts
    invoice_id = facts.id
    when = day_date(core.day)
    rows: list[InvoiceRow] = []
    for position, row in enumerate(core.rows, start=1):
        product = PRODUCTS[row.product]
        tax = div_round(row.total * row.vat10, 1000 + row.vat10)
        unit_net = div_round(row.price * 1000, 1000 + row.vat10)
        rows.append(
            InvoiceRow(
                invoice_id=invoice_id,
                batch_number=None,
                delivery_customer_number=facts.delivery_customer_number,
                delivery_date=when,
                order_number=None,
                reference=None,
                stock_id=1 if product.goods else None,
                person_seller_id=seller_number,
                person_number=None,
                sizes=[],
                id=(invoice_id - 1) * MAX_ROWS + position,
                type=1,
                account="3000",
                cost_center=None,
                project_code=None,
                project_number=None,
                project_phase_id=None,
                discount=float(row.discount),
                discount2=0.0,
                discount3=0.0,
                per=1.0,
                sales_price=row.price / 100,
                total=row.total / 100,
                unit_price=row.price / 100,
                quantity=row.quantity / 100,
                quantity2=None,
                color=None,
                customer_discount_percentage=0.0,
                dimension=None,
                inner_note=None,
                net_price=(row.total - tax) / 100,
                no_stock_update=not product.goods,
                note=None,
                number=position,
                position=str(position),
                product_code=product.code,
                product_name=product.name,
                product_extra_name=None,
                tax_amount=tax / 100,
                tax_rate=row.vat10 / 10,
                unit=product.unit,
                unit_net_price=unit_net / 100,
                unit_net_price_currency=unit_net / 100,
                unit_net_currency="EUR",
                product_stock=None,
                lta=None,
                weight=(
                    round(product.weight * abs(row.quantity) / 100, 3) if product.goods else None
                ),
                supplier_id=None,
                row_serial=None,
                is_serial_follow_up=False,
                serialnumber_type=0,
                is_batch_follow_up=False,
            )
        )
    return rows


def _payments(core: InvoiceCore, rng: random.Random) -> list[InvoicePayment]:
    r = rng.random
    invoice_id = core.facts.id
    itype = core.facts.type
    payments: list[InvoicePayment] = []
    for k, payment in enumerate(core.payments):
        pay_date = day_date(payment.day)
        if itype == INVOICE_TYPE_CASH:
            description = "Käteismaksu"
        elif itype == INVOICE_TYPE_CREDIT:
            description = "Hyvityksen kuittaus"
        else:
            description = "Viitesiirto" if r() < 0.9 else "Tilisiirto"
        # The bank's archive id: YYMMDD of the payment, then 14 digits.
        day = f"{pay_date.year % 100:02d}{pay_date.month:02d}{pay_date.day:02d}"
        archive = f"{day}{between(rng, 10**13, 10**14)}"
        amount = payment.amount / 100
        payments.append(
            InvoicePayment(
                id=(invoice_id - 1) * MAX_PAYMENTS + k + 1,
                invoice_id=invoice_id,
                description=description,
                accountlist_account="1910",
                codelist_cashier_number=None,
                codelist_paymentcode=1,
                costcenter_code=None,
                customer_date=pay_date,
                tax_rate=0.0,
                account_currency="EUR",
                currency_rate=1.0,
                date=pay_date,
                total=amount,
                total_incurrency=amount,
                reference_payment_id=None,
                interest_bit=False,
                rounding_bit=False,
                archive=archive,
                project=None,
                lta=None,
            )
        )
    return payments


def _links(core: InvoiceCore, rng: random.Random) -> list[Link]:
    """A scanned PDF of one invoice in five."""
    if rng.random() >= 0.2:
        return []
    invoice_id = core.facts.id
    return [
        Link(
            id=invoice_id,
            application_id=1,
            object_id=invoice_id,
            target=f"laskut/{day_date(core.day).year}/{core.facts.number}.pdf",
            description="Laskun kuva (PDF)",
            type="pdf",
            codelist_type=1,
        )
    ]


def _state(core: InvoiceCore) -> str:
    if core.facts.type == INVOICE_TYPE_CREDIT:
        return "Hyvitetty"
    if core.total == core.paid:
        return "Maksettu"
    if core.paid:
        return "Osittain maksettu"
    if core.due_day < DAYS:
        return "Erääntynyt"
    return "Avoin"


def invoice_record(
    core: InvoiceCore,
    rng: random.Random,
    customer: CustomerCore,
    delivery: CustomerCore,
    orderer: CustomerCore,
) -> Invoice:
    """The complete invoice of ``core``, its parties given by their cores: every field given,
    at every depth."""
    facts = core.facts
    seller_number = SELLERS[core.seller][0]
    when = day_date(core.day)
    rows = _rows(core, seller_number)
    payments = _payments(core, rng)
    links = _links(core, rng)
    r = rng.random
    delivery_method = 1 + int(r() * 4)
    note = INVOICE_NOTES[int(r() * len(INVOICE_NOTES))] if r() < 0.15 else None
    cash = facts.type == INVOICE_TYPE_CASH
    contact = customer.contacts[0] if customer.contacts else None
    dcontact = delivery.contacts[0] if delivery.contacts else None
    ocontact = orderer.contacts[0] if orderer.contacts else None
    reference = facts.reference
    assert reference is not None
    return Invoice(
        company_location_id=1,
        currency_code="EUR",
        delivery_method=delivery_method,
        bank_code="OKOYFIHH",
        rf_reference=rf_reference(reference),
        agreed_due_date=None,
        cash_amount=core.total / 100 if cash else None,
        cash_date=when if cash else None,
        customer_order_number=core.customer_order,
        delivery_code=None,
        delivery_customer_address=delivery.street,
        delivery_customer_address2=delivery.street2,
        delivery_customer_address3=f"{delivery.postal.code} {delivery.postal.city}",
        delivery_customer_contact=contact_name(dcontact),
        delivery_customer_country="FI",
        delivery_customer_name=delivery.facts.name,
        delivery_customer_additional_name=delivery.facts.name2,
        delivery_customer_number=facts.delivery_customer_number,
        delivery_customer_contact_phone=dcontact.gsm if dcontact else None,
        delivery_customer_contact_email=dcontact.email if dcontact else None,
        delivery_term=1,
        note=note,
        orderer_customer_address=orderer.street,
        orderer_customer_address2=orderer.street2,
        orderer_customer_address3=f"{orderer.postal.code} {orderer.postal.city}",
        orderer_customer_contact=contact_name(ocontact),
        orderer_customer_country="FI",
        orderer_customer_name=orderer.facts.name,
        orderer_customer_additional_name=orderer.facts.name2,
        orderer_customer_number=orderer.facts.number,
        orderer_customer_contact_phone=ocontact.gsm if ocontact else None,
        orderer_customer_contact_email=ocontact.email if ocontact else None,
        order_mark=None,
        our_reference=facts.our_reference,
        project_number=None,
        reference=reference,
        tax_type=True,
        total_sum=core.total / 100,
        type=facts.type,
        value_date=when,
        payment_term=core.term,
        person_driver=None,
        person_invoice_res_person=seller_number,
        person_seller_number=seller_number,
        customer_reference=facts.customer_reference,
        modified_date=facts.modified_date,
        rows=rows,
        payments=payments,
        links=links,
        id=facts.id,
        number=facts.number,
        invoice_method=customer.invoice_method,
        invoice_method_description=INVOICE_METHODS[customer.invoice_method],
        customer_address=customer.street,
        customer_address2=customer.street2,
        customer_address3=f"{customer.postal.code} {customer.postal.city}",
        customer_contact=contact_name(contact),
        customer_country="FI",
        customer_name=facts.customer_name,
        customer_additional_name=customer.facts.name2,
        customer_number=facts.customer_number,
        customer_contact_phone=contact.gsm if contact else None,
        customer_contact_email=contact.email if contact else None,
        date=when,
        description=facts.description,
        due_date=day_date(core.due_day),
        invoiced_bit=True,
        reminder_bit=core.reminders > 0,
        reminder_count=core.reminders,
        reminder_date=day_date(core.reminder_day) if core.reminders else None,
        language_code=customer.language,
        currency_rate=1.0,
        state=_state(core),
        online_url=None,
    )
