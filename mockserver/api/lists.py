"""The list routes (``GET /api/customers``, ``/api/customers/base``, ``/api/invoices``) as
raw ASGI endpoints: the hottest path of the server, so no Request or Response objects, a
cached binding per query string, and the envelope assembled from cached record bytes.

``ListEndpoint.page`` is the whole answer short of the bytes on the wire; the HTTP protocol's
direct lane (``mockserver.protocol``) calls it too, so both paths answer alike. Each
application builds its own endpoints (``mockserver.app``), so the binding caches of two
applications in one process never mix.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.types import Receive, Scope, Send

from ..filters import page_of
from ..state import State
from ..store import Tenant
from ..tables import Table
from ..wire import TOTAL_HEADER_BYTES
from .common import QueryBinder, resolve_tenant, send_json

_EMPTY = b'{"result_count":0,"results":[]}'


def envelope_parts(records: list[bytes]) -> list[bytes]:
    """``{"result_count": N, "results": [...]}`` for one page, as the pieces to concatenate:
    the record bytes themselves with separators between them, so that a writer that takes
    pieces (``writelines``) never copies the page. The total travels in the
    ``X-Total-Count`` header, never in the body, so the body stays faithful to the real API."""
    if not records:
        return [_EMPTY]
    parts = [b","] * (2 * len(records) + 1)
    parts[0] = b'{"result_count":%d,"results":[' % len(records)
    parts[1:-1:2] = records
    parts[-1] = b"]}"
    return parts


def envelope(records: list[bytes]) -> bytes:
    """The envelope as one bytes object (a page is tens of kilobytes, copied once)."""
    return b"".join(envelope_parts(records))


@dataclass(frozen=True)
class ListSource:
    """What one list route reads: the tenant's table, how a bound filter selects its ids,
    and whether it answers the records' basic fields only. Its filter model is the route's
    (``mockserver.routes``)."""

    table: Callable[[Tenant], Table[Any, Any]]
    select: Callable[[Table[Any, Any], dict[str, Any]], Sequence[int]]
    basic: bool = False


class ListEndpoint:
    """One list route of one application: bind the filter, select ids from the tenant's
    table, answer a page."""

    def __init__(self, state: State, binder: QueryBinder, source: ListSource) -> None:
        self.state = state
        self.binder = binder
        self.table = source.table
        self.select = source.select
        self.basic = source.basic

    def page(self, tenant: Tenant, query_string: bytes) -> tuple[int, list[bytes]]:
        """The total the query selects and the encoded records of the requested page;
        ``ApiError`` (400) for a query that does not bind."""
        table = self.table(tenant)
        query, key = self.binder(query_string)
        ids = table.selections.get(key)
        if ids is None:
            ids = table.remember(key, self.select(table, query))
        return len(ids), table.many_json(page_of(ids, query), self.basic)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        total, records = self.page(resolve_tenant(self.state, scope), scope["query_string"])
        await send_json(send, envelope(records), headers=((TOTAL_HEADER_BYTES, b"%d" % total),))
