"""Service routes: ``/health`` for probes and the admin API under ``/_mock/``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..models import encode
from .common import JSON, state_of


async def health(request: Request) -> Response:
    """200 once the data is loaded and the server is serving; 503 before."""
    state = state_of(request)
    if not state.ready:
        return Response(encode({"status": "starting"}), 503, media_type=JSON)
    store = state.store
    body = {
        "status": "ok",
        "seed": store.dataset.seed,
        "customers": len(store.dataset.customers),
        "invoices": len(store.dataset.invoices),
    }
    return Response(encode(body), 200, media_type=JSON)


async def reset(request: Request) -> Response:
    """Restore the seeded data (of one tenant with ``?tenant=NAME``) and forget sessions."""
    state = state_of(request)
    tenant = request.query_params.get("tenant") or None
    state.reset(tenant)
    return Response(encode({"reset": tenant or "all"}), 200, media_type=JSON)


def routes() -> list[BaseRoute]:
    return [Route("/_mock/reset", reset, methods=["POST"])]
