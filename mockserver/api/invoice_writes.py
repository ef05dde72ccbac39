"""``/api/invoices`` writes: create, update (the id in the body), delete; add and delete rows,
payments and links; create from a sales order (only a scenario's records hold any: an unknown
number is a 404, an order the tenant has invoiced already a 400).

Each handler reads the path and the body, then asks ``mockserver.books`` to write in the
caller's tenant; what the books refuse becomes the API's 400 (``ModelState`` naming the field)
or 404 (a ``Message`` naming what is missing). The answer is the object the write concerned,
as stored: the invoice (created, updated or deleted) or the row, payment or link (added or
deleted).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..books import (
    INVOICE_PARAM,
    LINK_PARAM,
    PAYMENT_PARAM,
    ROW_PARAM,
    Books,
    BooksError,
    Missing,
)
from ..models import Invoice, InvoicePayment, InvoiceRow, Link, Model
from .common import ApiError, invalid, model_response, path_id, read_body, tenant_of


def _books(request: Request) -> Books:
    return Books(tenant_of(request))


def _refused(error: BooksError | Missing) -> ApiError:
    if isinstance(error, BooksError):
        return invalid(error.model_state)
    return ApiError(404, error.message)


def _answer(value: Model) -> Response:
    return model_response(value)


async def create_invoice(request: Request) -> Response:
    books = _books(request)
    body = await read_body(request, Invoice, INVOICE_PARAM)
    try:
        return _answer(books.create(body))
    except (BooksError, Missing) as error:
        raise _refused(error) from None


async def update_invoice(request: Request) -> Response:
    books = _books(request)
    body = await read_body(request, Invoice, INVOICE_PARAM)
    try:
        return _answer(books.update(body))
    except (BooksError, Missing) as error:
        raise _refused(error) from None


async def delete_invoice(request: Request) -> Response:
    books = _books(request)
    invoice_id = path_id(request, "id")
    try:
        return _answer(books.delete(invoice_id))
    except Missing as error:
        raise _refused(error) from None


async def add_row(request: Request) -> Response:
    books = _books(request)
    invoice_id = path_id(request, "id")
    body = await read_body(request, InvoiceRow, ROW_PARAM)
    try:
        return _answer(books.add_row(invoice_id, body))
    except (BooksError, Missing) as error:
        raise _refused(error) from None


async def delete_row(request: Request) -> Response:
    books = _books(request)
    invoice_id = path_id(request, "id")
    row_id = path_id(request, "row_id")
    try:
        return _answer(books.delete_row(invoice_id, row_id))
    except Missing as error:
        raise _refused(error) from None


async def add_payment(request: Request) -> Response:
    books = _books(request)
    invoice_id = path_id(request, "id")
    body = await read_body(request, InvoicePayment, PAYMENT_PARAM)
    try:
        return _answer(books.add_payment(invoice_id, body))
    except (BooksError, Missing) as error:
        raise _refused(error) from None


async def delete_payment(request: Request) -> Response:
    books = _books(request)
    invoice_id = path_id(request, "id")
    payment_id = path_id(request, "payment_id")
    try:
        return _answer(books.delete_payment(invoice_id, payment_id))
    except Missing as error:
        raise _refused(error) from None


async def add_link(request: Request) -> Response:
    books = _books(request)
    invoice_id = path_id(request, "id")
    body = await read_body(request, Link, LINK_PARAM)
    try:
        return _answer(books.add_link(invoice_id, body))
    except (BooksError, Missing) as error:
        raise _refused(error) from None


async def delete_link(request: Request) -> Response:
    books = _books(request)
    invoice_id = path_id(request, "id")
    link_id = path_id(request, "link_id")
    try:
        return _answer(books.delete_link(invoice_id, link_id))
    except Missing as error:
        raise _refused(error) from None


async def from_order(request: Request) -> Response:
    """Invoice the sales order the route's number names, once per tenant. The generated data
    hold no orders (a scenario's ``records.orders`` may); any body is ignored."""
    books = _books(request)  # the session is checked first, as on every protected route
    number = path_id(request, "number")
    try:
        return _answer(books.from_order(number))
    except (BooksError, Missing) as error:
        raise _refused(error) from None
