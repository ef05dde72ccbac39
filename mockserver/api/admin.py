"""Service routes: ``/health`` for probes and the admin API under ``/_mock/``."""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..models import ErrorBody, encode
from . import journal_admin, scenario_admin
from .common import JSON, state_of


class Health(msgspec.Struct, kw_only=True):
    """What ``GET /health`` answers once the data and every scenario are loaded."""

    status: str
    seed: int
    customers: int
    invoices: int


async def health(request: Request) -> Response:
    """200 once the data is loaded and the server is serving; 503 before."""
    state = state_of(request)
    if not state.ready:
        body = ErrorBody(Message="The server is starting: its data and scenarios are loading.")
        return Response(encode(body), 503, media_type=JSON)
    dataset = state.store.dataset
    answer = Health(
        status="ok",
        seed=dataset.seed,
        customers=len(dataset.customers),
        invoices=len(dataset.invoices),
    )
    return Response(encode(answer), 200, media_type=JSON)


async def reset(request: Request) -> Response:
    """Restore the seeded data (of one tenant with ``?tenant=NAME``) and forget sessions."""
    state = state_of(request)
    tenant = request.query_params.get("tenant") or None
    state.reset(tenant)
    return Response(encode({"reset": tenant or "all"}), 200, media_type=JSON)


def routes() -> list[BaseRoute]:
    return [
        Route("/_mock/reset", reset, methods=["POST"]),
        *journal_admin.routes(),
        *scenario_admin.routes(),
    ]
