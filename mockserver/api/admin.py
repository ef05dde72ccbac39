"""Service routes: ``/health`` for probes and the admin API under ``/_mock/``: resets, and the
tenants the server holds (``GET /_mock/tenants``, ``DELETE /_mock/tenants/{name}``). Who may
call the admin routes is ``mockserver.api.guard``'s business, not these handlers'."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from ..models import Health, encode
from ..wire import JSON
from .common import ApiError, state_of


async def health(request: Request) -> Response:
    """200: the data are loaded and the server is serving (while they load, the server
    answers every request 503 before it reaches a handler: ``serving.Loading``)."""
    dataset = state_of(request).store.dataset
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


class TenantInfo(msgspec.Struct, kw_only=True):
    """One tenant as ``GET /_mock/tenants`` lists it."""

    name: str
    sessions: int  # live sessions
    writes: int  # records written since it was created or last reset
    last_activity: str | None  # UTC, ISO 8601; None for a tenant known only by its sessions


class Tenants(msgspec.Struct, kw_only=True):
    count: int
    max_tenants: int  # 0: no limit
    tenants: list[TenantInfo]


def _utc(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


async def list_tenants(request: Request) -> Response:
    """Every tenant the server holds (with data or live sessions), by name."""
    state = state_of(request)
    held = state.store.tenants
    sessions = state.sessions.tenants()
    listed = []
    for name in sorted(held.keys() | sessions.keys()):
        tenant = held.get(name)
        listed.append(
            TenantInfo(
                name=name,
                sessions=sessions.get(name, 0),
                writes=tenant.writes if tenant is not None else 0,
                last_activity=_utc(tenant.last_active) if tenant is not None else None,
            )
        )
    answer = Tenants(count=len(listed), max_tenants=state.settings.max_tenants, tenants=listed)
    return Response(encode(answer), 200, media_type=JSON)


async def delete_tenant(request: Request) -> Response:
    """Forget one tenant: its data, sessions, journal entries and scenario counters (204);
    404 when the server holds no tenant of that name."""
    state = state_of(request)
    name: str = request.path_params["name"]
    if name not in state.store.tenants and not state.sessions.holds(name):
        raise ApiError(404, f"There is no tenant named '{name}'.")
    state.reset(name)
    return Response(status_code=204)
