"""What every API handler shares: the server's state, ASP.NET-shaped errors, JSON responses,
request bodies, path ids and finding the caller's tenant."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any, TypeVar

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope, Send

from ..binding import BindingError, FilterSpec, bind, parse_query
from ..models import INT32_MAX, INT32_MIN, BodyError, ErrorBody, Model, decode_body, encode
from ..sessions import Session
from ..state import State
from ..store import Store, Tenant, TenantLimitError
from ..wire import (
    DENIED,
    INVALID,
    JSON,
    JSON_BYTES,
    SESSION_HEADER,
    SESSION_HEADER_BYTES,
    STORE_KEY,
    TENANT_HEADER,
    TENANT_HEADER_BYTES,
    TENANT_HEADER_NAME,
    TENANT_KEY,
)

MAX_BODY = 1024 * 1024

M = TypeVar("M", bound=Model)


def state_of(scope: Mapping[str, Any]) -> State:
    """The state of the application serving a request: ``scope`` is its ASGI scope or its
    ``Request`` (a mapping of the same scope)."""
    state: State = scope["app"].state.mock
    return state


class ApiError(HTTPException):
    """An answer in the real API's error shape: ``Message`` and, for bad input, ``ModelState``."""

    def __init__(
        self,
        status_code: int,
        message: str,
        model_state: dict[str, list[str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status_code, message, headers)
        self.body = encode(ErrorBody(Message=message, ModelState=model_state))


def invalid(model_state: dict[str, list[str]]) -> ApiError:
    return ApiError(400, INVALID, model_state)


def error_response(error: ApiError) -> Response:
    return Response(error.body, error.status_code, error.headers, media_type=JSON)


def json_response(body: bytes, headers: dict[str, str] | None = None) -> Response:
    return Response(body, 200, headers, media_type=JSON)


def model_response(value: Model) -> Response:
    return Response(encode(value), 200, media_type=JSON)


_PAGING = ("page", "page_size")


class QueryBinder:
    """Binds query strings to one filter model, remembering the last few thousand answers:
    clients page through the same queries over and over. Answers the bound filter (never
    mutated) and its selection key: the filter without paging, so that every page of one
    query shares the ids the store selected once (``Table.selection``)."""

    def __init__(self, spec: FilterSpec, size: int = 4096) -> None:
        self.spec = spec
        self.size = size
        self._bound: dict[bytes, tuple[dict[str, Any], Hashable]] = {}

    def __call__(self, query_string: bytes) -> tuple[dict[str, Any], Hashable]:
        bound = self._bound.get(query_string)
        if bound is None:
            try:
                filters = bind(parse_query(query_string), self.spec)
            except BindingError as error:
                raise invalid(error.model_state) from None
            key = tuple(
                sorted(
                    (name, tuple(value) if isinstance(value, list) else value)
                    for name, value in filters.items()
                    if name not in _PAGING
                )
            )
            if len(self._bound) >= self.size:
                self._bound.clear()
            bound = self._bound[query_string] = (filters, key)
        return bound


async def send_json(
    send: Send, body: bytes, status: int = 200, headers: Sequence[tuple[bytes, bytes]] = ()
) -> None:
    """A JSON answer straight to the ASGI ``send`` (the read routes' fast path)."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", JSON_BYTES),
                (b"content-length", b"%d" % len(body)),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def path_id(request: Request, name: str) -> int:
    """A path id as int32; anything else is a 400 naming the parameter."""
    raw: str = request.path_params[name]
    text = raw.strip()
    digits = text[1:] if text[:1] in "+-" else text
    if digits.isdigit() and digits.isascii():
        value = int(text)
        if INT32_MIN <= value <= INT32_MAX:
            return value
    raise invalid({name: [f"The value '{raw}' is not valid for {name}."]})


_JSON_TYPES = ("application/json", "text/json")


async def read_body(request: Request, cls: type[M], param: str) -> M:
    """The validated JSON body: 415 unless JSON, 413 over 1 MiB, 400 naming the bad field."""
    content_type = request.headers.get("content-type", "")
    media = content_type.split(";", 1)[0].strip().lower()
    if media not in _JSON_TYPES and not (
        media.startswith("application/") and media.endswith("+json")
    ):
        shown = media or "(none)"
        raise ApiError(
            415, f"The request entity's media type '{shown}' is not supported for this resource."
        )
    declared = request.headers.get("content-length")
    too_large = ApiError(413, f"The request body is larger than {MAX_BODY} bytes.")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise too_large
        chunks.append(chunk)
    raw = b"".join(chunks)
    try:
        return decode_body(raw, cls, param)
    except BodyError as error:
        raise invalid(error.model_state) from None


def session_of(request: Request) -> Session | None:
    """The caller's live session; a 401 for an unknown or expired one (unless auth is off)
    and for a missing one when auth is required."""
    state = state_of(request)
    mode = state.settings.auth
    if mode == "off":
        return None
    session_id = request.headers.get(SESSION_HEADER)
    if not session_id:
        if mode == "required":
            raise ApiError(401, DENIED)
        return None
    session = state.sessions.lookup(session_id)
    if session is None:
        raise ApiError(401, DENIED)
    return session


def tenant_of(request: Request) -> Tenant:
    """The tenant a request works on: its session's, or ``X-Mock-Tenant``, or the default."""
    return resolve_tenant(state_of(request), request.scope)


def resolve_tenant(state: State, scope: Scope) -> Tenant:
    """``tenant_of`` on the raw ASGI scope (the read routes run without a Request): a 401
    for a bad session as ``session_of`` says, a 400 when the session and ``X-Mock-Tenant``
    name different tenants. Records the tenant's name in the request state."""
    session_id, named = tenant_headers(scope["headers"])
    request_state = scope.setdefault("state", {})
    # A scenario named by X-Mock-Scenario that sets its own data serves it from its own store.
    name, tenant = tenant_for(state, session_id, named, request_state.get(STORE_KEY))
    request_state[TENANT_KEY] = name
    return tenant


def tenant_headers(headers: Sequence[tuple[bytes, bytes]]) -> tuple[str | None, str | None]:
    """The ``Session-Id`` and ``X-Mock-Tenant`` of raw ASGI headers (None where absent)."""
    session_id = named = None
    for key, value in headers:
        if key == SESSION_HEADER_BYTES:
            session_id = value.decode("latin-1")
        elif key == TENANT_HEADER_BYTES:
            named = value.decode("latin-1")
    return session_id, named


def tenant_for(
    state: State, session_id: str | None, named: str | None, store: Store | None
) -> tuple[str, Tenant]:
    """The tenant (and its name) of a request with these ``Session-Id`` and
    ``X-Mock-Tenant`` headers, in ``store`` (None: the server's): raises as
    ``resolve_tenant`` says."""
    name = requested_tenant(state, session_id, named)
    return name, open_tenant(state, name, store)


def requested_tenant(state: State, session_id: str | None, named: str | None) -> str:
    """The name of the tenant these headers ask for, without making it: a 401 for a bad
    session (or none where auth is required), a 400 when the session and ``X-Mock-Tenant``
    name different tenants."""
    session = None
    mode = state.settings.auth
    if mode != "off":
        if session_id:
            session = state.sessions.lookup(session_id)
            if session is None:
                raise ApiError(401, DENIED)
        elif mode == "required":
            raise ApiError(401, DENIED)
    if named is not None and session is not None and named != session.tenant:
        raise invalid(
            {
                TENANT_HEADER_NAME: [
                    f"The header names tenant '{named}' but the session belongs to "
                    f"'{session.tenant}'."
                ]
            }
        )
    return session.tenant if session is not None else (named or Store.DEFAULT_TENANT)


TOO_MANY_TENANTS = (
    "The server holds its maximum of {} tenants (--max-tenants); delete one with "
    "DELETE /_mock/tenants/{{name}} or reset."
)


def open_tenant(state: State, name: str, store: Store | None = None) -> Tenant:
    """The tenant ``name`` of ``store`` (None: the server's), created on first use; a 507
    when that would pass ``--max-tenants`` (the tenants already held keep working)."""
    try:
        return (store or state.store).tenant(name, state.settings.max_tenants)
    except TenantLimitError as error:
        raise ApiError(507, TOO_MANY_TENANTS.format(error.limit)) from None


def tenant_name(state: State, headers: Mapping[str, str]) -> str:
    """The tenant a request names, never raising (for requests no handler served: 404, 405,
    401): its live session's, else ``X-Mock-Tenant``, else the default. ``headers`` has
    lower-case names (or is case-insensitive)."""
    if state.settings.auth != "off":
        session_id = headers.get(SESSION_HEADER)
        if session_id:
            session = state.sessions.lookup(session_id)
            if session is not None:
                return session.tenant
    return headers.get(TENANT_HEADER) or Store.DEFAULT_TENANT
