"""``/_mock/requests``: read and clear the request journal over HTTP.

``GET /_mock/requests`` answers ``{"count": N, "last_seq": S, "requests": [...]}``, oldest
first (``last_seq``: the newest request's ``seq``, for ``since``), filtered by
the query (``method``, ``path``, ``tenant``, ``status``, ``rule``, ``since``, ``limit``,
``query.NAME=VALUE``, ``json``), the same filters ``MockServer.requests`` takes.
``DELETE /_mock/requests`` (``?tenant=NAME`` for one tenant) answers ``{"cleared": N}``.
Neither is journaled itself. Entries are shown as the journal keeps them: secrets redacted
when they were recorded (``mockserver.journal.redaction``).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..binding import parse_query
from ..journal import FilterError, Journal, filter_from_query, select
from ..models import encode
from ..wire import JSON
from .common import invalid, state_of


def _journal(request: Request) -> Journal:
    journal: Journal = state_of(request).journal
    return journal


async def list_requests(request: Request) -> Response:
    try:
        criteria, limit = filter_from_query(parse_query(request.scope["query_string"]))
    except FilterError as error:
        raise invalid(error.model_state) from None
    journal = _journal(request)
    await journal.asettle()
    entries = journal.entries(criteria.tenant, criteria.since)
    found = list(select(entries, criteria))
    if limit is not None:
        found = found[-limit:] if limit else []
    body = {
        "count": len(found),
        "last_seq": journal.last_seq(),
        "requests": [e.to_dict() for e in found],
    }
    return Response(encode(body), 200, media_type=JSON)


async def clear_requests(request: Request) -> Response:
    tenant = request.query_params.get("tenant") or None
    cleared = _journal(request).clear(tenant)
    return Response(encode({"cleared": cleared}), 200, media_type=JSON)
