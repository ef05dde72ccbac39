"""The API's schema, defined once.

One module, though long, because it is one schema: one Struct per vendor model, each a few
dozen lines of fields, and the few helpers that treat every model alike (``complete``,
``given_fields``). Split, one schema would be scattered over files that must agree.

Every model of ``models.yaml`` is a msgspec Struct here. The same classes validate request
bodies (``decode_body``, from ``validation``: read as the real server reads them), encode
responses, emit the OpenAPI document and feed the Hypothesis strategies. Optional fields
default to ``UNSET`` so that a request body remembers which fields it carried (a PUT merges
only those); stored records are ``complete``: every scalar that has no value is ``None`` and
every list is a list, so each response carries every field.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import msgspec
from msgspec import UNSET, UnsetType

from .validation import LIST, STRUCT, shape

# Read by the handlers, the records loader and the tests from here, with the models.
from .validation import NOT_BLANK as NOT_BLANK
from .validation import BodyError as BodyError
from .validation import decode_body as decode_body
from .validation import is_blank as is_blank

Int32 = Annotated[int, msgspec.Meta(ge=-(2**31), le=2**31 - 1)]
INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1


class Model(msgspec.Struct, kw_only=True):
    """Base of every API model: keyword-only, unknown fields ignored (as Json.NET does)."""


# Not empty nor white space only: ASP.NET's [Required] on a string, which ``validation``
# checks for every required string; the OpenAPI document states it with this pattern.
NonBlank = Annotated[str, msgspec.Meta(extra_json_schema={"pattern": NOT_BLANK})]


class LogInInfo(Model, kw_only=True):
    UserName: NonBlank
    Password: NonBlank
    Database: NonBlank
    ApiKey: NonBlank


class Customer(Model, kw_only=True):
    searchname: str | UnsetType | None = UNSET
    email: NonBlank
    currency_code: str | UnsetType | None = UNSET
    attributes: list[CustomerAttribute] | UnsetType | None = UNSET
    contacts: list[CustomerContact] | UnsetType | None = UNSET
    texts: list[CustomerText] | UnsetType | None = UNSET
    costcenter: str | UnsetType | None = UNSET
    delivery_code: str | UnsetType | None = UNSET
    invoicing_customer_number: Int32 | UnsetType | None = UNSET
    orderer_customer_number: Int32 | UnsetType | None = UNSET
    is_customer: bool | UnsetType | None = UNSET
    is_nonactive: bool | UnsetType | None = UNSET
    is_prospect: bool | UnsetType | None = UNSET
    is_supplier: bool | UnsetType | None = UNSET
    created: datetime | UnsetType | None = UNSET
    modified: datetime | UnsetType | None = UNSET
    delivery_method_number: Int32 | UnsetType | None = UNSET
    delivery_term: Int32 | UnsetType | None = UNSET
    payment_term_number: Int32 | UnsetType | None = UNSET
    interest: float | UnsetType | None = UNSET
    sales_account: str | UnsetType | None = UNSET
    purchase_account: str | UnsetType | None = UNSET
    receivables_account: str | UnsetType | None = UNSET
    accountspayable_account: str | UnsetType | None = UNSET
    customer_edi: str | UnsetType | None = UNSET
    invoice_method_id: Int32 | UnsetType | None = UNSET
    invoice_code: str | UnsetType | None = UNSET
    finvoice_address: str | UnsetType | None = UNSET
    reference: str | UnsetType | None = UNSET
    creditlimit: float | UnsetType | None = UNSET
    deny_credit: bool | UnsetType | None = UNSET
    reseller: Int32 | UnsetType | None = UNSET
    default_reference: str | UnsetType | None = UNSET
    prevent_delivery: bool | UnsetType | None = UNSET
    partial_delivery_disabled: bool | UnsetType | None = UNSET
    invoiceperiod: Int32 | UnsetType | None = UNSET
    invoicedates: str | UnsetType | None = UNSET
    due_invoice_sum: float | UnsetType | None = UNSET
    open_invoice_sum: float | UnsetType | None = UNSET
    agreements: list[CustomerAgreement] | UnsetType | None = UNSET
    accounts: list[CustomerAccount] | UnsetType | None = UNSET
    circulations: list[CustomerCirculation] | UnsetType | None = UNSET
    dimension: CustomerDimension | UnsetType | None = UNSET
    person_responsible_number: Int32 | UnsetType | None = UNSET
    id: Int32 | UnsetType | None = UNSET
    number: Int32 | UnsetType | None = UNSET
    name: NonBlank
    name2: str | UnsetType | None = UNSET
    phone: str | UnsetType | None = UNSET
    vat: str | UnsetType | None = UNSET
    street: str | UnsetType | None = UNSET
    street2: str | UnsetType | None = UNSET
    city: str | UnsetType | None = UNSET
    postal_code: str | UnsetType | None = UNSET
    country: str | UnsetType | None = UNSET
    www: str | UnsetType | None = UNSET
    language_code: str | UnsetType | None = UNSET
    group: Int32 | UnsetType | None = UNSET
    customer_group_id: Int32 | UnsetType | None = UNSET
    invoicing_name: str | UnsetType | None = UNSET
    invoicing_name2: str | UnsetType | None = UNSET
    invoicing_address: str | UnsetType | None = UNSET
    invoicing_postaladdress: str | UnsetType | None = UNSET
    invoicing_postal_code: str | UnsetType | None = UNSET
    invoicing_city: str | UnsetType | None = UNSET
    type: Int32 | UnsetType | None = UNSET
    seller_number: Int32 | UnsetType | None = UNSET
    fax: str | UnsetType | None = UNSET


class CustomerAttribute(Model, kw_only=True):
    id: Int32
    name: str | UnsetType | None = UNSET
    selected: bool


class CustomerContact(Model, kw_only=True):
    id: Int32 | UnsetType | None = UNSET
    customer_id: Int32
    name: str | UnsetType | None = UNSET
    attributes: list[CustomerContactAttribute] | UnsetType | None = UNSET
    street: str | UnsetType | None = UNSET
    street2: str | UnsetType | None = UNSET
    department: str | UnsetType | None = UNSET
    email: str | UnsetType | None = UNSET
    fax: str | UnsetType | None = UNSET
    gsm: str | UnsetType | None = UNSET
    note: str | UnsetType | None = UNSET
    phone: str | UnsetType | None = UNSET
    postal_city: str | UnsetType | None = UNSET
    postal_code: str | UnsetType | None = UNSET
    city: str | UnsetType | None = UNSET
    title: str | UnsetType | None = UNSET


class CustomerContactAttribute(Model, kw_only=True):
    id: Int32
    name: str | UnsetType | None = UNSET
    selected: bool
    contact_id: Int32 | UnsetType | None = UNSET


class CustomerText(Model, kw_only=True):
    id: Int32 | UnsetType | None = UNSET
    header_number: Int32 | UnsetType | None = UNSET
    note: str | UnsetType | None = UNSET


class CustomerAgreement(Model, kw_only=True):
    products: list[CustomerAgreementProduct] | UnsetType | None = UNSET
    id: Int32 | UnsetType | None = UNSET
    type: Int32 | UnsetType | None = UNSET
    date: datetime | UnsetType | None = UNSET
    invoicing_customer: Int32 | UnsetType | None = UNSET
    notes: str | UnsetType | None = UNSET
    period_length: Int32 | UnsetType | None = UNSET
    description: str | UnsetType | None = UNSET
    startdate: datetime | UnsetType | None = UNSET
    enddate: datetime | UnsetType | None = UNSET
    checkdate: datetime | UnsetType | None = UNSET
    install_date: datetime | UnsetType | None = UNSET
    invoiced_date: datetime | UnsetType | None = UNSET
    mark: str | UnsetType | None = UNSET
    invoice_text: str | UnsetType | None = UNSET
    order_number: str | UnsetType | None = UNSET
    blocking: Int32 | UnsetType | None = UNSET
    responsible_person: Int32 | UnsetType | None = UNSET
    invoice_travelling_bit: bool | UnsetType | None = UNSET
    auto_renew_bit: bool | UnsetType | None = UNSET
    service_person_number: Int32 | UnsetType | None = UNSET
    backup_service_person_number: Int32 | UnsetType | None = UNSET
    response_time: float | UnsetType | None = UNSET
    leasing_number: str | UnsetType | None = UNSET
    leasing_start_date: datetime | UnsetType | None = UNSET
    leasing_end_date: datetime | UnsetType | None = UNSET
    leasing_value: float | UnsetType | None = UNSET
    leasing_end_value: float | UnsetType | None = UNSET
    automation_weekday: Int32 | UnsetType | None = UNSET
    automation_month: Int32 | UnsetType | None = UNSET
    automation_markdate: datetime | UnsetType | None = UNSET
    location: str | UnsetType | None = UNSET
    email: str | UnsetType | None = UNSET
    phone: str | UnsetType | None = UNSET
    no_charges: bool | UnsetType | None = UNSET
    travel_time_percent: Int32 | UnsetType | None = UNSET
    master: Int32 | UnsetType | None = UNSET
    balancing_period: Int32 | UnsetType | None = UNSET
    balanced_date: datetime | UnsetType | None = UNSET
    payment_term: Int32 | UnsetType | None = UNSET
    based_charges: bool | UnsetType | None = UNSET
    no_crediting: bool | UnsetType | None = UNSET
    pricelist: Int32 | UnsetType | None = UNSET
    show_included_amount: bool | UnsetType | None = UNSET


class CustomerAgreementProduct(Model, kw_only=True):
    agreement_product_id: Int32 | UnsetType | None = UNSET
    agreement_id: Int32 | UnsetType | None = UNSET
    product_code: str | UnsetType | None = UNSET
    product_description: str | UnsetType | None = UNSET
    product_description2: str | UnsetType | None = UNSET
    product_serialnumber: str | UnsetType | None = UNSET
    product_amount: float | UnsetType | None = UNSET
    product_unit: str | UnsetType | None = UNSET
    product_price: float | UnsetType | None = UNSET
    product_type: Int32 | UnsetType | None = UNSET
    product_unitprice: float | UnsetType | None = UNSET
    product_discount: float | UnsetType | None = UNSET
    product_amount2: float | UnsetType | None = UNSET
    product_blocking: Int32 | UnsetType | None = UNSET
    product_notes: str | UnsetType | None = UNSET
    warranty_ends: datetime | UnsetType | None = UNSET
    product_sales_price: float | UnsetType | None = UNSET
    service_interval: Int32 | UnsetType | None = UNSET
    calibration_interval: Int32 | UnsetType | None = UNSET
    product_project_id: Int32 | UnsetType | None = UNSET
    product_project_phase_id: Int32 | UnsetType | None = UNSET


class CustomerAccount(Model, kw_only=True):
    account_id: Int32 | UnsetType | None = UNSET
    customer_id: Int32 | UnsetType | None = UNSET
    account_number: str | UnsetType | None = UNSET
    bank_name: str | UnsetType | None = UNSET
    bank_address: str | UnsetType | None = UNSET
    bank_address2: str | UnsetType | None = UNSET
    bank_country_code: str | UnsetType | None = UNSET
    bank_info: str | UnsetType | None = UNSET
    bic: str | UnsetType | None = UNSET
    iban: str | UnsetType | None = UNSET
    foreign_type: str | UnsetType | None = UNSET
    foreign_share: str | UnsetType | None = UNSET
    clearing: str | UnsetType | None = UNSET


class CustomerCirculation(Model, kw_only=True):
    id: Int32 | UnsetType | None = UNSET
    customer_id: Int32 | UnsetType | None = UNSET
    person_number: Int32 | UnsetType | None = UNSET
    circulation_type: Annotated[int, msgspec.Meta(ge=0, le=1)] | UnsetType | None = UNSET


class CustomerDimension(Model, kw_only=True):
    Area_code: Int32 | UnsetType | None = UNSET
    Chain_code: Int32 | UnsetType | None = UNSET
    Turnover_code: Int32 | UnsetType | None = UNSET
    Employer_quantity_code: Int32 | UnsetType | None = UNSET
    Customer_segment_code: Int32 | UnsetType | None = UNSET
    Customer_abc: Int32 | UnsetType | None = UNSET
    Mainbusiness_code: Int32 | UnsetType | None = UNSET
    Branch_classification1: str | UnsetType | None = UNSET
    Branch_classification2: str | UnsetType | None = UNSET
    Branch_classification3: str | UnsetType | None = UNSET
    Customergroup_id: Int32 | UnsetType | None = UNSET
    Business_activity_areacode: Int32 | UnsetType | None = UNSET
    Customer_class_id: Int32 | UnsetType | None = UNSET
    Customer_quality_system_bit: bool | UnsetType | None = UNSET
    Customer_reference_bit: bool | UnsetType | None = UNSET
    Customer_dimension_started: datetime | UnsetType | None = UNSET
    Customer_dimension_turnover: Int32 | UnsetType | None = UNSET
    Customer_costcenter: str | UnsetType | None = UNSET
    Customer_lta: str | UnsetType | None = UNSET
    Customer_quality_system_name: str | UnsetType | None = UNSET
    Customer_reference_note: str | UnsetType | None = UNSET
    Transaction_type: Int32 | UnsetType | None = UNSET


class CustomerFilter(Model, kw_only=True):
    name: str | None = None
    search_name: str | None = None
    email: str | None = None
    contact_email: str | None = None
    phone: str | None = None
    vat: str | None = None
    modified_before: datetime | None = None
    modified_after: datetime | None = None
    has_email: Int32 | None = None
    is_customer: Int32 | None = None
    is_supplier: Int32 | None = None
    customer_number: list[Int32] | None = None
    group: Int32 | None = None
    type: Int32 | None = None
    created_before: datetime | None = None
    created_after: datetime | None = None
    updated_before: datetime | None = None
    updated_after: datetime | None = None
    attribute_ids: list[Int32] | None = None
    object_ids: list[Int32] | None = None
    page: Int32 | None = None
    page_size: Int32 | None = None
    search: str | None = None


class Invoice(Model, kw_only=True):
    company_location_id: Int32 | UnsetType | None = UNSET
    currency_code: str | UnsetType | None = UNSET
    delivery_method: Int32 | UnsetType | None = UNSET
    bank_code: str | UnsetType | None = UNSET
    rf_reference: str | UnsetType | None = UNSET
    agreed_due_date: datetime | UnsetType | None = UNSET
    cash_amount: float | UnsetType | None = UNSET
    cash_date: datetime | UnsetType | None = UNSET
    customer_order_number: str | UnsetType | None = UNSET
    delivery_code: str | UnsetType | None = UNSET
    delivery_customer_address: str | UnsetType | None = UNSET
    delivery_customer_address2: str | UnsetType | None = UNSET
    delivery_customer_address3: str | UnsetType | None = UNSET
    delivery_customer_contact: str | UnsetType | None = UNSET
    delivery_customer_country: str | UnsetType | None = UNSET
    delivery_customer_name: str | UnsetType | None = UNSET
    delivery_customer_additional_name: str | UnsetType | None = UNSET
    delivery_customer_number: Int32 | UnsetType | None = UNSET
    delivery_customer_contact_phone: str | UnsetType | None = UNSET
    delivery_customer_contact_email: str | UnsetType | None = UNSET
    delivery_term: Int32 | UnsetType | None = UNSET
    note: str | UnsetType | None = UNSET
    orderer_customer_address: str | UnsetType | None = UNSET
    orderer_customer_address2: str | UnsetType | None = UNSET
    orderer_customer_address3: str | UnsetType | None = UNSET
    orderer_customer_contact: str | UnsetType | None = UNSET
    orderer_customer_country: str | UnsetType | None = UNSET
    orderer_customer_name: str | UnsetType | None = UNSET
    orderer_customer_additional_name: str | UnsetType | None = UNSET
    orderer_customer_number: Int32 | UnsetType | None = UNSET
    orderer_customer_contact_phone: str | UnsetType | None = UNSET
    orderer_customer_contact_email: str | UnsetType | None = UNSET
    order_mark: str | UnsetType | None = UNSET
    our_reference: str | UnsetType | None = UNSET
    project_number: Int32 | UnsetType | None = UNSET
    reference: str | UnsetType | None = UNSET
    tax_type: bool | UnsetType | None = UNSET
    total_sum: float | UnsetType | None = UNSET
    type: Int32 | UnsetType | None = UNSET
    value_date: datetime | UnsetType | None = UNSET
    payment_term: Int32 | UnsetType | None = UNSET
    person_driver: Int32 | UnsetType | None = UNSET
    person_invoice_res_person: Int32 | UnsetType | None = UNSET
    person_seller_number: Int32 | UnsetType | None = UNSET
    customer_reference: str | UnsetType | None = UNSET
    modified_date: datetime | UnsetType | None = UNSET
    rows: list[InvoiceRow] | UnsetType | None = UNSET
    payments: list[InvoicePayment] | UnsetType | None = UNSET
    links: list[Link] | UnsetType | None = UNSET
    id: Int32 | UnsetType | None = UNSET
    number: Int32 | UnsetType | None = UNSET
    invoice_method: Annotated[int, msgspec.Meta(ge=0, le=20)] | UnsetType | None = UNSET
    invoice_method_description: str | UnsetType | None = UNSET
    customer_address: str | UnsetType | None = UNSET
    customer_address2: str | UnsetType | None = UNSET
    customer_address3: str | UnsetType | None = UNSET
    customer_contact: str | UnsetType | None = UNSET
    customer_country: str | UnsetType | None = UNSET
    customer_name: str | UnsetType | None = UNSET
    customer_additional_name: str | UnsetType | None = UNSET
    customer_number: Int32 | UnsetType | None = UNSET
    customer_contact_phone: str | UnsetType | None = UNSET
    customer_contact_email: str | UnsetType | None = UNSET
    date: datetime
    description: str | UnsetType | None = UNSET
    due_date: datetime | UnsetType | None = UNSET
    invoiced_bit: bool | UnsetType | None = UNSET
    reminder_bit: bool | UnsetType | None = UNSET
    reminder_count: Int32 | UnsetType | None = UNSET
    reminder_date: datetime | UnsetType | None = UNSET
    language_code: str | UnsetType | None = UNSET
    currency_rate: float | UnsetType | None = UNSET
    state: str | UnsetType | None = UNSET
    online_url: str | UnsetType | None = UNSET


class InvoiceRow(Model, kw_only=True):
    invoice_id: Int32 | UnsetType | None = UNSET
    batch_number: Int32 | UnsetType | None = UNSET
    delivery_customer_number: Int32 | UnsetType | None = UNSET
    delivery_date: datetime | UnsetType | None = UNSET
    order_number: Int32 | UnsetType | None = UNSET
    reference: str | UnsetType | None = UNSET
    stock_id: Int32 | UnsetType | None = UNSET
    person_seller_id: Int32 | UnsetType | None = UNSET
    person_number: Int32 | UnsetType | None = UNSET
    sizes: list[SizeAmount] | UnsetType | None = UNSET
    id: Int32 | UnsetType | None = UNSET
    type: Int32 | UnsetType | None = UNSET
    account: str | UnsetType | None = UNSET
    cost_center: str | UnsetType | None = UNSET
    project_code: str | UnsetType | None = UNSET
    project_number: Int32 | UnsetType | None = UNSET
    project_phase_id: Int32 | UnsetType | None = UNSET
    discount: float | UnsetType | None = UNSET
    discount2: float | UnsetType | None = UNSET
    discount3: float | UnsetType | None = UNSET
    per: float | UnsetType | None = UNSET
    sales_price: float | UnsetType | None = UNSET
    total: float
    unit_price: float
    quantity: float
    quantity2: float | UnsetType | None = UNSET
    color: str | UnsetType | None = UNSET
    customer_discount_percentage: float | UnsetType | None = UNSET
    dimension: str | UnsetType | None = UNSET
    inner_note: str | UnsetType | None = UNSET
    net_price: float | UnsetType | None = UNSET
    no_stock_update: bool | UnsetType | None = UNSET
    note: str | UnsetType | None = UNSET
    number: Int32 | UnsetType | None = UNSET
    position: str | UnsetType | None = UNSET
    product_code: str | UnsetType | None = UNSET
    product_name: str | UnsetType | None = UNSET
    product_extra_name: str | UnsetType | None = UNSET
    tax_amount: float | UnsetType | None = UNSET
    tax_rate: float | UnsetType | None = UNSET
    unit: str | UnsetType | None = UNSET
    unit_net_price: float | UnsetType | None = UNSET
    unit_net_price_currency: float | UnsetType | None = UNSET
    unit_net_currency: str | UnsetType | None = UNSET
    product_stock: Int32 | UnsetType | None = UNSET
    lta: str | UnsetType | None = UNSET
    weight: float | UnsetType | None = UNSET
    supplier_id: Int32 | UnsetType | None = UNSET
    row_serial: str | UnsetType | None = UNSET
    is_serial_follow_up: bool | UnsetType | None = UNSET
    serialnumber_type: Int32 | UnsetType | None = UNSET
    is_batch_follow_up: bool | UnsetType | None = UNSET


class InvoicePayment(Model, kw_only=True):
    id: Int32 | UnsetType | None = UNSET
    invoice_id: Int32 | UnsetType | None = UNSET
    description: str | UnsetType | None = UNSET
    accountlist_account: str | UnsetType | None = UNSET
    codelist_cashier_number: Int32 | UnsetType | None = UNSET
    codelist_paymentcode: Int32 | UnsetType | None = UNSET
    costcenter_code: str | UnsetType | None = UNSET
    customer_date: datetime | UnsetType | None = UNSET
    tax_rate: float | UnsetType | None = UNSET
    account_currency: str | UnsetType | None = UNSET
    currency_rate: float | UnsetType | None = UNSET
    date: datetime
    total: float | UnsetType | None = UNSET
    total_incurrency: float | UnsetType | None = UNSET
    reference_payment_id: Int32 | UnsetType | None = UNSET
    interest_bit: bool | UnsetType | None = UNSET
    rounding_bit: bool | UnsetType | None = UNSET
    archive: str | UnsetType | None = UNSET
    project: Int32 | UnsetType | None = UNSET
    lta: str | UnsetType | None = UNSET


class Link(Model, kw_only=True):
    id: Int32 | UnsetType | None = UNSET
    application_id: Int32 | UnsetType | None = UNSET
    object_id: Int32 | UnsetType | None = UNSET
    target: str | UnsetType | None = UNSET
    description: str | UnsetType | None = UNSET
    type: str | UnsetType | None = UNSET
    codelist_type: Int32 | UnsetType | None = UNSET


class SizeAmount(Model, kw_only=True):
    id: Int32 | UnsetType | None = UNSET
    row_id: Int32 | UnsetType | None = UNSET
    size: str | UnsetType | None = UNSET
    ean: str | UnsetType | None = UNSET
    amount: float | UnsetType | None = UNSET
    dlvr_amount: float | UnsetType | None = UNSET
    total_dlvr_amount: float | UnsetType | None = UNSET
    sort_order: Int32 | UnsetType | None = UNSET


class SalesInvoiceFilter(Model, kw_only=True):
    numbers: list[Int32] | None = None
    customer_number: Int32 | None = None
    delivery_customer_number: Int32 | None = None
    type: Int32 | None = None
    invoice_date_before: datetime | None = None
    invoice_date_after: datetime | None = None
    updated_before: datetime | None = None
    updated_after: datetime | None = None
    object_ids: list[Int32] | None = None
    page: Int32 | None = None
    page_size: Int32 | None = None
    search: str | None = None


# --- sales orders: scenario records only, for POST /api/invoices/order/{number} (issue 15) ---
# The vendor's ProxySalesOrder and ProxySalesOrderRow, cut to what invoicing an order reads
# (the mock serves no order operation; ``mockserver.records`` reads them, ``books`` invoices).


class SalesOrder(Model, kw_only=True):
    id: Int32 | UnsetType | None = UNSET
    number: Int32 | UnsetType | None = UNSET
    order_datetime: datetime
    delivery_datetime: datetime | UnsetType | None = UNSET
    rows: list[SalesOrderRow]
    customer_number: Int32 | UnsetType | None = UNSET
    customer_address: str | UnsetType | None = UNSET
    customer_address2: str | UnsetType | None = UNSET
    customer_address3: str | UnsetType | None = UNSET
    customer_contact: str | UnsetType | None = UNSET
    customer_contact_email: str | UnsetType | None = UNSET
    customer_contact_phone: str | UnsetType | None = UNSET
    customer_country: str | UnsetType | None = UNSET
    customer_name: str | UnsetType | None = UNSET
    customer_name2: str | UnsetType | None = UNSET
    customer_order_number: str | UnsetType | None = UNSET
    customer_reference: str | UnsetType | None = UNSET
    delivery_customer_number: Int32 | UnsetType | None = UNSET
    delivery_customer_address: str | UnsetType | None = UNSET
    delivery_customer_address2: str | UnsetType | None = UNSET
    delivery_customer_address3: str | UnsetType | None = UNSET
    delivery_customer_contact: str | UnsetType | None = UNSET
    delivery_customer_contact_email: str | UnsetType | None = UNSET
    delivery_customer_contact_phone: str | UnsetType | None = UNSET
    delivery_customer_country: str | UnsetType | None = UNSET
    delivery_customer_name: str | UnsetType | None = UNSET
    delivery_customer_name2: str | UnsetType | None = UNSET
    orderer_customer_number: Int32 | UnsetType | None = UNSET
    orderer_customer_address: str | UnsetType | None = UNSET
    orderer_customer_address2: str | UnsetType | None = UNSET
    orderer_customer_address3: str | UnsetType | None = UNSET
    orderer_customer_contact: str | UnsetType | None = UNSET
    orderer_customer_contact_email: str | UnsetType | None = UNSET
    orderer_customer_contact_phone: str | UnsetType | None = UNSET
    orderer_customer_country: str | UnsetType | None = UNSET
    orderer_customer_name: str | UnsetType | None = UNSET
    orderer_customer_name2: str | UnsetType | None = UNSET
    currency_rate: float | UnsetType | None = UNSET
    total: float | UnsetType | None = UNSET
    delivery_method: Int32 | UnsetType | None = UNSET
    delivery_term: Int32 | UnsetType | None = UNSET
    payment_term: Int32 | UnsetType | None = UNSET
    invoice_res_person: Int32 | UnsetType | None = UNSET
    seller_number: Int32 | UnsetType | None = UNSET
    project_number: Int32 | UnsetType | None = UNSET
    currency_code: str | UnsetType | None = UNSET
    delivery_code: str | UnsetType | None = UNSET
    description: str | UnsetType | None = UNSET
    language_code: str | UnsetType | None = UNSET
    note: str | UnsetType | None = UNSET
    mark: str | UnsetType | None = UNSET
    our_reference: str | UnsetType | None = UNSET


class SalesOrderRow(Model, kw_only=True):
    order_id: Int32 | UnsetType | None = UNSET
    delivery_datetime: datetime | UnsetType | None = UNSET
    id: Int32 | UnsetType | None = UNSET
    type: Int32 | UnsetType | None = UNSET
    account: str | UnsetType | None = UNSET
    cost_center: str | UnsetType | None = UNSET
    project_code: str | UnsetType | None = UNSET
    project_number: Int32 | UnsetType | None = UNSET
    project_phase_id: Int32 | UnsetType | None = UNSET
    discount: float | UnsetType | None = UNSET
    discount2: float | UnsetType | None = UNSET
    discount3: float | UnsetType | None = UNSET
    total: float
    unit_price: float
    quantity: float
    inner_note: str | UnsetType | None = UNSET
    note: str | UnsetType | None = UNSET
    number: Int32 | UnsetType | None = UNSET
    position: str | UnsetType | None = UNSET
    product_code: str | UnsetType | None = UNSET
    product_name: str | UnsetType | None = UNSET
    product_extra_name: str | UnsetType | None = UNSET
    tax_rate: float | UnsetType | None = UNSET
    unit: str | UnsetType | None = UNSET


# --- customer transactions, groups and contact lists (vendor schema; issue 15) ---------------


class CustomerTransaction(Model, kw_only=True):
    """A CRM event of a customer: a call, a meeting or a task (``type``), its people and
    dates."""

    id: Int32 | UnsetType | None = UNSET
    subject: str | UnsetType | None = UNSET
    todo_enddate: datetime | UnsetType | None = UNSET
    todo_person_number: Int32 | UnsetType | None = UNSET
    person_number: Int32 | UnsetType | None = UNSET
    todo_startdate: datetime | UnsetType | None = UNSET
    header: str | UnsetType | None = UNSET
    appointment_type: Int32 | UnsetType | None = UNSET
    type: Int32 | UnsetType | None = UNSET
    sec_type: Int32 | UnsetType | None = UNSET
    date: datetime | UnsetType | None = UNSET
    person_name: str | UnsetType | None = UNSET
    customer_number: Int32 | UnsetType | None = UNSET
    customer_contact_id: Int32 | UnsetType | None = UNSET
    todo_description: str | UnsetType | None = UNSET
    duration: Int32 | UnsetType | None = UNSET
    project_number: Int32 | UnsetType | None = UNSET
    project_phase_id: Int32 | UnsetType | None = UNSET
    orderer_customer_number: Int32 | UnsetType | None = UNSET
    invoice_bit: bool | UnsetType | None = UNSET
    hours: float | UnsetType | None = UNSET
    invoiced_bit: bool | UnsetType | None = UNSET
    state: Int32 | UnsetType | None = UNSET
    crm_type_attribute_id: Int32 | UnsetType | None = UNSET
    priority: Int32 | UnsetType | None = UNSET
    attributes: list[CustomerTransactionAttribute] | UnsetType | None = UNSET
    participates: list[CustomerTransactionParticipate] | UnsetType | None = UNSET


class CustomerTransactionAttribute(Model, kw_only=True):
    code: Int32
    description: str | UnsetType | None = UNSET
    info: str | UnsetType | None = UNSET
    group_description: str | UnsetType | None = UNSET
    is_checked: bool | UnsetType | None = UNSET


class CustomerTransactionParticipate(Model, kw_only=True):
    id: Int32 | UnsetType | None = UNSET
    participate_number: Int32 | UnsetType | None = UNSET
    participate_type: Int32 | UnsetType | None = UNSET
    participate_contact_name: str | UnsetType | None = UNSET
    participate_customer_contact_id: Int32 | UnsetType | None = UNSET


class CustomerTransactionFilter(Model, kw_only=True):
    type: Int32 | None = None
    state: Int32 | None = None
    customer_number: Int32 | None = None
    transaction_date_before: datetime | None = None
    transaction_date_after: datetime | None = None
    person_number: Int32 | None = None
    todo_person_number: Int32 | None = None
    project_number: Int32 | None = None
    customer_contact_id: Int32 | None = None
    object_ids: list[Int32] | None = None
    page: Int32 | None = None
    page_size: Int32 | None = None
    search: str | None = None


class CustomerGroup(Model, kw_only=True):
    """One customer group (the vendor's schema names no model for it: the mock's own)."""

    id: Int32 | None = None
    name: str | None = None
    parent_id: Int32 | None = None


class CustomerGroupFilter(Model, kw_only=True):
    name: str | None = None
    parent_id: Int32 | None = None
    object_ids: list[Int32] | None = None
    page: Int32 | None = None
    page_size: Int32 | None = None
    search: str | None = None


class ContactFilter(Model, kw_only=True):
    name: str | None = None
    email: str | None = None
    modified_before: datetime | None = None
    modified_after: datetime | None = None
    object_ids: list[Int32] | None = None
    page: Int32 | None = None
    page_size: Int32 | None = None
    search: str | None = None


class CustomerBase(Model, kw_only=True):
    """What ``GET /api/customers/base`` answers for each customer: the basic fields only."""

    id: Int32 | None = None
    number: Int32 | None = None
    name: str | None = None
    name2: str | None = None
    searchname: str | None = None
    email: str | None = None
    phone: str | None = None
    vat: str | None = None
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = None
    is_customer: bool | None = None
    is_supplier: bool | None = None
    is_nonactive: bool | None = None
    group: Int32 | None = None
    type: Int32 | None = None
    created: datetime | None = None
    modified: datetime | None = None


class LoginAnswer(Model, kw_only=True):
    code: Int32
    message: str
    session_id: str


class ErrorBody(msgspec.Struct, kw_only=True, omit_defaults=True):
    """An ASP.NET Web API error: ``Message``, and ``ModelState`` for invalid input."""

    Message: str
    ModelState: dict[str, list[str]] | None = None


class Health(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What the mock's own ``GET /health`` answers once the data and every scenario are
    loaded (not part of the real API); ``reason`` says why not, in a 503 of a fleet's
    process that cannot serve (``mockserver.fleet``)."""

    status: str
    seed: int
    customers: int
    invoices: int
    reason: str | None = None


BASE_FIELDS: tuple[str, ...] = tuple(f.name for f in msgspec.structs.fields(CustomerBase))


# --- completing records -------------------------------------------------------------------------

M = TypeVar("M", bound="Model")


def complete(record: M) -> M:
    """The record with every unset scalar as ``None``, every unset list as ``[]``, naive
    date-times as UTC, and the same done to every nested model."""
    changes: dict[str, Any] = {}
    for attr, _, kind, nested in shape(type(record)):
        value = getattr(record, attr)
        if value is UNSET:
            changes[attr] = [] if kind == LIST else None
        elif value is None:
            if kind == LIST:
                changes[attr] = []
        elif kind == LIST and nested is not None:
            changes[attr] = [complete(item) for item in value]
        elif kind == STRUCT:
            changes[attr] = complete(value)
        elif isinstance(value, datetime) and value.tzinfo is None:
            changes[attr] = value.replace(tzinfo=UTC)
    return msgspec.structs.replace(record, **changes) if changes else record


def given_fields(record: Model) -> dict[str, Any]:
    """The fields a request body actually carried (everything not ``UNSET``)."""
    return {
        attr: getattr(record, attr)
        for attr, _, _, _ in shape(type(record))
        if getattr(record, attr) is not UNSET
    }


encode = msgspec.json.Encoder().encode
