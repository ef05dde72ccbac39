"""``/api/customers``: list (full and basic), get one, create, update, add a bank account."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..facts import CustomerFacts
from ..filters import select_customers
from ..models import Customer, CustomerAccount
from ..store import Tenant
from ..tables import Table
from .common import (
    ApiError,
    json_response,
    model_response,
    path_id,
    read_body,
    tenant_of,
)
from .lists import ListSource


def _not_found(customer_id: int) -> ApiError:
    return ApiError(404, f"Customer {customer_id} was not found.")


def _customers(tenant: Tenant) -> Table[Customer, CustomerFacts]:
    return tenant.customers


CUSTOMERS = ListSource(_customers, select_customers)
CUSTOMERS_BASE = ListSource(_customers, select_customers, basic=True)


async def get_customer(request: Request) -> Response:
    tenant = tenant_of(request)
    customer_id = path_id(request, "customer_id")
    if customer_id not in tenant.customers:
        raise _not_found(customer_id)
    return json_response(tenant.customers.json(customer_id))


async def create_customer(request: Request) -> Response:
    tenant = tenant_of(request)
    body = await read_body(request, Customer, "customer")
    return model_response(tenant.create_customer(body))


async def update_customer(request: Request) -> Response:
    tenant = tenant_of(request)
    customer_id = path_id(request, "customer_id")
    body = await read_body(request, Customer, "customer")
    record = tenant.update_customer(customer_id, body)
    if record is None:
        raise _not_found(customer_id)
    return model_response(record)


async def add_account(request: Request) -> Response:
    tenant = tenant_of(request)
    customer_id = path_id(request, "customer_id")
    body = await read_body(request, CustomerAccount, "account")
    account = tenant.add_account(customer_id, body)
    if account is None:
        raise _not_found(customer_id)
    return model_response(account)
