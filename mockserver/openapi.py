"""The OpenAPI 3.1 document of everything the server answers, generated, never hand-written.

Schemas are the msgspec models' own (``msgspec.json.schema_components``); query parameters
are the filter models' binding specs with the real document's ``filter.`` prefix; the paths
are the application's routes as they are mounted. This module only adds what a model cannot
say: which operation a route is, its words for people, and which errors it can answer. A
route without an entry in ``OPERATIONS`` is left out, and the agreement test fails on it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import msgspec
from starlette.routing import BaseRoute, Mount, Route

from . import __version__
from .api.admin import Health
from .binding import DATETIME, INT32, INT32_ARRAY, PREFIX, FilterSpec
from .filters import CUSTOMER_FILTER, DEFAULT_PAGE, DEFAULT_PAGE_SIZE, INVOICE_FILTER
from .models import (
    INT32_MAX,
    INT32_MIN,
    Customer,
    CustomerAccount,
    CustomerBase,
    ErrorBody,
    Int32,
    Invoice,
    LoginAnswer,
    LogInInfo,
)
from .scenario_spec import json_schema as scenario_json_schema
from .settings import Settings

TAG_AUTH, TAG_CUSTOMER, TAG_INVOICE = "Auth", "Customer", "Invoice"
TAG_ADMIN, TAG_DOCS = "Mock administration", "Mock documentation"
SECURITY_SCHEME = "SessionId"
TOTAL_HEADER = "X-Total-Count"

_TAGS = (
    (TAG_AUTH, "Log in and keep a session alive; later requests send it as `Session-Id`."),
    (TAG_CUSTOMER, "Customers, their basic view and their bank accounts."),
    (TAG_INVOICE, "Sales invoices."),
    (
        TAG_ADMIN,
        "The mock's own controls: readiness, scenarios, reset and the request "
        "journal. Not part of the real API.",
    ),
    (TAG_DOCS, "This document and Swagger UI. Not part of the real API."),
)

_DESCRIPTION = """\
A mock of a Finnish ERP's REST API (customers and sales invoices) with generated, \
deterministic Finnish data.

**Sessions.** `POST /api/auth/login` with any non-empty `UserName`, `Password`, `Database` \
and `ApiKey` answers a `session_id`; send it in the `Session-Id` header (the *Authorize* \
button). The `Database` names an isolated tenant with its own copy of the data.

**Filters** bind as ASP.NET does: with or without the `filter.` prefix (once any prefixed key \
is present only prefixed keys bind), names case-insensitive, arrays as repeated keys \
(`filter.customer_number=1&filter.customer_number=2`), `key[]=` or `key[0]=`. An empty value \
counts as absent; a value that does not parse is a 400 naming the parameter as sent.

**Lists** answer `{"result_count": N, "results": [...]}` ordered by `id`, where `result_count` \
counts this page; the total over all pages is in the `X-Total-Count` header. A page past the \
end is an empty 200.

**Errors** are ASP.NET Web API shaped: `{"Message": ..., "ModelState": {field: [messages]}}`.

**The mock's own headers** (not in the real API): `X-Mock-Tenant: NAME` selects a tenant for \
a request without a session; `X-Mock-Scenario: NAME` applies the scenario `NAME.yaml` of the \
scenarios folder to that request alone; `X-Mock-Journal: off` keeps it out of the request \
journal. The *Mock administration* operations control scenarios, resets and the journal.
"""

_ADMIN_ERRORS = {
    400: "The request is invalid: `ModelState` says what is wrong.",
    404: "No such file.",
    413: "The body is too large.",
    503: "The server is still loading its data and scenarios.",
}
_ERROR_TEXT = {
    400: "The request is invalid: `ModelState` names each offending parameter or field.",
    401: "Authorization has been denied for this request: no live session.",
    404: "No such record.",
    413: "The request body is larger than 1 MiB.",
    415: "The request body is not JSON.",
    503: "The server is still loading its data and scenarios.",
}


def _int32() -> dict[str, Any]:
    return {"type": "integer", "format": "int32", "minimum": INT32_MIN, "maximum": INT32_MAX}


# The files of the Swagger UI distribution the documentation serves, and their media types.
SWAGGER_UI_ASSETS = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "favicon-32x32.png": "image/png",
    "favicon-16x16.png": "image/png",
}


Parameter = tuple[str, str, dict[str, Any]]  # (name, description, schema)


@dataclass(frozen=True)
class Operation:
    """What the models cannot say about one route: its name, words and errors."""

    operation_id: str
    tag: str
    summary: str
    description: str = ""
    filters: FilterSpec | None = None
    path_params: tuple[Parameter, ...] = ()
    query_params: tuple[Parameter, ...] = ()  # besides the filter model's
    body: type[msgspec.Struct] | None = None
    body_schema: Callable[[], dict[str, Any]] | None = None  # a JSON Schema with ``$defs``
    body_content: tuple[str, ...] = ("application/json",)
    body_description: str = ""
    answer: Any = None  # a model or, where the answer has none, a JSON Schema
    answer_content: tuple[str, ...] = ("application/json",)
    listed: bool = False  # the answer is the list envelope of ``answer``
    errors: tuple[int, ...] = ()  # besides 503, which every route answers while loading
    protected: bool = False  # needs a session where auth is required
    links: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (opId, param)


_ID_LINKS = {
    "GetCustomer": ("getCustomer", "customer_id"),
    "UpdateCustomer": ("updateCustomer", "customer_id"),
    "AddCustomerAccount": ("addCustomerAccount", "customer_id"),
}
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

# Keyed by (METHOD, path below the base path).
OPERATIONS: dict[tuple[str, str], Operation] = {
    ("POST", "/api/auth/login"): Operation(
        "login", TAG_AUTH, "Log in: answers a session id for the `Session-Id` header",
        _LOGIN_HELP, body=LogInInfo, body_description="Login credentials",
        answer=LoginAnswer, errors=(400, 413, 415),
    ),
    ("POST", "/api/auth/login/token"): Operation(
        "loginToken", TAG_AUTH, "Log in (token variant): the same as `/api/auth/login`",
        _LOGIN_HELP, body=LogInInfo, body_description="Login credentials",
        answer=LoginAnswer, errors=(400, 413, 415),
    ),
    ("POST", "/api/auth/renew"): Operation(
        "renew", TAG_AUTH, "Renew the session for another full lifetime",
        "Without a session (auth optional or off) this logs in afresh.",
        body=LogInInfo, body_description="Login credentials",
        answer=LoginAnswer, errors=(400, 401, 413, 415), protected=True,
    ),
    ("GET", "/api/auth/alive"): Operation(
        "alive", TAG_AUTH, "Check that the session is alive",
        answer=LoginAnswer, errors=(401,), protected=True,
    ),
    ("GET", "/api/customers"): Operation(
        "listCustomers", TAG_CUSTOMER, "Returns a list of customers",
        "Can be filtered using CustomerFilter. Every filter combines with AND.",
        filters=CUSTOMER_FILTER, answer=Customer, listed=True, errors=(400, 401),
        protected=True,
    ),
    ("POST", "/api/customers"): Operation(
        "createCustomer", TAG_CUSTOMER, "Create a customer",
        "The server assigns `id`, `number`, `created` and `modified`, ignoring any given.",
        body=Customer, body_description="A customer payload", answer=Customer,
        errors=(400, 401, 413, 415), protected=True, links=_ID_LINKS,
    ),
    ("GET", "/api/customers/base"): Operation(
        "listCustomersBase", TAG_CUSTOMER,
        "Returns a list of customers with only basic information",
        "Can be filtered using CustomerFilter, exactly as `GET /api/customers`.",
        filters=CUSTOMER_FILTER, answer=CustomerBase, listed=True, errors=(400, 401),
        protected=True,
    ),
    ("GET", "/api/customers/{customer_id}"): Operation(
        "getCustomer", TAG_CUSTOMER, "Get single customer", path_params=_CUSTOMER_ID,
        answer=Customer, errors=(400, 401, 404), protected=True, links=_ID_LINKS,
    ),
    ("PUT", "/api/customers/{customer_id}"): Operation(
        "updateCustomer", TAG_CUSTOMER, "Update a customer",
        "Merges the given fields into the stored customer: `id`, `number` and `created` never "
        "change, a given list replaces the stored list, `modified` is stamped.",
        path_params=_CUSTOMER_ID, body=Customer, body_description="A customer payload",
        answer=Customer, errors=(400, 401, 404, 413, 415), protected=True, links=_ID_LINKS,
    ),
    ("POST", "/api/customers/{customer_id}/accounts"): Operation(
        "addCustomerAccount", TAG_CUSTOMER, "Add new account",
        "Assigns `account_id`, sets `customer_id` and appends the account to the customer.",
        path_params=_CUSTOMER_ID, body=CustomerAccount, body_description="A account payload",
        answer=CustomerAccount, errors=(400, 401, 404, 413, 415), protected=True,
    ),
    ("GET", "/api/invoices"): Operation(
        "listInvoices", TAG_INVOICE, "Get a list of invoices",
        "Can be filtered using SalesInvoiceFilter. Every filter combines with AND.",
        filters=INVOICE_FILTER, answer=Invoice, listed=True, errors=(400, 401),
        protected=True,
    ),
    ("GET", "/api/invoices/{id}"): Operation(
        "getInvoice", TAG_INVOICE, "Get single invoice", path_params=_INVOICE_ID,
        answer=Invoice, errors=(400, 401, 404), protected=True,
    ),
    ("GET", "/health"): Operation(
        "health", TAG_ADMIN, "Readiness: 200 once the data and every scenario are loaded",
        "Answers 503 while the server is still loading; probes and container health checks "
        "poll it.", answer=Health,
    ),
    ("GET", "/_mock/scenario"): Operation(
        "showScenario", TAG_ADMIN, "Show the active scenario, its data and its rules",
        "With each rule's counters per tenant.", answer=_ANY_OBJECT,
    ),
    ("PUT", "/_mock/scenario"): Operation(
        "replaceScenario", TAG_ADMIN, "Replace the active scenario atomically",
        "The body is a scenario file, YAML or JSON; `$ref` paths are relative to the "
        "scenarios folder. An invalid scenario is a 400 listing every problem as "
        "`FILE:LINE:COLUMN: message`, and nothing changes. Answers what `GET` shows.",
        body_schema=scenario_json_schema, body_content=("application/yaml", "application/json"),
        body_description="A scenario", answer=_ANY_OBJECT, errors=(400, 413),
    ),
    ("DELETE", "/_mock/scenario"): Operation(
        "clearScenario", TAG_ADMIN, "Return to the start-up scenarios",
        "None without `--scenario`. Answers what `GET` shows.", answer=_ANY_OBJECT,
    ),
    ("POST", "/_mock/reset"): Operation(
        "resetMock", TAG_ADMIN, "Restore the seeded data, sessions, scenario counters and journal",
        "Of every tenant, or of one with `?tenant=NAME`.",
        query_params=(("tenant", "Reset only this tenant", _TEXT),), answer=_ANY_OBJECT,
    ),
    ("GET", "/_mock/requests"): Operation(
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
    ("DELETE", "/_mock/requests"): Operation(
        "clearRequests", TAG_ADMIN, "Clear the request journal",
        "Of every tenant, or of one with `?tenant=NAME`. Answers `{\"cleared\": N}`.",
        query_params=(("tenant", "Clear only this tenant's entries", _TEXT),),
        answer=_ANY_OBJECT,
    ),
    ("GET", "/swagger/docs/v1"): Operation(
        "openApiDocument", TAG_DOCS, "This OpenAPI document (the real API's path)",
        answer=_ANY_OBJECT,
    ),
    ("GET", "/openapi.json"): Operation(
        "openApiJson", TAG_DOCS, "This OpenAPI document", answer=_ANY_OBJECT,
    ),
    ("GET", "/swagger/ui/index"): Operation(
        "swaggerUi", TAG_DOCS, "Swagger UI (the real API's path)",
        answer=_TEXT, answer_content=_HTML,
    ),
    ("GET", "/docs"): Operation(
        "swaggerUiDocs", TAG_DOCS, "Swagger UI", answer=_TEXT, answer_content=_HTML,
    ),
    ("GET", "/swagger/ui/{asset}"): Operation(
        "swaggerUiAsset", TAG_DOCS, "A file of Swagger UI, from the installed package",
        path_params=(("asset", "The file's name",
                      {"type": "string", "enum": list(SWAGGER_UI_ASSETS)}),),
        answer=_TEXT, answer_content=tuple(dict.fromkeys(SWAGGER_UI_ASSETS.values())),
        errors=(404,),
    ),
}  # fmt: skip

_FILTER_HELP = {
    "name": "Customers whose `name` contains this text (case-insensitive).",
    "search_name": "Customers whose `searchname` contains this text (case-insensitive).",
    "email": "Customers whose `email` contains this text (case-insensitive).",
    "contact_email": "Customers with a contact whose email contains this text.",
    "phone": "Customers whose `phone` contains this text.",
    "vat": "Customers whose `vat` contains this text.",
    "modified_before": "`modified` strictly earlier than this moment (no zone means UTC).",
    "modified_after": "`modified` strictly later than this moment (no zone means UTC).",
    "has_email": "1: customers with an email; 0: without.",
    "is_customer": "1: customers; 0: not customers.",
    "is_supplier": "1: suppliers; 0: not suppliers.",
    "customer_number": "Records of this customer `number`.",
    "group": "Customers of this `group`.",
    "type": "Records of this `type`.",
    "created_before": "`created` strictly earlier than this moment (no zone means UTC).",
    "created_after": "`created` strictly later than this moment (no zone means UTC).",
    "updated_before": "Last modified strictly earlier than this moment (no zone means UTC).",
    "updated_after": "Last modified strictly later than this moment (no zone means UTC).",
    "attribute_ids": "Customers with a selected attribute of one of these ids.",
    "object_ids": "Records with one of these `id`s.",
    "page": f"Page number. If not provided, using default value of {DEFAULT_PAGE}",
    "page_size": f"Page size. If not provided, using default value of {DEFAULT_PAGE_SIZE}",
    "search": "Text in any of the searchable fields, or exactly the record's `number`.",
    "numbers": "Invoices with one of these `number`s.",
    "delivery_customer_number": "Invoices delivered to this customer `number`.",
    "invoice_date_before": "Invoice `date` strictly earlier than this moment.",
    "invoice_date_after": "Invoice `date` strictly later than this moment.",
}
_ARRAY_HELP = " Repeat the parameter for several values."
_AT_LEAST_ONE = ("page", "page_size")


def filter_parameters(spec: FilterSpec) -> list[dict[str, Any]]:
    """The filter model's fields as ``filter.``-prefixed query parameters, in model order."""
    parameters: list[dict[str, Any]] = []
    for lowered, kind in spec.kinds.items():
        name = spec.names[lowered]
        schema: dict[str, Any]
        if kind == INT32:
            schema = _int32()
            if lowered in _AT_LEAST_ONE:
                schema["minimum"] = 1
            if lowered in spec.choices:
                schema = {"type": "integer", "format": "int32", "enum": list(spec.choices[lowered])}
        elif kind == DATETIME:
            schema = {"type": "string", "format": "date-time"}
        elif kind == INT32_ARRAY:
            schema = {"type": "array", "items": _int32()}
        else:
            schema = {"type": "string"}
        parameter: dict[str, Any] = {
            "name": PREFIX + name,
            "in": "query",
            "required": False,
            # ASP.NET binding: an empty value (`filter.page=`) counts as absent.
            "allowEmptyValue": True,
            "schema": schema,
        }
        help_text = _FILTER_HELP.get(lowered, "")
        if kind == INT32_ARRAY:
            parameter.update(style="form", explode=True)
            help_text += _ARRAY_HELP
        if help_text:
            parameter["description"] = help_text.strip()
        parameters.append(parameter)
    return parameters


def _list_model(model: type[msgspec.Struct]) -> type[msgspec.Struct]:
    """The list envelope of ``model`` as a model of its own, so its schema is generated."""
    envelope: type[msgspec.Struct] = msgspec.defstruct(
        f"{model.__name__}List",
        [("result_count", Int32), ("results", list[model])],  # type: ignore[valid-type]
        kw_only=True,
    )
    envelope.__doc__ = (
        f"A page of {model.__name__} records; `result_count` counts the items on this page."
    )
    return envelope


def _structs(info: msgspec.inspect.Type, seen: dict[str, msgspec.inspect.StructType]) -> None:
    """Every struct type reachable from ``info``, by name."""
    if isinstance(info, msgspec.inspect.StructType):
        if info.cls.__name__ in seen:
            return
        seen[info.cls.__name__] = info
        for field in info.fields:
            _structs(field.type, seen)
    elif isinstance(info, msgspec.inspect.UnionType):
        for member in info.types:
            _structs(member, seen)
    elif isinstance(info, msgspec.inspect.ListType):
        _structs(info.item_type, seen)


def _mark_datetimes(components: dict[str, Any], models: list[type[msgspec.Struct]]) -> None:
    """msgspec states ``format: date-time`` only for zone-aware date-times; the API takes ISO
    8601 with or without a zone, so mark every date-time field of the models for clients."""
    seen: dict[str, msgspec.inspect.StructType] = {}
    for info in msgspec.inspect.multi_type_info(models):
        _structs(info, seen)
    for name, struct in seen.items():
        properties = components.get(name, {}).get("properties", {})
        for attribute in struct.fields:
            kind = attribute.type
            members = kind.types if isinstance(kind, msgspec.inspect.UnionType) else (kind,)
            if any(isinstance(member, msgspec.inspect.DateTimeType) for member in members):
                schema = properties[attribute.encode_name]
                for option in schema.get("anyOf", [schema]):
                    if option.get("type") == "string":
                        option["format"] = "date-time"


def _tidy(schema: Any) -> Any:
    """Mark int32 and double formats, and drop empty ``required`` lists, recursively."""
    if isinstance(schema, list):
        return [_tidy(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: _tidy(value) for key, value in schema.items()}
    if out.get("required") == []:
        del out["required"]
    if (
        out.get("type") == "integer"
        and out.get("minimum") == INT32_MIN
        and out.get("maximum") == INT32_MAX
    ):
        out["format"] = "int32"
    elif out.get("type") == "number":
        out["format"] = "double"
    return out


@dataclass(frozen=True)
class Endpoint:
    """One method on one route as mounted: the path below the base path and its prefix."""

    method: str
    path: str
    prefix: str


def endpoints(routes: Iterable[BaseRoute], prefix: str = "") -> Iterator[Endpoint]:
    """Every (method, path) the routes answer, Mounts unfolded. HEAD, which Starlette adds to
    every GET, is the GET operation's and is not listed apart."""
    for route in routes:
        if isinstance(route, Mount):
            yield from endpoints(route.routes, prefix + route.path)
        elif isinstance(route, Route):
            for method in sorted(route.methods or ()):
                if method != "HEAD":
                    yield Endpoint(method, route.path_format, prefix)


def _response(
    description: str, schema: Any, media_types: tuple[str, ...] = ("application/json",)
) -> dict[str, Any]:
    return {
        "description": description,
        "content": {media.split(";")[0]: {"schema": schema} for media in media_types},
    }


_REF = "#/components/schemas/"
_RECORD_HELP = (
    "A stored {name} as the server answers it: every field is present, and the fields a "
    "request body must carry may still be null (generated data leaves some empty)."
)


def _refs_in(schema: Any) -> Iterator[str]:
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith(_REF):
            yield ref[len(_REF) :]
        for value in schema.values():
            yield from _refs_in(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from _refs_in(value)


def _nullable(schema: Any) -> bool:
    if not isinstance(schema, dict):
        return False
    return schema.get("type") == "null" or any(
        option.get("type") == "null" for option in schema.get("anyOf", ())
    )


def _renamed(schema: Any, names: dict[str, str]) -> Any:
    if isinstance(schema, list):
        return [_renamed(item, names) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: _renamed(value, names) for key, value in schema.items()}
    ref = out.get("$ref")
    if isinstance(ref, str) and ref.startswith(_REF) and ref[len(_REF) :] in names:
        out["$ref"] = _REF + names[ref[len(_REF) :]]
    return out


def _record_variants(components: dict[str, Any], roots: Iterable[str]) -> dict[str, str]:
    """Add a ``{Name}Record`` component for every model reachable from ``roots`` whose answers
    differ from its request body: a body's required field may be null in a stored record.
    Returns the renaming (``Name`` -> ``NameRecord``) that answers use."""
    reachable: list[str] = []
    pending = list(roots)
    while pending:
        name = pending.pop()
        if name not in reachable:
            reachable.append(name)
            pending.extend(_refs_in(components[name]))
    strict = {
        name
        for name in reachable
        if any(
            not _nullable(components[name]["properties"][field])
            for field in components[name].get("required", ())
        )
    }
    changed = set(strict)
    grew = True
    while grew:  # a model that holds a changed model changes too
        grew = False
        for name in reachable:
            if name not in changed and any(ref in changed for ref in _refs_in(components[name])):
                changed.add(name)
                grew = True
    names = {name: name + "Record" for name in sorted(changed)}
    for name, record in names.items():
        schema = _renamed(components[name], names)
        for required in schema.get("required", ()):
            if not _nullable(schema["properties"][required]):
                schema["properties"][required] = {
                    "anyOf": [schema["properties"][required], {"type": "null"}]
                }
        schema["title"] = record
        schema["description"] = _RECORD_HELP.format(name=name)
        components[record] = schema
    return names


# Answers whose every field always has a value: their schema is the model's own.
_EXACT_ANSWERS = (ErrorBody, LoginAnswer, Health)
_list_models: dict[type[msgspec.Struct], type[msgspec.Struct]] = {}


def _answer_model(op: Operation) -> type[msgspec.Struct] | None:
    if not isinstance(op.answer, type):
        return None
    if not op.listed:
        return op.answer
    envelope = _list_models.get(op.answer)
    if envelope is None:
        envelope = _list_models[op.answer] = _list_model(op.answer)
    return envelope


def _operation(
    op: Operation, settings: Settings, refs: dict[Any, Any], answers: dict[Any, Any]
) -> dict[str, Any]:
    """One operation object; ``refs`` name the request models, ``answers`` the answer models."""
    out: dict[str, Any] = {"tags": [op.tag], "summary": op.summary, "operationId": op.operation_id}
    if op.description:
        out["description"] = op.description
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "description": text, "schema": schema}
        for name, text, schema in op.path_params
    ]
    parameters += [
        {"name": name, "in": "query", "required": False, "description": text, "schema": schema}
        for name, text, schema in op.query_params
    ]
    if op.filters is not None:
        parameters += filter_parameters(op.filters)
    if parameters:
        out["parameters"] = parameters
    body = refs.get(op.body or op.body_schema)
    if body is not None:
        out["requestBody"] = {
            "description": op.body_description,
            "required": True,
            "content": {media: {"schema": body} for media in op.body_content},
        }
    model = _answer_model(op)
    ok = _response("OK", answers[model] if model is not None else op.answer, op.answer_content)
    if op.listed:
        ok["headers"] = {
            TOTAL_HEADER: {
                "description": "The number of matching records over all pages.",
                "schema": {"type": "integer", "minimum": 0},
            }
        }
    links = {
        name: {"operationId": target, "parameters": {param: "$response.body#/id"}}
        for name, (target, param) in op.links.items()
        if target != op.operation_id
    }
    if links:
        ok["links"] = links
    responses: dict[str, Any] = {"200": ok}
    errors = {*op.errors, 503}
    if not (op.protected and settings.auth != "off"):
        errors.discard(401)
    for status in sorted(errors):
        text = _ERROR_TEXT[status] if op.tag not in (TAG_ADMIN, TAG_DOCS) else _ADMIN_ERRORS[status]
        responses[str(status)] = _response(text, refs[ErrorBody])
    out["responses"] = responses
    if op.protected and settings.auth != "off":
        # Optional auth: a request without Session-Id is served; a bad one is still a 401.
        session: list[dict[str, list[str]]] = [{SECURITY_SCHEME: []}]
        out["security"] = session if settings.auth == "required" else [*session, {}]
    return out


def _embed(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """A standalone JSON Schema (the scenario format's) as components: each of its ``$defs``
    under the same name prefixed ``Scenario`` (so a record model there, which forbids unknown
    keys, never collides with the API's), and its root as the schema to refer to."""

    def renamed(name: str) -> str:
        return name if name.startswith(_EMBED_PREFIX) else _EMBED_PREFIX + name

    def rewrite(value: Any) -> Any:
        if isinstance(value, list):
            return [rewrite(item) for item in value]
        if not isinstance(value, dict):
            return value
        out = {key: rewrite(item) for key, item in value.items()}
        ref = out.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            out["$ref"] = _REF + renamed(ref[len("#/$defs/") :])
        return out

    body = {key: value for key, value in schema.items() if key not in ("$schema", "$defs")}
    for name, definition in schema.get("$defs", {}).items():
        components[renamed(name)] = {**rewrite(definition), "title": renamed(name)}
    return _tidy(rewrite(body))  # type: ignore[no-any-return]


_EMBED_PREFIX = "Scenario"


def _answering(routes: Iterable[BaseRoute], base_path: str) -> dict[tuple[str, str], set[str]]:
    """(method, path below the base path) -> the prefixes it answers under, for every
    documented operation among ``routes``."""
    answers: dict[tuple[str, str], set[str]] = {}
    for endpoint in endpoints(routes):
        full = endpoint.prefix + endpoint.path
        prefix = ""
        if base_path and full.startswith(base_path + "/"):
            prefix, full = base_path, full[len(base_path) :]
        if (endpoint.method, full) in OPERATIONS:
            answers.setdefault((endpoint.method, full), set()).add(prefix)
    return answers


def build_document(routes: Iterable[BaseRoute], settings: Settings) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``routes`` (the application's, as mounted) for ``settings``."""
    mounted = _answering(routes, settings.base_path)
    models: list[type[msgspec.Struct]] = [ErrorBody]
    answered: set[type] = set()  # the record models that answers carry
    for key in mounted:
        op = OPERATIONS[key]
        if op.body is not None:
            models.append(op.body)
        model = _answer_model(op)
        if model is not None:
            models.append(model)
            answered.add(op.answer if op.listed else model)
    unique = list(dict.fromkeys(models))
    schemas, components = msgspec.json.schema_components(
        unique, ref_template="#/components/schemas/{name}"
    )
    refs: dict[Any, Any] = dict(zip(unique, schemas, strict=True))
    _mark_datetimes(components, unique)
    records = _record_variants(
        components,
        [model.__name__ for model in unique if model not in _EXACT_ANSWERS and model in answered],
    )
    answers = {model: _renamed(ref, records) for model, ref in refs.items()}
    for key in mounted:
        embedded = OPERATIONS[key].body_schema
        if embedded is not None and embedded not in refs:
            refs[embedded] = _embed(embedded(), components)
    for envelope in _list_models.values():
        if envelope.__name__ in components:  # envelopes are only ever answers
            components[envelope.__name__] = _renamed(components[envelope.__name__], records)

    root = settings.base_path or "/"
    paths: dict[str, dict[str, Any]] = {}
    for (method, path), prefixes in sorted(mounted.items(), key=_path_order):
        item = paths.setdefault(path, {})
        item[method.lower()] = _operation(OPERATIONS[(method, path)], settings, refs, answers)
        servers = list(
            dict.fromkeys(
                url for prefix, url in ((settings.base_path, root), ("", "/")) if prefix in prefixes
            )
        )
        if servers != [root]:
            item["servers"] = [{"url": url} for url in servers]

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "mockserver: Finnish ERP API (customers and sales invoices)",
            "version": __version__,
            "description": _DESCRIPTION,
        },
        "servers": [{"url": root}],
        "tags": [{"name": name, "description": text} for name, text in _TAGS],
        "paths": paths,
        "components": {
            "schemas": _tidy(dict(sorted(components.items()))),
            "securitySchemes": {
                SECURITY_SCHEME: {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Session-Id",
                    "description": "The `session_id` that `POST /api/auth/login` answered.",
                }
            },
        },
    }


_ORDER = {"GET": 0, "POST": 1, "PUT": 2, "DELETE": 3}


def _path_order(item: tuple[tuple[str, str], set[str]]) -> tuple[int, str, int]:
    """The real API first, then the mock's administration, then the documentation."""
    (method, path), _ = item
    tag = OPERATIONS[(method, path)].tag
    group = 0 if tag not in (TAG_ADMIN, TAG_DOCS) else 1 if tag == TAG_ADMIN else 2
    return group, path, _ORDER.get(method, 9)


def document_bytes(routes: Iterable[BaseRoute], settings: Settings) -> bytes:
    return msgspec.json.encode(build_document(routes, settings))
