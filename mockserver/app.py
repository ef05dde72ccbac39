"""``create_app(settings)``: the Starlette application, wiring only.

The router is the route table's (``mockserver.routes``): one route per path template,
answering each of its methods with the handler ``handlers`` names for it. The state is
``mockserver.state.build_state``'s, hung on the application as ``app.state.mock`` (reached
through ``api.common.state_of``). Besides: the middleware, in order, and the ASP.NET-shaped
answers of requests no handler served (404, 405, 500).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Mount, Route, Router, request_response
from starlette.types import ASGIApp, Receive, Scope, Send

from . import routes
from .api import (
    admin,
    auth,
    clock_admin,
    contacts,
    customer_parts,
    customers,
    docs,
    invoice_writes,
    invoices,
    journal_admin,
    journal_stream,
    scenario_admin,
    ui,
)
from .api.common import ApiError, QueryBinder, error_response, send_json, tenant_name
from .api.guard import AdminGuard
from .api.lists import ListEndpoint, ListSource
from .api.scenario_rules import ScenarioRules
from .api.unmocked import Unmocked
from .binding import FilterSpec
from .journal_middleware import JournalMiddleware
from .models import ErrorBody, encode
from .routes import Operation, Resource, split_path
from .scenarios import Scenario
from .settings import Settings
from .state import Clock, State, build_state
from .store import Dataset, Store
from .wire import INVALID_KEY, JSON, SERVER_ERROR, UNROUTED_KEY, method_not_allowed, not_found

Handler = Callable[[Request], Awaitable[Response]]


def handlers(state: State) -> dict[str, Handler | ListSource | Unmocked]:
    """What answers each handler key of the route table in one application. A list route's
    is its ``ListSource``: the application makes it an endpoint of its own (own binding
    cache), as it makes its own documentation pages."""
    documentation = docs.Docs(state.settings)
    dashboard = ui.Dashboard(state.settings.base_path)
    return {
        "auth.login": auth.login,
        "auth.renew": auth.renew,
        "auth.alive": auth.alive,
        "customers.list": customers.CUSTOMERS,
        "customers.list_base": customers.CUSTOMERS_BASE,
        "customers.get": customers.get_customer,
        "customers.create": customers.create_customer,
        "customers.update": customers.update_customer,
        "customers.add_account": customers.add_account,
        # customer sub-resources and contacts (mockserver/api/customer_parts.py, contacts.py)
        "parts.add_agreement": customer_parts.add_agreement,
        "parts.add_agreement_product": customer_parts.add_agreement_product,
        "parts.delete_agreement_product": customer_parts.delete_agreement_product,
        "parts.delete_agreement": customer_parts.delete_agreement,
        "parts.delete_account": customer_parts.delete_account,
        "parts.search_transactions": customer_parts.search_transactions,
        "parts.transaction_attributes": customer_parts.list_transaction_attributes,
        "parts.groups": customer_parts.list_groups,
        "parts.customer_transactions": customer_parts.customer_transactions,
        "parts.update_transaction": customer_parts.update_transaction,
        "parts.add_transaction": customer_parts.add_transaction,
        "parts.delete_transaction": customer_parts.delete_transaction,
        "parts.add_contact": customer_parts.add_contact,
        "parts.delete_contact": customer_parts.delete_contact,
        "parts.add_text": customer_parts.add_text,
        "parts.add_circulation": customer_parts.add_circulation,
        "parts.delete_circulation": customer_parts.delete_circulation,
        "contacts.list": contacts.list_contacts,
        "contacts.create": contacts.create_contact,
        "contacts.update": contacts.update_contact,
        "invoices.list": invoices.INVOICES,
        "invoices.get": invoices.get_invoice,
        "invoice_writes.create": invoice_writes.create_invoice,
        "invoice_writes.update": invoice_writes.update_invoice,
        "invoice_writes.delete": invoice_writes.delete_invoice,
        "invoice_writes.from_order": invoice_writes.from_order,
        "invoice_writes.add_row": invoice_writes.add_row,
        "invoice_writes.delete_row": invoice_writes.delete_row,
        "invoice_writes.add_payment": invoice_writes.add_payment,
        "invoice_writes.delete_payment": invoice_writes.delete_payment,
        "invoice_writes.add_link": invoice_writes.add_link,
        "invoice_writes.delete_link": invoice_writes.delete_link,
        "admin.health": admin.health,
        "admin.reset": admin.reset,
        "admin.tenants": admin.list_tenants,
        "admin.delete_tenant": admin.delete_tenant,
        "journal.list": journal_admin.list_requests,
        "journal.clear": journal_admin.clear_requests,
        "scenario.show": scenario_admin.show,
        "scenario.replace": scenario_admin.replace,
        "scenario.clear": scenario_admin.clear,
        "clock.show": clock_admin.show,
        "clock.set": clock_admin.put,
        "clock.advance": clock_admin.advance,
        "clock.reset": clock_admin.delete,
        "journal.stream": journal_stream.stream_requests,
        "ui.scenarios": ui.list_scenarios,
        "ui.scenario_text": ui.scenario_text,
        "ui.check_scenario": ui.check_scenario,
        "ui.page": dashboard.page,
        "ui.asset": dashboard.asset,
        "docs.document": documentation.document,
        "docs.ui": documentation.ui,
        "docs.asset": documentation.asset,
        routes.UNMOCKED_HANDLER: Unmocked(),
    }


class _Methods:
    """One path's handlers by method; ``HEAD`` is answered by the ``GET`` handler (the
    server sends no body)."""

    def __init__(self, apps: Mapping[str, ASGIApp]) -> None:
        self.apps = dict(apps)
        if "GET" in self.apps:
            self.apps["HEAD"] = self.apps["GET"]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.apps[scope["method"]](scope, receive, send)


class ResourceRoute(Route):
    """One path template of the route table with every method it answers. A method it
    does not answer is a 405 whose ``Allow`` lists every method it does, sorted. Its path
    parameters never bind the words a route beside it has as literal segments
    (``Resource.reserved``): ``PUT /api/customers/base`` is a 405, not an invalid id; nor
    the combinations of words a more specific route has (``Resource.excluded``)."""

    def __init__(
        self, resource: Resource, apps: Mapping[str, ASGIApp], state: State | None = None
    ) -> None:
        super().__init__(resource.path, _Methods(apps), methods=list(apps))
        self.reserved = resource.reserved
        self.excluded = resource.excluded
        # every method of the path, a sibling template's of the same shape too (Resource.shared)
        allowed = {*resource.methods, *(("HEAD",) if "GET" in resource.methods else ())}
        self.allow = ", ".join(sorted(allowed))
        self.state = state  # an API route's: with an upstream, its other methods go there

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child = super().matches(scope)
        if match is not Match.NONE and self.reserved:
            bound = child["path_params"]
            for name, words in self.reserved.items():
                if bound.get(name) in words:
                    return Match.NONE, {}
        if match is not Match.NONE and self.excluded:
            bound = child["path_params"]
            for combination in self.excluded:
                if all(bound.get(name) == word for name, word in combination.items()):
                    return Match.NONE, {}
        return match, child

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.methods and scope["method"] not in self.methods:
            upstream = self.state.upstream if self.state is not None else None
            if upstream is not None:  # a method the mock does not implement: the upstream's
                await upstream.forward(scope, receive, send)
                return
            raise HTTPException(405, headers={"Allow": self.allow})
        await self.app(scope, receive, send)


class Unrouted:
    """What a request no route matched gets: the 404, or, when the server has an upstream
    (``State.upstream``) and the path is an API path, the upstream's answer."""

    def __init__(self, state: State) -> None:
        self.state = state
        self.api_prefix = state.settings.base_path + routes.API_PREFIX

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        upstream = self.state.upstream
        if upstream is not None and scope["path"].startswith(self.api_prefix):
            await upstream.forward(scope, receive, send)
            return
        raise HTTPException(404)


class _Wiring:
    """The table's handlers made endpoints for one application: list routes share one
    binder per filter model (pages of one query bind once)."""

    def __init__(self, state: State) -> None:
        self.state = state
        self.handlers = handlers(state)
        self.binders: dict[int, QueryBinder] = {}
        self.lists: dict[str, ListEndpoint] = {}  # by handler key

    def endpoint(self, op: Operation) -> ASGIApp:
        handler = self.handlers[op.handler]
        if isinstance(handler, Unmocked):
            return handler.answering(op)
        if not isinstance(handler, ListSource):
            return request_response(handler)
        endpoint = self.lists.get(op.handler)
        if endpoint is None:
            endpoint = self.lists[op.handler] = ListEndpoint(self.state, self._binder(op), handler)
        return endpoint

    def _binder(self, op: Operation) -> QueryBinder:
        spec: FilterSpec | None = op.filters
        if spec is None:
            raise ValueError(f"the list route {op.method} {op.path} has no filter model")
        binder = self.binders.get(id(spec))
        if binder is None:
            binder = self.binders[id(spec)] = QueryBinder(spec)
        return binder

    def resource_routes(self, api: bool) -> list[BaseRoute]:
        return [
            ResourceRoute(
                resource,
                {m: self.endpoint(op) for m, op in resource.operations.items()},
                self.state if api else None,
            )
            for resource in routes.RESOURCES
            if resource.is_api == api
        ]

    def read_lanes(self) -> dict[str, ListEndpoint]:
        """The list routes' endpoints by their exact path, base path included."""
        base_path = self.state.settings.base_path
        return {
            base_path + op.path: self.lists[op.handler]
            for op in routes.LIST_OPERATIONS
            if op.handler in self.lists
        }


class MockApp(Starlette):
    """The mock's application: a Starlette application that also knows its list routes'
    endpoints by exact path (``lanes``), for the read lane and the protocol's direct lane."""

    lanes: Mapping[str, ListEndpoint]


def read_lanes(app: MockApp) -> Mapping[str, ListEndpoint]:
    """The list routes by their exact path: the read lane's and the protocol's direct lane's
    (``mockserver.protocol``) table."""
    return app.lanes


class PathNormalizer:
    """Routes the way ASP.NET does: API paths (and the base path) match case-insensitively
    and a trailing slash is ignored (``routes.split_path``)."""

    def __init__(self, app: ASGIApp, base_path: str) -> None:
        self.app = app
        self.base_path = base_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            prefix, route = split_path(path, self.base_path)
            normal = prefix + route
            if normal != path:
                scope = dict(scope, path=normal, raw_path=normal.encode())
        await self.app(scope, receive, send)


class ReadLane:
    """Sends ``GET`` on the list routes straight to their raw ASGI endpoints: one dict look-up
    instead of Starlette's scan of every route, and no exception middleware. It sits inside
    the journal and the scenario rules, so both still see every request; every other request
    goes through Starlette's router as usual."""

    def __init__(self, app: ASGIApp, lanes: Mapping[str, ListEndpoint]) -> None:
        self.app = app
        self.lanes = lanes

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
        request_state[INVALID_KEY] = True  # the journal reports input the API rejected


async def _http_error(request: Request, error: Exception) -> Response:
    if isinstance(error, ApiError):
        _note_rejection(request.scope.setdefault("state", {}), error)
        return error_response(error)
    assert isinstance(error, HTTPException)
    if error.status_code in (404, 405):
        request.scope.setdefault("state", {})[UNROUTED_KEY] = True  # no route matched
    if error.status_code == 404:
        message = not_found(request.url.path)
    elif error.status_code == 405:
        message = method_not_allowed(request.method)
    else:
        message = error.detail
    body = encode(ErrorBody(Message=message))
    return Response(body, error.status_code, error.headers, media_type=JSON)


async def _server_error(request: Request, error: Exception) -> Response:
    return Response(encode(ErrorBody(Message=SERVER_ERROR)), 500, media_type=JSON)


def _fleet_middleware(state: State, fleet: Any) -> list[Middleware]:
    """The fleet's middleware, for a fleet's process (none in memory)."""
    if fleet is None:
        return []
    from functools import partial as bind

    from .fleet import restart_state
    from .fleet.middleware import FleetMiddleware

    fleet.restart = bind(restart_state, state)
    state.fleet = fleet

    def pristine() -> bool:
        return state.scenario.active is state.scenario.startup

    return [Middleware(FleetMiddleware, state=state, fleet=fleet, pristine=pristine)]


def create_app(
    settings: Settings | None = None,
    dataset: Dataset | None = None,
    store: Store | None = None,
    startup: Scenario | None = None,
    clock: Clock | None = None,
) -> MockApp:
    """The mock server for ``settings``; ``dataset`` or ``store`` skip generating data,
    ``startup`` the loading of the ``--scenario`` files (already loaded by the caller), and
    ``clock`` replaces the system's (``state.build_state``)."""
    settings = settings or Settings()
    fleet = journal = None
    if settings.state != "memory":  # a fleet's process (mockserver.fleet): needs redis
        from .fleet import open_fleet
        from .replay import PinnedClock
        from .scenarios import load_startup

        if clock is not None:
            raise ValueError("a fleet's processes run on the wall clock: no other clock")
        if startup is None:
            startup = load_startup(settings)
        fleet, journal = open_fleet(settings, startup)
        clock = PinnedClock()
    state = build_state(
        settings, dataset=dataset, store=store, startup=startup, clock=clock, journal=journal
    )
    settings = state.settings
    if settings.upstream:  # the bridge only when asked for: it needs httpx
        from .bridge.passthrough import passthrough_of

        state.upstream = passthrough_of(settings)
    wiring = _Wiring(state)
    api = wiring.resource_routes(api=True)
    service = wiring.resource_routes(api=False)
    mounted: list[BaseRoute] = [*api, *service]
    unrouted = Unrouted(state)
    if settings.base_path:
        inner = Router(routes=mounted, default=unrouted)
        mounted = [Mount(settings.base_path, app=inner), *service]
    lanes = wiring.read_lanes()
    middleware = [
        Middleware(
            JournalMiddleware,
            journal=state.journal,
            tenant_of=partial(tenant_name, state),
            base_path=settings.base_path,
        ),
        Middleware(PathNormalizer, base_path=settings.base_path),
        Middleware(AdminGuard, state=state),
        *_fleet_middleware(state, fleet),
        Middleware(ScenarioRules, state=state),
        Middleware(ReadLane, lanes=lanes),
    ]
    app = MockApp(
        routes=mounted,
        middleware=middleware,
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
    )
    app.router.redirect_slashes = False
    app.router.default = unrouted
    app.lanes = lanes
    app.state.mock = state
    if state.fleet is not None:
        # A fleet's process replays the log from the moment it joins, before any request: its
        # middleware (what replays run through) and the application must be there already.
        state.fleet.app = app
        app.middleware_stack = app.build_middleware_stack()
    return app
