"""The API's schema, defined once.

Every model of ``models.yaml`` is a msgspec Struct here. The same classes validate request
bodies (``decode_body``), encode responses, emit the OpenAPI document and feed the Hypothesis
strategies. Optional fields default to ``UNSET`` so that a request body remembers which fields
it carried (a PUT merges only those); stored records are ``complete``: every scalar that has
no value is ``None`` and every list is a list, so each response carries every field.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import msgspec
from msgspec import UNSET, UnsetType

Int32 = Annotated[int, msgspec.Meta(ge=-(2**31), le=2**31 - 1)]
INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1


class Model(msgspec.Struct, kw_only=True):
    """Base of every API model: keyword-only, unknown fields ignored (as Json.NET does)."""


class LogInInfo(Model, kw_only=True):
    UserName: str
    Password: str
    Database: str
    ApiKey: str


class Customer(Model, kw_only=True):
    searchname: str | None | UnsetType = UNSET
    email: str
    currency_code: str | None | UnsetType = UNSET
    attributes: list[CustomerAttribute] | None | UnsetType = UNSET
    contacts: list[CustomerContact] | None | UnsetType = UNSET
    texts: list[CustomerText] | None | UnsetType = UNSET
    costcenter: str | None | UnsetType = UNSET
    delivery_code: str | None | UnsetType = UNSET
    invoicing_customer_number: Int32 | None | UnsetType = UNSET
    orderer_customer_number: Int32 | None | UnsetType = UNSET
    is_customer: bool | None | UnsetType = UNSET
    is_nonactive: bool | None | UnsetType = UNSET
    is_prospect: bool | None | UnsetType = UNSET
    is_supplier: bool | None | UnsetType = UNSET
    created: datetime | None | UnsetType = UNSET
    modified: datetime | None | UnsetType = UNSET
    delivery_method_number: Int32 | None | UnsetType = UNSET
    delivery_term: Int32 | None | UnsetType = UNSET
    payment_term_number: Int32 | None | UnsetType = UNSET
    interest: float | None | UnsetType = UNSET
    sales_account: str | None | UnsetType = UNSET
    purchase_account: str | None | UnsetType = UNSET
    receivables_account: str | None | UnsetType = UNSET
    accountspayable_account: str | None | UnsetType = UNSET
    customer_edi: str | None | UnsetType = UNSET
    invoice_method_id: Int32 | None | UnsetType = UNSET
    invoice_code: str | None | UnsetType = UNSET
    finvoice_address: str | None | UnsetType = UNSET
    reference: str | None | UnsetType = UNSET
    creditlimit: float | None | UnsetType = UNSET
    deny_credit: bool | None | UnsetType = UNSET
    reseller: Int32 | None | UnsetType = UNSET
    default_reference: str | None | UnsetType = UNSET
    prevent_delivery: bool | None | UnsetType = UNSET
    partial_delivery_disabled: bool | None | UnsetType = UNSET
    invoiceperiod: Int32 | None | UnsetType = UNSET
    invoicedates: str | None | UnsetType = UNSET
    due_invoice_sum: float | None | UnsetType = UNSET
    open_invoice_sum: float | None | UnsetType = UNSET
    agreements: list[CustomerAgreement] | None | UnsetType = UNSET
    accounts: list[CustomerAccount] | None | UnsetType = UNSET
    circulations: list[CustomerCirculation] | None | UnsetType = UNSET
    dimension: CustomerDimension | None | UnsetType = UNSET
    person_responsible_number: Int32 | None | UnsetType = UNSET
    id: Int32 | None | UnsetType = UNSET
    number: Int32 | None | UnsetType = UNSET
    name: str
    name2: str | None | UnsetType = UNSET
    phone: str | None | UnsetType = UNSET
    vat: str | None | UnsetType = UNSET
    street: str | None | UnsetType = UNSET
    street2: str | None | UnsetType = UNSET
    city: str | None | UnsetType = UNSET
    postal_code: str | None | UnsetType = UNSET
    country: str | None | UnsetType = UNSET
    www: str | None | UnsetType = UNSET
    language_code: str | None | UnsetType = UNSET
    group: Int32 | None | UnsetType = UNSET
    customer_group_id: Int32 | None | UnsetType = UNSET
    invoicing_name: str | None | UnsetType = UNSET
    invoicing_name2: str | None | UnsetType = UNSET
    invoicing_address: str | None | UnsetType = UNSET
    invoicing_postaladdress: str | None | UnsetType = UNSET
    invoicing_postal_code: str | None | UnsetType = UNSET
    invoicing_city: str | None | UnsetType = UNSET
    type: Int32 | None | UnsetType = UNSET
    seller_number: Int32 | None | UnsetType = UNSET
    fax: str | None | UnsetType = UNSET


class CustomerAttribute(Model, kw_only=True):
    id: Int32
    name: str | None | UnsetType = UNSET
    selected: bool


class CustomerContact(Model, kw_only=True):
    id: Int32 | None | UnsetType = UNSET
    customer_id: Int32
    name: str | None | UnsetType = UNSET
    attributes: list[CustomerContactAttribute] | None | UnsetType = UNSET
    street: str | None | UnsetType = UNSET
    street2: str | None | UnsetType = UNSET
    department: str | None | UnsetType = UNSET
    email: str | None | UnsetType = UNSET
    fax: str | None | UnsetType = UNSET
    gsm: str | None | UnsetType = UNSET
    note: str | None | UnsetType = UNSET
    phone: str | None | UnsetType = UNSET
    postal_city: str | None | UnsetType = UNSET
    postal_code: str | None | UnsetType = UNSET
    city: str | None | UnsetType = UNSET
    title: str | None | UnsetType = UNSET


class CustomerContactAttribute(Model, kw_only=True):
    id: Int32
    name: str | None | UnsetType = UNSET
    selected: bool
    contact_id: Int32 | None | UnsetType = UNSET


class CustomerText(Model, kw_only=True):
    id: Int32 | None | UnsetType = UNSET
    header_number: Int32 | None | UnsetType = UNSET
    note: str | None | UnsetType = UNSET


class CustomerAgreement(Model, kw_only=True):
    products: list[CustomerAgreementProduct] | None | UnsetType = UNSET
    id: Int32 | None | UnsetType = UNSET
    type: Int32 | None | UnsetType = UNSET
    date: datetime | None | UnsetType = UNSET
    invoicing_customer: Int32 | None | UnsetType = UNSET
    notes: str | None | UnsetType = UNSET
    period_length: Int32 | None | UnsetType = UNSET
    description: str | None | UnsetType = UNSET
    startdate: datetime | None | UnsetType = UNSET
    enddate: datetime | None | UnsetType = UNSET
    checkdate: datetime | None | UnsetType = UNSET
    install_date: datetime | None | UnsetType = UNSET
    invoiced_date: datetime | None | UnsetType = UNSET
    mark: str | None | UnsetType = UNSET
    invoice_text: str | None | UnsetType = UNSET
    order_number: str | None | UnsetType = UNSET
    blocking: Int32 | None | UnsetType = UNSET
    responsible_person: Int32 | None | UnsetType = UNSET
    invoice_travelling_bit: bool | None | UnsetType = UNSET
    auto_renew_bit: bool | None | UnsetType = UNSET
    service_person_number: Int32 | None | UnsetType = UNSET
    backup_service_person_number: Int32 | None | UnsetType = UNSET
    response_time: float | None | UnsetType = UNSET
    leasing_number: str | None | UnsetType = UNSET
    leasing_start_date: datetime | None | UnsetType = UNSET
    leasing_end_date: datetime | None | UnsetType = UNSET
    leasing_value: float | None | UnsetType = UNSET
    leasing_end_value: float | None | UnsetType = UNSET
    automation_weekday: Int32 | None | UnsetType = UNSET
    automation_month: Int32 | None | UnsetType = UNSET
    automation_markdate: datetime | None | UnsetType = UNSET
    location: str | None | UnsetType = UNSET
    email: str | None | UnsetType = UNSET
    phone: str | None | UnsetType = UNSET
    no_charges: bool | None | UnsetType = UNSET
    travel_time_percent: Int32 | None | UnsetType = UNSET
    master: Int32 | None | UnsetType = UNSET
    balancing_period: Int32 | None | UnsetType = UNSET
    balanced_date: datetime | None | UnsetType = UNSET
    payment_term: Int32 | None | UnsetType = UNSET
    based_charges: bool | None | UnsetType = UNSET
    no_crediting: bool | None | UnsetType = UNSET
    pricelist: Int32 | None | UnsetType = UNSET
    show_included_amount: bool | None | UnsetType = UNSET


class CustomerAgreementProduct(Model, kw_only=True):
    agreement_product_id: Int32 | None | UnsetType = UNSET
    agreement_id: Int32 | None | UnsetType = UNSET
    product_code: str | None | UnsetType = UNSET
    product_description: str | None | UnsetType = UNSET
    product_description2: str | None | UnsetType = UNSET
    product_serialnumber: str | None | UnsetType = UNSET
    product_amount: float | None | UnsetType = UNSET
    product_unit: str | None | UnsetType = UNSET
    product_price: float | None | UnsetType = UNSET
    product_type: Int32 | None | UnsetType = UNSET
    product_unitprice: float | None | UnsetType = UNSET
    product_discount: float | None | UnsetType = UNSET
    product_amount2: float | None | UnsetType = UNSET
    product_blocking: Int32 | None | UnsetType = UNSET
    product_notes: str | None | UnsetType = UNSET
    warranty_ends: datetime | None | UnsetType = UNSET
    product_sales_price: float | None | UnsetType = UNSET
    service_interval: Int32 | None | UnsetType = UNSET
    calibration_interval: Int32 | None | UnsetType = UNSET
    product_project_id: Int32 | None | UnsetType = UNSET
    product_project_phase_id: Int32 | None | UnsetType = UNSET


class CustomerAccount(Model, kw_only=True):
    account_id: Int32 | None | UnsetType = UNSET
    customer_id: Int32 | None | UnsetType = UNSET
    account_number: str | None | UnsetType = UNSET
    bank_name: str | None | UnsetType = UNSET
    bank_address: str | None | UnsetType = UNSET
    bank_address2: str | None | UnsetType = UNSET
    bank_country_code: str | None | UnsetType = UNSET
    bank_info: str | None | UnsetType = UNSET
    bic: str | None | UnsetType = UNSET
    iban: str | None | UnsetType = UNSET
    foreign_type: str | None | UnsetType = UNSET
    foreign_share: str | None | UnsetType = UNSET
    clearing: str | None | UnsetType = UNSET


class CustomerCirculation(Model, kw_only=True):
    id: Int32 | None | UnsetType = UNSET
    customer_id: Int32 | None | UnsetType = UNSET
    person_number: Int32 | None | UnsetType = UNSET
    circulation_type: Annotated[int, msgspec.Meta(ge=0, le=1)] | None | UnsetType = UNSET


class CustomerDimension(Model, kw_only=True):
    Area_code: Int32 | None | UnsetType = UNSET
    Chain_code: Int32 | None | UnsetType = UNSET
    Turnover_code: Int32 | None | UnsetType = UNSET
    Employer_quantity_code: Int32 | None | UnsetType = UNSET
    Customer_segment_code: Int32 | None | UnsetType = UNSET
    Customer_abc: Int32 | None | UnsetType = UNSET
    Mainbusiness_code: Int32 | None | UnsetType = UNSET
    Branch_classification1: str | None | UnsetType = UNSET
    Branch_classification2: str | None | UnsetType = UNSET
    Branch_classification3: str | None | UnsetType = UNSET
    Customergroup_id: Int32 | None | UnsetType = UNSET
    Business_activity_areacode: Int32 | None | UnsetType = UNSET
    Customer_class_id: Int32 | None | UnsetType = UNSET
    Customer_quality_system_bit: bool | None | UnsetType = UNSET
    Customer_reference_bit: bool | None | UnsetType = UNSET
    Customer_dimension_started: datetime | None | UnsetType = UNSET
    Customer_dimension_turnover: Int32 | None | UnsetType = UNSET
    Customer_costcenter: str | None | UnsetType = UNSET
    Customer_lta: str | None | UnsetType = UNSET
    Customer_quality_system_name: str | None | UnsetType = UNSET
    Customer_reference_note: str | None | UnsetType = UNSET
    Transaction_type: Int32 | None | UnsetType = UNSET


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
    company_location_id: Int32 | None | UnsetType = UNSET
    currency_code: str | None | UnsetType = UNSET
    delivery_method: Int32 | None | UnsetType = UNSET
    bank_code: str | None | UnsetType = UNSET
    rf_reference: str | None | UnsetType = UNSET
    agreed_due_date: datetime | None | UnsetType = UNSET
    cash_amount: float | None | UnsetType = UNSET
    cash_date: datetime | None | UnsetType = UNSET
    customer_order_number: str | None | UnsetType = UNSET
    delivery_code: str | None | UnsetType = UNSET
    delivery_customer_address: str | None | UnsetType = UNSET
    delivery_customer_address2: str | None | UnsetType = UNSET
    delivery_customer_address3: str | None | UnsetType = UNSET
    delivery_customer_contact: str | None | UnsetType = UNSET
    delivery_customer_country: str | None | UnsetType = UNSET
    delivery_customer_name: str | None | UnsetType = UNSET
    delivery_customer_additional_name: str | None | UnsetType = UNSET
    delivery_customer_number: Int32 | None | UnsetType = UNSET
    delivery_customer_contact_phone: str | None | UnsetType = UNSET
    delivery_customer_contact_email: str | None | UnsetType = UNSET
    delivery_term: Int32 | None | UnsetType = UNSET
    note: str | None | UnsetType = UNSET
    orderer_customer_address: str | None | UnsetType = UNSET
    orderer_customer_address2: str | None | UnsetType = UNSET
    orderer_customer_address3: str | None | UnsetType = UNSET
    orderer_customer_contact: str | None | UnsetType = UNSET
    orderer_customer_country: str | None | UnsetType = UNSET
    orderer_customer_name: str | None | UnsetType = UNSET
    orderer_customer_additional_name: str | None | UnsetType = UNSET
    orderer_customer_number: Int32 | None | UnsetType = UNSET
    orderer_customer_contact_phone: str | None | UnsetType = UNSET
    orderer_customer_contact_email: str | None | UnsetType = UNSET
    order_mark: str | None | UnsetType = UNSET
    our_reference: str | None | UnsetType = UNSET
    project_number: Int32 | None | UnsetType = UNSET
    reference: str | None | UnsetType = UNSET
    tax_type: bool | None | UnsetType = UNSET
    total_sum: float | None | UnsetType = UNSET
    type: Int32 | None | UnsetType = UNSET
    value_date: datetime | None | UnsetType = UNSET
    payment_term: Int32 | None | UnsetType = UNSET
    person_driver: Int32 | None | UnsetType = UNSET
    person_invoice_res_person: Int32 | None | UnsetType = UNSET
    person_seller_number: Int32 | None | UnsetType = UNSET
    customer_reference: str | None | UnsetType = UNSET
    modified_date: datetime | None | UnsetType = UNSET
    rows: list[InvoiceRow] | None | UnsetType = UNSET
    payments: list[InvoicePayment] | None | UnsetType = UNSET
    links: list[Link] | None | UnsetType = UNSET
    id: Int32 | None | UnsetType = UNSET
    number: Int32 | None | UnsetType = UNSET
    invoice_method: Annotated[int, msgspec.Meta(ge=0, le=20)] | None | UnsetType = UNSET
    invoice_method_description: str | None | UnsetType = UNSET
    customer_address: str | None | UnsetType = UNSET
    customer_address2: str | None | UnsetType = UNSET
    customer_address3: str | None | UnsetType = UNSET
    customer_contact: str | None | UnsetType = UNSET
    customer_country: str | None | UnsetType = UNSET
    customer_name: str | None | UnsetType = UNSET
    customer_additional_name: str | None | UnsetType = UNSET
    customer_number: Int32 | None | UnsetType = UNSET
    customer_contact_phone: str | None | UnsetType = UNSET
    customer_contact_email: str | None | UnsetType = UNSET
    date: datetime
    description: str | None | UnsetType = UNSET
    due_date: datetime | None | UnsetType = UNSET
    invoiced_bit: bool | None | UnsetType = UNSET
    reminder_bit: bool | None | UnsetType = UNSET
    reminder_count: Int32 | None | UnsetType = UNSET
    reminder_date: datetime | None | UnsetType = UNSET
    language_code: str | None | UnsetType = UNSET
    currency_rate: float | None | UnsetType = UNSET
    state: str | None | UnsetType = UNSET
    online_url: str | None | UnsetType = UNSET


class InvoiceRow(Model, kw_only=True):
    invoice_id: Int32 | None | UnsetType = UNSET
    batch_number: Int32 | None | UnsetType = UNSET
    delivery_customer_number: Int32 | None | UnsetType = UNSET
    delivery_date: datetime | None | UnsetType = UNSET
    order_number: Int32 | None | UnsetType = UNSET
    reference: str | None | UnsetType = UNSET
    stock_id: Int32 | None | UnsetType = UNSET
    person_seller_id: Int32 | None | UnsetType = UNSET
    person_number: Int32 | None | UnsetType = UNSET
    sizes: list[SizeAmount] | None | UnsetType = UNSET
    id: Int32 | None | UnsetType = UNSET
    type: Int32 | None | UnsetType = UNSET
    account: str | None | UnsetType = UNSET
    cost_center: str | None | UnsetType = UNSET
    project_code: str | None | UnsetType = UNSET
    project_number: Int32 | None | UnsetType = UNSET
    project_phase_id: Int32 | None | UnsetType = UNSET
    discount: float | None | UnsetType = UNSET
    discount2: float | None | UnsetType = UNSET
    discount3: float | None | UnsetType = UNSET
    per: float | None | UnsetType = UNSET
    sales_price: float | None | UnsetType = UNSET
    total: float
    unit_price: float
    quantity: float
    quantity2: float | None | UnsetType = UNSET
    color: str | None | UnsetType = UNSET
    customer_discount_percentage: float | None | UnsetType = UNSET
    dimension: str | None | UnsetType = UNSET
    inner_note: str | None | UnsetType = UNSET
    net_price: float | None | UnsetType = UNSET
    no_stock_update: bool | None | UnsetType = UNSET
    note: str | None | UnsetType = UNSET
    number: Int32 | None | UnsetType = UNSET
    position: str | None | UnsetType = UNSET
    product_code: str | None | UnsetType = UNSET
    product_name: str | None | UnsetType = UNSET
    product_extra_name: str | None | UnsetType = UNSET
    tax_amount: float | None | UnsetType = UNSET
    tax_rate: float | None | UnsetType = UNSET
    unit: str | None | UnsetType = UNSET
    unit_net_price: float | None | UnsetType = UNSET
    unit_net_price_currency: float | None | UnsetType = UNSET
    unit_net_currency: str | None | UnsetType = UNSET
    product_stock: Int32 | None | UnsetType = UNSET
    lta: str | None | UnsetType = UNSET
    weight: float | None | UnsetType = UNSET
    supplier_id: Int32 | None | UnsetType = UNSET
    row_serial: str | None | UnsetType = UNSET
    is_serial_follow_up: bool | None | UnsetType = UNSET
    serialnumber_type: Int32 | None | UnsetType = UNSET
    is_batch_follow_up: bool | None | UnsetType = UNSET


class InvoicePayment(Model, kw_only=True):
    id: Int32 | None | UnsetType = UNSET
    invoice_id: Int32 | None | UnsetType = UNSET
    description: str | None | UnsetType = UNSET
    accountlist_account: str | None | UnsetType = UNSET
    codelist_cashier_number: Int32 | None | UnsetType = UNSET
    codelist_paymentcode: Int32 | None | UnsetType = UNSET
    costcenter_code: str | None | UnsetType = UNSET
    customer_date: datetime | None | UnsetType = UNSET
    tax_rate: float | None | UnsetType = UNSET
    account_currency: str | None | UnsetType = UNSET
    currency_rate: float | None | UnsetType = UNSET
    date: datetime
    total: float | None | UnsetType = UNSET
    total_incurrency: float | None | UnsetType = UNSET
    reference_payment_id: Int32 | None | UnsetType = UNSET
    interest_bit: bool | None | UnsetType = UNSET
    rounding_bit: bool | None | UnsetType = UNSET
    archive: str | None | UnsetType = UNSET
    project: Int32 | None | UnsetType = UNSET
    lta: str | None | UnsetType = UNSET


class Link(Model, kw_only=True):
    id: Int32 | None | UnsetType = UNSET
    application_id: Int32 | None | UnsetType = UNSET
    object_id: Int32 | None | UnsetType = UNSET
    target: str | None | UnsetType = UNSET
    description: str | None | UnsetType = UNSET
    type: str | None | UnsetType = UNSET
    codelist_type: Int32 | None | UnsetType = UNSET


class SizeAmount(Model, kw_only=True):
    id: Int32 | None | UnsetType = UNSET
    row_id: Int32 | None | UnsetType = UNSET
    size: str | None | UnsetType = UNSET
    ean: str | None | UnsetType = UNSET
    amount: float | None | UnsetType = UNSET
    dlvr_amount: float | None | UnsetType = UNSET
    total_dlvr_amount: float | None | UnsetType = UNSET
    sort_order: Int32 | None | UnsetType = UNSET


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


class ListEnvelope(Model, kw_only=True):
    """The list answer: ``result_count`` counts the items on this page."""

    result_count: Int32
    results: list[Any]


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

_SCALAR, _LIST, _STRUCT = 0, 1, 2
M = TypeVar("M", bound="Model")
_Shape = tuple[tuple[str, str, int, "type[Model] | None"], ...]
_shapes: dict[type, _Shape] = {}


def _shape(cls: type[Model]) -> _Shape:
    """(attribute, JSON name, kind, nested model) for every field of ``cls``."""
    shape = _shapes.get(cls)
    if shape is None:
        info = msgspec.inspect.type_info(cls)
        assert isinstance(info, msgspec.inspect.StructType)
        fields = []
        for field in info.fields:
            kind, nested = _SCALAR, None
            types = field.type.types if isinstance(field.type, msgspec.inspect.UnionType) else (field.type,)
            for t in types:
                if isinstance(t, msgspec.inspect.ListType):
                    kind = _LIST
                    if isinstance(t.item_type, msgspec.inspect.StructType):
                        nested = t.item_type.cls
                elif isinstance(t, msgspec.inspect.StructType):
                    kind, nested = _STRUCT, t.cls
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


_json_decoder = msgspec.json.Decoder()


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
    except msgspec.DecodeError as error:
        raise BodyError({param: [f"The request body is not valid JSON: {error}."]}) from None
    if not isinstance(value, dict):
        raise BodyError({param: [f"Expected a JSON object, got {_json_kind(value)}."]})
    try:
        return msgspec.convert(_fold_keys(value, cls), cls)
    except msgspec.ValidationError as error:
        raise BodyError(_model_state(error, param)) from None


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
