"""Every route the server answers, listed once, as data: ``OPERATIONS``.

One module, though long, because most of it (about 500 lines) is the table itself, one entry
per route: data, not logic. What is derived from it, and the path normalizer, follow it.

An entry says what a route is (method, path template, which handler answers it), what binds
its input (its filter model or its body model), what it answers (a model, or the list
envelope of one), and its words for people (the OpenAPI summary, operation id, tag and the
errors it can answer). Everything else is derived from the table: the router and its 405
``Allow`` lists (``mockserver.app``), the literal words API paths match case-insensitively,
the list routes the read lane and the protocol's direct lane serve, the route templates the
scenario rules may name (``mockserver.scenarios``), the known routes of the pytest plugin's
report and the OpenAPI document (``mockserver.openapi``). Adding a route is one entry here
plus its handler in ``mockserver.app.handlers``. The vendor's other operations
(``mockserver.vendor``'s catalogue less this table: ``UNMOCKED``) are routes too, each answered
501 by one handler; an operation added to the table leaves that set by itself.

It also holds the one path normalizer (``split_path``): how a request path is matched
against the table (trailing slash, base path, case).

It knows no web framework and no handler: handlers are named by key, so this module sits
below the HTTP layer and anything may import it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from . import vendor
from .binding import FilterSpec
from .customer_parts import CONTACT_FILTER, GROUP_FILTER, TRANSACTION_FILTER
from .filters import CUSTOMER_FILTER, INVOICE_FILTER
from .models import (
    INT32_MAX,
    INT32_MIN,
    Customer,
    CustomerAccount,
    CustomerAgreement,
    CustomerAgreementProduct,
    CustomerBase,
    CustomerCirculation,
    CustomerContact,
    CustomerGroup,
    CustomerText,
    CustomerTransaction,
    CustomerTransactionAttribute,
    Health,
    Invoice,
    InvoicePayment,
    InvoiceRow,
    LoginAnswer,
    LogInInfo,
)
from .models import Link as InvoiceLink  # ``Link`` here names an OpenAPI link
from .scenario_spec import json_schema as scenario_json_schema

API_PREFIX = "/api/"  # the real API's routes: under the base path only, case-insensitive
ADMIN_PREFIX = "/_mock/"  # the mock's own controls

TAG_AUTH, TAG_CUSTOMER, TAG_INVOICE = "Auth", "Customer", "Invoice"
TAG_ADMIN, TAG_DOCS = "Mock administration", "Mock documentation"

SPEC_PATH = "/swagger/docs/v1"  # the OpenAPI document, where the real API serves its own
UI_PATH = "/swagger/ui"

# The files of the Swagger UI distribution the documentation serves, and their media types.
SWAGGER_UI_ASSETS = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "favicon-32x32.png": "image/png",
    "favicon-16x16.png": "image/png",
}

# The dashboard's files (mockserver/data/ui/) besides its page, and their media types.
UI_PATH_ADMIN = "/_mock/ui"
UI_ASSETS = {
    "app.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
}

Parameter = tuple[str, str, dict[str, Any]]  # (name, description, JSON Schema)
# An OpenAPI link from an operation's answer: (name, target operation id, the target's path
# parameter the answer gives, the answer's field holding it). The target's other path
# parameters are the request's own of the same name (``mockserver.openapi``).
Link = tuple[str, str, str, str]


@dataclass(frozen=True)
class Operation:
    """One method on one path template (below the base path), and everything said of it."""

    method: str
    path: str  # ``/api/customers/{customer_id}``: ``{name}`` binds one path segment
    handler: str  # the key of its handler in ``mockserver.app.handlers``
    operation_id: str
    tag: str
    summary: str
    description: str = ""
    filters: FilterSpec | None = None  # the filter model its query binds to
    listed: bool = False  # a list route: answers the list envelope of ``answer``
    body: type[msgspec.Struct] | None = None  # the model its JSON body binds to
    body_schema: Callable[[], dict[str, Any]] | None = None  # a JSON Schema with ``$defs``
    body_content: tuple[str, ...] = ("application/json",)
    body_description: str = ""
    # body fields the handler requires though the body model may leave them out (a PUT's `id`)
    body_requires: tuple[str, ...] = ()
    answer: Any = None  # a model, or a JSON Schema where it has none; None: no body
    answer_status: int = 200
    answer_content: tuple[str, ...] = ("application/json",)
    errors: tuple[int, ...] = ()  # besides 503, which every route answers while loading
    protected: bool = False  # needs a session where auth is required
    path_params: tuple[Parameter, ...] = ()
    query_params: tuple[Parameter, ...] = ()  # besides the filter model's
    links: tuple[Link, ...] = ()

    @property
    def is_api(self) -> bool:
        """A route of the real API (else one of the mock's own: answered at the root and
        under the base path alike, never touched by scenario rules)."""
        return self.path.startswith(API_PREFIX)


def _int32() -> dict[str, Any]:
    return {"type": "integer", "format": "int32", "minimum": INT32_MIN, "maximum": INT32_MAX}


_ID_LINKS: tuple[Link, ...] = (
    ("GetCustomer", "getCustomer", "customer_id", "id"),
    ("UpdateCustomer", "updateCustomer", "customer_id", "id"),
    ("AddCustomerAccount", "addCustomerAccount", "customer_id", "id"),
)
# A new customer: everything that takes a customer's id (the stateful tests' data).
_CUSTOMER_LINKS: tuple[Link, ...] = (
    *_ID_LINKS,
    *(
        (name[0].upper() + name[1:], name, "customer_id", "id")
        for name in (
            "addCustomerAgreement", "addCustomerContact", "addCustomerText",
            "addCustomerCirculation", "addCustomerTransaction", "getCustomerTransactions",
            "listContacts", "createContact",
        )
    ),
)  # fmt: skip
_CONTACT_LINKS: tuple[Link, ...] = (
    ("DeleteCustomerContact", "deleteCustomerContact", "contact_id", "id"),
    ("UpdateContact", "updateContact", "customer_id", "id"),  # the route's id is the contact's
)
# A new invoice: everything that takes an invoice's id.
_INVOICE_LINKS: tuple[Link, ...] = tuple(
    (name[0].upper() + name[1:], name, "id", "id")
    for name in (
        "getInvoice", "deleteInvoice", "createInvoiceRow", "createInvoicePayment",
        "createInvoiceLink",
    )
)  # fmt: skip
_CUSTOMER_ID = (("customer_id", "Customer ID given in route", _int32()),)
_INVOICE_ID = (("id", "Invoice ID given in route", _int32()),)
_INVOICE_BODY_ERRORS = (400, 401, 413, 415)
_HTML = ("text/html",)
_TEXT: dict[str, Any] = {"type": "string"}
_COUNT: dict[str, Any] = {"type": "integer", "minimum": 0}
_ANY_OBJECT: dict[str, Any] = {"type": "object"}
_LOGIN_HELP = (
    "Any non-empty values log in (keys match case-insensitively). The `Database` selects "
    "the tenant. A session lives 30 minutes from login or its last renew."
)
_BODY_ERRORS = (400, 413, 415)
_CLOCK_HELP = (
    "Of `?tenant=NAME`, else of the caller's session's tenant, else the server-wide setting "
    '(which every tenant without its own follows). Answers `{"now", "frozen", "real", '
    '"source", "tenant"}`.'
)
_CLOCK_TENANT = (
    ("tenant", "The tenant whose clock (default: the session's, else the server-wide one)", _TEXT),
)


def _clock_body() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "now": {"type": "string", "format": "date-time"},
            "frozen": {"type": "boolean", "default": True},
        },
        "required": ["now"],
    }


def _advance_body() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "seconds": {"type": "number", "minimum": 0},
            "by": {"type": "string", "example": "PT31M"},
        },
    }


_PART_BODY_ERRORS = (400, 401, 404, 413, 415)
TAG_CONTACT = "Contact"


def _param(name: str, text: str) -> Parameter:
    return (name, text, _int32())


OPERATIONS: tuple[Operation, ...] = (
    # --- the real API ---
    Operation(
        "POST", "/api/auth/login", "auth.login",
        "login", TAG_AUTH, "Log in: answers a session id for the `Session-Id` header",
        _LOGIN_HELP, body=LogInInfo, body_description="Login credentials",
        answer=LoginAnswer, errors=_BODY_ERRORS,
    ),
    Operation(
        "POST", "/api/auth/login/token", "auth.login",
        "loginToken", TAG_AUTH, "Log in (token variant): the same as `/api/auth/login`",
        _LOGIN_HELP, body=LogInInfo, body_description="Login credentials",
        answer=LoginAnswer, errors=_BODY_ERRORS,
    ),
    Operation(
        "POST", "/api/auth/renew", "auth.renew",
        "renew", TAG_AUTH, "Renew the session for another full lifetime",
        "Without a session (auth optional or off) this logs in afresh.",
        body=LogInInfo, body_description="Login credentials",
        answer=LoginAnswer, errors=(400, 401, 413, 415), protected=True,
    ),
    Operation(
        "GET", "/api/auth/alive", "auth.alive",
        "alive", TAG_AUTH, "Check that the session is alive",
        answer=LoginAnswer, errors=(401,), protected=True,
    ),
    Operation(
        "GET", "/api/customers", "customers.list",
        "listCustomers", TAG_CUSTOMER, "Returns a list of customers",
        "Can be filtered using CustomerFilter. Every filter combines with AND.",
        filters=CUSTOMER_FILTER, listed=True, answer=Customer, errors=(400, 401),
        protected=True,
    ),
    Operation(
        "POST", "/api/customers", "customers.create",
        "createCustomer", TAG_CUSTOMER, "Create a customer",
        "The server assigns `id`, `number`, `created` and `modified`, ignoring any given.",
        body=Customer, body_description="A customer payload", answer=Customer,
        errors=(400, 401, 413, 415), protected=True, links=_CUSTOMER_LINKS,
    ),
    Operation(
        "GET", "/api/customers/base", "customers.list_base",
        "listCustomersBase", TAG_CUSTOMER,
        "Returns a list of customers with only basic information",
        "Can be filtered using CustomerFilter, exactly as `GET /api/customers`.",
        filters=CUSTOMER_FILTER, listed=True, answer=CustomerBase, errors=(400, 401),
        protected=True,
    ),
    Operation(
        "GET", "/api/customers/{customer_id}", "customers.get",
        "getCustomer", TAG_CUSTOMER, "Get single customer", path_params=_CUSTOMER_ID,
        answer=Customer, errors=(400, 401, 404), protected=True, links=_ID_LINKS,
    ),
    Operation(
        "PUT", "/api/customers/{customer_id}", "customers.update",
        "updateCustomer", TAG_CUSTOMER, "Update a customer",
        "Merges the given fields into the stored customer: `id`, `number` and `created` never "
        "change, a given list replaces the stored list, `modified` is stamped.",
        path_params=_CUSTOMER_ID, body=Customer, body_description="A customer payload",
        answer=Customer, errors=(400, 401, 404, 413, 415), protected=True, links=_ID_LINKS,
    ),
    Operation(
        "POST", "/api/customers/{customer_id}/accounts", "customers.add_account",
        "addCustomerAccount", TAG_CUSTOMER, "Add new account",
        "Assigns `account_id`, sets `customer_id` and appends the account to the customer.",
        path_params=_CUSTOMER_ID, body=CustomerAccount, body_description="A account payload",
        answer=CustomerAccount, errors=(400, 401, 404, 413, 415), protected=True,
        links=(("DeleteCustomerAccount", "deleteCustomerAccount", "account_id", "account_id"),),
    ),
    # --- customer sub-resources, transactions, groups, contacts (issue 15; customer_parts.py) ---
    Operation(
        "POST", "/api/customers/{customer_id}/agreements", "parts.add_agreement",
        "addCustomerAgreement", TAG_CUSTOMER, "Add new agreement",
        "Assigns `id` (and each product's `agreement_product_id` and `agreement_id`), "
        "defaults `invoicing_customer` to the customer's number, appends the agreement and "
        "stamps the customer's `modified`.",
        path_params=_CUSTOMER_ID, body=CustomerAgreement, body_description="An agreement",
        answer=CustomerAgreement, errors=_PART_BODY_ERRORS, protected=True,
        links=(
            ("AddCustomerAgreementProduct", "addCustomerAgreementProduct", "agreement_id", "id"),
            ("DeleteCustomerAgreement", "deleteCustomerAgreement", "agreement_id", "id"),
        ),
    ),
    Operation(
        "POST", "/api/customers/{customer_id}/agreements/{agreement_id}/products",
        "parts.add_agreement_product",
        "addCustomerAgreementProduct", TAG_CUSTOMER, "Add new agreement product",
        "Assigns `agreement_product_id`, sets `agreement_id`; 404 if the customer has no such "
        "agreement.",
        path_params=(*_CUSTOMER_ID, _param("agreement_id", "Agreement ID given in route")),
        body=CustomerAgreementProduct, body_description="An agreement product",
        answer=CustomerAgreementProduct, errors=_PART_BODY_ERRORS, protected=True,
        links=(("DeleteCustomerAgreementProduct", "deleteCustomerAgreementProduct",
                "agreement_product_id", "agreement_product_id"),),
    ),
    Operation(
        "DELETE", "/api/customers/{customer_id}/agreements/products/{agreement_product_id}",
        "parts.delete_agreement_product",
        "deleteCustomerAgreementProduct", TAG_CUSTOMER, "Delete agreement product",
        "Answers the deleted product; 404 if none of the customer's agreements holds it.",
        path_params=(*_CUSTOMER_ID,
                     _param("agreement_product_id", "Agreement product ID given in route")),
        answer=CustomerAgreementProduct, errors=(400, 401, 404), protected=True,
    ),
    Operation(
        "DELETE", "/api/customers/{customer_id}/agreements/{agreement_id}",
        "parts.delete_agreement",
        "deleteCustomerAgreement", TAG_CUSTOMER, "Delete agreement",
        "Answers the deleted agreement, products included.",
        path_params=(*_CUSTOMER_ID, _param("agreement_id", "Agreement ID given in route")),
        answer=CustomerAgreement, errors=(400, 401, 404), protected=True,
    ),
    Operation(
        "DELETE", "/api/customers/{customer_id}/accounts/{account_id}", "parts.delete_account",
        "deleteCustomerAccount", TAG_CUSTOMER, "Delete account",
        "Answers the deleted account.",
        path_params=(*_CUSTOMER_ID, _param("account_id", "Account ID given in route")),
        answer=CustomerAccount, errors=(400, 401, 404), protected=True,
    ),
    Operation(
        "GET", "/api/customers/transactions", "parts.search_transactions",
        "listCustomerTransactions", TAG_CUSTOMER, "Search customer transactions",
        "Can be filtered using CustomerTransactionFilter. Every filter combines with AND.",
        filters=TRANSACTION_FILTER, listed=True, answer=CustomerTransaction, errors=(400, 401),
        protected=True,
    ),
    Operation(
        "GET", "/api/customers/transactions/attributes", "parts.transaction_attributes",
        "listCustomerTransactionAttributes", TAG_CUSTOMER, "List transaction attributes",
        listed=True, answer=CustomerTransactionAttribute, errors=(401,), protected=True,
    ),
    Operation(
        "GET", "/api/customers/groups", "parts.groups",
        "listCustomerGroups", TAG_CUSTOMER, "Get list of Customer Groups",
        "Can be filtered using CustomerGroupFilter.",
        filters=GROUP_FILTER, listed=True, answer=CustomerGroup, errors=(400, 401),
        protected=True,
    ),
    Operation(
        "GET", "/api/customers/{customer_id}/transactions", "parts.customer_transactions",
        "getCustomerTransactions", TAG_CUSTOMER, "Get single customer transactions",
        "Every transaction naming the customer's number, by id.",
        path_params=_CUSTOMER_ID, listed=True, answer=CustomerTransaction,
        errors=(400, 401, 404), protected=True,
    ),
    Operation(
        "PUT", "/api/customers/{customer_id}/transactions", "parts.update_transaction",
        "updateCustomerTransaction", TAG_CUSTOMER, "Update transaction",
        "The body's `id` names the transaction (one of this customer's); the given fields are "
        "merged into it, `id` and `customer_number` never change.",
        path_params=_CUSTOMER_ID, body=CustomerTransaction, body_description="A transaction",
        body_requires=("id",), answer=CustomerTransaction, errors=_PART_BODY_ERRORS,
        protected=True,
    ),
    Operation(
        "POST", "/api/customers/{customer_id}/transactions", "parts.add_transaction",
        "addCustomerTransaction", TAG_CUSTOMER, "Add new transaction",
        "Assigns `id` and participants' ids, sets `customer_number`; `date` defaults to now "
        "and `person_name` to the name of `person_number`.",
        path_params=_CUSTOMER_ID, body=CustomerTransaction, body_description="A transaction",
        answer=CustomerTransaction, errors=_PART_BODY_ERRORS, protected=True,
        links=(("DeleteCustomerTransaction", "deleteCustomerTransaction", "transaction_id",
                "id"),),
    ),
    Operation(
        "DELETE", "/api/customers/{customer_id}/transactions/{transaction_id}",
        "parts.delete_transaction",
        "deleteCustomerTransaction", TAG_CUSTOMER, "Delete transaction",
        "Answers the deleted transaction.",
        path_params=(*_CUSTOMER_ID, _param("transaction_id", "Transaction ID given in route")),
        answer=CustomerTransaction, errors=(400, 401, 404), protected=True,
    ),
    Operation(
        "POST", "/api/customers/{customer_id}/contacts", "parts.add_contact",
        "addCustomerContact", TAG_CUSTOMER, "Add new contact",
        "Assigns `id`, sets `customer_id` to the route's and points the attributes at the "
        "contact.",
        path_params=_CUSTOMER_ID, body=CustomerContact, body_description="A contact",
        answer=CustomerContact, errors=_PART_BODY_ERRORS, protected=True, links=_CONTACT_LINKS,
    ),
    Operation(
        "DELETE", "/api/customers/{customer_id}/contacts/{contact_id}", "parts.delete_contact",
        "deleteCustomerContact", TAG_CUSTOMER, "Delete contact",
        "Answers the deleted contact.",
        path_params=(*_CUSTOMER_ID, _param("contact_id", "Contact ID given in route")),
        answer=CustomerContact, errors=(400, 401, 404), protected=True,
    ),
    Operation(
        "POST", "/api/customers/{customer_id}/texts", "parts.add_text",
        "addCustomerText", TAG_CUSTOMER, "Add new text", "Assigns `id`.",
        path_params=_CUSTOMER_ID, body=CustomerText, body_description="A text",
        answer=CustomerText, errors=_PART_BODY_ERRORS, protected=True,
    ),
    Operation(
        "POST", "/api/customers/{customer_id}/circulations", "parts.add_circulation",
        "addCustomerCirculation", TAG_CUSTOMER, "Add new circulation",
        "Assigns `id` and sets `customer_id`.",
        path_params=_CUSTOMER_ID, body=CustomerCirculation, body_description="A circulation",
        answer=CustomerCirculation, errors=_PART_BODY_ERRORS, protected=True,
        links=(("DeleteCustomerCirculation", "deleteCustomerCirculation", "circulation_id",
                "id"),),
    ),
    Operation(
        "DELETE", "/api/customers/{customer_id}/circulations/{circulation_id}",
        "parts.delete_circulation",
        "deleteCustomerCirculation", TAG_CUSTOMER, "Delete circulation",
        "Answers the deleted circulation.",
        path_params=(*_CUSTOMER_ID, _param("circulation_id", "Circulation ID given in route")),
        answer=CustomerCirculation, errors=(400, 401, 404), protected=True,
    ),
    Operation(
        "GET", "/api/contacts/{customer_id}", "contacts.list",
        "listContacts", TAG_CONTACT, "Returns a list of contacts for given customer id",
        "Can be filtered using ContactFilter. `modified_before/after` compare the customer's "
        "`modified` (a contact has no stamp of its own; every contact write stamps it).",
        path_params=_CUSTOMER_ID, filters=CONTACT_FILTER, listed=True, answer=CustomerContact,
        errors=(400, 401, 404), protected=True,
    ),
    Operation(
        "POST", "/api/contacts/{customer_id}", "contacts.create",
        "createContact", TAG_CONTACT, "Create a new contact for given Customer Id",
        "As `POST /api/customers/{customer_id}/contacts`.",
        path_params=_CUSTOMER_ID, body=CustomerContact, body_description="A contact",
        answer=CustomerContact, errors=_PART_BODY_ERRORS, protected=True, links=_CONTACT_LINKS,
    ),
    Operation(
        "PUT", "/api/contacts/{customer_id}", "contacts.update",
        "updateContact", TAG_CONTACT, "Update a contact with given Contact ID",
        "The route's id is the **contact's** (the vendor's document names it `contact_id`; "
        "one path cannot name two). Merges the given fields (`id` never changes; a given list "
        "replaces the stored one). A `customer_id` naming another customer moves the contact "
        "there.",
        path_params=(_param("customer_id", "Contact ID given in route (`contact_id`)"),),
        body=CustomerContact, body_description="A contact",
        answer=CustomerContact, errors=_PART_BODY_ERRORS, protected=True,
    ),
    Operation(
        "GET", "/api/invoices", "invoices.list",
        "listInvoices", TAG_INVOICE, "Get a list of invoices",
        "Can be filtered using SalesInvoiceFilter. Every filter combines with AND.",
        filters=INVOICE_FILTER, listed=True, answer=Invoice, errors=(400, 401),
        protected=True,
    ),
    Operation(
        "GET", "/api/invoices/{id}", "invoices.get",
        "getInvoice", TAG_INVOICE, "Get single invoice", path_params=_INVOICE_ID,
        answer=Invoice, errors=(400, 401, 404), protected=True,
    ),
    # --- invoice writes: the books stay consistent (mockserver/books.py, api/invoice_writes.py)
    Operation(
        "POST", "/api/invoices", "invoice_writes.create",
        "createInvoice", TAG_INVOICE, "Create invoice",
        "Assigns `id`, `number`, `reference`, `rf_reference` and the ids of rows, payments and "
        "links; copies the customer's name and address unless given; `due_date` defaults to "
        "`date` + `payment_term` days. Row totals (quantity x unit price less discounts), "
        "`total_sum`, `state` and the customer's open and due sums are computed. "
        "`customer_number` must name a customer.",
        body=Invoice, body_description="An invoice payload", answer=Invoice,
        errors=_INVOICE_BODY_ERRORS, protected=True, links=_INVOICE_LINKS,
    ),
    Operation(
        "PUT", "/api/invoices", "invoice_writes.update",
        "updateInvoice", TAG_INVOICE, "Update invoice",
        "The body's `id` names the invoice. Merges the given fields: `id`, `number` and the "
        "references never change, a given list replaces the stored one (a row, payment or link "
        "naming one of the invoice's own ids keeps it), amounts are recomputed and "
        "`modified_date` stamped.",
        body=Invoice, body_description="An invoice payload", body_requires=("id",),
        answer=Invoice, errors=(*_INVOICE_BODY_ERRORS, 404), protected=True,
        links=(("GetInvoice", "getInvoice", "id", "id"),),
    ),
    Operation(
        "DELETE", "/api/invoices/{id}", "invoice_writes.delete",
        "deleteInvoice", TAG_INVOICE, "Delete invoice",
        "Answers the deleted invoice; its customer's open and due sums drop by what it left "
        "unpaid.", path_params=_INVOICE_ID, answer=Invoice, errors=(400, 401, 404),
        protected=True,
    ),
    Operation(
        "POST", "/api/invoices/order/{number}", "invoice_writes.from_order",
        "createInvoiceFromSalesOrder", TAG_INVOICE, "Create invoice based on salesorder",
        "Creates an invoice from the sales order, as `POST /api/invoices` creates one (dated "
        "today), once per tenant: an order already invoiced is a 400. The generated data hold "
        "no sales orders (a scenario's `records.orders` may): an unknown number is a 404.",
        path_params=(("number", "Sales order number", _int32()),),
        answer=Invoice, errors=(400, 401, 404), protected=True, links=_INVOICE_LINKS,
    ),
    Operation(
        "POST", "/api/invoices/{id}/row", "invoice_writes.add_row",
        "createInvoiceRow", TAG_INVOICE, "Create new invoice row",
        "Assigns `id`, `invoice_id` and the next `number`; `total` is recomputed from quantity, "
        "unit price and discounts, and the invoice's `total_sum` follows. Answers the row.",
        path_params=_INVOICE_ID, body=InvoiceRow, body_description="An invoice row payload",
        answer=InvoiceRow, errors=(*_INVOICE_BODY_ERRORS, 404), protected=True,
        links=(("DeleteInvoiceRow", "deleteInvoiceRow", "row_id", "id"),),
    ),
    Operation(
        "POST", "/api/invoices/{id}/payment", "invoice_writes.add_payment",
        "createInvoicePayment", TAG_INVOICE, "Create new invoice payment row",
        "Assigns `id` and `invoice_id`; without `total` it pays what the invoice leaves open. "
        "The invoice's `state` and the customer's open and due sums follow. Answers the payment.",
        path_params=_INVOICE_ID, body=InvoicePayment,
        body_description="An invoice payment payload", answer=InvoicePayment,
        errors=(*_INVOICE_BODY_ERRORS, 404), protected=True,
        links=(("DeleteInvoicePayment", "deleteInvoicePayment", "payment_id", "id"),),
    ),
    Operation(
        "POST", "/api/invoices/{id}/link", "invoice_writes.add_link",
        "createInvoiceLink", TAG_INVOICE, "Add link to invoice",
        "Assigns `id` and sets `object_id` to the invoice. Answers the link.",
        path_params=_INVOICE_ID, body=InvoiceLink, body_description="A link payload",
        answer=InvoiceLink, errors=(*_INVOICE_BODY_ERRORS, 404), protected=True,
        links=(("DeleteInvoiceLink", "deleteInvoiceLink", "link_id", "id"),),
    ),
    Operation(
        "DELETE", "/api/invoices/{id}/row/{row_id}", "invoice_writes.delete_row",
        "deleteInvoiceRow", TAG_INVOICE, "Delete invoice row",
        "Answers the deleted row; the invoice's `total_sum` follows.",
        path_params=(*_INVOICE_ID, ("row_id", "Row ID given in route", _int32())),
        answer=InvoiceRow, errors=(400, 401, 404), protected=True,
    ),
    Operation(
        "DELETE", "/api/invoices/{id}/payment/{payment_id}", "invoice_writes.delete_payment",
        "deleteInvoicePayment", TAG_INVOICE, "Delete payment row",
        "Answers the deleted payment; the invoice's `state` and the customer's sums follow.",
        path_params=(*_INVOICE_ID, ("payment_id", "Payment ID given in route", _int32())),
        answer=InvoicePayment, errors=(400, 401, 404), protected=True,
    ),
    Operation(
        "DELETE", "/api/invoices/{id}/link/{link_id}", "invoice_writes.delete_link",
        "deleteInvoiceLink", TAG_INVOICE, "Delete link",
        "Answers the deleted link.",
        path_params=(*_INVOICE_ID, ("link_id", "Link ID given in route", _int32())),
        answer=InvoiceLink, errors=(400, 401, 404), protected=True,
    ),
    # --- the mock's own ---
    Operation(
        "GET", "/health", "admin.health",
        "health", TAG_ADMIN, "Readiness: 200 once the data and every scenario are loaded",
        "Answers 503 while the server is still loading; probes and container health checks "
        "poll it.", answer=Health,
    ),
    Operation(
        "POST", "/_mock/reset", "admin.reset",
        "resetMock", TAG_ADMIN, "Restore the seeded data, sessions, scenario counters and journal",
        "Of every tenant, or of one with `?tenant=NAME`.",
        query_params=(("tenant", "Reset only this tenant", _TEXT),), answer=_ANY_OBJECT,
    ),
    Operation(
        "GET", "/_mock/tenants", "admin.tenants",
        "listTenants", TAG_ADMIN, "The tenants the server holds",
        "Each with its live sessions, records written and last activity. Answers "
        "`{\"count\": N, \"max_tenants\": M, \"tenants\": [...]}`.", answer=_ANY_OBJECT,
    ),
    Operation(
        "DELETE", "/_mock/tenants/{name}", "admin.delete_tenant",
        "deleteTenant", TAG_ADMIN, "Delete one tenant",
        "Its data, sessions, journal entries and scenario counters; answers 204.",
        path_params=(("name", "The tenant's name (the Database of its logins)", _TEXT),),
        answer_status=204, errors=(404,),
    ),
    Operation(
        "GET", "/_mock/requests", "journal.list",
        "listRequests", TAG_ADMIN, "The request journal, oldest first",
        "Answers `{\"count\": N, \"requests\": [...]}`. Besides the parameters below, "
        "`query.NAME=VALUE` (repeatable) keeps requests whose query has that value.",
        query_params=(
            ("method", "Only this HTTP method", _TEXT),
            ("path", "Only this path, literal or a template such as "
                     "`/api/customers/{customer_id}`", _TEXT),
            ("tenant", "Only this tenant", _TEXT),
            ("status", "Only these response statuses (repeatable)",
             {"type": "array", "items": {"type": "integer"}}),
            ("rule", "Only requests this scenario rule fired on", _TEXT),
            ("since", "Only entries after this sequence number", _COUNT),
            ("limit", "At most this many, the newest", _COUNT),
            ("json", "Only requests whose JSON body contains this JSON document", _TEXT),
        ),
        answer=_ANY_OBJECT, errors=(400,),
    ),
    Operation(
        "DELETE", "/_mock/requests", "journal.clear",
        "clearRequests", TAG_ADMIN, "Clear the request journal",
        "Of every tenant, or of one with `?tenant=NAME`. Answers `{\"cleared\": N}`.",
        query_params=(("tenant", "Clear only this tenant's entries", _TEXT),),
        answer=_ANY_OBJECT,
    ),
    Operation(
        "GET", "/_mock/scenario", "scenario.show",
        "showScenario", TAG_ADMIN, "Show the active scenario, its data and its rules",
        "With each rule's counters per tenant.", answer=_ANY_OBJECT,
    ),
    Operation(
        "PUT", "/_mock/scenario", "scenario.replace",
        "replaceScenario", TAG_ADMIN, "Replace the active scenario atomically",
        "The body is a scenario file, YAML or JSON; `$ref` paths are relative to the "
        "scenarios folder. An invalid scenario is a 400 listing every problem as "
        "`FILE:LINE:COLUMN: message`, and nothing changes. Answers what `GET` shows.",
        body_schema=scenario_json_schema, body_content=("application/yaml", "application/json"),
        body_description="A scenario", answer=_ANY_OBJECT, errors=(400, 413),
    ),
    Operation(
        "DELETE", "/_mock/scenario", "scenario.clear",
        "clearScenario", TAG_ADMIN, "Return to the start-up scenarios",
        "None without `--scenario`. Answers what `GET` shows.", answer=_ANY_OBJECT,
    ),
    # --- the clock (mockserver/api/clock_admin.py) ---
    Operation(
        "GET", "/_mock/clock", "clock.show",
        "showClock", TAG_ADMIN, "The mock's time",
        _CLOCK_HELP, query_params=_CLOCK_TENANT, answer=_ANY_OBJECT, errors=(401,),
    ),
    Operation(
        "PUT", "/_mock/clock", "clock.set",
        "setClock", TAG_ADMIN, "Set the mock's time, frozen unless `frozen: false`",
        "Body `{\"now\": \"2025-07-01T12:00:00Z\", \"frozen\": true}`; the only way back in "
        "time. " + _CLOCK_HELP, query_params=_CLOCK_TENANT, body_schema=_clock_body,
        body_description="The time to set", answer=_ANY_OBJECT,
        errors=(400, 401, 413, 415, 507),
    ),
    Operation(
        "POST", "/_mock/clock/advance", "clock.advance",
        "advanceClock", TAG_ADMIN, "Move the mock's time forward",
        "Body `{\"seconds\": 1860}` or `{\"by\": \"PT31M\"}` (ISO 8601: weeks, days, hours, "
        "minutes, seconds); frozen stays frozen. " + _CLOCK_HELP,
        query_params=_CLOCK_TENANT, body_schema=_advance_body,
        body_description="The step forward", answer=_ANY_OBJECT,
        errors=(400, 401, 413, 415, 507),
    ),
    Operation(
        "DELETE", "/_mock/clock", "clock.reset",
        "resetClock", TAG_ADMIN, "Drop the clock setting",
        "A tenant follows the server-wide setting again; the server-wide setting goes back to "
        "real time. " + _CLOCK_HELP, query_params=_CLOCK_TENANT, answer=_ANY_OBJECT,
        errors=(401,),
    ),
    # --- the dashboard and its routes (mockserver/api/ui.py, api/journal_stream.py) ---
    Operation(
        "GET", "/_mock/requests/stream", "journal.stream",
        "streamRequests", TAG_ADMIN, "The request journal live, as Server-Sent Events",
        "One event per request (`id:` its seq, `data:` the entry as `GET /_mock/requests` "
        "shows it): the kept entries after `since` or `Last-Event-ID` (the newest `limit`), "
        "then every new one. Takes the filters of `GET /_mock/requests`. A reader that falls "
        "behind gets `event: skipped` with `{\"skipped\": N}` instead of the dropped entries.",
        query_params=(
            ("method", "Only this HTTP method", _TEXT),
            ("path", "Only this path, literal or a template", _TEXT),
            ("tenant", "Only this tenant", _TEXT),
            ("status", "Only these response statuses (repeatable)",
             {"type": "array", "items": {"type": "integer"}}),
            ("rule", "Only requests this scenario rule fired on", _TEXT),
            ("since", "Start after this sequence number", _COUNT),
            ("limit", "At most this many kept entries before the live ones", _COUNT),
            ("follow", "false: end after the kept entries (default true: stay live)",
             {"type": "boolean", "default": True}),
        ),
        answer=_TEXT, answer_content=("text/event-stream",), errors=(400,),
    ),
    Operation(
        "GET", "/_mock/scenarios", "ui.scenarios",
        "listScenarios", TAG_ADMIN, "The named scenarios and the active one's text",
        "Answers `{\"scenarios\": [{\"name\", \"origin\": \"user\"|\"shipped\", "
        "\"summary\", \"shadows_shipped\"}], \"active\": {\"active\", \"name\", "
        "\"text\"}}`: the user's folder first, then the shipped scenarios it does not shadow.",
        answer=_ANY_OBJECT,
    ),
    Operation(
        "GET", "/_mock/scenarios/{name}", "ui.scenario_text",
        "getScenarioText", TAG_ADMIN, "A named scenario's file, to apply with `PUT`",
        path_params=(("name", "The scenario's name (`flaky-5xx`)", _TEXT),),
        answer=_TEXT, answer_content=("application/yaml", "application/json"), errors=(404,),
    ),
    Operation(
        "POST", "/_mock/scenario/check", "ui.check_scenario",
        "checkScenario", TAG_ADMIN, "Check a scenario without applying it",
        "Reads the body as `PUT /_mock/scenario` would and answers "
        "`{\"valid\": bool, \"problems\": [{\"file\", \"line\", \"column\", "
        "\"message\", \"text\"}]}` (`text`: `FILE:LINE:COLUMN: message`, as "
        "`mockserver validate` prints it). Nothing changes.",
        body_schema=scenario_json_schema, body_content=("application/yaml", "application/json"),
        body_description="A scenario", answer=_ANY_OBJECT, errors=(400, 413),
    ),
    Operation(
        "GET", UI_PATH_ADMIN, "ui.page",
        "dashboard", TAG_ADMIN, "The dashboard: journal, traffic, scenario, tenants, data, clock",
        "A page of the package's own files that uses only the admin API (and asks for the "
        "admin token when the server has one).", answer=_TEXT, answer_content=_HTML,
    ),
    Operation(
        "GET", UI_PATH_ADMIN + "/{asset}", "ui.asset",
        "dashboardAsset", TAG_ADMIN, "A file of the dashboard, from the installed package",
        path_params=(("asset", "The file's name", {"type": "string", "enum": list(UI_ASSETS)}),),
        answer=_TEXT, answer_content=tuple(dict.fromkeys(UI_ASSETS.values())), errors=(404,),
    ),
    Operation(
        "GET", SPEC_PATH, "docs.document",
        "openApiDocument", TAG_DOCS, "This OpenAPI document (the real API's path)",
        answer=_ANY_OBJECT,
    ),
    Operation(
        "GET", "/openapi.json", "docs.document",
        "openApiJson", TAG_DOCS, "This OpenAPI document", answer=_ANY_OBJECT,
    ),
    Operation(
        "GET", UI_PATH + "/index", "docs.ui",
        "swaggerUi", TAG_DOCS, "Swagger UI (the real API's path)",
        answer=_TEXT, answer_content=_HTML,
    ),
    Operation(
        "GET", "/docs", "docs.ui",
        "swaggerUiDocs", TAG_DOCS, "Swagger UI", answer=_TEXT, answer_content=_HTML,
    ),
    Operation(
        "GET", UI_PATH + "/{asset}", "docs.asset",
        "swaggerUiAsset", TAG_DOCS, "A file of Swagger UI, from the installed package",
        path_params=(("asset", "The file's name",
                      {"type": "string", "enum": list(SWAGGER_UI_ASSETS)}),),
        answer=_TEXT, answer_content=tuple(dict.fromkeys(SWAGGER_UI_ASSETS.values())),
        errors=(404,),
    ),
)  # fmt: skip


# --- derived tables -----------------------------------------------------------------------------

_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def segments(template: str) -> list[str]:
    """The segments of a path template: ``/api/customers/{customer_id}`` ->
    ``["api", "customers", "{customer_id}"]``."""
    return template.split("/")[1:]


def parameters(template: str) -> list[str]:
    """The names of a template's path parameters, in order."""
    return _PARAM.findall(template)


def _is_param(segment: str) -> bool:
    return _PARAM.fullmatch(segment) is not None


@dataclass(frozen=True)
class Resource:
    """One path template and every method it answers: one route of the router.

    ``reserved`` names, per path parameter, the words that never bind to it because a
    route beside it has that word as a literal segment at the same place (``base`` in
    ``/api/customers/base`` is not a ``{customer_id}``): a request for such a path belongs
    to that route, and a method it does not answer is a 405 there, not a bad id here.
    ``excluded`` generalizes it to several segments at once, as ASP.NET's route precedence
    (a literal segment beats a parameter, left to right) decides: each entry binds words to
    parameters that together never bind here (``/api/products/collectjobs/collectrow/{id}``
    is not ``/api/products/{product_code}/{work_number}/{level}``)."""

    path: str
    operations: Mapping[str, Operation]  # by method, in table order
    reserved: Mapping[str, frozenset[str]]
    excluded: tuple[Mapping[str, str], ...] = ()
    # The methods of the other templates of this shape (``/api/contacts/{contact_id}`` beside
    # ``/api/contacts/{customer_id}``): the same paths, so the same ``Allow``.
    shared: frozenset[str] = frozenset()

    @property
    def is_api(self) -> bool:
        return self.path.startswith(API_PREFIX)

    @property
    def methods(self) -> tuple[str, ...]:
        """The methods the path answers, as the ``Allow`` header lists them (sorted): its
        own and those of the templates of its shape."""
        return tuple(sorted({*self.operations, *self.shared}))


# A template's segments, each with whether it is a parameter: parsed once per template, since
# every template is compared with every other of its length (a few hundred, at import).
_Parsed = tuple[tuple[str, bool], ...]


def _parse(template: str) -> _Parsed:
    return tuple((segment, _is_param(segment)) for segment in segments(template))


def _reserved(mine: _Parsed, others: list[_Parsed]) -> dict[str, frozenset[str]]:
    reserved: dict[str, set[str]] = {}
    for theirs in others:
        if theirs is mine:
            continue
        differing = [
            index
            for index, ((a, a_param), (b, b_param)) in enumerate(zip(mine, theirs, strict=True))
            if not (a == b or (a_param and b_param))
        ]
        if len(differing) == 1:
            index = differing[0]
            (word, is_param), (their_word, their_param) = mine[index], theirs[index]
            if is_param and not their_param:
                reserved.setdefault(word[1:-1], set()).add(their_word)
    return {name: frozenset(words) for name, words in reserved.items()}


def _excluded(mine: _Parsed, others: list[_Parsed]) -> tuple[Mapping[str, str], ...]:
    """What ``reserved`` cannot say: for each template of the same length that can match
    the same path and wins by precedence, the words its literal segments put where this one
    has parameters, when that takes more than one parameter or the other template also has
    a parameter where this one has a word (``reserved`` holds the rest)."""
    found: list[Mapping[str, str]] = []
    for theirs in others:
        if theirs is mine:
            continue
        pairs = list(zip(mine, theirs, strict=True))
        if any(a != b and not a_param and not b_param for (a, a_param), (b, b_param) in pairs):
            continue  # two different words: no path matches both
        kinds = [(a_param, b_param) for (_, a_param), (_, b_param) in pairs if a_param != b_param]
        if not kinds or not kinds[0][0]:
            continue  # this template wins (or they are of one shape)
        words = {a[1:-1]: b for (a, a_param), (b, b_param) in pairs if a_param and not b_param}
        if len(words) > 1 or len(kinds) > len(words):
            found.append(words)
    return tuple(found)


def _resources(operations: tuple[Operation, ...]) -> tuple[Resource, ...]:
    by_path: dict[str, dict[str, Operation]] = {}
    for op in operations:
        methods = by_path.setdefault(op.path, {})
        if op.method in methods:
            raise ValueError(f"{op.method} {op.path} is listed twice")
        methods[op.method] = op
    parsed = {path: _parse(path) for path in by_path}
    by_length: dict[int, list[_Parsed]] = {}
    for one in parsed.values():
        by_length.setdefault(len(one), []).append(one)
    by_shape: dict[str, set[str]] = {}
    for path, methods in by_path.items():
        by_shape.setdefault(vendor.shape(path), set()).update(methods)
    return tuple(
        Resource(
            path, methods,
            _reserved(parsed[path], by_length[len(parsed[path])]),
            _excluded(parsed[path], by_length[len(parsed[path])]),
            frozenset(by_shape[vendor.shape(path)] - set(methods)),
        )
        for path, methods in by_path.items()
    )  # fmt: skip


# --- the vendor's operations the table does not serve (mockserver.vendor) -------------------
# Each is a known route all the same: its handler answers 501 (or passes it through with
# --upstream). Derived: an operation added to the table above leaves this set by itself. A path
# of a served template's shape joins that template's route, so one route answers every method.
UNMOCKED_HANDLER = "vendor.unmocked"
UNMOCKED: tuple[Operation, ...] = tuple(
    Operation(
        v.method, template, UNMOCKED_HANDLER, v.name, v.tag, v.summary,
        errors=(401, 501), protected=True,
    )
    for v, template in vendor.unmocked((op.method, op.path) for op in OPERATIONS if op.is_api)
)  # fmt: skip

RESOURCES: tuple[Resource, ...] = _resources(OPERATIONS + UNMOCKED)
BY_KEY: Mapping[tuple[str, str], Operation] = {(op.method, op.path): op for op in OPERATIONS}

# The templates of the real API's routes (what scenario rules may name), in table order.
API_TEMPLATES: tuple[str, ...] = tuple(r.path for r in RESOURCES if r.is_api)

# The list routes (``GET``, answering the list envelope): the read lane's and the direct lane's.
LIST_OPERATIONS: tuple[Operation, ...] = tuple(
    op for op in OPERATIONS if op.listed and op.method == "GET"
)

# The filter model of each list route's template.
LIST_FILTERS: Mapping[str, FilterSpec] = {
    op.path: op.filters for op in LIST_OPERATIONS if op.filters is not None
}

# The literal segments of the API's routes: matched case-insensitively, while ids keep the
# case they were sent in (an error names the value as the client sent it).
ROUTE_WORDS: frozenset[str] = frozenset(
    segment.lower()
    for template in API_TEMPLATES
    for segment in segments(template)
    if not _is_param(segment)
)


# --- the one path normalizer --------------------------------------------------------------------


def split_path(path: str, base_path: str = "") -> tuple[str, str]:
    """``(prefix, route)``: how the routes see a request path, as ASP.NET routes it.

    A trailing slash is dropped. ``prefix`` is the base path, spelled as configured, when the
    path lies under it (matched case-insensitively), else empty; ``route`` is the rest, empty
    when the path is the base path itself. Under ``/api/`` the routes' literal words
    (``ROUTE_WORDS``) are lower-cased; every other segment, an id above all, keeps its case.
    ``prefix + route`` is the path the router matches."""
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    prefix = ""
    if base_path:
        lowered = path.lower()
        base = base_path.lower()
        if lowered == base or lowered.startswith(base + "/"):
            prefix, path = base_path, path[len(base_path) :]
    if path[:5].lower() == API_PREFIX and not path.islower():
        path = "/".join(
            word if (word := part.lower()) in ROUTE_WORDS else part for part in path.split("/")
        )
    return prefix, path


def route_path(path: str, base_path: str = "") -> str:
    """The path below the base path as the routes see it (``split_path``); ``/`` for the
    base path itself."""
    return split_path(path, base_path)[1] or "/"
