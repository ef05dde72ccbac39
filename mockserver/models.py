"""The API's schema, defined once.

Every model of ``models.yaml`` is a msgspec Struct here. The same classes validate request
bodies (``decode_body``), encode responses, emit the OpenAPI document and feed the Hypothesis
strategies. Optional fields default to ``UNSET`` so that a request body remembers which fields
it carried (a PUT merges only those); stored records are ``complete``: every scalar that has
no value is ``None`` and every list is a list, so each response carries every field.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar, cast

import msgspec
from msgspec import UNSET, UnsetType

Int32 = Annotated[int, msgspec.Meta(ge=-(2**31), le=2**31 - 1)]
INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1


class Model(msgspec.Struct, kw_only=True):
    """Base of every API model: keyword-only, unknown fields ignored (as Json.NET does)."""


# At least one character that is not white space as .NET's char.IsWhiteSpace (and so ASP.NET's
# [Required]) sees it. The OpenAPI document states it; the login handler checks it.
NOT_BLANK = r"[^\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
NonBlank = Annotated[str, msgspec.Meta(extra_json_schema={"pattern": NOT_BLANK})]
_not_blank = re.compile(NOT_BLANK)


def is_blank(text: str) -> bool:
    return _not_blank.search(text) is None


class LogInInfo(Model, kw_only=True):
    UserName: NonBlank
    Password: NonBlank
    Database: NonBlank
    ApiKey: NonBlank


class Customer(Model, kw_only=True):
    searchname: str | UnsetType | None = UNSET
    email: str
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
    name: str
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


BASE_FIELDS: tuple[str, ...] = tuple(f.name for f in msgspec.structs.fields(CustomerBase))


# --- completing records and validating bodies -------------------------------------------------
# Per model, computed once: each field's kind, so that walking a record needs no introspection.

_SCALAR, _LIST, _STRUCT, _DATETIME = 0, 1, 2, 3
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
M = TypeVar("M", bound="Model")
_Shape = tuple[tuple[str, str, int, "type[Model] | None"], ...]
_shapes: dict[type, _Shape] = {}


def _shape(cls: type[Model]) -> _Shape:
    """(attribute, JSON name, kind, nested model) for every field of ``cls``."""
    shape = _shapes.get(cls)
    if shape is None:
        info = msgspec.inspect.type_info(cls)
        assert isinstance(info, msgspec.inspect.StructType)
        fields: list[tuple[str, str, int, type[Model] | None]] = []
        for field in info.fields:
            kind, nested = _SCALAR, cast("type[Model] | None", None)
            types = (
                field.type.types
                if isinstance(field.type, msgspec.inspect.UnionType)
                else (field.type,)
            )
            for t in types:
                if isinstance(t, msgspec.inspect.ListType):
                    kind = _LIST
                    if isinstance(t.item_type, msgspec.inspect.StructType):
                        nested = cast("type[Model]", t.item_type.cls)
                elif isinstance(t, msgspec.inspect.StructType):
                    kind, nested = _STRUCT, cast("type[Model]", t.cls)
                elif isinstance(t, msgspec.inspect.DateTimeType):
                    kind = _DATETIME
            fields.append((field.name, field.encode_name, kind, nested))
        shape = _shapes[cls] = tuple(fields)
    return shape


def complete(record: M) -> M:
    """The record with every unset scalar as ``None``, every unset list as ``[]``, naive
    date-times as UTC, and the same done to every nested model."""
    changes: dict[str, Any] = {}
    for attr, _, kind, nested in _shape(type(record)):
        value = getattr(record, attr)
        if value is UNSET:
            changes[attr] = [] if kind == _LIST else None
        elif value is None:
            if kind == _LIST:
                changes[attr] = []
        elif kind == _LIST and nested is not None:
            changes[attr] = [complete(item) for item in value]
        elif kind == _STRUCT:
            changes[attr] = complete(value)
        elif isinstance(value, datetime) and value.tzinfo is None:
            changes[attr] = value.replace(tzinfo=UTC)
    return msgspec.structs.replace(record, **changes) if changes else record


def given_fields(record: Model) -> dict[str, Any]:
    """The fields a request body actually carried (everything not ``UNSET``)."""
    return {
        attr: getattr(record, attr)
        for attr, _, _, _ in _shape(type(record))
        if getattr(record, attr) is not UNSET
    }


class BodyError(Exception):
    """An invalid request body; ``model_state`` maps field paths to messages."""

    def __init__(self, model_state: dict[str, list[str]]) -> None:
        super().__init__(model_state)
        self.model_state = model_state


def _whole_number(text: str) -> float | int:
    """Json.NET binds ``2.0`` to an integer property: a JSON number with no fraction decodes
    as an int, which msgspec still accepts wherever a float is expected."""
    value = float(text)
    return int(value) if value.is_integer() else value


_json_decoder = msgspec.json.Decoder(float_hook=_whole_number)


def _fold_keys(value: Any, cls: type[Model]) -> Any:
    """Json.NET binds property names case-insensitively: rename keys to the model's names."""
    if not isinstance(value, dict):
        return value
    names = _lower_names(cls)
    out: dict[str, Any] = {}
    for key, item in value.items():
        target = names.get(key.lower()) if isinstance(key, str) else None
        if target is None:
            continue  # unknown fields are ignored, as Json.NET does
        name, kind, nested = target
        if name in out and key != name:
            continue  # an exact-case key wins over a case-folded duplicate
        if nested is not None and kind == _LIST and isinstance(item, list):
            item = [_fold_keys(element, nested) for element in item]
        elif nested is not None and kind == _STRUCT:
            item = _fold_keys(item, nested)
        elif kind == _DATETIME and isinstance(item, str) and _DATE_ONLY.match(item):
            item += "T00:00:00"  # Json.NET reads a bare ISO date as its midnight (UTC here)
        out[name] = item
    return out


_lower_cache: dict[type, dict[str, tuple[str, int, type[Model] | None]]] = {}


def _lower_names(cls: type[Model]) -> dict[str, tuple[str, int, type[Model] | None]]:
    names = _lower_cache.get(cls)
    if names is None:
        names = _lower_cache[cls] = {
            encode_name.lower(): (encode_name, kind, nested)
            for _, encode_name, kind, nested in _shape(cls)
        }
    return names


def _model_state(error: msgspec.ValidationError, param: str) -> dict[str, list[str]]:
    """Turn msgspec's "message - at `$.path`" into ASP.NET's ``{"param.path": [message]}``."""
    text = str(error)
    message, _, where = text.rpartition(" - at `")
    if not message:
        message, where = text, "$`"
    path = param + where.rstrip("`")[1:]
    if message.startswith("Object missing required field `"):
        field = message.split("`")[1]
        path = f"{path}.{field}"
        message = f"The {field} field is required."
    elif not message.endswith("."):
        message += "."
    return {path: [message]}


def decode_body(raw: bytes, cls: type[M], param: str) -> M:
    """Validate a JSON request body against ``cls``; raise ``BodyError`` naming the field."""
    try:
        value = _json_decoder.decode(raw)
    except (msgspec.DecodeError, RecursionError) as error:  # RecursionError: nested too deep
        raise BodyError({param: [f"The request body is not valid JSON: {error}."]}) from None
    if not isinstance(value, dict):
        raise BodyError({param: [f"Expected a JSON object, got {_json_kind(value)}."]})
    folded = _fold_keys(value, cls)
    try:
        return msgspec.convert(folded, cls)
    except msgspec.ValidationError as error:
        model_state = _model_state(error, param)
        # msgspec stops at the first problem; ASP.NET names every missing required field of
        # the body, so at least those of the top level are all reported.
        for name in _required(cls):
            if name not in folded:
                model_state.setdefault(f"{param}.{name}", [f"The {name} field is required."])
        raise BodyError(model_state) from None


def _required(cls: type[Model]) -> tuple[str, ...]:
    required = _required_cache.get(cls)
    if required is None:
        info = msgspec.inspect.type_info(cls)
        assert isinstance(info, msgspec.inspect.StructType)
        required = _required_cache[cls] = tuple(f.encode_name for f in info.fields if f.required)
    return required


_required_cache: dict[type, tuple[str, ...]] = {}


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array"


encode = msgspec.json.Encoder().encode
