"""Every route the server answers, listed once, as data: ``OPERATIONS``.

An entry says what a route is (method, path template, which handler answers it), what binds
its input (its filter model or its body model), what it answers (a model, or the list
envelope of one), and its words for people (the OpenAPI summary, operation id, tag and the
errors it can answer). Everything else is derived from the table: the router and its 405
``Allow`` lists (``mockserver.app``), the literal words API paths match case-insensitively,
the list routes the read lane and the protocol's direct lane serve, the route templates the
scenario rules may name (``mockserver.scenarios``), the known routes of the pytest plugin's
report and the OpenAPI document (``mockserver.openapi``). Adding a route is one entry here
plus its handler in ``mockserver.app.handlers``.

It also holds the one path normalizer (``split_path``): how a request path is matched
against the table (trailing slash, base path, case).

It knows no web framework and no handler: handlers are named by key, so this module sits
below the HTTP layer and anything may import it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from .binding import FilterSpec
from .filters import CUSTOMER_FILTER, INVOICE_FILTER
from .models import (
    INT32_MAX,
    INT32_MIN,
    Customer,
    CustomerAccount,
    CustomerBase,
    Health,
    Invoice,
    LoginAnswer,
    LogInInfo,
)
from .scenario_spec import json_schema as scenario_json_schema

API_PREFIX = "/api/"  # the real API's routes: under the base path only, case-insensitive
ADMIN_PREFIX = "/_mock/"  # the mock's own controls

TAG_AUTH, TAG_CUSTOMER, TAG_INVOICE = "Auth", "Customer", "Invoice"
TAG_ADMIN, TAG_DOCS = "Mock administration", "Mock documentation"

SPEC_PATH = "/swagger/docs/v1"  # the OpenAPI document, where the real API serves its own
UI_PATH = "/swagger/ui"

# The files of the Swagger UI distribution the documentation serves, and their media types.
SWAGGER_UI_ASSETS = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "favicon-32x32.png": "image/png",
    "favicon-16x16.png": "image/png",
}

Parameter = tuple[str, str, dict[str, Any]]  # (name, description, JSON Schema)
Link = tuple[str, str, str]  # (name, target operation id, its path parameter)


@dataclass(frozen=True)
class Operation:
    """One method on one path template (below the base path), and everything said of it."""

    method: str
    path: str  # ``/api/customers/{customer_id}``: ``{name}`` binds one path segment
    handler: str  # the key of its handler in ``mockserver.app.handlers``
    operation_id: str
    tag: str
    summary: str
    description: str = ""
    filters: FilterSpec | None = None  # the filter model its query binds to
    listed: bool = False  # a list route: answers the list envelope of ``answer``
    body: type[msgspec.Struct] | None = None  # the model its JSON body binds to
    body_schema: Callable[[], dict[str, Any]] | None = None  # a JSON Schema with ``$defs``
    body_content: tuple[str, ...] = ("application/json",)
    body_description: str = ""
    answer: Any = None  # a model, or a JSON Schema where it has none; None: no body
    answer_status: int = 200
    answer_content: tuple[str, ...] = ("application/json",)
    errors: tuple[int, ...] = ()  # besides 503, which every route answers while loading
    protected: bool = False  # needs a session where auth is required
    path_params: tuple[Parameter, ...] = ()
    query_params: tuple[Parameter, ...] = ()  # besides the filter model's
    links: tuple[Link, ...] = ()

    @property
    def is_api(self) -> bool:
        """A route of the real API (else one of the mock's own: answered at the root and
        under the base path alike, never touched by scenario rules)."""
        return self.path.startswith(API_PREFIX)


def _int32() -> dict[str, Any]:
    return {"type": "integer", "format": "int32", "minimum": INT32_MIN, "maximum": INT32_MAX}


_ID_LINKS = (
    ("GetCustomer", "getCustomer", "customer_id"),
    ("UpdateCustomer", "updateCustomer", "customer_id"),
    ("AddCustomerAccount", "addCustomerAccount", "customer_id"),
)
_CUSTOMER_ID = (("customer_id", "Customer ID given in route", _int32()),)
_INVOICE_ID = (("id", "Invoice ID given in route", _int32()),)
_HTML = ("text/html",)
_TEXT: dict[str, Any] = {"type": "string"}
_COUNT: dict[str, Any] = {"type": "integer", "minimum": 0}
_ANY_OBJECT: dict[str, Any] = {"type": "object"}
_LOGIN_HELP = (
    "Any non-empty values log in (keys match case-insensitively). The `Database` selects "
    "the tenant. A session lives 30 minutes from login or its last renew."
)
_BODY_ERRORS = (400, 413, 415)

OPERATIONS: tuple[Operation, ...] = (
    # --- the real API ---
    Operation(
        "POST", "/api/auth/login", "auth.login",
        "login", TAG_AUTH, "Log in: answers a session id for the `Session-Id` header",
        _LOGIN_HELP, body=LogInInfo, body_description="Login credentials",
        answer=LoginAnswer, errors=_BODY_ERRORS,
    ),
    Operation(
        "POST", "/api/auth/login/token", "auth.login",
        "loginToken", TAG_AUTH, "Log in (token variant): the same as `/api/auth/login`",
        _LOGIN_HELP, body=LogInInfo, body_description="Login credentials",
        answer=LoginAnswer, errors=_BODY_ERRORS,
    ),
    Operation(
        "POST", "/api/auth/renew", "auth.renew",
        "renew", TAG_AUTH, "Renew the session for another full lifetime",
        "Without a session (auth optional or off) this logs in afresh.",
        body=LogInInfo, body_description="Login credentials",
        answer=LoginAnswer, errors=(400, 401, 413, 415), protected=True,
    ),
    Operation(
        "GET", "/api/auth/alive", "auth.alive",
        "alive", TAG_AUTH, "Check that the session is alive",
        answer=LoginAnswer, errors=(401,), protected=True,
    ),
    Operation(
        "GET", "/api/customers", "customers.list",
        "listCustomers", TAG_CUSTOMER, "Returns a list of customers",
        "Can be filtered using CustomerFilter. Every filter combines with AND.",
        filters=CUSTOMER_FILTER, listed=True, answer=Customer, errors=(400, 401),
        protected=True,
    ),
    Operation(
        "POST", "/api/customers", "customers.create",
        "createCustomer", TAG_CUSTOMER, "Create a customer",
        "The server assigns `id`, `number`, `created` and `modified`, ignoring any given.",
        body=Customer, body_description="A customer payload", answer=Customer,
        errors=(400, 401, 413, 415), protected=True, links=_ID_LINKS,
    ),
    Operation(
        "GET", "/api/customers/base", "customers.list_base",
        "listCustomersBase", TAG_CUSTOMER,
        "Returns a list of customers with only basic information",
        "Can be filtered using CustomerFilter, exactly as `GET /api/customers`.",
        filters=CUSTOMER_FILTER, listed=True, answer=CustomerBase, errors=(400, 401),
        protected=True,
    ),
    Operation(
        "GET", "/api/customers/{customer_id}", "customers.get",
        "getCustomer", TAG_CUSTOMER, "Get single customer", path_params=_CUSTOMER_ID,
        answer=Customer, errors=(400, 401, 404), protected=True, links=_ID_LINKS,
    ),
    Operation(
        "PUT", "/api/customers/{customer_id}", "customers.update",
        "updateCustomer", TAG_CUSTOMER, "Update a customer",
        "Merges the given fields into the stored customer: `id`, `number` and `created` never "
        "change, a given list replaces the stored list, `modified` is stamped.",
        path_params=_CUSTOMER_ID, body=Customer, body_description="A customer payload",
        answer=Customer, errors=(400, 401, 404, 413, 415), protected=True, links=_ID_LINKS,
    ),
    Operation(
        "POST", "/api/customers/{customer_id}/accounts", "customers.add_account",
        "addCustomerAccount", TAG_CUSTOMER, "Add new account",
        "Assigns `account_id`, sets `customer_id` and appends the account to the customer.",
        path_params=_CUSTOMER_ID, body=CustomerAccount, body_description="A account payload",
        answer=CustomerAccount, errors=(400, 401, 404, 413, 415), protected=True,
    ),
    Operation(
        "GET", "/api/invoices", "invoices.list",
        "listInvoices", TAG_INVOICE, "Get a list of invoices",
        "Can be filtered using SalesInvoiceFilter. Every filter combines with AND.",
        filters=INVOICE_FILTER, listed=True, answer=Invoice, errors=(400, 401),
        protected=True,
    ),
    Operation(
        "GET", "/api/invoices/{id}", "invoices.get",
        "getInvoice", TAG_INVOICE, "Get single invoice", path_params=_INVOICE_ID,
        answer=Invoice, errors=(400, 401, 404), protected=True,
    ),
    # --- the mock's own ---
    Operation(
        "GET", "/health", "admin.health",
        "health", TAG_ADMIN, "Readiness: 200 once the data and every scenario are loaded",
        "Answers 503 while the server is still loading; probes and container health checks "
        "poll it.", answer=Health,
    ),
    Operation(
        "POST", "/_mock/reset", "admin.reset",
        "resetMock", TAG_ADMIN, "Restore the seeded data, sessions, scenario counters and journal",
        "Of every tenant, or of one with `?tenant=NAME`.",
        query_params=(("tenant", "Reset only this tenant", _TEXT),), answer=_ANY_OBJECT,
    ),
    Operation(
        "GET", "/_mock/tenants", "admin.tenants",
        "listTenants", TAG_ADMIN, "The tenants the server holds",
        "Each with its live sessions, records written and last activity. Answers "
        "`{\"count\": N, \"max_tenants\": M, \"tenants\": [...]}`.", answer=_ANY_OBJECT,
    ),
    Operation(
        "DELETE", "/_mock/tenants/{name}", "admin.delete_tenant",
        "deleteTenant", TAG_ADMIN, "Delete one tenant",
        "Its data, sessions, journal entries and scenario counters; answers 204.",
        path_params=(("name", "The tenant's name (the Database of its logins)", _TEXT),),
        answer_status=204, errors=(404,),
    ),
    Operation(
        "GET", "/_mock/requests", "journal.list",
        "listRequests", TAG_ADMIN, "The request journal, oldest first",
        "Answers `{\"count\": N, \"requests\": [...]}`. Besides the parameters below, "
        "`query.NAME=VALUE` (repeatable) keeps requests whose query has that value.",
        query_params=(
            ("method", "Only this HTTP method", _TEXT),
            ("path", "Only this path, literal or a template such as "
                     "`/api/customers/{customer_id}`", _TEXT),
            ("tenant", "Only this tenant", _TEXT),
            ("status", "Only these response statuses (repeatable)",
             {"type": "array", "items": {"type": "integer"}}),
            ("rule", "Only requests this scenario rule fired on", _TEXT),
            ("since", "Only entries after this sequence number", _COUNT),
            ("limit", "At most this many, the newest", _COUNT),
            ("json", "Only requests whose JSON body contains this JSON document", _TEXT),
        ),
        answer=_ANY_OBJECT, errors=(400,),
    ),
    Operation(
        "DELETE", "/_mock/requests", "journal.clear",
        "clearRequests", TAG_ADMIN, "Clear the request journal",
        "Of every tenant, or of one with `?tenant=NAME`. Answers `{\"cleared\": N}`.",
        query_params=(("tenant", "Clear only this tenant's entries", _TEXT),),
        answer=_ANY_OBJECT,
    ),
    Operation(
        "GET", "/_mock/scenario", "scenario.show",
        "showScenario", TAG_ADMIN, "Show the active scenario, its data and its rules",
        "With each rule's counters per tenant.", answer=_ANY_OBJECT,
    ),
    Operation(
        "PUT", "/_mock/scenario", "scenario.replace",
        "replaceScenario", TAG_ADMIN, "Replace the active scenario atomically",
        "The body is a scenario file, YAML or JSON; `$ref` paths are relative to the "
        "scenarios folder. An invalid scenario is a 400 listing every problem as "
        "`FILE:LINE:COLUMN: message`, and nothing changes. Answers what `GET` shows.",
        body_schema=scenario_json_schema, body_content=("application/yaml", "application/json"),
        body_description="A scenario", answer=_ANY_OBJECT, errors=(400, 413),
    ),
    Operation(
        "DELETE", "/_mock/scenario", "scenario.clear",
        "clearScenario", TAG_ADMIN, "Return to the start-up scenarios",
        "None without `--scenario`. Answers what `GET` shows.", answer=_ANY_OBJECT,
    ),
    Operation(
        "GET", SPEC_PATH, "docs.document",
        "openApiDocument", TAG_DOCS, "This OpenAPI document (the real API's path)",
        answer=_ANY_OBJECT,
    ),
    Operation(
        "GET", "/openapi.json", "docs.document",
        "openApiJson", TAG_DOCS, "This OpenAPI document", answer=_ANY_OBJECT,
    ),
    Operation(
        "GET", UI_PATH + "/index", "docs.ui",
        "swaggerUi", TAG_DOCS, "Swagger UI (the real API's path)",
        answer=_TEXT, answer_content=_HTML,
    ),
    Operation(
        "GET", "/docs", "docs.ui",
        "swaggerUiDocs", TAG_DOCS, "Swagger UI", answer=_TEXT, answer_content=_HTML,
    ),
    Operation(
        "GET", UI_PATH + "/{asset}", "docs.asset",
        "swaggerUiAsset", TAG_DOCS, "A file of Swagger UI, from the installed package",
        path_params=(("asset", "The file's name",
                      {"type": "string", "enum": list(SWAGGER_UI_ASSETS)}),),
        answer=_TEXT, answer_content=tuple(dict.fromkeys(SWAGGER_UI_ASSETS.values())),
        errors=(404,),
    ),
)  # fmt: skip


# --- derived tables -----------------------------------------------------------------------------

_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def segments(template: str) -> list[str]:
    """The segments of a path template: ``/api/customers/{customer_id}`` ->
    ``["api", "customers", "{customer_id}"]``."""
    return template.split("/")[1:]


def parameters(template: str) -> list[str]:
    """The names of a template's path parameters, in order."""
    return _PARAM.findall(template)


def _is_param(segment: str) -> bool:
    return _PARAM.fullmatch(segment) is not None


@dataclass(frozen=True)
class Resource:
    """One path template and every method it answers: one route of the router.

    ``reserved`` names, per path parameter, the words that never bind to it because a
    route beside it has that word as a literal segment at the same place (``base`` in
    ``/api/customers/base`` is not a ``{customer_id}``): a request for such a path belongs
    to that route, and a method it does not answer is a 405 there, not a bad id here."""

    path: str
    operations: Mapping[str, Operation]  # by method, in table order
    reserved: Mapping[str, frozenset[str]]

    @property
    def is_api(self) -> bool:
        return self.path.startswith(API_PREFIX)

    @property
    def methods(self) -> tuple[str, ...]:
        """The methods the path answers, as the ``Allow`` header lists them (sorted)."""
        return tuple(sorted(self.operations))


def _reserved(template: str, templates: list[str]) -> dict[str, frozenset[str]]:
    mine = segments(template)
    reserved: dict[str, set[str]] = {}
    for other in templates:
        theirs = segments(other)
        if other == template or len(theirs) != len(mine):
            continue
        differing = [
            index
            for index, (a, b) in enumerate(zip(mine, theirs, strict=True))
            if not (a == b or (_is_param(a) and _is_param(b)))
        ]
        if len(differing) == 1:
            index = differing[0]
            if _is_param(mine[index]) and not _is_param(theirs[index]):
                reserved.setdefault(mine[index][1:-1], set()).add(theirs[index])
    return {name: frozenset(words) for name, words in reserved.items()}


def _resources(operations: tuple[Operation, ...]) -> tuple[Resource, ...]:
    by_path: dict[str, dict[str, Operation]] = {}
    for op in operations:
        methods = by_path.setdefault(op.path, {})
        if op.method in methods:
            raise ValueError(f"{op.method} {op.path} is listed twice")
        methods[op.method] = op
    templates = list(by_path)
    return tuple(
        Resource(path, methods, _reserved(path, templates)) for path, methods in by_path.items()
    )


RESOURCES: tuple[Resource, ...] = _resources(OPERATIONS)
BY_KEY: Mapping[tuple[str, str], Operation] = {(op.method, op.path): op for op in OPERATIONS}

# The templates of the real API's routes (what scenario rules may name), in table order.
API_TEMPLATES: tuple[str, ...] = tuple(r.path for r in RESOURCES if r.is_api)

# The list routes (``GET``, answering the list envelope): the read lane's and the direct lane's.
LIST_OPERATIONS: tuple[Operation, ...] = tuple(
    op for op in OPERATIONS if op.listed and op.method == "GET"
)

# The filter model of each list route's template.
LIST_FILTERS: Mapping[str, FilterSpec] = {
    op.path: op.filters for op in LIST_OPERATIONS if op.filters is not None
}

# The literal segments of the API's routes: matched case-insensitively, while ids keep the
# case they were sent in (an error names the value as the client sent it).
ROUTE_WORDS: frozenset[str] = frozenset(
    segment.lower()
    for template in API_TEMPLATES
    for segment in segments(template)
    if not _is_param(segment)
)


# --- the one path normalizer --------------------------------------------------------------------


def split_path(path: str, base_path: str = "") -> tuple[str, str]:
    """``(prefix, route)``: how the routes see a request path, as ASP.NET routes it.

    A trailing slash is dropped. ``prefix`` is the base path, spelled as configured, when the
    path lies under it (matched case-insensitively), else empty; ``route`` is the rest, empty
    when the path is the base path itself. Under ``/api/`` the routes' literal words
    (``ROUTE_WORDS``) are lower-cased; every other segment, an id above all, keeps its case.
    ``prefix + route`` is the path the router matches."""
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    prefix = ""
    if base_path:
        lowered = path.lower()
        base = base_path.lower()
        if lowered == base or lowered.startswith(base + "/"):
            prefix, path = base_path, path[len(base_path) :]
    if path[:5].lower() == API_PREFIX and not path.islower():
        path = "/".join(
            word if (word := part.lower()) in ROUTE_WORDS else part for part in path.split("/")
        )
    return prefix, path


def route_path(path: str, base_path: str = "") -> str:
    """The path below the base path as the routes see it (``split_path``); ``/`` for the
    base path itself."""
    return split_path(path, base_path)[1] or "/"
