"""The OpenAPI 3.1 document of everything the server answers, generated, never hand-written.

Schemas are the msgspec models' own (``msgspec.json.schema_components``); query parameters
are the filter models' binding specs with the real document's ``filter.`` prefix; the paths
and operations are the route table's (``mockserver.routes``), mounted as the settings mount
them (the API under the base path, the mock's own routes at the root too). This module only
adds the words that belong to the document as a whole: its description, the tags', the
errors', the filters'. The real API's operations the mock does not implement
(``routes.UNMOCKED``) are listed too, each as a small generic operation answering 501. It knows
nothing of the web framework that serves the routes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import msgspec

from . import __version__
from .binding import DATETIME, INT32, INT32_ARRAY, PREFIX, FilterSpec
from .filters import DEFAULT_PAGE, DEFAULT_PAGE_SIZE
from .models import INT32_MAX, INT32_MIN, ErrorBody, Health, Int32, LoginAnswer
from .routes import (
    ADMIN_PREFIX,
    BY_KEY,
    OPERATIONS,
    TAG_ADMIN,
    TAG_AUTH,
    TAG_CUSTOMER,
    TAG_DOCS,
    TAG_INVOICE,
    UNMOCKED,
    Operation,
    parameters,
)
from .settings import Settings
from .wire import SESSION_HEADER_NAME, TOTAL_HEADER_NAME

SECURITY_SCHEME = "SessionId"

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

**Not mocked.** Every other operation of the real API is listed under its own tag and answers \
501 with a `Message` saying so (`mockserver routes` lists them all).
"""

_ADMIN_ERRORS = {
    400: "The request is invalid: `ModelState` says what is wrong.",
    401: "The admin token is missing or wrong: send `Authorization: Bearer TOKEN`.",
    403: "Refused: a cross-site write, a remote client while no admin token is set, or a "
    "session naming a tenant not its own.",
    404: "No such file or tenant.",
    413: "The body is too large.",
    415: "The body is declared neither JSON nor YAML.",
    503: "The server is still loading its data and scenarios.",
    507: "The server holds its maximum of tenants (`--max-tenants`).",
}
_ERROR_TEXT = {
    400: "The request is invalid: `ModelState` names each offending parameter or field.",
    401: "Authorization has been denied for this request: no live session.",
    404: "No such record.",
    413: "The request body is larger than 1 MiB.",
    415: "The request body is not JSON.",
    503: "The server is still loading its data and scenarios.",
    507: "A limit of the mock's memory was reached (tenants, or records of one kind in a tenant).",
}


def _int32() -> dict[str, Any]:
    return {"type": "integer", "format": "int32", "minimum": INT32_MIN, "maximum": INT32_MAX}


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
Envelopes = dict[type[msgspec.Struct], type[msgspec.Struct]]  # record model -> its list


def _answer_model(op: Operation, envelopes: Envelopes) -> type[msgspec.Struct] | None:
    """The model of ``op``'s answer (a list route's: the envelope, made once per document)."""
    if not isinstance(op.answer, type):
        return None
    if not op.listed:
        return op.answer
    envelope = envelopes.get(op.answer)
    if envelope is None:
        envelope = envelopes[op.answer] = _list_model(op.answer)
    return envelope


_BY_ID: dict[str, Operation] = {op.operation_id: op for op in OPERATIONS}


def _link_parameters(op: Operation, target: str, param: str, field: str) -> dict[str, str]:
    """A link's parameters, in the target's path order: ``param`` from the answer's
    ``field``, every other path parameter of the target from the request's own path (so
    ``createInvoiceRow`` -> ``deleteInvoiceRow`` passes the invoice's ``id`` on)."""
    own = set(parameters(op.path))
    theirs = parameters(_BY_ID[target].path)
    if param not in theirs:
        raise ValueError(f"the link {op.operation_id} -> {target} names no parameter {param}")
    out: dict[str, str] = {}
    for name in theirs:
        if name == param:
            out[name] = f"$response.body#/{field}"
        elif name in own:
            out[name] = f"$request.path.{name}"
        else:
            raise ValueError(f"the link {op.operation_id} -> {target} gives no {name}")
    return out


def _operation(
    op: Operation,
    settings: Settings,
    refs: dict[Any, Any],
    answers: dict[Any, Any],
    envelopes: Envelopes,
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
    if body is not None and op.body_requires:
        # the shared model, and the fields this route needs present and not null
        needed = {
            "required": list(op.body_requires),
            "properties": {name: {"not": {"type": "null"}} for name in op.body_requires},
        }
        body = {"allOf": [body, needed]}
    if body is not None:
        out["requestBody"] = {
            "description": op.body_description,
            "required": True,
            "content": {media: {"schema": body} for media in op.body_content},
        }
    model = _answer_model(op, envelopes)
    ok: dict[str, Any] = {"description": "No content"}
    if op.answer is not None:
        schema = answers[model] if model is not None else op.answer
        ok = _response("OK", schema, op.answer_content)
    if op.listed:
        ok["headers"] = {
            TOTAL_HEADER_NAME: {
                "description": "The number of matching records over all pages.",
                "schema": {"type": "integer", "minimum": 0},
            }
        }
    links = {
        name: {"operationId": target, "parameters": _link_parameters(op, target, param, field)}
        for name, target, param, field in op.links
        if target != op.operation_id
    }
    if links:
        ok["links"] = links
    responses: dict[str, Any] = {str(op.answer_status): ok}
    errors = {*op.errors, 503}
    if not (op.protected and settings.auth != "off"):
        errors.discard(401)
    if op.path.startswith(ADMIN_PREFIX):  # what the admin guard answers (``api.guard``)
        errors.add(403)
        if settings.admin_token:
            errors.add(401)
        if op.body is not None or op.body_schema is not None:
            errors.add(415)
    for status in sorted(errors):
        text = _ERROR_TEXT[status] if op.tag not in (TAG_ADMIN, TAG_DOCS) else _ADMIN_ERRORS[status]
        responses[str(status)] = _response(text, refs[ErrorBody])
    out["responses"] = responses
    if op.protected and settings.auth != "off":
        # Optional auth: a request without Session-Id is served; a bad one is still a 401.
        session: list[dict[str, list[str]]] = [{SECURITY_SCHEME: []}]
        out["security"] = session if settings.auth == "required" else [*session, {}]
    return out


# --- the vendor's operations the mock does not implement (routes.UNMOCKED) ---
_NOT_MOCKED = (
    "**Not mocked.** An operation of the real API that this mock does not implement: it "
    "answers 501 with a `Message` saying so. To provide it, serve with `--upstream URL` "
    "(passthrough to a real server) or add a scenario rule for it with `respond:`."
)
_NOT_MOCKED_TAG = "Operations of the real API this mock does not implement: each answers 501."
# A vendor extension on each such operation, so that tools can select or skip them without
# knowing their tags (the conformance test's fuzzing run skips them by it).
NOT_MOCKED_MARKER = "x-mock-not-mocked"


def _unmocked_operation(op: Operation, error: Any, settings: Settings) -> dict[str, Any]:
    """A small generic operation object: what the route is and that it answers 501 (after
    the session check every protected route makes)."""
    path_params = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in parameters(op.path)
    ]
    out: dict[str, Any] = {
        "tags": [op.tag],
        "summary": op.summary,
        "description": _NOT_MOCKED,
        "operationId": op.operation_id,
        NOT_MOCKED_MARKER: True,
    }
    if path_params:
        out["parameters"] = path_params
    out["responses"] = {
        "501": _response("Not implemented by this mock.", error),
        "503": _response(_ERROR_TEXT[503], error),
    }
    if settings.auth != "off":
        out["responses"]["401"] = _response(_ERROR_TEXT[401], error)
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


def _mounted(settings: Settings) -> dict[tuple[str, str], set[str]]:
    """(method, path below the base path) -> the prefixes it answers under: the API under the
    base path only, the mock's own routes at the root and under the base path."""
    base_path = settings.base_path
    return {
        (op.method, op.path): {base_path} if op.is_api else {"", base_path} for op in OPERATIONS
    }


def build_document(settings: Settings) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every route, mounted as ``settings`` mount them."""
    mounted = _mounted(settings)
    envelopes: Envelopes = {}
    models: list[type[msgspec.Struct]] = [ErrorBody]
    answered: set[type] = set()  # the record models that answers carry
    for key in mounted:
        op = BY_KEY[key]
        if op.body is not None:
            models.append(op.body)
        model = _answer_model(op, envelopes)
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
        embedded = BY_KEY[key].body_schema
        if embedded is not None and embedded not in refs:
            refs[embedded] = _embed(embedded(), components)
    for envelope in envelopes.values():
        if envelope.__name__ in components:  # envelopes are only ever answers
            components[envelope.__name__] = _renamed(components[envelope.__name__], records)

    root = settings.base_path or "/"
    paths: dict[str, dict[str, Any]] = {}
    for (method, path), prefixes in sorted(mounted.items(), key=_path_order):
        item = paths.setdefault(path, {})
        item[method.lower()] = _operation(BY_KEY[method, path], settings, refs, answers, envelopes)
        servers = list(
            dict.fromkeys(
                url for prefix, url in ((settings.base_path, root), ("", "/")) if prefix in prefixes
            )
        )
        if servers != [root]:
            item["servers"] = [{"url": url} for url in servers]
    for op in UNMOCKED:
        item = paths.setdefault(op.path, {})
        item[op.method.lower()] = _unmocked_operation(op, refs[ErrorBody], settings)
    declared = {name for name, _ in _TAGS}
    unmocked_tags = [
        (tag, _NOT_MOCKED_TAG)
        for tag in dict.fromkeys(op.tag for op in UNMOCKED)
        if tag not in declared
    ]

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "mockserver: Finnish ERP API (customers and sales invoices)",
            "version": __version__,
            "description": _DESCRIPTION,
        },
        "servers": [{"url": root}],
        "tags": [{"name": name, "description": text} for name, text in (*_TAGS, *unmocked_tags)],
        "paths": paths,
        "components": {
            "schemas": _tidy(dict(sorted(components.items()))),
            "securitySchemes": {
                SECURITY_SCHEME: {
                    "type": "apiKey",
                    "in": "header",
                    "name": SESSION_HEADER_NAME,
                    "description": "The `session_id` that `POST /api/auth/login` answered.",
                }
            },
        },
    }


_ORDER = {"GET": 0, "POST": 1, "PUT": 2, "DELETE": 3}


def _path_order(item: tuple[tuple[str, str], set[str]]) -> tuple[int, str, int]:
    """The real API first, then the mock's administration, then the documentation."""
    (method, path), _ = item
    tag = BY_KEY[method, path].tag
    group = 0 if tag not in (TAG_ADMIN, TAG_DOCS) else 1 if tag == TAG_ADMIN else 2
    return group, path, _ORDER.get(method, 9)


def document_bytes(settings: Settings) -> bytes:
    return msgspec.json.encode(build_document(settings))
