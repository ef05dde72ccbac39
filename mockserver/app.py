"""``create_app(settings)``: the Starlette application, wiring only."""

from __future__ import annotations

from functools import partial
from typing import Any

from starlette.applications import Starlette
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from . import scenarios
from .api import admin, auth, customers, docs, invoices
from .api.common import JSON, ApiError, State, error_response, send_json, tenant_name
from .api.lists import ListEndpoint
from .api.scenario_rules import ScenarioRules
from .datagen import Dataset, generate
from .journal import Journal, JournalMiddleware
from .models import ErrorBody, encode
from .sessions import Sessions
from .settings import Settings
from .store import Store


class _CustomerId(Convertor[str]):
    """A customer id segment: anything but ``base``, the literal route beside it, so that
    ``PUT /api/customers/base`` is a 405 rather than an invalid id. Other non-numbers still
    reach the handler, which answers the ASP.NET binding 400."""

    regex = "(?!base$)[^/]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("customer_id", _CustomerId())


CUSTOMER_PATH = "/api/customers/{customer_id:customer_id}"


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
        Route(CUSTOMER_PATH, customers.get_customer, methods=["GET"]),
        Route(CUSTOMER_PATH, customers.update_customer, methods=["PUT"]),
        Route("/api/customers/{customer_id}/accounts", customers.add_account, methods=["POST"]),
        Route("/api/invoices", invoices.list_invoices, methods=["GET"]),
        Route("/api/invoices/{id}", invoices.get_invoice, methods=["GET"]),
    ]


def service_routes() -> list[BaseRoute]:
    """Routes that answer both at the root and under the base path."""
    return [Route("/health", admin.health, methods=["GET"]), *admin.routes(), *docs.routes()]


# The literal segments of the API's routes: matched case-insensitively, while ids keep the
# case they were sent in (an error names the value as the client sent it).
_ROUTE_WORDS = frozenset(
    ("api", "auth", "login", "token", "renew", "alive", "customers", "base", "accounts", "invoices")
)


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
            if normal[:5].lower() == "/api/" and not normal.islower():
                normal = "/".join(
                    part.lower() if part.lower() in _ROUTE_WORDS else part
                    for part in normal.split("/")
                )
            normal = prefix + normal
            if normal != path:
                scope = dict(scope, path=normal, raw_path=normal.encode())
        await self.app(scope, receive, send)


def read_lanes(state: State) -> dict[str, ListEndpoint]:
    """The list routes by their exact path: the read lane's and the protocol's direct lane's
    (``mockserver.protocol``) table."""
    base_path = state.settings.base_path
    return {
        base_path + "/api/customers": customers.list_customers,
        base_path + "/api/customers/base": customers.list_customers_base,
        base_path + "/api/invoices": invoices.list_invoices,
    }


class ReadLane:
    """Sends ``GET`` on the list routes straight to their raw ASGI endpoints: one dict look-up
    instead of Starlette's scan of every route, and no exception middleware. It sits inside
    the journal and the scenario rules, so both still see every request; every other request
    goes through Starlette's router as usual."""

    def __init__(self, app: ASGIApp, state: State) -> None:
        self.app = app
        self.lanes: dict[str, ListEndpoint] = read_lanes(state)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = self.lanes.get(scope["path"]) if scope.get("method") == "GET" else None
        if endpoint is None:
            await self.app(scope, receive, send)
            return
        try:
            await endpoint(scope, receive, send)
        except ApiError as error:
            _note_rejection(scope.setdefault("state", {}), error)
            extra = [(k.lower().encode(), v.encode()) for k, v in (error.headers or {}).items()]
            await send_json(send, error.body, error.status_code, extra)


def _note_rejection(request_state: dict[str, Any], error: ApiError) -> None:
    if error.status_code in (400, 413, 415):
        request_state["mock_invalid"] = True  # the journal reports input the API rejected


_METHOD_NOT_ALLOWED = "The requested resource does not support http method '{}'."


async def _http_error(request: Request, error: Exception) -> Response:
    if isinstance(error, ApiError):
        _note_rejection(request.scope.setdefault("state", {}), error)
        return error_response(error)
    assert isinstance(error, HTTPException)
    if error.status_code in (404, 405):
        request.state.mock_unrouted = True  # the journal reports requests no route matched
    headers = error.headers
    if error.status_code == 404:
        message = f"No HTTP resource was found that matches the request URI '{request.url.path}'."
    elif error.status_code == 405:
        message = _METHOD_NOT_ALLOWED.format(request.method)
        headers = {**(headers or {}), "Allow": _allow(request)}
    else:
        message = error.detail
    body = encode(ErrorBody(Message=message))
    return Response(body, error.status_code, headers, media_type=JSON)


def _allow(request: Request) -> str:
    """Every method the path answers, in order. Starlette's own 405 names the methods of the
    first route that matched the path only, where a path has a route per method."""
    root = request.scope.get("app_root_path", request.scope.get("root_path", ""))
    probe: Scope = {"type": "http", "method": request.method, "path": request.scope["path"],
                    "root_path": root}  # fmt: skip
    return ", ".join(sorted(_methods(request.app.routes, probe)))


def _methods(routes: list[BaseRoute], scope: Scope) -> set[str]:
    methods: set[str] = set()
    for route in routes:
        match, child = route.matches(scope)
        if match is Match.NONE:
            continue
        if isinstance(route, Mount):
            methods |= _methods(route.routes, {**scope, **child})
        elif isinstance(route, Route) and route.methods:
            methods |= route.methods
    return methods


async def _server_error(request: Request, error: Exception) -> Response:
    return Response(encode(ErrorBody(Message="An error has occurred.")), 500, media_type=JSON)


def create_app(
    settings: Settings | None = None,
    dataset: Dataset | None = None,
    store: Store | None = None,
    startup: scenarios.Scenario | None = None,
) -> Starlette:
    """The mock server for ``settings``; ``dataset`` or ``store`` skip generating data, and
    ``startup`` the loading of the ``--scenario`` files (already loaded by the caller)."""
    settings = settings or Settings()
    if startup is None:
        startup = scenarios.load_startup(settings)  # ScenarioError: an invalid one never serves
    if store is None:
        if dataset is None:
            dataset = generate(*scenarios.data_size(settings, startup))
        store = Store(dataset)
    state = State(settings=settings, store=store, sessions=Sessions())
    state.journal = Journal(settings.journal_size, settings.base_path)
    state.on_reset.append(state.journal.clear)
    routes: list[BaseRoute] = [*api_routes(), *service_routes()]
    if settings.base_path:
        routes = [Mount(settings.base_path, routes=routes), *service_routes()]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(
                JournalMiddleware,
                journal=state.journal,
                tenant_of=partial(tenant_name, state),
                base_path=settings.base_path,
            ),
            Middleware(PathNormalizer, base_path=settings.base_path),
            Middleware(ScenarioRules, state=state),
            Middleware(ReadLane, state=state),
        ],
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
    )
    app.router.redirect_slashes = False
    app.state.mock = state
    scenarios.install(state, startup)
    return app
