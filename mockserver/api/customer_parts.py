"""``/api/customers/...`` sub-resources: agreements and their products, accounts (delete),
transactions (search, per customer, add, update, delete), contacts, texts, circulations,
customer groups and transaction attributes.

Reads the path and the body, calls ``mockserver.customer_parts`` and ``mockserver.transactions``
(the logic, which knows no HTTP) and answers: the created, updated or deleted sub-record as a
200, or the list envelope with its ``X-Total-Count``; the logic's errors become ASP.NET-shaped
400, 404 and 507 answers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .. import customer_parts as parts
from .. import transactions
from ..customer_parts import CONTACT_FILTER, GROUP_FILTER, TRANSACTION_FILTER
from ..filters import DEFAULT_PAGE, DEFAULT_PAGE_SIZE, page_of
from ..models import (
    CustomerAgreement,
    CustomerAgreementProduct,
    CustomerCirculation,
    CustomerContact,
    CustomerText,
    CustomerTransaction,
    Model,
    encode,
)
from ..wire import INVALID, TOTAL_HEADER_NAME
from .common import (
    ApiError,
    QueryBinder,
    json_response,
    model_response,
    path_id,
    read_body,
    tenant_of,
)
from .lists import envelope

Handler = Callable[[Request], Awaitable[Response]]

# The bodies' parameter names, as the vendor's document names them (``ModelState`` keys).
TRANSACTION_PARAM = "proxytransaction"
CONTACT_PARAM = "contact"

TRANSACTIONS = QueryBinder(TRANSACTION_FILTER)
GROUPS = QueryBinder(GROUP_FILTER)
CONTACTS = QueryBinder(CONTACT_FILTER)


def api_error(error: parts.PartsError) -> ApiError:
    """The answer to an error of the logic: 404 for something absent, 507 for a full
    collection, 400 otherwise."""
    if isinstance(error, parts.Missing):
        return ApiError(404, error.message)
    if isinstance(error, parts.Full) and error.model_state is None:
        return ApiError(507, error.message)
    return ApiError(400, INVALID if error.model_state else error.message, error.model_state)


def answer(call: Callable[[], Model]) -> Response:
    """The model ``call`` answers, or its error as an ASP.NET answer."""
    try:
        return model_response(call())
    except parts.PartsError as error:
        raise api_error(error) from None


def list_answer(records: Sequence[bytes], total: int) -> Response:
    return json_response(envelope(list(records)), {TOTAL_HEADER_NAME: str(total)})


def page_answer(models: Sequence[Model], query: dict[str, Any]) -> Response:
    """One page of already selected records, in the list envelope."""
    page = query.get("page", DEFAULT_PAGE)
    size = query.get("page_size", DEFAULT_PAGE_SIZE)
    shown = models[(page - 1) * size : page * size]
    return list_answer([encode(m) for m in shown], len(models))


# --- agreements ---------------------------------------------------------------------------------


async def add_agreement(request: Request) -> Response:
    tenant = tenant_of(request)
    customer_id = path_id(request, "customer_id")
    body = await read_body(request, CustomerAgreement, "agreement")
    return answer(lambda: parts.add_agreement(tenant, customer_id, body))


async def add_agreement_product(request: Request) -> Response:
    tenant = tenant_of(request)
    customer_id = path_id(request, "customer_id")
    agreement_id = path_id(request, "agreement_id")
    body = await read_body(request, CustomerAgreementProduct, "agreementProduct")
    return answer(lambda: parts.add_agreement_product(tenant, customer_id, agreement_id, body))


async def delete_agreement_product(request: Request) -> Response:
    tenant = tenant_of(request)
    customer_id = path_id(request, "customer_id")
    product_id = path_id(request, "agreement_product_id")
    return answer(lambda: parts.delete_agreement_product(tenant, customer_id, product_id))


async def delete_agreement(request: Request) -> Response:
    tenant = tenant_of(request)
    customer_id = path_id(request, "customer_id")
    agreement_id = path_id(request, "agreement_id")
    return answer(lambda: parts.delete_agreement(tenant, customer_id, agreement_id))


# --- accounts, texts, circulations, contacts ----------------------------------------------------


async def delete_account(request: Request) -> Response:
    tenant = tenant_of(request)
    customer_id = path_id(request, "customer_id")
    account_id = path_id(request, "account_id")
    return answer(lambda: parts.delete_account(tenant, customer_id, account_id))


async def add_text(request: Request) -> Response:
    tenant = tenant_of(request)
    customer_id = path_id(request, "customer_id")
    body = await read_body(request, CustomerText, "text")
    return answer(lambda: parts.add_text(tenant, customer_id, body))


async def add_circulation(request: Request) -> Response:
    tenant = tenant_of(request)
    customer_id = path_id(request, "customer_id")
    body = await read_body(request, CustomerCirculation, "circulation")
    return answer(lambda: parts.add_circulation(tenant, customer_id, body))


async def delete_circulation(request: Request) -> Response:
    tenant = tenant_of(request)
    customer_id = path_id(request, "customer_id")
    circulation_id = path_id(request, "circulation_id")
    return answer(lambda: parts.delete_circulation(tenant, customer_id, circulation_id))


async def add_contact(request: Request) -> Response:
    tenant = tenant_of(request)
    customer_id = path_id(request, "customer_id")
    body = await read_body(request, CustomerContact, CONTACT_PARAM)
    return answer(lambda: parts.add_contact(tenant, customer_id, body))


async def delete_contact(request: Request) -> Response:
    tenant = tenant_of(request)
    customer_id = path_id(request, "customer_id")
    contact_id = path_id(request, "contact_id")
    return answer(lambda: parts.delete_contact(tenant, customer_id, contact_id))


# --- transactions -------------------------------------------------------------------------------


def _bind(binder: QueryBinder, request: Request) -> dict[str, Any]:
    query, _ = binder(request.scope["query_string"])
    return query


def _transactions_answer(request: Request, ids: Sequence[int], query: dict[str, Any]) -> Response:
    tenant = tenant_of(request)
    return list_answer(transactions.transaction_json(tenant, page_of(ids, query)), len(ids))


async def search_transactions(request: Request) -> Response:
    tenant = tenant_of(request)
    query = _bind(TRANSACTIONS, request)
    return _transactions_answer(request, transactions.search_transactions(tenant, query), query)


async def customer_transactions(request: Request) -> Response:
    tenant = tenant_of(request)
    customer_id = path_id(request, "customer_id")
    try:
        ids = transactions.customer_transactions(tenant, customer_id)
    except parts.PartsError as error:
        raise api_error(error) from None
    return list_answer(transactions.transaction_json(tenant, ids), len(ids))


async def add_transaction(request: Request) -> Response:
    tenant = tenant_of(request)
    customer_id = path_id(request, "customer_id")
    body = await read_body(request, CustomerTransaction, TRANSACTION_PARAM)
    return answer(
        lambda: transactions.add_transaction(tenant, customer_id, body, TRANSACTION_PARAM)
    )


async def update_transaction(request: Request) -> Response:
    tenant = tenant_of(request)
    customer_id = path_id(request, "customer_id")
    body = await read_body(request, CustomerTransaction, TRANSACTION_PARAM)
    return answer(
        lambda: transactions.update_transaction(tenant, customer_id, body, TRANSACTION_PARAM)
    )


async def delete_transaction(request: Request) -> Response:
    tenant = tenant_of(request)
    customer_id = path_id(request, "customer_id")
    transaction_id = path_id(request, "transaction_id")
    return answer(lambda: transactions.delete_transaction(tenant, customer_id, transaction_id))


# --- catalogues ---------------------------------------------------------------------------------


async def list_groups(request: Request) -> Response:
    tenant_of(request)  # the session check every API route makes
    query = _bind(GROUPS, request)
    return page_answer(parts.list_groups(query), query)


async def list_transaction_attributes(request: Request) -> Response:
    tenant_of(request)
    attributes = parts.list_attributes()
    return list_answer([encode(a) for a in attributes], len(attributes))
