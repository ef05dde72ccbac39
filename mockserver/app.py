"""``create_app(settings)``: the Starlette application, wiring only."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from .api import admin, auth, customers, invoices
from .api.common import JSON, ApiError, State, error_response
from .datagen import Dataset, generate
from .models import ErrorBody, encode
from .sessions import Sessions
from .settings import Settings
from .store import Store


def api_routes() -> list[BaseRoute]:
    """The real API's routes, as the base path sees them."""
    return [
        Route("/api/auth/login", auth.login, methods=["POST"]),
        Route("/api/auth/login/token", auth.login, methods=["POST"]),
        Route("/api/auth/renew", auth.renew, methods=["POST"]),
        Route("/api/auth/alive", auth.alive, methods=["GET"]),
        Route("/api/customers", customers.list_customers, methods=["GET"]),
        Route("/api/customers", customers.create_customer, methods=["POST"]),
        Route("/api/customers/base", customers.list_customers_base, methods=["GET"]),
        Route("/api/customers/{customer_id}", customers.get_customer, methods=["GET"]),
        Route("/api/customers/{customer_id}", customers.update_customer, methods=["PUT"]),
        Route("/api/customers/{customer_id}/accounts", customers.add_account, methods=["POST"]),
        Route("/api/invoices", invoices.list_invoices, methods=["GET"]),
        Route("/api/invoices/{id}", invoices.get_invoice, methods=["GET"]),
    ]


def service_routes() -> list[BaseRoute]:
    """Routes that answer both at the root and under the base path."""
    return [Route("/health", admin.health, methods=["GET"]), *admin.routes()]


class PathNormalizer:
    """Routes the way ASP.NET does: API paths (and the base path) match case-insensitively
    and a trailing slash is ignored."""

    def __init__(self, app: ASGIApp, base_path: str) -> None:
        self.app = app
        self.base_path = base_path
        self.base_lower = base_path.lower()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            normal = path.rstrip("/") or "/" if len(path) > 1 else path
            prefix = ""
            if self.base_lower:
                lowered = normal.lower()
                if lowered == self.base_lower or lowered.startswith(self.base_lower + "/"):
                    prefix, normal = self.base_path, normal[len(self.base_path) :]
            if normal[:5].lower() == "/api/":
                normal = normal.lower()
            normal = prefix + normal
            if normal != path:
                scope = dict(scope, path=normal, raw_path=normal.encode())
        await self.app(scope, receive, send)


_METHOD_NOT_ALLOWED = "The requested resource does not support http method '{}'."


async def _http_error(request: Request, error: Exception) -> Response:
    if isinstance(error, ApiError):
        return error_response(error)
    assert isinstance(error, HTTPException)
    if error.status_code == 404:
        message = f"No HTTP resource was found that matches the request URI '{request.url.path}'."
    elif error.status_code == 405:
        message = _METHOD_NOT_ALLOWED.format(request.method)
    else:
        message = error.detail
    body = encode(ErrorBody(Message=message))
    return Response(body, error.status_code, error.headers, media_type=JSON)


async def _server_error(request: Request, error: Exception) -> Response:
    return Response(encode(ErrorBody(Message="An error has occurred.")), 500, media_type=JSON)


def create_app(
    settings: Settings | None = None, dataset: Dataset | None = None, store: Store | None = None
) -> Starlette:
    """The mock server for ``settings``; ``dataset`` or ``store`` skip generating data."""
    settings = settings or Settings()
    if store is None:
        if dataset is None:
            dataset = generate(settings.seed, settings.customers, settings.invoices)
        store = Store(dataset)
    state = State(settings=settings, store=store, sessions=Sessions())
    routes: list[BaseRoute] = [*api_routes(), *service_routes()]
    if settings.base_path:
        routes = [Mount(settings.base_path, routes=routes), *service_routes()]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(PathNormalizer, base_path=settings.base_path)],
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
    )
    app.router.redirect_slashes = False
    app.state.mock = state
    return app
