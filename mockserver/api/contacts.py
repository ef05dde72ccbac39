"""``/api/contacts``: a customer's contacts as a filtered list, a new contact, an update.

The contacts live inside their customers (``mockserver.customer_parts`` holds the logic): a
write here is a write of the customer, visible in ``GET /api/customers/{id}`` next.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from .. import customer_parts as parts
from ..models import CustomerContact
from .common import path_id, read_body, tenant_of
from .customer_parts import CONTACT_PARAM, CONTACTS, answer, api_error, page_answer


async def list_contacts(request: Request) -> Response:
    tenant = tenant_of(request)
    customer_id = path_id(request, "customer_id")
    query, _ = CONTACTS(request.scope["query_string"])
    try:
        contacts = parts.list_contacts(tenant, customer_id, query)
    except parts.PartsError as error:
        raise api_error(error) from None
    return page_answer(contacts, query)


async def create_contact(request: Request) -> Response:
    tenant = tenant_of(request)
    customer_id = path_id(request, "customer_id")
    body = await read_body(request, CustomerContact, CONTACT_PARAM)
    return answer(lambda: parts.add_contact(tenant, customer_id, body))


async def update_contact(request: Request) -> Response:
    tenant = tenant_of(request)
    # One path, /api/contacts/{id}, for the list, the create and the update: the update's id
    # is the contact's, and a bad one is named as the vendor names it.
    request.path_params.setdefault("contact_id", request.path_params["customer_id"])
    contact_id = path_id(request, "contact_id")
    body = await read_body(request, CustomerContact, CONTACT_PARAM)
    return answer(lambda: parts.update_contact(tenant, contact_id, body))
