"""``/api/invoices``: list and get one."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..facts import InvoiceFacts
from ..filters import select_invoices
from ..models import Invoice
from ..store import Tenant
from ..tables import Table
from .common import ApiError, json_response, path_id, tenant_of
from .lists import ListSource


def _invoices(tenant: Tenant) -> Table[Invoice, InvoiceFacts]:
    return tenant.invoices


INVOICES = ListSource(_invoices, select_invoices)


async def get_invoice(request: Request) -> Response:
    tenant = tenant_of(request)
    invoice_id = path_id(request, "id")
    if invoice_id not in tenant.invoices:
        raise ApiError(404, f"Invoice {invoice_id} was not found.")
    return json_response(tenant.invoices.json(invoice_id))
