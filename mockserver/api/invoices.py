"""``/api/invoices``: list and get one."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..filters import INVOICE_FILTER, page_of, select_invoices
from .common import ApiError, bind_query, json_response, path_id, tenant_of
from .lists import list_response


async def list_invoices(request: Request) -> Response:
    tenant = tenant_of(request)
    query = bind_query(request, INVOICE_FILTER)
    table = tenant.invoices
    ids = select_invoices(table, query)
    return list_response(page_of(ids, query), len(ids), table.json)


async def get_invoice(request: Request) -> Response:
    tenant = tenant_of(request)
    invoice_id = path_id(request, "id")
    if invoice_id not in tenant.invoices:
        raise ApiError(404, f"Invoice {invoice_id} was not found.")
    return json_response(tenant.invoices.json(invoice_id))
