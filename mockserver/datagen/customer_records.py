"""The complete ``Customer`` record built from a customer's core and its remaining draws.

``customer_record(core, due_cents, open_cents)`` continues the customer's own generator where
``customer_core`` left it: contact details, texts, bank accounts, agreements, circulations,
dimension and commercial terms, in that order, then assembles every field of the model. The
open and due invoice sums come from the caller (they depend on the invoices). Knows nothing of
invoices or of how the store keeps records.

The order of draws is the data: each helper takes its draws in the order they always had
(keyword arguments of a constructor are evaluated in source order, so a draw's place among
them matters too); reordering any changes every seed's data (tests/test_digest.py).
"""

from __future__ import annotations

from typing import NamedTuple

from ..models import (
    Customer,
    CustomerAccount,
    CustomerAgreement,
    CustomerAgreementProduct,
    CustomerAttribute,
    CustomerCirculation,
    CustomerContact,
    CustomerContactAttribute,
    CustomerDimension,
    CustomerText,
)
from .catalogues import (
    ATTRIBUTE_NAMES,
    BANK_TABLE,
    CONTACT_ATTRIBUTES,
    CONTACT_NOTES,
    CUSTOMER_NUMBER_BASE,
    CUSTOMER_TEXTS,
    DEPARTMENTS,
    MAX_ACCOUNTS,
    PRODUCTS,
    SELLERS,
    SERVICE_PRODUCTS,
    TITLES,
    TRADES,
)
from .customers import CustomerCore, landline
from .draws import between, pick_distinct
from .identifiers import finnish_iban, finnish_reference, iban_groups, ovt_code
from .timeline import DAYS, START, day_date


def _contacts(core: CustomerCore) -> list[CustomerContact]:
    rng = core.rng
    r = rng.random
    phone = core.facts.phone
    contacts: list[CustomerContact] = []
    for c in core.contacts:
        contact_attributes = [
            CustomerContactAttribute(
                id=attr_id, name=attr_name, selected=r() < 0.7, contact_id=c.id
            )
            for attr_id, attr_name in CONTACT_ATTRIBUTES
            if r() < 0.3
        ]
        if core.sole_trader:  # the owner and perhaps a bookkeeper
            title = "Yrittäjä" if c is core.contacts[0] else "Kirjanpitäjä"
            department = None
        else:
            title = TITLES[int(r() * len(TITLES))]
            department = DEPARTMENTS[int(r() * len(DEPARTMENTS))] if r() < 0.5 else None
        note = CONTACT_NOTES[int(r() * len(CONTACT_NOTES))] if r() < 0.1 else None
        contacts.append(
            CustomerContact(
                id=c.id,
                customer_id=core.facts.id,
                name=f"{c.first} {c.last}",
                attributes=contact_attributes,
                street=None,
                street2=None,
                department=department,
                email=c.email,
                fax=None,
                gsm=c.gsm,
                note=note,
                phone=phone if r() < 0.3 else None,
                postal_city=None,
                postal_code=None,
                city=None,
                title=title,
            )
        )
    return contacts


def _texts(core: CustomerCore) -> list[CustomerText]:
    r = core.rng.random
    customer_id = core.facts.id
    texts = []
    for k in range((0, 0, 0, 1, 1, 2)[int(r() * 6)]):
        header, note = CUSTOMER_TEXTS[int(r() * len(CUSTOMER_TEXTS))]
        texts.append(
            CustomerText(id=(customer_id - 1) * 2 + k + 1, header_number=header, note=note)
        )
    return texts


def _accounts(core: CustomerCore) -> list[CustomerAccount]:
    """Bank accounts: suppliers are paid, so they have one or two; some customers too."""
    rng = core.rng
    r = rng.random
    customer_id = core.facts.id
    account_u = r()
    if core.facts.is_supplier:
        n_accounts = 1 if account_u < 0.85 else 2
    else:
        n_accounts = 0 if account_u < 0.7 else (1 if account_u < 0.97 else 2)
    accounts: list[CustomerAccount] = []
    for k in range(n_accounts):
        bank = BANK_TABLE[int(r() * len(BANK_TABLE))]
        digits = str(between(rng, 10**12, 10**13))
        iban = finnish_iban(bank.prefix + digits[: 13 - len(bank.prefix)])
        accounts.append(
            CustomerAccount(
                account_id=(customer_id - 1) * MAX_ACCOUNTS + k + 1,
                customer_id=customer_id,
                account_number=iban_groups(iban),
                bank_name=bank.name,
                bank_address=None,
                bank_address2=None,
                bank_country_code="FI",
                bank_info=None,
                bic=bank.bic,
                iban=iban,
                foreign_type=None,
                foreign_share=None,
                clearing=None,
            )
        )
    return accounts


def _agreement_products(core: CustomerCore, agreement_id: int) -> list[CustomerAgreementProduct]:
    """1-3 distinct service products (hours or monthly fees) of one agreement."""
    rng = core.rng
    r = rng.random
    products: list[CustomerAgreementProduct] = []
    for j, p in enumerate(pick_distinct(rng, SERVICE_PRODUCTS, 1 + int(r() * 3))):
        product = PRODUCTS[p]
        amount = 1.0 if product.unit == "kk" else float(1 + int(r() * 10))
        price = product.price / 100
        products.append(
            CustomerAgreementProduct(
                agreement_product_id=(agreement_id - 1) * 3 + j + 1,
                agreement_id=agreement_id,
                product_code=product.code,
                product_description=product.name,
                product_description2=None,
                product_serialnumber=None,
                product_amount=amount,
                product_unit=product.unit,
                product_price=price,
                product_type=1,
                product_unitprice=price,
                product_discount=0.0,
                product_amount2=None,
                product_blocking=0,
                product_notes=None,
                warranty_ends=None,
                product_sales_price=price,
                service_interval=None,
                calibration_interval=None,
                product_project_id=None,
                product_project_phase_id=None,
            )
        )
    return products


def _agreements(core: CustomerCore, created_day: int) -> list[CustomerAgreement]:
    """0-2 service agreements starting within about a year of the customer's creation."""
    r = core.rng.random
    facts = core.facts
    u = r()
    count = 0 if u < 0.7 else (1 if u < 0.93 else 2)
    agreements: list[CustomerAgreement] = []
    for k in range(count):
        agreement_id = (facts.id - 1) * 2 + k + 1
        start_day = min(DAYS - 1, created_day + 1 + int(r() * 400))
        months = (12, 24, 36)[int(r() * 3)]
        auto_renew = r() < 0.5
        kind = 1 + int(r() * 3)
        description = ("Huoltosopimus", "Ylläpitosopimus", "Palvelusopimus")[kind - 1]
        products = _agreement_products(core, agreement_id)
        start = day_date(start_day)
        end = None if auto_renew else day_date(start_day + months * 365 // 12)
        invoiced_day = start_day + 30 * int(r() * ((DAYS - start_day) // 30 + 1))
        agreements.append(
            CustomerAgreement(
                products=products,
                id=agreement_id,
                type=kind,
                date=start,
                invoicing_customer=facts.number,
                notes=None,
                period_length=(1, 3, 12)[int(r() * 3)],
                description=description,
                startdate=start,
                enddate=end,
                checkdate=None,
                install_date=None,
                invoiced_date=day_date(min(invoiced_day, DAYS - 1)),
                mark=None,
                invoice_text=f"{description} {start.year}",
                order_number=None,
                blocking=0,
                responsible_person=SELLERS[int(r() * len(SELLERS))][0],
                invoice_travelling_bit=r() < 0.3,
                auto_renew_bit=auto_renew,
                service_person_number=None,
                backup_service_person_number=None,
                response_time=(4.0, 8.0, 24.0)[int(r() * 3)],
                leasing_number=None,
                leasing_start_date=None,
                leasing_end_date=None,
                leasing_value=None,
                leasing_end_value=None,
                automation_weekday=None,
                automation_month=None,
                automation_markdate=None,
                location=None,
                email=facts.email,
                phone=facts.phone,
                no_charges=False,
                travel_time_percent=None,
                master=None,
                balancing_period=None,
                balanced_date=None,
                payment_term=core.term,
                based_charges=False,
                no_crediting=False,
                pricelist=None,
                show_included_amount=False,
            )
        )
    return agreements


def _circulations(core: CustomerCore) -> list[CustomerCirculation]:
    r = core.rng.random
    if r() >= 0.1:
        return []
    customer_id = core.facts.id
    return [
        CustomerCirculation(
            id=customer_id,
            customer_id=customer_id,
            person_number=SELLERS[int(r() * len(SELLERS))][0],
            circulation_type=int(r() * 2),
        )
    ]


def _dimension(core: CustomerCore) -> CustomerDimension:
    """The classification: the trade its name implies (else a drawn one), size, segment."""
    r = core.rng.random
    facts = core.facts
    trade = TRADES[core.trade] if core.trade >= 0 else TRADES[int(r() * len(TRADES))]
    area = int(core.postal.code[:2])
    return CustomerDimension(
        Area_code=area,
        Chain_code=None,
        Turnover_code=1 + int(r() * 6),
        Employer_quantity_code=1 + int(r() * 6),
        Customer_segment_code=1 + int(r() * 4),
        Customer_abc=1 + int(r() * 3),
        Mainbusiness_code=trade[1],
        Branch_classification1=f"{trade[1]} {trade[2]}",
        Branch_classification2=None,
        Branch_classification3=None,
        Customergroup_id=facts.group,
        Business_activity_areacode=area,
        Customer_class_id=facts.type,
        Customer_quality_system_bit=r() < 0.2,
        Customer_reference_bit=r() < 0.1,
        Customer_dimension_started=facts.created,
        Customer_dimension_turnover=None,
        Customer_costcenter=None,
        Customer_lta=None,
        Customer_quality_system_name=None,
        Customer_reference_note=None,
        Transaction_type=1,
    )


class _Terms(NamedTuple):
    """The commercial fields drawn last, in draw order."""

    www: str | None
    fax: str | None
    nonactive: bool
    delivery_method: int
    interest: float
    creditlimit: float
    deny_credit: bool
    partial_delivery_disabled: bool
    person_responsible: int
    seller: int


def _terms(core: CustomerCore) -> _Terms:
    rng = core.rng
    r = rng.random
    area = core.postal.area
    return _Terms(
        www=f"www.{core.domain}" if r() < 0.7 else None,
        fax=landline(rng, area) if area and r() < 0.08 else None,
        nonactive=r() < 0.04,
        delivery_method=1 + int(r() * 4),
        interest=(8.0, 11.5, 10.0)[int(r() * 3)],
        creditlimit=float((0, 5000, 10000, 20000, 50000)[int(r() * 5)]),
        deny_credit=r() < 0.02,
        partial_delivery_disabled=r() < 0.1,
        person_responsible=SELLERS[int(r() * len(SELLERS))][0],
        seller=SELLERS[int(r() * len(SELLERS))][0],
    )


def customer_record(core: CustomerCore, due_cents: int, open_cents: int) -> Customer:
    """The complete customer of ``core``: every field given, at every depth."""
    facts = core.facts
    customer_id = facts.id
    assert facts.created is not None
    contacts = _contacts(core)
    texts = _texts(core)
    accounts = _accounts(core)
    agreements = _agreements(core, (facts.created - START).days)
    circulations = _circulations(core)
    dimension = _dimension(core)
    terms = _terms(core)
    is_supplier = facts.is_supplier
    e_invoice = core.invoice_method == 3
    return Customer(
        searchname=facts.searchname,
        email=facts.email,  # type: ignore[arg-type]  # ~12 % of customers have none
        currency_code="EUR",
        attributes=[
            CustomerAttribute(id=attr_id, name=ATTRIBUTE_NAMES[attr_id], selected=selected)
            for attr_id, selected in core.attributes
        ],
        contacts=contacts,
        texts=texts,
        costcenter=None,
        delivery_code=None,
        invoicing_customer_number=None,
        orderer_customer_number=None,
        is_customer=facts.is_customer,
        is_nonactive=terms.nonactive,
        is_prospect=core.is_prospect,
        is_supplier=is_supplier,
        created=facts.created,
        modified=facts.modified,
        delivery_method_number=terms.delivery_method,
        delivery_term=1,
        payment_term_number=core.term,
        interest=terms.interest,
        sales_account="3000",
        purchase_account="4000" if is_supplier else None,
        receivables_account="1700",
        accountspayable_account="2870" if is_supplier else None,
        customer_edi=(accounts[0].bic if accounts else None) if e_invoice else None,
        invoice_method_id=core.invoice_method,
        invoice_code=None,
        finvoice_address=ovt_code(core.business_id) if e_invoice else None,
        reference=None,
        creditlimit=terms.creditlimit,
        deny_credit=terms.deny_credit,
        reseller=None,
        default_reference=finnish_reference(CUSTOMER_NUMBER_BASE + customer_id),
        prevent_delivery=False,
        partial_delivery_disabled=terms.partial_delivery_disabled,
        invoiceperiod=None,
        invoicedates=None,
        due_invoice_sum=due_cents / 100,
        open_invoice_sum=open_cents / 100,
        agreements=agreements,
        accounts=accounts,
        circulations=circulations,
        dimension=dimension,
        person_responsible_number=terms.person_responsible,
        id=customer_id,
        number=facts.number,
        name=facts.name,  # type: ignore[arg-type]
        name2=facts.name2,
        phone=facts.phone,
        vat=facts.vat,
        street=core.street,
        street2=core.street2,
        city=facts.city,
        postal_code=core.postal.code,
        country="FI",
        www=terms.www,
        language_code=core.language,
        group=facts.group,
        customer_group_id=facts.group,
        invoicing_name=facts.name,
        invoicing_name2=facts.name2,
        invoicing_address=core.street,
        invoicing_postaladdress=f"{core.postal.code} {core.postal.city}",
        invoicing_postal_code=core.postal.code,
        invoicing_city=facts.city,
        type=facts.type,
        seller_number=terms.seller,
        fax=terms.fax,
    )
